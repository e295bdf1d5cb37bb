// The audit policy: parsing (every problem with its field path) and kube's rule matching.

#include "audit/policy.h"

#include <gtest/gtest.h>

namespace apiserver::audit {
namespace {

RequestInfo resource(std::string verb, std::string group, std::string res, std::string ns = "", std::string name = "",
                     std::string sub = "") {
  RequestInfo i;
  i.resolved = true;
  i.isResourceRequest = true;
  i.verb = std::move(verb);
  i.apiGroup = std::move(group);
  i.apiVersion = "v1";
  i.resource = std::move(res);
  i.namespace_ = std::move(ns);
  i.name = std::move(name);
  i.subresource = std::move(sub);
  return i;
}

RequestInfo nonResource(std::string verb) {
  RequestInfo i;
  i.resolved = true;
  i.verb = std::move(verb);
  return i;
}

Policy parse(const std::string& yaml) {
  auto p = parsePolicy(yaml, "policy.yaml");
  EXPECT_TRUE(p) << p.error().message;
  return p ? *p : Policy{};
}

// kube's documented example policy, abridged.
const char* kExample = R"(apiVersion: audit.k8s.io/v1
kind: Policy
omitStages:
  - "RequestReceived"
rules:
  - level: RequestResponse
    resources:
    - group: ""
      resources: ["pods"]
  - level: Metadata
    resources:
    - group: ""
      resources: ["pods/log", "pods/status"]
  - level: None
    resources:
    - group: ""
      resources: ["configmaps"]
      resourceNames: ["controller-leader"]
  - level: None
    users: ["system:kube-proxy"]
    verbs: ["watch"]
    resources:
    - group: ""
      resources: ["endpoints", "services"]
  - level: None
    userGroups: ["system:authenticated"]
    nonResourceURLs:
    - "/api*"
    - "/version"
  - level: Request
    resources:
    - group: ""
      resources: ["configmaps"]
    namespaces: ["kube-system"]
  - level: Metadata
    resources:
    - group: ""
      resources: ["secrets", "configmaps"]
  - level: Request
    resources:
    - group: ""
    - group: "extensions"
  - level: Metadata
    omitStages:
      - "RequestReceived"
)";

TEST(AuditPolicy, KubesExample) {
  Policy p = parse(kExample);
  ASSERT_EQ(p.rules.size(), 9u);
  UserInfo alice{"alice", "", {"system:authenticated"}, {}};
  UserInfo proxy{"system:kube-proxy", "", {"system:authenticated"}, {}};
  auto level = [&](const UserInfo* u, const RequestInfo& i, std::string_view path = "/api/v1/x") {
    return evaluate(p, u, i, path).level;
  };
  EXPECT_EQ(level(&alice, resource("get", "", "pods", "default", "web")), Level::RequestResponse);
  EXPECT_EQ(level(&alice, resource("get", "", "pods", "default", "web", "log")), Level::Metadata);
  EXPECT_EQ(level(&alice, resource("update", "", "pods", "default", "web", "status")), Level::Metadata);
  EXPECT_EQ(level(&alice, resource("update", "", "configmaps", "kube-system", "controller-leader")), Level::None);
  EXPECT_EQ(level(&alice, resource("update", "", "configmaps", "kube-system", "other")), Level::Request);
  EXPECT_EQ(level(&alice, resource("get", "", "configmaps", "default", "other")), Level::Metadata);
  EXPECT_EQ(level(&proxy, resource("watch", "", "endpoints")), Level::None);
  EXPECT_EQ(level(&alice, resource("watch", "", "endpoints")), Level::Request);
  EXPECT_EQ(level(&alice, resource("get", "", "secrets", "default", "s")), Level::Metadata);
  EXPECT_EQ(level(&alice, nonResource("get"), "/apis"), Level::None);
  EXPECT_EQ(level(&alice, nonResource("get"), "/version"), Level::None);
  EXPECT_EQ(level(&alice, nonResource("get"), "/healthz"), Level::Metadata);
  EXPECT_EQ(level(&alice, resource("create", "apps", "deployments", "default")), Level::Metadata);
  EXPECT_EQ(level(&alice, resource("create", "extensions", "deployments", "default")), Level::Request);

  auto d = evaluate(p, &alice, resource("get", "", "pods"), "/api/v1/pods");
  EXPECT_TRUE(d.omits(Stage::RequestReceived));
  EXPECT_FALSE(d.omits(Stage::ResponseComplete));
}

TEST(AuditPolicy, NoMatchIsNoneAndTheFirstMatchWins) {
  Policy p = parse(R"(apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: Metadata
  users: [alice]
- level: RequestResponse
)");
  UserInfo alice{"alice", "", {}, {}};
  UserInfo bob{"bob", "", {}, {}};
  EXPECT_EQ(evaluate(p, &alice, resource("get", "", "pods"), "/").level, Level::Metadata);
  EXPECT_EQ(evaluate(p, &bob, resource("get", "", "pods"), "/").level, Level::RequestResponse);
  EXPECT_EQ(evaluate(p, nullptr, resource("get", "", "pods"), "/").level, Level::RequestResponse)
      << "a rule without users also matches a request without a user";

  Policy none = parse("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  verbs: [delete]\n");
  EXPECT_EQ(evaluate(none, &alice, resource("get", "", "pods"), "/").level, Level::None);
}

TEST(AuditPolicy, SubresourcePatterns) {
  Policy p = parse(R"(apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: Request
  resources: [{group: "", resources: ["*/status"]}]
- level: RequestResponse
  resources: [{group: "", resources: ["pods/*"]}]
- level: Metadata
  resources: [{group: "", resources: ["*"]}]
)");
  UserInfo u{"u", "", {}, {}};
  EXPECT_EQ(evaluate(p, &u, resource("update", "", "services", "d", "s", "status"), "/").level, Level::Request);
  EXPECT_EQ(evaluate(p, &u, resource("get", "", "pods", "d", "p", "log"), "/").level, Level::RequestResponse);
  EXPECT_EQ(evaluate(p, &u, resource("get", "", "pods", "d", "p"), "/").level, Level::RequestResponse)
      << "as kube's checker: \"pods/*\" also matches pods itself";
  EXPECT_EQ(evaluate(p, &u, resource("get", "", "services", "d", "s"), "/").level, Level::Metadata);
  EXPECT_EQ(evaluate(p, &u, resource("get", "apps", "deployments", "d", "p"), "/").level, Level::None);
}

TEST(AuditPolicy, ClusterScopedResourcesMatchTheEmptyNamespace) {
  Policy p = parse(R"(apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: Metadata
  namespaces: [""]
)");
  UserInfo u{"u", "", {}, {}};
  EXPECT_EQ(evaluate(p, &u, resource("get", "", "nodes", "", "n1"), "/").level, Level::Metadata);
  EXPECT_EQ(evaluate(p, &u, resource("get", "", "pods", "default", "p"), "/").level, Level::None);
  EXPECT_EQ(evaluate(p, &u, nonResource("get"), "/healthz").level, Level::None);
}

TEST(AuditPolicy, OmitStagesAndManagedFields) {
  Policy p = parse(R"(apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
omitManagedFields: true
rules:
- level: Request
  omitStages: [ResponseStarted]
  omitManagedFields: false
  verbs: [create]
- level: Metadata
)");
  UserInfo u{"u", "", {}, {}};
  auto create = evaluate(p, &u, resource("create", "", "pods"), "/");
  EXPECT_TRUE(create.omits(Stage::RequestReceived));
  EXPECT_TRUE(create.omits(Stage::ResponseStarted));
  EXPECT_FALSE(create.omitManagedFields);
  auto get = evaluate(p, &u, resource("get", "", "pods"), "/");
  EXPECT_FALSE(get.omits(Stage::ResponseStarted));
  EXPECT_TRUE(get.omitManagedFields);
}

TEST(AuditPolicy, EveryProblemIsReported) {
  auto p = parsePolicy(R"(apiVersion: audit.k8s.io/v2
kind: Policy
rules:
- level: Everything
  verb: [get]
- nonResourceURLs: ["/healthz", "healthz"]
  resources: [{group: ""}]
  level: None
- level: Metadata
  omitStages: [Sometimes]
)",
                       "p.yaml");
  ASSERT_FALSE(p);
  const std::string m = p.error().message;
  for (const char* want : {
           "p.yaml: apiVersion: expected audit.k8s.io/v1, got \"audit.k8s.io/v2\"",
           "p.yaml: rules[0].verb: unknown field \"verb\"",
           "p.yaml: rules[0].level: Unsupported value: \"Everything\": supported values: \"None\", \"Metadata\", "
           "\"Request\", \"RequestResponse\"",
           "p.yaml: rules[1].nonResourceURLs: Invalid value: rules cannot apply to both regular resources and "
           "non-resource URLs",
           "p.yaml: rules[1].nonResourceURLs[1]: Invalid value: \"healthz\": non-resource URLs must start with \"/\"",
           "p.yaml: rules[2].omitStages[0]: Unsupported value: \"Sometimes\"",
       })
    EXPECT_NE(m.find(want), std::string::npos) << "missing: " << want << "\nin:\n" << m;

  auto empty = parsePolicy("apiVersion: audit.k8s.io/v1\nkind: Policy\n", "e.yaml");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().message, "e.yaml: rules: loaded illegal policy with 0 rules");

  auto missing = loadPolicy("/nonexistent/policy.yaml");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "open /nonexistent/policy.yaml: no such file or not readable");
}

}  // namespace
}  // namespace apiserver::audit
