#pragma once

#include <apiserver/schema.h>
#include <apiserver/strategy.h>

#include <memory>

/// @file endpoints.h
/// The endpoints resource (kube's pkg/registry/core/endpoint).

namespace apiserver::plugins::core {

/// endpointsResourceSpec describes endpoints: namespaced, short name "ep".
ResourceSpec endpointsResourceSpec();

/// endpointsStrategy defaults port protocols to TCP, validates subsets (addresses are valid,
/// non-special IPs; ports valid, named when a subset has several) and prints NAME ENDPOINTS AGE.
std::shared_ptr<const Strategy> endpointsStrategy();

}  // namespace apiserver::plugins::core
