// Field paths and field sets: element order and forms, the set algebra, and FieldsV1 round trips
// against managedFields documents written by real kube-apiservers.

#include "apply/field_set.h"
#include "apply_test_util.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace apiserver::apply {
namespace {

using testing::J;

PathElement F(std::string name) {
  return PathElement::field(std::move(name));
}
PathElement K(std::string name, json::value v) {
  return PathElement::key({KeyField{std::move(name), std::move(v)}});
}
PathElement V(json::value v) {
  return PathElement::value(std::move(v));
}

Path P(std::initializer_list<PathElement> elements) {
  return Path(elements);
}

// --- path elements ---

TEST(PathElementTest, SerializedAndHumanForms) {
  struct Case {
    PathElement element;
    std::string serialized;
    std::string human;
  };
  const std::vector<Case> cases = {
      {F("image"), "f:image", ".image"},
      {F("kubectl.kubernetes.io/last-applied-configuration"),
       "f:kubectl.kubernetes.io/last-applied-configuration",
       ".kubectl.kubernetes.io/last-applied-configuration"},
      {K("name", "c1"), R"(k:{"name":"c1"})", R"([name="c1"])"},
      // Key fields are sorted by name whatever order they come in.
      {PathElement::key({{"protocol", "TCP"}, {"containerPort", 80}}),
       R"(k:{"containerPort":80,"protocol":"TCP"})", R"([containerPort=80,protocol="TCP"])"},
      {V("foo"), R"(v:"foo")", R"([="foo"])"},
      {V(3), "v:3", "[=3]"},
      {V(true), "v:true", "[=true]"},
      {PathElement::index(2), "i:2", "[2]"},
      // Go escapes HTML characters inside the JSON of a key.
      {K("name", "a<b&c"), R"(k:{"name":"a\u003cb\u0026c"})", R"([name="a<b&c"])"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(c.element.serialize(), c.serialized);
    EXPECT_EQ(c.element.str(), c.human);
    PathElement::DeserializeError err;
    auto back = PathElement::deserialize(c.serialized, &err);
    ASSERT_TRUE(back.has_value()) << c.serialized << ": " << err.message;
    EXPECT_EQ(*back, c.element) << c.serialized;
  }
}

TEST(PathElementTest, OrderIsFieldsKeysValuesIndexes) {
  std::vector<PathElement> sorted = {
      F("a"),   F("b"),  K("name", "a"),        K("name", "b"),       V(1), V(2.5), V("a"),
      V(false), V(true), PathElement::index(0), PathElement::index(1)};
  for (std::size_t i = 0; i + 1 < sorted.size(); ++i)
    EXPECT_LT(sorted[i].compare(sorted[i + 1]), 0)
        << sorted[i].str() << " vs " << sorted[i + 1].str();
  // Ints and floats compare numerically.
  EXPECT_EQ(V(2).compare(V(2.0)), 0);
  EXPECT_LT(V(2).compare(V(2.5)), 0);
}

TEST(PathElementTest, DeserializeErrors) {
  PathElement::DeserializeError err;
  EXPECT_FALSE(PathElement::deserialize("x", &err).has_value());
  EXPECT_FALSE(err.unknownType);
  EXPECT_FALSE(PathElement::deserialize("fa", &err).has_value());
  EXPECT_EQ(err.message, "missing colon: fa");
  EXPECT_FALSE(PathElement::deserialize("z:whatever", &err).has_value());
  EXPECT_TRUE(err.unknownType);
  EXPECT_FALSE(PathElement::deserialize("i:x", &err).has_value());
  EXPECT_FALSE(PathElement::deserialize("k:{", &err).has_value());
}

TEST(PathElementTest, NameLessIsTheBytesOrder) {
  // Every pair from names that differ in their first byte, share it, are prefixes of each other,
  // are empty or have bytes past 0x7f: nameLess agrees with string_view's own order.
  const std::vector<std::string> names = {"",         "a",    "ab",   "abc",    "b",
                                          "ba",       "Z",    "_x",   "\x7f",   "\x80",
                                          "\xc3\xa9", "\xff", "spec", "status", "s"};
  for (const auto& a : names) {
    for (const auto& b : names) {
      EXPECT_EQ(nameLess(a, b), std::string_view(a) < std::string_view(b)) << a << " / " << b;
    }
  }
}

TEST(PathTest, ConflictPathString) {
  EXPECT_EQ(pathString(P({F("spec"), F("containers"), K("name", "c1"), F("image")})),
            R"(.spec.containers[name="c1"].image)");
  EXPECT_EQ(pathString(P({F("metadata"), F("finalizers"), V("x")})),
            R"(.metadata.finalizers[="x"])");
}

// --- set algebra ---

TEST(FieldSetTest, InsertHasAndIterateOrder) {
  FieldSet s;
  s.insert(P({F("spec"), F("containers"), K("name", "c"), F("image")}));
  s.insert(P({F("spec"), F("replicas")}));
  s.insert(P({F("metadata"), F("labels"), F("app")}));
  s.insert(P({F("spec"), F("containers"), K("name", "c")}));
  s.insert({});  // nobody owns the whole object
  EXPECT_TRUE(s.has(P({F("spec"), F("replicas")})));
  EXPECT_FALSE(s.has(P({F("spec")})));  // parents are not members
  EXPECT_EQ(s.size(), 4u);
  // A level's members first, then its children, both sorted.
  EXPECT_EQ(s.str(),
            ".metadata.labels.app\n"
            ".spec.replicas\n"
            ".spec.containers[name=\"c\"]\n"
            ".spec.containers[name=\"c\"].image");
}

TEST(FieldSetTest, Algebra) {
  const Path a = P({F("a")});
  const Path ab = P({F("a"), F("b")});
  const Path abc = P({F("a"), F("b"), F("c")});
  const Path x = P({F("x")});
  const Path bc = P({F("b"), F("c")});
  const Path cd = P({F("c"), F("d")});
  const Path xy = P({F("x"), F("y")});
  const Path y = P({F("y")});
  struct Case {
    std::string name;
    std::vector<Path> lhs;
    std::vector<Path> rhs;
    std::vector<Path> unite, intersect, difference, recursiveDifference;
  };
  const std::vector<Case> cases = {
      {"disjoint", {a}, {x}, {a, x}, {}, {a}, {a}},
      {"same", {a, ab}, {a, ab}, {a, ab}, {a, ab}, {}, {}},
      // parent - child = parent; child - parent stays for a plain difference but not for a
      // recursive one.
      {"parent minus child", {a}, {ab}, {a, ab}, {}, {a}, {a}},
      {"child minus parent", {ab, abc}, {a}, {a, ab, abc}, {}, {ab, abc}, {}},
      {"deep", {ab, abc, x}, {ab}, {ab, abc, x}, {ab}, {abc, x}, {x}},
      // children on both sides, in between each other's
      {"interleaved", {bc, x}, {ab, cd, y}, {ab, bc, cd, x, y}, {}, {bc, x}, {bc, x}},
      {"member over subtree", {a, abc, xy}, {ab, x}, {a, ab, abc, x, xy}, {}, {a, abc, xy}, {a}},
  };
  for (const auto& c : cases) {
    const FieldSet l = fieldSetOf(c.lhs);
    const FieldSet r = fieldSetOf(c.rhs);
    EXPECT_EQ(l.unite(r), fieldSetOf(c.unite)) << c.name << ": " << l.unite(r).str();
    EXPECT_EQ(l.intersect(r), fieldSetOf(c.intersect)) << c.name << ": " << l.intersect(r).str();
    EXPECT_EQ(l.difference(r), fieldSetOf(c.difference)) << c.name << ": " << l.difference(r).str();
    EXPECT_EQ(l.recursiveDifference(r), fieldSetOf(c.recursiveDifference))
        << c.name << ": " << l.recursiveDifference(r).str();
    // The forms that reuse the left set's nodes give the same sets.
    EXPECT_EQ(FieldSet(l).unite(r), fieldSetOf(c.unite)) << c.name << " (in place)";
    EXPECT_EQ(FieldSet(l).difference(r), fieldSetOf(c.difference)) << c.name << " (in place)";
    EXPECT_EQ(FieldSet(l).recursiveDifference(r), fieldSetOf(c.recursiveDifference))
        << c.name << " (in place)";
  }
  EXPECT_TRUE(fieldSetOf({ab}).difference(fieldSetOf({ab})).children().empty());
  EXPECT_EQ(fieldSetOf({ab, abc}).withPrefix(F("a")),
            fieldSetOf({P({F("b")}), P({F("b"), F("c")})}));
  EXPECT_TRUE(fieldSetOf({ab}).withPrefix(F("zz")).empty());
}

// --- FieldsV1 ---

/// Real managedFields written by kube-apiservers (objects seen in admission reviews and kube's
/// own tests): decoding then encoding gives the same bytes.
TEST(FieldsV1Test, RoundTripsKubeDocuments) {
  const std::vector<std::string> documents = {
      // kubectl apply (client-side) creating a Pod
      R"({"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:image":{},"f:imagePullPolicy":{},"f:name":{},"f:ports":{".":{},"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{},"f:protocol":{}}},"f:resources":{},"f:terminationMessagePath":{},"f:terminationMessagePolicy":{}}},"f:dnsPolicy":{},"f:enableServiceLinks":{},"f:restartPolicy":{},"f:schedulerName":{},"f:securityContext":{},"f:terminationGracePeriodSeconds":{}}})",
      // kubectl create deployment
      R"({"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:progressDeadlineSeconds":{},"f:replicas":{},"f:revisionHistoryLimit":{},"f:selector":{},"f:strategy":{"f:rollingUpdate":{".":{},"f:maxSurge":{},"f:maxUnavailable":{}},"f:type":{}},"f:template":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:image":{},"f:imagePullPolicy":{},"f:name":{},"f:resources":{},"f:terminationMessagePath":{},"f:terminationMessagePolicy":{}}},"f:dnsPolicy":{},"f:restartPolicy":{},"f:schedulerName":{},"f:securityContext":{},"f:terminationGracePeriodSeconds":{}}}}})",
      // the kubelet's status updates
      R"({"f:status":{"f:conditions":{"k:{\"type\":\"ContainersReady\"}":{".":{},"f:lastProbeTime":{},"f:lastTransitionTime":{},"f:status":{},"f:type":{}},"k:{\"type\":\"Initialized\"}":{".":{},"f:lastProbeTime":{},"f:lastTransitionTime":{},"f:status":{},"f:type":{}},"k:{\"type\":\"Ready\"}":{".":{},"f:lastProbeTime":{},"f:lastTransitionTime":{},"f:status":{},"f:type":{}}},"f:containerStatuses":{},"f:hostIP":{},"f:phase":{},"f:podIP":{},"f:podIPs":{".":{},"k:{\"ip\":\"10.244.0.5\"}":{".":{},"f:ip":{}}},"f:startTime":{}}})",
      // finalizers (a set) and an owner reference (keyed by uid)
      R"({"f:metadata":{"f:finalizers":{".":{},"v:\"foregroundDeletion\"":{},"v:\"kubernetes\"":{}},"f:ownerReferences":{".":{},"k:{\"uid\":\"6d0f3c6e-0c8e-4f0e-8d5e-3b1e4c0e2a11\"}":{}}}})",
      // several ports: keys order by their values numerically
      R"({"f:spec":{"f:ports":{".":{},"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{},"f:port":{},"f:protocol":{},"f:targetPort":{}},"k:{\"port\":443,\"protocol\":\"TCP\"}":{".":{},"f:port":{},"f:protocol":{},"f:targetPort":{}},"k:{\"port\":8443,\"protocol\":\"TCP\"}":{".":{},"f:port":{}}}}})",
      "{}",
  };
  for (const auto& doc : documents) {
    std::string error;
    auto set = FieldSet::fromFieldsV1(J(doc), &error);
    ASSERT_TRUE(set.has_value()) << error;
    EXPECT_EQ(json::serialize(set->toFieldsV1()), doc);  // the same keys in the same order
    EXPECT_EQ(json::value(set->toFieldsV1()), J(doc));
  }
}

