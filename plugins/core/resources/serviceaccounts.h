#pragma once

#include <apiserver/schema.h>
#include <apiserver/strategy.h>

#include <memory>

/// @file serviceaccounts.h
/// The serviceaccounts resource (kube's pkg/registry/core/serviceaccount).

namespace apiserver::plugins::core {

/// serviceAccountResourceSpec describes serviceaccounts: namespaced, short name "sa".
ResourceSpec serviceAccountResourceSpec();

/// serviceAccountStrategy validates the secret references (names required and valid) and
/// prints NAME SECRETS AGE.
std::shared_ptr<const Strategy> serviceAccountStrategy();

}  // namespace apiserver::plugins::core
