#include "rbac/escalation.h"

#include <algorithm>
#include <set>

namespace apiserver::plugins::rbac {

namespace {

bool escalationAllowed(const UserInfo& user) {
  return std::find(user.groups.begin(), user.groups.end(), kSystemPrivilegedGroup) != user.groups.end();
}

const std::vector<PolicyRule>& fullAuthority() {
  static const std::vector<PolicyRule> rules{{{"*"}, {"*"}, {"*"}, {}, {}}, {{"*"}, {}, {}, {}, {"*"}}};
  return rules;
}

}  // namespace

Result<void> confirmNoEscalation(const RbacAuthorizer& rbac, const UserInfo& user, std::string_view ns,
                                 const std::vector<PolicyRule>& rules) {
  auto [owned, resolutionError] = rbac.policyRulesFor(user, ns);
  auto [covered, missing] = covers(owned, rules);
  if (covered) return {};
  std::set<std::string> descriptions;  // kube lists them sorted
  for (const auto& r : compactRules(missing)) descriptions.insert(compactString(r));
  std::string msg = "user \"" + user.name + "\" (groups=" + goQuoteList(user.groups) +
                    ") is attempting to grant RBAC permissions not currently held:";
  for (const auto& d : descriptions) msg += "\n" + d;
  if (!resolutionError.empty()) msg += "; resolution errors: [" + resolutionError + "]";
  return fail(ApiError{403, "Forbidden", std::move(msg), {}});
}

Result<void> EscalationCheck::validate(const AdmissionAttributes& a) {
  if (a.resource == nullptr || a.resource->group != kGroupName || a.operation == Operation::Delete) return {};
  if (a.object == nullptr) return {};
  static const UserInfo kNobody;
  const UserInfo& user = a.user != nullptr ? *a.user : kNobody;
  if (escalationAllowed(user)) return {};
  const std::string& plural = a.resource->plural;
  if (plural == "roles" || plural == "clusterroles") return checkRole(a, user);
  if (plural == "rolebindings" || plural == "clusterrolebindings") return checkBinding(a, user);
  return {};
}

Result<void> EscalationCheck::checkRole(const AdmissionAttributes& a, const UserInfo& user) {
  const json::object& obj = *a.object;
  const GroupResource gr{std::string(kGroupName), a.resource->plural};
  const std::string name(nameOf(obj));
  const bool cluster = a.resource->plural == "clusterroles";
  auto aggregationOf = [](const json::object& o) {
    const json::value* v = o.if_contains("aggregationRule");
    return v != nullptr ? *v : json::value();
  };
  if (a.operation == Operation::Update && a.oldObject != nullptr && rulesOf(obj) == rulesOf(*a.oldObject) &&
      aggregationOf(obj) == aggregationOf(*a.oldObject))
    return {};  // nothing that grants anything changed
  // kube's RoleEscalationAuthorized: the escalate verb on this role (by name on update).
  AuthorizationAttributes attrs;
  attrs.user = &user;
  attrs.verb = "escalate";
  attrs.isResourceRequest = true;
  attrs.apiGroup = kGroupName;
  attrs.apiVersion = "*";
  attrs.resource = a.resource->plural;
  attrs.namespace_ = a.namespace_;
  attrs.name = a.operation == Operation::Update ? std::string_view(name) : std::string_view();
  if (server_->authorize(attrs).allowed()) return {};
  if (auto r = confirmNoEscalation(*rbac_, user, a.namespace_, rulesOf(obj)); !r)
    return fail(ApiError::forbidden(gr, name, r.error().message));
  // An aggregation rule can gather anything: it needs every right there is.
  if (cluster && objectField(obj, "aggregationRule") != nullptr)
    if (!confirmNoEscalation(*rbac_, user, "", fullAuthority()))
      return fail(ApiError::forbidden(gr, name, "must have cluster-admin privileges to use the aggregationRule"));
  return {};
}

Result<void> EscalationCheck::checkBinding(const AdmissionAttributes& a, const UserInfo& user) {
  const json::object& obj = *a.object;
  const GroupResource gr{std::string(kGroupName), a.resource->plural};
  const std::string name(nameOf(obj));
  const RoleRef ref = roleRefOf(obj);
  if (a.operation == Operation::Update && a.oldObject != nullptr && ref == roleRefOf(*a.oldObject) &&
      subjectsOf(obj) == subjectsOf(*a.oldObject))
    return {};  // who is bound to what did not change
  // kube's BindingAuthorized: the bind verb on the referred role, in the binding's namespace.
  AuthorizationAttributes attrs;
  attrs.user = &user;
  attrs.verb = "bind";
  attrs.isResourceRequest = true;
  attrs.namespace_ = a.namespace_;
  attrs.apiGroup = ref.apiGroup;
  attrs.name = ref.name;
  if (ref.kind == "ClusterRole" || ref.kind == "Role") {
    attrs.resource = ref.kind == "ClusterRole" ? "clusterroles" : "roles";
    if (server_->authorize(attrs).allowed()) return {};
  }
  // Otherwise the user must already hold every rule of the role (read consistently, from storage).
  std::vector<PolicyRule> rules;
  if (ref.kind == "ClusterRole" || ref.kind == "Role") {
    const bool clusterRole = ref.kind == "ClusterRole";
    auto role = client_->get({std::string(kGroupName), clusterRole ? "clusterroles" : "roles"},
                             clusterRole ? std::string_view() : a.namespace_, ref.name);
    if (!role) return fail(ApiError::forbidden(gr, name, role.error().message));
    rules = rulesOf(*role);
  } else {
    return fail(ApiError::forbidden(gr, name, "unsupported role reference kind: \"" + ref.kind + "\""));
  }
  if (auto r = confirmNoEscalation(*rbac_, user, a.namespace_, rules); !r)
    return fail(ApiError::forbidden(gr, name, r.error().message));
  return {};
}

}  // namespace apiserver::plugins::rbac
