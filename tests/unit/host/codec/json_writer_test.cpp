#include "codec/json_writer.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>

namespace apiserver::codec {
namespace {

namespace json = boost::json;

// The writer's contract is Boost's bytes: every case compares with boost::json::serialize.
void expectSameAsBoost(const json::value& v) {
  std::string ours;
  appendJson(ours, v);
  EXPECT_EQ(ours, json::serialize(v));
  if (v.is_object()) {
    EXPECT_EQ(toJson(v.get_object()), json::serialize(v));
  }
}

TEST(JsonWriterTest, EveryByteOfAStringIsWrittenAsBoostWritesIt) {
  std::string all;
  for (int c = 0; c < 256; ++c)
    all.push_back(static_cast<char>(c));
  expectSameAsBoost(json::value(all));
  for (int c = 0; c < 256; ++c) {
    const std::string s = "a" + std::string(1, static_cast<char>(c)) + "b";
    expectSameAsBoost(json::object{{s, s}});
  }
  expectSameAsBoost(json::value(""));
  expectSameAsBoost(json::value("\"\\\n\x01"));
  expectSameAsBoost(json::value("caf\xc3\xa9 \xe2\x9c\x93"));
}

// A string's last block may be read 16 bytes at a time: never across into a page that is not
// mapped. Every tail length ends right before an inaccessible page here.
TEST(JsonWriterTest, AStringEndingAtAPageEnd) {
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  void* mem = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mem, MAP_FAILED);
  auto* base = static_cast<char*>(mem);
  ASSERT_EQ(mprotect(base + page, page, PROT_NONE), 0);
  for (std::size_t n = 0; n <= 40; ++n) {
    char* s = base + page - n;
    for (std::size_t i = 0; i < n; ++i)
      s[i] = static_cast<char>(i % 7 == 3 ? '"' : 'a' + i % 26);
    std::string ours;
    appendJsonString(ours, std::string_view(s, n));
    EXPECT_EQ(ours, json::serialize(json::value(std::string_view(s, n)))) << n;
  }
  munmap(mem, 2 * page);
}

TEST(JsonWriterTest, NumbersLiteralsAndEmptyContainers) {
  const json::array values{0,
                           -1,
                           1,
                           std::numeric_limits<std::int64_t>::min(),
                           std::numeric_limits<std::int64_t>::max(),
                           std::numeric_limits<std::uint64_t>::max(),
                           0.5,
                           -0.0,
                           1.0,
                           1e300,
                           3.141592653589793,
                           1e-7,
                           true,
                           false,
                           nullptr,
                           json::object(),
                           json::array()};
  expectSameAsBoost(values);
  for (const auto& v : values)
    expectSameAsBoost(v);
}

TEST(JsonWriterTest, AKubernetesObject) {
  expectSameAsBoost(json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p",
    "labels":{"app":"web"},"managedFields":[{"manager":"kubectl","fieldsV1":{"f:spec":
    {"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:image":{}}}}}}]},"spec":{"containers":
    [{"name":"app","image":"nginx","ports":[{"containerPort":8080}],"args":["<a>","&b\t"]}]}})"));
}

// What toJson makes is kept (the watch cache holds one per object): not twice its size.
TEST(JsonWriterTest, TheTextsCapacityIsAboutItsSize) {
  for (std::size_t n : {10, 1100, 5000, 40000}) {  // just past the writer's first buffer, and more
    const json::object o{{"k", std::string(n, 'v')}, {"n", 1}};
    const std::string text = toJson(o);
    EXPECT_EQ(text, json::serialize(o));
    EXPECT_LE(text.capacity(), text.size() + text.size() / 16) << n;
  }
}

// A first guess of the size, too small, about right or far too large, changes nothing but how
// the string gets there: the same bytes, about as much room as they need.
TEST(JsonWriterTest, AnyFirstGuessGivesTheSameTextInRoomAboutItsSize) {
  const json::object o{{"k", std::string(1300, 'v')}, {"n", 1}};
  const std::string want = json::serialize(o);
  for (std::size_t expect :
       {std::size_t{0}, std::size_t{64}, want.size(), want.size() + 64, std::size_t{1} << 20}) {
    const std::string text = toJson(o, expect);
    EXPECT_EQ(text, want) << expect;
    EXPECT_LE(text.capacity(), text.size() + text.size() / 16) << expect;
  }
}

TEST(JsonWriterTest, AppendKeepsWhatIsAlreadyThere) {
  std::string out = "prefix:";
  appendJson(out, json::object{{"k", "v"}});
  EXPECT_EQ(out, R"(prefix:{"k":"v"})");
  appendJson(out, json::value(7));
  EXPECT_EQ(out, R"(prefix:{"k":"v"}7)");
}

// Random documents: deep nesting, long strings dense with escapes (the writer's growth paths),
// every kind of value.
json::value randomValue(std::mt19937& rng, int depth) {
  std::uniform_int_distribution<int> kind(0, depth > 6 ? 4 : 6);
  switch (kind(rng)) {
    case 0:
      return static_cast<std::int64_t>(rng()) - (1LL << 31);
    case 1:
      return std::uniform_real_distribution<double>(-1e6, 1e6)(rng);
    case 2:
      return rng() % 2 == 0;
    case 3:
      return nullptr;
    case 4: {
      std::string s(rng() % 3000, ' ');
      for (auto& c : s)
        c = static_cast<char>(rng() % 3 == 0 ? rng() % 0x22 : 'a' + rng() % 26);
      return json::value(s);
    }
    case 5: {
      json::array a;
      for (unsigned i = rng() % 6; i > 0; --i)
        a.push_back(randomValue(rng, depth + 1));
      return a;
    }
    default: {
      json::object o;
      for (unsigned i = rng() % 6; i > 0; --i)
        o["k" + std::to_string(rng() % 100) + "\n"] = randomValue(rng, depth + 1);
      return o;
    }
  }
}

TEST(JsonWriterTest, RandomDocuments) {
  std::mt19937 rng(20261130);
  for (int i = 0; i < 300; ++i)
    expectSameAsBoost(randomValue(rng, 0));
}

}  // namespace
}  // namespace apiserver::codec
