// GET /openapi/v2 (server/openapi_v2/openapi_v2.h): the v3 -> Swagger 2.0 conversion, the
// protobuf encoding checked by decoding it with the generated gnostic messages, the checks
// kubectl makes on what it decodes (kube-openapi's proto parser, the fieldValidation verifier),
// and the HTTP side (Accept, ETag, If-None-Match).

#include "server/openapi_v2/openapi_v2.h"
#include "server/openapi.h"
#include "server_test_util.h"

#include "core/resources/catalog.h"

#include <apiserver/version.h>

#include <openapiv2/OpenAPIv2.pb.h>

#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace apiserver::server {
namespace {

namespace json = boost::json;
namespace pb = ::openapi::v2;
using servertest::FakeHeaders;
using servertest::makeRequest;

constexpr const char* kProtoAccept = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";
constexpr const char* kProtoType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

const std::vector<std::string> kAllVerbs = {"create", "delete", "deletecollection", "get",
                                            "list",   "patch",  "update",           "watch"};

std::string bodyOf(const Response& r) {
  std::string all;
  for (const auto& b : r.body)
    all += *b;
  return all;
}

std::string headerOf(const Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name)
      return v;
  return {};
}

const pb::PathItem* findPath(const pb::Document& doc, std::string_view name) {
  for (const auto& p : doc.paths().path())
    if (p.name() == name)
      return &p.value();
  return nullptr;
}

const pb::Schema* findDefinition(const pb::Document& doc, std::string_view name) {
  for (const auto& d : doc.definitions().additional_properties())
    if (d.name() == name)
      return &d.value();
  return nullptr;
}

const pb::Schema* findProperty(const pb::Schema& s, std::string_view name) {
  for (const auto& p : s.properties().additional_properties())
    if (p.name() == name)
      return &p.value();
  return nullptr;
}

const pb::NamedAny* findExtension(const google::protobuf::RepeatedPtrField<pb::NamedAny>& exts,
                                  std::string_view name) {
  for (const auto& e : exts)
    if (e.name() == name)
      return &e;
  return nullptr;
}

// kubectl's hasGVKExtension: the operation's x-kubernetes-group-version-kind, read as YAML.
bool operationHasGvk(const pb::Operation& op, const std::string& group, const std::string& version,
                     const std::string& kind) {
  const auto* e = findExtension(op.vendor_extension(), "x-kubernetes-group-version-kind");
  if (e == nullptr)
    return false;
  YAML::Node n = YAML::Load(e->value().yaml());
  return n.IsMap() && n["group"].IsScalar() && n["group"].as<std::string>() == group &&
         n["version"].as<std::string>() == version && n["kind"].as<std::string>() == kind;
}

// kubectl's v2 QueryParamVerifier: the PATCH of the GVK lists a query parameter of that name.
bool supportsQueryParam(const pb::Document& doc, const std::string& group,
                        const std::string& version, const std::string& kind,
                        const std::string& param) {
  for (const auto& p : doc.paths().path()) {
    if (!p.value().has_patch() || !operationHasGvk(p.value().patch(), group, version, kind))
      continue;
    for (const auto& item : p.value().patch().parameters())
      if (item.parameter().non_body_parameter().query_parameter_sub_schema().name() == param)
        return true;
    return false;
  }
  return false;
}

