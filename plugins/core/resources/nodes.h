#pragma once

#include <apiserver/schema.h>
#include <apiserver/strategy.h>

#include <memory>

/// @file nodes.h
/// The nodes resource (kube's pkg/registry/core/node).

namespace apiserver::plugins::core {

/// nodeResourceSpec describes nodes: cluster-scoped, short name "no", a status subresource.
ResourceSpec nodeResourceSpec();

/// nodeStrategy keeps the status a kubelet registers with, defaults status.allocatable to
/// status.capacity, validates taints, pod CIDRs and addresses, refuses changing podCIDR(s) and
/// providerID once set, prints NAME STATUS ROLES AGE VERSION (+ wide columns) and offers the
/// spec.unschedulable field selector.
std::shared_ptr<const Strategy> nodeStrategy();

}  // namespace apiserver::plugins::core
