#include "patch/json_patch.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <string>
#include <vector>

namespace apiserver::patch {
namespace {

namespace json = boost::json;

/// RfcCase is one worked example of RFC 6902 Appendix A.
struct RfcCase {
  std::string name;
  std::string doc;
  std::string patch;
  std::string result;  // "" when the patch must fail
};

TEST(JsonPatchTest, Rfc6902AppendixA) {
  const std::vector<RfcCase> cases = {
      {"A.1 adding an object member", R"({"foo":"bar"})",
       R"([{"op":"add","path":"/baz","value":"qux"}])", R"({"baz":"qux","foo":"bar"})"},
      {"A.2 adding an array element", R"({"foo":["bar","baz"]})",
       R"([{"op":"add","path":"/foo/1","value":"qux"}])", R"({"foo":["bar","qux","baz"]})"},
      {"A.3 removing an object member", R"({"baz":"qux","foo":"bar"})",
       R"([{"op":"remove","path":"/baz"}])", R"({"foo":"bar"})"},
      {"A.4 removing an array element", R"({"foo":["bar","qux","baz"]})",
       R"([{"op":"remove","path":"/foo/1"}])", R"({"foo":["bar","baz"]})"},
      {"A.5 replacing a value", R"({"baz":"qux","foo":"bar"})",
       R"([{"op":"replace","path":"/baz","value":"boo"}])", R"({"baz":"boo","foo":"bar"})"},
      {"A.6 moving a value", R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})",
       R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])",
       R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})"},
      {"A.7 moving an array element", R"({"foo":["all","grass","cows","eat"]})",
       R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])",
       R"({"foo":["all","cows","eat","grass"]})"},
      {"A.8 testing a value: success", R"({"baz":"qux","foo":["a",2,"c"]})",
       R"([{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}])",
       R"({"baz":"qux","foo":["a",2,"c"]})"},
      {"A.9 testing a value: error", R"({"baz":"qux"})",
       R"([{"op":"test","path":"/baz","value":"bar"}])", ""},
      {"A.10 adding a nested member object", R"({"foo":"bar"})",
       R"([{"op":"add","path":"/child","value":{"grandchild":{}}}])",
       R"({"foo":"bar","child":{"grandchild":{}}})"},
      {"A.11 ignoring unrecognized elements", R"({"foo":"bar"})",
       R"([{"op":"add","path":"/baz","value":"qux","xyz":123}])", R"({"foo":"bar","baz":"qux"})"},
      {"A.12 adding to a nonexistent target", R"({"foo":"bar"})",
       R"([{"op":"add","path":"/baz/bat","value":"qux"}])", ""},
      // The later "op" wins, as in Go's decoder: a remove of a missing member.
      {"A.13 invalid JSON patch document", R"({"foo":"bar"})",
       R"([{"op":"add","path":"/baz","value":"qux","op":"remove"}])", ""},
      {"A.14 ~ escape ordering", R"({"/":9,"~1":10})",
       R"([{"op":"test","path":"/~01","value":10}])", R"({"/":9,"~1":10})"},
      {"A.15 comparing strings and numbers", R"({"/":9,"~1":10})",
       R"([{"op":"test","path":"/~01","value":"10"}])", ""},
      {"A.16 adding an array value", R"({"foo":["bar"]})",
       R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])",
       R"({"foo":["bar",["abc","def"]]})"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto out = applyJsonPatch(json::parse(c.doc), c.patch);
    if (c.result.empty()) {
      ASSERT_FALSE(out);
      EXPECT_EQ(out.error().code, 422);
    } else {
      ASSERT_TRUE(out) << out.error().message;
      EXPECT_EQ(*out, json::parse(c.result));
    }
  }
}

TEST(JsonPatchTest, FailedOperationIsKubes422) {
  auto out = applyJsonPatch(json::parse(R"({"baz":"qux"})"),
                            R"([{"op":"test","path":"/baz","value":"bar"}])");
  ASSERT_FALSE(out);
  const ApiError& e = out.error();
  EXPECT_EQ(e.code, 422);
  EXPECT_EQ(e.reason, "Invalid");
  EXPECT_EQ(e.message, "the server rejected our request due to an error in our request");
  ASSERT_TRUE(e.details.has_value());
  EXPECT_EQ(json::serialize(e.toJson()),
            R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)"
            R"("message":"the server rejected our request due to an error in our request",)"
            R"("reason":"Invalid","details":{},"code":422})");
}

