// Discovery documents: the legacy forms and aggregated discovery (apidiscovery.k8s.io/v2) in the
// shapes kubectl 1.32 needs (docs/kubectl-protocol.md section 2).

#include "server/discovery.h"
#include "server_test_util.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <deque>

namespace apiserver::server {
namespace {

namespace json = boost::json;
using servertest::FakeHeaders;
using servertest::makeRequest;

constexpr const char* kKubectlAccept =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/"
    "json;g=apidiscovery.k8s.io;"
    "v=v2beta1;as=APIGroupDiscoveryList,application/json";
constexpr const char* kV2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
constexpr const char* kV2Beta1 =
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

const std::vector<std::string> kAllVerbs = {"create", "delete", "deletecollection", "get",
                                            "list",   "patch",  "update",           "watch"};

ResourceSpec spec(std::string group, std::string version, std::string kind, std::string plural,
                  Scope scope) {
  ResourceSpec s;
  s.group = std::move(group);
  s.version = std::move(version);
  s.kind = std::move(kind);
  s.plural = std::move(plural);
  s.scope = scope;
  return s;
}

class DiscoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& pods = specs_.emplace_back(spec("", "v1", "Pod", "pods", Scope::Namespaced));
    pods.shortNames = {"po"};
    pods.categories = {"all"};
    pods.subresources = {"status"};
    auto& ns = specs_.emplace_back(spec("", "v1", "Namespace", "namespaces", Scope::Cluster));
    ns.shortNames = {"ns"};
    auto& wv2 =
        specs_.emplace_back(spec("b.example.com", "v2", "Widget", "widgets", Scope::Namespaced));
    wv2.singular = "gizmo";
    specs_.emplace_back(spec("b.example.com", "v1", "Widget", "widgets", Scope::Namespaced));
    specs_.emplace_back(spec("apps", "v1", "Deployment", "deployments", Scope::Namespaced));
    specs_.emplace_back(spec("a.example.com", "v1", "Thing", "things", Scope::Cluster));
    for (const auto& s : specs_) {
      DiscoveredResource r;
      r.spec = &s;
      r.verbs = kAllVerbs;
      if (!s.subresources.empty())
        r.statusVerbs = {"get", "patch", "update"};
      resources_.push_back(r);
    }
    discovery_ = Discovery::build(resources_);
  }

  // Serves `path` with an optional Accept header.
  Response serve(std::string_view path, const char* accept = nullptr) {
    headers_.fields.clear();
    if (accept != nullptr)
      headers_.fields.emplace_back("Accept", accept);
    auto r = discovery_->serve(makeRequest("GET", path, &headers_));
    EXPECT_TRUE(r.has_value()) << path;
    return r ? *r : Response{};
  }
  static json::object body(const Response& r) {
    std::string all;
    for (const auto& b : r.body)
      all += *b;
    return json::parse(all).as_object();
  }

  std::deque<ResourceSpec> specs_;
  std::vector<DiscoveredResource> resources_;
  std::shared_ptr<const Discovery> discovery_;
  FakeHeaders headers_;
};

json::array strings(std::initializer_list<const char*> v) {
  json::array a;
  for (const char* s : v)
    a.emplace_back(s);
  return a;
}

TEST_F(DiscoveryTest, LegacyApi) {
  auto r = serve("/api");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.contentType, "application/json");
  EXPECT_EQ(body(r), (json::object{{"kind", "APIVersions"}, {"versions", strings({"v1"})}}));
}

