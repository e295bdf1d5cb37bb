#pragma once

#include "core/config.h"

#include <apiserver/registry.h>
#include <apiserver/result.h>

/// @file registration.h
/// What the core plugin adds to the server for a given configuration.

namespace apiserver::plugins::core {

/// registerCore adds the configured resources (in catalog order), the NamespaceLifecycle
/// admission step and the SystemNamespaces controller (when namespaces are served), and the
/// ServiceAllocator admission step (when services are served). It stops at the first refusal of
/// the registrar and returns it.
Result<void> registerCore(Registrar& registrar, const CoreConfig& config);

}  // namespace apiserver::plugins::core
