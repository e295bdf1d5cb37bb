// The field manager: managedFields on every write, server-side apply, conflicts and force, the
// client-side-apply upgrade, and the exact Status kubectl turns into its conflict help text.

#include "apply/field_manager.h"
#include "apply_test_util.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace apiserver::apply {
namespace {

using testing::J;
using testing::O;

TimePoint at(std::string_view rfc3339) {
  return *parseTime(rfc3339);
}

constexpr const char* kT1 = "2024-05-01T10:00:00Z";
constexpr const char* kT2 = "2024-05-01T10:05:00Z";
constexpr const char* kT3 = "2024-05-01T10:10:00Z";

class FieldManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::podSchema().root().isUnknown())
      GTEST_SKIP() << "no core/v1 schema";
  }

  FieldManager pods() const {
    return FieldManager(testing::podSchema().root(), {"", "v1", "Pod", "pods", true});
  }

  /// managed returns metadata.managedFields (or null).
  static json::value managed(const json::object& obj) {
    const json::value* v = field(obj, "metadata", "managedFields");
    return v != nullptr ? *v : json::value(nullptr);
  }

  /// entry finds the managedFields entry of a manager and operation.
  static json::object entry(const json::object& obj, std::string_view manager,
                            std::string_view operation) {
    if (const json::array* a = arrayField(obj, "metadata", "managedFields"))
      for (const auto& e : *a)
        if (stringField(e.get_object(), "", "manager") == manager &&
            stringField(e.get_object(), "", "operation") == operation)
          return e.get_object();
    return {};
  }

  /// fieldsOf is an entry's fieldsV1 as compact JSON.
  static std::string fieldsOf(const json::object& obj, std::string_view manager,
                              std::string_view operation) {
    json::object e = entry(obj, manager, operation);
    const json::value* f = e.if_contains("fieldsV1");
    return f != nullptr ? json::serialize(*f) : "";
  }

  /// create stores obj as the Store would: identity set, then the field manager.
  json::object create(json::object obj, std::string_view manager, const char* now = kT1) const {
    json::object& meta = metadata(obj);
    meta["uid"] = "6f3c0d2e-1111-4222-8333-944455556666";
    meta["creationTimestamp"] = kT1;
    meta["resourceVersion"] = "1";
    pods().update(nullptr, obj, manager, "", at(now));
    return obj;
  }

  Result<json::object> apply(const json::object* live, std::string_view config,
                             std::string_view manager, bool force = false,
                             const char* now = kT2) const {
    return pods().apply(live, O(config), {std::string(manager), force, "", at(now)});
  }
};

/// The Pod kubectl 1.25 created with `kubectl apply -f` (client-side), as kube-apiserver's field
/// manager saw it: the manifest plus the defaults kube's decoder fills in. Admission added
/// volumes, tolerations, the service account and priority afterwards, which nobody owns.
constexpr const char* kClientSideAppliedNginx = R"json({
  "kind":"Pod","apiVersion":"v1",
  "metadata":{"name":"nginx","namespace":"default",
    "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"annotations\":{},\"name\":\"nginx\",\"namespace\":\"default\"},\"spec\":{\"containers\":[{\"image\":\"nginx:1.14.2\",\"name\":\"nginx\",\"ports\":[{\"containerPort\":80}]}]}}\n"}},
  "spec":{"containers":[{"name":"nginx","image":"nginx:1.14.2","ports":[{"containerPort":80,"protocol":"TCP"}],
      "resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File",
      "imagePullPolicy":"IfNotPresent"}],
    "restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst",
    "securityContext":{},"schedulerName":"default-scheduler","enableServiceLinks":true},
  "status":{"phase":"Pending","qosClass":"BestEffort"}})json";

/// What that kube-apiserver recorded (its managedFields, verbatim).
constexpr const char* kClientSideAppliedNginxFields =
    R"({"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}}},)"
    R"("f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:image":{},"f:imagePullPolicy":{},)"
    R"("f:name":{},"f:ports":{".":{},"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},)"
    R"("f:containerPort":{},"f:protocol":{}}},"f:resources":{},"f:terminationMessagePath":{},)"
    R"("f:terminationMessagePolicy":{}}},"f:dnsPolicy":{},"f:enableServiceLinks":{},"f:restartPolicy":{},)"
    R"("f:schedulerName":{},"f:securityContext":{},"f:terminationGracePeriodSeconds":{}}})";

