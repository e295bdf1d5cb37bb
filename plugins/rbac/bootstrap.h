#pragma once

#include <apiserver/registry.h>

#include <optional>
#include <vector>

/// @file bootstrap.h
/// The bootstrap policy (kube's plugin/pkg/auth/authorizer/rbac/bootstrappolicy, the part this
/// server's APIs need): cluster-admin bound to system:masters; system:discovery, system:basic-user
/// and system:public-info-viewer for authenticated users (public-info also for unauthenticated
/// ones); system:monitoring; the admin, edit and view roles, aggregated from
/// system:aggregate-to-admin/-edit/-view. Every object is labelled
/// kubernetes.io/bootstrapping=rbac-defaults and annotated
/// rbac.authorization.kubernetes.io/autoupdate=true, as kube's are.

namespace apiserver::plugins::rbac {

inline constexpr std::string_view kAutoUpdateAnnotation = "rbac.authorization.kubernetes.io/autoupdate";
inline constexpr std::string_view kBootstrappingLabel = "kubernetes.io/bootstrapping";

/// bootstrapClusterRoles and bootstrapClusterRoleBindings are the default objects, as created.
std::vector<json::object> bootstrapClusterRoles();
std::vector<json::object> bootstrapClusterRoleBindings();

/// reconcileClusterRole returns what `existing` must become to hold `expected` (kube's
/// computeReconciledRole in union mode: labels and annotations added, missing rules and
/// aggregation selectors appended), or nullopt when nothing changes or the role opted out
/// (autoupdate "false").
std::optional<json::object> reconcileClusterRole(const json::object& existing, const json::object& expected);
/// reconcileClusterRoleBinding does the same for a binding (missing subjects appended). A binding
/// whose roleRef differs must be replaced: `replace` is set then.
std::optional<json::object> reconcileClusterRoleBinding(const json::object& existing, const json::object& expected,
                                                        bool& replace);

/// BootstrapPolicy creates or reconciles the default roles and bindings when the server starts
/// (kube's rbac/bootstrap-roles post-start hook), before the server serves.
class BootstrapPolicy final : public Controller {
 public:
  explicit BootstrapPolicy(Logger& log) : log_(log) {}
  std::string_view name() const override { return "rbac-bootstrap-policy"; }
  Result<void> start(Client& client) override;

 private:
  Logger& log_;
};

}  // namespace apiserver::plugins::rbac
