// Typed walks over schemas: field sets, comparisons, merges (with kube's list ordering),
// removals, validation of applied configurations, and the deduced (schema-less) behaviour.

#include "apply/typed.h"
#include "apply_test_util.h"

#include <gtest/gtest.h>

#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace apiserver::apply {
namespace {

using testing::J;

/// kWidgetDefinitions is a kind with one field of every shape apply distinguishes.
constexpr const char* kWidgetDefinitions = R"json({
  "Widget": {"type": "object", "properties": {
    "apiVersion": {"type": "string"}, "kind": {"type": "string"},
    "items": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
              "items": {"type": "object", "properties": {"name": {"type": "string"}, "value": {"type": "string"}}}},
    "mergeList": {"type": "array", "x-kubernetes-patch-strategy": "merge", "x-kubernetes-patch-merge-key": "id",
                  "items": {"type": "object", "properties": {"id": {"type": "integer"}, "v": {"type": "string"}}}},
    "set": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
    "atomic": {"type": "array", "items": {"type": "string"}},
    "atomicMap": {"type": "object", "x-kubernetes-map-type": "atomic", "additionalProperties": {"type": "string"}},
    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
    "struct": {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}, "on": {"type": "boolean"}}},
    "free": {"type": "object"},
    "preserve": {"type": "object", "x-kubernetes-preserve-unknown-fields": true, "properties": {"known": {"type": "string"}}},
    "intOrString": {"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]}
  }}
})json";

const schema::SchemaSet& widgetSchema() {
  static const schema::SchemaSet set = [] {
    auto s = schema::SchemaSet::fromDocument(J(kWidgetDefinitions), "Widget");
    return std::move(*s);
  }();
  return set;
}

TypeRef widget() {
  return TypeRef::of(widgetSchema().root());
}

std::string fieldsOf(std::string_view value, const TypeRef& t) {
  return json::serialize(toFieldSet(J(value), t).toFieldsV1());
}

TEST(TypedTest, FieldSetOfEveryShape) {
  EXPECT_EQ(
      fieldsOf(R"({"labels":{"a":"1"},"struct":{"a":"x"},"items":[{"name":"n","value":"v"}],
                         "set":["s"],"atomic":["q"],"atomicMap":{"k":"v"},"free":{"x":{"y":1}},
                         "mergeList":[{"id":7}],"intOrString":80})",
               widget()),
      R"({"f:atomic":{},"f:atomicMap":{},"f:free":{"f:x":{".":{},"f:y":{}}},)"
      R"("f:intOrString":{},"f:items":{"k:{\"name\":\"n\"}":{".":{},"f:name":{},"f:value":{}}},)"
      R"("f:labels":{"f:a":{}},"f:mergeList":{"k:{\"id\":7}":{".":{},"f:id":{}}},)"
      R"("f:set":{"v:\"s\"":{}},"f:struct":{"f:a":{}}})");
}

TEST(TypedTest, DeducedValuesAreGranularMapsAndAtomicLists) {
  EXPECT_EQ(
      fieldsOf(R"({"spec":{"replicas":1,"ports":[{"port":80}]},"metadata":{"labels":{"a":"b"}}})",
               TypeRef::deduced()),
      R"({"f:metadata":{".":{},"f:labels":{".":{},"f:a":{}}},"f:spec":{".":{},"f:ports":{},"f:replicas":{}}})");
}

TEST(TypedTest, PreserveUnknownFieldsAreDeduced) {
  EXPECT_EQ(fieldsOf(R"({"preserve":{"known":"k","other":{"x":1}}})", widget()),
            R"({"f:preserve":{"f:known":{},"f:other":{".":{},"f:x":{}}}})");
  EXPECT_TRUE(
      validate(J(R"({"preserve":{"other":{"x":[1]}},"free":{"a":{"b":2}}})"), widget()).empty());
}

