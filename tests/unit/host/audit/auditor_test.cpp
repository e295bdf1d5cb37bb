// The audit link: events per stage and level, never a body at Metadata level, streams and
// pending answers, impersonated users, annotations, failed authentication.

#include "audit/auditor.h"

#include "server_test_util.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace apiserver::audit {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using servertest::FakeHeaders;
using servertest::makeRequest;

class NullLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view) override {}
  bool enabled(LogLevel) const override { return false; }
};

/// Answer is a handler with a canned response that records the request it saw.
class Answer final : public Handler {
 public:
  explicit Answer(std::function<Response(Request&)> f) : f_(std::move(f)) {}
  Response serve(Request& req) override { return f_(req); }

 private:
  std::function<Response(Request&)> f_;
};

/// OneChunk is a stream with one chunk and an end once polled.
class OneChunk final : public BodyStream {
 public:
  void start(std::function<void()>) override {}
  bool poll(std::vector<SharedBytes>& out) override {
    if (!sent_) {
      out.push_back(makeBytes("{\"type\":\"ADDED\"}\n"));
      sent_ = true;
      return true;
    }
    return false;
  }
  void cancel() noexcept override {}

 private:
  bool sent_ = false;
};

class Later final : public PendingResponse {
 public:
  void start(std::function<void(Response)> done) override { done_ = std::move(done); }
  void finish(Response r) { done_(std::move(r)); }

 private:
  std::function<void(Response)> done_;
};

class AuditorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("auditor-test-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::shared_ptr<Auditor> auditor(const std::string& policyYaml) {
    auto p = parsePolicy(policyYaml, "policy.yaml");
    EXPECT_TRUE(p) << p.error().message;
    LogBackendOptions o;
    o.path = (dir_ / "audit.log").string();
    auto b = LogBackend::open(o);
    EXPECT_TRUE(b);
    return std::make_shared<Auditor>(std::move(*p), std::move(*b), log_);
  }
  std::vector<json::object> events() {
    std::ifstream in(dir_ / "audit.log");
    std::vector<json::object> out;
    std::string line;
    while (std::getline(in, line)) out.push_back(json::parse(line).as_object());
    return out;
  }
  Request secretCreate(FakeHeaders& h) {
    h.fields = {{"Content-Type", "application/json"}, {"User-Agent", "kubectl/v1.32.4"}};
    Request req = makeRequest("POST", "/api/v1/namespaces/default/secrets?fieldManager=kubectl-create", &h);
    req.info.resolved = true;
    req.info.isResourceRequest = true;
    req.info.verb = "create";
    req.info.apiPrefix = "api";
    req.info.apiVersion = "v1";
    req.info.namespace_ = "default";
    req.info.resource = "secrets";
    req.body = R"({"kind":"Secret","apiVersion":"v1","metadata":{"name":"s"},"data":{"password":"c2VjcmV0"}})";
    req.user = UserInfo{"alice", "u1", {"dev", "system:authenticated"}, {}};
    req.remoteAddress = "127.0.0.1:40000";
    req.auditId = "11111111-2222-4333-8444-555555555555";
    return req;
  }
  static Response created() {
    return Response::bytes(201, "application/json",
                           R"({"kind":"Secret","apiVersion":"v1","metadata":{"name":"s","managedFields":[{"manager":"kubectl"}]},"data":{"password":"c2VjcmV0"}})");
  }
  fs::path dir_;
  NullLogger log_;
};

const char* kPolicyOf(const char* level) {
  static std::string s;
  s = std::string("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: ") + level + "\n";
  return s.c_str();
}

