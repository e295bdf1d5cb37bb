// ProxyHandler: what it forwards (and with which identity and options), what it leaves to the
// next server, the 503s and 504s, and the merged /apis and /openapi/v3 documents.
#include "aggregator/proxy_handler.h"

#include "aggregator/discovery.h"

#include "fakes.h"

#include <gtest/gtest.h>

#include <future>

namespace apiserver::plugins::aggregator {
namespace {

using testing::bodyOf;
using testing::FakeUpstream;
using testing::NullLogger;
using testing::obj;

/// Next is the server behind the proxy: canned documents, and a count of what reached it.
class Next final : public Handler {
 public:
  Response serve(Request& req) override {
    paths.push_back(req.path);
    if (req.path == "/apis" || req.path == "/apis/") {
      const bool aggregated = req.header("Accept").value_or("").find("as=APIGroupDiscoveryList") != std::string_view::npos;
      Response r;
      if (aggregated) {
        r.contentType = std::string(kAggregatedV2);
        r.body.push_back(aggregatedApis);
      } else {
        r.body.push_back(legacyApis);
      }
      return r;
    }
    if (req.path == "/openapi/v3") {
      Response r;
      r.body.push_back(openapiIndex);
      return r;
    }
    return Response::error(ApiError{404, "NotFound", "the server could not find the requested resource", {}});
  }
  std::vector<std::string> paths;
  SharedBytes legacyApis = makeBytes(R"({"kind":"APIGroupList","apiVersion":"v1","groups":[{"name":"local.example.com",)"
                                     R"("versions":[{"groupVersion":"local.example.com/v1","version":"v1"}]}]})");
  SharedBytes aggregatedApis = makeBytes(R"({"kind":"APIGroupDiscoveryList","apiVersion":"apidiscovery.k8s.io/v2",)"
                                         R"("metadata":{},"items":[{"metadata":{"name":"local.example.com"},"versions":[]}]})");
  SharedBytes openapiIndex = makeBytes(R"({"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=1"}}})");
};

class FakeHeaders final : public Headers {
 public:
  std::vector<std::pair<std::string, std::string>> fields;
  std::optional<std::string_view> get(std::string_view name) const override {
    for (const auto& [k, v] : fields)
      if (k == name) return std::string_view(v);
    return std::nullopt;
  }
  void forEach(const std::function<void(std::string_view, std::string_view)>& fn) const override {
    for (const auto& [k, v] : fields) fn(k, v);
  }
};

class ProxyHandlerTest : public ::testing::Test {
 protected:
  ProxyHandlerTest() {
    auto s = std::make_shared<Snapshot>();
    s->generation = 1;
    auto v = std::make_shared<RemoteVersion>();
    v->apiServiceName = "v1alpha1.samples.example.com";
    v->group = "samples.example.com";
    v->version = "v1alpha1";
    v->groupPriorityMinimum = 1000;
    v->versionPriority = 15;
    v->available = true;
    v->serviceNamespace = "default";
    v->serviceName = "sample-api";
    UpstreamTarget t;
    t.scheme = "http";
    t.host = "127.0.0.1";
    t.port = 8081;
    UpstreamTarget t2 = t;
    t2.port = 8082;
    v->targets = {t, t2};
    v->openapiPath = "/openapi/v3/apis/samples.example.com/v1alpha1?hash=B";
    auto down = std::make_shared<RemoteVersion>(*v);
    down->apiServiceName = "v1.down.example.com";
    down->group = "down.example.com";
    down->version = "v1";
    down->available = false;
    for (const auto& r : {v, down}) {
      s->remote[r->group + "/" + r->version] = r;
      s->remoteGroups.insert(r->group);
      s->groupPriority[r->group] = r->groupPriorityMinimum;
    }
    registry_->publish(s);
  }

  Request request(std::string method, std::string target) {
    Request r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.path = r.target.substr(0, r.target.find('?'));
    auto q = r.target.find('?');
    if (q != std::string::npos && r.target.find("watch=true", q) != std::string::npos) r.query.items.emplace_back("watch", "true");
    r.headers = &headers_;
    r.remoteAddress = "127.0.0.1:5555";
    return r;
  }
  /// answer waits for the real answer of a pending Response.
  static Response answer(Response r) {
    if (!r.pending) return r;
    std::promise<Response> p;
    auto f = p.get_future();
    r.pending->start([&p](Response done) { p.set_value(std::move(done)); });
    if (f.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
      ADD_FAILURE() << "no answer";
      return {};
    }
    return f.get();
  }