TEST_F(DiscoveryTest, AggregatedApiForKubectl) {
  auto r = serve("/api", kKubectlAccept);
  EXPECT_EQ(r.contentType, kV2) << "kubectl ignores an aggregated body under another Content-Type";
  bool vary = false;
  for (const auto& [k, v] : r.headers)
    vary = vary || (k == "Vary" && v == "Accept");
  EXPECT_TRUE(vary);
  json::object doc = body(r);
  EXPECT_EQ(doc.at("kind"), "APIGroupDiscoveryList");
  EXPECT_EQ(doc.at("apiVersion"), "apidiscovery.k8s.io/v2");
  const auto& items = doc.at("items").as_array();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].at("metadata").at("name"), "") << "the core group";
  const auto& versions = items[0].at("versions").as_array();
  ASSERT_EQ(versions.size(), 1u);
  EXPECT_EQ(versions[0].at("version"), "v1");
  EXPECT_EQ(versions[0].at("freshness"), "Current");
  const auto& res = versions[0].at("resources").as_array();
  ASSERT_EQ(res.size(), 2u);
  json::value wantNs =
      json::parse(R"({"resource":"namespaces","singularResource":"namespace","scope":"Cluster",
      "responseKind":{"group":"","version":"v1","kind":"Namespace"},
      "verbs":["create","delete","deletecollection","get","list","patch","update","watch"],
      "shortNames":["ns"]})");
  json::value wantPods =
      json::parse(R"({"resource":"pods","singularResource":"pod","scope":"Namespaced",
      "responseKind":{"group":"","version":"v1","kind":"Pod"},
      "verbs":["create","delete","deletecollection","get","list","patch","update","watch"],
      "shortNames":["po"],"categories":["all"],
      "subresources":[{"subresource":"status",
                       "responseKind":{"group":"","version":"v1","kind":"Pod"},
                       "verbs":["get","patch","update"]}]})");
  EXPECT_EQ(res[0], wantNs) << json::serialize(res[0]);
  EXPECT_EQ(res[1], wantPods) << json::serialize(res[1]);
}

TEST_F(DiscoveryTest, AggregatedApisListsGroupsByNameWithVersionsInRegistrationOrder) {
  json::object doc = body(serve("/apis", kKubectlAccept));
  const auto& items = doc.at("items").as_array();
  std::vector<std::string> groups;
  for (const auto& i : items)
    groups.emplace_back(i.at("metadata").at("name").as_string());
  EXPECT_EQ(groups, (std::vector<std::string>{"a.example.com", "apps", "b.example.com"}));
  const auto& bVersions = items[2].at("versions").as_array();
  ASSERT_EQ(bVersions.size(), 2u);
  EXPECT_EQ(bVersions[0].at("version"), "v2") << "first registered = preferred";
  EXPECT_EQ(bVersions[1].at("version"), "v1");
  const auto& widget = bVersions[0].at("resources").at(0);
  EXPECT_EQ(widget.at("singularResource"), "gizmo");
  EXPECT_EQ(widget.at("responseKind"),
            (json::object{{"group", "b.example.com"}, {"version", "v2"}, {"kind", "Widget"}}));
  EXPECT_EQ(widget.as_object().if_contains("subresources"), nullptr);
  EXPECT_EQ(widget.as_object().if_contains("shortNames"), nullptr);
}

TEST_F(DiscoveryTest, AcceptChoosesTheForm) {
  struct Case {
    std::string name;
    std::string accept;  // "-": no Accept header
    std::string contentType;
    std::string apiVersion;  // of the aggregated document; "" for the legacy one
  };
  const std::vector<Case> cases = {
      {"no Accept", "-", "application/json", ""},
      {"plain JSON", "application/json", "application/json", ""},
      {"kubectl's list", kKubectlAccept, kV2, "apidiscovery.k8s.io/v2"},
      {"v2beta1 only", kV2Beta1, kV2Beta1, "apidiscovery.k8s.io/v2beta1"},
      {"v2beta1 first", std::string(kV2Beta1) + "," + kV2, kV2Beta1, "apidiscovery.k8s.io/v2beta1"},
      {"JSON first",
       "application/json, application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
       "application/json", ""},
      {"anything", "*/*", "application/json", ""},
      {"params in another order",
       "application/json;as=APIGroupDiscoveryList;v=v2;g=apidiscovery.k8s.io", kV2,
       "apidiscovery.k8s.io/v2"},
      {"fallback from an unknown type",
       "application/vnd.kubernetes.protobuf, "
       "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
       kV2, "apidiscovery.k8s.io/v2"},
  };
  for (const auto& c : cases) {
    for (const char* path : {"/api", "/apis"}) {
      SCOPED_TRACE(c.name + std::string(" ") + path);
      auto r = serve(path, c.accept == "-" ? nullptr : c.accept.c_str());
      EXPECT_EQ(r.contentType, c.contentType);
      json::object doc = body(r);
      if (c.apiVersion.empty()) {
        EXPECT_EQ(doc.at("kind"), std::string(path) == "/api" ? "APIVersions" : "APIGroupList");
      } else {
        EXPECT_EQ(doc.at("kind"), "APIGroupDiscoveryList");
        EXPECT_EQ(doc.at("apiVersion").as_string(), c.apiVersion);
      }
    }
  }
}

