// Go's encoding/json, fmt and `==` over decoded values: syntax-error wording, type names, %v and
// %s, equality, json.Marshal, float formatting and structured-merge-diff's value.ToString.

#include "golang/go_json.h"
#include "golang/go_text.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace apiserver::golang {
namespace {

namespace json = boost::json;

/// J parses a JSON literal (tests only: a malformed literal is a test bug and throws).
json::value J(std::string_view text) {
  return json::parse(text);
}

struct SyntaxCase {
  std::string input;
  std::string message;  // "" when Go accepts the input
};

TEST(GoJsonTest, SyntaxErrorsAreWordedAsGoWordsThem) {
  const std::vector<SyntaxCase> cases = {
      {"", "unexpected end of JSON input"},
      {"   ", "unexpected end of JSON input"},
      {"{", "unexpected end of JSON input"},
      {"[1,", "unexpected end of JSON input"},
      {"\"abc", "unexpected end of JSON input"},
      {"x", "invalid character 'x' looking for beginning of value"},
      {"'a'", "invalid character '\\'' looking for beginning of value"},
      {"{\"a\" 1}", "invalid character '1' after object key"},
      {"{\"a\":1 \"b\":2}", "invalid character '\"' after object key:value pair"},
      {"[1 2]", "invalid character '2' after array element"},
      {"{1:2}", "invalid character '1' looking for beginning of object key string"},
      {"{\"a\":1,}", "invalid character '}' looking for beginning of object key string"},
      {"[1,]", "invalid character ']' looking for beginning of value"},
      {"{\"a\":}", "invalid character '}' looking for beginning of value"},
      {"{\"a\":1}x", "invalid character 'x' after top-level value"},
      {"01", "invalid character '1' after top-level value"},
      {"trx", "invalid character 'x' in literal true (expecting 'u')"},
      {"fals3", "invalid character '3' in literal false (expecting 'e')"},
      {"nul ", "invalid character ' ' in literal null (expecting 'l')"},
      {"tru", "invalid character ' ' in literal true (expecting 'e')"},  // Go steps a space at EOF
      {"1.", "invalid character ' ' after decimal point in numeric literal"},
      {"1.x", "invalid character 'x' after decimal point in numeric literal"},
      {"-", "invalid character ' ' in numeric literal"},
      {"-a", "invalid character 'a' in numeric literal"},
      {"1e", "invalid character ' ' in exponent of numeric literal"},
      {"1e+x", "invalid character 'x' in exponent of numeric literal"},
      {"\"a\\q\"", "invalid character 'q' in string escape code"},
      {"\"\\u12g4\"", "invalid character 'g' in \\u hexadecimal character escape"},
      {"\"a\nb\"", "invalid character '\\n' in string literal"},
      {"\"a\x01\"", "invalid character '\\x01' in string literal"},
      {"null", ""},
      {" [ ] ", ""},
      {"{}", ""},
      {"-0.5e-3", ""},
      {"{\"a\":[1,2.5e+3,true,false,null,\"x\\u00e9\\n\"],\"b\":{}}", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input);
    EXPECT_EQ(goSyntaxError(c.input), c.message);
  }
}

TEST(GoJsonTest, ParseJsonReturnsGoMessages) {
  auto ok = parseJson(R"({"a":[1,2]})");
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok->is_object());
  auto bad = parseJson("{\"a\":");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), "unexpected end of JSON input");
  // Deeper than we allow: refused (Go would take up to 10000 levels).
  std::string deep(kMaxJsonDepth + 5, '[');
  deep += std::string(kMaxJsonDepth + 5, ']');
  EXPECT_FALSE(parseJson(deep));
}

TEST(GoJsonTest, TypeNamesAndKinds) {
  EXPECT_EQ(goTypeName(json::value(nullptr)), "<nil>");
  EXPECT_EQ(goTypeName(json::value(true)), "bool");
  EXPECT_EQ(goTypeName(json::value(1)), "int64");
  EXPECT_EQ(goTypeName(json::value(1.5)), "float64");
  EXPECT_EQ(goTypeName(json::value("s")), "string");
  EXPECT_EQ(goTypeName(json::array{1}), "[]interface {}");
  EXPECT_EQ(goTypeName(json::object{}), "map[string]interface {}");
  EXPECT_EQ(goJsonKind(json::value(1.5)), "number");
  EXPECT_EQ(goJsonKind(json::array{}), "array");
  EXPECT_EQ(goJsonKind(json::object{}), "object");
  EXPECT_EQ(goJsonKind(json::value("s")), "string");
  EXPECT_EQ(goJsonKind(json::value(false)), "bool");
}

