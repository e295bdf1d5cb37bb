// OpenAPI v3 documents in the shapes kubectl needs (docs/kubectl-protocol.md section 5): the
// index with hashed URLs, PATCH operations with x-kubernetes-group-version-kind and a
// fieldValidation parameter, components.schemas for `kubectl explain`.

#include "server/openapi.h"
#include "server_test_util.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <deque>
#include <regex>

namespace apiserver::server {
namespace {

namespace json = boost::json;
using servertest::makeRequest;

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

json::object bodyOf(const Response& r) {
  std::string all;
  for (const auto& b : r.body)
    all += *b;
  return json::parse(all).as_object();
}

// kubectl's check before `create -f` / `apply` with --validate=strict: some path's PATCH has the
// object's GVK and a fieldValidation parameter.
bool kubectlWouldSendFieldValidation(const json::object& doc, const json::object& gvk) {
  const auto* paths = doc.if_contains("paths");
  if (paths == nullptr || !paths->is_object())
    return false;
  for (const auto& p : paths->get_object()) {
    const auto* patch = p.value().as_object().if_contains("patch");
    if (patch == nullptr)
      continue;
    const auto* g = patch->as_object().if_contains("x-kubernetes-group-version-kind");
    if (g == nullptr || *g != json::value(gvk))
      continue;
    const auto* params = patch->as_object().if_contains("parameters");
    if (params == nullptr)
      continue;
    for (const auto& param : params->as_array())
      if (param.as_object().at("name") == "fieldValidation" &&
          param.as_object().at("in") == "query")
        return true;
  }
  return false;
}

class OpenApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& pods = specs_.emplace_back(spec("", "v1", "Pod", "pods", Scope::Namespaced));
    pods.subresources = {"status"};
    pods.schemaName = "io.k8s.api.core.v1.Pod";
    pods.schema =
        json::parse(R"({"description":"Pod is a collection of containers.","type":"object",
        "properties":{"spec":{"allOf":[
          {"$ref":"#/components/schemas/io.k8s.api.core.v1.PodSpec"}]}}})")
            .as_object();
    pods.definitions =
        json::parse(R"({"io.k8s.api.core.v1.PodSpec":{"type":"object","required":["containers"],
        "properties":{"containers":{"type":"array","items":{"type":"object"}}}}})")
            .as_object();
    specs_.emplace_back(spec("", "v1", "Namespace", "namespaces", Scope::Cluster));
    specs_.emplace_back(spec("apps", "v1", "Deployment", "deployments", Scope::Namespaced));
    auto& ro =
        specs_.emplace_back(spec("example.com", "v1", "Report", "reports", Scope::Namespaced));
    (void)ro;
    for (const auto& s : specs_) {
      DiscoveredResource r;
      r.spec = &s;
      r.verbs = s.kind == "Report" ? std::vector<std::string>{"get", "list", "watch"} : kAllVerbs;
      if (!s.subresources.empty())
        r.statusVerbs = {"get", "patch", "update"};
      resources_.push_back(r);
    }
    openapi_ = OpenApi::build(resources_);
  }

  json::object index() {
    auto r = openapi_->serve(makeRequest("GET", "/openapi/v3"));
    EXPECT_TRUE(r.has_value());
    return r ? bodyOf(*r) : json::object();
  }
  // Follows the index to one group version's document, as kubectl does.
  json::object document(const std::string& gv) {
    json::object idx = index();
    const auto* entry = idx.at("paths").as_object().if_contains(gv);
    EXPECT_NE(entry, nullptr) << gv;
    if (entry == nullptr)
      return {};
    std::string url(entry->at("serverRelativeURL").as_string());
    auto r = openapi_->serve(makeRequest("GET", url + "&timeout=32s"));
    EXPECT_TRUE(r.has_value()) << url;
    return r ? bodyOf(*r) : json::object();
  }

  std::deque<ResourceSpec> specs_;
  std::vector<DiscoveredResource> resources_;
  std::shared_ptr<const OpenApi> openapi_;
};

