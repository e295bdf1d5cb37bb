#include "schema/schema.h"

#include "schema/pod_schema_fixture.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

namespace apiserver::schema {
namespace {

namespace json = boost::json;

using SV = std::vector<std::string_view>;

class PodSchemaTest : public ::testing::Test {
 protected:
  SchemaSet set_ = testing::podSchemaSet();
  SchemaNode pod_ = set_.root();
  SchemaNode spec_ = pod_.field("spec");
  SchemaNode container_ = spec_.field("containers").items();
};

TEST_F(PodSchemaTest, RootIsTheKind) {
  EXPECT_FALSE(pod_.isUnknown());
  EXPECT_EQ(pod_.type(), Type::Object);
  EXPECT_EQ(pod_.definitionName(), "");  // the root is given inline
  EXPECT_EQ(pod_.description(), "Pod is a collection of containers that can run on a host.");
  EXPECT_TRUE(pod_.hasProperty("spec"));
  EXPECT_FALSE(pod_.hasProperty("nope"));
}

TEST_F(PodSchemaTest, FieldResolvesAllOfRefAndKeepsTheSiteDescription) {
  EXPECT_EQ(spec_.definitionName(), "io.k8s.api.core.v1.PodSpec");
  EXPECT_EQ(spec_.type(), Type::Object);
  // The field's own description wins over the referenced type's.
  EXPECT_EQ(spec_.description(), "Specification of the desired behavior of the pod.");
  EXPECT_EQ(set_.definition("io.k8s.api.core.v1.PodSpec").description(),
            "PodSpec is a description of a pod.");
  EXPECT_EQ(spec_.required(), (SV{"containers"}));
}

TEST_F(PodSchemaTest, ListExtensions) {
  SchemaNode containers = spec_.field("containers");
  EXPECT_EQ(containers.type(), Type::Array);
  EXPECT_EQ(containers.patchMergeKey(), "name");
  EXPECT_EQ(containers.patchStrategies(), (SV{"merge"}));
  EXPECT_EQ(containers.listType(), ListType::Map);
  EXPECT_EQ(containers.listMapKeys(), (SV{"name"}));
  EXPECT_EQ(containers.description(), "List of containers belonging to the pod.");

  EXPECT_EQ(container_.definitionName(), "io.k8s.api.core.v1.Container");
  EXPECT_EQ(container_.required(), (SV{"name"}));

  SchemaNode volumes = spec_.field("volumes");
  EXPECT_EQ(volumes.patchStrategies(), (SV{"merge", "retainKeys"}));
  EXPECT_EQ(volumes.patchMergeKey(), "name");

  SchemaNode tolerations = spec_.field("tolerations");
  EXPECT_EQ(tolerations.listType(), ListType::Atomic);
  EXPECT_TRUE(tolerations.patchStrategies().empty());
  EXPECT_EQ(tolerations.patchMergeKey(), "");

  SchemaNode ports = container_.field("ports");
  EXPECT_EQ(ports.patchMergeKey(), "containerPort");
  EXPECT_EQ(ports.listMapKeys(), (SV{"containerPort", "protocol"}));
  EXPECT_EQ(ports.items().field("containerPort").type(), Type::Integer);
  EXPECT_EQ(ports.items().field("containerPort").format(), "int32");

  SchemaNode finalizers = pod_.field("metadata").field("finalizers");
  EXPECT_EQ(finalizers.listType(), ListType::Set);
  EXPECT_EQ(finalizers.patchStrategies(), (SV{"merge"}));
  EXPECT_EQ(finalizers.items().type(), Type::String);

  SchemaNode owners = pod_.field("metadata").field("ownerReferences");
  EXPECT_EQ(owners.patchMergeKey(), "uid");
  EXPECT_EQ(owners.items().mapType(), MapType::Atomic);
  EXPECT_EQ(owners.items().required(), (SV{"apiVersion", "kind", "name", "uid"}));
}

TEST_F(PodSchemaTest, MapsAndAdditionalProperties) {
  SchemaNode labels = pod_.field("metadata").field("labels");
  EXPECT_EQ(labels.type(), Type::Object);
  EXPECT_EQ(labels.mapType(), MapType::Unspecified);
  EXPECT_EQ(labels.additionalProperties().type(), Type::String);
  // field() of a map gives the value schema for any key, as kube's patch metadata lookup does.
  EXPECT_EQ(labels.field("app").type(), Type::String);
  EXPECT_FALSE(labels.hasProperty("app"));

  EXPECT_EQ(spec_.field("nodeSelector").mapType(), MapType::Atomic);

  // additionalProperties through a plain $ref (not allOf).
  SchemaNode limits = container_.field("resources").field("limits");
  EXPECT_EQ(limits.field("cpu").type(), Type::String);
  EXPECT_EQ(limits.field("cpu").definitionName(), "io.k8s.apimachinery.pkg.api.resource.Quantity");
}

TEST_F(PodSchemaTest, DirectRef) {
  SchemaNode sizeLimit = spec_.field("volumes").items().field("emptyDir").field("sizeLimit");
  EXPECT_EQ(sizeLimit.type(), Type::String);
  EXPECT_EQ(sizeLimit.definitionName(), "io.k8s.apimachinery.pkg.api.resource.Quantity");
  EXPECT_EQ(sizeLimit.description(), "Quantity is a fixed-point representation of a number.");
}

TEST_F(PodSchemaTest, IntOrString) {
  SchemaNode port = container_.field("livenessProbe").field("httpGet").field("port");
  EXPECT_TRUE(port.isIntOrString());
  EXPECT_EQ(port.type(), Type::Unknown);  // two types allowed
  EXPECT_EQ(port.format(), "int-or-string");
  EXPECT_EQ(port.description(), "Name or number of the port to access on the container.");
  EXPECT_FALSE(port.isUnknown());
}

TEST_F(PodSchemaTest, UnknownNodes) {
  SchemaNode missing = spec_.field("noSuchField");  // PodSpec declares no additionalProperties
  EXPECT_TRUE(missing.isUnknown());
  EXPECT_EQ(missing.type(), Type::Unknown);
  EXPECT_TRUE(missing.field("x").isUnknown());
  EXPECT_TRUE(missing.items().isUnknown());
  EXPECT_TRUE(missing.additionalProperties().isUnknown());
  EXPECT_EQ(missing.patchMergeKey(), "");
  EXPECT_TRUE(missing.patchStrategies().empty());
  EXPECT_EQ(missing.listType(), ListType::Unspecified);
  EXPECT_EQ(missing.mapType(), MapType::Unspecified);
  EXPECT_FALSE(missing.preservesUnknownFields());
  EXPECT_TRUE(missing.properties().empty());
  EXPECT_TRUE(missing.required().empty());
  EXPECT_EQ(missing.keyword("type"), nullptr);
  // Items of an object and properties of an array are unknown too.
  EXPECT_TRUE(spec_.items().isUnknown());
  EXPECT_TRUE(spec_.field("containers").field("name").isUnknown());
}

TEST_F(PodSchemaTest, PropertiesInSchemaOrder) {
  std::vector<std::string_view> names;
  for (const Property& p : pod_.properties())
    names.push_back(p.name);
  EXPECT_EQ(names, (SV{"apiVersion", "kind", "metadata", "spec", "status"}));
  auto props = container_.properties();
  ASSERT_FALSE(props.empty());
  EXPECT_EQ(props.front().name, "name");
  EXPECT_EQ(props.front().schema.type(), Type::String);
}

TEST_F(PodSchemaTest, SetIsMovableAndNodesSurviveTheMove) {
  SchemaNode containers = spec_.field("containers");
  SchemaSet moved = std::move(set_);
  EXPECT_EQ(containers.patchMergeKey(), "name");
  EXPECT_EQ(containers.items().field("ports").patchMergeKey(), "containerPort");
  EXPECT_EQ(moved.root().field("spec").definitionName(), "io.k8s.api.core.v1.PodSpec");
}

TEST_F(PodSchemaTest, ConcurrentReaders) {
  std::vector<std::thread> threads;
  std::vector<int> ok(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      int n = 0;
      for (int i = 0; i < 2000; ++i) {
        SchemaNode c = set_.root().field("spec").field("containers");
        n += c.patchMergeKey() == "name" && c.items().field("env").patchMergeKey() == "name";
      }
      ok[static_cast<std::size_t>(t)] = n;
    });
  }
  for (auto& th : threads)
    th.join();
  for (int n : ok)
    EXPECT_EQ(n, 2000);
}

