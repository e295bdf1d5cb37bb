#include "patch/strategic_merge_patch.h"

#include "patch/merge_patch.h"
#include "schema/pod_schema_fixture.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <string>
#include <vector>

namespace apiserver::patch {
namespace {

namespace json = boost::json;
using schema::SchemaNode;
using schema::SchemaSet;

/// Scenarios against the Pod-like schema. Results are compared as serialized text, so key order
/// and list order are both asserted.
class PodPatchTest : public ::testing::Test {
 protected:
  /// apply patches `doc` (JSON text) with `patch` (JSON text) and returns the serialized result.
  std::string apply(const std::string& doc, const std::string& patch) {
    auto out = applyStrategicMergePatch(json::parse(doc), json::parse(patch), set_.root());
    if (!out)
      return "ERROR " + std::to_string(out.error().code) + ": " + out.error().message;
    return json::serialize(*out);
  }
  /// error patches and returns the error (the test fails when the patch applies).
  ApiError error(const std::string& doc, const std::string& patch) {
    auto out = applyStrategicMergePatch(json::parse(doc), json::parse(patch), set_.root());
    EXPECT_FALSE(out) << "patch applied: " << (out ? json::serialize(*out) : "");
    return out ? ApiError{} : out.error();
  }

  SchemaSet set_ = schema::testing::podSchemaSet();
};

/// compact re-serializes JSON text, for expectations written readably.
std::string compact(const std::string& text) {
  return json::serialize(json::parse(text));
}

TEST_F(PodPatchTest, KubectlClientSideApplySecondRun) {
  // kubectl-protocol.md 9.1: the second `kubectl apply` after dropping container c2 and the
  // label "tier" and changing c1's image.
  const std::string live = R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "app1", "namespace": "default", "uid": "u-1", "resourceVersion": "7",
      "labels": {"app": "app1", "tier": "web"},
      "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"old\":true}\n"}},
    "spec": {
      "containers": [
        {"name": "c1", "image": "nginx:1", "imagePullPolicy": "IfNotPresent"},
        {"name": "c2", "image": "busybox", "args": ["sleep", "3600"]}],
      "restartPolicy": "Always"},
    "status": {"phase": "Running"}})";
  const std::string patch = R"({
    "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"new\":true}\n"},
                 "labels": {"tier": null}},
    "spec": {"$setElementOrder/containers": [{"name": "c1"}],
             "containers": [{"image": "nginx:2", "name": "c1"}, {"$patch": "delete", "name": "c2"}]}})";
  EXPECT_EQ(apply(live, patch), compact(R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "app1", "namespace": "default", "uid": "u-1", "resourceVersion": "7",
      "labels": {"app": "app1"},
      "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"new\":true}\n"}},
    "spec": {
      "containers": [{"name": "c1", "image": "nginx:2", "imagePullPolicy": "IfNotPresent"}],
      "restartPolicy": "Always"},
    "status": {"phase": "Running"}})"));
}

TEST_F(PodPatchTest, ContainersMergeByName) {
  const std::string live = R"({"spec":{"containers":[
    {"name":"a","image":"a:1"},{"name":"b","image":"b:1","args":["x"]}]}})";
  // Without $setElementOrder, a patch item goes before a live item unless both are live items
  // (then the live order wins): the new "c" lands first, "a" keeps its place before "b".
  EXPECT_EQ(
      apply(live,
            R"({"spec":{"containers":[{"name":"c","image":"c:1"},{"name":"b","image":"b:2"}]}})"),
      compact(R"({"spec":{"containers":[{"name":"c","image":"c:1"},
              {"name":"a","image":"a:1"},{"name":"b","image":"b:2","args":["x"]}]}})"));
  EXPECT_EQ(apply(live, R"({"spec":{"containers":[{"name":"c","image":"c:1"}]}})"),
            compact(R"({"spec":{"containers":[{"name":"c","image":"c:1"},
              {"name":"a","image":"a:1"},{"name":"b","image":"b:1","args":["x"]}]}})"));
  // $setElementOrder decides (kubectl apply adding container c between a and b).
  EXPECT_EQ(
      apply(live,
            R"({"spec":{"$setElementOrder/containers":[{"name":"a"},{"name":"c"},{"name":"b"}],
                                    "containers":[{"name":"c","image":"c:1"}]}})"),
      compact(R"({"spec":{"containers":[{"name":"a","image":"a:1"},
              {"name":"c","image":"c:1"},{"name":"b","image":"b:1","args":["x"]}]}})"));
  // Atomic lists inside a container (args) are replaced; nulls delete fields.
  EXPECT_EQ(
      apply(live, R"({"spec":{"containers":[{"name":"b","args":["y","z"],"image":null}]}})"),
      compact(
          R"({"spec":{"containers":[{"name":"a","image":"a:1"},{"name":"b","args":["y","z"]}]}})"));
}