  NullLogger log_;
  FakeHeaders headers_;
  Next next_;
  std::shared_ptr<ApiServiceRegistry> registry_ = std::make_shared<ApiServiceRegistry>();
  std::shared_ptr<FakeUpstream> upstream_ = std::make_shared<FakeUpstream>(
      [](const FakeUpstream::Call&) { return testing::ok(R"({"kind":"Gadget"})"); });
  ProxyOptions options_{std::chrono::milliseconds(1234), std::chrono::milliseconds(5678), "", ""};
  ProxyHandler proxy_{registry_, upstream_, options_, log_};
};

TEST_F(ProxyHandlerTest, OtherPathsGoToTheNextServer) {
  for (const char* p : {"/api/v1/pods", "/apis/local.example.com/v1/things", "/healthz", "/apisx", "/openapi/v2",
                        "/apis/samples.example.com/v9/x", "/openapi/v3/api/v1"}) {
    Request r = request("GET", p);
    Response res = proxy_.serve(r, next_);
    EXPECT_FALSE(res.pending) << p;
  }
  EXPECT_EQ(next_.paths.size(), 7u);
  EXPECT_TRUE(upstream_->calls().empty());
}

TEST_F(ProxyHandlerTest, ARemoteGroupVersionIsForwardedWithTheCallersIdentity) {
  Request r = request("GET", "/apis/samples.example.com/v1alpha1/namespaces/default/gadgets/g1?pretty=1");
  r.user = UserInfo{"alice", "uid-1", {"devs", "system:authenticated"}, {{"scopes.example.com/x y", {"a", "b"}}}};
  r.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  headers_.fields = {{"Accept", "application/json"}};
  Response res = answer(proxy_.serve(r, next_));
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(bodyOf(res), R"({"kind":"Gadget"})");
  EXPECT_TRUE(next_.paths.empty());
  auto calls = upstream_->calls();
  ASSERT_EQ(calls.size(), 1u);
  const auto& c = calls[0];
  EXPECT_EQ(c.method, "GET");
  EXPECT_EQ(c.target, "/apis/samples.example.com/v1alpha1/namespaces/default/gadgets/g1?pretty=1");
  EXPECT_EQ(c.upstream.url(), "http://127.0.0.1:8081");
  EXPECT_EQ(c.options.setHeaders,
            (std::vector<std::pair<std::string, std::string>>{{"X-Remote-User", "alice"},
                                                              {"X-Remote-Group", "devs"},
                                                              {"X-Remote-Group", "system:authenticated"},
                                                              {"X-Remote-Extra-scopes.example.com%2Fx%20y", "a"},
                                                              {"X-Remote-Extra-scopes.example.com%2Fx%20y", "b"}}));
  EXPECT_EQ(c.options.removeHeaders,
            (std::vector<std::string>{"X-Remote-User", "X-Remote-Group", "X-Remote-Uid", "X-Remote-Extra-*",
                                      "Authorization", "Impersonate-*"}));
  EXPECT_EQ(c.options.connectTimeout, std::chrono::milliseconds(1234));
  EXPECT_EQ(c.options.headerTimeout, std::chrono::milliseconds(5678));
  EXPECT_EQ(c.options.deadline, r.deadline);
  EXPECT_FALSE(c.options.longRunning);
  EXPECT_EQ(c.options.forwardedFor, "127.0.0.1");

  // Requests are spread over the backends.
  Request r2 = request("GET", "/apis/samples.example.com/v1alpha1/gadgets");
  answer(proxy_.serve(r2, next_));
  EXPECT_EQ(upstream_->calls()[1].upstream.port, 8082);
}

TEST_F(ProxyHandlerTest, AnonymousIsForwardedAsKubesAnonymousUser) {
  EXPECT_EQ(identityHeaders(UserInfo{}),
            (std::vector<std::pair<std::string, std::string>>{{"X-Remote-User", "system:anonymous"},
                                                              {"X-Remote-Group", "system:unauthenticated"}}));
}

TEST_F(ProxyHandlerTest, AWatchIsLongRunning) {
  Request r = request("GET", "/apis/samples.example.com/v1alpha1/gadgets?watch=true");
  answer(proxy_.serve(r, next_));
  ASSERT_EQ(upstream_->calls().size(), 1u);
  EXPECT_TRUE(upstream_->calls()[0].options.longRunning);
  Request resolved = request("GET", "/apis/samples.example.com/v1alpha1/gadgets");
  resolved.info.resolved = true;
  resolved.info.verb = "watch";
  answer(proxy_.serve(resolved, next_));
  EXPECT_TRUE(upstream_->calls()[1].options.longRunning);
}

TEST_F(ProxyHandlerTest, AnUnavailableVersionIs503WithoutTryingTheBackend) {
  Request r = request("GET", "/apis/down.example.com/v1/things");
  Response res = proxy_.serve(r, next_);
  EXPECT_FALSE(res.pending);
  EXPECT_EQ(res.status, 503);
  auto status = obj(bodyOf(res));
  EXPECT_EQ(status.at("reason"), "ServiceUnavailable");
  EXPECT_EQ(status.at("message"), "the server is currently unable to handle the request");
  EXPECT_TRUE(upstream_->calls().empty());
  Request group = request("GET", "/apis/down.example.com");
  EXPECT_EQ(proxy_.serve(group, next_).status, 503);
}

TEST_F(ProxyHandlerTest, ABackendThatCannotBeReachedIs503AndRechecked) {
  upstream_->setResponder([](const FakeUpstream::Call&) -> Result<Response> {
    return ApiError::serviceUnavailable("dial tcp 127.0.0.1:8081: connect: connection refused");
  });
  Request r = request("GET", "/apis/samples.example.com/v1alpha1/gadgets");
  Response res = answer(proxy_.serve(r, next_));
  EXPECT_EQ(res.status, 503);
  EXPECT_EQ(obj(bodyOf(res)).at("message"), "the server is currently unable to handle the request");
  EXPECT_EQ(registry_->waitForChecks(std::chrono::milliseconds(100)),
            (std::set<std::string>{"v1alpha1.samples.example.com"}));
}

TEST_F(ProxyHandlerTest, AMissedDeadlineIs504) {
  upstream_->setResponder([](const FakeUpstream::Call&) -> Result<Response> { return ApiError::timeout("late"); });
  Request r = request("GET", "/apis/samples.example.com/v1alpha1/gadgets");
  Response res = answer(proxy_.serve(r, next_));
  EXPECT_EQ(res.status, 504);
  EXPECT_EQ(obj(bodyOf(res)).at("message"),
            "Timeout: request did not complete within requested timeout - context deadline exceeded");
}

TEST_F(ProxyHandlerTest, TheBackendsErrorsPassThrough) {
  upstream_->setResponder([](const FakeUpstream::Call&) -> Result<Response> {
    return Response::error(ApiError::notFound({"samples.example.com", "gadgets"}, "g9"));
  });
  Request r = request("GET", "/apis/samples.example.com/v1alpha1/namespaces/default/gadgets/g9");
  Response res = answer(proxy_.serve(r, next_));
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(obj(bodyOf(res)).at("message"), "gadgets.samples.example.com \"g9\" not found");
}

TEST_F(ProxyHandlerTest, ApisListsTheAvailableRemoteGroupsInBothForms) {
  Request legacy = request("GET", "/apis");
  Response res = proxy_.serve(legacy, next_);
  auto doc = obj(bodyOf(res));
  ASSERT_EQ(doc.at("groups").as_array().size(), 2u);
  EXPECT_EQ(doc.at("groups").as_array()[0].at("name"), "local.example.com");  // 1000, then by name
  EXPECT_EQ(doc.at("groups").as_array()[1].at("name"), "samples.example.com");
  // Cached: the same bytes as long as the local document and the snapshot are the same.
  Request again = request("GET", "/apis/");
  Response res2 = proxy_.serve(again, next_);
  EXPECT_EQ(res.body[0].get(), res2.body[0].get());

  headers_.fields = {{"Accept", std::string(kAggregatedV2)}};
  Request aggregated = request("GET", "/apis");
  Response agg = proxy_.serve(aggregated, next_);
  EXPECT_EQ(agg.contentType, kAggregatedV2);
  auto items = obj(bodyOf(agg)).at("items").as_array();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[1].at("metadata").at("name"), "samples.example.com");
  EXPECT_EQ(registry_->observedLocalGroups(), (std::set<std::string>{"local.example.com"}));

