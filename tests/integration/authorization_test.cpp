// Authorization through real HTTP: the RBAC plugin with its bootstrap policy, kube's 403 wording,
// access reviews, escalation prevention, the AlwaysDeny mode, and start-up errors of the
// authorization and encryption configuration. Users come from the testing plugin's TEST-ONLY
// test.authn link (X-Test-User / X-Test-Group); a request without them is the insecure port's
// system:unsecured, a member of system:masters.
#include "host_process.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace apiserver::testing {
namespace {

namespace json = boost::json;

std::string config(const std::string& modes = "[RBAC]", const std::string& extra = {}) {
  return "plugins:\n  directory: " + testPluginDir().string() +
         "\n  enabled:\n    - testing\n    - name: core\n      file: " + (pluginDir() / "core.so").string() +
         "\n    - name: rbac\n      file: " + (pluginDir() / "rbac.so").string() +
         "\nstorage:\n  backend: memory\n"
         "handlerChain: [panic-recovery, request-info, test.authn, max-in-flight, timeout, authorization]\n"
         "authorization:\n  modes: " +
         modes + "\n" + extra;
}

std::map<std::string, std::string> as(const std::string& user, const std::string& groups = "system:authenticated") {
  std::map<std::string, std::string> h{{"X-Test-User", user}, {"Content-Type", "application/json"}};
  if (!groups.empty()) h["X-Test-Group"] = groups;
  return h;
}

json::object parse(const std::string& s) { return json::parse(s).as_object(); }

class AuthorizationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { host_ = new HostProcess(config()); }
  static void TearDownTestSuite() {
    delete host_;
    host_ = nullptr;
  }
  HttpClient client() { return HttpClient(host_->port()); }
  // waitFor polls until the authorizer has caught up with a policy change (it follows a watch).
  bool waitFor(const std::string& target, const std::map<std::string, std::string>& headers, int status) {
    for (int i = 0; i < 200; ++i) {
      if (client().get(target, headers).status == status) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  static HostProcess* host_;
};
HostProcess* AuthorizationTest::host_ = nullptr;

TEST_F(AuthorizationTest, UnboundUserGetsKubesForbidden) {
  auto r = client().get("/api/v1/namespaces/default/configmaps", as("alice"));
  ASSERT_EQ(r.status, 403) << r.body;
  auto s = parse(r.body);
  EXPECT_EQ(s["kind"], "Status");
  EXPECT_EQ(s["reason"], "Forbidden");
  EXPECT_EQ(s["message"],
            "configmaps is forbidden: User \"alice\" cannot list resource \"configmaps\" in API group \"\" in the "
            "namespace \"default\"");
  EXPECT_EQ(s["details"].as_object()["kind"], "configmaps");
  r = client().get("/api/v1/nodes/n1", as("alice"));
  EXPECT_EQ(parse(r.body)["message"],
            "nodes \"n1\" is forbidden: User \"alice\" cannot get resource \"nodes\" in API group \"\" at the cluster "
            "scope");
  r = client().get("/metrics", as("alice"));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(parse(r.body)["message"], "forbidden: User \"alice\" cannot get path \"/metrics\"");
}

TEST_F(AuthorizationTest, DiscoveryForAuthenticatedPublicInfoForAll) {
  EXPECT_EQ(client().get("/api", as("alice")).status, 200);
  EXPECT_EQ(client().get("/apis/rbac.authorization.k8s.io/v1", as("alice")).status, 200);
  auto anon = as("system:anonymous", "system:unauthenticated");
  EXPECT_EQ(client().get("/healthz", anon).status, 200);
  EXPECT_EQ(client().get("/version", anon).status, 200);
  EXPECT_EQ(client().get("/api", anon).status, 403);
}

TEST_F(AuthorizationTest, SelfSubjectAccessReview) {
  const std::string body =
      R"({"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview",
          "spec":{"resourceAttributes":{"namespace":"default","verb":"list","resource":"configmaps"}}})";
  auto r = client().request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body, as("nobody"));
  ASSERT_EQ(r.status, 201) << r.body;
  auto o = parse(r.body);
  EXPECT_EQ(o["kind"], "SelfSubjectAccessReview");
  EXPECT_EQ(o["status"].as_object()["allowed"], false);
  // The superuser of the insecure port.
  r = client().request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body,
                       {{"Content-Type", "application/json"}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(parse(r.body)["status"].as_object()["allowed"], true);
  // Create-only: anything else is 405; discovery says so.
  EXPECT_EQ(client().get("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews").status, 405);
  auto disco = parse(client().get("/apis/authorization.k8s.io/v1").body);
  bool listed = false;
  for (const auto& res : disco["resources"].as_array())
    if (res.as_object().at("name") == "selfsubjectaccessreviews") {
      listed = true;
      EXPECT_EQ(res.as_object().at("verbs"), (json::array{"create"}));
    }
  EXPECT_TRUE(listed);
  // Anonymous users may not even ask.
  r = client().request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body,
                       as("system:anonymous", "system:unauthenticated"));
  EXPECT_EQ(r.status, 403);
}