TEST_F(PodPatchTest, PortsMergeByContainerPort) {
  const std::string live = R"({"spec":{"containers":[{"name":"c1",
    "ports":[{"containerPort":80,"protocol":"TCP","name":"http"}]}]}})";
  EXPECT_EQ(apply(live, R"({"spec":{"containers":[{"name":"c1","ports":[
              {"containerPort":443,"name":"https"},{"containerPort":80,"name":"web"}]}]}})"),
            compact(R"({"spec":{"containers":[{"name":"c1","ports":[
              {"containerPort":443,"name":"https"},{"containerPort":80,"protocol":"TCP","name":"web"}]}]}})"));
  EXPECT_EQ(
      apply(
          live,
          R"({"spec":{"containers":[{"name":"c1","ports":[{"$patch":"delete","containerPort":80}]}]}})"),
      compact(R"({"spec":{"containers":[{"name":"c1","ports":[]}]}})"));
  // Merge keys compare as Go values: 80.0 (float64) is not 80 (int64), so it is another port.
  EXPECT_EQ(
      apply(
          live,
          R"({"spec":{"containers":[{"name":"c1","ports":[{"containerPort":80.0,"name":"f"}]}]}})"),
      compact(R"({"spec":{"containers":[{"name":"c1","ports":[{"containerPort":80.0,"name":"f"},
              {"containerPort":80,"protocol":"TCP","name":"http"}]}]}})"));
}

TEST_F(PodPatchTest, EnvMergeByNameWithDelete) {
  const std::string live = R"({"spec":{"containers":[{"name":"c1","env":[
    {"name":"A","value":"1"},{"name":"B","value":"2"}]}]}})";
  EXPECT_EQ(
      apply(live, R"({"spec":{"containers":[{"name":"c1","env":[
              {"name":"B","$patch":"delete"},{"name":"C","value":"3"}]}]}})"),
      compact(
          R"({"spec":{"containers":[{"name":"c1","env":[{"name":"C","value":"3"},{"name":"A","value":"1"}]}]}})"));
  EXPECT_EQ(apply(live, R"({"spec":{"containers":[{"name":"c1","env":[{"name":"A","value":null,
              "valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}]}]}})"),
            compact(R"({"spec":{"containers":[{"name":"c1","env":[
              {"name":"A","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}},{"name":"B","value":"2"}]}]}})"));
}

