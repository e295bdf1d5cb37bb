// What kube's decoder does to a body, over the real core/v1 schemas: unknown fields dropped and
// reported, wrongly typed values refused with Go's json wording, duplicate keys found.

#include "schema/validate.h"

#include <gtest/gtest.h>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>

#include <fstream>
#include <sstream>

namespace apiserver::schema {
namespace {

SchemaSet load(std::string_view kind) {
  std::ifstream in(APISERVER_CORE_V1_OPENAPI);
  std::stringstream text;
  text << in.rdbuf();
  auto set = SchemaSet::fromDocument(json::parse(text.str()), "io.k8s.api.core.v1." + std::string(kind));
  EXPECT_TRUE(set);
  return std::move(*set);
}

json::object obj(std::string_view s) { return json::parse(s).as_object(); }

TEST(DecodeFields, DropsAndReportsWhatTheSchemaDoesNotDefine) {
  SchemaSet pod = load("Pod");
  json::object o = obj(R"({"apiVersion":"v1","kind":"Pod","junk":1,
    "metadata":{"name":"p","labels":{"any-key":"kept"},"annotations":{"a":"b"},"nope":true},
    "spec":{"bogus":{"x":1},"containers":[{"name":"c","image":"i","foo":"bar",
      "resources":{"limits":{"cpu":"1"}},"env":[{"name":"E","value":"v","extra":1}]}]}})");
  std::vector<std::string> unknown;
  EXPECT_FALSE(decodeFields(o, pod.root(), unknown));
  EXPECT_EQ(unknown, (std::vector<std::string>{"junk", "metadata.nope", "spec.bogus", "spec.containers[0].foo",
                                               "spec.containers[0].env[0].extra"}));
  EXPECT_EQ(o, obj(R"({"apiVersion":"v1","kind":"Pod",
    "metadata":{"name":"p","labels":{"any-key":"kept"},"annotations":{"a":"b"}},
    "spec":{"containers":[{"name":"c","image":"i","resources":{"limits":{"cpu":"1"}},
      "env":[{"name":"E","value":"v"}]}]}})"));
}

TEST(DecodeFields, DropsEmptyOptionalListsAndMapsAsGosEncoderOmitsThem) {
  SchemaSet pod = load("Pod");
  json::object o = obj(R"({"metadata":{"name":"p","labels":{},"annotations":{},"finalizers":[]},
    "spec":{"containers":[{"name":"c","env":[],"resources":{}}],"volumes":[],"nodeSelector":{}}})");
  std::vector<std::string> unknown;
  EXPECT_FALSE(decodeFields(o, pod.root(), unknown));
  EXPECT_TRUE(unknown.empty());
  // Structs stay ({} for resources); empty maps and lists of optional fields go.
  EXPECT_EQ(o, obj(R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","resources":{}}]}})"));
}

TEST(DecodeFields, KeepsEverythingWhereTheSchemaSaysNothing) {
  SchemaSet none;
  json::object o = obj(R"({"anything":{"goes":[1,2]}})");
  std::vector<std::string> unknown;
  EXPECT_FALSE(decodeFields(o, none.root(), unknown));
  EXPECT_TRUE(unknown.empty());
  EXPECT_EQ(o, obj(R"({"anything":{"goes":[1,2]}})"));
}

