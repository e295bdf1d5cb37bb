// The server's authorizer: modes in order, first Allow/Deny wins, system:masters always
// allowed; kube's forbidden messages (responsewriters.forbiddenMessage); the authorization link.
#include "authorization/authorizer_chain.h"
#include "server/filters/filters.h"

#include <apiserver/authorization.h>

#include <gtest/gtest.h>

namespace apiserver::authorization {
namespace {

class Fixed final : public Authorizer {
 public:
  explicit Fixed(AuthorizationDecision d, bool listsRules = true) : d_(std::move(d)), listsRules_(listsRules) {}
  AuthorizationDecision authorize(const AuthorizationAttributes&) const override {
    ++calls;
    return d_;
  }
  SubjectRules rulesFor(const UserInfo& u, std::string_view ns) const override {
    if (!listsRules_) return Authorizer::rulesFor(u, ns);
    SubjectRules r;
    r.resourceRules.push_back({{"get"}, {""}, {"pods"}, {}});
    return r;
  }
  mutable int calls = 0;

 private:
  AuthorizationDecision d_;
  bool listsRules_;
};

UserInfo userOf(std::string name, std::vector<std::string> groups = {}) { return {std::move(name), "", std::move(groups), {}}; }

AuthorizationAttributes podsList(const UserInfo& u) {
  AuthorizationAttributes a;
  a.user = &u;
  a.verb = "list";
  a.isResourceRequest = true;
  a.resource = "pods";
  a.namespace_ = "default";
  return a;
}

TEST(AuthorizerChain, FirstDecisionWins) {
  auto noOpinion = std::make_shared<Fixed>(AuthorizationDecision{Decision::NoOpinion, "first has no idea", {}});
  auto deny = std::make_shared<Fixed>(AuthorizationDecision{Decision::Deny, "denied by second", {}});
  auto allow = std::make_shared<Fixed>(AuthorizationDecision{Decision::Allow, "allowed by third", {}});
  AuthorizerChain chain({{"A", noOpinion}, {"B", deny}, {"C", allow}});
  UserInfo alice = userOf("alice");
  auto d = chain.authorize(podsList(alice));
  EXPECT_EQ(d.decision, Decision::Deny);
  EXPECT_EQ(d.reason, "denied by second");
  EXPECT_EQ(allow->calls, 0);
}

TEST(AuthorizerChain, NobodyDecidesJoinsReasonsAndErrors) {
  AuthorizerChain chain({{"A", std::make_shared<Fixed>(AuthorizationDecision{Decision::NoOpinion, "one", "e1"})},
                         {"B", std::make_shared<Fixed>(AuthorizationDecision{Decision::NoOpinion, "two", "e2"})}});
  UserInfo alice = userOf("alice");
  auto d = chain.authorize(podsList(alice));
  EXPECT_EQ(d.decision, Decision::NoOpinion);
  EXPECT_EQ(d.reason, "one\ntwo");
  EXPECT_EQ(d.error, "[e1, e2]");
}

TEST(AuthorizerChain, SystemMastersAreAlwaysAllowed) {
  auto deny = std::make_shared<Fixed>(AuthorizationDecision{Decision::Deny, "no", {}});
  AuthorizerChain chain({{"AlwaysDeny", alwaysDeny()}, {"X", deny}});
  UserInfo root = userOf("root", {"system:masters"});
  EXPECT_TRUE(chain.authorize(podsList(root)).allowed());
  EXPECT_EQ(deny->calls, 0);
  UserInfo alice = userOf("alice", {"system:authenticated"});
  auto d = chain.authorize(podsList(alice));
  EXPECT_FALSE(d.allowed());
  EXPECT_EQ(d.decision, Decision::Deny) << "AlwaysDeny has no opinion, so X decides";
  EXPECT_EQ(d.reason, "no");
  EXPECT_EQ(deny->calls, 1);
}

TEST(AuthorizerChain, RulesForGathersEveryMode) {
  AuthorizerChain chain({{"AlwaysAllow", alwaysAllow()}, {"X", std::make_shared<Fixed>(AuthorizationDecision{}, true)},
                         {"Y", std::make_shared<Fixed>(AuthorizationDecision{}, false)}});
  auto r = chain.rulesFor(userOf("alice"), "ns");
  ASSERT_EQ(r.resourceRules.size(), 2u);
  EXPECT_EQ(r.resourceRules[0].verbs, std::vector<std::string>{"*"});
  EXPECT_EQ(r.nonResourceRules.size(), 1u);
  EXPECT_TRUE(r.incomplete);  // Y cannot list its rules
  auto none = AuthorizerChain({{"AlwaysDeny", alwaysDeny()}}).rulesFor(userOf("alice"), "ns");
  EXPECT_TRUE(none.resourceRules.empty());
  EXPECT_FALSE(none.incomplete);
}

TEST(BuildChain, ModesResolveOrFailNamingTheAvailableOnes) {
  std::map<std::string, std::shared_ptr<const Authorizer>> registered{{"RBAC", alwaysDeny()}};
  auto ok = buildChain({"RBAC", "AlwaysAllow"}, registered);
  ASSERT_TRUE(ok);
  ASSERT_EQ((*ok)->entries().size(), 2u);
  EXPECT_EQ((*ok)->entries()[0].mode, "RBAC");
  auto unknown = buildChain({"Node"}, registered);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message, "unknown authorization mode \"Node\"; available: AlwaysAllow, AlwaysDeny, RBAC");
  auto rbacMissing = buildChain({"RBAC"}, {});
  ASSERT_FALSE(rbacMissing);
  EXPECT_NE(rbacMissing.error().message.find("the rbac plugin provides it"), std::string::npos);
  EXPECT_FALSE(buildChain({"AlwaysAllow", "AlwaysAllow"}, {}));
  EXPECT_FALSE(buildChain({}, {}));
}

TEST(ServerAuthorizer, ForwardsOnceSet) {
  ServerAuthorizer s;
  UserInfo alice = userOf("alice");
  EXPECT_EQ(s.authorize(podsList(alice)).decision, Decision::NoOpinion);
  EXPECT_TRUE(s.rulesFor(alice, "ns").incomplete);
  s.set(alwaysAllow());
  EXPECT_TRUE(s.authorize(podsList(alice)).allowed());
}

// ---------------------------------------------------------------- kube's 403 wording

struct ForbiddenCase {
  std::string name;
  std::string verb, group, resource, subresource, ns, resourceName, path;
  bool resourceRequest;
  std::string reason;
  std::string message;
};

class ForbiddenMessage : public ::testing::TestWithParam<ForbiddenCase> {};

TEST_P(ForbiddenMessage, AsKube) {
  const auto& c = GetParam();
  UserInfo alice = userOf("alice");
  AuthorizationAttributes a;
  a.user = &alice;
  a.verb = c.verb;
  a.apiGroup = c.group;
  a.resource = c.resource;
  a.subresource = c.subresource;
  a.namespace_ = c.ns;
  a.name = c.resourceName;
  a.path = c.path;
  a.isResourceRequest = c.resourceRequest;
  ApiError e = forbidden(a, c.reason);
  EXPECT_EQ(e.code, 403);
  EXPECT_EQ(e.reason, "Forbidden");
  EXPECT_EQ(e.message, c.message);
  ASSERT_TRUE(e.details);
  EXPECT_EQ(e.details->kind, c.resource);
  EXPECT_EQ(e.details->group, c.group);
  EXPECT_EQ(e.details->name, c.resourceName);
}

INSTANTIATE_TEST_SUITE_P(
    Kube, ForbiddenMessage,
    ::testing::Values(
        ForbiddenCase{"Namespaced", "list", "", "pods", "", "default", "", "/api/v1/namespaces/default/pods", true, "",
                      "pods is forbidden: User \"alice\" cannot list resource \"pods\" in API group \"\" in the "
                      "namespace \"default\""},
        ForbiddenCase{"ClusterScope", "get", "", "nodes", "", "", "n1", "/api/v1/nodes/n1", true, "",
                      "nodes \"n1\" is forbidden: User \"alice\" cannot get resource \"nodes\" in API group \"\" at the "
                      "cluster scope"},
        ForbiddenCase{"Subresource", "get", "", "pods", "log", "ns1", "web", "/api/v1/namespaces/ns1/pods/web/log", true,
                      "",
                      "pods \"web\" is forbidden: User \"alice\" cannot get resource \"pods/log\" in API group \"\" in "
                      "the namespace \"ns1\""},
        ForbiddenCase{"Group", "create", "rbac.authorization.k8s.io", "clusterroles", "", "", "", "", true, "",
                      "clusterroles.rbac.authorization.k8s.io is forbidden: User \"alice\" cannot create resource "
                      "\"clusterroles\" in API group \"rbac.authorization.k8s.io\" at the cluster scope"},
        ForbiddenCase{"WithReason", "list", "", "pods", "", "default", "", "", true, "Everything is forbidden.",
                      "pods is forbidden: User \"alice\" cannot list resource \"pods\" in API group \"\" in the "
                      "namespace \"default\": Everything is forbidden."},
        ForbiddenCase{"NonResource", "get", "", "", "", "", "", "/metrics", false, "",
                      "forbidden: User \"alice\" cannot get path \"/metrics\""},
        ForbiddenCase{"Sanitized", "get", "", "", "", "", "", "/<script>&", false, "",
                      "forbidden: User \"alice\" cannot get path \"/&lt;script&gt;&amp;\""}),
    [](const auto& info) { return info.param.name; });

// ---------------------------------------------------------------- the link

class NullLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view) override {}
  bool enabled(LogLevel) const override { return false; }
};

