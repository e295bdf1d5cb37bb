// Escalation prevention (kube's pkg/registry/rbac/validation and the policybased storages):
// nobody grants what they do not hold, unless they have escalate/bind, or are system:masters.
#include "test_support.h"

#include "rbac/escalation.h"
#include "rbac/resources.h"

#include <gtest/gtest.h>

namespace apiserver::plugins::rbac {
namespace {

using testing::newRule;
using testing::ruleList;
using testing::subjects;
using testing::user;

/// FixedAuthorizer allows exactly the (verb, resource, name) triples it was given.
class FixedAuthorizer final : public Authorizer {
 public:
  std::vector<std::tuple<std::string, std::string, std::string>> allow;
  AuthorizationDecision authorize(const AuthorizationAttributes& a) const override {
    for (const auto& [v, r, n] : allow)
      if (a.verb == v && a.resource == r && (n.empty() || a.name == n)) return {Decision::Allow, {}, {}};
    return {};
  }
};

class EscalationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    PolicyObjects o;
    // alice may manage rolebindings and roles in ns1, and holds view there.
    o.clusterRoles["manager"] = ruleList({newRule("*", "rbac.authorization.k8s.io", "roles,rolebindings", "")});
    o.clusterRoles["view"] = ruleList({newRule("get,list,watch", "", "pods,configmaps", "")});
    o.roleBindings["ns1/m"] = {"ns1", "m", {std::string(kGroupName), "ClusterRole", "manager"}, subjects({"User:alice"})};
    o.roleBindings["ns1/v"] = {"ns1", "v", {std::string(kGroupName), "ClusterRole", "view"}, subjects({"User:alice"})};
    rbac_->publish(PolicyIndex::build(o));
    auto role = [](std::string name, std::vector<PolicyRule> rules) {
      return json::object{{"metadata", json::object{{"name", name}}}, {"rules", rulesToJson(rules)}};
    };
    (void)client_->create({std::string(kGroupName), "clusterroles"}, "", role("view", {newRule("get,list,watch", "", "pods,configmaps", "")}));
    (void)client_->create({std::string(kGroupName), "clusterroles"}, "",
                          role("cluster-admin", {newRule("*", "*", "*", ""), newRule("*", "", "", "*")}));
  }

  Result<void> write(const ResourceSpec& spec, std::string ns, json::object obj, const UserInfo& who,
                     Operation op = Operation::Create, const json::object* old = nullptr) {
    AdmissionAttributes a;
    a.operation = op;
    a.resource = &spec;
    a.namespace_ = ns;
    a.name = nameOf(obj);
    a.object = &obj;
    a.oldObject = old;
    a.user = &who;
    return check_.validate(a);
  }

  static json::object binding(std::string name, std::string kind, std::string role, std::string subject) {
    return {{"metadata", json::object{{"name", name}}},
            {"roleRef", roleRefToJson({std::string(kGroupName), kind, role})},
            {"subjects", json::array{subjectToJson({"User", std::string(kGroupName), subject, ""})}}};
  }
  static json::object role(std::string name, std::vector<PolicyRule> rules) {
    return {{"metadata", json::object{{"name", name}}}, {"rules", rulesToJson(rules)}};
  }

  std::shared_ptr<RbacAuthorizer> rbac_ = std::make_shared<RbacAuthorizer>();
  std::shared_ptr<FixedAuthorizer> server_ = std::make_shared<FixedAuthorizer>();
  std::shared_ptr<testing::FakeClient> client_ = std::make_shared<testing::FakeClient>();
  EscalationCheck check_{rbac_, server_, client_};
  ResourceSpec roles_ = roleSpec();
  ResourceSpec clusterRoles_ = clusterRoleSpec();
  ResourceSpec roleBindings_ = roleBindingSpec();
  ResourceSpec clusterRoleBindings_ = clusterRoleBindingSpec();
  UserInfo alice_ = user("alice", "system:authenticated");
};

TEST_F(EscalationTest, BindingARoleYouHoldIsAllowed) {
  EXPECT_TRUE(write(roleBindings_, "ns1", binding("b", "ClusterRole", "view", "bob"), alice_));
}

TEST_F(EscalationTest, BindingClusterAdminIsRefusedWithKubesMessage) {
  auto r = write(roleBindings_, "ns1", binding("steal", "ClusterRole", "cluster-admin", "alice"), alice_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 403);
  EXPECT_EQ(r.error().reason, "Forbidden");
  EXPECT_EQ(r.error().message,
            "rolebindings.rbac.authorization.k8s.io \"steal\" is forbidden: user \"alice\" "
            "(groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n"
            "{APIGroups:[\"*\"], Resources:[\"*\"], Verbs:[\"*\"]}\n"
            "{NonResourceURLs:[\"*\"], Verbs:[\"*\"]}");
}