TEST(DecodeFields, RefusesWrongTypesWordedAsGosJsonPackage) {
  SchemaSet pod = load("Pod");
  struct Case {
    std::string name;
    std::string body;
    std::string want;  // "" for no error
  };
  const std::vector<Case> cases = {
      {"fine", R"({"spec":{"activeDeadlineSeconds":5,"containers":[{"name":"c"}]}})", ""},
      {"null is fine", R"({"spec":{"activeDeadlineSeconds":null}})", ""},
      {"string for int64", R"({"spec":{"activeDeadlineSeconds":"x"}})",
       "json: cannot unmarshal string into Go struct field PodSpec.spec.activeDeadlineSeconds of type int64"},
      {"float for int64", R"({"spec":{"activeDeadlineSeconds":1.5}})",
       "json: cannot unmarshal number 1.5 into Go struct field PodSpec.spec.activeDeadlineSeconds of type int64"},
      {"number for string in a list item", R"({"spec":{"containers":[{"name":7}]}})",
       "json: cannot unmarshal number into Go struct field Container.spec.containers.name of type string"},
      {"object for array", R"({"spec":{"containers":{}}})",
       "json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type []v1.Container"},
      {"int-or-string takes both", R"({"spec":{"containers":[{"name":"c","ports":[{"containerPort":80}],
          "livenessProbe":{"httpGet":{"port":"http"}}}]}})", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    json::object o = obj(c.body);
    std::vector<std::string> unknown;
    auto err = decodeFields(o, pod.root(), unknown);
    if (c.want.empty()) {
      EXPECT_FALSE(err) << *err;
    } else {
      ASSERT_TRUE(err);
      EXPECT_EQ(*err, c.want);
    }
  }
}

TEST(DecodeFields, ChecksTypesAndPrunesInOneWalk) {
  SchemaSet pod = load("Pod");
  // An unknown field is dropped, not type-checked; a wrong type after it still refuses the body.
  json::object o = obj(R"({"spec":{"bogus":{"x":"y"},"containers":[{"name":"c","foo":1}]}})");
  std::vector<std::string> unknown;
  EXPECT_FALSE(decodeFields(o, pod.root(), unknown));
  EXPECT_EQ(unknown, (std::vector<std::string>{"spec.bogus", "spec.containers[0].foo"}));
  o = obj(
      R"({"junk":1,"spec":{"containers":[{"name":"c","foo":1,"ports":[{"containerPort":"80"}]}]}})");
  unknown.clear();
  EXPECT_EQ(decodeFields(o, pod.root(), unknown),
            "json: cannot unmarshal string into Go struct field "
            "ContainerPort.spec.containers.ports.containerPort "
            "of type int32");
  // A schema whose root is not an object's refuses any object.
  auto text = json::parse(R"({"definitions":{"S":{"type":"string"}}})");
  auto str = SchemaSet::fromDocument(text, "S");
  ASSERT_TRUE(str);
  o = obj(R"({"a":1})");
  auto err = decodeFields(o, str->root(), unknown);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->rfind("json: cannot unmarshal object into Go struct field ", 0), 0U) << *err;
  EXPECT_TRUE(err->ends_with(" of type string")) << *err;
}

TEST(DuplicateFields, FindsRepeatedKeysWithTheirPaths) {
  EXPECT_TRUE(duplicateFields(R"({"a":1,"b":{"a":2}})").empty());
  EXPECT_EQ(duplicateFields(R"({"metadata":{"name":"x","name":"y"},"spec":{"c":[{"n":1,"n":2}]},"spec":1})"),
            (std::vector<std::string>{"metadata.name", "spec.c[0].n", "spec"}));
  EXPECT_TRUE(duplicateFields("{not json").empty());
}

TEST(DuplicateFields, NamesNestedRepeatsAfterSiblingsClosed) {
  // Keys of a closed object are forgotten: its siblings may reuse them, and a repeat further on
  // is named by the path of its own object (array positions included).
  EXPECT_EQ(
      duplicateFields(
          R"({"a":{"x":1,"y":2},"b":{"x":1,"y":{"q":1,"q":2}},"c":[{"k":1},{"k":1,"k":2}],"b":0,"a":1,"b":2})"),
      (std::vector<std::string>{"b.y.q", "c[1].k", "b", "a", "b"}));
  // A repeated key still names what its value opens.
  EXPECT_EQ(duplicateFields(R"({"s":1,"s":{"t":1,"t":2}})"),
            (std::vector<std::string>{"s", "s.t"}));
}