// The checks kube-openapi's proto.NewOpenAPIData makes while parsing every definition (any
// failure makes kubectl give up on the whole document).
void expectParsable(const pb::Schema& s, const std::set<std::string>& models,
                    const std::string& path) {
  if (!s._ref().empty()) {
    EXPECT_EQ(s.properties().additional_properties_size(), 0) << path << ": $ref with properties";
    EXPECT_EQ(s.type().value_size(), 0) << path << ": $ref with a type";
    ASSERT_TRUE(s._ref().starts_with("#/definitions/")) << path << ": " << s._ref();
    EXPECT_TRUE(models.contains(s._ref().substr(14))) << path << ": unknown model " << s._ref();
    return;
  }
  ASSERT_LE(s.type().value_size(), 1) << path << ": several types";
  const std::string t = s.type().value_size() == 1 ? s.type().value(0) : "";
  if (t.empty() || t == "object") {
    if (s.has_properties()) {
      for (const auto& p : s.properties().additional_properties())
        expectParsable(p.value(), models, path + "." + p.name());
    } else if (!t.empty() && s.additional_properties().has_schema()) {
      expectParsable(s.additional_properties().schema(), models, path + "{}");
    }
    return;
  }
  if (t == "array") {
    ASSERT_EQ(s.items().schema_size(), 1) << path << ": array without exactly one item schema";
    expectParsable(s.items().schema(0), models, path + "[]");
    return;
  }
  EXPECT_TRUE(t == "string" || t == "number" || t == "integer" || t == "boolean")
      << path << ": unknown primitive " << t;
}

void expectValidYamlExtensions(const google::protobuf::RepeatedPtrField<pb::NamedAny>& exts,
                               const std::string& path) {
  for (const auto& e : exts) {
    EXPECT_TRUE(e.name().starts_with("x-")) << path;
    EXPECT_NO_THROW(YAML::Load(e.value().yaml())) << path << " " << e.name();
  }
}

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

// ---- the conversion, on hand-written v3 schemas

json::object convertOne(std::string_view v3Schema) {
  json::object doc{{"openapi", "3.0.0"},
                   {"info", json::object{{"title", "Kubernetes"}, {"version", "v1.32.0"}}},
                   {"paths", json::object()},
                   {"components", json::object{{"schemas", json::object{
                                                               {"T", json::parse(v3Schema)},
                                                           }}}}};
  json::object v2 = toSwagger({doc});
  return v2.at("definitions").as_object().at("T").as_object();
}

TEST(OpenApiV2Convert, AllOfReferenceBecomesDirectRefAndDefaultsArePruned) {
  auto t = convertOne(R"({"type":"object","default":{},"properties":{
      "metadata":{"allOf":[{"$ref":"#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}],
                  "default":{},"description":"Standard object's metadata."},
      "args":{"type":"array","items":{"type":"string","default":""}},
      "limits":{"type":"object","additionalProperties":{"$ref":"#/components/schemas/Q"}}}})");
  EXPECT_FALSE(t.contains("default"));
  const auto& props = t.at("properties").as_object();
  EXPECT_EQ(json::serialize(props.at("metadata")),
            R"({"$ref":"#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",)"
            R"("description":"Standard object's metadata."})");
  EXPECT_EQ(json::serialize(props.at("args")), R"({"items":{"type":"string"},"type":"array"})");
  EXPECT_EQ(json::serialize(props.at("limits")),
            R"({"additionalProperties":{"$ref":"#/definitions/Q"},"type":"object"})");
}

TEST(OpenApiV2Convert, IntOrStringAndQuantityAsKubesV2SpecWritesThem) {
  auto ios = convertOne(R"({"description":"IntOrString is ...","format":"int-or-string",
      "oneOf":[{"type":"integer"},{"type":"string"}],"x-kubernetes-int-or-string":true})");
  EXPECT_EQ(json::serialize(ios),
            R"({"description":"IntOrString is ...","format":"int-or-string","type":"string"})");
  auto q = convertOne(
      R"({"description":"Quantity is ...","oneOf":[{"type":"string"},{"type":"number"}]})");
  EXPECT_EQ(json::serialize(q), R"({"description":"Quantity is ...","type":"string"})");
  // A CRD-style int-or-string field (anyOf, no format) reads the same way.
  auto f = convertOne(
      R"({"x-kubernetes-int-or-string":true,"anyOf":[{"type":"integer"},{"type":"string"}]})");
  EXPECT_EQ(json::serialize(f), R"({"format":"int-or-string","type":"string"})");
}

TEST(OpenApiV2Convert, KeysV2CannotHoldAreDropped) {
  auto t = convertOne(R"({"type":"object","not":{"type":"string"},"writeOnly":true,
      "deprecated":true,"properties":{"a":{"type":"string","nullable":true},
      "b":{"type":["string","null"]}},"required":["a","b"]})");
  // nullable: no type (kube's v2 for nullable CRD fields), not required any more.
  EXPECT_EQ(json::serialize(t),
            R"({"properties":{"a":{},"b":{"type":"string"}},"required":["b"],"type":"object"})");
}