/// extraDefinitions are schemas that exercise recursion, cycles and unknown fields.
json::object extraDefinitions() {
  return json::parse(R"json({
    "test.JSONSchemaProps": {
      "type": "object",
      "description": "JSONSchemaProps is a JSON-Schema following Specification Draft 4.",
      "properties": {
        "description": {"type": "string"},
        "properties": {"type": "object", "additionalProperties": {"default": {}, "allOf": [{"$ref": "#/components/schemas/test.JSONSchemaProps"}]}},
        "items": {"$ref": "#/components/schemas/test.JSONSchemaProps"},
        "not": {"$ref": "#/components/schemas/test.JSONSchemaProps"},
        "x-kubernetes-preserve-unknown-fields": {"type": "boolean"}
      }
    },
    "test.CycleA": {"$ref": "#/components/schemas/test.CycleB"},
    "test.CycleB": {"allOf": [{"$ref": "#/components/schemas/test.CycleA"}], "description": "cycle"},
    "test.Self": {"$ref": "#/components/schemas/test.Self"},
    "test.Dangling": {"allOf": [{"$ref": "#/components/schemas/does.not.Exist"}], "description": "dangling"},
    "test.Embedded": {
      "type": "object",
      "x-kubernetes-preserve-unknown-fields": true,
      "x-kubernetes-embedded-resource": true,
      "properties": {"known": {"type": "string"}}
    },
    "test.Open": {"type": "object", "additionalProperties": true},
    "test.Inferred": {"properties": {"a": {"items": {"type": "string"}}}},
    "test.Strategies": {"x-kubernetes-patch-strategy": "merge,"}
  })json")
      .as_object();
}