TEST(DuplicateFields, FindsRepeatsInObjectsWithManyKeys) {
  // Past a few dozen keys an object's keys are also hashed; long keys arrive in pieces.
  std::string text = "{";
  for (int i = 0; i < 300; ++i)
    text += "\"k" + std::to_string(i) + std::string(i == 7 ? 5000 : 0, 'x') +
            "\":" + std::to_string(i) + ",";
  text += R"("k5":0,"k299":{"k1":1,"k1":2},"k)" + std::string(5000, 'x') + R"(":1,"k7)" +
          std::string(5000, 'x') + R"(":2})";
  EXPECT_EQ(duplicateFields(text),
            (std::vector<std::string>{"k5", "k299", "k299.k1", "k7" + std::string(5000, 'x')}));
}

TEST(ParseFindingDuplicates, ParsesAsBoostDoesAndFindsWhatDuplicateFieldsFinds) {
  std::string many = "{";
  for (int i = 0; i < 100; ++i)
    many += "\"k" + std::to_string(i) + std::string(i == 7 ? 3000 : 0, 'x') + "\":[" +
            std::to_string(i) + ",\"" + std::string(i == 9 ? 3000 : 1, 's') + "\"],";
  many += R"("k5":{"a":1.5,"a":null,"b":true},"k)" + std::string(3000, 'x') + R"(":-1})";
  // Escapes make the parser hand long strings and keys over in pieces.
  std::string longKey = R"(k\u00e9)";
  for (int i = 0; i < 3000; ++i)
    longKey += R"(\t)";
  std::string escaped = R"({"e":")";
  for (int i = 0; i < 3000; ++i)
    escaped += R"(a\n)";
  escaped += R"(",")" + longKey + R"(":1,")" + longKey + R"(":2})";
  const std::vector<std::string> texts = {
      R"({"a":1,"b":{"a":2}})",
      R"({"metadata":{"name":"x","name":"y"},"spec":{"c":[{"n":1,"n":2}]},"spec":18446744073709551615})",
      R"(  [1, "two", {"x": [], "x": {}}, null, false, 2.5e3]  )",
      // A repeated key whose first value held objects and keys of its own, and one whose last
      // value holds as many members as the first.
      R"({"a":{"b":{"c":1,"d":2}},"a":{"e":{"f":1,"g":2}}})",
      R"({"a":{"b":1},"c":[{"d":{}},{"d":{"e":1}}],"a":{"b":2}})",
      many,
      escaped,
      "{not json",
      R"({"a":1} {"b":2})",
      R"({"a":1)",
      "\"\xff\"",
      "",
  };
  json::parse_options strict;
  strict.allow_invalid_utf8 = false;
  for (const auto& text : texts) {
    boost::system::error_code wantEc;
    const json::value want = json::parse(text, wantEc, {}, strict);
    boost::system::error_code gotEc;
    std::vector<std::string> duplicates{"kept"};
    const json::value got = parseFindingDuplicates(text, gotEc, {}, strict, &duplicates);
    EXPECT_EQ(gotEc, wantEc) << text.substr(0, 80);
    EXPECT_EQ(got, want) << text.substr(0, 80);
    std::vector<std::string> wantDuplicates{"kept"};
    if (!wantEc)
      for (auto& d : duplicateFields(text))
        wantDuplicates.push_back(std::move(d));
    EXPECT_EQ(duplicates, wantDuplicates) << text.substr(0, 80);
    // Without a list to fill it only parses.
    boost::system::error_code plainEc;
    EXPECT_EQ(parseFindingDuplicates(text, plainEc, {}, strict, nullptr), want);
    EXPECT_EQ(plainEc, wantEc);
  }
  // The value takes its memory from the resource it is given.
  auto arena = json::make_shared_resource<json::monotonic_resource>();
  boost::system::error_code ec;
  const json::value v = parseFindingDuplicates(R"({"a":"b"})", ec, arena, strict, nullptr);
  EXPECT_EQ(v.storage(), json::storage_ptr(arena));
}

}  // namespace
}  // namespace apiserver::schema