TEST_F(FieldManagerTest, CreateRecordsWhatKubeRecords) {
  json::object pod = create(O(kClientSideAppliedNginx), "kubectl-client-side-apply");
  EXPECT_EQ(managed(pod),
            J(std::string(R"([{"manager":"kubectl-client-side-apply","operation":"Update",)"
                          R"("apiVersion":"v1","time":"2024-05-01T10:00:00Z",)"
                          R"("fieldsType":"FieldsV1","fieldsV1":)") +
              kClientSideAppliedNginxFields + "}]"));
  // managedFields come last in metadata, as in kube's ObjectMeta.
  EXPECT_EQ(std::prev(metadata(pod).end())->key(), "managedFields");
}

// One manager remembers the FieldsV1 of the last create and reuses it for an object of the same
// shape: every create through it must record what a manager that never created anything does.
TEST_F(FieldManagerTest, CreatesOfOneShapeShareTheirFieldsAndOthersDoNot) {
  const std::vector<std::pair<std::string, std::string>> variants = {
      {"base", R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"a","labels":{"app":"x"}},
          "spec":{"containers":[{"name":"c","image":"i","ports":[{"containerPort":80}]}]}})"},
      // Same shape: only scalars outside lists differ.
      {"base", R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"b","labels":{"app":"y"}},
          "spec":{"containers":[{"name":"c","image":"i","ports":[{"containerPort":80}]}]}})"},
      {"other label",
       R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"a","labels":{"tier":"x"}},
          "spec":{"containers":[{"name":"c","image":"i","ports":[{"containerPort":80}]}]}})"},
      {"other container",
       R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"a","labels":{"app":"x"}},
          "spec":{"containers":[{"name":"d","image":"i","ports":[{"containerPort":80}]}]}})"},
      {"other port",
       R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"a","labels":{"app":"x"}},
          "spec":{"containers":[{"name":"c","image":"i","ports":[{"containerPort":81}]}]}})"},
      {"protocol", R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"a","labels":{"app":"x"}},
          "spec":{"containers":[{"name":"c","image":"i","ports":[{"containerPort":80,"protocol":"UDP"}]}]}})"},
      {"two containers",
       R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"a","labels":{"app":"x"}},
          "spec":{"containers":[{"name":"c","image":"i"},{"name":"e","image":"i"}]}})"},
      {"same name twice",
       R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"a","labels":{"app":"x"}},
          "spec":{"containers":[{"name":"c","image":"i"},{"name":"c","image":"j"}]}})"},
      {"empty labels", R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"a","labels":{}},
          "spec":{"containers":[{"name":"c","image":"i","ports":[{"containerPort":80}]}]}})"},
      {"null labels", R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"a","labels":null},
          "spec":{"containers":[{"name":"c","image":"i","ports":[{"containerPort":80}]}]}})"},
      {"args", R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"a"},
          "spec":{"containers":[{"name":"c","image":"i","args":["x"]}]}})"},
      {"finalizer", R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"a","finalizers":["f"]},
          "spec":{"containers":[{"name":"c","image":"i"}]}})"},
      {"other finalizer",
       R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"a","finalizers":["g"]},
          "spec":{"containers":[{"name":"c","image":"i"}]}})"},
      {"status", R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"a","labels":{"app":"x"}},
          "spec":{"containers":[{"name":"c","image":"i","ports":[{"containerPort":80}]}]},
          "status":{"phase":"Pending"}})"},
  };
  auto created = [](const FieldManager& m, const std::string& text, std::string_view sub) {
    json::object obj = O(text);
    m.update(nullptr, obj, "m", sub, at(kT1));
    return json::serialize(managed(obj));
  };
  const FieldManager shared = pods();
  std::map<std::string, std::string> byShape;
  // Every variant after every other, through the sharing manager, on either subresource after
  // either.
  for (std::string_view sub : {"", "status"})
    for (std::string_view beforeSub : {"", "status"})
      for (const auto& [before, beforeText] : variants)
        for (const auto& [shape, text] : variants) {
          SCOPED_TRACE(shape + "/" + std::string(sub) + " after " + before + "/" +
                       std::string(beforeSub));
          created(shared, beforeText, beforeSub);
          const std::string got = created(shared, text, sub);
          EXPECT_EQ(got, created(pods(), text, sub));
          // Objects of one shape get the same fields; others do not.
          auto [it, fresh] = byShape.emplace(std::string(sub) + "/" + shape, got);
          if (!fresh) {
            EXPECT_EQ(it->second, got);
          }
        }
  // Each variant records other fields than the base object, so a wrongly shared entry shows;
  // but status is nobody's through the main resource, and only status is through /status.
  for (const auto& [shape, fields] : byShape)
    if (shape != "/base" && shape != "/status" && shape.front() == '/') {
      EXPECT_NE(fields, byShape["/base"]) << shape;
    }
  EXPECT_EQ(byShape["/status"], byShape["/base"]);
  EXPECT_EQ(byShape["status/base"], "null");
  EXPECT_NE(byShape["status/status"], "null");
}

