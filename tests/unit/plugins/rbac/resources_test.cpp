// The RBAC kinds: kube's defaulting, validation (pkg/apis/rbac/validation) with its messages,
// and Table rows (kube's printers).
#include "test_support.h"

#include "rbac/resources.h"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace apiserver::plugins::rbac {
namespace {

json::object parse(std::string_view s) { return boost::json::parse(s).as_object(); }

std::string message(const ResourceSpec& spec, const FieldErrors& errs) {
  return ApiError::invalid({spec.group, spec.kind}, "x", errs).message;
}

TEST(RoleValidation, PolicyRules) {
  auto s = roleStrategy();
  EXPECT_TRUE(s->validate(parse(R"({"rules":[{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}]})")).empty());
  EXPECT_EQ(message(roleSpec(), s->validate(parse(R"({"rules":[{"apiGroups":[""],"resources":["pods"]}]})"))),
            "Role.rbac.authorization.k8s.io \"x\" is invalid: rules[0].verbs: Required value: verbs must contain at "
            "least one value");
  EXPECT_EQ(message(roleSpec(), s->validate(parse(R"({"rules":[{"verbs":["get"]}]})"))),
            "Role.rbac.authorization.k8s.io \"x\" is invalid: [rules[0].apiGroups: Required value: resource rules must "
            "supply at least one api group, rules[0].resources: Required value: resource rules must supply at least "
            "one resource]");
  // A namespaced role cannot name non-resource URLs.
  EXPECT_EQ(message(roleSpec(), s->validate(parse(R"({"rules":[{"verbs":["get"],"nonResourceURLs":["/healthz"]}]})"))),
            "Role.rbac.authorization.k8s.io \"x\" is invalid: rules[0].nonResourceURLs: Invalid value: "
            "[]string{\"/healthz\"}: namespaced rules cannot apply to non-resource URLs");
}

TEST(ClusterRoleValidation, NonResourceURLsAndAggregation) {
  auto s = clusterRoleStrategy();
  EXPECT_TRUE(s->validate(parse(R"({"rules":[{"verbs":["get"],"nonResourceURLs":["/healthz"]}]})")).empty());
  EXPECT_EQ(message(clusterRoleSpec(),
                    s->validate(parse(R"({"rules":[{"verbs":["get"],"resources":["pods"],"nonResourceURLs":["/x"]}]})"))),
            "ClusterRole.rbac.authorization.k8s.io \"x\" is invalid: rules[0].nonResourceURLs: Invalid value: "
            "[]string{\"/x\"}: rules cannot apply to both regular resources and non-resource URLs");
  EXPECT_EQ(message(clusterRoleSpec(), s->validate(parse(R"({"aggregationRule":{"clusterRoleSelectors":[]}})"))),
            "ClusterRole.rbac.authorization.k8s.io \"x\" is invalid: aggregationRule.clusterRoleSelectors: Required "
            "value: at least one clusterRoleSelector required if aggregationRule is non-nil");
  auto bad = s->validate(parse(
      R"({"aggregationRule":{"clusterRoleSelectors":[{"matchExpressions":[{"key":"a","operator":"In"}]}]}})"));
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0].field, "aggregationRule.clusterRoleSelectors[0].matchExpressions[0].values");
}

TEST(BindingDefaults, ApiGroups) {
  auto s = roleBindingStrategy();
  json::object b = parse(R"({"roleRef":{"kind":"ClusterRole","name":"view"},
      "subjects":[{"kind":"User","name":"a"},{"kind":"Group","name":"g"},{"kind":"ServiceAccount","name":"s"}]})");
  s->prepareForCreate(b);
  EXPECT_EQ(stringField(b, "", "roleRef", "apiGroup"), "rbac.authorization.k8s.io");
  auto subs = subjectsOf(b);
  EXPECT_EQ(subs[0].apiGroup, "rbac.authorization.k8s.io");
  EXPECT_EQ(subs[1].apiGroup, "rbac.authorization.k8s.io");
  EXPECT_EQ(subs[2].apiGroup, "");
  EXPECT_TRUE(s->validate(b).empty());
}