TEST(FieldsV1Test, EncodesMembersAndChildren) {
  FieldSet s;
  s.insert(P({F("spec"), F("containers"), K("name", "c"), F("image")}));
  s.insert(P({F("spec"), F("containers"), K("name", "c")}));
  s.insert(P({F("metadata"), F("labels"), F("app")}));
  s.insert(P({F("metadata"), F("labels")}));
  s.insert(P({F("metadata"), F("finalizers"), V("x")}));
  EXPECT_EQ(json::serialize(s.toFieldsV1()),
            R"({"f:metadata":{"f:finalizers":{"v:\"x\"":{}},"f:labels":{".":{},"f:app":{}}},)"
            R"("f:spec":{"f:containers":{"k:{\"name\":\"c\"}":{".":{},"f:image":{}}}}})");
}

TEST(FieldsV1Test, DecodingSkipsUnknownElementTypes) {
  std::string error;
  auto s = FieldSet::fromFieldsV1(J(R"({"f:a":{"z:future":{}},"x:b":{},"f:c":{".":{},"f:d":{}}})"),
                                  &error);
  ASSERT_TRUE(s.has_value()) << error;
  // "f:a" holds only an unknown key: kube reads it as a member.
  EXPECT_EQ(s->str(), ".a\n.c\n.c.d");
}

TEST(FieldsV1Test, DecodingErrors) {
  std::string error;
  EXPECT_FALSE(FieldSet::fromFieldsV1(J(R"({"f:a":1})"), &error).has_value());
  EXPECT_NE(error.find("parsing value as set"), std::string::npos) << error;
  EXPECT_FALSE(FieldSet::fromFieldsV1(J(R"({"fa":{}})"), &error).has_value());
  EXPECT_EQ(error, "parsing key as path element: missing colon: fa");
  EXPECT_FALSE(FieldSet::fromFieldsV1(J(R"({"k:[1]":{}})"), &error).has_value());
  EXPECT_FALSE(FieldSet::fromFieldsV1(J("[]"), &error).has_value());
  EXPECT_TRUE(FieldSet::fromFieldsV1(J("null"), &error).has_value());
}

}  // namespace
}  // namespace apiserver::apply