TEST_F(FieldManagerTest, ConfigMapCreate) {
  FieldManager cms(testing::configMapSchema().root(), {"", "v1", "ConfigMap", "configmaps", false});
  json::object cm = O(
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"default"},"data":{"a":"1"}})");
  cms.update(nullptr, cm, "kubectl-create", "", at(kT1));
  EXPECT_EQ(
      json::serialize(managed(cm)),
      R"([{"manager":"kubectl-create","operation":"Update","apiVersion":"v1","time":"2024-05-01T10:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:data":{".":{},"f:a":{}}}}])");
}

TEST_F(FieldManagerTest, OwnershipMovesToTheLastWriter) {
  json::object v1 = create(
      O(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default","labels":{"a":"1","b":"1"}},"spec":{"containers":[{"name":"c","image":"i:1"}]}})"),
      "creator");
  // Another manager changes label a and adds c: it takes a over and owns c.
  json::object v2 = v1;
  json::object& labels = metadata(v2)["labels"].get_object();
  labels["a"] = "2";
  labels["c"] = "3";
  pods().update(&v1, v2, "labeler", "", at(kT2));
  EXPECT_EQ(fieldsOf(v2, "labeler", "Update"),
            R"({"f:metadata":{"f:labels":{"f:a":{},"f:c":{}}}})");
  EXPECT_EQ(
      fieldsOf(v2, "creator", "Update"),
      R"({"f:metadata":{"f:labels":{".":{},"f:b":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"c\"}":{".":{},"f:image":{},"f:name":{}}}}})");
  // Entries are sorted by time: the creator's first.
  EXPECT_EQ(
      stringField(arrayField(v2, "metadata", "managedFields")->at(0).get_object(), "", "manager"),
      "creator");

  // The labeler changes a again: one entry per manager and operation, merged and re-stamped.
  json::object v3 = v2;
  metadata(v3)["labels"].get_object()["a"] = "3";
  pods().update(&v2, v3, "labeler", "", at(kT3));
  EXPECT_EQ(arrayField(v3, "metadata", "managedFields")->size(), 2u);
  EXPECT_EQ(stringField(entry(v3, "labeler", "Update"), "", "time"), kT3);
  EXPECT_EQ(fieldsOf(v3, "labeler", "Update"),
            R"({"f:metadata":{"f:labels":{"f:a":{},"f:c":{}}}})");

  // A write that changes nothing leaves managedFields (and the time) alone.
  json::object v4 = v3;
  pods().update(&v3, v4, "labeler", "", at("2024-06-01T00:00:00Z"));
  EXPECT_EQ(managed(v4), managed(v3));

  // Removing the last fields a manager owns drops its entry.
  json::object v5 = v4;
  metadata(v5)["labels"].get_object().erase("a");
  metadata(v5)["labels"].get_object().erase("c");
  pods().update(&v4, v5, "other", "", at(kT3));
  EXPECT_TRUE(entry(v5, "labeler", "Update").empty());
  EXPECT_TRUE(entry(v5, "other", "Update").empty());  // removing fields owns nothing
}