TEST(TypedTest, Compare) {
  struct Case {
    std::string name;
    std::string lhs, rhs;
    std::string removed, modified, added;
  };
  const std::vector<Case> cases = {
      {"modified and added map entries", R"({"labels":{"a":"1"}})",
       R"({"labels":{"a":"2","b":"3"}})", "", ".labels.a", ".labels.b"},
      {"a map that was absent is added itself", R"({})", R"({"labels":{"a":"1"}})", "", "",
       ".labels\n.labels.a"},
      {"a map that was null is not", R"({"struct":null})", R"({"struct":{"a":"x"}})", "", "",
       ".struct.a"},
      {"an empty map is a leaf", R"({})", R"({"struct":{}})", "", "", ".struct"},
      {"atomic list", R"({"atomic":["a"]})", R"({"atomic":["a","b"]})", "", ".atomic", ""},
      {"atomic map", R"({"atomicMap":{"a":"1"}})", R"({"atomicMap":{"a":"2"}})", "", ".atomicMap",
       ""},
      {"list item removed", R"({"items":[{"name":"x","value":"1"},{"name":"y"}]})",
       R"({"items":[{"name":"y"}]})",
       ".items[name=\"x\"]\n.items[name=\"x\"].name\n.items[name=\"x\"].value", "", ""},
      {"set item added", R"({"set":["a"]})", R"({"set":["a","b"]})", "", "", ".set[=\"b\"]"},
      {"ints equal floats", R"({"struct":{"b":1}})", R"({"struct":{"b":1.0}})", "", "", ""},
      {"type change is a modification", R"({"intOrString":80})", R"({"intOrString":"http"})", "",
       ".intOrString", ""},
  };
  for (const auto& c : cases) {
    const json::value l = J(c.lhs);
    const json::value r = J(c.rhs);
    Comparison cmp = compare(&l, &r, widget());
    EXPECT_EQ(cmp.removed.str(), c.removed) << c.name;
    EXPECT_EQ(cmp.modified.str(), c.modified) << c.name;
    EXPECT_EQ(cmp.added.str(), c.added) << c.name;
  }
}

