#pragma once

#include <apiserver/schema.h>
#include <apiserver/strategy.h>

#include <memory>

/// @file configmaps.h
/// The configmaps resource (kube's pkg/registry/core/configmap).

namespace apiserver::plugins::core {

/// configMapResourceSpec describes configmaps: namespaced, short name "cm".
ResourceSpec configMapResourceSpec();

/// configMapStrategy validates configmaps (data and binaryData keys are config keys, no key in
/// both, binaryData is base64, at most 1 MiB in total; `immutable: true` freezes data,
/// binaryData and immutable) and prints NAME DATA AGE.
std::shared_ptr<const Strategy> configMapStrategy();

}  // namespace apiserver::plugins::core
