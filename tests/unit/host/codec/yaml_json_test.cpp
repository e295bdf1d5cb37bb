// YAML <-> JSON as sigs.k8s.io/yaml does it (YAML 1.1 scalar resolution of go-yaml v2),
// quoting on output, and key locations for configuration errors.

#include "codec/yaml_json.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <string>
#include <vector>

namespace apiserver::codec {
namespace {

namespace json = boost::json;

// The JSON value of `v: <scalar>`.
json::value scalar(const std::string& text, bool typed = true) {
  YamlToJsonOptions o;
  o.typedScalars = typed;
  auto r = yamlToJson("v: " + text + "\n", o);
  EXPECT_TRUE(r) << text << ": " << r.error().message;
  return r ? r->as_object().at("v") : json::value();
}

struct ScalarCase {
  std::string yaml;
  std::string json;  // the value as JSON text
};

void PrintTo(const ScalarCase& c, std::ostream* os) {
  *os << "v: " << c.yaml;
}

class TypedScalars : public ::testing::TestWithParam<ScalarCase> {};

TEST_P(TypedScalars, ResolveAsYaml11) {
  const auto& c = GetParam();
  json::value got = scalar(c.yaml);
  json::value want = json::parse(c.json);
  EXPECT_EQ(got, want) << "got " << json::serialize(got);
  EXPECT_EQ(got.kind(), want.kind()) << "got " << json::serialize(got);
}

INSTANTIATE_TEST_SUITE_P(Nulls, TypedScalars,
                         ::testing::Values(ScalarCase{"~", "null"}, ScalarCase{"null", "null"},
                                           ScalarCase{"Null", "null"}, ScalarCase{"NULL", "null"},
                                           ScalarCase{"", "null"}, ScalarCase{"nULL", "\"nULL\""}));

INSTANTIATE_TEST_SUITE_P(Booleans, TypedScalars,
                         ::testing::Values(ScalarCase{"true", "true"}, ScalarCase{"True", "true"},
                                           ScalarCase{"TRUE", "true"}, ScalarCase{"yes", "true"},
                                           ScalarCase{"Yes", "true"}, ScalarCase{"YES", "true"},
                                           ScalarCase{"on", "true"}, ScalarCase{"On", "true"},
                                           ScalarCase{"ON", "true"}, ScalarCase{"y", "true"},
                                           ScalarCase{"Y", "true"}, ScalarCase{"false", "false"},
                                           ScalarCase{"False", "false"}, ScalarCase{"no", "false"},
                                           ScalarCase{"No", "false"}, ScalarCase{"off", "false"},
                                           ScalarCase{"OFF", "false"}, ScalarCase{"n", "false"},
                                           ScalarCase{"N", "false"}, ScalarCase{"tRUE", "\"tRUE\""},
                                           ScalarCase{"yEs", "\"yEs\""}));

INSTANTIATE_TEST_SUITE_P(
    Integers, TypedScalars,
    ::testing::Values(ScalarCase{"0", "0"}, ScalarCase{"123", "123"}, ScalarCase{"-17", "-17"},
                      ScalarCase{"+5", "5"}, ScalarCase{"1_000", "1000"}, ScalarCase{"0x1F", "31"},
                      ScalarCase{"0xff", "255"}, ScalarCase{"-0x10", "-16"},
                      ScalarCase{"017", "15"}, ScalarCase{"0o17", "15"}, ScalarCase{"00", "0"},
                      ScalarCase{"08", "8"},
                      ScalarCase{"9223372036854775807", "9223372036854775807"},
                      ScalarCase{"-9223372036854775808", "-9223372036854775808"},
                      ScalarCase{"9223372036854775808", "9223372036854775808"},
                      ScalarCase{"18446744073709551615", "18446744073709551615"}));

INSTANTIATE_TEST_SUITE_P(
    Floats, TypedScalars,
    ::testing::Values(ScalarCase{"1.5", "1.5"}, ScalarCase{"-0.25", "-0.25"},
                      ScalarCase{"1e3", "1E3"}, ScalarCase{"1.5e-3", "1.5E-3"},
                      ScalarCase{".5", "0.5"}, ScalarCase{"-.5", "-0.5"}, ScalarCase{"1.", "1E0"},
                      ScalarCase{"18446744073709551616", "1.8446744073709552E19"}));

INSTANTIATE_TEST_SUITE_P(
    Strings, TypedScalars,
    ::testing::Values(ScalarCase{"hello", "\"hello\""}, ScalarCase{"1.2.3", "\"1.2.3\""},
                      ScalarCase{"0x", "\"0x\""}, ScalarCase{"1e", "\"1e\""},
                      ScalarCase{"e5", "\"e5\""}, ScalarCase{"12:30", "\"12:30\""},
                      ScalarCase{"2001-12-14", "\"2001-12-14\""}, ScalarCase{"v1.2", "\"v1.2\""},
                      ScalarCase{"'123'", "\"123\""}, ScalarCase{"\"true\"", "\"true\""},
                      ScalarCase{"'~'", "\"~\""}, ScalarCase{"!!str 5", "\"5\""},
                      ScalarCase{"!!str yes", "\"yes\""}, ScalarCase{"\"\"", "\"\""},
                      ScalarCase{"a b c", "\"a b c\""}, ScalarCase{"+", "\"+\""},
                      ScalarCase{".", "\".\""}, ScalarCase{"0.1.2", "\"0.1.2\""},
                      ScalarCase{"\"line\\nbreak\"", "\"line\\nbreak\""},
                      ScalarCase{"|\n  block\n", "\"block\\n\""},
                      ScalarCase{"'it''s'", "\"it's\""}));

INSTANTIATE_TEST_SUITE_P(BinaryIntegers, TypedScalars,
                         ::testing::Values(ScalarCase{"0b101", "5"}, ScalarCase{"-0b11", "-3"},
                                           ScalarCase{"0b1_0", "2"}));

TEST(YamlToJson, UntypedScalarsStayStrings) {
  for (const char* s : {"123", "true", "yes", "1.5", "0x1F", "on"}) {
    SCOPED_TRACE(s);
    EXPECT_EQ(scalar(s, /*typed=*/false), json::value(s));
  }
  EXPECT_TRUE(scalar("~", false).is_null()) << "an explicit null is still null";
  EXPECT_TRUE(scalar("", false).is_null());
}

TEST(YamlToJson, Structures) {
  auto r = yamlToJson(R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
  labels: {app: web, tier: "1"}
data:
  list: [1, two, 3.5]
  nested:
    - a: 1
    - [x, z]
  empty_map: {}
  empty_list: []
  nothing:
)");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, json::parse(R"({"apiVersion":"v1","kind":"ConfigMap",
      "metadata":{"name":"cm","labels":{"app":"web","tier":"1"}},
      "data":{"list":[1,"two",3.5],"nested":[{"a":1},["x","z"]],"empty_map":{},"empty_list":[],
              "nothing":null}})"));
}

TEST(YamlToJson, OnlyTheFirstDocument) {
  auto r = yamlToJson("a: 1\n---\nb: 2\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, json::parse(R"({"a":1})"));
}

TEST(YamlToJson, JsonIsYaml) {
  auto r = yamlToJson(R"({"a": [1, {"b": null}], "c": "d", "e": 1.5, "f": false})");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, json::parse(R"({"a": [1, {"b": null}], "c": "d", "e": 1.5, "f": false})"));
}

TEST(YamlToJson, KeysResolveLikeSigsK8sYaml) {
  auto r = yamlToJson("on: 1\nno: 2\n0x10: a\n1.0: b\n\"yes\": c\n");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, json::parse(R"({"true":1,"false":2,"16":"a","1":"b","yes":"c"})"));
  EXPECT_FALSE(yamlToJson("~: x\n"));
}

TEST(YamlToJson, InfinityAndNaNAreErrors) {
  for (const char* s : {".inf", "-.inf", "+.inf", ".Inf", ".NaN", ".nan"}) {
    SCOPED_TRACE(s);
    EXPECT_FALSE(yamlToJson(std::string("v: ") + s + "\n"));
    const std::string out = jsonToYaml(json::object{{"v", s}});
    EXPECT_NE(out.find('"'), std::string::npos) << out;
  }
}

TEST(YamlToJson, ErrorsAreBadRequestsWordedAsKube) {
  for (const char* bad : {"a: [1, 2\nb: 3\n", "a: b: c\n", "a:\n  - b\n  c: d\n", "{a: 1"}) {
    SCOPED_TRACE(bad);
    auto r = yamlToJson(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, 400);
    EXPECT_EQ(r.error().reason, "BadRequest");
    EXPECT_EQ(r.error().message.rfind("error converting YAML to JSON: yaml: line ", 0), 0u)
        << r.error().message;
  }
  YamlToJsonOptions o;
  o.file = "x.yaml";
  auto r = yamlToJson("a:\n  b: [1\n", o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.rfind("error converting YAML to JSON: x.yaml: line ", 0), 0u)
      << r.error().message;
}

TEST(YamlToJson, AnUnterminatedQuoteIsAnError) {
  for (const char* bad : {"a: \"unclosed\n", "a: 'unclosed\n", "a: \"x\nb: 1\n"}) {
    SCOPED_TRACE(bad);
    auto r = yamlToJson(bad);
    EXPECT_FALSE(r) << json::serialize(*r);
  }
}

TEST(YamlToJson, RecordsTheLocationOfEveryKeyPath) {
  ConfigLocations loc;
  YamlToJsonOptions o;
  o.file = "c.yaml";
  o.locations = &loc;
  o.typedScalars = false;
  auto r = yamlToJson(R"(serving:
  port: 80
list:
  - plain
  - name: x
    config:
      deep: true
  -   spaced: 1
)",
                      o);
  ASSERT_TRUE(r) << r.error().message;
  struct Case {
    std::string path;
    std::string where;
  };
  for (const auto& c : std::vector<Case>{{"serving", "c.yaml:1:1"},
                                         {"serving.port", "c.yaml:2:3"},
                                         {"list", "c.yaml:3:1"},
                                         {"list[0]", "c.yaml:4:5"},
                                         {"list[1]", "c.yaml:5:5"},
                                         {"list[1].name", "c.yaml:5:5"},
                                         {"list[1].config", "c.yaml:6:5"},
                                         {"list[1].config.deep", "c.yaml:7:7"},
                                         {"list[2].spaced", "c.yaml:8:7"}}) {
    SCOPED_TRACE(c.path);
    auto it = loc.find(c.path);
    ASSERT_NE(it, loc.end());
    EXPECT_EQ(it->second, c.where);
  }
}

