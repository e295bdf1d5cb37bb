// member: the inline key lookup, against boost::json's if_contains.

#include <apiserver/object.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace apiserver {
namespace {

TEST(Member, FindsWhatIfContainsFinds) {
  // Keys that share lengths and first bytes, the empty key, and a key with a NUL in it.
  const json::object obj = {{"name", 1},  {"kind", 2}, {"nam", 3},
                            {"names", 4}, {"", 5},     {std::string("a\0b", 3), 6},
                            {"nbme", 7}};
  const std::vector<std::string> probes = {
      "name", "kind", "nam", "names", "", std::string("a\0b", 3), std::string("a\0c", 3),
      "nbme", "nbmf", "x",   "Name"};
  for (const auto& key : probes) {
    EXPECT_EQ(member(obj, key), obj.if_contains(key)) << key;
  }
}

TEST(Member, LargeObjectsAndMutableAccess) {
  // Past kScanMembers boost::json's own index answers; either way the same member comes back.
  for (const std::size_t size :
       {kScanMembers - 1, kScanMembers, kScanMembers + 1, kScanMembers * 4}) {
    json::object obj;
    for (std::size_t i = 0; i < size; ++i)
      obj.emplace("k" + std::to_string(i), static_cast<std::int64_t>(i));
    for (std::size_t i = 0; i <= size; ++i) {
      const std::string key = "k" + std::to_string(i);
      EXPECT_EQ(member(obj, key), obj.if_contains(key)) << size << " " << key;
    }
  }
  json::object obj = {{"a", 1}};
  json::value* v = member(obj, "a");
  ASSERT_NE(v, nullptr);
  *v = 2;
  EXPECT_EQ(obj.at("a"), 2);
  EXPECT_EQ(member(json::object(), "a"), nullptr);
}

}  // namespace
}  // namespace apiserver
