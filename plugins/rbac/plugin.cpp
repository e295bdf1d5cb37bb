/// @file plugin.cpp
/// The rbac plugin's entry point: rbac.authorization.k8s.io/v1 with the RBAC authorizer,
/// escalation prevention, the bootstrap policy and clusterrole aggregation, and
/// authorization.k8s.io/v1's access reviews.

#include "rbac/registration.h"

#include <apiserver/plugin.h>

#include <exception>

namespace apiserver::plugins::rbac {

class RbacPlugin final : public Plugin {
 public:
  // apiserver::Plugin
  Result<void> registerWith(Registrar& registrar, const ConfigSection& config) override {
    try {
      auto decoded = decodeConfig(config);
      if (!decoded) return std::move(decoded).error();
      return registerRbac(registrar, *decoded);
    } catch (const std::exception& e) {
      return ApiError::internal(std::string("rbac plugin registration failed: ") + e.what());
    }
  }
};

}  // namespace apiserver::plugins::rbac

APISERVER_PLUGIN(apiserver::plugins::rbac::RbacPlugin, "rbac")