class Next final : public Handler {
 public:
  Response serve(Request&) override {
    ++calls;
    return Response::bytes(200, "text/plain", "ok");
  }
  int calls = 0;
};

TEST(AuthorizationLink, AllowsOrAnswers403) {
  NullLogger log;
  auto server = std::make_shared<ServerAuthorizer>();
  server->set(std::make_shared<AuthorizerChain>(std::vector<AuthorizerChain::Entry>{{"AlwaysDeny", alwaysDeny()}}));
  auto link = server::filters::authorization(server, log)->create(ConfigSection());
  ASSERT_TRUE(link);
  Next next;
  Request req;
  req.method = "GET";
  req.path = "/api/v1/namespaces/default/pods";
  req.target = req.path;
  req.user = userOf("alice", {"system:authenticated"});
  Response r = (*link)->handle(req, next);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(next.calls, 0);
  ASSERT_EQ(r.body.size(), 1u);
  EXPECT_NE(r.body[0]->find("pods is forbidden: User \\\"alice\\\" cannot list resource \\\"pods\\\" in API group "
                            "\\\"\\\" in the namespace \\\"default\\\": Everything is forbidden."),
            std::string::npos)
      << *r.body[0];
  req.user.groups.push_back("system:masters");
  r = (*link)->handle(req, next);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(next.calls, 1);
}

TEST(AuthorizationLink, EvaluationErrorsAre500) {
  NullLogger log;
  auto server = std::make_shared<ServerAuthorizer>();
  server->set(std::make_shared<Fixed>(AuthorizationDecision{Decision::NoOpinion, "", "webhook down"}));
  auto link = server::filters::authorization(server, log)->create(ConfigSection());
  ASSERT_TRUE(link);
  Next next;
  Request req;
  req.method = "GET";
  req.path = "/healthz";
  Response r = (*link)->handle(req, next);
  EXPECT_EQ(r.status, 500);
}

}  // namespace
}  // namespace apiserver::authorization