TEST(TypedTest, MergeKeepsKubesListOrder) {
  struct Case {
    std::string name;
    std::string lhs, rhs, merged;
  };
  const std::vector<Case> cases = {
      {"maps merge, applied values win", R"({"labels":{"a":"1","b":"2"}})",
       R"({"labels":{"b":"3","c":"4"}})", R"({"labels":{"a":"1","b":"3","c":"4"}})"},
      {"shared items in applied order, live-only items stay",
       R"({"items":[{"name":"a"},{"name":"b"},{"name":"c"}]})",
       R"({"items":[{"name":"c"},{"name":"b"}]})",
       R"({"items":[{"name":"a"},{"name":"c"},{"name":"b"}]})"},
      {"new items come where the configuration has them",
       R"({"items":[{"name":"a"},{"name":"b"}]})",
       R"({"items":[{"name":"c"},{"name":"a","value":"x"}]})",
       R"({"items":[{"name":"c"},{"name":"a","value":"x"},{"name":"b"}]})"},
      {"an empty applied list keeps the live items", R"({"items":[{"name":"a"}]})",
       R"({"items":[]})", R"({"items":[{"name":"a"}]})"},
      {"sets merge", R"({"set":["a","b"]})", R"({"set":["c","a"]})", R"({"set":["c","a","b"]})"},
      {"atomic lists are replaced", R"({"atomic":["a","b"]})", R"({"atomic":["c"]})",
       R"({"atomic":["c"]})"},
      {"atomic maps are replaced", R"({"atomicMap":{"a":"1"}})", R"({"atomicMap":{"b":"2"}})",
       R"({"atomicMap":{"b":"2"}})"},
      {"patch-strategy merge lists are keyed", R"({"mergeList":[{"id":1,"v":"a"},{"id":2}]})",
       R"({"mergeList":[{"id":2,"v":"b"}]})",
       R"({"mergeList":[{"id":1,"v":"a"},{"id":2,"v":"b"}]})"},
      {"null leaves a live map alone", R"({"struct":{"a":"x"}})", R"({"struct":null})",
       R"({"struct":{"a":"x"}})"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(merge(J(c.lhs), J(c.rhs), widget()), J(c.merged)) << c.name;
}

TEST(TypedTest, RemoveItems) {
  const json::value v = J(
      R"({"labels":{"a":"1","b":"2"},"items":[{"name":"x","value":"1"},{"name":"y"}],"struct":{"a":"s"}})");
  FieldSet toRemove;
  toRemove.insert({PathElement::field("labels"), PathElement::field("a")});
  toRemove.insert({PathElement::field("items"), PathElement::key({{"name", "x"}})});
  toRemove.insert({PathElement::field("struct"), PathElement::field("a")});
  // A map emptied by the removal becomes null, as in kube.
  EXPECT_EQ(removeItems(v, toRemove, widget()),
            J(R"({"labels":{"b":"2"},"items":[{"name":"y"}],"struct":null})"));
}

TEST(TypedTest, ValidateAppliedConfigurations) {
  struct Case {
    std::string value;
    std::string error;  // "" = valid
  };
  const std::vector<Case> cases = {
      {R"({"struct":{"a":"x","b":2,"on":true},"labels":{"k":"v"},"intOrString":"x"})", ""},
      {R"({"struct":{"c":1}})", ".struct.c: field not declared in schema"},
      {R"({"nope":1})", ".nope: field not declared in schema"},
      {R"({"items":[{"value":"x"}]})",
       ".items: element 0: associative list with keys has an element that omits key field \"name\" "
       "(and doesn't have default value)"},
      {R"({"items":[{"name":"a"},{"name":"a"}]})",
       ".items: duplicate entries for key [name=\"a\"]"},
      {R"({"struct":{"a":5}})",
       ".struct.a: expected string, got &value.valueUnstructured{Value:5}"},
      {R"({"struct":{"b":"x"}})", ".struct.b: expected numeric (int or float), got string"},
      {R"({"struct":{"on":"yes"}})", ".struct.on: expected boolean, got &{yes}"},
      {R"({"struct":"x"})", ".struct: expected map, got &{x}"},
      {R"({"atomic":{"a":1}})", ".atomic: expected list, got &{map[a:1]}"},
      {R"({"set":[{"a":1}]})",
       ".set: element 0: associative list without keys has an element that's a map type"},
      {R"({"set":["a","a"]})", ".set: duplicate entries for key [=\"a\"]"},
      {R"({"items":[{"name":"a","extra":1}]})",
       ".items[name=\"a\"].extra: field not declared in schema"},
  };
  for (const auto& c : cases) {
    auto errors = validate(J(c.value), widget());
    EXPECT_EQ(validationErrorsString(errors), c.error) << c.value;
  }
  auto two = validate(J(R"({"struct":{"a":1,"b":"x"}})"), widget());
  EXPECT_EQ(validationErrorsString(two),
            "errors:\n  .struct.a: expected string, got &value.valueUnstructured{Value:1}\n"
            "  .struct.b: expected numeric (int or float), got string");
}

TEST(TypedTest, EnsureNamedFieldsAreMembers) {
  const TypeRef pod = TypeRef::of(testing::podSchema().root());
  if (pod.isDeduced())
    GTEST_SKIP() << "no core/v1 schema";
  FieldSet s;
  s.insert(
      {PathElement::field("metadata"), PathElement::field("labels"), PathElement::field("app")});
  s.insert({PathElement::field("spec"), PathElement::field("containers"),
            PathElement::key({{"name", "c"}}), PathElement::field("image")});
  EXPECT_EQ(ensureNamedFieldsAreMembers(s, pod).str(),
            ".metadata\n.spec\n.metadata.labels\n.metadata.labels.app\n.spec.containers\n"
            ".spec.containers[name=\"c\"].image");
}

TEST(TypedTest, RealPodSchema) {
  const TypeRef pod = TypeRef::of(testing::podSchema().root());
  if (pod.isDeduced())
    GTEST_SKIP() << "no core/v1 schema";
  // Ports are keyed by containerPort and protocol; protocol defaults to TCP in the key.
  EXPECT_EQ(
      fieldsOf(R"({"spec":{"containers":[{"name":"c","image":"i","ports":[{"containerPort":80}]}],
                                 "tolerations":[{"key":"k"}]},
                         "metadata":{"finalizers":["f"],"labels":{"a":"b"}}})",
               pod),
      R"({"f:metadata":{"f:finalizers":{"v:\"f\"":{}},"f:labels":{"f:a":{}}},)"
      R"("f:spec":{"f:containers":{"k:{\"name\":\"c\"}":{".":{},"f:image":{},"f:name":{},)"
      R"("f:ports":{"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{}}}}},)"
      R"("f:tolerations":{}}})");
  // The zero Pod: the non-pointer structs, and the required containers as null.
  EXPECT_EQ(zeroObject(pod), J(R"({"metadata":{},"spec":{"containers":null},"status":{}})"));
  EXPECT_EQ(validationErrorsString(
                validate(J(R"({"spec":{"containers":[{"name":"c","imagePullPolicy":1}]}})"), pod)),
            ".spec.containers[name=\"c\"].imagePullPolicy: expected string, got "
            "&value.valueUnstructured{Value:1}");
  EXPECT_EQ(validationErrorsString(validate(J(R"({"spec":{"topologyKeys":["x"]}})"), pod)),
            ".spec.topologyKeys: field not declared in schema");
}