TEST(SchemaSetTest, RecursiveSchemaIsAFiniteGraph) {
  SchemaSet set(json::object(), extraDefinitions());
  SchemaNode node = set.definition("test.JSONSchemaProps");
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(node.definitionName(), i == 0 ? "" : "test.JSONSchemaProps");
    ASSERT_EQ(node.type(), Type::Object);
    node = i % 2 == 0 ? node.field("properties").field("anyName") : node.field("items");
  }
  EXPECT_EQ(node.field("not").field("description").type(), Type::String);
}

TEST(SchemaSetTest, RefCyclesTerminate) {
  SchemaSet set(json::object(), extraDefinitions());
  SchemaNode a = set.definition("test.CycleA");
  EXPECT_FALSE(a.isUnknown());
  EXPECT_EQ(a.type(), Type::Unknown);
  EXPECT_EQ(a.description(), "cycle");
  EXPECT_EQ(a.definitionName(), "test.CycleB");
  EXPECT_TRUE(a.field("x").isUnknown());

  SchemaNode self = set.definition("test.Self");
  EXPECT_EQ(self.type(), Type::Unknown);
  EXPECT_TRUE(self.items().isUnknown());
}

TEST(SchemaSetTest, DanglingRefIsIgnored) {
  SchemaSet set(json::object(), extraDefinitions());
  SchemaNode d = set.definition("test.Dangling");
  EXPECT_EQ(d.description(), "dangling");
  EXPECT_EQ(d.definitionName(), "");
  EXPECT_EQ(d.type(), Type::Unknown);
  EXPECT_TRUE(set.definition("does.not.Exist").isUnknown());
}

TEST(SchemaSetTest, PreserveUnknownFieldsAndEmbeddedResource) {
  SchemaSet set(json::object(), extraDefinitions());
  SchemaNode e = set.definition("test.Embedded");
  EXPECT_TRUE(e.preservesUnknownFields());
  EXPECT_TRUE(e.isEmbeddedResource());
  EXPECT_EQ(e.field("known").type(), Type::String);
  EXPECT_TRUE(e.field("anythingElse").isUnknown());

  SchemaNode open = set.definition("test.Open");
  EXPECT_TRUE(open.additionalProperties().isUnknown());  // `true` says nothing about values
  EXPECT_TRUE(open.field("x").isUnknown());
}