TEST_F(PodPatchTest, VolumesMergeWithRetainKeys) {
  const std::string live = R"({"spec":{"volumes":[
    {"name":"data","emptyDir":{"medium":"Memory"}},{"name":"cfg","configMap":{"name":"c1"}}]}})";
  // kubectl apply switching volume "data" from emptyDir to hostPath.
  EXPECT_EQ(apply(live, R"({"spec":{"$setElementOrder/volumes":[{"name":"data"},{"name":"cfg"}],
              "volumes":[{"$retainKeys":["hostPath","name"],"emptyDir":null,"hostPath":{"path":"/data"},"name":"data"}]}})"),
            compact(R"({"spec":{"volumes":[{"name":"data","hostPath":{"path":"/data"}},
              {"name":"cfg","configMap":{"name":"c1"}}]}})"));
  // $retainKeys alone clears what it does not list.
  EXPECT_EQ(
      apply(live, R"({"spec":{"volumes":[{"$retainKeys":["name"],"name":"cfg"}]}})"),
      compact(
          R"({"spec":{"volumes":[{"name":"data","emptyDir":{"medium":"Memory"}},{"name":"cfg"}]}})"));
  // A patch key missing from $retainKeys is a bad patch.
  ApiError e =
      error(live, R"({"spec":{"volumes":[{"$retainKeys":["name"],"name":"cfg","secret":{}}]}})");
  EXPECT_EQ(e.code, 400);
  EXPECT_EQ(e.reason, "BadRequest");
  EXPECT_EQ(e.message, "invalid patch format of retainKeys");
  e = error(live, R"({"spec":{"volumes":[{"$retainKeys":"name","name":"cfg"}]}})");
  EXPECT_EQ(e.code, 400);
  EXPECT_EQ(e.message, "invalid patch format of retainKeys");
}

TEST_F(PodPatchTest, FinalizersArePrimitiveMergeLists) {
  const std::string live = R"({"metadata":{"finalizers":["a","b"]}})";
  EXPECT_EQ(apply(live, R"({"metadata":{"finalizers":["c","a"]}})"),
            compact(R"({"metadata":{"finalizers":["c","a","b"]}})"));
  EXPECT_EQ(apply(live, R"({"metadata":{"finalizers":["b"]}})"),
            compact(R"({"metadata":{"finalizers":["a","b"]}})"));
  EXPECT_EQ(apply(live, R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a","zz"]}})"),
            compact(R"({"metadata":{"finalizers":["b"]}})"));
  // kubectl apply: new order, one added, one removed, a server-side finalizer kept.
  EXPECT_EQ(apply(R"({"metadata":{"finalizers":["a","b","x"]}})",
                  R"({"metadata":{"$setElementOrder/finalizers":["b","c"],
                      "$deleteFromPrimitiveList/finalizers":["a"],"finalizers":["c"]}})"),
            compact(R"({"metadata":{"finalizers":["b","c","x"]}})"));
  // A delete list for a missing list adds nothing.
  EXPECT_EQ(
      apply(R"({"metadata":{}})", R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}})"),
      compact(R"({"metadata":{}})"));
}

TEST_F(PodPatchTest, TolerationsHaveNoMergeKeySoTheyAreReplaced) {
  const std::string live = R"({"spec":{"tolerations":[{"key":"a","operator":"Exists"}]}})";
  EXPECT_EQ(
      apply(live,
            R"({"spec":{"tolerations":[{"key":"b","operator":"Exists","effect":"NoSchedule"}]}})"),
      compact(
          R"({"spec":{"tolerations":[{"key":"b","operator":"Exists","effect":"NoSchedule"}]}})"));
  EXPECT_EQ(apply(live, R"({"spec":{"tolerations":[]}})"),
            compact(R"({"spec":{"tolerations":[]}})"));
  EXPECT_EQ(apply(live, R"({"spec":{"tolerations":null}})"), compact(R"({"spec":{}})"));
  // As in kube, a replaced list is taken verbatim, directive items included.
  EXPECT_EQ(apply(live, R"({"spec":{"tolerations":[{"key":"b"},{"$patch":"delete","key":"a"}]}})"),
            compact(R"({"spec":{"tolerations":[{"key":"b"},{"$patch":"delete","key":"a"}]}})"));
}