TEST(OpenApiV2Convert, PreserveUnknownFieldsKeepsNoStructure) {
  auto t = convertOne(R"({"type":"object","x-kubernetes-preserve-unknown-fields":true,
      "properties":{"apiVersion":{"type":"string"}}})");
  EXPECT_EQ(json::serialize(t), R"({"type":"object","x-kubernetes-preserve-unknown-fields":true})");
  auto a = convertOne(R"({"type":"array"})");  // kubectl cannot parse an array without items
  EXPECT_EQ(json::serialize(a), "{}");
}

TEST(OpenApiV2Convert, DanglingReferencesGetADefinition) {
  json::object doc{{"components", json::object{{"schemas", json::parse(R"({"T":{"type":"object",
      "properties":{"x":{"$ref":"#/components/schemas/Missing"}}}})")}}}};
  json::object v2 = toSwagger({doc});
  EXPECT_TRUE(v2.at("definitions").as_object().contains("Missing"));
}

// ---- the document built from served resources

class OpenApiV2Test : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& pods = specs_.emplace_back(spec("", "v1", "Pod", "pods", Scope::Namespaced));
    pods.subresources = {"status"};
    pods.schemaName = "io.k8s.api.core.v1.Pod";
    pods.schema = json::parse(R"({"description":"Pod is a collection of containers.",
        "type":"object","properties":{
          "metadata":{"allOf":[{"$ref":"#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}],"default":{}},
          "spec":{"allOf":[{"$ref":"#/components/schemas/io.k8s.api.core.v1.PodSpec"}],
                  "default":{},"description":"Specification of the desired behavior of the pod."}}})")
                      .as_object();
    pods.definitions = json::parse(R"({"io.k8s.api.core.v1.PodSpec":{"type":"object",
        "required":["containers"],"properties":{"containers":{"type":"array",
        "items":{"type":"object"},"x-kubernetes-patch-merge-key":"name",
        "x-kubernetes-patch-strategy":"merge"}}}})")
                           .as_object();
    specs_.push_back(spec("", "v1", "Namespace", "namespaces", Scope::Cluster));
    specs_.push_back(spec("apps.example.com", "v1", "Widget", "widgets", Scope::Namespaced));
    for (const auto& s : specs_)
      resources_.push_back({&s, kAllVerbs,
                            s.subresources.empty()
                                ? std::vector<std::string>{}
                                : std::vector<std::string>{"get", "patch", "update"}});
    auto v3 = OpenApi::build(resources_);
    auto built = OpenApiV2::build(v3->documents());
    ASSERT_TRUE(built) << built.error().message;
    v2_ = *built;
    ASSERT_TRUE(doc_.ParseFromString(*v2_->protobuf()));
    json_ = json::parse(*v2_->json()).as_object();
  }

  std::deque<ResourceSpec> specs_;
  std::vector<DiscoveredResource> resources_;
  std::shared_ptr<const OpenApiV2> v2_;
  pb::Document doc_;
  json::object json_;
};