TEST_F(AuditorTest, MetadataLevelCarriesNoBodies) {
  auto a = auditor(kPolicyOf("Metadata"));
  FakeHeaders h;
  Request req = secretCreate(h);
  Answer next([](Request&) { return created(); });
  EXPECT_EQ(a->handle(req, next).status, 201);
  auto ev = events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0]["stage"], "RequestReceived");
  EXPECT_FALSE(ev[0].contains("responseStatus"));
  auto& e = ev[1];
  EXPECT_EQ(e["kind"], "Event");
  EXPECT_EQ(e["apiVersion"], "audit.k8s.io/v1");
  EXPECT_EQ(e["level"], "Metadata");
  EXPECT_EQ(e["auditID"], "11111111-2222-4333-8444-555555555555");
  EXPECT_EQ(e["stage"], "ResponseComplete");
  EXPECT_EQ(e["requestURI"], "/api/v1/namespaces/default/secrets?fieldManager=kubectl-create");
  EXPECT_EQ(e["verb"], "create");
  EXPECT_EQ(json::serialize(e.at("user")), R"({"username":"alice","uid":"u1","groups":["dev","system:authenticated"]})");
  EXPECT_EQ(json::serialize(e.at("sourceIPs")), R"(["127.0.0.1"])");
  EXPECT_EQ(e["userAgent"], "kubectl/v1.32.4");
  EXPECT_EQ(json::serialize(e.at("objectRef")),
            R"({"resource":"secrets","namespace":"default","name":"s","apiVersion":"v1"})")
      << "a create's name comes from its object";
  EXPECT_EQ(json::serialize(e.at("responseStatus")), R"({"metadata":{},"code":201})");
  EXPECT_FALSE(e.contains("requestObject"));
  EXPECT_FALSE(e.contains("responseObject"));
  EXPECT_TRUE(e.contains("requestReceivedTimestamp"));
  EXPECT_TRUE(e.contains("stageTimestamp"));
  for (const auto& x : ev) EXPECT_EQ(json::serialize(x).find("c2VjcmV0"), std::string::npos) << "no secret data";
}

TEST_F(AuditorTest, RequestLevelAddsTheRequestBody) {
  auto a = auditor("apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Request\n");
  FakeHeaders h;
  Request req = secretCreate(h);
  Answer next([](Request& r) {
    r.body.clear();  // a handler may consume the body
    return created();
  });
  a->handle(req, next);
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["level"], "Request");
  EXPECT_EQ(ev[0].at("requestObject").as_object().at("metadata").as_object().at("name"), "s");
  EXPECT_FALSE(ev[0].contains("responseObject"));
}

TEST_F(AuditorTest, RequestResponseLevelAddsTheResponseAndCanOmitManagedFields) {
  auto a = auditor(
      "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nomitManagedFields: true\n"
      "rules:\n- level: RequestResponse\n");
  FakeHeaders h;
  Request req = secretCreate(h);
  Answer next([](Request&) { return created(); });
  a->handle(req, next);
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  const auto& resp = ev[0].at("responseObject").as_object();
  EXPECT_EQ(resp.at("data").as_object().at("password"), "c2VjcmV0");
  EXPECT_FALSE(resp.at("metadata").as_object().contains("managedFields"));
}

TEST_F(AuditorTest, FailuresCarryTheirStatus) {
  auto a = auditor("apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n");
  FakeHeaders h;
  Request req = secretCreate(h);
  Answer next([](Request&) { return Response::error(ApiError::alreadyExists({"", "secrets"}, "s")); });
  a->handle(req, next);
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(json::serialize(ev[0].at("responseStatus")),
            R"({"metadata":{},"status":"Failure","message":"secrets \"s\" already exists","reason":"AlreadyExists",)"
            R"("details":{"name":"s","kind":"secrets"},"code":409})");
}

TEST_F(AuditorTest, NoneWritesNothing) {
  auto a = auditor("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  resources: [{group: \"\", "
                   "resources: [secrets]}]\n- level: Metadata\n");
  FakeHeaders h;
  Request req = secretCreate(h);
  Answer next([](Request&) { return created(); });
  a->handle(req, next);
  EXPECT_TRUE(events().empty());
}