TEST(SchemaSetTest, TypeInferenceAndStrategySplitting) {
  SchemaSet set(json::object(), extraDefinitions());
  SchemaNode inferred = set.definition("test.Inferred");
  EXPECT_EQ(inferred.type(), Type::Object);
  EXPECT_EQ(inferred.field("a").type(), Type::Array);
  EXPECT_EQ(inferred.field("a").items().type(), Type::String);
  // Split as kube splits struct tags: empty parts stay.
  EXPECT_EQ(set.definition("test.Strategies").patchStrategies(), (SV{"merge", ""}));
}

/// layeredDefinitions exercise how layers merge: properties over allOf parts, non-object
/// property values, the kMaxLayers cut and RFC 6901 escapes.
json::object layeredDefinitions() {
  return json::parse(R"json({
    "test.Merged": {
      "description": "merged",
      "properties": {
        "b": {"type": "string", "description": "site b"},
        "flag": true,
        "a": {"type": "integer"}
      },
      "required": ["b"],
      "additionalProperties": {"type": "boolean"},
      "allOf": [
        {"properties": {"c": {"type": "number"}, "a": {"type": "string"}, "flag": {"type": "array", "items": {"type": "string"}}}, "required": ["c", "b"]},
        {"$ref": "#/components/schemas/test.Base"}
      ]
    },
    "test.Base": {
      "description": "base",
      "type": "object",
      "x-kubernetes-list-type": "map",
      "properties": {"d": {"type": "boolean"}, "b": {"type": "object"}, "onlyFlag": false}
    },
    "test.Loose": {
      "properties": {"x": true},
      "additionalProperties": {"type": "string"}
    },
    "test.Chain0": {"$ref": "#/components/schemas/test.Chain1"},
    "test.Chain1": {"$ref": "#/components/schemas/test.Chain2"},
    "test.Chain2": {"$ref": "#/components/schemas/test.Chain3"},
    "test.Chain3": {"$ref": "#/components/schemas/test.Chain4"},
    "test.Chain4": {"$ref": "#/components/schemas/test.Chain5"},
    "test.Chain5": {"$ref": "#/components/schemas/test.Chain6"},
    "test.Chain6": {"$ref": "#/components/schemas/test.Chain7"},
    "test.Chain7": {"$ref": "#/definitions/test.Chain8"},
    "test.Chain8": {"description": "end of chain", "type": "string"},
    "a/b~c": {"type": "integer", "description": "escaped"},
    "test.Escaped": {"properties": {"v1": {"$ref": "#/components/schemas/a~1b~0c"}, "v2": {"$ref": "#/definitions/a~1b~0c"}}},
    "test.RefAndAllOf": {"$ref": "#/components/schemas/test.Chain8", "allOf": [{"$ref": "#/components/schemas/test.Base"}]},
    "test.Tuple": {"type": "array", "items": [{"type": "string"}]}
  })json")
      .as_object();
}

std::vector<std::string_view> namesOf(const std::vector<Property>& props) {
  std::vector<std::string_view> out;
  for (const auto& p : props)
    out.push_back(p.name);
  return out;
}

TEST(SchemaSetTest, PropertiesMergeOverLayersInSchemaOrder) {
  SchemaSet set(json::object(), layeredDefinitions());
  SchemaNode m = set.definition("test.Merged");
  // The site's properties first, then the allOf parts' (depth first), each name once.
  EXPECT_EQ(namesOf(m.properties()), (SV{"b", "a", "c", "flag", "d"}));
  EXPECT_TRUE(m.hasProperties());
  // A duplicate name keeps the first layer's schema.
  EXPECT_EQ(m.field("a").type(), Type::Integer);
  EXPECT_EQ(m.field("b").type(), Type::String);
  EXPECT_EQ(m.field("b").description(), "site b");
  EXPECT_EQ(m.properties().front().schema.description(), "site b");
  EXPECT_EQ(m.field("d").type(), Type::Boolean);  // from the $ref'd definition
  // The first layer with a keyword answers; required merges every layer.
  EXPECT_EQ(m.description(), "merged");
  EXPECT_EQ(m.type(), Type::Object);
  EXPECT_EQ(m.listType(), ListType::Map);
  EXPECT_EQ(m.required(), (SV{"b", "c"}));
  EXPECT_EQ(m.definitionName(), "test.Base");
  EXPECT_EQ(m.keyword("description")->as_string(), "merged");
  ASSERT_NE(m.keyword("x-kubernetes-list-type"), nullptr);
  EXPECT_EQ(m.keyword("x-kubernetes-list-type")->as_string(), "map");
  EXPECT_EQ(m.propertiesKeyword(), m.keyword("properties"));
  EXPECT_EQ(m.additionalPropertiesKeyword(), m.keyword("additionalProperties"));
  EXPECT_EQ(m.itemsKeyword(), nullptr);
}