TEST_F(OpenApiV2Test, OneDocumentForAllGroups) {
  EXPECT_EQ(doc_.swagger(), "2.0");
  EXPECT_EQ(doc_.info().title(), "Kubernetes");
  EXPECT_EQ(doc_.info().version(), kKubernetesGitVersion);
  EXPECT_NE(findPath(doc_, "/api/v1/namespaces/{namespace}/pods/{name}"), nullptr);
  EXPECT_NE(findPath(doc_, "/api/v1/namespaces/{name}"), nullptr);
  EXPECT_NE(findPath(doc_, "/apis/apps.example.com/v1/namespaces/{namespace}/widgets/{name}"),
            nullptr);
  EXPECT_EQ(json_.at("swagger").as_string(), "2.0");
  // The JSON and the protobuf hold the same paths and definitions, in the same order.
  std::vector<std::string> jsonPaths, pbPaths, jsonDefs, pbDefs;
  for (const auto& kv : json_.at("paths").as_object())
    jsonPaths.emplace_back(kv.key());
  for (const auto& p : doc_.paths().path())
    pbPaths.push_back(p.name());
  for (const auto& kv : json_.at("definitions").as_object())
    jsonDefs.emplace_back(kv.key());
  for (const auto& d : doc_.definitions().additional_properties())
    pbDefs.push_back(d.name());
  EXPECT_EQ(jsonPaths, pbPaths);
  EXPECT_EQ(jsonDefs, pbDefs);
  EXPECT_TRUE(std::is_sorted(pbDefs.begin(), pbDefs.end()));
}

TEST_F(OpenApiV2Test, DefinitionsCarryTheGvkAsYamlAndDirectRefs) {
  const auto* pod = findDefinition(doc_, "io.k8s.api.core.v1.Pod");
  ASSERT_NE(pod, nullptr);
  EXPECT_EQ(pod->type().value(0), "object");
  const auto* gvk = findExtension(pod->vendor_extension(), "x-kubernetes-group-version-kind");
  ASSERT_NE(gvk, nullptr);
  // kubectl's parseGroupVersionKind: a list of maps whose group is a string (not null).
  YAML::Node n = YAML::Load(gvk->value().yaml());
  ASSERT_TRUE(n.IsSequence());
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0]["group"].Tag(), "!");  // quoted: a string, even though empty
  EXPECT_EQ(n[0]["group"].as<std::string>(), "");
  EXPECT_EQ(n[0]["version"].as<std::string>(), "v1");
  EXPECT_EQ(n[0]["kind"].as<std::string>(), "Pod");

  const auto* specProp = findProperty(*pod, "spec");
  ASSERT_NE(specProp, nullptr);
  EXPECT_EQ(specProp->_ref(), "#/definitions/io.k8s.api.core.v1.PodSpec");
  EXPECT_EQ(specProp->description(), "Specification of the desired behavior of the pod.");
  EXPECT_FALSE(specProp->has_default_());
  EXPECT_EQ(specProp->all_of_size(), 0);

  const auto* podSpec = findDefinition(doc_, "io.k8s.api.core.v1.PodSpec");
  ASSERT_NE(podSpec, nullptr);
  ASSERT_EQ(podSpec->required_size(), 1);
  EXPECT_EQ(podSpec->required(0), "containers");
  const auto* containers = findProperty(*podSpec, "containers");
  ASSERT_NE(containers, nullptr);
  EXPECT_EQ(containers->type().value(0), "array");
  ASSERT_EQ(containers->items().schema_size(), 1);
  const auto* strategy =
      findExtension(containers->vendor_extension(), "x-kubernetes-patch-strategy");
  ASSERT_NE(strategy, nullptr);
  EXPECT_EQ(YAML::Load(strategy->value().yaml()).as<std::string>(), "merge");

  // The kind without a schema: kube's v2 form of a schema that keeps unknown fields.
  const auto* widget = findDefinition(doc_, "apps.example.com.v1.Widget");
  ASSERT_NE(widget, nullptr);
  EXPECT_FALSE(widget->has_properties());
  EXPECT_NE(findExtension(widget->vendor_extension(), "x-kubernetes-preserve-unknown-fields"),
            nullptr);
}

