#include "patch/merge_patch.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <string>
#include <vector>

namespace apiserver::patch {
namespace {

namespace json = boost::json;

struct Case {
  std::string original;
  std::string patch;
  std::string result;
};

TEST(MergePatchTest, Rfc7386AppendixA) {
  const std::vector<Case> cases = {
      {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {R"({"a":"b"})", R"({"a":null})", R"({})"},
      {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
      {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
      {R"({"a":"foo"})", "null", "null"},
      {R"({"a":"foo"})", R"("bar")", R"("bar")"},
      {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
      {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
      {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.original + " + " + c.patch);
    auto out = applyMergePatch(json::parse(c.original), json::parse(c.patch));
    ASSERT_TRUE(out);
    EXPECT_EQ(*out, json::parse(c.result));
  }
}

TEST(MergePatchTest, KubeLibraryDetails) {
  const std::vector<Case> cases = {
      // A new value loses null members at every depth, inside the objects of its arrays too,
      // while null array elements stay (evanphx pruneNulls / pruneAryNulls).
      {R"({})", R"({"x":[{"a":null,"b":1},null,{"c":{"d":null}}]})",
       R"({"x":[{"b":1},null,{"c":{}}]})"},
      // Replacing an array prunes the same way.
      {R"({"x":[1]})", R"({"x":[{"a":null}]})", R"({"x":[{}]})"},
      // An array replacing an object is taken as is.
      {R"({"x":{"k":1}})", R"({"x":[{"a":null}]})", R"({"x":[{"a":null}]})"},
      // A null in the document counts as absent: the patch value is pruned.
      {R"({"x":null})", R"({"x":{"a":null,"b":2}})", R"({"x":{"b":2}})"},
      // Deleting a missing key is a no-op.
      {R"({"a":1})", R"({"zz":null})", R"({"a":1})"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.original + " + " + c.patch);
    auto out = applyMergePatch(json::parse(c.original), json::parse(c.patch));
    ASSERT_TRUE(out);
    EXPECT_EQ(*out, json::parse(c.result));
  }
}

TEST(MergePatchTest, KeyOrderIsKept) {
  auto out = applyMergePatch(json::parse(R"({"a":1,"b":{"x":1,"y":2},"c":3})"),
                             json::parse(R"({"d":4,"b":{"x":null,"z":3},"a":0})"));
  ASSERT_TRUE(out);
  EXPECT_EQ(json::serialize(*out), R"({"a":0,"b":{"y":2,"z":3},"c":3,"d":4})");
}

TEST(MergePatchTest, KubectlLabelAndAnnotate) {
  const json::value pod = json::parse(
      R"({"metadata":{"name":"web","labels":{"env":"dev","tier":"fe"}},"spec":{"x":1}})");
  auto labeled = applyMergePatchBody(pod, R"({"metadata":{"labels":{"env":"prod"}}})");
  ASSERT_TRUE(labeled);
  EXPECT_EQ(json::serialize(*labeled),
            R"({"metadata":{"name":"web","labels":{"env":"prod","tier":"fe"}},"spec":{"x":1}})");
  auto unlabeled = applyMergePatchBody(pod, R"({"metadata":{"labels":{"env":null}}})");
  ASSERT_TRUE(unlabeled);
  EXPECT_EQ(json::serialize(*unlabeled),
            R"({"metadata":{"name":"web","labels":{"tier":"fe"}},"spec":{"x":1}})");
  auto annotated = applyMergePatchBody(pod, R"({"metadata":{"annotations":{"note":"hello"}}})");
  ASSERT_TRUE(annotated);
  EXPECT_EQ(annotated->as_object().at("metadata").as_object().at("annotations"),
            json::parse(R"({"note":"hello"})"));
}

TEST(MergePatchTest, BodyErrorsAreKubes400) {
  const json::value doc = json::parse(R"({"a":1})");
  for (const char* body : {"", "{", "nope", "null", "\"x\"", "12", "true"}) {
    SCOPED_TRACE(body);
    auto out = applyMergePatchBody(doc, body);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, 400);
    EXPECT_EQ(out.error().reason, "BadRequest");
    EXPECT_EQ(out.error().message, "Invalid JSON Patch");
  }
  // An array is handed back (kube's library does the same); decoding it into an object fails
  // later, in the handler.
  auto array = applyMergePatchBody(doc, R"([{"a":null},null])");
  ASSERT_TRUE(array);
  EXPECT_EQ(*array, json::parse(R"([{},null])"));
}

}  // namespace
}  // namespace apiserver::patch
