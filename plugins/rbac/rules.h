#pragma once

#include <apiserver/authorization.h>
#include <apiserver/object.h>

#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// @file rules.h
/// RBAC's vocabulary and its rules about rules: PolicyRule, Subject and RoleRef as
/// rbac.authorization.k8s.io/v1 spells them, whether a rule allows a request (kube's
/// rbac.RuleAllows and the rbacv1helpers matchers), whether a subject names a user
/// (appliesToUser), and whether one set of rules covers another (kube's rbac/validation:
/// Covers, BreakdownRule, CompactRules, CompactString) for escalation prevention.

namespace apiserver::plugins::rbac {

namespace json = boost::json;

inline constexpr std::string_view kGroupName = "rbac.authorization.k8s.io";
inline constexpr std::string_view kVerbAll = "*";
inline constexpr std::string_view kServiceAccountUsernamePrefix = "system:serviceaccount:";

/// PolicyRule is rbacv1.PolicyRule.
struct PolicyRule {
  std::vector<std::string> verbs;
  std::vector<std::string> apiGroups;
  std::vector<std::string> resources;
  std::vector<std::string> resourceNames;
  std::vector<std::string> nonResourceURLs;
  friend bool operator==(const PolicyRule&, const PolicyRule&) = default;
};

/// Subject is rbacv1.Subject.
struct Subject {
  std::string kind;  ///< User, Group or ServiceAccount
  std::string apiGroup;
  std::string name;
  std::string namespace_;
  friend bool operator==(const Subject&, const Subject&) = default;
};

/// RoleRef is rbacv1.RoleRef.
struct RoleRef {
  std::string apiGroup;
  std::string kind;  ///< Role or ClusterRole
  std::string name;
  friend bool operator==(const RoleRef&, const RoleRef&) = default;
};

// --- JSON forms ---

PolicyRule ruleFromJson(const json::object& o);
json::object ruleToJson(const PolicyRule& r);
/// rulesOf reads obj.rules (a Role or ClusterRole).
std::vector<PolicyRule> rulesOf(const json::object& role);
json::array rulesToJson(const std::vector<PolicyRule>& rules);
Subject subjectFromJson(const json::object& o);
json::object subjectToJson(const Subject& s);
/// subjectsOf reads obj.subjects (a binding).
std::vector<Subject> subjectsOf(const json::object& binding);
RoleRef roleRefOf(const json::object& binding);
json::object roleRefToJson(const RoleRef& r);

// --- matching a request (plugin/pkg/auth/authorizer/rbac) ---

bool verbMatches(const PolicyRule& rule, std::string_view verb);
bool apiGroupMatches(const PolicyRule& rule, std::string_view group);
/// resourceMatches matches "pods", "pods/log" (combined) against the rule's resources, "*" and
/// "*/<subresource>" included.
bool resourceMatches(const PolicyRule& rule, std::string_view combinedResource, std::string_view subresource);
bool resourceNameMatches(const PolicyRule& rule, std::string_view name);
/// nonResourceURLMatches: "*" matches all; "/apis/*" matches every path starting with "/apis/".
bool nonResourceURLMatches(const PolicyRule& rule, std::string_view path);
/// ruleAllows is kube's RuleAllows.
bool ruleAllows(const AuthorizationAttributes& attrs, const PolicyRule& rule);

/// serviceAccountUsername is "system:serviceaccount:<namespace>:<name>".
std::string serviceAccountUsername(std::string_view ns, std::string_view name);
/// appliesToUser tells whether `subject` of a binding in `bindingNamespace` ("" for a
/// ClusterRoleBinding) names `user`.
bool appliesToUser(const UserInfo& user, const Subject& subject, std::string_view bindingNamespace);

// --- comparing rules (pkg/registry/rbac/validation) ---

/// breakdownRule splits a rule into rules of one group, resource, verb and resource name each
/// (or one non-resource URL and verb).
std::vector<PolicyRule> breakdownRule(const PolicyRule& rule);
/// ruleCovers tells whether `owner` allows everything the broken-down `sub` allows.
bool ruleCovers(const PolicyRule& owner, const PolicyRule& sub);
/// covers tells whether `owner` rules allow everything `servant` rules do; the second member
/// lists the broken-down servant rules that are not covered.
std::pair<bool, std::vector<PolicyRule>> covers(const std::vector<PolicyRule>& owner,
                                                const std::vector<PolicyRule>& servant);
/// compactRules merges rules of a single group and resource that differ only in verbs.
std::vector<PolicyRule> compactRules(const std::vector<PolicyRule>& rules);
/// compactString renders a rule as kube's escalation messages do:
/// {APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}.
std::string compactString(const PolicyRule& rule);
/// goQuoteList renders a []string as Go's %q does: ["a" "b"].
std::string goQuoteList(const std::vector<std::string>& list);

}  // namespace apiserver::plugins::rbac