// --- changedFieldsV1: the one-walk encoding of what compare() adds and modifies ---

/// RandomObjects makes objects out of the field names the test schemas know (and some they do
/// not), of every shape, so that two of them differ in every way compare() distinguishes.
class RandomObjects {
 public:
  explicit RandomObjects(unsigned seed) : rng_(seed) {}

  json::object object(int depth) {
    json::object out;
    const int n = pick(5);
    for (int i = 0; i < n; ++i)
      out[kNames[pick(static_cast<int>(std::size(kNames)))]] = value(depth + 1);
    return out;
  }

  json::value value(int depth) {
    switch (depth > 5 ? pick(4) : pick(9)) {
      case 0:
        return json::value(kStrings[pick(static_cast<int>(std::size(kStrings)))]);
      case 1:
        return json::value(pick(3) == 0 ? 8080 : pick(3));
      case 2:
        return pick(2) == 0 ? json::value(true) : json::value(nullptr);
      case 3:
        return json::value(1.0 * pick(3));
      case 4:
      case 5:
        return object(depth);
      default: {
        json::array list;
        const int n = pick(4);
        for (int i = 0; i < n; ++i) {
          if (pick(3) == 0) {
            list.push_back(value(depth + 1));
            continue;
          }
          json::object item = object(depth + 1);  // mostly items with a key field
          for (auto key : {"name", "id", "containerPort"})
            if (pick(2) == 0)
              item[key] = key == std::string_view("name") ? json::value(kStrings[pick(3)])
                                                          : json::value(pick(3));
          list.push_back(std::move(item));
        }
        return list;
      }
    }
  }

  /// mutate changes some of a copy of `v` (so that the two share equal parts).
  json::value mutate(const json::value& v, int depth) {
    if (pick(6) == 0)
      return value(depth);
    if (const json::object* o = v.if_object()) {
      json::object out;
      for (const auto& kv : *o)
        if (pick(8) != 0)
          out[kv.key()] = mutate(kv.value(), depth + 1);
      if (pick(4) == 0)
        out[kNames[pick(static_cast<int>(std::size(kNames)))]] = value(depth + 1);
      return out;
    }
    if (const json::array* a = v.if_array()) {
      json::array out;
      for (const auto& item : *a)
        if (pick(6) != 0)
          out.push_back(mutate(item, depth + 1));
      return out;
    }
    return v;
  }

 private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  static constexpr const char* kNames[] = {"name",
                                           "value",
                                           "id",
                                           "v",
                                           "a",
                                           "b",
                                           "on",
                                           "items",
                                           "mergeList",
                                           "set",
                                           "atomic",
                                           "atomicMap",
                                           "labels",
                                           "struct",
                                           "free",
                                           "preserve",
                                           "known",
                                           "intOrString",
                                           "metadata",
                                           "spec",
                                           "status",
                                           "containers",
                                           "image",
                                           "ports",
                                           "containerPort",
                                           "protocol",
                                           "env",
                                           "securityContext",
                                           "runAsUser",
                                           "nodeSelector",
                                           "tolerations",
                                           "finalizers",
                                           "phase",
                                           "apiVersion",
                                           "kind",
                                           "x",
                                           "y"};
  static constexpr const char* kStrings[] = {"n", "x", "TCP", "", "a"};
  std::mt19937 rng_;
};

/// changedBySets is what changedFieldsV1 must equal: the sets built and encoded.
std::string changedBySets(const json::object& lhs, const json::object& rhs, const TypeRef& t,
                          const FieldSet& ignored, const FieldSet& strip) {
  Comparison cmp = compareObjects(lhs, rhs, t);
  cmp.excludeFields(ignored);
  FieldSet set = std::move(cmp.added)
                     .unite(cmp.modified)
                     .difference(cmp.removed)
                     .recursiveDifference(ignored)
                     .difference(strip);
  return json::serialize(set.toFieldsV1());
}

Path fieldPath(std::initializer_list<const char*> names) {
  Path p;
  for (const char* n : names)
    p.push_back(PathElement::field(n));
  return p;
}