TEST_F(AuthorizationTest, RoleBindingToViewAllowsReadsNotWrites) {
  auto c = client();
  ASSERT_EQ(c.request("POST", "/api/v1/namespaces", R"({"metadata":{"name":"team-a"}})",
                      {{"Content-Type", "application/json"}})
                .status,
            201);
  auto r = c.request("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings",
                     R"({"metadata":{"name":"bob-view"},"roleRef":{"kind":"ClusterRole","name":"view"},
                         "subjects":[{"kind":"User","name":"bob"}]})",
                     {{"Content-Type", "application/json"}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(parse(r.body)["roleRef"].as_object()["apiGroup"], "rbac.authorization.k8s.io");  // defaulted
  ASSERT_TRUE(waitFor("/api/v1/namespaces/team-a/configmaps", as("bob"), 200));
  EXPECT_EQ(c.get("/api/v1/namespaces/team-a/secrets", as("bob")).status, 403);
  EXPECT_EQ(c.get("/api/v1/namespaces/default/configmaps", as("bob")).status, 403);
  r = c.request("POST", "/api/v1/namespaces/team-a/configmaps", R"({"metadata":{"name":"x"}})", as("bob"));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(parse(r.body)["message"],
            "configmaps is forbidden: User \"bob\" cannot create resource \"configmaps\" in API group \"\" in the "
            "namespace \"team-a\"");
}

TEST_F(AuthorizationTest, EscalationIsPrevented) {
  auto c = client();
  const std::map<std::string, std::string> admin{{"Content-Type", "application/json"}};
  ASSERT_EQ(c.request("POST", "/api/v1/namespaces", R"({"metadata":{"name":"team-b"}})", admin).status, 201);
  ASSERT_EQ(c.request("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles",
                      R"({"metadata":{"name":"binder"},"rules":[{"verbs":["create","get","list"],
                          "apiGroups":["rbac.authorization.k8s.io"],"resources":["rolebindings"]}]})",
                      admin)
                .status,
            201);
  ASSERT_EQ(c.request("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/team-b/rolebindings",
                      R"({"metadata":{"name":"carol-binder"},"roleRef":{"kind":"ClusterRole","name":"binder"},
                          "subjects":[{"kind":"User","name":"carol"}]})",
                      admin)
                .status,
            201);
  ASSERT_TRUE(waitFor("/apis/rbac.authorization.k8s.io/v1/namespaces/team-b/rolebindings", as("carol"), 200));
  auto r = c.request("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/team-b/rolebindings",
                     R"({"metadata":{"name":"steal"},"roleRef":{"kind":"ClusterRole","name":"cluster-admin"},
                         "subjects":[{"kind":"User","name":"carol"}]})",
                     as("carol"));
  ASSERT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(parse(r.body)["message"],
            "rolebindings.rbac.authorization.k8s.io \"steal\" is forbidden: user \"carol\" "
            "(groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n"
            "{APIGroups:[\"*\"], Resources:[\"*\"], Verbs:[\"*\"]}\n{NonResourceURLs:[\"*\"], Verbs:[\"*\"]}");
  // Binding a role whose every rule carol holds is fine.
  r = c.request("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/team-b/rolebindings",
                R"({"metadata":{"name":"share"},"roleRef":{"kind":"ClusterRole","name":"binder"},
                    "subjects":[{"kind":"User","name":"dave"}]})",
                as("carol"));
  EXPECT_EQ(r.status, 201) << r.body;
}

