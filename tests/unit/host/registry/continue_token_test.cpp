// base64 and the continue token encoding.

#include "registry/continue_token.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <string>
#include <vector>

namespace apiserver::registry {
namespace {

TEST(Base64, Rfc4648Vectors) {
  struct Case {
    std::string plain;
    std::string standard;
    std::string url;
  };
  const std::vector<Case> cases = {
      {"", "", ""},
      {"f", "Zg==", "Zg"},
      {"fo", "Zm8=", "Zm8"},
      {"foo", "Zm9v", "Zm9v"},
      {"foob", "Zm9vYg==", "Zm9vYg"},
      {"fooba", "Zm9vYmE=", "Zm9vYmE"},
      {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
      {"\xfb\xff\xbf", "+/+/", "-_-_"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.standard);
    EXPECT_EQ(base64Encode(c.plain), c.standard);
    EXPECT_EQ(base64Encode(c.plain, true), c.url);
    EXPECT_EQ(base64Decode(c.standard), c.plain);
    EXPECT_EQ(base64Decode(c.url, true), c.plain);
  }
}

TEST(Base64, RoundTripsEveryByteAndLength) {
  std::string all;
  for (int i = 0; i < 256; ++i)
    all.push_back(static_cast<char>(i));
  for (std::size_t len = 0; len <= all.size(); len += (len < 16 ? 1 : 37)) {
    const std::string in = all.substr(all.size() - len);
    for (bool url : {false, true}) {
      SCOPED_TRACE(std::to_string(len) + (url ? " url" : " standard"));
      const std::string enc = base64Encode(in, url);
      if (url) {
        EXPECT_EQ(enc.find_first_of("+/="), std::string::npos) << enc;
      }
      auto dec = base64Decode(enc, url);
      ASSERT_TRUE(dec.has_value()) << enc;
      EXPECT_EQ(*dec, in);
    }
  }
}

TEST(Base64, InvalidInputs) {
  struct Case {
    std::string name;
    std::string text;
    bool url;
  };
  const std::vector<Case> cases = {
      {"length not a multiple of four", "Zm9", false},
      {"one character", "Z", false},
      {"url: one character too many", "Zm9vY", true},
      {"padding in the middle", "Zg==Zm8=", false},
      {"padding then data", "Zg=a", false},
      {"three padding characters", "Z===", false},
      {"only padding", "====", false},
      {"space", "Zm 9v", false},
      {"newline", "Zm9v\n", false},
      {"symbol", "Zm9!", false},
      {"url alphabet in standard", "Zm-_", false},
      {"standard alphabet in url", "Zm+/", true},
      {"NUL byte", std::string("Zm\0v", 4), false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_FALSE(base64Decode(c.text, c.url).has_value());
  }
}

TEST(ContinueToken, RoundTrips) {
  for (const ContinueToken& t :
       {ContinueToken{1, "a"}, ContinueToken{123456789012, "ns1/name-with.dots"},
        ContinueToken{7, "ns/\xe2\x9c\x93 unicode"}}) {
    SCOPED_TRACE(t.start);
    const std::string enc = encodeContinue(t);
    EXPECT_EQ(enc.find_first_of("+/="), std::string::npos) << "URL-safe: " << enc;
    auto dec = decodeContinue(enc);
    ASSERT_TRUE(dec) << dec.error().message;
    EXPECT_EQ(dec->revision, t.revision);
    EXPECT_EQ(dec->start, t.start);
  }
}

TEST(ContinueToken, IsKubesFormat) {
  const std::string enc = encodeContinue({42, "ns1/w"});
  auto raw = base64Decode(enc, true);
  ASSERT_TRUE(raw);
  auto v = boost::json::parse(*raw);
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v.as_object().at("v").as_string(), "meta.k8s.io/v1");
  EXPECT_EQ(v.as_object().at("rv").as_int64(), 42);
  EXPECT_EQ(v.as_object().at("start").as_string(), "ns1/w");
}

TEST(ContinueToken, ALeadingSlashIsDroppedAsKubeDoes) {
  auto r = decodeContinue(base64Encode(R"({"v":"meta.k8s.io/v1","rv":3,"start":"/ns1/a"})", true));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->start, "ns1/a");
  EXPECT_EQ(r->revision, 3);
}

TEST(ContinueToken, RefusesAnythingElseWith400) {
  auto tok = [](std::string_view json) { return base64Encode(json, true); };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"empty", ""},
      {"garbage", "%%%"},
      {"not JSON", tok("{")},
      {"array", tok("[]")},
      {"wrong version", tok(R"({"v":"v1","rv":1,"start":"a"})")},
      {"rv float", tok(R"({"v":"meta.k8s.io/v1","rv":1.5,"start":"a"})")},
      {"rv zero", tok(R"({"v":"meta.k8s.io/v1","rv":0,"start":"a"})")},
      {"start null", tok(R"({"v":"meta.k8s.io/v1","rv":1,"start":null})")},
      {"traversal", tok(R"({"v":"meta.k8s.io/v1","rv":1,"start":"../x"})")},
  };
  for (const auto& [name, text] : cases) {
    SCOPED_TRACE(name);
    auto r = decodeContinue(text);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, 400);
    EXPECT_EQ(r.error().reason, "BadRequest");
    EXPECT_EQ(r.error().message.rfind("invalid continue token: ", 0), 0u) << r.error().message;
  }
}

}  // namespace
}  // namespace apiserver::registry