  Request group = request("GET", "/apis/samples.example.com");
  auto g = obj(bodyOf(proxy_.serve(group, next_)));
  EXPECT_EQ(g.at("kind"), "APIGroup");
  EXPECT_EQ(g.at("preferredVersion").at("groupVersion"), "samples.example.com/v1alpha1");
}

TEST_F(ProxyHandlerTest, TheOpenApiIndexLinksRemoteDocumentsWhichAreForwarded) {
  Request index = request("GET", "/openapi/v3");
  auto doc = obj(bodyOf(proxy_.serve(index, next_)));
  EXPECT_EQ(doc.at("paths").at("apis/samples.example.com/v1alpha1").at("serverRelativeURL"),
            "/openapi/v3/apis/samples.example.com/v1alpha1?hash=B");
  EXPECT_EQ(doc.at("paths").as_object().if_contains("apis/down.example.com/v1"), nullptr);
  Request part = request("GET", "/openapi/v3/apis/samples.example.com/v1alpha1?hash=B&timeout=32s");
  answer(proxy_.serve(part, next_));
  ASSERT_EQ(upstream_->calls().size(), 1u);
  EXPECT_EQ(upstream_->calls()[0].target, "/openapi/v3/apis/samples.example.com/v1alpha1?hash=B&timeout=32s");
}

}  // namespace
}  // namespace apiserver::plugins::aggregator