TEST_F(EscalationTest, HeldRightsAreNamespaceScoped) {
  // alice holds view in ns1 only: binding it in ns2 grants more than she holds there.
  auto r = write(roleBindings_, "ns2", binding("b", "ClusterRole", "view", "bob"), alice_);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("{APIGroups:[\"\"], Resources:[\"configmaps\"], Verbs:[\"get\" \"list\" \"watch\"]}"),
            std::string::npos)
      << r.error().message;
}

TEST_F(EscalationTest, TheBindVerbAllowsBindingWhatYouDoNotHold) {
  server_->allow.push_back({"bind", "clusterroles", "cluster-admin"});
  EXPECT_TRUE(write(roleBindings_, "ns1", binding("b", "ClusterRole", "cluster-admin", "bob"), alice_));
}

TEST_F(EscalationTest, BindingAMissingRoleIsForbiddenNamingIt) {
  auto r = write(clusterRoleBindings_, "", binding("b", "ClusterRole", "nope", "bob"), alice_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "clusterrolebindings.rbac.authorization.k8s.io \"b\" is forbidden: clusterroles.rbac.authorization.k8s.io "
            "\"nope\" not found");
}

TEST_F(EscalationTest, RolesMayHoldOnlyHeldRules) {
  EXPECT_TRUE(write(roles_, "ns1", role("r", {newRule("get", "", "pods", "")}), alice_));
  auto r = write(roles_, "ns1", role("r", {newRule("get,delete", "", "pods,secrets", "")}), alice_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "roles.rbac.authorization.k8s.io \"r\" is forbidden: user \"alice\" (groups=[\"system:authenticated\"]) "
            "is attempting to grant RBAC permissions not currently held:\n"
            "{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"delete\"]}\n"
            "{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\" \"delete\"]}");
}

TEST_F(EscalationTest, TheEscalateVerbAllowsAnyRules) {
  server_->allow.push_back({"escalate", "roles", ""});
  EXPECT_TRUE(write(roles_, "ns1", role("r", {newRule("*", "*", "*", "")}), alice_));
}

TEST_F(EscalationTest, AggregationRulesNeedEveryRight) {
  server_->allow.push_back({"escalate", "clusterroles", ""});
  json::object agg = role("agg", {});
  agg["aggregationRule"] = json::object{{"clusterRoleSelectors", json::array{json::object{{"matchLabels", json::object{{"a", "b"}}}}}}};
  // escalate covers it, as in kube (the check only runs without escalate)
  EXPECT_TRUE(write(clusterRoles_, "", agg, alice_));
  server_->allow.clear();
  auto r = write(clusterRoles_, "", agg, alice_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "clusterroles.rbac.authorization.k8s.io \"agg\" is forbidden: must have cluster-admin privileges to use "
            "the aggregationRule");
}

TEST_F(EscalationTest, SystemMastersAreExempt) {
  UserInfo root = user("root", "system:masters");
  EXPECT_TRUE(write(clusterRoleBindings_, "", binding("b", "ClusterRole", "cluster-admin", "x"), root));
  EXPECT_TRUE(write(clusterRoles_, "", role("r", {newRule("*", "*", "*", "")}), root));
}

TEST_F(EscalationTest, UpdatesThatGrantNothingNewAreNotChecked) {
  json::object old = binding("steal", "ClusterRole", "cluster-admin", "bob");
  json::object relabelled = old;
  metadata(relabelled)["labels"] = json::object{{"x", "y"}};
  EXPECT_TRUE(write(roleBindings_, "ns1", relabelled, alice_, Operation::Update, &old));
  json::object more = old;
  more["subjects"].as_array().push_back(subjectToJson({"User", std::string(kGroupName), "carol", ""}));
  EXPECT_FALSE(write(roleBindings_, "ns1", more, alice_, Operation::Update, &old));
}

TEST_F(EscalationTest, OtherResourcesAndDeletesPass) {
  ResourceSpec pods;
  pods.plural = "pods";
  json::object pod{{"metadata", json::object{{"name", "p"}}}};
  EXPECT_TRUE(write(pods, "ns1", pod, alice_));
  EXPECT_TRUE(write(roleBindings_, "ns1", binding("steal", "ClusterRole", "cluster-admin", "x"), alice_, Operation::Delete));
}

}  // namespace
}  // namespace apiserver::plugins::rbac