TEST_F(OpenApiTest, TheIndexListsEveryGroupVersionWithAHashedUrl) {
  json::object idx = index();
  const auto& paths = idx.at("paths").as_object();
  std::vector<std::string> gvs;
  for (const auto& p : paths)
    gvs.emplace_back(p.key());
  std::sort(gvs.begin(), gvs.end());
  EXPECT_EQ(gvs, (std::vector<std::string>{"api/v1", "apis/apps/v1", "apis/example.com/v1"}));
  const std::regex url(
      "/openapi/v3/(api/v1|apis/apps/v1|apis/example\\.com/v1)\\?hash=[0-9A-F]{16}");
  for (const auto& p : paths) {
    std::string u(p.value().at("serverRelativeURL").as_string());
    EXPECT_TRUE(std::regex_match(u, url)) << u;
    EXPECT_EQ(u.find(std::string(p.key())), std::string("/openapi/v3/").size());
  }
}

TEST_F(OpenApiTest, PatchOperationsLetKubectlValidateOnTheServer) {
  json::object core = document("api/v1");
  EXPECT_EQ(core.at("openapi"), "3.0.0");
  EXPECT_TRUE(
      kubectlWouldSendFieldValidation(core, {{"group", ""}, {"version", "v1"}, {"kind", "Pod"}}));
  EXPECT_TRUE(kubectlWouldSendFieldValidation(
      core, {{"group", ""}, {"version", "v1"}, {"kind", "Namespace"}}));
  EXPECT_FALSE(kubectlWouldSendFieldValidation(
      core, {{"group", "apps"}, {"version", "v1"}, {"kind", "Deployment"}}))
      << "other group versions have their own documents";
  json::object apps = document("apis/apps/v1");
  EXPECT_TRUE(kubectlWouldSendFieldValidation(
      apps, {{"group", "apps"}, {"version", "v1"}, {"kind", "Deployment"}}));
  json::object ex = document("apis/example.com/v1");
  EXPECT_TRUE(kubectlWouldSendFieldValidation(
      ex, {{"group", "example.com"}, {"version", "v1"}, {"kind", "Report"}}));
}

