#pragma once

#include <apiserver/schema.h>
#include <apiserver/strategy.h>

#include <memory>

/// @file namespaces.h
/// The namespaces resource (kube's pkg/registry/core/namespace).

namespace apiserver::plugins::core {

/// namespaceResourceSpec describes namespaces: cluster-scoped, short name "ns", a status
/// subresource, DNS-1123 label names; DELETE answers with the object.
ResourceSpec namespaceResourceSpec();

/// namespaceStrategy defaults, validates and prints namespaces. On create the status becomes
/// {phase: Active} and spec.finalizers gains "kubernetes"; the kubernetes.io/metadata.name label
/// always carries the name; spec.finalizers cannot change through an update; table columns are
/// NAME STATUS AGE; status.phase (and the legacy `name`) are selectable fields.
std::shared_ptr<const Strategy> namespaceStrategy();

}  // namespace apiserver::plugins::core
