#pragma once

#include "rbac/rules.h"

#include <apiserver/authorization.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

/// @file authorizer.h
/// The RBAC authorizer (kube's plugin/pkg/auth/authorizer/rbac): a request is allowed when a
/// rule of a role bound to the user (by name, group or service account) allows it. Decisions
/// read an immutable PolicyIndex built whenever roles or bindings change: the rules of every
/// binding are resolved and filed under each of its subjects, cluster-wide or per namespace, so
/// that a request costs a few hash lookups and rule matches, no parsing and no lock.

namespace apiserver::plugins::rbac {

using RuleList = std::shared_ptr<const std::vector<PolicyRule>>;

/// StringHash lets the index be searched with a string_view, without building a string.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
template <class V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

/// BindingRecord is a RoleBinding or ClusterRoleBinding as the index needs it.
struct BindingRecord {
  std::string namespace_;  ///< "" for a ClusterRoleBinding
  std::string name;
  RoleRef roleRef;
  std::vector<Subject> subjects;
};

/// PolicyObjects are the RBAC objects decisions are made from, parsed.
struct PolicyObjects {
  std::map<std::string, RuleList> clusterRoles;               ///< by name
  std::map<std::string, RuleList> roles;                      ///< by "namespace/name"
  std::map<std::string, BindingRecord> clusterRoleBindings;   ///< by name
  std::map<std::string, BindingRecord> roleBindings;          ///< by "namespace/name"
};

/// bindingRecordOf parses a binding object.
BindingRecord bindingRecordOf(const json::object& binding);

/// Grant is what one binding gives one of its subjects.
struct Grant {
  RuleList rules;             ///< null when the role could not be found (see error)
  std::string error;          ///< `clusterrole.rbac.authorization.k8s.io "x" not found`
  std::string allowedReason;  ///< `RBAC: allowed by ClusterRoleBinding "x" of ClusterRole "y" to User "z"`
  std::size_t binding = 0;    ///< which binding (one number per binding object)
};

/// PolicyIndex files every binding's grants under its subjects. Immutable.
class PolicyIndex {
 public:
  static std::shared_ptr<const PolicyIndex> build(const PolicyObjects& objects);

  /// visit calls fn(const Grant&) for every grant that applies to `user` in `ns` (cluster-wide
  /// grants first, then those of the namespace's role bindings) until fn returns false.
  template <class Fn>
  void visit(const UserInfo& user, std::string_view ns, Fn&& fn) const {
    if (!visitSubjects(cluster_, user, fn)) return;
    if (ns.empty()) return;
    auto it = namespaces_.find(ns);
    if (it != namespaces_.end()) visitSubjects(it->second, user, fn);
  }

 private:
  struct Subjects {
    StringMap<std::vector<Grant>> users;  ///< user names, service accounts' included
    StringMap<std::vector<Grant>> groups;
  };
  template <class Fn>
  static bool visitSubjects(const Subjects& s, const UserInfo& user, Fn& fn) {
    if (auto it = s.users.find(user.name); it != s.users.end())
      for (const auto& g : it->second)
        if (!fn(g)) return false;
    for (const auto& group : user.groups)
      if (auto it = s.groups.find(group); it != s.groups.end())
        for (const auto& g : it->second)
          if (!fn(g)) return false;
    return true;
  }

  Subjects cluster_;
  StringMap<Subjects> namespaces_;
};

/// RbacAuthorizer decides from the latest PolicyIndex. Thread-safe.
class RbacAuthorizer final : public Authorizer {
 public:
  RbacAuthorizer();

  AuthorizationDecision authorize(const AuthorizationAttributes& attrs) const override;
  SubjectRules rulesFor(const UserInfo& user, std::string_view ns) const override;

  /// policyRulesFor is every rule `user` holds in `ns` and the errors met resolving them
  /// (kube's DefaultRuleResolver.RulesFor), for escalation checks.
  std::pair<std::vector<PolicyRule>, std::string> policyRulesFor(const UserInfo& user, std::string_view ns) const;

  /// publish makes `index` the one decisions are made from.
  void publish(std::shared_ptr<const PolicyIndex> index) { index_.store(std::move(index)); }

 private:
  std::atomic<std::shared_ptr<const PolicyIndex>> index_;
};

}  // namespace apiserver::plugins::rbac
