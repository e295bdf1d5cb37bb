// apiserver/base64.h: Go's base64.StdEncoding, offsets of errors included (kube's decoder of
// []byte fields, the caBundle of an APIService, the encryption configuration's secrets).
#include <apiserver/base64.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace apiserver::base64 {
namespace {

TEST(Base64, MatchesGoStdEncoding) {
  struct Case {
    std::string name;
    std::string in;
    bool ok;
    std::string out;     // decoded bytes when ok
    std::size_t at = 0;  // error offset otherwise
  };
  const std::vector<Case> cases = {
      {"empty", "", true, ""},
      {"one byte", "YQ==", true, "a"},
      {"two bytes", "YWI=", true, "ab"},
      {"three bytes", "YWJj", true, "abc"},
      {"newlines ignored", "YW\nJj\r\n", true, "abc"},
      {"invalid char", "YW$j", false, "", 2},
      {"missing padding", "YWI", false, "", 0},
      {"single char", "Y", false, "", 0},
      {"short second quantum", "YWJjZA", false, "", 4},
      {"padding too early", "Y===", false, "", 1},
      {"garbage after padding", "YQ==YQ==", false, "", 4},
      {"half padding", "YQ=", false, "", 3},
      {"url alphabet is not std", "a-_b", false, "", 1},
      {"newlines after padding", "aGVs\nbG8=\n", true, "hello"},
      {"garbage after one padding", "aGVsbG8=x", false, "", 8},
      {"truncated final quantum", "aGVsbG8", false, "", 4},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Decoded d = decode(c.in);
    EXPECT_EQ(d.ok, c.ok);
    if (c.ok) {
      EXPECT_EQ(d.data, c.out);
    } else {
      EXPECT_EQ(d.errorAt, c.at) << d.error();
      EXPECT_EQ(d.error(), "illegal base64 data at input byte " + std::to_string(c.at));
    }
  }
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    SCOPED_TRACE(s);
    Decoded d = decode(encode(s));
    ASSERT_TRUE(d.ok);
    EXPECT_EQ(d.data, s);
  }
  EXPECT_EQ(encode("admin"), "YWRtaW4=");
}

}  // namespace
}  // namespace apiserver::base64