TEST_F(FieldManagerTest, UntrackedObjectsStayUntrackedAndResetClears) {
  json::object live = O(
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","uid":"u"},"spec":{"containers":[{"name":"c","image":"i"}]}})");
  json::object next = live;
  metadata(next)["labels"] = json::object{{"x", "y"}};
  pods().update(&live, next, "someone", "", at(kT2));
  EXPECT_TRUE(managed(next).is_null());

  json::object tracked = create(
      O(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"i"}]}})"),
      "creator");
  json::object reset = tracked;
  metadata(reset)["managedFields"] = json::array();
  pods().update(&tracked, reset, "resetter", "", at(kT2));
  EXPECT_TRUE(managed(reset).is_null());
  EXPECT_FALSE(metadata(reset).contains("managedFields"));
}

TEST_F(FieldManagerTest, ClientManagedFieldsWinOverLiveOnes) {
  json::object live = create(
      O(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"i"}]}})"),
      "creator");
  json::object next = live;
  // The client hands the fields to someone else (kube lets a client edit managedFields).
  json::array edited = *arrayField(live, "metadata", "managedFields");
  edited[0].get_object()["manager"] = "adopter";
  metadata(next)["managedFields"] = edited;
  pods().update(&live, next, "writer", "", at(kT2));
  EXPECT_FALSE(entry(next, "adopter", "Update").empty());
  EXPECT_TRUE(entry(next, "creator", "Update").empty());
  // Garbage is ignored in favour of the live entries.
  json::object garbage = live;
  metadata(garbage)["managedFields"] =
      J(R"([{"manager":"x","operation":"Delete","apiVersion":"v1","fieldsType":"FieldsV1"}])");
  pods().update(&live, garbage, "writer", "", at(kT2));
  EXPECT_FALSE(entry(garbage, "creator", "Update").empty());
}

TEST_F(FieldManagerTest, StatusSubresourceEntriesAndResetFields) {
  json::object live = create(
      O(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"i"}]}})"),
      "creator");
  // The main resource does not own status...
  EXPECT_EQ(fieldsOf(live, "creator", "Update").find("f:status"), std::string::npos);
  // ...the status subresource does, in an entry of its own.
  json::object next = live;
  next["status"] = J(R"({"phase":"Running","conditions":[{"type":"Ready","status":"True"}]})");
  pods().update(&live, next, "kubelet", "status", at(kT2));
  json::object e = entry(next, "kubelet", "Update");
  EXPECT_EQ(stringField(e, "", "subresource"), "status");
  EXPECT_EQ(
      json::serialize(e.at("fieldsV1")),
      R"({"f:status":{".":{},"f:conditions":{".":{},"k:{\"type\":\"Ready\"}":{".":{},"f:status":{},"f:type":{}}},"f:phase":{}}})");
}

TEST_F(FieldManagerTest, OldUpdateEntriesAreMergedIntoAncientChanges) {
  json::object obj = create(
      O(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"i"}]}})"),
      "m00");
  for (int i = 1; i <= 11; ++i) {
    json::object next = obj;
    json::value& labels = metadata(next)["labels"];
    if (!labels.is_object())
      labels = json::object();
    labels.get_object()["l" + std::to_string(i)] = "v";
    char time[32];
    std::snprintf(time, sizeof time, "2024-05-01T11:%02d:00Z", i);
    pods().update(&obj, next, "m" + std::to_string(100 + i), "", at(time));
    obj = std::move(next);
  }
  const json::array& entries = *arrayField(obj, "metadata", "managedFields");
  EXPECT_EQ(entries.size(), kMaxUpdateManagers);
  json::object ancient = entry(obj, "ancient-changes", "Update");
  ASSERT_FALSE(ancient.empty());
  // The oldest entries (the creator's, m101's, then m102's) were merged into the bucket, which
  // takes the time of the last one merged.
  EXPECT_EQ(stringField(ancient, "", "time"), "2024-05-01T11:02:00Z");
  EXPECT_NE(json::serialize(ancient.at("fieldsV1")).find("f:l2"), std::string::npos);
  EXPECT_TRUE(entry(obj, "m101", "Update").empty());
  EXPECT_FALSE(entry(obj, "m111", "Update").empty());
  EXPECT_NE(json::serialize(ancient.at("fieldsV1")).find("f:l1"), std::string::npos);
  EXPECT_NE(json::serialize(ancient.at("fieldsV1")).find("f:containers"), std::string::npos);
}