TEST(GoJsonTest, FormatV) {
  EXPECT_EQ(goFormatV(json::parse(R"({"name":"c2","$patch":"delete"})")),
            "map[$patch:delete name:c2]");
  EXPECT_EQ(goFormatV(json::parse(R"({"b":{"y":1,"x":[1,"a",null]},"a":true})")),
            "map[a:true b:map[x:[1 a <nil>] y:1]]");
  EXPECT_EQ(goFormatV(json::parse("[]")), "[]");
  EXPECT_EQ(goFormatV(json::parse("{}")), "map[]");
  EXPECT_EQ(goFormatV(json::value(1.5)), "1.5");
  EXPECT_EQ(goFormatV(json::value(1000000.0)), "1e+06");
  EXPECT_EQ(goFormatV(json::value(123456.0)), "123456");
  EXPECT_EQ(goFormatV(json::value(1234567.0)), "1.234567e+06");
  EXPECT_EQ(goFormatV(json::value(0.0001)), "0.0001");
  EXPECT_EQ(goFormatV(json::value(0.00001)), "1e-05");
  EXPECT_EQ(goFormatV(json::value(-2.5e-300)), "-2.5e-300");
  EXPECT_EQ(goFormatV(json::value(0.0)), "0");
  EXPECT_EQ(goFormatV(json::value(std::int64_t{-42})), "-42");
}

TEST(GoJsonTest, FormatS) {
  EXPECT_EQ(goFormatS(json::value("foo")), "foo");
  EXPECT_EQ(goFormatS(json::value(1)), "%!s(int64=1)");
  EXPECT_EQ(goFormatS(json::value(1.5)), "%!s(float64=1.5)");
  EXPECT_EQ(goFormatS(json::value(true)), "%!s(bool=true)");
  EXPECT_EQ(goFormatS(json::value(nullptr)), "%!s(<nil>)");
  EXPECT_EQ(goFormatS(json::parse(R"({"a":1,"b":"x"})")), "map[a:%!s(int64=1) b:x]");
}

TEST(GoJsonTest, Equality) {
  EXPECT_EQ(goEqual(json::value(1), json::value(1)), GoEquality::Equal);
  EXPECT_EQ(goEqual(json::value(1), json::value(1.0)), GoEquality::NotEqual);  // int64 vs float64
  EXPECT_EQ(goEqual(json::value("1"), json::value(1)), GoEquality::NotEqual);
  EXPECT_EQ(goEqual(json::value(nullptr), json::value(nullptr)), GoEquality::Equal);
  EXPECT_EQ(goEqual(json::object{}, json::object{}), GoEquality::Uncomparable);
  EXPECT_EQ(goEqual(json::array{}, json::array{}), GoEquality::Uncomparable);
  EXPECT_EQ(goEqual(json::object{}, json::array{}), GoEquality::NotEqual);
}

// Moved from tests/unit/host/apply/field_set_test.cpp.
TEST(GoJsonTest, MarshalSortsKeysAndEscapesLikeGo) {
  EXPECT_EQ(goMarshal(J(R"({"b":1,"a":{"y":[1,2.5,"x"],"x":null},"c":"<&>\n\u2028"})")),
            R"({"a":{"x":null,"y":[1,2.5,"x"]},"b":1,"c":"\u003c\u0026\u003e\n\u2028"})");
  EXPECT_EQ(goFormatFloat(1e21), "1e+21");
  EXPECT_EQ(goFormatFloat(1e-7), "1e-7");
  EXPECT_EQ(goFormatFloat(0.5), "0.5");
  EXPECT_EQ(goFormatFloat(100), "100");
  EXPECT_EQ(goQuote("a\"b\\c\td"), R"("a\"b\\c\td")");
  EXPECT_EQ(goFormatV(J(R"({"b":[1,"x"],"a":null})")), "map[a:<nil> b:[1 x]]");
  EXPECT_EQ(smdToString(J("1.5")), "1.5");
  EXPECT_EQ(smdToString(J("1e+08")), "1e+08");
}

// --- Beyond the moved cases: the places where the rooms' copies used to disagree. ---

TEST(GoJsonTest, NumbersBeyondInt64AreFloat64) {
  // kube's decoder holds 2^63..2^64-1 as float64; Boost.JSON holds it as uint64.
  const json::value big = J("18446744073709551615");
  ASSERT_TRUE(big.is_uint64());
  EXPECT_FALSE(isGoInteger(big));
  EXPECT_TRUE(isGoInteger(J("9223372036854775807")));
  EXPECT_FALSE(isGoInteger(J("1.0")));
  EXPECT_EQ(goTypeName(big), "float64");
  EXPECT_EQ(goFormatV(big), "1.8446744073709552e+19");
  EXPECT_EQ(goFormatS(big), "%!s(float64=1.8446744073709552e+19)");
  EXPECT_EQ(smdToString(big), "1.8446744073709552e+19");
  EXPECT_EQ(goEqual(big, json::value(18446744073709551615.0)), GoEquality::Equal);
  // json.Marshal keeps Boost.JSON's exact digits (documented exception).
  EXPECT_EQ(goMarshal(big), "18446744073709551615");
}