/// ErrorCase is a patch that fails on operation `index` with `message`.
struct ErrorCase {
  std::string name;
  std::string patch;
  std::size_t index;
  std::string op;
  std::string message;
};

TEST(JsonPatchTest, PreciseErrorsNameTheOperation) {
  const std::string doc = R"({"a":{"b":[1,2,3]},"s":"x"})";
  const std::vector<ErrorCase> cases = {
      {"test failed",
       R"([{"op":"add","path":"/n","value":1},{"op":"test","path":"/s","value":"y"}])", 1, "test",
       "testing value /s failed: test failed"},
      {"missing parent", R"([{"op":"add","path":"/x/y","value":1}])", 0, "add",
       "add operation does not apply: doc is missing path: \"/x/y\""},
      {"remove missing member", R"([{"op":"remove","path":"/a/c"}])", 0, "remove",
       "remove operation does not apply: doc is missing path: \"/a/c\""},
      {"replace missing member", R"([{"op":"replace","path":"/zz","value":1}])", 0, "replace",
       "replace operation does not apply: doc is missing path: \"/zz\""},
      {"index out of bounds", R"([{"op":"add","path":"/a/b/4","value":1}])", 0, "add",
       "add operation does not apply: index 4 is out of bounds (array length 3) in path "
       "\"/a/b/4\""},
      {"remove past the end", R"([{"op":"remove","path":"/a/b/3"}])", 0, "remove",
       "remove operation does not apply: index 3 is out of bounds (array length 3) in path "
       "\"/a/b/3\""},
      {"leading zero", R"([{"op":"replace","path":"/a/b/01","value":1}])", 0, "replace",
       "replace operation does not apply: invalid array index \"01\" in path \"/a/b/01\""},
      {"negative index", R"([{"op":"remove","path":"/a/b/-1"}])", 0, "remove",
       "remove operation does not apply: invalid array index \"-1\" in path \"/a/b/-1\""},
      {"dash outside add", R"([{"op":"remove","path":"/a/b/-"}])", 0, "remove",
       "remove operation does not apply: invalid array index \"-\" in path \"/a/b/-\""},
      {"through a scalar", R"([{"op":"add","path":"/s/t","value":1}])", 0, "add",
       "add operation does not apply: doc is missing path: \"/s/t\""},
      {"bad pointer", R"([{"op":"add","path":"a","value":1}])", 0, "add",
       "add operation does not apply: invalid JSON pointer \"a\""},
      {"bad escape", R"([{"op":"add","path":"/a~2","value":1}])", 0, "add",
       "add operation does not apply: invalid JSON pointer \"/a~2\""},
      {"missing value", R"([{"op":"add","path":"/x"}])", 0, "add",
       "add operation is missing the \"value\" member"},
      {"missing path", R"([{"op":"remove"}])", 0, "remove",
       "remove operation is missing the \"path\" member"},
      {"path not a string", R"([{"op":"remove","path":1}])", 0, "remove",
       "remove operation has a \"path\" member that is not a string"},
      {"missing from", R"([{"op":"copy","path":"/x"}])", 0, "copy",
       "copy operation is missing the \"from\" member"},
      {"move from missing", R"([{"op":"move","from":"/nope","path":"/x"}])", 0, "move",
       "move operation does not apply: doc is missing path: \"/nope\""},
      {"move into own child", R"([{"op":"move","from":"/a","path":"/a/b/0"}])", 0, "move",
       "move operation does not apply: \"from\" \"/a\" is a proper prefix of \"path\" \"/a/b/0\""},
      {"unknown op", R"([{"op":"frobnicate","path":"/a"}])", 0, "frobnicate",
       "Unexpected kind: frobnicate"},
      {"op missing", R"([{"path":"/a"}])", 0, "unknown", "Unexpected kind: unknown"},
      {"null operation", R"([null])", 0, "unknown", "Unexpected kind: unknown"},
      {"remove the root", R"([{"op":"remove","path":""}])", 0, "remove",
       "remove operation does not apply: cannot remove the whole document"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto patch = JsonPatch::parse(c.patch);
    ASSERT_TRUE(patch) << patch.error().message;
    auto out = patch->apply(json::parse(doc));
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().index, c.index);
    EXPECT_EQ(out.error().op, c.op);
    EXPECT_EQ(out.error().message, c.message);
    EXPECT_EQ(out.error().toApiError().code, 422);
  }
}

