/// @file plugin.cpp
/// The core plugin's entry point: the legacy v1 group (namespaces, pods, services, endpoints,
/// configmaps, secrets, nodes, events, serviceaccounts) with its admission steps and the
/// system namespaces controller.

#include "core/config.h"
#include "core/registration.h"

#include <apiserver/plugin.h>

#include <exception>

namespace apiserver::plugins::core {

/// CorePlugin decodes its configuration and registers what it enables.
class CorePlugin final : public Plugin {
 public:
  // apiserver::Plugin
  Result<void> registerWith(Registrar& registrar, const ConfigSection& config) override {
    try {
      auto decoded = decodeConfig(config);
      if (!decoded)
        return std::move(decoded).error();
      return registerCore(registrar, *decoded);
    } catch (const std::exception& e) {
      // Nothing here throws by design; allocation failure is the one thing that might.
      return ApiError::internal(std::string("core plugin registration failed: ") + e.what());
    }
  }
};

}  // namespace apiserver::plugins::core

APISERVER_PLUGIN(apiserver::plugins::core::CorePlugin, "core")
