#pragma once

#include <apiserver/schema.h>
#include <apiserver/strategy.h>

#include <memory>

/// @file secrets.h
/// The secrets resource (kube's pkg/registry/core/secret).

namespace apiserver::plugins::core {

/// secretResourceSpec describes secrets: namespaced, no short name.
ResourceSpec secretResourceSpec();

/// secretStrategy defaults type to Opaque, merges stringData into data (base64-encoded) and
/// drops it, validates data (config keys, base64 values, 1 MiB in total, the keys each secret
/// type requires), keeps type immutable, honours `immutable`, prints NAME TYPE DATA AGE and
/// offers the `type` field selector.
std::shared_ptr<const Strategy> secretStrategy();

}  // namespace apiserver::plugins::core