TEST(TypedTest, ChangedFieldsV1IsTheEncodedComparison) {
  const TypeRef pod = TypeRef::of(testing::podSchema().root());
  std::vector<std::pair<std::string, TypeRef>> types = {{"widget", widget()},
                                                        {"deduced", TypeRef::deduced()}};
  if (!pod.isDeduced())
    types.emplace_back("pod", pod);
  // The field manager's sets, and sets naming list items and fields below them.
  const FieldSet none;
  const FieldSet strip =
      fieldSetOf({fieldPath({"apiVersion"}), fieldPath({"kind"}), fieldPath({"metadata"}),
                  fieldPath({"metadata", "name"}), fieldPath({"items"})});
  const FieldSet ignored = fieldSetOf(
      {fieldPath({"status"}), fieldPath({"metadata", "labels"}), fieldPath({"struct", "a"})});
  Path item = fieldPath({"items"});
  item.push_back(PathElement::key({KeyField{"name", json::value("n")}}));
  Path itemValue = item;
  itemValue.push_back(PathElement::field("value"));
  Path setItem = fieldPath({"set"});
  setItem.push_back(PathElement::value(json::value("x")));
  const FieldSet byItem = fieldSetOf({item, setItem});
  const FieldSet belowItem = fieldSetOf({itemValue, fieldPath({"spec", "containers"})});
  const std::vector<std::pair<const FieldSet*, const FieldSet*>> filters = {
      {&none, &none}, {&ignored, &strip}, {&byItem, &belowItem}, {&belowItem, &byItem}};

  int compared = 0;
  int nonEmpty = 0;
  for (unsigned seed = 0; seed < 3000; ++seed) {
    RandomObjects random(seed);
    const json::object rhs = random.object(0);
    json::object lhs;
    switch (seed % 3) {
      case 0:
        break;  // a create: nothing before
      case 1:
        if (json::value m = random.mutate(json::value(rhs), 0); m.is_object())
          lhs = std::move(m.get_object());
        break;
      default:
        lhs = random.object(0);
    }
    for (const auto& [name, type] : types) {
      if (name == "pod" && seed % 3 == 0)
        lhs = zeroObject(pod).as_object();  // the field manager's create
      for (const auto& [ign, str] : filters) {
        const std::string want = changedBySets(lhs, rhs, type, *ign, *str);
        const std::string got = json::serialize(changedFieldsV1(lhs, rhs, type, *ign, *str));
        ASSERT_EQ(got, want) << name << " seed " << seed << "\nlhs " << json::serialize(lhs)
                             << "\nrhs " << json::serialize(rhs);
        ++compared;
        nonEmpty += want != "{}";
      }
    }
  }
  // The corpus is not trivial: most comparisons find something.
  EXPECT_GT(nonEmpty, compared / 2);
}

TEST(TypedTest, ChangedFieldsV1OfAPodCreate) {
  const TypeRef pod = TypeRef::of(testing::podSchema().root());
  if (pod.isDeduced())
    GTEST_SKIP() << "no core/v1 schema";
  const json::object zero = zeroObject(pod).as_object();
  const json::object obj = J(R"({"apiVersion":"v1","kind":"Pod",
      "metadata":{"name":"p","labels":{"b":"2","a":"1"}},
      "spec":{"containers":[{"name":"z","image":"i"},{"name":"c","ports":[{"containerPort":80}]},
                            {"name":"c","image":"dup"}],
              "securityContext":{"runAsUser":1}},
      "status":{"phase":"Pending"}})")
                               .as_object();
  const FieldSet strip = fieldSetOf({fieldPath({"apiVersion"}), fieldPath({"kind"}),
                                     fieldPath({"metadata"}), fieldPath({"metadata", "name"})});
  const FieldSet ignored = fieldSetOf({fieldPath({"status"})});
  EXPECT_EQ(json::serialize(changedFieldsV1(zero, obj, pod, ignored, strip)),
            R"({"f:metadata":{"f:labels":{".":{},"f:a":{},"f:b":{}}},)"
            R"("f:spec":{"f:containers":{"k:{\"name\":\"c\"}":{".":{},"f:name":{},)"
            R"("f:ports":{".":{},"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},)"
            R"("f:containerPort":{}}}},"k:{\"name\":\"z\"}":{".":{},"f:image":{},"f:name":{}}},)"
            R"("f:securityContext":{".":{},"f:runAsUser":{}}}})");
}

TEST(TypedTest, DropNullFields) {
  json::value v = J(R"({"struct":{"a":null,"b":1},"labels":{"x":null},"free":{"y":null}})");
  dropNullFields(v, widget());
  EXPECT_EQ(v, J(R"({"struct":{"b":1},"labels":{"x":null},"free":{"y":null}})"));
}

}  // namespace
}  // namespace apiserver::apply