TEST_F(OpenApiV2Test, OperationsAsKubePublishesThem) {
  const auto* item = findPath(doc_, "/api/v1/namespaces/{namespace}/pods/{name}");
  ASSERT_NE(item, nullptr);
  // Path-level parameters: namespace and name, in: path, required, type string.
  ASSERT_EQ(item->parameters_size(), 2);
  const auto& ns = item->parameters(0).parameter().non_body_parameter().path_parameter_sub_schema();
  EXPECT_EQ(ns.name(), "namespace");
  EXPECT_EQ(ns.in(), "path");
  EXPECT_TRUE(ns.required());
  EXPECT_EQ(ns.type(), "string");
  EXPECT_TRUE(ns.unique_items());

  ASSERT_TRUE(item->has_patch());
  const auto& patch = item->patch();
  EXPECT_EQ(patch.operation_id(), "patchPod");
  const auto* action = findExtension(patch.vendor_extension(), "x-kubernetes-action");
  ASSERT_NE(action, nullptr);
  EXPECT_EQ(action->value().yaml(), "patch\n");
  EXPECT_TRUE(operationHasGvk(patch, "", "v1", "Pod"));
  EXPECT_EQ(std::vector<std::string>(patch.consumes().begin(), patch.consumes().end()),
            (std::vector<std::string>{"application/json-patch+json", "application/merge-patch+json",
                                      "application/strategic-merge-patch+json",
                                      "application/apply-patch+yaml"}));
  // The body first, then the query parameters.
  ASSERT_GE(patch.parameters_size(), 1);
  const auto& body = patch.parameters(0).parameter().body_parameter();
  EXPECT_EQ(body.name(), "body");
  EXPECT_EQ(body.in(), "body");
  EXPECT_TRUE(body.required());
  EXPECT_EQ(body.schema()._ref(), "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch");
  EXPECT_NE(findDefinition(doc_, "io.k8s.apimachinery.pkg.apis.meta.v1.Patch"), nullptr);
  std::vector<std::string> query;
  for (int i = 1; i < patch.parameters_size(); ++i) {
    const auto& q =
        patch.parameters(i).parameter().non_body_parameter().query_parameter_sub_schema();
    EXPECT_EQ(q.in(), "query");
    EXPECT_TRUE(q.unique_items());
    query.push_back(q.name() + ":" + q.type());
  }
  EXPECT_EQ(query, (std::vector<std::string>{"dryRun:string", "fieldManager:string",
                                             "fieldValidation:string", "force:boolean"}));
  // The response: 200 with the kind's schema; produces from the v3 media types.
  ASSERT_EQ(patch.responses().response_code_size(), 1);
  const auto& ok = patch.responses().response_code(0);
  EXPECT_EQ(ok.name(), "200");
  EXPECT_EQ(ok.value().response().description(), "OK");
  EXPECT_EQ(ok.value().response().schema().schema()._ref(), "#/definitions/io.k8s.api.core.v1.Pod");
  EXPECT_EQ(std::vector<std::string>(patch.produces().begin(), patch.produces().end()),
            (std::vector<std::string>{"application/json", "application/yaml"}));

  // POST takes the kind itself as its body.
  const auto* coll = findPath(doc_, "/api/v1/namespaces/{namespace}/pods");
  ASSERT_NE(coll, nullptr);
  ASSERT_TRUE(coll->has_post());
  EXPECT_EQ(coll->post().parameters(0).parameter().body_parameter().schema()._ref(),
            "#/definitions/io.k8s.api.core.v1.Pod");
  const auto* list = findExtension(coll->get().vendor_extension(), "x-kubernetes-action");
  ASSERT_NE(list, nullptr);
  EXPECT_EQ(list->value().yaml(), "list\n");
  // The status subresource, and list across namespaces.
  EXPECT_NE(findPath(doc_, "/api/v1/namespaces/{namespace}/pods/{name}/status"), nullptr);
  EXPECT_NE(findPath(doc_, "/api/v1/pods"), nullptr);
}

