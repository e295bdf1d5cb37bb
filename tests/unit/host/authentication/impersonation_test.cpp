// The impersonation link: the authorizer is asked for each user, group, uid and extra; the
// request then runs as the impersonated user; refusals are 403s worded as kube's.

#include "authentication/authenticators.h"

#include "server_test_util.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <mutex>

namespace apiserver::authentication {
namespace {

using servertest::FakeHeaders;
using servertest::makeRequest;

class NullLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view) override {}
  bool enabled(LogLevel) const override { return false; }
};

/// FakeAuthorizer allows "admin" everything and records what it was asked.
class FakeAuthorizer final : public Authorizer {
 public:
  struct Asked {
    std::string user, verb, group, resource, subresource, ns, name;
  };
  AuthorizationDecision authorize(const AuthorizationAttributes& a) const override {
    std::lock_guard lock(mu_);
    asked.push_back({a.user ? a.user->name : "", std::string(a.verb), std::string(a.apiGroup), std::string(a.resource),
                     std::string(a.subresource), std::string(a.namespace_), std::string(a.name)});
    if (a.user != nullptr && a.user->name == "admin") return {Decision::Allow, "", ""};
    return {Decision::NoOpinion, "", ""};
  }
  mutable std::vector<Asked> asked;

 private:
  mutable std::mutex mu_;
};

class Recorder final : public Handler {
 public:
  Response serve(Request& req) override {
    seen = req.user;
    return Response::bytes(200, "text/plain", "ok");
  }
  UserInfo seen;
};

struct Fixture {
  NullLogger log;
  std::shared_ptr<FakeAuthorizer> authz = std::make_shared<FakeAuthorizer>();
  std::shared_ptr<Link> link;
  Recorder next;
  Fixture() {
    auto l = impersonationLink(authz, log)->create(ConfigSection());
    EXPECT_TRUE(l);
    link = *l;
  }
  Response run(const std::string& requester, const FakeHeaders& h) {
    auto req = makeRequest("GET", "/api/v1/namespaces/default/pods", &h);
    req.info.resolved = true;
    req.user = UserInfo{requester, "", {"system:authenticated"}, {}};
    return link->handle(req, next);
  }
};

TEST(Impersonation, NoHeadersPassesThrough) {
  Fixture f;
  FakeHeaders h;
  EXPECT_EQ(f.run("bob", h).status, 200);
  EXPECT_EQ(f.next.seen.name, "bob");
  EXPECT_TRUE(f.authz->asked.empty());
}

TEST(Impersonation, AnAllowedUserActsAsAnother) {
  Fixture f;
  FakeHeaders h;
  h.fields = {{"Impersonate-User", "jane"},
              {"Impersonate-Group", "devs"},
              {"Impersonate-Group", "qa"},
              {"Impersonate-Uid", "uid-7"},
              {"Impersonate-Extra-Scopes", "view"},
              {"Impersonate-Extra-Example.org%2fteam", "blue"}};
  EXPECT_EQ(f.run("admin", h).status, 200);
  const UserInfo& u = f.next.seen;
  EXPECT_EQ(u.name, "jane");
  EXPECT_EQ(u.uid, "uid-7");
  EXPECT_EQ(u.groups, (std::vector<std::string>{"devs", "qa", "system:authenticated"}));
  EXPECT_EQ(u.extra.at("scopes"), (std::vector<std::string>{"view"}));
  EXPECT_EQ(u.extra.at("example.org/team"), (std::vector<std::string>{"blue"}));
  ASSERT_EQ(f.authz->asked.size(), 6u);
  EXPECT_EQ(f.authz->asked[0].resource, "users");
  EXPECT_EQ(f.authz->asked[0].name, "jane");
  EXPECT_EQ(f.authz->asked[0].verb, "impersonate");
  EXPECT_EQ(f.authz->asked[0].group, "");
  EXPECT_EQ(f.authz->asked[1].resource, "groups");
  EXPECT_EQ(f.authz->asked[3].resource, "userextras");
  EXPECT_EQ(f.authz->asked[3].subresource, "scopes");
  EXPECT_EQ(f.authz->asked[3].group, "authentication.k8s.io");
  EXPECT_EQ(f.authz->asked[5].resource, "uids");
  EXPECT_EQ(f.authz->asked[5].group, "authentication.k8s.io");
}

TEST(Impersonation, ServiceAccountsGetTheirGroups) {
  Fixture f;
  FakeHeaders h;
  h.fields = {{"Impersonate-User", "system:serviceaccount:team:builder"}};
  EXPECT_EQ(f.run("admin", h).status, 200);
  EXPECT_EQ(f.next.seen.name, "system:serviceaccount:team:builder");
  EXPECT_EQ(f.next.seen.groups,
            (std::vector<std::string>{"system:serviceaccounts", "system:serviceaccounts:team", "system:authenticated"}));
  ASSERT_EQ(f.authz->asked.size(), 1u);
  EXPECT_EQ(f.authz->asked[0].resource, "serviceaccounts");
  EXPECT_EQ(f.authz->asked[0].ns, "team");
  EXPECT_EQ(f.authz->asked[0].name, "builder");
}

TEST(Impersonation, AnonymousStaysUnauthenticated) {
  Fixture f;
  FakeHeaders h;
  h.fields = {{"Impersonate-User", "system:anonymous"}};
  EXPECT_EQ(f.run("admin", h).status, 200);
  EXPECT_EQ(f.next.seen.groups, (std::vector<std::string>{"system:unauthenticated"}));
}

TEST(Impersonation, RefusedInKubesWords) {
  Fixture f;
  FakeHeaders h;
  h.fields = {{"Impersonate-User", "admin"}};
  Response r = f.run("bob", h);
  EXPECT_EQ(r.status, 403);
  auto st = boost::json::parse(*r.body.at(0)).as_object();
  EXPECT_EQ(st["reason"], "Forbidden");
  EXPECT_EQ(st["message"],
            "users \"admin\" is forbidden: User \"bob\" cannot impersonate resource \"users\" in API group \"\" at the "
            "cluster scope");
  EXPECT_EQ(st["details"].as_object()["kind"], "users");
  EXPECT_EQ(f.next.seen.name, "") << "the request never ran";

  h.fields = {{"Impersonate-User", "system:serviceaccount:team:builder"}};
  r = f.run("bob", h);
  st = boost::json::parse(*r.body.at(0)).as_object();
  EXPECT_EQ(st["message"],
            "serviceaccounts \"builder\" is forbidden: User \"bob\" cannot impersonate resource \"serviceaccounts\" in "
            "API group \"\" in the namespace \"team\"");
}

TEST(Impersonation, GroupsWithoutAUserAreAnError) {
  Fixture f;
  FakeHeaders h;
  h.fields = {{"Impersonate-Group", "system:masters"}};
  Response r = f.run("admin", h);
  EXPECT_EQ(r.status, 500);
  auto st = boost::json::parse(*r.body.at(0)).as_object();
  EXPECT_NE(std::string(st["message"].as_string()).find("without impersonating a user"), std::string::npos);
  EXPECT_TRUE(f.authz->asked.empty());
}

}  // namespace
}  // namespace apiserver::authentication