TEST_F(PodPatchTest, MapDirectivesAndStrategies) {
  const std::string live =
      R"({"metadata":{"labels":{"a":"1","b":"2"}},"spec":{"nodeSelector":{"zone":"x"}}})";
  EXPECT_EQ(apply(live, R"({"metadata":{"labels":{"$patch":"replace","c":"3"}}})"),
            compact(R"({"metadata":{"labels":{"c":"3"}},"spec":{"nodeSelector":{"zone":"x"}}})"));
  // `$patch: delete` leaves an empty map, as kube does.
  EXPECT_EQ(apply(live, R"({"metadata":{"labels":{"$patch":"delete"}}})"),
            compact(R"({"metadata":{"labels":{}},"spec":{"nodeSelector":{"zone":"x"}}})"));
  EXPECT_EQ(apply(live, R"({"$patch":"replace","kind":"Pod"})"), compact(R"({"kind":"Pod"})"));
  EXPECT_EQ(apply(live, R"({"$patch":"delete"})"), "{}");
  // `x-kubernetes-map-type: atomic` does not change strategic merge patch (only SSA): merged.
  EXPECT_EQ(
      apply(live, R"({"spec":{"nodeSelector":{"disk":"ssd"}}})"),
      compact(
          R"({"metadata":{"labels":{"a":"1","b":"2"}},"spec":{"nodeSelector":{"zone":"x","disk":"ssd"}}})"));
}

TEST_F(PodPatchTest, ListReplaceDirective) {
  const std::string live = R"({"spec":{"containers":[{"name":"a"},{"name":"b"}]}})";
  EXPECT_EQ(
      apply(live, R"({"spec":{"containers":[{"name":"z","image":"z"},{"$patch":"replace"}]}})"),
      compact(R"({"spec":{"containers":[{"name":"z","image":"z"}]}})"));
  EXPECT_EQ(apply(live, R"({"spec":{"containers":[{"$patch":"replace"}]}})"),
            compact(R"({"spec":{"containers":[]}})"));
}

TEST_F(PodPatchTest, NewValuesLoseNullsAndDirectives) {
  const std::string live = R"({"metadata":{"name":"p"},"spec":{}})";
  EXPECT_EQ(
      apply(live, R"({"metadata":{"labels":{"a":"1","b":null}},
                            "spec":{"containers":[{"name":"c","image":null,"ports":[{"$patch":"delete","containerPort":1}]},
                                                  {"$patch":"delete","name":"gone"}]}})"),
      compact(
          R"({"metadata":{"name":"p","labels":{"a":"1"}},"spec":{"containers":[{"name":"c","ports":[]}]}})"));
  // A new map carrying `$patch` is dropped entirely (kube's removeDirectives).
  EXPECT_EQ(apply(live, R"({"metadata":{"annotations":{"$patch":"replace","x":"y"}}})"),
            compact(R"({"metadata":{"name":"p"},"spec":{}})"));
}

TEST_F(PodPatchTest, KeyOrderIsKept) {
  EXPECT_EQ(
      apply(
          R"({"kind":"Pod","metadata":{"name":"p","labels":{"a":"1"},"uid":"u"},"spec":{"nodeName":"n"}})",
          R"({"zeta":1,"metadata":{"annotations":{"k":"v"},"labels":{"b":"2"},"name":"q"},"alpha":2})"),
      R"({"kind":"Pod","metadata":{"name":"q","labels":{"a":"1","b":"2"},"uid":"u","annotations":{"k":"v"}},)"
      R"("spec":{"nodeName":"n"},"zeta":1,"alpha":2})");
}

TEST_F(PodPatchTest, ServerOnlyItemsOrderedAsKubeDoes) {
  // A sidecar "x" the server added stays after the items the patch orders...
  const std::string live = R"({"spec":{"containers":[{"name":"a"},{"name":"b"},{"name":"x"}]}})";
  EXPECT_EQ(apply(live, R"({"spec":{"$setElementOrder/containers":[{"name":"b"},{"name":"a"}]}})"),
            compact(R"({"spec":{"containers":[{"name":"b"},{"name":"a"},{"name":"x"}]}})"));
  // ...and when one item is deleted and another added in the same patch, kube orders "x"
  // against the live list as mergeSlice left it (the deletion shifted it, the addition took the
  // freed cell), which puts "x" before the new item.
  EXPECT_EQ(apply(live, R"({"spec":{"$setElementOrder/containers":[{"name":"b"},{"name":"y"}],
                                    "containers":[{"name":"y"},{"$patch":"delete","name":"a"}]}})"),
            compact(R"({"spec":{"containers":[{"name":"b"},{"name":"x"},{"name":"y"}]}})"));
}

