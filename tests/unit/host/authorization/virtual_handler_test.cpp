// Virtual (computed, create-only) resources: the host serves POST through the plugin's Creater,
// answers 405 to every other verb, and lists them in discovery and OpenAPI with `create` only.
#include "endpoints/virtual_handler.h"
#include "server/discovery.h"
#include "server/openapi.h"
#include "server/request_info.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <map>
#include <stdexcept>

namespace apiserver::endpoints {
namespace {

namespace json = boost::json;

class MapHeaders final : public Headers {
 public:
  std::map<std::string, std::string> m;
  std::optional<std::string_view> get(std::string_view name) const override {
    for (const auto& [k, v] : m)
      if (k.size() == name.size() &&
          std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
        return std::string_view(v);
    return std::nullopt;
  }
  void forEach(const std::function<void(std::string_view, std::string_view)>& fn) const override {
    for (const auto& [k, v] : m) fn(k, v);
  }
};

/// Echo answers with what it got, plus the caller and namespace in status.
class Echo final : public Creater {
 public:
  Result<json::object> create(const CreateContext& ctx, json::object obj) const override {
    if (stringField(obj, "", "spec", "boom") == "throw") throw std::runtime_error("kaboom");
    if (stringField(obj, "", "spec", "boom") == "fail") return ApiError::badRequest("refused by the creater");
    obj["status"] = json::object{{"user", ctx.user != nullptr ? ctx.user->name : ""},
                                 {"namespace", ctx.namespace_},
                                 {"dryRun", ctx.dryRun}};
    return obj;
  }
};

ResourceSpec reviewSpec(Scope scope) {
  ResourceSpec s;
  s.group = "review.example.com";
  s.version = "v1";
  s.kind = "Review";
  s.plural = "reviews";
  s.scope = scope;
  return s;
}

struct Call {
  MapHeaders headers;
  Request req;
};

Response call(const VirtualResourceHandler& h, std::string method, std::string target, std::string body,
              std::string user = "alice") {
  Call c;
  c.headers.m["Content-Type"] = "application/json";
  c.req.method = std::move(method);
  c.req.target = target;
  auto q = target.find('?');
  c.req.path = target.substr(0, q);
  if (q != std::string::npos) {
    std::string qs = target.substr(q + 1);
    auto eq = qs.find('=');
    c.req.query.items.emplace_back(qs.substr(0, eq), qs.substr(eq + 1));
  }
  c.req.headers = &c.headers;
  c.req.body = std::move(body);
  c.req.user.name = std::move(user);
  c.req.info = server::resolveRequestInfo(c.req);
  return h.serve(c.req);
}

json::object bodyOf(const Response& r) {
  std::string s;
  for (const auto& b : r.body) s += *b;
  return json::parse(s).as_object();
}

TEST(VirtualResource, CreateIsAnsweredByTheCreater) {
  VirtualResourceHandler h(reviewSpec(Scope::Cluster), std::make_shared<Echo>());
  auto r = call(h, "POST", "/apis/review.example.com/v1/reviews",
                R"({"apiVersion":"review.example.com/v1","kind":"Review","spec":{"x":1}})");
  ASSERT_EQ(r.status, 201);
  auto o = bodyOf(r);
  EXPECT_EQ(o["kind"], "Review");
  EXPECT_EQ(o["apiVersion"], "review.example.com/v1");
  EXPECT_EQ(o["status"].as_object()["user"], "alice");
  EXPECT_EQ(o["status"].as_object()["dryRun"], false);
  // kind and apiVersion may be left out; dryRun is passed on.
  r = call(h, "POST", "/apis/review.example.com/v1/reviews?dryRun=All", R"({"spec":{}})");
  ASSERT_EQ(r.status, 201);
  EXPECT_EQ(bodyOf(r)["status"].as_object()["dryRun"], true);
}

TEST(VirtualResource, OtherVerbsAre405) {
  VirtualResourceHandler h(reviewSpec(Scope::Cluster), std::make_shared<Echo>());
  for (const char* m : {"GET", "PUT", "PATCH", "DELETE"}) {
    auto r = call(h, m, "/apis/review.example.com/v1/reviews", "{}");
    EXPECT_EQ(r.status, 405) << m;
    EXPECT_EQ(bodyOf(r)["message"], "the server does not allow this method on the requested resource");
  }
  EXPECT_EQ(call(h, "POST", "/apis/review.example.com/v1/reviews/named", "{}").status, 405);
}

TEST(VirtualResource, BadBodiesAndFailures) {
  VirtualResourceHandler h(reviewSpec(Scope::Cluster), std::make_shared<Echo>());
  auto r = call(h, "POST", "/apis/review.example.com/v1/reviews", R"({"kind":"Other"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(bodyOf(r)["message"], "the kind in the data (Other) does not match the expected kind (Review)");
  EXPECT_EQ(call(h, "POST", "/apis/review.example.com/v1/reviews", "not json").status, 400);
  EXPECT_EQ(call(h, "POST", "/apis/review.example.com/v1/reviews?dryRun=Some", "{}").status, 422);
  EXPECT_EQ(call(h, "POST", "/apis/review.example.com/v1/reviews", R"({"spec":{"boom":"fail"}})").status, 400);
  EXPECT_EQ(call(h, "POST", "/apis/review.example.com/v1/reviews", R"({"spec":{"boom":"throw"}})").status, 500);
}

TEST(VirtualResource, NamespacedTakesTheNamespaceOfThePath) {
  VirtualResourceHandler h(reviewSpec(Scope::Namespaced), std::make_shared<Echo>());
  auto r = call(h, "POST", "/apis/review.example.com/v1/namespaces/ns1/reviews", R"({"spec":{}})");
  ASSERT_EQ(r.status, 201);
  auto o = bodyOf(r);
  EXPECT_EQ(o["status"].as_object()["namespace"], "ns1");
  EXPECT_EQ(o["metadata"].as_object()["namespace"], "ns1");
  r = call(h, "POST", "/apis/review.example.com/v1/namespaces/ns1/reviews", R"({"metadata":{"namespace":"ns2"}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(call(h, "POST", "/apis/review.example.com/v1/reviews", "{}").status, 404);
}

TEST(VirtualResource, DiscoveryAndOpenApiListOnlyCreate) {
  ResourceSpec spec = reviewSpec(Scope::Cluster);
  std::vector<server::DiscoveredResource> d{{&spec, {"create"}, {}}};
  auto disco = server::Discovery::build(d);
  MapHeaders headers;
  Request req;
  req.path = "/apis/review.example.com/v1";
  req.headers = &headers;
  auto doc = disco->serve(req);
  ASSERT_TRUE(doc);
  auto list = bodyOf(*doc);
  auto res = list["resources"].as_array()[0].as_object();
  EXPECT_EQ(res["name"], "reviews");
  EXPECT_EQ(res["verbs"], (json::array{"create"}));

  auto api = server::OpenApi::build(d);
  const json::value doc3 = json::parse(*api->documents().at("apis/review.example.com/v1"));
  const auto& paths = doc3.as_object().at("paths").as_object();
  ASSERT_TRUE(paths.contains("/apis/review.example.com/v1/reviews"));
  const auto& coll = paths.at("/apis/review.example.com/v1/reviews").as_object();
  EXPECT_TRUE(coll.contains("post"));
  EXPECT_FALSE(coll.contains("get"));
  EXPECT_FALSE(paths.contains("/apis/review.example.com/v1/reviews/{name}"));
}

}  // namespace
}  // namespace apiserver::endpoints