TEST_F(OpenApiTest, PathsFollowTheScopeAndVerbs) {
  json::object core = document("api/v1");
  const auto& paths = core.at("paths").as_object();
  struct Case {
    std::string path;
    std::vector<std::string> methods;
  };
  const std::vector<Case> cases = {
      {"/api/v1/namespaces/{namespace}/pods", {"get", "post", "delete"}},
      {"/api/v1/namespaces/{namespace}/pods/{name}", {"get", "put", "patch", "delete"}},
      {"/api/v1/namespaces/{namespace}/pods/{name}/status", {"get", "put", "patch"}},
      {"/api/v1/pods", {"get"}},
      {"/api/v1/namespaces", {"get", "post", "delete"}},
      {"/api/v1/namespaces/{name}", {"get", "put", "patch", "delete"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);
    const auto* p = paths.if_contains(c.path);
    ASSERT_NE(p, nullptr);
    for (const auto& m : c.methods)
      EXPECT_NE(p->as_object().if_contains(m), nullptr) << m;
  }
  EXPECT_EQ(
      paths.at("/api/v1/namespaces/{namespace}/pods/{name}").at("patch").at("x-kubernetes-action"),
      "patch");
  EXPECT_EQ(paths.at("/api/v1/namespaces/{namespace}/pods").at("get").at("x-kubernetes-action"),
            "list");
  EXPECT_EQ(paths.at("/api/v1/namespaces/{namespace}/pods/{name}").at("get").at("operationId"),
            "readPod");

  json::object ex = document("apis/example.com/v1");
  const auto& exPaths = ex.at("paths").as_object();
  const auto& coll = exPaths.at("/apis/example.com/v1/namespaces/{namespace}/reports").as_object();
  EXPECT_NE(coll.if_contains("get"), nullptr);
  EXPECT_EQ(coll.if_contains("post"), nullptr) << "the resource has no create verb";
  EXPECT_EQ(coll.if_contains("delete"), nullptr);
  const auto& item =
      exPaths.at("/apis/example.com/v1/namespaces/{namespace}/reports/{name}").as_object();
  EXPECT_EQ(item.if_contains("put"), nullptr);
  EXPECT_EQ(item.if_contains("delete"), nullptr);
}

TEST_F(OpenApiTest, SchemasServeKubectlExplain) {
  json::object core = document("api/v1");
  const auto& schemas = core.at("components").at("schemas").as_object();
  const auto* pod = schemas.if_contains("io.k8s.api.core.v1.Pod");
  ASSERT_NE(pod, nullptr);
  EXPECT_EQ(pod->at("description"), "Pod is a collection of containers.");
  EXPECT_EQ(pod->at("type"), "object");
  EXPECT_TRUE(pod->at("properties").is_object());
  EXPECT_EQ(pod->at("x-kubernetes-group-version-kind"),
            json::parse(R"([{"group":"","version":"v1","kind":"Pod"}])"));
  ASSERT_NE(schemas.if_contains("io.k8s.api.core.v1.PodSpec"), nullptr)
      << "definitions are published";
  EXPECT_NE(schemas.if_contains("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"), nullptr);

  // A kind without a schema gets a minimal one that still explains.
  const auto* ns = schemas.if_contains("core.v1.Namespace");
  ASSERT_NE(ns, nullptr);
  EXPECT_EQ(ns->at("type"), "object");
  EXPECT_TRUE(ns->at("description").is_string());
  EXPECT_TRUE(ns->at("properties").at("metadata").is_object());
  EXPECT_EQ(ns->at("x-kubernetes-group-version-kind"),
            json::parse(R"([{"group":"","version":"v1","kind":"Namespace"}])"));

  // Every $ref points at a published schema.
  std::function<void(const json::value&)> check = [&](const json::value& v) {
    if (v.is_object()) {
      for (const auto& kv : v.get_object()) {
        if (kv.key() == "$ref") {
          std::string ref(kv.value().as_string());
          const std::string prefix = "#/components/schemas/";
          ASSERT_EQ(ref.rfind(prefix, 0), 0u) << ref;
          EXPECT_NE(schemas.if_contains(ref.substr(prefix.size())), nullptr) << ref;
        } else {
          check(kv.value());
        }
      }
    } else if (v.is_array()) {
      for (const auto& e : v.get_array())
        check(e);
    }
  };
  check(core);
}

TEST_F(OpenApiTest, TheHashChangesWithTheDocumentAndOnlyThen) {
  auto same = OpenApi::build(resources_);
  auto urlOf = [](const std::shared_ptr<const OpenApi>& o, const char* gv) {
    auto r = o->serve(makeRequest("GET", "/openapi/v3"));
    return std::string(bodyOf(*r).at("paths").at(gv).at("serverRelativeURL").as_string());
  };
  EXPECT_EQ(urlOf(same, "api/v1"), urlOf(openapi_, "api/v1"));
  specs_[0].schema["description"] = "changed";
  auto changed = OpenApi::build(resources_);
  EXPECT_NE(urlOf(changed, "api/v1"), urlOf(openapi_, "api/v1"));
  EXPECT_EQ(urlOf(changed, "apis/apps/v1"), urlOf(openapi_, "apis/apps/v1"))
      << "other documents keep theirs";
}

TEST_F(OpenApiTest, ServingPaths) {
  auto hashed = openapi_->serve(makeRequest("GET", "/openapi/v3/api/v1?hash=ABC"));
  ASSERT_TRUE(hashed.has_value());
  bool immutable = false;
  for (const auto& [k, v] : hashed->headers)
    immutable = immutable || (k == "Cache-Control" && v.find("immutable") != std::string::npos);
  EXPECT_TRUE(immutable);
  auto plain = openapi_->serve(makeRequest("GET", "/openapi/v3/api/v1"));
  ASSERT_TRUE(plain.has_value());
  for (const auto& [k, v] : plain->headers)
    EXPECT_NE(k, "Cache-Control");
  EXPECT_TRUE(openapi_->serve(makeRequest("GET", "/openapi/v3/")).has_value());
  for (const char* path : {"/openapi/v2", "/openapi/v3x", "/openapi/v3/apis/nope/v1",
                           "/openapi/v3/api/v2", "/openapi", "/openapi/v3/api"}) {
    SCOPED_TRACE(path);
    EXPECT_FALSE(openapi_->serve(makeRequest("GET", path)).has_value());
  }
}

TEST(OpenApi, WithNoResourcesTheIndexIsEmpty) {
  auto o = OpenApi::build({});
  auto r = o->serve(makeRequest("GET", "/openapi/v3"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(bodyOf(*r), (json::object{{"paths", json::object()}}));
}

}  // namespace
}  // namespace apiserver::server