// --- apply ---

constexpr const char* kSsa1 =
    R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"ssa1","namespace":"default","labels":{"app":"ssa1"}},
  "spec":{"containers":[{"name":"c1","image":"nginx:1.27"}]}})";

TEST_F(FieldManagerTest, ApplyCreates) {
  auto created = apply(nullptr, kSsa1, "kubectl");
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(arrayField(*created, "spec", "containers")->at(0).at("image"), "nginx:1.27");
  EXPECT_EQ(
      json::serialize(managed(*created)),
      R"([{"manager":"kubectl","operation":"Apply","apiVersion":"v1","time":"2024-05-01T10:05:00Z","fieldsType":"FieldsV1",)"
      R"("fieldsV1":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"c1\"}":{".":{},"f:image":{},"f:name":{}}}}}}])");
}

TEST_F(FieldManagerTest, ApplyUpdatesAndRemovesFieldsItNoLongerApplies) {
  json::object live = create(
      O(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"ssa1","namespace":"default"},"spec":{"containers":[{"name":"c1","image":"x"}]}})"),
      "creator");
  auto first = apply(
      &live,
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"ssa1","labels":{"a":"1","b":"2"},"annotations":{"n":"1"}},
                                "spec":{"containers":[{"name":"c1","image":"nginx:1","env":[{"name":"E","value":"1"}]}]}})",
      "tool", true);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(*field(*first, "metadata", "labels"), J(R"({"a":"1","b":"2"})"));
  // Someone else adds label c.
  json::object other = *first;
  metadata(other)["labels"].get_object()["c"] = "3";
  pods().update(&*first, other, "labeler", "", at(kT2));

  // Re-applying without label a, label b, the annotations and env: a and the annotations go,
  // c (not the applier's) stays.
  auto second = apply(&other, R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"ssa1"},
                                  "spec":{"containers":[{"name":"c1","image":"nginx:2"}]}})",
                      "tool", false, kT3);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(*field(*second, "metadata", "labels"), J(R"({"c":"3"})"));
  EXPECT_EQ(field(*second, "metadata", "annotations"), nullptr);
  const json::object& c1 = arrayField(*second, "spec", "containers")->at(0).get_object();
  EXPECT_EQ(c1.at("image"), "nginx:2");
  EXPECT_FALSE(c1.contains("env"));
  EXPECT_EQ(
      fieldsOf(*second, "tool", "Apply"),
      R"({"f:spec":{"f:containers":{"k:{\"name\":\"c1\"}":{".":{},"f:image":{},"f:name":{}}}}})");
  EXPECT_EQ(stringField(entry(*second, "tool", "Apply"), "", "time"), kT3);
}

TEST_F(FieldManagerTest, FieldsOwnedBySomeoneElseAreNotRemoved) {
  auto first = apply(
      nullptr,
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"a":"1"}},"spec":{"containers":[{"name":"c","image":"i"}]}})",
      "one");
  ASSERT_TRUE(first);
  // A second applier applies the same label value: both own it.
  auto second = apply(
      &*first, R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"a":"1"}}})",
      "two");
  ASSERT_TRUE(second) << second.error().message;
  // The first stops applying it: the label stays, owned by the second only.
  auto third = apply(
      &*second,
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"i"}]}})",
      "one", false, kT3);
  ASSERT_TRUE(third) << third.error().message;
  EXPECT_EQ(*field(*third, "metadata", "labels"), J(R"({"a":"1"})"));
  EXPECT_EQ(fieldsOf(*third, "two", "Apply"), R"({"f:metadata":{"f:labels":{"f:a":{}}}})");
}

TEST_F(FieldManagerTest, NoopApplyKeepsTheObjectAndItsTime) {
  auto first = apply(nullptr, kSsa1, "kubectl");
  ASSERT_TRUE(first);
  auto again = apply(&*first, kSsa1, "kubectl", false, kT3);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *first);
}