TEST_F(OpenApiV2Test, KubectlFindsFieldValidationForServedKindsOnly) {
  EXPECT_TRUE(supportsQueryParam(doc_, "", "v1", "Pod", "fieldValidation"));
  EXPECT_TRUE(supportsQueryParam(doc_, "", "v1", "Namespace", "fieldValidation"));
  EXPECT_TRUE(supportsQueryParam(doc_, "apps.example.com", "v1", "Widget", "fieldValidation"));
  EXPECT_FALSE(supportsQueryParam(doc_, "", "v1", "ConfigMap", "fieldValidation"));
}

TEST_F(OpenApiV2Test, KubeOpenApiParserAcceptsEveryDefinition) {
  std::set<std::string> models;
  for (const auto& d : doc_.definitions().additional_properties())
    models.insert(d.name());
  for (const auto& d : doc_.definitions().additional_properties()) {
    expectParsable(d.value(), models, d.name());
    expectValidYamlExtensions(d.value().vendor_extension(), d.name());
  }
}

// ---- HTTP

TEST_F(OpenApiV2Test, NegotiatesJsonAndProtobuf) {
  auto serve = [&](const char* accept) {
    FakeHeaders h;
    if (accept != nullptr)
      h.fields.emplace_back("Accept", accept);
    auto r = v2_->serve(makeRequest("GET", "/openapi/v2?timeout=32s", &h));
    EXPECT_TRUE(r.has_value());
    return r.value_or(Response{});
  };
  for (const char* a :
       {kProtoAccept, "application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
        "application/json;q=0.5, application/com.github.proto-openapi.spec.v2@v1.0+protobuf"}) {
    auto r = serve(a);
    EXPECT_EQ(r.status, 200) << a;
    EXPECT_EQ(r.contentType, kProtoType) << a;
    EXPECT_EQ(bodyOf(r), *v2_->protobuf()) << a;
    EXPECT_EQ(headerOf(r, "X-Varied-Accept"), a);
  }
  for (const char* a : {"application/json", "application/json, */*", "*/*", "application/*",
                        static_cast<const char*>(nullptr)}) {
    auto r = serve(a);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.contentType, "application/json");
    EXPECT_EQ(bodyOf(r), *v2_->json());
  }
  auto r = serve("application/yaml");
  EXPECT_EQ(r.status, 406);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(headerOf(r, "Vary"), "Accept");
  EXPECT_FALSE(v2_->serve(makeRequest("GET", "/openapi/v2/")).has_value());
  EXPECT_FALSE(v2_->serve(makeRequest("GET", "/openapi/v3")).has_value());
}

TEST_F(OpenApiV2Test, ETagIsTheSha512OfTheJsonAndIfNoneMatchAnswers304) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  ASSERT_EQ(EVP_Digest(v2_->json()->data(), v2_->json()->size(), md, &len, EVP_sha512(), nullptr),
            1);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    char b[3];
    std::snprintf(b, sizeof b, "%02X", md[i]);
    hex += b;
  }
  EXPECT_EQ(v2_->etag(), "\"" + hex + "\"");

  for (const char* accept : {kProtoAccept, "application/json"}) {
    FakeHeaders plain;
    plain.fields.emplace_back("Accept", accept);
    auto r = v2_->serve(makeRequest("GET", "/openapi/v2", &plain));
    ASSERT_TRUE(r);
    EXPECT_EQ(headerOf(*r, "Etag"), v2_->etag());
    EXPECT_FALSE(headerOf(*r, "Last-Modified").empty());

    for (std::string inm :
         {v2_->etag(), "W/" + v2_->etag(), "\"other\", " + v2_->etag(), std::string("*")}) {
      FakeHeaders h;
      h.fields.emplace_back("Accept", accept);
      h.fields.emplace_back("If-None-Match", inm);
      auto nm = v2_->serve(makeRequest("GET", "/openapi/v2", &h));
      ASSERT_TRUE(nm);
      EXPECT_EQ(nm->status, 304) << inm;
      EXPECT_TRUE(nm->body.empty());
      EXPECT_EQ(headerOf(*nm, "Etag"), v2_->etag());
    }
    FakeHeaders stale;
    stale.fields.emplace_back("Accept", accept);
    stale.fields.emplace_back("If-None-Match", "\"0123\"");
    auto fresh = v2_->serve(makeRequest("GET", "/openapi/v2", &stale));
    ASSERT_TRUE(fresh);
    EXPECT_EQ(fresh->status, 200);
    EXPECT_FALSE(fresh->body.empty());
  }
}