TEST(SchemaSetTest, ManyPropertiesWithSharedBytesAreEachFound) {
  // Names that share their length and their first and last eight bytes, the empty name, and
  // many properties: every declared one is found (with its own schema), no other is.
  std::vector<std::string> names = {
      "", "a", "aaaaaaaaXaaaaaaaa", "aaaaaaaaYaaaaaaaa", "aaaaaaaaaaaaaaaa", "spec", "status"};
  for (int i = 0; i < 200; ++i)
    names.push_back("prop" + std::to_string(i));
  json::object props;
  for (std::size_t i = 0; i < names.size(); ++i)
    props[names[i]] = json::object{{"type", i % 2 == 0 ? "string" : "integer"}};
  SchemaSet set(json::object{{"type", "object"}, {"properties", props}}, json::object());
  const SchemaNode root = set.root();
  for (std::size_t i = 0; i < names.size(); ++i) {
    ASSERT_TRUE(root.hasProperty(names[i])) << names[i];
    EXPECT_EQ(root.field(names[i]).type(), i % 2 == 0 ? Type::String : Type::Integer) << names[i];
  }
  for (const std::string absent : {"aaaaaaaaZaaaaaaaa", "prop200", "pro", "specs", "b", "aaaaaaaa"})
    EXPECT_FALSE(root.hasProperty(absent)) << absent;
}

TEST(SchemaSetTest, NonObjectPropertyValues) {
  SchemaSet set(json::object(), layeredDefinitions());
  SchemaNode m = set.definition("test.Merged");
  // `flag: true` in the site, an object in a later layer: that layer's schema is the property's.
  EXPECT_TRUE(m.hasProperty("flag"));
  ASSERT_TRUE(m.property("flag"));
  EXPECT_EQ(m.property("flag")->type(), Type::Array);
  EXPECT_EQ(m.field("flag").items().type(), Type::String);
  // Declared only with a non-object value: declared, not listed, and its schema is the
  // additionalProperties one.
  EXPECT_TRUE(m.hasProperty("onlyFlag"));
  ASSERT_TRUE(m.property("onlyFlag"));
  EXPECT_EQ(m.property("onlyFlag")->type(), Type::Boolean);
  EXPECT_EQ(m.field("onlyFlag").type(), Type::Boolean);
  const SV names = namesOf(m.properties());
  EXPECT_EQ(std::count(names.begin(), names.end(), "onlyFlag"), 0);

  SchemaNode loose = set.definition("test.Loose");
  EXPECT_FALSE(loose.hasProperties());
  EXPECT_TRUE(loose.properties().empty());
  EXPECT_TRUE(loose.hasProperty("x"));
  ASSERT_TRUE(loose.property("x"));
  EXPECT_EQ(loose.property("x")->type(), Type::String);
  EXPECT_EQ(loose.type(), Type::Object);  // `properties` is an object, even without schemas
}

TEST(SchemaSetTest, AdditionalPropertiesFallback) {
  SchemaSet set(json::object(), layeredDefinitions());
  SchemaNode m = set.definition("test.Merged");
  // field() of an undeclared name is the map value schema; property() says it is undeclared.
  EXPECT_FALSE(m.hasProperty("zzz"));
  EXPECT_FALSE(m.property("zzz"));
  EXPECT_EQ(m.field("zzz").type(), Type::Boolean);
  EXPECT_EQ(m.additionalProperties().type(), Type::Boolean);
  // Without additionalProperties an undeclared name is unknown.
  SchemaNode base = set.definition("test.Base");
  EXPECT_TRUE(base.field("zzz").isUnknown());
  EXPECT_FALSE(base.property("zzz"));
}