TEST_F(FieldManagerTest, ConflictsAndForce) {
  json::object live = create(
      O(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"ssa1","namespace":"default","labels":{"app":"ssa1"}},
                                   "spec":{"containers":[{"name":"c1","image":"nginx:1"}]}})"),
      "kubectl-create");
  // Changing a field kubectl-create owns conflicts; setting it to its current value does not.
  auto same = apply(
      &live,
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"ssa1","labels":{"app":"ssa1"}}})",
      "ssa");
  ASSERT_TRUE(same) << same.error().message;
  auto conflict = apply(
      &live,
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"ssa1"},"spec":{"containers":[{"name":"c1","image":"nginx:2"}]}})",
      "ssa");
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().code, 409);
  EXPECT_EQ(conflict.error().message,
            "Apply failed with 1 conflict: conflict with \"kubectl-create\" using v1: "
            ".spec.containers[name=\"c1\"].image");

  auto forced = apply(
      &live,
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"ssa1"},"spec":{"containers":[{"name":"c1","image":"nginx:2"}]}})",
      "ssa", true);
  ASSERT_TRUE(forced) << forced.error().message;
  EXPECT_EQ(arrayField(*forced, "spec", "containers")->at(0).at("image"), "nginx:2");
  EXPECT_EQ(fieldsOf(*forced, "kubectl-create", "Update").find("\"f:image\""), std::string::npos);
  EXPECT_NE(fieldsOf(*forced, "ssa", "Apply").find("\"f:image\""), std::string::npos);

  // Several conflicts, with several managers, listed as kube lists them.
  json::object labeled = *forced;
  metadata(labeled)["labels"].get_object()["tier"] = "web";
  pods().update(&*forced, labeled, "labeler", "", at(kT3));
  auto many = apply(
      &labeled,
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"ssa1","labels":{"app":"x","tier":"db"}},
                                  "spec":{"containers":[{"name":"c1","image":"nginx:3"}],"restartPolicy":"Never"}})",
      "other", false, kT3);
  ASSERT_FALSE(many);
  EXPECT_EQ(many.error().message,
            "Apply failed with 3 conflicts: conflicts with \"kubectl-create\" using v1:\n"
            "- .metadata.labels.app\n"
            "conflicts with \"labeler\" using v1:\n"
            "- .metadata.labels.tier\n"
            "conflicts with \"ssa\":\n"
            "- .spec.containers[name=\"c1\"].image");
  ASSERT_EQ(many.error().details->causes.size(), 3u);
  EXPECT_EQ(many.error().details->causes[2].message, "conflict with \"ssa\"");
  EXPECT_EQ(many.error().details->causes[2].field, ".spec.containers[name=\"c1\"].image");
}

