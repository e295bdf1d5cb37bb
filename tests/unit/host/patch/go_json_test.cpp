#include "patch/go_json.h"
#include "patch/go_sort.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace apiserver::patch::detail {
namespace {

namespace json = boost::json;

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

TEST(GoSortTest, MatchesStableSortForAStrictWeakOrder) {
  std::mt19937 rng(42);
  for (std::size_t n : {0u, 1u, 2u, 7u, 20u, 21u, 39u, 40u, 41u, 80u, 81u, 163u, 1000u}) {
    std::vector<std::pair<int, int>> v(n);
    for (std::size_t i = 0; i < n; ++i)
      v[i] = {static_cast<int>(rng() % 10), static_cast<int>(i)};
    auto expected = v;
    std::stable_sort(expected.begin(), expected.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    goSliceStable(
        v.size(), [&](std::size_t i, std::size_t j) { return v[i].first < v[j].first; },
        [&](std::size_t i, std::size_t j) { std::swap(v[i], v[j]); });
    EXPECT_EQ(v, expected) << "n=" << n;
  }
}

TEST(GoSortTest, AlwaysLessReversesLikeGo) {
  // With a comparison that always says "less" (kube's for items missing from the order list),
  // Go's insertion sort and SymMerge reverse the slice.
  for (std::size_t n : {3u, 20u, 21u}) {
    std::vector<int> v(n);
    std::iota(v.begin(), v.end(), 0);
    goSliceStable(
        v.size(), [](std::size_t, std::size_t) { return true; },
        [&](std::size_t i, std::size_t j) { std::swap(v[i], v[j]); });
    std::vector<int> reversed(n);
    std::iota(reversed.rbegin(), reversed.rend(), 0);
    EXPECT_EQ(v, reversed) << "n=" << n;
  }
}

}  // namespace
}  // namespace apiserver::patch::detail