TEST_F(AuthorizationTest, BootstrapPolicyIsServed) {
  auto r = client().get("/apis/rbac.authorization.k8s.io/v1/clusterroles/cluster-admin");
  ASSERT_EQ(r.status, 200);
  auto o = parse(r.body);
  EXPECT_EQ(o["metadata"].as_object()["labels"].as_object()["kubernetes.io/bootstrapping"], "rbac-defaults");
  // view was aggregated from system:aggregate-to-view.
  auto view = parse(client().get("/apis/rbac.authorization.k8s.io/v1/clusterroles/view").body);
  EXPECT_FALSE(view["rules"].as_array().empty());
}

TEST(AuthorizationModes, AlwaysDenyRefusesAllButSystemMasters) {
  HostProcess host(config("[AlwaysDeny]"));
  HttpClient c(host.port());
  auto r = c.get("/api/v1/namespaces/default/configmaps", as("alice"));
  ASSERT_EQ(r.status, 403);
  EXPECT_EQ(parse(r.body)["message"],
            "configmaps is forbidden: User \"alice\" cannot list resource \"configmaps\" in API group \"\" in the "
            "namespace \"default\": Everything is forbidden.");
  EXPECT_EQ(c.get("/api/v1/namespaces/default/configmaps", as("root", "system:masters")).status, 200);
  EXPECT_EQ(c.get("/api/v1/namespaces/default/configmaps").status, 200);  // system:unsecured
}

TEST(AuthorizationModes, StartUpErrors) {
  TempDir dir;
  auto run = [&](const std::string& yaml, std::vector<std::string> flags = {}) {
    auto file = dir.write("apiserver.yaml", yaml);
    std::vector<std::string> args{"--config", file.string(), "--insecure-port", "0", "--secure-port", "-1"};
    args.insert(args.end(), flags.begin(), flags.end());
    return runToExit(args);
  };
  auto r = run(config("[Node]"));
  EXPECT_EQ(r.exitCode, 2) << r.output;
  EXPECT_NE(r.output.find("authorization.modes: unknown authorization mode \"Node\"; available: AlwaysAllow, "
                          "AlwaysDeny, RBAC"),
            std::string::npos)
      << r.output;
  r = run(config("[RBAC, RBAC]"));
  EXPECT_EQ(r.exitCode, 2) << r.output;
  EXPECT_NE(r.output.find("is listed more than once"), std::string::npos) << r.output;
  r = run(config(), {"--authorization-mode", "AlwaysAllow,,RBAC"});
  EXPECT_EQ(r.exitCode, 2) << r.output;
  EXPECT_NE(r.output.find("--authorization-mode"), std::string::npos) << r.output;
  auto enc = dir.write("enc.yaml",
                       "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n"
                       "  - resources: [secrets]\n    providers:\n      - aescbc:\n          keys:\n"
                       "            - name: k1\n              secret: dG9vIHNob3J0\n");
  r = run(config(), {"--encryption-provider-config", enc.string()});
  EXPECT_EQ(r.exitCode, 2) << r.output;
  EXPECT_NE(r.output.find(enc.string() + ":9:15: resources[0].providers[0].aescbc.keys[0].secret: secret is not of "
                                         "the expected length, got 9, expected one of [16 24 32]"),
            std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace apiserver::testing