/// kubectl-protocol.md 9.2: `kubectl apply -f` (client-side), then the image changed and
/// `kubectl apply --server-side`.
TEST_F(FieldManagerTest, ClientSideThenServerSideApply) {
  const std::string manifest =
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"ssa1","namespace":"default","labels":{"app":"ssa1"}},"spec":{"containers":[{"image":"nginx:1","name":"c1"}]}})";
  json::object csa = O(manifest);
  metadata(csa)["annotations"] = json::object{{kLastAppliedAnnotation, manifest + "\n"}};
  // kube's decoder defaults
  json::object& c1 = csa["spec"].get_object()["containers"].get_array()[0].get_object();
  c1["imagePullPolicy"] = "IfNotPresent";
  c1["terminationMessagePath"] = "/dev/termination-log";
  csa["spec"].get_object()["restartPolicy"] = "Always";
  json::object live = create(std::move(csa), "kubectl-client-side-apply");

  const std::string changed =
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"ssa1","namespace":"default","labels":{"app":"ssa1"}},"spec":{"containers":[{"image":"nginx:2","name":"c1"}]}})";

  // Another manager gets the exact conflict Status kubectl prints its help text for.
  auto other = apply(&live, changed, "ssa-tool");
  ASSERT_FALSE(other);
  EXPECT_EQ(json::value(other.error().toJson()),
            J(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
    "message":"Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using v1: .spec.containers[name=\"c1\"].image",
    "reason":"Conflict","details":{"name":"ssa1","kind":"pods","causes":[{"reason":"FieldManagerConflict",
    "message":"conflict with \"kubectl-client-side-apply\" using v1","field":".spec.containers[name=\"c1\"].image"}]},"code":409})"));

  // kubectl itself takes over from client-side apply: the image still has its last-applied
  // value, so the conflict is the client's own and kube forces it (lastAppliedManager), then
  // rewrites the annotation (lastAppliedUpdater).
  auto upgraded = apply(&live, changed, "kubectl");
  ASSERT_TRUE(upgraded) << upgraded.error().message;
  EXPECT_EQ(arrayField(*upgraded, "spec", "containers")->at(0).at("image"), "nginx:2");
  EXPECT_EQ(
      stringField(*upgraded, "", "metadata", "annotations", kLastAppliedAnnotation),
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"labels":{"app":"ssa1"},"name":"ssa1","namespace":"default"},"spec":{"containers":[{"image":"nginx:2","name":"c1"}]}})"
      "\n");
  EXPECT_EQ(fieldsOf(*upgraded, "kubectl-client-side-apply", "Update").find("\"f:image\""),
            std::string::npos);
  EXPECT_NE(fieldsOf(*upgraded, "kubectl-client-side-apply", "Update").find("f:imagePullPolicy"),
            std::string::npos);

  // Once someone else changed the image, the annotation no longer vouches for it.
  json::object edited = live;
  edited["spec"].get_object()["containers"].get_array()[0].get_object()["image"] = "nginx:9";
  pods().update(&live, edited, "kubectl-edit", "", at(kT2));
  auto blocked = apply(&edited, changed, "kubectl", false, kT3);
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().message,
            "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using v1: "
            ".spec.containers[name=\"c1\"].image");
}

TEST_F(FieldManagerTest, BeforeFirstApply) {
  // An object nobody manages: its fields become before-first-apply's, which conflicts.
  json::object live = O(
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","uid":"u"},"spec":{"containers":[{"name":"c","image":"i:1"}]}})");
  auto conflict = apply(
      &live,
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"i:2"}]}})",
      "tool");
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().message,
            "Apply failed with 1 conflict: conflict with \"before-first-apply\" using v1: "
            ".spec.containers[name=\"c\"].image");
  auto ok =
      apply(&live, R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"x":"y"}}})",
            "tool");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_FALSE(entry(*ok, "before-first-apply", "Update").empty());
  EXPECT_FALSE(entry(*ok, "tool", "Apply").empty());
}

TEST_F(FieldManagerTest, ListTypes) {
  auto first =
      apply(nullptr, R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","finalizers":["a"]},
      "spec":{"containers":[{"name":"c","image":"i"}],"tolerations":[{"key":"k1"}]}})",
            "one");
  ASSERT_TRUE(first);
  auto second =
      apply(&*first, R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","finalizers":["b"]},
      "spec":{"containers":[{"name":"d","image":"j"}]}})",
            "two");
  ASSERT_TRUE(second) << second.error().message;
  // A set and a keyed list merge; each applier owns its items.
  EXPECT_EQ(*field(*second, "metadata", "finalizers"), J(R"(["a","b"])"));
  EXPECT_EQ(arrayField(*second, "spec", "containers")->size(), 2u);
  // An atomic list is one field: changing it conflicts as a whole.
  auto atomic = apply(
      &*second,
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"tolerations":[{"key":"k2"}]}})",
      "two");
  ASSERT_FALSE(atomic);
  EXPECT_EQ(atomic.error().message,
            "Apply failed with 1 conflict: conflict with \"one\": .spec.tolerations");
  // Dropping an item one applied removes it; the other's stays.
  auto third = apply(
      &*second,
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"i"}],"tolerations":[{"key":"k1"}]}})",
      "one", false, kT3);
  ASSERT_TRUE(third) << third.error().message;
  EXPECT_EQ(*field(*third, "metadata", "finalizers"), J(R"(["b"])"));
  EXPECT_EQ(arrayField(*third, "spec", "containers")->size(), 2u);
}