// ---------------------------------------------------------------- JSON -> YAML

TEST(JsonToYaml, RoundTripsThroughTheReader) {
  const std::vector<std::string> docs = {
      R"({"kind":"Pod","metadata":{"name":"web","labels":{"app":"x"}},"spec":{"replicas":3}})",
      R"({"a":[],"b":{},"c":null,"d":true,"e":false,"f":-7,"g":1.5,"h":18446744073709551615})",
      R"({"nested":[[1,2],[{"x":[]}]],"deep":{"a":{"b":{"c":"d"}}}})",
      R"([1,"two",{"three":3}])",
      R"("just a string")",
  };
  for (const auto& d : docs) {
    SCOPED_TRACE(d);
    json::value v = json::parse(d);
    const std::string y = jsonToYaml(v);
    ASSERT_FALSE(y.empty());
    EXPECT_EQ(y.back(), '\n');
    auto back = yamlToJson(y);
    ASSERT_TRUE(back) << y << back.error().message;
    EXPECT_EQ(*back, v) << y;
  }
}

TEST(JsonToYaml, StringsThatReadAsOtherTypesAreQuoted) {
  const std::vector<std::string> tricky = {"true",
                                           "false",
                                           "yes",
                                           "no",
                                           "on",
                                           "off",
                                           "y",
                                           "n",
                                           "Y",
                                           "N",
                                           "True",
                                           "NO",  // bools
                                           "null",
                                           "Null",
                                           "~",
                                           "",  // nulls
                                           "123",
                                           "-5",
                                           "+5",
                                           "0x1F",
                                           "017",
                                           "0o17",
                                           "1_000",
                                           "1.5",
                                           "1e3",
                                           ".5",
                                           "1.",  // numbers
                                           "- a",
                                           "a: b",
                                           "#comment",
                                           "[x]",
                                           "{x: y}",
                                           "*alias",
                                           "&anchor",
                                           "!tag",
                                           "|",
                                           ">",  // syntax
                                           "@at",
                                           "`tick",
                                           "%pct",
                                           " leading",
                                           "trailing ",
                                           "multi\nline",
                                           "tab\there",
                                           "quote\"s",
                                           "it's",
                                           "unicode \xe2\x9c\x93",
                                           "key: value # c",
                                           "a,b",
                                           "?",
                                           ":",
                                           "-",
                                           "---",
                                           "..."};
  for (const auto& s : tricky) {
    SCOPED_TRACE("[" + s + "]");
    json::value v = json::object{{"k", s}};
    const std::string y = jsonToYaml(v);
    auto back = yamlToJson(y);
    ASSERT_TRUE(back) << y << back.error().message;
    EXPECT_EQ(*back, v) << y;
  }
}

TEST(JsonToYaml, PlainStringsStayPlain) {
  EXPECT_EQ(jsonToYaml(json::object{{"name", "web"}}), "name: web\n");
  EXPECT_EQ(jsonToYaml(json::object{{"s", "true"}}), "s: \"true\"\n");
  EXPECT_EQ(jsonToYaml(json::object{{"n", 5}}), "n: 5\n");
  auto null = yamlToJson(jsonToYaml(json::object{{"z", nullptr}}));
  ASSERT_TRUE(null);
  EXPECT_TRUE(null->as_object().at("z").is_null());
}

}  // namespace
}  // namespace apiserver::codec
