#pragma once

#include "rbac/authorizer.h"

#include <apiserver/registry.h>

#include <memory>
#include <string>
#include <vector>

/// @file escalation.h
/// Escalation prevention (kube's pkg/registry/rbac/*/policybased and rbac/validation): nobody
/// grants rights they do not hold. Creating or updating a Role or ClusterRole needs every rule it
/// holds (or the `escalate` verb on it); creating or updating a binding needs every rule of the
/// role it refers to (or the `bind` verb on that role). Members of system:masters are exempt.

namespace apiserver::plugins::rbac {

/// confirmNoEscalation checks that `user` holds (in namespace `ns`) every rule of `rules`;
/// otherwise it returns kube's message: `user "alice" (groups=["system:authenticated"]) is
/// attempting to grant RBAC permissions not currently held:` followed by the missing rules.
Result<void> confirmNoEscalation(const RbacAuthorizer& rbac, const UserInfo& user, std::string_view ns,
                                 const std::vector<PolicyRule>& rules);

/// EscalationCheck is the admission step that enforces it on every write of the four kinds.
class EscalationCheck final : public AdmissionStep {
 public:
  /// `server` is the server's authorizer (for the escalate and bind verbs); `client` reads the
  /// role a binding refers to.
  EscalationCheck(std::shared_ptr<const RbacAuthorizer> rbac, std::shared_ptr<const Authorizer> server,
                  std::shared_ptr<Client> client)
      : rbac_(std::move(rbac)), server_(std::move(server)), client_(std::move(client)) {}

  std::string_view name() const override { return "rbac-escalation"; }
  Result<void> validate(const AdmissionAttributes& a) override;
  bool mayWait() const override { return false; }  // reads roles only

 private:
  Result<void> checkRole(const AdmissionAttributes& a, const UserInfo& user);
  Result<void> checkBinding(const AdmissionAttributes& a, const UserInfo& user);

  std::shared_ptr<const RbacAuthorizer> rbac_;
  std::shared_ptr<const Authorizer> server_;
  std::shared_ptr<Client> client_;
};

}  // namespace apiserver::plugins::rbac
