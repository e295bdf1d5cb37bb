// The RBAC authorizer: kube's TestAuthorizer cases (plugin/pkg/auth/authorizer/rbac/rbac_test.go),
// the reasons it gives, rulesFor, and the policy sync that feeds it.
#include "test_support.h"

#include "rbac/authorizer.h"
#include "rbac/policy_sync.h"

#include <gtest/gtest.h>

namespace apiserver::plugins::rbac {
namespace {

using testing::newRule;
using testing::pathRequest;
using testing::resourceRequest;
using testing::ruleList;
using testing::subjects;
using testing::user;

BindingRecord roleBinding(std::string ns, std::string name, std::string kind, std::string role,
                          std::vector<std::string> subs) {
  return {std::move(ns), std::move(name), {std::string(kGroupName), std::move(kind), std::move(role)}, subjects(subs)};
}
BindingRecord clusterRoleBinding(std::string role, std::vector<std::string> subs) {
  return {"", role, {std::string(kGroupName), "ClusterRole", role}, subjects(subs)};
}

std::shared_ptr<RbacAuthorizer> authorizerFor(const PolicyObjects& objects) {
  auto a = std::make_shared<RbacAuthorizer>();
  a->publish(PolicyIndex::build(objects));
  return a;
}

bool allowed(const RbacAuthorizer& a, const testing::Attrs& attrs) { return a.authorize(attrs.view()).allowed(); }

TEST(RbacAuthorizer, NamespacedAdminThroughClusterRole) {
  PolicyObjects o;
  o.clusterRoles["admin"] = ruleList({newRule("*", "*", "*", "*")});
  o.roleBindings["ns1/admin"] = roleBinding("ns1", "admin", "ClusterRole", "admin", {"User:admin", "Group:admins"});
  auto a = authorizerFor(o);
  for (const auto& ok : {resourceRequest(user("admin"), "get", "Pods", "", "ns1"),
                         resourceRequest(user("admin"), "watch", "Pods", "", "ns1"),
                         resourceRequest(user("admin", "group1"), "watch", "Foobar", "", "ns1"),
                         resourceRequest(user("joe", "admins"), "watch", "Foobar", "", "ns1"),
                         resourceRequest(user("joe", "group1,admins"), "watch", "Foobar", "", "ns1")})
    EXPECT_TRUE(allowed(*a, ok)) << ok.u.name << " " << ok.verb << " " << ok.resource;
  for (const auto& no : {resourceRequest(user("admin"), "GET", "Pods", "", "ns2"),
                         resourceRequest(user("admin"), "GET", "Nodes", "", ""),
                         resourceRequest(user("admin", "admins"), "GET", "Pods", "", "ns2"),
                         resourceRequest(user("admin", "admins"), "GET", "Nodes", "", "")})
    EXPECT_FALSE(allowed(*a, no)) << no.u.name << " " << no.verb << " " << no.resource << " " << no.ns;
}

TEST(RbacAuthorizer, NonResourceURLs) {
  PolicyObjects o;
  o.clusterRoles["non-resource-url-getter"] = ruleList({newRule("get", "", "", "/apis")});
  o.clusterRoles["non-resource-url"] = ruleList({newRule("*", "", "", "/apis")});
  o.clusterRoles["non-resource-url-prefix"] = ruleList({newRule("get", "", "", "/apis/*")});
  o.clusterRoleBindings["non-resource-url-getter"] = clusterRoleBinding("non-resource-url-getter", {"User:foo", "Group:bar"});
  o.clusterRoleBindings["non-resource-url"] = clusterRoleBinding("non-resource-url", {"User:admin", "Group:admin"});
  o.clusterRoleBindings["non-resource-url-prefix"] = clusterRoleBinding("non-resource-url-prefix", {"User:prefixed", "Group:prefixed"});
  auto a = authorizerFor(o);
  for (const auto& ok : {pathRequest(user("foo"), "get", "/apis"), pathRequest(user("", "bar"), "get", "/apis"),
                         pathRequest(user("admin"), "get", "/apis"), pathRequest(user("", "admin"), "get", "/apis"),
                         pathRequest(user("admin"), "watch", "/apis"), pathRequest(user("", "admin"), "watch", "/apis"),
                         pathRequest(user("prefixed"), "get", "/apis/v1"), pathRequest(user("", "prefixed"), "get", "/apis/v1"),
                         pathRequest(user("prefixed"), "get", "/apis/v1/foobar"),
                         pathRequest(user("", "prefixed"), "get", "/apis/v1/foorbar")})
    EXPECT_TRUE(allowed(*a, ok)) << ok.u.name << " " << ok.verb << " " << ok.path;
  for (const auto& no : {pathRequest(user("foo"), "watch", "/apis"), pathRequest(user("", "bar"), "watch", "/apis"),
                         pathRequest(user("foo"), "get", "/api/v1"), pathRequest(user("", "bar"), "get", "/api/v1"),
                         pathRequest(user("admin"), "get", "/api/v1"), pathRequest(user("", "admin"), "get", "/api/v1"),
                         pathRequest(user("prefixed"), "get", "/api/v1"), pathRequest(user("", "prefixed"), "get", "/api/v1")})
    EXPECT_FALSE(allowed(*a, no)) << no.u.name << " " << no.verb << " " << no.path;
}

TEST(RbacAuthorizer, SubresourceResolution) {
  PolicyObjects o;
  o.clusterRoles["admin"] = ruleList({newRule("*", "*", "pods", "*")});
  o.roleBindings["ns1/admin"] = roleBinding("ns1", "admin", "ClusterRole", "admin", {"User:admin", "Group:admins"});
  auto a = authorizerFor(o);
  EXPECT_TRUE(allowed(*a, resourceRequest(user("admin"), "get", "pods", "", "ns1")));
  EXPECT_FALSE(allowed(*a, resourceRequest(user("admin"), "get", "pods", "status", "ns1")));

  PolicyObjects o2;
  o2.clusterRoles["admin"] = ruleList({newRule("*", "*", "pods/status", "*"), newRule("*", "*", "*/scale", "*")});
  o2.roleBindings["ns1/admin"] = roleBinding("ns1", "admin", "ClusterRole", "admin", {"User:admin", "Group:admins"});
  auto b = authorizerFor(o2);
  EXPECT_TRUE(allowed(*b, resourceRequest(user("admin"), "get", "pods", "status", "ns1")));
  EXPECT_TRUE(allowed(*b, resourceRequest(user("admin"), "get", "pods", "scale", "ns1")));
  EXPECT_TRUE(allowed(*b, resourceRequest(user("admin"), "get", "deployments", "scale", "ns1")));
  EXPECT_TRUE(allowed(*b, resourceRequest(user("admin"), "get", "anything", "scale", "ns1")));
  EXPECT_FALSE(allowed(*b, resourceRequest(user("admin"), "get", "pods", "", "ns1")));
}

TEST(RbacAuthorizer, RolesInTheirNamespaceOnly) {
  PolicyObjects o;
  o.roles["ns1/reader"] = ruleList({newRule("get,list", "", "pods", "")});
  o.roleBindings["ns1/r"] = roleBinding("ns1", "r", "Role", "reader", {"User:alice"});
  // A binding in ns2 to a role named reader finds no reader in ns2.
  o.roleBindings["ns2/r"] = roleBinding("ns2", "r", "Role", "reader", {"User:alice"});
  auto a = authorizerFor(o);
  EXPECT_TRUE(allowed(*a, resourceRequest(user("alice"), "list", "pods", "", "ns1")));
  EXPECT_FALSE(allowed(*a, resourceRequest(user("alice"), "list", "pods", "", "ns2")));
  EXPECT_FALSE(allowed(*a, resourceRequest(user("alice"), "list", "pods", "", "")));  // all namespaces
  auto d = a->authorize(resourceRequest(user("alice"), "list", "pods", "", "ns2").view());
  EXPECT_EQ(d.decision, Decision::NoOpinion);
  EXPECT_EQ(d.reason, "RBAC: role.rbac.authorization.k8s.io \"reader\" not found");
}

TEST(RbacAuthorizer, ServiceAccountsByUsername) {
  PolicyObjects o;
  o.clusterRoles["view"] = ruleList({newRule("get", "", "pods", "")});
  o.roleBindings["ns1/sa"] = roleBinding("ns1", "sa", "ClusterRole", "view", {"ServiceAccount:builder"});
  o.clusterRoleBindings["cluster-sa"] = {"", "cluster-sa", {std::string(kGroupName), "ClusterRole", "view"},
                                         subjects({"ServiceAccount:ns9:deployer"})};
  auto a = authorizerFor(o);
  EXPECT_TRUE(allowed(*a, resourceRequest(user("system:serviceaccount:ns1:builder"), "get", "pods", "", "ns1")));
  EXPECT_FALSE(allowed(*a, resourceRequest(user("system:serviceaccount:ns2:builder"), "get", "pods", "", "ns1")));
  EXPECT_TRUE(allowed(*a, resourceRequest(user("system:serviceaccount:ns9:deployer"), "get", "pods", "", "ns3")));
}

TEST(RbacAuthorizer, ReasonNamesTheBindingLikeKube) {
  PolicyObjects o;
  o.clusterRoles["cluster-admin"] = ruleList({newRule("*", "*", "*", ""), newRule("*", "", "", "*")});
  o.clusterRoleBindings["cluster-admin"] = clusterRoleBinding("cluster-admin", {"Group:system:masters"});
  o.clusterRoles["view"] = ruleList({newRule("get", "", "pods", "")});
  o.roleBindings["team/v"] = roleBinding("team", "v", "ClusterRole", "view", {"ServiceAccount:bot"});
  auto a = authorizerFor(o);
  auto d = a->authorize(resourceRequest(user("root", "system:masters"), "delete", "nodes", "", "").view());
  EXPECT_EQ(d.decision, Decision::Allow);
  EXPECT_EQ(d.reason,
            "RBAC: allowed by ClusterRoleBinding \"cluster-admin\" of ClusterRole \"cluster-admin\" to Group "
            "\"system:masters\"");
  d = a->authorize(resourceRequest(user("system:serviceaccount:team:bot"), "get", "pods", "", "team").view());
  EXPECT_EQ(d.reason, "RBAC: allowed by RoleBinding \"v/team\" of ClusterRole \"view\" to ServiceAccount \"bot/team\"");
}

TEST(RbacAuthorizer, MissingRolesAreReportedOnlyWhenDenied) {
  PolicyObjects o;
  o.clusterRoleBindings["a"] = clusterRoleBinding("gone", {"User:alice"});
  o.clusterRoleBindings["b"] = clusterRoleBinding("also-gone", {"Group:devs"});
  auto a = authorizerFor(o);
  auto d = a->authorize(resourceRequest(user("alice", "devs"), "get", "pods", "", "ns").view());
  EXPECT_EQ(d.decision, Decision::NoOpinion);
  EXPECT_EQ(d.reason,
            "RBAC: [clusterrole.rbac.authorization.k8s.io \"gone\" not found, clusterrole.rbac.authorization.k8s.io "
            "\"also-gone\" not found]");
  EXPECT_TRUE(d.error.empty());
}

TEST(RbacAuthorizer, EmptyIndexHasNoOpinion) {
  RbacAuthorizer a;
  auto d = a.authorize(resourceRequest(user("alice"), "get", "pods", "", "ns").view());
  EXPECT_EQ(d.decision, Decision::NoOpinion);
  EXPECT_TRUE(d.reason.empty());
}

TEST(RbacAuthorizer, RulesForListsEachBindingOnce) {
  PolicyObjects o;
  o.clusterRoles["view"] = ruleList({newRule("get,list", "", "pods", ""), newRule("get", "", "", "/healthz")});
  // alice is named both as a user and through a group: the rules are listed once.
  o.roleBindings["ns1/v"] = roleBinding("ns1", "v", "ClusterRole", "view", {"User:alice", "Group:devs"});
  o.clusterRoleBindings["gone"] = clusterRoleBinding("gone", {"User:alice"});
  auto a = authorizerFor(o);
  auto rules = a->rulesFor(user("alice", "devs"), "ns1");
  ASSERT_EQ(rules.resourceRules.size(), 1u);
  EXPECT_EQ(rules.resourceRules[0].resources, std::vector<std::string>{"pods"});
  ASSERT_EQ(rules.nonResourceRules.size(), 1u);
  EXPECT_EQ(rules.error, "clusterrole.rbac.authorization.k8s.io \"gone\" not found");
  EXPECT_FALSE(rules.incomplete);
  EXPECT_TRUE(a->rulesFor(user("alice", "devs"), "ns2").resourceRules.empty());
}

TEST(PolicySync, AppliesEventsAndIgnoresOlderStates) {
  auto authorizer = std::make_shared<RbacAuthorizer>();
  testing::NullLogger log;
  PolicySync sync(authorizer, log);
  auto role = json::object{{"metadata", json::object{{"name", "reader"}, {"namespace", "ns1"}, {"resourceVersion", "5"}}},
                           {"rules", json::array{ruleToJson(newRule("get", "", "pods", ""))}}};
  auto binding = json::object{
      {"metadata", json::object{{"name", "rb"}, {"namespace", "ns1"}, {"resourceVersion", "6"}}},
      {"roleRef", roleRefToJson({std::string(kGroupName), "Role", "reader"})},
      {"subjects", json::array{subjectToJson({"User", std::string(kGroupName), "alice", ""})}}};
  sync.apply(PolicySync::Kind::Role, ObjectEvent::Type::Added, role);
  sync.apply(PolicySync::Kind::RoleBinding, ObjectEvent::Type::Added, binding);
  sync.rebuild();
  auto get = resourceRequest(user("alice"), "get", "pods", "", "ns1");
  EXPECT_TRUE(authorizer->authorize(get.view()).allowed());
  // A replayed older state (a watch opened before the list) does not undo the newer one.
  auto older = role;
  metadata(older)["resourceVersion"] = "3";
  older["rules"] = json::array();
  sync.apply(PolicySync::Kind::Role, ObjectEvent::Type::Modified, older);
  sync.rebuild();
  EXPECT_TRUE(authorizer->authorize(get.view()).allowed());
  auto gone = binding;
  metadata(gone)["resourceVersion"] = "9";
  sync.apply(PolicySync::Kind::RoleBinding, ObjectEvent::Type::Deleted, gone);
  sync.rebuild();
  EXPECT_FALSE(authorizer->authorize(get.view()).allowed());
}

}  // namespace
}  // namespace apiserver::plugins::rbac