TEST_F(PodPatchTest, NestedDirectiveErrors) {
  const std::string live = R"({"metadata":{"labels":{"a":"1"},"finalizers":[]},
    "spec":{"containers":[{"name":"c1","image":"i"}]}})";
  struct Case {
    std::string patch;
    int code;
    std::string reason;
    std::string message;
  };
  const std::vector<Case> cases = {
      {R"({"spec":{"containers":[{"name":"c1","$patch":"merge"}]}})", 500, "",
       "merging lists cannot yet be specified in the patch"},
      {R"({"spec":{"containers":[{"name":"c1","$patch":"foo"}]}})", 500, "",
       "unknown patch type: foo in map: map[$patch:foo name:c1]"},
      {R"({"metadata":{"labels":{"$patch":"merge"}}})", 500, "",
       "unknown patch type: merge in map: map[$patch:merge]"},
      {R"({"metadata":{"labels":{"$patch":1}}})", 500, "",
       "unknown patch type: %!s(int64=1) in map: map[$patch:1]"},
      {R"({"spec":{"containers":[{"image":"x"}]}})", 500, "",
       "map: map[image:x] does not contain declared merge key: name"},
      {R"({"spec":{"containers":[{"$patch":"delete"}]}})", 500, "",
       "map: map[$patch:delete] does not contain declared merge key: name"},
      {R"({"spec":{"containers":["c1"]}})", 500, "",
       "list element types are not identical: [[map[image:i name:c1]] [c1]]"},
      {R"({"metadata":{"finalizers":[["x"]]}})", 422, "Invalid",
       "the server rejected our request due to an error in our request"},
      {R"({"spec":{"$setElementOrder/containers":"c1"}})", 500, "",
       "expected a []interface {}, but received a string"},
      {R"({"spec":{"$setElementOrderX/containers":[]}})", 400, "BadRequest",
       "invalid patch format of setElementOrder list"},
      {R"({"spec":{"$setElementOrder":[]}})", 400, "BadRequest",
       "invalid patch format of setElementOrder list"},
      {R"({"metadata":{"$deleteFromPrimitiveList":["a"]}})", 400, "BadRequest",
       "invalid patch format of primitive list"},
      {R"({"$retainKeys":["kind"],"spec":{}})", 400, "BadRequest",
       "invalid patch format of retainKeys"},
      {R"({"spec":{"$setElementOrder/containers":[{"name":"a"},{"name":"b"}],
                   "containers":[{"name":"b"},{"name":"a"}]}})",
       500, "",
       "The order in patch list:\n[map[name:b] map[name:a]]\n doesn't match $setElementOrder "
       "list:\n[map[name:a] map[name:b]]\n"},
      {R"({"spec":{"$setElementOrder/containers":[{"image":"a"}],"containers":[{"name":"c1"}]}})",
       500, "", "map: map[image:a] does not contain declared merge key: name"},
      {R"({"spec":{"containers":[{"name":{"a":1}}]}})", 500, "InternalError",
       "Internal error occurred: runtime error: comparing uncomparable type map[string]interface "
       "{}"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.patch);
    ApiError e = error(live, c.patch);
    EXPECT_EQ(e.code, c.code);
    EXPECT_EQ(e.reason, c.reason);
    EXPECT_EQ(e.message, c.message);
  }
}

TEST_F(PodPatchTest, UnknownReasonErrorsHaveNoDetails) {
  ApiError e = error(R"({"spec":{"containers":[{"name":"c1"}]}})",
                     R"({"spec":{"containers":[{"image":"x"}]}})");
  EXPECT_EQ(
      json::serialize(e.toJson()),
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)"
      R"("message":"map: map[image:x] does not contain declared merge key: name","code":500})");
}

TEST_F(PodPatchTest, NullAndNonObjectPatches) {
  const std::string live = R"({"a":1})";
  EXPECT_EQ(apply(live, "null"), live);
  EXPECT_EQ(apply(live, "{}"), live);
  ApiError e = error(live, "[1]");
  EXPECT_EQ(e.code, 400);
  EXPECT_EQ(e.message,
            "json: cannot unmarshal array into Go value of type map[string]interface {}");
  e = error(live, "\"x\"");
  EXPECT_EQ(e.message,
            "json: cannot unmarshal string into Go value of type map[string]interface {}");
}