TEST(JsonPatchTest, ErrorString) {
  JsonPatchError e{2, "replace", "/spec/x",
                   "replace operation does not apply: doc is missing path: \"/spec/x\""};
  EXPECT_EQ(e.str(),
            "json patch operation 2 (replace /spec/x): replace operation does not apply: doc is "
            "missing path: \"/spec/x\"");
}

TEST(JsonPatchTest, DecodeErrorsAre400WithGoText) {
  struct Case {
    std::string body;
    std::string message;
  };
  const std::vector<Case> cases = {
      {R"({"op":"add"})", "json: cannot unmarshal object into Go value of type jsonpatch.Patch"},
      {R"("x")", "json: cannot unmarshal string into Go value of type jsonpatch.Patch"},
      {"12", "json: cannot unmarshal number into Go value of type jsonpatch.Patch"},
      {"true", "json: cannot unmarshal bool into Go value of type jsonpatch.Patch"},
      {R"([{"op":"add","path":"/a","value":1},"x"])",
       "json: cannot unmarshal string into Go value of type jsonpatch.Operation"},
      {"[[1]]", "json: cannot unmarshal array into Go value of type jsonpatch.Operation"},
      {"[{", "unexpected end of JSON input"},
      {"", "unexpected end of JSON input"},
      {"[{\"op\" \"add\"}]", "invalid character '\"' after object key"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    auto out = applyJsonPatch(json::parse("{}"), c.body);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, 400);
    EXPECT_EQ(out.error().reason, "BadRequest");
    EXPECT_EQ(out.error().message, c.message);
  }
}

TEST(JsonPatchTest, NullAndEmptyPatchesChangeNothing) {
  const json::value doc = json::parse(R"({"a":1})");
  for (const char* body : {"null", "[]", " [ ] "}) {
    auto out = applyJsonPatch(doc, body);
    ASSERT_TRUE(out) << body;
    EXPECT_EQ(*out, doc);
  }
}

TEST(JsonPatchTest, OperationLimit) {
  std::string ops = "[";
  for (std::size_t i = 0; i < JsonPatch::kMaxOperations; ++i) {
    if (i)
      ops += ",";
    ops += R"({"op":"test","path":"/a","value":1})";
  }
  auto atLimit = applyJsonPatch(json::parse(R"({"a":1})"), ops + "]");
  EXPECT_TRUE(atLimit);
  auto over =
      applyJsonPatch(json::parse(R"({"a":1})"), ops + R"(,{"op":"test","path":"/a","value":1}])");
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, 413);
  EXPECT_EQ(over.error().reason, "RequestEntityTooLarge");
  EXPECT_EQ(over.error().message,
            "Request entity too large: The allowed maximum operations in a JSON patch is 10000, "
            "got 10001");
}

TEST(JsonPatchTest, KeyOrderIsPreserved) {
  auto out =
      applyJsonPatch(json::parse(R"({"a":1,"b":2,"c":3,"d":4})"),
                     R"([{"op":"remove","path":"/b"},{"op":"replace","path":"/a","value":9},)"
                     R"({"op":"add","path":"/c","value":7},{"op":"add","path":"/e","value":5}])");
  ASSERT_TRUE(out);
  EXPECT_EQ(json::serialize(*out), R"({"a":9,"c":7,"d":4,"e":5})");
}