TEST_F(FieldManagerTest, AppliedObjectChecks) {
  struct Case {
    std::string config;
    int code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"p"}})", 400,
       "invalid object type: apps/v1, Kind=Deployment"},
      {R"({"metadata":{"name":"p"}})", 400, "invalid object type: /, Kind="},
      {R"({"apiVersion":"a/b/c","kind":"Pod"})", 400, "invalid object type: /, Kind="},
      {R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","managedFields":[{"manager":"x"}]}})",
       400, "metadata.managedFields must be nil"},
      {R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default"},"spec":{"topologyKeys":["x"]}})",
       500,
       "failed to create typed patch object (default/p; /v1, Kind=Pod): .spec.topologyKeys: field "
       "not declared in schema"},
  };
  for (const auto& c : cases) {
    auto r = apply(nullptr, c.config, "tool");
    ASSERT_FALSE(r) << c.config;
    EXPECT_EQ(r.error().code, c.code) << c.config;
    EXPECT_EQ(r.error().message, c.message) << c.config;
  }
  EXPECT_EQ(appliedObject(J("[1]")).error().message,
            "error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot "
            "unmarshal array into Go value of type map[string]interface {}");
  EXPECT_TRUE(appliedObject(J("null")));
  EXPECT_EQ(checkObjectName(O(R"({"metadata":{"name":"a"}})"), "b", "default").error().message,
            "the name of the object (a) does not match the name on the URL (b)");
  EXPECT_EQ(
      checkObjectName(O(R"({"metadata":{"name":"a","namespace":"x"}})"), "a", "default")
          .error()
          .message,
      "the namespace of the object (x) does not match the namespace on the request (default)");
  EXPECT_TRUE(checkObjectName(O(R"({"metadata":{"name":"a"}})"), "a", "default"));
}

TEST_F(FieldManagerTest, NullsInAppliedConfigurationsDoNotReachTheObject) {
  auto r = apply(
      nullptr,
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"i","resources":null}]}})",
      "tool");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(arrayField(*r, "spec", "containers")->at(0).get_object().contains("resources"));
}

TEST(ManagerFromUserAgentTest, Table) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07", "kubectl"},
      {"OpenAPI-Generator/31.0.0/python", "OpenAPI-Generator"},
      {"kube-controller-manager/v1.32.0 (linux/amd64) kubernetes/abc/system:serviceaccount:x",
       "kube-controller-manager"},
      {"", ""},
      {"no-slash", "no-slash"},
      {"tab\there/1", "tabhere"},
      {std::string(200, 'a'), std::string(128, 'a')},
  };
  for (const auto& [ua, want] : cases)
    EXPECT_EQ(managerFromUserAgent(ua), want) << ua;
}

TEST(ManagedFieldsTest, IdentifiersAndPrinting) {
  EXPECT_EQ(buildManagerIdentifier({"kubectl", "Apply", "v1", ""}),
            R"({"manager":"kubectl","operation":"Apply"})");
  EXPECT_EQ(
      buildManagerIdentifier({"k", "Update", "apps/v1", "status"}),
      R"({"manager":"k","operation":"Update","apiVersion":"apps/v1","subresource":"status"})");
  EXPECT_EQ(printManager(buildManagerIdentifier({"k", "Update", "apps/v1", "status"})),
            "\"k\" with subresource \"status\" using apps/v1");
  EXPECT_EQ(printManager(buildManagerIdentifier({"kubectl", "Apply", "v1", ""})), "\"kubectl\"");
  std::string error;
  const json::value bad = J(R"([{"manager":"x","operation":"Update","apiVersion":"v1"}])");
  EXPECT_FALSE(decodeManagedFields(&bad, &error));
  EXPECT_EQ(error, "missing fieldsType in managed fields entry 0");
  const json::value badOp =
      J(R"([{"manager":"x","operation":"Patch","apiVersion":"v1","fieldsType":"FieldsV1"}])");
  EXPECT_FALSE(decodeManagedFields(&badOp, &error));
  EXPECT_EQ(error, "operation must be `Apply` or `Update`");
  const json::value reset1 = J("[]");
  const json::value reset2 = J("[{}]");
  EXPECT_TRUE(isResetManagedFields(&reset1));
  EXPECT_TRUE(isResetManagedFields(&reset2));
}

}  // namespace
}  // namespace apiserver::apply