TEST_F(DiscoveryTest, LegacyApisAndGroupDocuments) {
  json::object apis = body(serve("/apis"));
  json::value want = json::parse(R"({"kind":"APIGroupList","apiVersion":"v1","groups":[
    {"name":"a.example.com","versions":[{"groupVersion":"a.example.com/v1","version":"v1"}],
     "preferredVersion":{"groupVersion":"a.example.com/v1","version":"v1"}},
    {"name":"apps","versions":[{"groupVersion":"apps/v1","version":"v1"}],
     "preferredVersion":{"groupVersion":"apps/v1","version":"v1"}},
    {"name":"b.example.com","versions":[{"groupVersion":"b.example.com/v2","version":"v2"},
                                        {"groupVersion":"b.example.com/v1","version":"v1"}],
     "preferredVersion":{"groupVersion":"b.example.com/v2","version":"v2"}}]})");
  EXPECT_EQ(json::value(apis), want) << json::serialize(apis);

  json::object group = body(serve("/apis/b.example.com"));
  EXPECT_EQ(group.at("kind"), "APIGroup");
  EXPECT_EQ(group.at("apiVersion"), "v1");
  EXPECT_EQ(group.at("name"), "b.example.com");
  EXPECT_EQ(group.at("preferredVersion").at("version"), "v2");
}

TEST_F(DiscoveryTest, LegacyResourceLists) {
  json::object v1 = body(serve("/api/v1"));
  json::value want =
      json::parse(R"({"kind":"APIResourceList","apiVersion":"v1","groupVersion":"v1","resources":[
    {"name":"namespaces","singularName":"namespace","namespaced":false,"kind":"Namespace",
     "verbs":["create","delete","deletecollection","get","list","patch","update","watch"],
     "shortNames":["ns"]},
    {"name":"pods","singularName":"pod","namespaced":true,"kind":"Pod",
     "verbs":["create","delete","deletecollection","get","list","patch","update","watch"],
     "shortNames":["po"],"categories":["all"]},
    {"name":"pods/status","singularName":"","namespaced":true,"kind":"Pod",
     "verbs":["get","patch","update"]}]})");
  EXPECT_EQ(json::value(v1), want) << json::serialize(v1);

  json::object apps = body(serve("/apis/apps/v1"));
  EXPECT_EQ(apps.at("groupVersion"), "apps/v1");
  ASSERT_EQ(apps.at("resources").as_array().size(), 1u);
  EXPECT_EQ(apps.at("resources").at(0).at("name"), "deployments");
  EXPECT_EQ(body(serve("/apis/b.example.com/v1")).at("groupVersion"), "b.example.com/v1");
}

TEST_F(DiscoveryTest, TrailingSlashesAndUnknownPaths) {
  EXPECT_EQ(body(serve("/api/v1/")).at("groupVersion"), "v1");
  EXPECT_EQ(body(serve("/apis/")).at("kind"), "APIGroupList");
  for (const char* path : {"/apis/nope", "/apis/apps/v2", "/api/v2", "/apiz", "/api/v1/pods", "/",
                           "/healthz", "/apis/apps/v1/deployments"}) {
    SCOPED_TRACE(path);
    EXPECT_FALSE(discovery_->serve(makeRequest("GET", path)).has_value());
  }
}

TEST(Discovery, WithNoResourcesTheRootsStillAnswer) {
  auto d = Discovery::build({});
  FakeHeaders h;
  h.fields.emplace_back("Accept", kKubectlAccept);
  for (const char* path : {"/api", "/apis"}) {
    SCOPED_TRACE(path);
    auto legacy = d->serve(makeRequest("GET", path));
    ASSERT_TRUE(legacy.has_value()) << "kubectl breaks on a 404 for /apis";
    EXPECT_EQ(legacy->status, 200);
    auto agg = d->serve(makeRequest("GET", path, &h));
    ASSERT_TRUE(agg.has_value());
    EXPECT_EQ(agg->contentType, kV2);
    std::string all;
    for (const auto& b : agg->body)
      all += *b;
    EXPECT_TRUE(json::parse(all).at("items").as_array().empty());
  }
}

}  // namespace
}  // namespace apiserver::server