TEST(JsonPatchTest, WholeDocumentAndMiscellany) {
  const json::value doc = json::parse(R"({"a":{"b":1},"l":[1,2]})");
  auto replaced = applyJsonPatch(doc, R"([{"op":"replace","path":"","value":{"x":1}}])");
  ASSERT_TRUE(replaced);
  EXPECT_EQ(*replaced, json::parse(R"({"x":1})"));
  auto added = applyJsonPatch(doc, R"([{"op":"add","path":"","value":[1]}])");
  ASSERT_TRUE(added);
  EXPECT_EQ(*added, json::parse("[1]"));
  auto tested =
      applyJsonPatch(doc, R"([{"op":"test","path":"","value":{"l":[1,2.0],"a":{"b":1.0}}}])");
  EXPECT_TRUE(tested) << "numbers compare by value, members regardless of order";
  auto copied = applyJsonPatch(doc, R"([{"op":"copy","from":"/a","path":"/c"},)"
                                    R"({"op":"replace","path":"/c/b","value":2}])");
  ASSERT_TRUE(copied);
  EXPECT_EQ(*copied, json::parse(R"({"a":{"b":1},"l":[1,2],"c":{"b":2}})"));
  auto moved = applyJsonPatch(doc, R"([{"op":"move","from":"/a","path":"/a"}])");
  ASSERT_TRUE(moved);
  EXPECT_EQ(*moved, doc);
  auto inserted = applyJsonPatch(doc, R"([{"op":"add","path":"/l/0","value":0},)"
                                      R"({"op":"add","path":"/l/3","value":3},)"
                                      R"({"op":"add","path":"/l/-","value":4}])");
  ASSERT_TRUE(inserted);
  EXPECT_EQ(*inserted, json::parse(R"({"a":{"b":1},"l":[0,1,2,3,4]})"));
  auto nullValue = applyJsonPatch(doc, R"([{"op":"add","path":"/n","value":null},)"
                                       R"({"op":"test","path":"/n","value":null}])");
  ASSERT_TRUE(nullValue);
  EXPECT_TRUE(nullValue->as_object().at("n").is_null());
  // A failing patch leaves nothing half-applied: the caller's document is untouched.
  auto failed = applyJsonPatch(doc, R"([{"op":"remove","path":"/a"},{"op":"remove","path":"/a"}])");
  EXPECT_FALSE(failed);
  EXPECT_EQ(doc, json::parse(R"({"a":{"b":1},"l":[1,2]})"));
}

TEST(JsonPatchTest, KubectlStyleMetadataPatch) {
  const json::value pod = json::parse(
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","labels":{"app":"x"}},)"
      R"("spec":{"containers":[{"name":"c1","image":"nginx:1"}]}})");
  auto out = applyJsonPatch(
      pod, R"([{"op":"replace","path":"/spec/containers/0/image","value":"nginx:2"},)"
           R"({"op":"add","path":"/metadata/labels/app.kubernetes.io~1name","value":"web"},)"
           R"({"op":"remove","path":"/metadata/labels/app"}])");
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(json::serialize(out->as_object().at("metadata")),
            R"({"name":"web","labels":{"app.kubernetes.io/name":"web"}})");
  EXPECT_EQ(out->as_object()
                .at("spec")
                .as_object()
                .at("containers")
                .as_array()[0]
                .as_object()
                .at("image"),
            "nginx:2");
}

TEST(JsonPointerTest, Parse) {
  using V = std::vector<std::string>;
  EXPECT_EQ(parseJsonPointer(""), V{});
  EXPECT_EQ(parseJsonPointer("/"), V{""});
  EXPECT_EQ(parseJsonPointer("/a/b"), (V{"a", "b"}));
  EXPECT_EQ(parseJsonPointer("/a~1b/c~0d/~01"), (V{"a/b", "c~d", "~1"}));
  EXPECT_EQ(parseJsonPointer("//x/"), (V{"", "x", ""}));
  EXPECT_FALSE(parseJsonPointer("a"));
  EXPECT_FALSE(parseJsonPointer("/a~"));
  EXPECT_FALSE(parseJsonPointer("/a~2"));
}

}  // namespace
}  // namespace apiserver::patch
