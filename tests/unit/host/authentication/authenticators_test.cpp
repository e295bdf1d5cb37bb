// The authenticators and the authentication link: kube's order, system:authenticated, anonymous,
// 401s, request headers only from the proxy's CA, and the insecure port's superuser.

#include "authentication/authenticators.h"

#include "server_test_util.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace apiserver::authentication {
namespace {

using servertest::FakeHeaders;
using servertest::makeRequest;

class NullLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view m) override { lines.emplace_back(m); }
  bool enabled(LogLevel) const override { return true; }
  std::vector<std::string> lines;
};

std::shared_ptr<const TokenFile> tokens() {
  auto f = TokenFile::parse("good-token,alice,uid-a,\"dev,ops\"\nroot-token,root,0,system:masters\n", "t.csv", nullptr);
  EXPECT_TRUE(f);
  return std::make_shared<const TokenFile>(std::move(*f));
}

std::shared_ptr<const Connection> tlsWith(std::string cn, std::vector<std::string> orgs, std::vector<std::string> verifiedBy,
                                          std::map<std::string, std::string> errors = {}) {
  auto cert = std::make_shared<PeerCertificate>();
  cert->commonName = std::move(cn);
  cert->organizations = std::move(orgs);
  cert->verifiedBy = std::move(verifiedBy);
  cert->verifyErrors = std::move(errors);
  auto c = std::make_shared<Connection>();
  c->tls = true;
  c->peerCertificate = std::move(cert);
  return c;
}

AuthenticationOptions options(bool anonymous = true) {
  AuthenticationOptions o;
  RequestHeaderOptions rh;
  rh.allowedNames = {"front-proxy"};
  rh.usernameHeaders = {"X-Remote-User"};
  rh.groupHeaders = {"X-Remote-Group"};
  rh.extraHeadersPrefix = {"X-Remote-Extra-"};
  o.authenticators.push_back(requestHeader(rh));
  o.authenticators.push_back(x509());
  o.authenticators.push_back(bearerToken(tokens()));
  o.anonymous = anonymous;
  return o;
}

TEST(Authentication, BearerTokens) {
  const auto o = options();
  FakeHeaders h;
  h.fields = {{"Authorization", "Bearer good-token"}};
  auto req = makeRequest("GET", "/api/v1/pods", &h);
  auto u = authenticate(o, req, nullptr);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->name, "alice");
  EXPECT_EQ(u->uid, "uid-a");
  EXPECT_EQ(u->groups, (std::vector<std::string>{"dev", "ops", "system:authenticated"}));

  h.fields = {{"Authorization", "  bearer   root-token  "}};
  auto spaced = authenticate(o, req, nullptr);
  ASSERT_TRUE(spaced);
  EXPECT_EQ(spaced->name, "system:anonymous")
      << "kube splits on single spaces: with several, the token field is empty, so no opinion";

  h.fields = {{"Authorization", "bearer root-token"}};
  auto lower = authenticate(o, req, nullptr);
  ASSERT_TRUE(lower);
  EXPECT_EQ(lower->groups, (std::vector<std::string>{"system:masters", "system:authenticated"}));

  std::string why;
  h.fields = {{"Authorization", "Bearer wrong"}};
  auto bad = authenticate(o, req, &why);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, 401);
  EXPECT_EQ(bad.error().message, "Unauthorized");
  EXPECT_EQ(why, "bearertoken: invalid bearer token");

  h.fields = {{"Authorization", "Basic YWxpY2U6cHc="}};
  auto basic = authenticate(o, req, nullptr);
  ASSERT_TRUE(basic) << "a scheme nobody reads has no opinion: anonymous";
  EXPECT_EQ(basic->name, "system:anonymous");
}

