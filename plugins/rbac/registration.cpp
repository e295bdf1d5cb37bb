#include "rbac/registration.h"

#include "rbac/access_reviews.h"
#include "rbac/aggregation.h"
#include "rbac/authorizer.h"
#include "rbac/bootstrap.h"
#include "rbac/escalation.h"
#include "rbac/policy_sync.h"
#include "rbac/resources.h"

namespace apiserver::plugins::rbac {

Result<RbacConfig> decodeConfig(const ConfigSection& section) {
  ConfigReader r(section);
  RbacConfig c;
  if (auto v = r.boolean("bootstrapPolicy")) c.bootstrapPolicy = *v;
  if (auto v = r.boolean("accessReviews")) c.accessReviews = *v;
  if (auto done = r.finish(); !done) return fail(std::move(done).error());
  return c;
}

Result<void> registerRbac(Registrar& registrar, const RbacConfig& config) {
  if (auto r = registrar.addResource(clusterRoleSpec(), clusterRoleStrategy()); !r) return r;
  if (auto r = registrar.addResource(clusterRoleBindingSpec(), clusterRoleBindingStrategy()); !r) return r;
  if (auto r = registrar.addResource(roleSpec(), roleStrategy()); !r) return r;
  if (auto r = registrar.addResource(roleBindingSpec(), roleBindingStrategy()); !r) return r;

  auto authorizer = std::make_shared<RbacAuthorizer>();
  if (auto r = registrar.addAuthorizer("RBAC", authorizer); !r) return r;
  if (auto r = registrar.addAdmission(
          std::make_shared<EscalationCheck>(authorizer, registrar.authorizer(), registrar.client()));
      !r)
    return r;
  // Controllers start in this order: the defaults exist and admin/edit/view are aggregated
  // before the authorizer takes its first look at the policy.
  if (config.bootstrapPolicy)
    if (auto r = registrar.addController(std::make_shared<BootstrapPolicy>(registrar.logger())); !r) return r;
  if (auto r = registrar.addController(std::make_shared<AggregationController>(registrar.logger())); !r) return r;
  if (auto r = registrar.addController(std::make_shared<PolicySync>(authorizer, registrar.logger())); !r) return r;
  if (config.accessReviews)
    if (auto r = registerAccessReviews(registrar, registrar.authorizer()); !r) return r;
  return {};
}

}  // namespace apiserver::plugins::rbac
