#pragma once

#include <apiserver/registry.h>

/// @file registration.h
/// What the rbac plugin registers, and its configuration.

namespace apiserver::plugins::rbac {

/// RbacConfig is the plugin's `config:` section.
struct RbacConfig {
  bool bootstrapPolicy = true;  ///< create and reconcile the default roles and bindings at start
  bool accessReviews = true;    ///< serve authorization.k8s.io/v1 (kubectl auth can-i)
};

/// decodeConfig reads the section, refusing unknown keys.
Result<RbacConfig> decodeConfig(const ConfigSection& section);

/// registerRbac adds the four RBAC resources, the "RBAC" authorizer with the controller that
/// keeps it current, escalation prevention, the clusterrole aggregation controller, the
/// bootstrap policy and the access reviews.
Result<void> registerRbac(Registrar& registrar, const RbacConfig& config);

}  // namespace apiserver::plugins::rbac