TEST(Authentication, AnonymousOnlyWhenNobodyHasAnOpinion) {
  FakeHeaders none;
  auto req = makeRequest("GET", "/api", &none);
  auto anon = authenticate(options(true), req, nullptr);
  ASSERT_TRUE(anon);
  EXPECT_EQ(anon->name, "system:anonymous");
  EXPECT_EQ(anon->groups, (std::vector<std::string>{"system:unauthenticated"}));

  std::string why;
  auto refused = authenticate(options(false), req, &why);
  ASSERT_FALSE(refused);
  EXPECT_EQ(why, "no credentials, and anonymous requests are disabled");
}

TEST(Authentication, ClientCertificates) {
  FakeHeaders none;
  auto req = makeRequest("GET", "/api", &none);
  req.connection = tlsWith("bob", {"team-a", "team-b"}, {std::string(kClientCaBundle)});
  auto u = authenticate(options(), req, nullptr);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->name, "bob");
  EXPECT_EQ(u->groups, (std::vector<std::string>{"team-a", "team-b", "system:authenticated"}));

  // A certificate that did not verify is a failure even with anonymous access on.
  std::string why;
  req.connection = tlsWith("mallory", {"system:masters"}, {},
                           {{std::string(kClientCaBundle), "x509: certificate signed by unknown authority"}});
  auto bad = authenticate(options(true), req, &why);
  ASSERT_FALSE(bad);
  EXPECT_NE(why.find("x509: verifying certificate CN=mallory,O=system:masters failed: x509: certificate signed by "
                     "unknown authority"),
            std::string::npos)
      << why;

  // ... but another credential that works wins (kube's union authenticator).
  none.fields = {{"Authorization", "Bearer good-token"}};
  auto token = authenticate(options(true), req, nullptr);
  ASSERT_TRUE(token);
  EXPECT_EQ(token->name, "alice");

  // No CN: x509 has no opinion; without a request-header authenticator that is anonymous, with
  // one (whose CA did not sign it) a failure, as kube's union of the two.
  none.fields.clear();
  req.connection = tlsWith("", {"x"}, {std::string(kClientCaBundle)});
  AuthenticationOptions x509Only;
  x509Only.authenticators.push_back(x509());
  auto noCn = authenticate(x509Only, req, nullptr);
  ASSERT_TRUE(noCn);
  EXPECT_EQ(noCn->name, "system:anonymous");
  EXPECT_FALSE(authenticate(options(true), req, nullptr));
}

TEST(Authentication, RequestHeadersFromTheProxyOnly) {
  FakeHeaders h;
  h.fields = {{"X-Remote-User", "carol"},
              {"X-Remote-Group", "g1"},
              {"x-remote-group", "g2"},
              {"X-Remote-Extra-Scopes", "read"},
              {"X-Remote-Extra-Scopes", "write"},
              {"X-Remote-Extra-Example.com%2fkey", "v"}};
  auto req = makeRequest("GET", "/api", &h);
  req.connection = tlsWith("front-proxy", {}, {std::string(kRequestHeaderCaBundle)});
  auto u = authenticate(options(), req, nullptr);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->name, "carol");
  EXPECT_EQ(u->groups, (std::vector<std::string>{"g1", "g2", "system:authenticated"}));
  EXPECT_EQ(u->extra.at("scopes"), (std::vector<std::string>{"read", "write"}));
  EXPECT_EQ(u->extra.at("example.com/key"), (std::vector<std::string>{"v"}));

  // A proxy whose CN is not allowed.
  std::string why;
  req.connection = tlsWith("someone-else", {}, {std::string(kRequestHeaderCaBundle)});
  EXPECT_FALSE(authenticate(options(), req, &why));
  EXPECT_NE(why.find("x509: subject with cn=someone-else is not in the allowed list"), std::string::npos) << why;

  // A client certificate of the client CA cannot assert a user in headers: it is itself.
  req.connection = tlsWith("bob", {}, {std::string(kClientCaBundle)},
                           {{std::string(kRequestHeaderCaBundle), "x509: certificate signed by unknown authority"}});
  auto self = authenticate(options(), req, nullptr);
  ASSERT_TRUE(self);
  EXPECT_EQ(self->name, "bob");

  // Without a certificate the headers mean nothing.
  req.connection = nullptr;
  auto anon = authenticate(options(), req, nullptr);
  ASSERT_TRUE(anon);
  EXPECT_EQ(anon->name, "system:anonymous");

  // The proxy without a user header: no opinion from it.
  h.fields = {};
  req.connection = tlsWith("front-proxy", {}, {std::string(kRequestHeaderCaBundle)});
  EXPECT_FALSE(authenticate(options(), req, nullptr)) << "x509 fails: the proxy's certificate is not a client's";
}

