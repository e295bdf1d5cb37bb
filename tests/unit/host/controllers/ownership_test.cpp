#include "controllers/ownership.h"

#include <apiserver/object.h>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <string>

namespace apiserver::controllers {
namespace {

namespace json = boost::json;

/// domOwnership reads Ownership the way the collector read it before the scan: parse the whole
/// object, then the object accessors.
Ownership domOwnership(const json::object& obj) {
  Ownership o;
  o.uid = std::string(uidOf(obj));
  o.name = std::string(nameOf(obj));
  o.namespace_ = std::string(namespaceOf(obj));
  o.deleting = field(obj, "metadata", "deletionTimestamp") != nullptr;
  if (const auto* f = arrayField(obj, "metadata", "finalizers"))
    for (const auto& v : *f)
      if (v.is_string())
        o.finalizers.emplace_back(v.get_string());
  if (const auto* refs = arrayField(obj, "metadata", "ownerReferences")) {
    for (const auto& r : *refs) {
      const auto* ro = r.if_object();
      if (ro == nullptr)
        continue;
      OwnerReference ref;
      ref.uid = std::string(stringField(*ro, "", "uid"));
      ref.apiVersion = std::string(stringField(*ro, "", "apiVersion"));
      ref.kind = std::string(stringField(*ro, "", "kind"));
      ref.name = std::string(stringField(*ro, "", "name"));
      const auto* block = ro->if_contains("blockOwnerDeletion");
      ref.blockOwnerDeletion = block != nullptr && block->is_bool() && block->get_bool();
      o.ownerReferences.push_back(std::move(ref));
    }
  }
  return o;
}

void expectSame(const Ownership& a, const Ownership& b) {
  EXPECT_EQ(a.uid, b.uid);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.namespace_, b.namespace_);
  EXPECT_EQ(a.deleting, b.deleting);
  EXPECT_EQ(a.finalizers, b.finalizers);
  ASSERT_EQ(a.ownerReferences.size(), b.ownerReferences.size());
  for (std::size_t i = 0; i < a.ownerReferences.size(); ++i) {
    EXPECT_EQ(a.ownerReferences[i].uid, b.ownerReferences[i].uid) << i;
    EXPECT_EQ(a.ownerReferences[i].apiVersion, b.ownerReferences[i].apiVersion) << i;
    EXPECT_EQ(a.ownerReferences[i].kind, b.ownerReferences[i].kind) << i;
    EXPECT_EQ(a.ownerReferences[i].name, b.ownerReferences[i].name) << i;
    EXPECT_EQ(a.ownerReferences[i].blockOwnerDeletion, b.ownerReferences[i].blockOwnerDeletion)
        << i;
  }
}

class ScanOwnership : public ::testing::TestWithParam<const char*> {};

TEST_P(ScanOwnership, ReadsWhatAFullParseReads) {
  const std::string text = GetParam();
  auto scanned = scanOwnership(text);
  ASSERT_TRUE(scanned.has_value()) << text;
  expectSame(*scanned, domOwnership(json::parse(text).as_object()));
}

INSTANTIATE_TEST_SUITE_P(
    Documents, ScanOwnership,
    ::testing::Values(
        // A pod as the cache holds it: metadata with managedFields and labels, then spec.
        R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"default",)"
        R"("uid":"0b9f","labels":{"uid":"not-this","name":"nor-this"},"managedFields":[{"manager":"kubectl",)"
        R"("fieldsV1":{"f:metadata":{"f:name":{}}},"name":"x"}],"resourceVersion":"7"},)"
        R"("spec":{"containers":[{"name":"c","image":"nginx"}]}})",
        // Owners, finalizers and a deletion in progress; ownerReferences entries of every shape.
        R"({"metadata":{"uid":"u1","name":"rs-1","deletionTimestamp":"2026-01-01T00:00:00Z",)"
        R"("finalizers":["foregroundDeletion",7,{"x":"y"},["z"],"orphan"],)"
        R"("ownerReferences":[{"apiVersion":"apps/v1","kind":"Deployment","name":"d","uid":"u0",)"
        R"("blockOwnerDeletion":true,"controller":true,"extra":{"uid":"deeper"}},"not-an-object",)"
        R"({"uid":"u2","blockOwnerDeletion":"yes"},{"name":7,"uid":"u3","kind":["Deployment"]}]}})",
        // metadata after spec; strings with escapes; a null deletionTimestamp is present.
        R"({"spec":{"metadata":{"uid":"inner"}},"metadata":{"name":"a\"b\\c\u00e9","uid":"u\/9",)"
        R"("deletionTimestamp":null}})",
        // Fields of the wrong JSON type read as empty.
        R"({"metadata":{"uid":5,"name":{"a":"b"},"namespace":["ns"],"finalizers":{"a":"orphan"},)"
        R"("ownerReferences":{"a":{"uid":"u9"}}}})",
        // A repeated member: the last one counts.
        R"({"metadata":{"uid":"first","uid":"second","finalizers":["a"],"finalizers":["b","c"]}})",
        // No metadata, metadata that is not an object, an empty object.
        R"({"kind":"Pod","spec":{}})", R"({"metadata":"nope"})", R"({})"));

TEST(ScanOwnershipLimits, StopsAtTheEndOfMetadata) {
  // What follows metadata is not read: not even a syntax error there is noticed.
  auto o = scanOwnership(R"({"metadata":{"uid":"u","name":"n"},"spec":{oops)");
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->uid, "u");
  EXPECT_EQ(o->name, "n");
}

TEST(ScanOwnershipLimits, RefusesWhatIsNotAJsonObject) {
  EXPECT_FALSE(scanOwnership(R"([{"metadata":{"uid":"u"}}])").has_value());
  EXPECT_FALSE(scanOwnership(R"("metadata")").has_value());
  EXPECT_FALSE(scanOwnership("42").has_value());
  EXPECT_FALSE(scanOwnership("").has_value());
  EXPECT_FALSE(scanOwnership(R"({"metadata":{"uid":"u")").has_value());  // cut short
  EXPECT_FALSE(scanOwnership(R"({"metadata":{"uid":u}})").has_value());
}

TEST(ScanOwnershipLimits, ReadsLongStringsGivenInPieces) {
  // A string longer than the parser's buffer arrives in parts.
  const std::string name(20000, 'n');
  const std::string text = R"({"metadata":{"name":")" + name +
                           R"(","uid":"u","ownerReferences":[{"uid":")" + std::string(9000, 'o') +
                           R"("}]}})";
  auto o = scanOwnership(text);
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->name, name);
  ASSERT_EQ(o->ownerReferences.size(), 1u);
  EXPECT_EQ(o->ownerReferences[0].uid, std::string(9000, 'o'));
}

}  // namespace
}  // namespace apiserver::controllers