TEST(SchemaSetTest, LayerChainsAreCutAtMaxLayers) {
  SchemaSet set(json::object(), layeredDefinitions());
  // Chain0 -> ... -> Chain8 is nine layers: Chain8 is cut off for Chain0, not for Chain1.
  SchemaNode c0 = set.definition("test.Chain0");
  EXPECT_FALSE(c0.isUnknown());
  EXPECT_EQ(c0.definitionName(), "test.Chain1");
  EXPECT_EQ(c0.description(), "");
  EXPECT_EQ(c0.type(), Type::Unknown);
  SchemaNode c1 = set.definition("test.Chain1");
  EXPECT_EQ(c1.description(), "end of chain");  // the last hop is a #/definitions/ ref
  EXPECT_EQ(c1.type(), Type::String);
}

TEST(SchemaSetTest, RefsAreUnescapedAndTheRefComesBeforeAllOf) {
  SchemaSet set(json::object(), layeredDefinitions());
  SchemaNode e = set.definition("test.Escaped");
  EXPECT_EQ(e.field("v1").definitionName(), "a/b~c");
  EXPECT_EQ(e.field("v1").type(), Type::Integer);
  EXPECT_EQ(e.field("v2").description(), "escaped");

  SchemaNode both = set.definition("test.RefAndAllOf");
  EXPECT_EQ(both.definitionName(), "test.Chain8");
  EXPECT_EQ(both.type(), Type::String);  // the $ref's layer precedes the allOf parts
  EXPECT_EQ(both.listType(), ListType::Map);
  EXPECT_TRUE(both.hasProperty("d"));

  SchemaNode tuple = set.definition("test.Tuple");
  EXPECT_EQ(tuple.type(), Type::Array);
  EXPECT_NE(tuple.itemsKeyword(), nullptr);
  EXPECT_TRUE(tuple.items().isUnknown());  // only a schema object is an items node
}

TEST(SchemaSetTest, NodesAreOnePointer) {
  static_assert(sizeof(SchemaNode) == sizeof(void*));
  SchemaSet set(json::object(), layeredDefinitions());
  const SchemaNode a = set.definition("test.Escaped").field("v1");
  const SchemaNode b = set.definition("test.Escaped").field("v1");
  EXPECT_EQ(&a.properties(), &b.properties());
  EXPECT_EQ(a.description(), b.description());
}

TEST(SchemaSetTest, FromResource) {
  json::object defs = testing::podDefinitions();
  ResourceSpec spec;
  spec.version = "v1";
  spec.kind = "Pod";
  spec.plural = "pods";
  spec.schemaName = "io.k8s.api.core.v1.Pod";
  spec.schema = defs["io.k8s.api.core.v1.Pod"].as_object();
  defs.erase("io.k8s.api.core.v1.Pod");
  spec.definitions = defs;
  SchemaSet set = SchemaSet::fromResource(spec);
  EXPECT_EQ(set.root().field("spec").field("containers").patchMergeKey(), "name");
  // The root is also reachable by its name.
  EXPECT_EQ(set.definition("io.k8s.api.core.v1.Pod").type(), Type::Object);

  ResourceSpec bare;
  SchemaSet empty = SchemaSet::fromResource(bare);
  EXPECT_TRUE(empty.root().isUnknown());
  EXPECT_TRUE(empty.root().field("spec").isUnknown());
  EXPECT_TRUE(SchemaSet().root().isUnknown());
}

TEST(SchemaSetTest, FromDocument) {
  json::object doc;
  doc["openapi"] = "3.0.0";
  doc["components"] = json::object{{"schemas", testing::podDefinitions()}};
  auto set = SchemaSet::fromDocument(doc, "io.k8s.api.core.v1.Pod");
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_EQ(set->root().field("metadata").field("finalizers").listType(), ListType::Set);

  auto bare =
      SchemaSet::fromDocument(json::value(testing::podDefinitions()), "io.k8s.api.core.v1.Pod");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->root().field("spec").definitionName(), "io.k8s.api.core.v1.PodSpec");

  auto missing = SchemaSet::fromDocument(doc, "io.k8s.api.core.v1.Nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, 500);
  EXPECT_NE(missing.error().message.find("io.k8s.api.core.v1.Nope"), std::string::npos);
  EXPECT_FALSE(SchemaSet::fromDocument(json::value(42), "x"));
}

}  // namespace
}  // namespace apiserver::schema
