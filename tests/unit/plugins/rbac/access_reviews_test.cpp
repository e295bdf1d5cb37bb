// authorization.k8s.io/v1 access reviews: what kube's REST storages answer
// (pkg/registry/authorization/*), including validation.
#include "test_support.h"

#include "rbac/access_reviews.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace apiserver::plugins::rbac {
namespace {

json::object parse(std::string_view s) { return boost::json::parse(s).as_object(); }

/// Recorder answers with a fixed decision and remembers what it was asked.
class Recorder final : public Authorizer {
 public:
  AuthorizationDecision decision{Decision::Allow, "RBAC: allowed by test", {}};
  mutable std::string lastUser, lastVerb, lastResource, lastNamespace, lastVersion, lastPath;
  mutable bool lastResourceRequest = false;
  mutable std::vector<std::string> lastGroups;
  AuthorizationDecision authorize(const AuthorizationAttributes& a) const override {
    lastUser = a.user != nullptr ? a.user->name : "";
    lastGroups = a.user != nullptr ? a.user->groups : std::vector<std::string>{};
    lastVerb = a.verb;
    lastResource = a.resource;
    lastNamespace = a.namespace_;
    lastVersion = a.apiVersion;
    lastPath = a.path;
    lastResourceRequest = a.isResourceRequest;
    return decision;
  }
  SubjectRules rulesFor(const UserInfo& user, std::string_view ns) const override {
    SubjectRules r;
    lastUser = user.name;
    lastNamespace = ns;
    r.resourceRules.push_back({{"get"}, {""}, {"pods"}, {}});
    r.nonResourceRules.push_back({{"get"}, {"/healthz"}});
    r.incomplete = true;
    return r;
  }
};

TEST(SelfSubjectAccessReview, AsksAboutTheCaller) {
  auto a = std::make_shared<Recorder>();
  auto c = selfSubjectAccessReviews(a);
  UserInfo alice = testing::user("alice", "system:authenticated");
  CreateContext ctx{"", &alice, false};
  auto r = c->create(ctx, parse(R"({"metadata":{"creationTimestamp":null},
      "spec":{"resourceAttributes":{"namespace":"team","verb":"list","resource":"pods"}}})"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(a->lastUser, "alice");
  EXPECT_EQ(a->lastGroups, std::vector<std::string>{"system:authenticated"});
  EXPECT_EQ(a->lastVerb, "list");
  EXPECT_EQ(a->lastNamespace, "team");
  EXPECT_EQ(a->lastVersion, "*");  // an empty version means every version
  EXPECT_TRUE(a->lastResourceRequest);
  EXPECT_EQ((*r)["status"].as_object()["allowed"], true);
  EXPECT_EQ((*r)["status"].as_object()["reason"], "RBAC: allowed by test");
  EXPECT_FALSE((*r)["status"].as_object().contains("denied"));
}

TEST(SelfSubjectAccessReview, NonResourceAndDenied) {
  auto a = std::make_shared<Recorder>();
  a->decision = {Decision::Deny, "no way", "it broke"};
  auto c = selfSubjectAccessReviews(a);
  UserInfo bob = testing::user("bob");
  auto r = c->create({"", &bob, false}, parse(R"({"spec":{"nonResourceAttributes":{"path":"/metrics","verb":"get"}}})"));
  ASSERT_TRUE(r);
  EXPECT_FALSE(a->lastResourceRequest);
  EXPECT_EQ(a->lastPath, "/metrics");
  auto status = (*r)["status"].as_object();
  EXPECT_EQ(status["allowed"], false);
  EXPECT_EQ(status["denied"], true);
  EXPECT_EQ(status["reason"], "no way");
  EXPECT_EQ(status["evaluationError"], "it broke");
}

TEST(SelfSubjectAccessReview, ValidationAsKube) {
  auto c = selfSubjectAccessReviews(std::make_shared<Recorder>());
  UserInfo bob = testing::user("bob");
  auto r = c->create({"", &bob, false}, parse(R"({"spec":{}})"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 422);
  EXPECT_EQ(r.error().message,
            "SelfSubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.resourceAttributes: Invalid value: "
            "null: exactly one of nonResourceAttributes or resourceAttributes must be specified");
  r = c->create({"", &bob, false}, parse(R"({"spec":{"resourceAttributes":{},"nonResourceAttributes":{}}})"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("spec.nonResourceAttributes: Invalid value: {}: cannot be specified in combination "
                                   "with resourceAttributes"),
            std::string::npos)
      << r.error().message;
  r = c->create({"", &bob, false}, parse(R"({"metadata":{"name":"x"},"spec":{"resourceAttributes":{}}})"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("metadata: Invalid value: {\"name\":\"x\"}: must be empty"), std::string::npos)
      << r.error().message;
}

TEST(SubjectAccessReview, AsksAboutTheSubject) {
  auto a = std::make_shared<Recorder>();
  auto c = subjectAccessReviews(a);
  UserInfo admin = testing::user("admin");
  auto r = c->create({"", &admin, false}, parse(R"({"spec":{"user":"carol","groups":["devs"],
      "resourceAttributes":{"verb":"get","resource":"secrets","namespace":"ns1","version":"v1"}}})"));
  ASSERT_TRUE(r);
  EXPECT_EQ(a->lastUser, "carol");
  EXPECT_EQ(a->lastGroups, std::vector<std::string>{"devs"});
  EXPECT_EQ(a->lastVersion, "v1");
  auto bad = c->create({"", &admin, false}, parse(R"({"spec":{"resourceAttributes":{"verb":"get"}}})"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "SubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.user: Invalid value: \"\": at least one of "
            "user or group must be specified");
}

TEST(LocalSubjectAccessReview, NamespaceMustMatch) {
  auto a = std::make_shared<Recorder>();
  auto c = localSubjectAccessReviews(a);
  UserInfo admin = testing::user("admin");
  auto ok = c->create({"ns1", &admin, false}, parse(R"({"metadata":{"namespace":"ns1"},"spec":{"user":"carol",
      "resourceAttributes":{"verb":"get","resource":"pods","namespace":"ns1"}}})"));
  ASSERT_TRUE(ok) << ok.error().message;
  auto bad = c->create({"ns1", &admin, false}, parse(R"({"metadata":{"namespace":"ns1"},"spec":{"user":"carol",
      "resourceAttributes":{"verb":"get","resource":"pods","namespace":"ns2"}}})"));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("spec.resourceAttributes.namespace: Invalid value: \"ns2\": must match "
                                     "metadata.namespace"),
            std::string::npos);
}