TEST_F(AuditorTest, StreamsGetResponseStartedThenResponseComplete) {
  auto a = auditor("apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n");
  FakeHeaders h;
  Request req = makeRequest("GET", "/api/v1/namespaces/default/pods?watch=true", &h);
  req.info.resolved = true;
  req.info.isResourceRequest = true;
  req.info.verb = "watch";
  req.info.apiVersion = "v1";
  req.info.resource = "pods";
  req.info.namespace_ = "default";
  Answer next([](Request&) {
    Response r;
    r.stream = std::make_shared<OneChunk>();
    return r;
  });
  Response res = a->handle(req, next);
  ASSERT_TRUE(res.stream);
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["stage"], "ResponseStarted");
  EXPECT_EQ(json::serialize(ev[0].at("responseStatus")), R"({"metadata":{},"code":200})");
  std::vector<SharedBytes> out;
  res.stream->start([] {});
  EXPECT_TRUE(res.stream->poll(out));
  EXPECT_EQ(events().size(), 1u);
  EXPECT_FALSE(res.stream->poll(out));
  ev = events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[1]["stage"], "ResponseComplete");
  res.stream->cancel();
  res.stream.reset();
  EXPECT_EQ(events().size(), 2u) << "ResponseComplete once";
}

TEST_F(AuditorTest, PendingAnswersAreAuditedWhenTheyCome) {
  auto a = auditor("apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n");
  FakeHeaders h;
  Request req = secretCreate(h);
  auto later = std::make_shared<Later>();
  Answer next([&](Request&) { return Response::later(later); });
  Response res = a->handle(req, next);
  ASSERT_TRUE(res.pending);
  EXPECT_TRUE(events().empty());
  int got = 0;
  res.pending->start([&](Response r) { got = r.status; });
  later->finish(created());
  EXPECT_EQ(got, 201);
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(json::serialize(ev[0].at("responseStatus")), R"({"metadata":{},"code":201})");
}

TEST_F(AuditorTest, ImpersonationAndAnnotationsFromLaterLinks) {
  auto a = auditor("apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n");
  FakeHeaders h;
  Request req = secretCreate(h);
  h.fields.emplace_back("X-Forwarded-For", "10.0.0.1, 10.0.0.2");
  Answer next([](Request& r) {
    r.user = UserInfo{"jane", "", {"system:authenticated"}, {}};
    r.auditAnnotations.emplace_back("authorization.k8s.io/decision", "allow");
    r.auditAnnotations.emplace_back("authorization.k8s.io/reason", "");
    return created();
  });
  a->handle(req, next);
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].at("user").as_object().at("username"), "alice");
  EXPECT_EQ(json::serialize(ev[0].at("impersonatedUser")), R"({"username":"jane","groups":["system:authenticated"]})");
  EXPECT_EQ(json::serialize(ev[0].at("annotations")),
            R"({"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""})");
  EXPECT_EQ(json::serialize(ev[0].at("sourceIPs")), R"(["10.0.0.1","10.0.0.2","127.0.0.1"])");
}

TEST_F(AuditorTest, FailedAuthentication) {
  auto a = auditor("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n");
  FakeHeaders h;
  h.fields = {{"Authorization", "Bearer nope"}};
  Request req = makeRequest("GET", "/api/v1/namespaces/default/pods", &h);
  req.remoteAddress = "[::1]:4000";
  req.auditId = "a-b";
  a->failedAuthentication(req, 401);
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["stage"], "ResponseStarted");
  EXPECT_EQ(ev[0]["verb"], "list");
  EXPECT_EQ(json::serialize(ev[0].at("user")), "{}");
  EXPECT_EQ(json::serialize(ev[0].at("sourceIPs")), R"(["::1"])");
  EXPECT_EQ(json::serialize(ev[0].at("responseStatus")),
            R"({"metadata":{},"message":"Authentication failed, attempted: bearer","code":401})");
}

TEST(AuditHelpers, MicroTimeAndUsers) {
  EXPECT_EQ(microTime(std::chrono::system_clock::time_point(std::chrono::microseconds(1700000000123456))),
            "2023-11-14T22:13:20.123456Z");
  UserInfo u{"x", "", {}, {{"scopes", {"a", "b"}}}};
  EXPECT_EQ(json::serialize(userJson(u)), R"({"username":"x","extra":{"scopes":["a","b"]}})");
}

}  // namespace
}  // namespace apiserver::audit