TEST(Authentication, GroupsAlreadyNamingAuthenticationAreKept) {
  auto f = TokenFile::parse("t,u,1,system:unauthenticated\n", "t.csv", nullptr);
  ASSERT_TRUE(f);
  AuthenticationOptions o;
  o.authenticators.push_back(bearerToken(std::make_shared<const TokenFile>(std::move(*f))));
  FakeHeaders h;
  h.fields = {{"Authorization", "Bearer t"}};
  auto req = makeRequest("GET", "/", &h);
  auto u = authenticate(o, req, nullptr);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->groups, (std::vector<std::string>{"system:unauthenticated"}));
}

class Recorder final : public Handler {
 public:
  Response serve(Request& req) override {
    seen = req.user;
    return Response::bytes(200, "text/plain", "ok");
  }
  UserInfo seen;
};

TEST(AuthenticationLink, AnswersUnauthorizedAndPassesTheUserOn) {
  NullLogger log;
  auto link = authenticationLink(options(false), nullptr, log)->create(ConfigSection());
  ASSERT_TRUE(link);
  Recorder next;
  FakeHeaders h;
  h.fields = {{"Authorization", "Bearer nope"}};
  auto req = makeRequest("GET", "/api/v1/namespaces/default/pods", &h);
  req.remoteAddress = "127.0.0.1:5555";
  Response r = (*link)->handle(req, next);
  EXPECT_EQ(r.status, 401);
  auto status = boost::json::parse(*r.body.at(0)).as_object();
  EXPECT_EQ(status["kind"], "Status");
  EXPECT_EQ(status["reason"], "Unauthorized");
  EXPECT_EQ(status["message"], "Unauthorized");
  EXPECT_EQ(status["code"], 401);
  ASSERT_FALSE(log.lines.empty());
  EXPECT_NE(log.lines.back().find("invalid bearer token"), std::string::npos) << log.lines.back();

  h.fields = {{"Authorization", "Bearer good-token"}};
  r = (*link)->handle(req, next);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(next.seen.name, "alice");
}

TEST(AuthenticationLink, TheInsecurePortIsTheSuperuser) {
  NullLogger log;
  auto link = authenticationLink(options(false), nullptr, log)->create(ConfigSection());
  ASSERT_TRUE(link);
  Recorder next;
  FakeHeaders h;
  h.fields = {{"Authorization", "Bearer nope"}};
  auto req = makeRequest("GET", "/api", &h);
  auto insecure = std::make_shared<Connection>();
  insecure->insecure = true;
  req.connection = insecure;
  Response r = (*link)->handle(req, next);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(next.seen.name, "system:unsecured");
  EXPECT_EQ(next.seen.groups, (std::vector<std::string>{"system:masters", "system:authenticated"}));
}

TEST(AuthenticationLink, RefusesConfiguration) {
  NullLogger log;
  auto v = boost::json::parse(R"({"x": 1})");
  auto link = authenticationLink(options(), nullptr, log)->create(ConfigSection(v, "handlerChain[5].config", nullptr));
  ASSERT_FALSE(link);
  EXPECT_NE(link.error().message.find("handlerChain[5].config.x"), std::string::npos) << link.error().message;
}

}  // namespace
}  // namespace apiserver::authentication
