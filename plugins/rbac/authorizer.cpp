#include "rbac/authorizer.h"

#include <set>

namespace apiserver::plugins::rbac {

namespace {

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// describeSubject is kube's describeSubject: `User "alice"`, `ServiceAccount "name/namespace"`.
std::string describeSubject(const Subject& s, std::string_view bindingNamespace) {
  if (s.kind == "ServiceAccount")
    return s.kind + " " + quote(s.name + "/" + std::string(s.namespace_.empty() ? bindingNamespace : s.namespace_));
  return s.kind + " " + quote(s.name);
}

std::string aggregate(const std::vector<std::string>& errors) {
  if (errors.size() == 1) return errors.front();
  std::string out = "[";
  for (std::size_t i = 0; i < errors.size(); ++i) out += (i ? ", " : "") + errors[i];
  return out + "]";
}

}  // namespace

BindingRecord bindingRecordOf(const json::object& binding) {
  return {std::string(namespaceOf(binding)), std::string(nameOf(binding)), roleRefOf(binding), subjectsOf(binding)};
}

std::shared_ptr<const PolicyIndex> PolicyIndex::build(const PolicyObjects& objects) {
  auto index = std::make_shared<PolicyIndex>();
  std::size_t bindingNumber = 0;
  auto file = [&](Subjects& target, const BindingRecord& b) {
    ++bindingNumber;
    // Resolve the role once per binding (kube's GetRoleReferenceRules).
    RuleList rules;
    std::string error;
    if (b.roleRef.kind == "ClusterRole") {
      auto it = objects.clusterRoles.find(b.roleRef.name);
      if (it != objects.clusterRoles.end()) rules = it->second;
      else error = "clusterrole.rbac.authorization.k8s.io " + quote(b.roleRef.name) + " not found";
    } else if (b.roleRef.kind == "Role" && !b.namespace_.empty()) {
      auto it = objects.roles.find(b.namespace_ + "/" + b.roleRef.name);
      if (it != objects.roles.end()) rules = it->second;
      else error = "role.rbac.authorization.k8s.io " + quote(b.roleRef.name) + " not found";
    } else {
      error = "unsupported role reference kind: " + quote(b.roleRef.kind);
    }
    const std::string bindingText = b.namespace_.empty()
                                        ? "ClusterRoleBinding " + quote(b.name)
                                        : "RoleBinding " + quote(b.name + "/" + b.namespace_);
    std::set<std::pair<std::string, bool>> filed;  // a subject named twice in one binding counts once
    for (const auto& s : b.subjects) {
      std::string key;
      bool group = false;
      if (s.kind == "User") {
        key = s.name;
      } else if (s.kind == "Group") {
        key = s.name;
        group = true;
      } else if (s.kind == "ServiceAccount") {
        std::string_view ns = s.namespace_.empty() ? std::string_view(b.namespace_) : std::string_view(s.namespace_);
        if (ns.empty()) continue;  // a cluster-wide binding must name the account's namespace
        key = serviceAccountUsername(ns, s.name);
      } else {
        continue;  // kube ignores subjects of unknown kinds
      }
      if (!filed.insert({key, group}).second) continue;
      Grant g;
      g.rules = rules;
      g.error = error;
      g.binding = bindingNumber;
      if (rules)
        g.allowedReason = "RBAC: allowed by " + bindingText + " of " + b.roleRef.kind + " " + quote(b.roleRef.name) +
                          " to " + describeSubject(s, b.namespace_);
      (group ? target.groups : target.users)[key].push_back(std::move(g));
    }
  };
  for (const auto& [name, b] : objects.clusterRoleBindings) file(index->cluster_, b);
  for (const auto& [key, b] : objects.roleBindings) file(index->namespaces_[b.namespace_], b);
  return index;
}

RbacAuthorizer::RbacAuthorizer() { index_.store(std::make_shared<const PolicyIndex>()); }

AuthorizationDecision RbacAuthorizer::authorize(const AuthorizationAttributes& attrs) const {
  static const UserInfo kNobody;
  const UserInfo& user = attrs.user != nullptr ? *attrs.user : kNobody;
  auto index = index_.load();
  const Grant* allowedBy = nullptr;
  std::vector<std::string> errors;
  index->visit(user, attrs.namespace_, [&](const Grant& g) {
    if (!g.rules) {
      errors.push_back(g.error);
      return true;
    }
    for (const auto& rule : *g.rules)
      if (ruleAllows(attrs, rule)) {
        allowedBy = &g;
        return false;
      }
    return true;
  });
  if (allowedBy != nullptr) return {Decision::Allow, allowedBy->allowedReason, {}};
  AuthorizationDecision d;
  if (!errors.empty()) d.reason = "RBAC: " + aggregate(errors);
  return d;
}

std::pair<std::vector<PolicyRule>, std::string> RbacAuthorizer::policyRulesFor(const UserInfo& user,
                                                                               std::string_view ns) const {
  auto index = index_.load();
  std::vector<PolicyRule> rules;
  std::vector<std::string> errors;
  std::set<std::size_t> seen;  // each binding once, however many of its subjects apply
  index->visit(user, ns, [&](const Grant& g) {
    if (!seen.insert(g.binding).second) return true;
    if (!g.rules) {
      errors.push_back(g.error);
      return true;
    }
    rules.insert(rules.end(), g.rules->begin(), g.rules->end());
    return true;
  });
  return {std::move(rules), errors.empty() ? std::string() : aggregate(errors)};
}

SubjectRules RbacAuthorizer::rulesFor(const UserInfo& user, std::string_view ns) const {
  auto [rules, error] = policyRulesFor(user, ns);
  SubjectRules out;
  out.error = std::move(error);
  for (auto& r : rules) {
    if (!r.resources.empty()) out.resourceRules.push_back({r.verbs, r.apiGroups, r.resources, r.resourceNames});
    if (!r.nonResourceURLs.empty()) out.nonResourceRules.push_back({r.verbs, r.nonResourceURLs});
  }
  return out;
}

}  // namespace apiserver::plugins::rbac
