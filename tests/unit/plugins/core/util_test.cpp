#include "core/util/ip.h"
#include "core/util/json.h"
#include "core/util/quantity.h"
#include "core/util/table.h"
#include "core/util/validation.h"
#include "test_support.h"

#include <gtest/gtest.h>

namespace apiserver::plugins::core {
namespace {

using testing::obj;

TEST(Quantity, ParsesAndCompares) {
  struct Case {
    std::string a;
    std::string b;
    int cmp;  // sign of a <=> b
  };
  const std::vector<Case> cases = {
      {"1", "1000m", 0},        {"0.5", "500m", 0}, {"1Gi", "1024Mi", 0},   {"1G", "1000M", 0},
      {"1e3", "1k", 0},         {"100m", "0.1", 0}, {"1Ki", "1000", 1},     {"2", "1999m", 1},
      {"1n", "0.000000001", 0}, {"-1", "0", -1},    {"1.5Gi", "1536Mi", 0}, {"1u", "1000n", 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.a + " vs " + c.b);
    auto a = parseQuantity(c.a);
    auto b = parseQuantity(c.b);
    ASSERT_TRUE(a && b);
    int got = *a < *b ? -1 : (*b < *a ? 1 : 0);
    EXPECT_EQ(got, c.cmp);
  }
  for (const char* bad : {"", "abc", "1.2.3", "1Q", "1KiB", "Gi", "1e", "--1", "1 Gi"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(parseQuantity(bad).has_value());
  }
  EXPECT_TRUE(quantityOf(json::value(2)).has_value());
  EXPECT_EQ(*quantityOf(json::value(2)), *parseQuantity("2"));
}

TEST(Validation, PortNamesAndConfigKeys) {
  EXPECT_TRUE(isValidPortName("http").empty());
  EXPECT_TRUE(isValidPortName("web-8080").empty());
  EXPECT_TRUE(isValidPortName("abcdefghijklmno").empty());  // 15 characters
  EXPECT_EQ(isValidPortName("abcdefghijklmnop"),
            std::vector<std::string>{"must be no more than 15 characters"});
  EXPECT_EQ(isValidPortName("-http"),
            std::vector<std::string>{"must not begin or end with a hyphen"});
  EXPECT_EQ(isValidPortName("HTTP").size(), 2u);  // charset, no lower-case letter
  EXPECT_EQ(isConfigMapKey("..").back(), "must not be '..'");
  EXPECT_TRUE(isConfigMapKey("a.b_c-D").empty());
  EXPECT_EQ(isConfigMapKey(std::string(254, 'a')).front(), "must be no more than 253 characters");
  EXPECT_EQ(isValidPortNum(0), std::vector<std::string>{"must be between 1 and 65535, inclusive"});
}

TEST(Ip, ParsingAndRanges) {
  EXPECT_TRUE(isValidIp("10.96.0.1"));
  EXPECT_TRUE(isValidIp("fd00::1"));
  EXPECT_FALSE(isValidIp("10.96.0"));
  EXPECT_FALSE(isValidIp("10.96.0.1 "));
  auto cidr = parseIpv4Cidr("10.96.3.4/12");
  ASSERT_TRUE(cidr);
  EXPECT_EQ(cidr->str(), "10.96.0.0/12");
  EXPECT_EQ(formatIpv4(cidr->last()), "10.111.255.255");
  EXPECT_FALSE(parseIpv4Cidr("10.96.0.0/33"));
  EXPECT_TRUE(isValidCidr("fd00::/64"));
  EXPECT_FALSE(isValidCidr("10.0.0.0/"));
  EXPECT_TRUE(isLoopbackIp("127.0.0.2"));
  EXPECT_TRUE(isLinkLocalUnicastIp("169.254.1.1"));
  EXPECT_TRUE(isLinkLocalMulticastIp("224.0.0.5"));
  EXPECT_TRUE(isUnspecifiedIp("::"));
}

TEST(Json, SemanticEqualTreatsEmptyAsUnset) {
  EXPECT_TRUE(semanticEqual(json::parse(R"({"a":1,"b":[]})"), json::parse(R"({"a":1})")));
  EXPECT_TRUE(
      semanticEqual(json::parse(R"({"a":1,"b":null,"c":{}})"), json::parse(R"({"a":1.0})")));
  EXPECT_FALSE(semanticEqual(json::parse(R"({"a":1})"), json::parse(R"({"a":2})")));
  EXPECT_FALSE(semanticEqual(json::parse(R"({"a":false})"), json::parse(R"({})")));
  EXPECT_FALSE(semanticEqual(json::parse(R"([1,2])"), json::parse(R"([2,1])")));
}

TEST(Table, FormatLabels) {
  EXPECT_EQ(formatLabels(nullptr), "<none>");
  json::object labels = obj(R"({"b":"2","a":"1"})");
  EXPECT_EQ(formatLabels(&labels), "a=1,b=2");
}

}  // namespace
}  // namespace apiserver::plugins::core