TEST(BindingValidation, KubesMessages) {
  auto rb = roleBindingStrategy();
  auto crb = clusterRoleBindingStrategy();
  EXPECT_EQ(message(roleBindingSpec(), rb->validate(parse(
                                           R"({"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Pod","name":"v"}})"))),
            "RoleBinding.rbac.authorization.k8s.io \"x\" is invalid: roleRef.kind: Unsupported value: \"Pod\": "
            "supported values: \"Role\", \"ClusterRole\"");
  EXPECT_EQ(message(clusterRoleBindingSpec(),
                    crb->validate(parse(R"({"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"v"}})"))),
            "ClusterRoleBinding.rbac.authorization.k8s.io \"x\" is invalid: roleRef.kind: Unsupported value: \"Role\": "
            "supported values: \"ClusterRole\"");
  EXPECT_EQ(message(roleBindingSpec(), rb->validate(parse(R"({"roleRef":{"apiGroup":"other","kind":"Role","name":""}})"))),
            "RoleBinding.rbac.authorization.k8s.io \"x\" is invalid: [roleRef.apiGroup: Unsupported value: \"other\": "
            "supported values: \"rbac.authorization.k8s.io\", roleRef.name: Required value]");
  // A cluster-wide binding's service account must say its namespace.
  auto errs = crb->validate(parse(R"({"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"v"},
      "subjects":[{"kind":"ServiceAccount","name":"s"},{"kind":"Robot","name":"r"},{"kind":"User","name":""}]})"));
  EXPECT_EQ(message(clusterRoleBindingSpec(), errs),
            "ClusterRoleBinding.rbac.authorization.k8s.io \"x\" is invalid: [subjects[0].namespace: Required value, "
            "subjects[1].kind: Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\", "
            "subjects[2].name: Required value, subjects[2].apiGroup: Unsupported value: \"\": supported values: "
            "\"rbac.authorization.k8s.io\"]");
}

TEST(BindingValidation, RoleRefIsImmutable) {
  auto rb = roleBindingStrategy();
  auto old = parse(R"({"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"}})");
  auto next = parse(R"({"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"edit"}})");
  EXPECT_EQ(message(roleBindingSpec(), rb->validateUpdate(next, old)),
            "RoleBinding.rbac.authorization.k8s.io \"x\" is invalid: roleRef: Invalid value: "
            "rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"ClusterRole\", Name:\"edit\"}: cannot change "
            "roleRef");
  EXPECT_TRUE(rb->validateUpdate(old, old).empty());
}

TEST(Tables, KubesColumns) {
  auto role = roleStrategy();
  auto cols = role->tableColumns();
  ASSERT_EQ(cols.size(), 2u);
  EXPECT_EQ(cols[1].name, "Created At");
  auto row = role->tableRow(parse(R"({"metadata":{"name":"r","creationTimestamp":"2024-05-01T10:00:00Z"}})"), {});
  EXPECT_EQ(row[1].as_string(), "2024-05-01T10:00:00Z");

  auto rb = roleBindingStrategy();
  auto bcols = rb->tableColumns();
  ASSERT_EQ(bcols.size(), 6u);
  EXPECT_EQ(bcols[1].name, "Role");
  EXPECT_EQ(bcols[3].priority, 1);
  auto brow = rb->tableRow(parse(R"({"metadata":{"name":"b","creationTimestamp":"2024-05-01T10:00:00Z"},
      "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},
      "subjects":[{"kind":"User","name":"a"},{"kind":"User","name":"b"},{"kind":"Group","name":"g"},
                  {"kind":"ServiceAccount","name":"s","namespace":"ns"}]})"),
                           *parseTime("2024-05-01T10:00:30Z"));
  EXPECT_EQ(brow[1].as_string(), "ClusterRole/view");
  EXPECT_EQ(brow[2].as_string(), "30s");
  EXPECT_EQ(brow[3].as_string(), "a, b");
  EXPECT_EQ(brow[4].as_string(), "g");
  EXPECT_EQ(brow[5].as_string(), "ns/s");
}

TEST(Specs, GroupScopeAndSchema) {
  EXPECT_EQ(roleSpec().groupVersion(), "rbac.authorization.k8s.io/v1");
  EXPECT_EQ(roleSpec().scope, Scope::Namespaced);
  EXPECT_EQ(clusterRoleSpec().scope, Scope::Cluster);
  EXPECT_EQ(clusterRoleBindingSpec().plural, "clusterrolebindings");
  EXPECT_EQ(roleBindingSpec().nameRule, NameRule::PathSegment);  // "system:basic-user" is a valid name
  auto s = clusterRoleSpec();
  EXPECT_EQ(s.schemaName, "io.k8s.api.rbac.v1.ClusterRole");
  EXPECT_FALSE(s.schema.empty());
  EXPECT_TRUE(s.definitions.contains("io.k8s.api.rbac.v1.PolicyRule"));
  EXPECT_TRUE(s.definitions.contains("io.k8s.api.rbac.v1.AggregationRule"));
  EXPECT_TRUE(s.definitions.contains("io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"));
}

}  // namespace
}  // namespace apiserver::plugins::rbac