TEST(GoJsonTest, FloatsUseShortestDigitsPaddedWithZeros) {
  // strconv's 'f' form pads the shortest digits with zeros; it never prints the binary value's
  // exact digits (std::to_chars' fixed form gives 123456789012345683968 here).
  EXPECT_EQ(goFormatFloat(123456789012345678901.0), "123456789012345680000");
  EXPECT_EQ(goFormatFloat(18446744073709551615.0), "18446744073709552000");
  EXPECT_EQ(goFormatFloat(1e20), "100000000000000000000");
  EXPECT_EQ(goFormatFloat(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(goFormatFloat(1.5e-6), "0.0000015");
  EXPECT_EQ(goFormatFloat(-1.5e-7), "-1.5e-7");
  EXPECT_EQ(goFormatFloat(1.5e-10), "1.5e-10");
  EXPECT_EQ(goFormatFloat(1.5e300), "1.5e+300");
  EXPECT_EQ(goFormatFloat(0.0), "0");
  EXPECT_EQ(goFormatFloat(-0.0), "-0");
  EXPECT_EQ(goFormatFloatV(123456789012345678901.0), "1.2345678901234568e+20");
  EXPECT_EQ(goFormatFloatV(100000.0), "100000");
  EXPECT_EQ(goFormatFloatV(-0.0), "-0");
}

TEST(GoJsonTest, MarshalEscapesAsEncodingJson) {
  std::string out;
  appendGoString(out, std::string("a\x01\x1f\b\f\r\t\"\\", 9));
  EXPECT_EQ(out, R"("a\u0001\u001f\b\f\r\t\"\\")");
  out.clear();
  appendGoString(out, "\xFF\xC3 \xE2\x80\xA9 \xEF\xBF\xBD \xC3\xA9");
  EXPECT_EQ(out, "\"\\ufffd\\ufffd \\u2029 \xEF\xBF\xBD \xC3\xA9\"");
  EXPECT_EQ(goMarshal(J(R"([true,false,null,-3,{}])")), "[true,false,null,-3,{}]");
}

TEST(GoJsonTest, PlainRunsBetweenEscapesAreKeptWhole) {
  // Runs of plain ASCII (DEL included) are copied at once; every byte Go escapes ends a run.
  std::string out = "k:";
  appendGoString(out, "registry.example.com/app:1 <a&b> \x7f\x7f\"q\\ end\n\xC3\xA9tail");
  EXPECT_EQ(out,
            "k:\"registry.example.com/app:1 \\u003ca\\u0026b\\u003e \x7f\x7f\\\"q\\\\ "
            "end\\n\xC3\xA9tail\"");
  out = "v:";
  appendGoMarshal(out, J(R"({"b":"x","a":[1,"<"]})"));
  EXPECT_EQ(out, R"(v:{"a":[1,"\u003c"],"b":"x"})");
}

TEST(GoJsonTest, SmdToStringIsValueToString) {
  EXPECT_EQ(smdToString(J("null")), "null");
  EXPECT_EQ(smdToString(J("\"a\\\"b\"")), R"("a\"b")");
  EXPECT_EQ(smdToString(J("true")), "true");
  EXPECT_EQ(smdToString(J("-7")), "-7");
  EXPECT_EQ(smdToString(J(R"([1,"x",[null]])")), R"([1,"x",[null]])");
  EXPECT_EQ(smdToString(J(R"({"b":"y","a":1})")), R"(a=1b="y")");
  // %q as Go's strconv.Quote: a no-break space is escaped.
  EXPECT_EQ(smdToString(J("\"\\u00a0\"")), R"("\u00a0")");
}

TEST(GoJsonTest, SortedMembersInGoKeyOrder) {
  const json::value v = J(R"({"b":1,"B":2,"\u00e9":3,"a":4,"":5})");
  std::vector<std::string> keys;
  for (const auto* kv : sortedMembers(v.get_object()))
    keys.emplace_back(kv->key());
  EXPECT_EQ(keys, (std::vector<std::string>{"", "B", "a", "b", "\xC3\xA9"}));
}

}  // namespace
}  // namespace apiserver::golang