// ---- the real core v1 schemas (every kind the core plugin serves)

TEST(OpenApiV2Core, EveryCoreKindParsesAsKubectlParsesIt) {
  std::deque<ResourceSpec> specs;
  std::vector<DiscoveredResource> resources;
  for (const auto& e : plugins::core::coreResources())
    specs.push_back(e.spec());
  for (const auto& s : specs)
    resources.push_back({&s, kAllVerbs, {"get", "patch", "update"}});
  auto v3 = OpenApi::build(resources);
  auto built = OpenApiV2::build(v3->documents());
  ASSERT_TRUE(built) << built.error().message;
  pb::Document doc;
  ASSERT_TRUE(doc.ParseFromString(*(*built)->protobuf()));

  std::set<std::string> models;
  for (const auto& d : doc.definitions().additional_properties())
    models.insert(d.name());
  EXPECT_GT(models.size(), 150u);
  for (const auto& d : doc.definitions().additional_properties()) {
    expectParsable(d.value(), models, d.name());
    expectValidYamlExtensions(d.value().vendor_extension(), d.name());
  }
  for (const auto& s : specs) {
    EXPECT_TRUE(supportsQueryParam(doc, s.group, s.version, s.kind, "fieldValidation")) << s.kind;
    const auto* def = findDefinition(doc, s.schemaName);
    ASSERT_NE(def, nullptr) << s.kind;
    EXPECT_NE(findExtension(def->vendor_extension(), "x-kubernetes-group-version-kind"), nullptr);
  }
  const auto* ios = findDefinition(doc, "io.k8s.apimachinery.pkg.util.intstr.IntOrString");
  ASSERT_NE(ios, nullptr);
  EXPECT_EQ(ios->type().value(0), "string");
  EXPECT_EQ(ios->format(), "int-or-string");
  const auto* quantity = findDefinition(doc, "io.k8s.apimachinery.pkg.api.resource.Quantity");
  ASSERT_NE(quantity, nullptr);
  EXPECT_EQ(quantity->type().value(0), "string");
  EXPECT_TRUE(quantity->format().empty());
  // kubectl explain pods.spec.containers: Pod -> PodSpec -> Container through direct $refs.
  const auto* pod = findDefinition(doc, "io.k8s.api.core.v1.Pod");
  ASSERT_NE(pod, nullptr);
  ASSERT_NE(findProperty(*pod, "spec"), nullptr);
  EXPECT_EQ(findProperty(*pod, "spec")->_ref(), "#/definitions/io.k8s.api.core.v1.PodSpec");
  const auto* podSpec = findDefinition(doc, "io.k8s.api.core.v1.PodSpec");
  ASSERT_NE(podSpec, nullptr);
  const auto* containers = findProperty(*podSpec, "containers");
  ASSERT_NE(containers, nullptr);
  EXPECT_EQ(containers->items().schema(0)._ref(), "#/definitions/io.k8s.api.core.v1.Container");
}

}  // namespace
}  // namespace apiserver::server