TEST(SelfSubjectRulesReview, ListsTheCallersRules) {
  auto a = std::make_shared<Recorder>();
  auto c = selfSubjectRulesReviews(a);
  UserInfo alice = testing::user("alice");
  auto r = c->create({"", &alice, false}, parse(R"({"spec":{"namespace":"team"}})"));
  ASSERT_TRUE(r);
  EXPECT_EQ(a->lastUser, "alice");
  EXPECT_EQ(a->lastNamespace, "team");
  auto status = (*r)["status"].as_object();
  EXPECT_EQ(status["incomplete"], true);
  EXPECT_EQ(status["resourceRules"].as_array().size(), 1u);
  EXPECT_EQ(status["nonResourceRules"].as_array()[0].as_object()["nonResourceURLs"].as_array()[0], "/healthz");
  auto none = c->create({"", &alice, false}, parse(R"({"spec":{}})"));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message, "no namespace on request");
}

TEST(SelfSubjectReview, AnswersTheRequestsUser) {
  auto c = selfSubjectReviews();
  UserInfo u{"alice", "uid-1", {"devs", "system:authenticated"}, {{"scopes", {"a", "b"}}}};
  auto r = c->create({"", &u, false}, parse(R"({"metadata":{"creationTimestamp":null}})"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(json::serialize((*r)["status"]),
            R"({"userInfo":{"username":"alice","uid":"uid-1","groups":["devs","system:authenticated"],"extra":{"scopes":["a","b"]}}})");
  EXPECT_TRUE((*r)["metadata"].as_object()["creationTimestamp"].is_string());
  UserInfo bare{"system:anonymous", "", {}, {}};
  auto b = c->create({"", &bare, false}, parse("{}"));
  ASSERT_TRUE(b);
  EXPECT_EQ(json::serialize((*b)["status"]), R"({"userInfo":{"username":"system:anonymous"}})");
  auto none = c->create({"", nullptr, false}, parse("{}"));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, 400);
  EXPECT_EQ(none.error().message, "no user present on request");
}

}  // namespace
}  // namespace apiserver::plugins::rbac
