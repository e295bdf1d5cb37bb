// The bootstrap policy's shape (as kube's testdata/cluster-roles.yaml and
// cluster-role-bindings.yaml have it), reconciliation, and clusterrole aggregation.
#include "test_support.h"

#include "rbac/aggregation.h"
#include "rbac/authorizer.h"
#include "rbac/bootstrap.h"

#include <gtest/gtest.h>

#include <map>

namespace apiserver::plugins::rbac {
namespace {

using testing::pathRequest;
using testing::resourceRequest;
using testing::user;

std::map<std::string, json::object> byName(const std::vector<json::object>& objs) {
  std::map<std::string, json::object> m;
  for (const auto& o : objs) m[std::string(nameOf(o))] = o;
  return m;
}

/// aggregateAll runs the aggregation to a fixed point over the bootstrap roles, as the
/// controller does.
std::vector<json::object> aggregated() {
  auto roles = bootstrapClusterRoles();
  for (int round = 0; round < 5; ++round)
    for (auto& r : roles)
      if (objectField(r, "aggregationRule") != nullptr) r["rules"] = aggregatedRules(r, roles);
  return roles;
}

std::shared_ptr<RbacAuthorizer> bootstrapAuthorizer() {
  PolicyObjects o;
  for (const auto& r : aggregated())
    o.clusterRoles[std::string(nameOf(r))] = std::make_shared<const std::vector<PolicyRule>>(rulesOf(r));
  for (const auto& b : bootstrapClusterRoleBindings()) o.clusterRoleBindings[std::string(nameOf(b))] = bindingRecordOf(b);
  auto a = std::make_shared<RbacAuthorizer>();
  a->publish(PolicyIndex::build(o));
  return a;
}

TEST(BootstrapPolicy, RolesAndTheirMetadataAreKubes) {
  auto roles = byName(bootstrapClusterRoles());
  for (const char* name : {"cluster-admin", "system:discovery", "system:basic-user", "system:public-info-viewer",
                           "system:monitoring", "admin", "edit", "view", "system:aggregate-to-admin",
                           "system:aggregate-to-edit", "system:aggregate-to-view"})
    ASSERT_TRUE(roles.count(name)) << name;
  for (const auto& [name, r] : roles) {
    EXPECT_EQ(stringField(r, "", "metadata", "labels", "kubernetes.io/bootstrapping"), "rbac-defaults") << name;
    EXPECT_EQ(stringField(r, "", "metadata", "annotations", "rbac.authorization.kubernetes.io/autoupdate"), "true") << name;
    EXPECT_EQ(stringField(r, "", "apiVersion"), "rbac.authorization.k8s.io/v1");
    EXPECT_EQ(stringField(r, "", "kind"), "ClusterRole");
  }
  EXPECT_EQ(rulesOf(roles["cluster-admin"]),
            (std::vector<PolicyRule>{{{"*"}, {"*"}, {"*"}, {}, {}}, {{"*"}, {}, {}, {}, {"*"}}}));
  // admin, edit and view are aggregated; edit feeds admin and view feeds edit.
  ASSERT_NE(arrayField(roles["admin"], "aggregationRule", "clusterRoleSelectors"), nullptr);
  EXPECT_EQ(stringField(roles["edit"], "", "metadata", "labels", "rbac.authorization.k8s.io/aggregate-to-admin"), "true");
  EXPECT_EQ(stringField(roles["view"], "", "metadata", "labels", "rbac.authorization.k8s.io/aggregate-to-edit"), "true");
  EXPECT_EQ(stringField(roles["system:aggregate-to-view"], "", "metadata", "labels",
                        "rbac.authorization.k8s.io/aggregate-to-view"),
            "true");
  // kube sorts each rule's lists (its rule builder uses sets).
  auto discovery = rulesOf(roles["system:discovery"]);
  ASSERT_EQ(discovery.size(), 1u);
  EXPECT_EQ(discovery[0].nonResourceURLs, (std::vector<std::string>{"/api", "/api/*", "/apis", "/apis/*", "/healthz",
                                                                     "/livez", "/openapi", "/openapi/*", "/readyz",
                                                                     "/version", "/version/"}));
}

TEST(BootstrapPolicy, BindingsAreKubes) {
  auto bindings = byName(bootstrapClusterRoleBindings());
  auto subjectsOfBinding = [&](const char* name) {
    std::vector<std::string> out;
    for (const auto& s : subjectsOf(bindings.at(name))) out.push_back(s.kind + ":" + s.name);
    return out;
  };
  EXPECT_EQ(subjectsOfBinding("cluster-admin"), std::vector<std::string>{"Group:system:masters"});
  EXPECT_EQ(subjectsOfBinding("system:discovery"), std::vector<std::string>{"Group:system:authenticated"});
  EXPECT_EQ(subjectsOfBinding("system:basic-user"), std::vector<std::string>{"Group:system:authenticated"});
  EXPECT_EQ(subjectsOfBinding("system:public-info-viewer"),
            (std::vector<std::string>{"Group:system:authenticated", "Group:system:unauthenticated"}));
  for (const auto& [name, b] : bindings) {
    EXPECT_EQ(roleRefOf(b), (RoleRef{std::string(kGroupName), "ClusterRole", name})) << name;
    EXPECT_EQ(stringField(b, "", "metadata", "labels", "kubernetes.io/bootstrapping"), "rbac-defaults");
  }
}

TEST(BootstrapPolicy, WhatEachKindOfUserMayDo) {
  auto a = bootstrapAuthorizer();
  auto can = [&](const testing::Attrs& x) { return a->authorize(x.view()).allowed(); };
  UserInfo anonymous = user("system:anonymous", "system:unauthenticated");
  UserInfo alice = user("alice", "system:authenticated");
  UserInfo root = user("root", "system:masters,system:authenticated");
  // Public info for everyone; discovery for authenticated users only.
  EXPECT_TRUE(can(pathRequest(anonymous, "get", "/healthz")));
  EXPECT_TRUE(can(pathRequest(anonymous, "get", "/version")));
  EXPECT_FALSE(can(pathRequest(anonymous, "get", "/apis")));
  EXPECT_FALSE(can(pathRequest(anonymous, "get", "/readyz/storage")));
  EXPECT_TRUE(can(pathRequest(alice, "get", "/apis/rbac.authorization.k8s.io/v1")));
  EXPECT_TRUE(can(pathRequest(alice, "get", "/openapi/v3")));
  EXPECT_FALSE(can(pathRequest(alice, "get", "/metrics")));
  // Everyone authenticated may ask about themselves; nothing else.
  EXPECT_TRUE(can(resourceRequest(alice, "create", "selfsubjectaccessreviews", "", "", "authorization.k8s.io")));
  EXPECT_TRUE(can(resourceRequest(alice, "create", "selfsubjectrulesreviews", "", "", "authorization.k8s.io")));
  EXPECT_FALSE(can(resourceRequest(alice, "create", "subjectaccessreviews", "", "", "authorization.k8s.io")));
  EXPECT_FALSE(can(resourceRequest(alice, "list", "pods", "", "default")));
  EXPECT_FALSE(can(resourceRequest(anonymous, "create", "selfsubjectaccessreviews", "", "", "authorization.k8s.io")));
  // cluster-admin through system:masters.
  EXPECT_TRUE(can(resourceRequest(root, "delete", "nodes", "", "")));
  EXPECT_TRUE(can(pathRequest(root, "get", "/anything")));
}

TEST(Aggregation, ViewEditAdminGatherTheirLabelledRoles) {
  auto roles = byName(aggregated());
  auto base = byName(bootstrapClusterRoles());
  EXPECT_EQ(rulesOf(roles["view"]), rulesOf(base["system:aggregate-to-view"]));
  // edit = aggregate-to-edit, then view's (name order), without duplicates.
  auto edit = rulesOf(roles["edit"]);
  auto editBase = rulesOf(base["system:aggregate-to-edit"]);
  auto view = rulesOf(roles["view"]);
  EXPECT_EQ(edit.size(), editBase.size() + view.size());
  EXPECT_TRUE(std::equal(editBase.begin(), editBase.end(), edit.begin()));
  // admin holds everything edit holds plus roles and rolebindings.
  auto admin = rulesOf(roles["admin"]);
  EXPECT_TRUE(covers(admin, edit).first);
  EXPECT_TRUE(covers(admin, {{{"create"}, {"rbac.authorization.k8s.io"}, {"rolebindings"}, {}, {}}}).first);
  EXPECT_FALSE(covers(edit, {{{"create"}, {"rbac.authorization.k8s.io"}, {"rolebindings"}, {}, {}}}).first);
  // view may read pods and configmaps but not secrets, and write nothing.
  EXPECT_TRUE(covers(view, {{{"get", "list", "watch"}, {""}, {"pods", "configmaps", "pods/log"}, {}, {}}}).first);
  EXPECT_FALSE(covers(view, {{{"get"}, {""}, {"secrets"}, {}, {}}}).first);
  EXPECT_FALSE(covers(view, {{{"create"}, {""}, {"configmaps"}, {}, {}}}).first);
}

TEST(Aggregation, SelectorsWithExpressions) {
  json::object agg{{"metadata", json::object{{"name", "agg"}}},
                   {"aggregationRule",
                    json::object{{"clusterRoleSelectors",
                                  json::array{json::object{{"matchExpressions",
                                                            json::array{json::object{{"key", "team"},
                                                                                     {"operator", "In"},
                                                                                     {"values", json::array{"a", "b"}}}}}}}}}}};
  auto mk = [](const char* name, const char* team, const char* verb) {
    json::object o{{"metadata", json::object{{"name", name}}},
                   {"rules", json::array{ruleToJson({{verb}, {""}, {"pods"}, {}, {}})}}};
    if (team != nullptr) metadata(o)["labels"] = json::object{{"team", team}};
    return o;
  };
  std::vector<json::object> all{agg, mk("x", "a", "get"), mk("y", "c", "list"), mk("z", "b", "watch"),
                                mk("w", nullptr, "delete"), mk("v", "a", "get")};
  auto rules = aggregatedRules(agg, all);
  ASSERT_EQ(rules.size(), 2u);  // v and x give the same rule once; z adds watch
  EXPECT_EQ(ruleFromJson(rules[0].as_object()).verbs, std::vector<std::string>{"get"});
  EXPECT_EQ(ruleFromJson(rules[1].as_object()).verbs, std::vector<std::string>{"watch"});
}

TEST(Reconcile, AddsWhatIsMissingAndRespectsOptOut) {
  auto want = byName(bootstrapClusterRoles())["system:basic-user"];
  json::object have = want;
  have["rules"] = json::array{ruleToJson({{"create"}, {"authorization.k8s.io"}, {"selfsubjectaccessreviews"}, {}, {}})};
  metadata(have)["labels"] = json::object{{"mine", "yes"}};
  auto next = reconcileClusterRole(have, want);
  ASSERT_TRUE(next);
  EXPECT_TRUE(covers(rulesOf(*next), rulesOf(want)).first);
  EXPECT_EQ(stringField(*next, "", "metadata", "labels", "mine"), "yes");
  EXPECT_EQ(stringField(*next, "", "metadata", "labels", "kubernetes.io/bootstrapping"), "rbac-defaults");
  EXPECT_FALSE(reconcileClusterRole(*next, want));  // nothing more to do
  metadata(have)["annotations"] = json::object{{"rbac.authorization.kubernetes.io/autoupdate", "false"}};
  EXPECT_FALSE(reconcileClusterRole(have, want));

  auto bwant = byName(bootstrapClusterRoleBindings())["system:public-info-viewer"];
  json::object bhave = bwant;
  bhave["subjects"] = json::array{bwant["subjects"].as_array()[0]};
  bool replace = true;
  auto bnext = reconcileClusterRoleBinding(bhave, bwant, replace);
  ASSERT_TRUE(bnext);
  EXPECT_FALSE(replace);
  EXPECT_EQ(subjectsOf(*bnext).size(), 2u);
  bhave["roleRef"] = roleRefToJson({std::string(kGroupName), "ClusterRole", "other"});
  bnext = reconcileClusterRoleBinding(bhave, bwant, replace);
  ASSERT_TRUE(bnext);
  EXPECT_TRUE(replace);
}

TEST(BootstrapController, CreatesOnceThenLeavesAlone) {
  testing::FakeClient client;
  testing::NullLogger log;
  BootstrapPolicy b(log);
  ASSERT_TRUE(b.start(client));
  const int first = client.writes;
  EXPECT_EQ(first, static_cast<int>(bootstrapClusterRoles().size() + bootstrapClusterRoleBindings().size()));
  ASSERT_TRUE(b.start(client));
  EXPECT_EQ(client.writes, first);
}

}  // namespace
}  // namespace apiserver::plugins::rbac