TEST_F(PodPatchTest, BodyDecoding) {
  const json::value live = json::parse(R"({"metadata":{"labels":{"a":"1"}}})");
  auto ok = applyStrategicMergePatchBody(live, R"({"metadata":{"labels":{"b":"2"}}})", set_.root());
  ASSERT_TRUE(ok);
  EXPECT_EQ(json::serialize(*ok), R"({"metadata":{"labels":{"a":"1","b":"2"}}})");
  auto bad = applyStrategicMergePatchBody(live, R"({"metadata":)", set_.root());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, 400);
  EXPECT_EQ(bad.error().message, "unexpected end of JSON input");
  bad = applyStrategicMergePatchBody(live, R"({"metadata" 1})", set_.root());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "invalid character '1' after object key");
}

TEST(SchemalessPatchTest, ListsAreReplacedAndMapsMerged) {
  const SchemaNode none;  // no schema at all
  auto out = applyStrategicMergePatch(
      json::parse(
          R"({"spec":{"items":[{"name":"a","v":1},{"name":"b"}],"tags":["x"],"m":{"k":"v"}}})"),
      json::parse(
          R"({"spec":{"items":[{"name":"a","w":2}],"tags":["y"],"m":{"k2":"v2","k":null}}})"),
      none);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(json::serialize(*out),
            R"({"spec":{"items":[{"name":"a","w":2}],"tags":["y"],"m":{"k2":"v2"}}})");
  // Directives still work: a delete list and an order list on scalar lists.
  out = applyStrategicMergePatch(
      json::parse(R"({"tags":["a","b","c"]})"),
      json::parse(R"({"$deleteFromPrimitiveList/tags":["b"],"$setElementOrder/tags":["c","a"]})"),
      none);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(json::serialize(*out), R"({"tags":["c","a"]})");
  // An order list over a list of objects without a merge key makes kube's code hash a map.
  out = applyStrategicMergePatch(json::parse(R"({"items":[{"n":1}]})"),
                                 json::parse(R"({"$setElementOrder/items":[{"n":1}]})"), none);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, 500);
  EXPECT_EQ(
      out.error().message,
      "Internal error occurred: runtime error: hash of unhashable type map[string]interface {}");
}

TEST(SchemalessPatchTest, PreserveUnknownFieldsFallsBackBelowTheDeclaredFields) {
  SchemaSet set(json::parse(R"({"type":"object","x-kubernetes-preserve-unknown-fields":true,
    "properties":{"list":{"type":"array","items":{"type":"object","properties":{"k":{"type":"string"}}},
      "x-kubernetes-patch-merge-key":"k","x-kubernetes-patch-strategy":"merge"}}})")
                    .as_object(),
                json::object());
  auto out = applyStrategicMergePatch(
      json::parse(R"({"list":[{"k":"a","v":1}],"other":[{"k":"a","v":1}]})"),
      json::parse(R"({"list":[{"k":"a","w":2}],"other":[{"k":"a","w":2}]})"), set.root());
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(json::serialize(*out), R"({"list":[{"k":"a","v":1,"w":2}],"other":[{"k":"a","w":2}]})");
}

TEST(CustomSchemaPatchTest, StrategiesFromTheSchema) {
  SchemaSet set(json::parse(R"({"type":"object","properties":{
      "replaced":{"type":"object","x-kubernetes-patch-strategy":"replace"},
      "bad":{"type":"object","x-kubernetes-patch-strategy":"merge,replace"},
      "noKey":{"type":"array","items":{"type":"object","properties":{"a":{"type":"string"}}},
               "x-kubernetes-patch-strategy":"merge"}}})")
                    .as_object(),
                json::object());
  auto out = applyStrategicMergePatch(json::parse(R"({"replaced":{"a":1,"b":2}})"),
                                      json::parse(R"({"replaced":{"c":3,"d":null}})"), set.root());
  ASSERT_TRUE(out);
  EXPECT_EQ(json::serialize(*out), R"({"replaced":{"c":3,"d":null}})");  // taken verbatim

  out = applyStrategicMergePatch(json::parse(R"({"bad":{"a":1}})"),
                                 json::parse(R"({"bad":{"b":1}})"), set.root());
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().message, "unexpected patch strategy: [merge replace]");

  out = applyStrategicMergePatch(json::parse(R"({"noKey":[{"a":"x"}]})"),
                                 json::parse(R"({"noKey":[{"a":"y"}]})"), set.root());
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().message, "cannot merge lists without merge key for struct");
}

}  // namespace
}  // namespace apiserver::patch

namespace apiserver::patch {
namespace {

/// nested builds {"a":{"a":...{"a":leaf}}} with `depth` objects.
std::string nested(std::size_t depth, const std::string& leaf) {
  std::string s;
  for (std::size_t i = 0; i < depth; ++i)
    s += "{\"a\":";
  s += leaf;
  s.append(depth, '}');
  return s;
}

TEST(DeepPatchTest, TheDeepestAcceptedBodiesApply) {
  // Just below golang::kMaxJsonDepth, so the body parsers accept it; the engines recurse along it.
  const std::size_t depth = 998;
  const json::value doc = json::parse(nested(depth, "{\"x\":1}"), {}, {.max_depth = 2000});
  auto smp = applyStrategicMergePatchBody(doc, nested(depth, "{\"y\":2}"), SchemaNode());
  ASSERT_TRUE(smp) << smp.error().message;
  auto merged = applyMergePatchBody(doc, nested(depth, "{\"y\":2,\"x\":null}"));
  ASSERT_TRUE(merged) << merged.error().message;
  // Too deep: refused as Go refuses a body beyond its limit.
  auto tooDeep = applyStrategicMergePatchBody(doc, nested(1200, "1"), SchemaNode());
  ASSERT_FALSE(tooDeep);
  EXPECT_EQ(tooDeep.error().code, 400);
}

TEST(DeepPatchTest, DeeplyNestedMergeListsWithOrderDirectives) {
  // A recursive schema: every item holds another list merged by "k". Each level is two JSON
  // levels (array, object) and goes through $setElementOrder and the list merge.
  SchemaSet set(json::parse(R"({"$ref":"#/components/schemas/N"})").as_object(),
                json::parse(R"({"N":{"type":"object","properties":{"l":{"type":"array",
                  "items":{"$ref":"#/components/schemas/N"},
                  "x-kubernetes-patch-merge-key":"k","x-kubernetes-patch-strategy":"merge"}}}})")
                    .as_object());
  const std::size_t levels = 495;
  std::string doc = "{";
  std::string patch = "{";
  for (std::size_t i = 0; i < levels; ++i) {
    doc += R"("l":[{"k":1,"a":1},{"k":2,)";
    patch += R"("$setElementOrder/l":[{"k":2},{"k":1}],"l":[{"k":2,)";
  }
  doc += R"("z":0)";
  patch += R"("b":1)";
  for (std::size_t i = 0; i < levels; ++i) {
    doc += "}]";
    patch += "}]";
  }
  doc += "}";
  patch += "}";
  auto out =
      applyStrategicMergePatchBody(json::parse(doc, {}, {.max_depth = 2000}), patch, set.root());
  ASSERT_TRUE(out) << out.error().message;
  // Each level was reordered (2 before 1) and the innermost item merged.
  const json::value* cur = &*out;
  for (std::size_t i = 0; i < levels; ++i) {
    const auto& list = cur->as_object().at("l").as_array();
    ASSERT_EQ(list.size(), 2u);
    ASSERT_EQ(list[0].as_object().at("k"), 2);
    ASSERT_EQ(list[1].as_object().at("k"), 1);
    cur = &list[0];
  }
  EXPECT_EQ(json::serialize(*cur), R"({"k":2,"z":0,"b":1})");
}

}  // namespace
}  // namespace apiserver::patch
