// Go's text primitives: UTF-8 decoding and encoding, strconv.Quote / QuoteRune, ParseInt, %#v of
// a []string and utilerrors.Aggregate.

#include "golang/go_text.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace apiserver::golang {
namespace {

TEST(GoFormat, Quote) {
  struct Case {
    std::string name;
    std::string in;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"plain", "abc", "\"abc\""},
      {"empty", "", "\"\""},
      {"quote and backslash", "a\"b\\c", "\"a\\\"b\\\\c\""},
      {"short escapes", "\a\b\f\n\r\t\v", "\"\\a\\b\\f\\n\\r\\t\\v\""},
      {"control", std::string("\x01\x1f\x7f", 3), "\"\\x01\\x1f\\x7f\""},
      {"nul", std::string("a\0b", 3), "\"a\\x00b\""},
      {"printable utf8", "caf\xC3\xA9 \xE6\x97\xA5", "\"caf\xC3\xA9 \xE6\x97\xA5\""},
      {"invalid utf8", "\xFF\xC3", "\"\\xff\\xc3\""},
      {"C1 control", "\xC2\x85", "\"\\u0085\""},
      {"no-break space", "\xC2\xA0", "\"\\u00a0\""},
      {"zero width space", "\xE2\x80\x8B", "\"\\u200b\""},
      {"emoji", "\xF0\x9F\x98\x80", "\"\xF0\x9F\x98\x80\""},
      {"surrogate encoding is invalid", "\xED\xA0\x80", "\"\\xed\\xa0\\x80\""},
      {"overlong is invalid", "\xC0\xAF", "\"\\xc0\\xaf\""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(goQuote(c.in), c.want);
  }
}

TEST(GoFormat, ParseInt64) {
  EXPECT_EQ(parseInt64("0"), 0);
  EXPECT_EQ(parseInt64("+7"), 7);
  EXPECT_EQ(parseInt64("-7"), -7);
  EXPECT_EQ(parseInt64("007"), 7);
  EXPECT_EQ(parseInt64("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(parseInt64("-9223372036854775808"), INT64_MIN);
  EXPECT_FALSE(parseInt64("9223372036854775808"));
  EXPECT_FALSE(parseInt64("-9223372036854775809"));
  EXPECT_FALSE(parseInt64(""));
  EXPECT_FALSE(parseInt64("+"));
  EXPECT_FALSE(parseInt64("1_000"));
  EXPECT_FALSE(parseInt64(" 1"));
  EXPECT_FALSE(parseInt64("0x10"));
}

TEST(GoFormat, Aggregate) {
  EXPECT_EQ(aggregate({}), "");
  EXPECT_EQ(aggregate({"a"}), "a");
  EXPECT_EQ(aggregate({"a", "b"}), "[a, b]");
  EXPECT_EQ(aggregate({"a", "a"}), "a");
  EXPECT_EQ(aggregate({"a", "b", "a"}), "[a, b]");
}

// --- Beyond the moved cases: the places where the rooms' copies used to disagree, and the
// primitives the copies were built on. ---

TEST(GoTextTest, QuoteEscapesWhatGoDoesNotPrint) {
  // U+2028/2029 and the BOM (the only non-ASCII escapes of apply's former copy) and the wider
  // set Go's unicode.IsPrint refuses.
  EXPECT_EQ(goQuote("\xE2\x80\xA8\xE2\x80\xA9"), "\"\\u2028\\u2029\"");
  EXPECT_EQ(goQuote("\xEF\xBB\xBF"), "\"\\ufeff\"");
  EXPECT_EQ(goQuote("\xC2\xAD"), "\"\\u00ad\"");                   // soft hyphen (Cf)
  EXPECT_EQ(goQuote("\xE3\x80\x80"), "\"\\u3000\"");               // ideographic space (Zs)
  EXPECT_EQ(goQuote("\xEE\x80\x80"), "\"\\ue000\"");               // private use
  EXPECT_EQ(goQuote("\xF3\xA0\x80\x81"), "\"\\U000e0001\"");       // language tag: \U form
  EXPECT_EQ(goQuote("\xF4\x8F\xBF\xBF"), "\"\\U0010ffff\"");       // noncharacter
  EXPECT_EQ(goQuote("\xEF\xBF\xBD"), "\"\xEF\xBF\xBD\"");          // a real U+FFFD prints
  EXPECT_EQ(goQuote("\xC2\xA1\xC3\xBF"), "\"\xC2\xA1\xC3\xBF\"");  // Latin-1 letters print
}

TEST(GoTextTest, QuoteRuneIsStrconvQuoteRune) {
  EXPECT_EQ(goQuoteRune('x'), "'x'");
  EXPECT_EQ(goQuoteRune('\''), "'\\''");
  EXPECT_EQ(goQuoteRune('"'), "'\"'");
  EXPECT_EQ(goQuoteRune('\\'), "'\\\\'");
  EXPECT_EQ(goQuoteRune('\n'), "'\\n'");
  EXPECT_EQ(goQuoteRune(0x01), "'\\x01'");
  EXPECT_EQ(goQuoteRune(0x7F), "'\\x7f'");
  EXPECT_EQ(goQuoteRune(0x85), "'\\u0085'");
  EXPECT_EQ(goQuoteRune(0xA0), "'\\u00a0'");
  EXPECT_EQ(goQuoteRune(0xAD), "'\\u00ad'");
  EXPECT_EQ(goQuoteRune(0xE9), "'\xC3\xA9'");
  EXPECT_EQ(goQuoteRune(0xFF), "'\xC3\xBF'");
  EXPECT_EQ(goQuoteRune(0xD800), "'\xEF\xBF\xBD'");  // invalid rune: U+FFFD
}

TEST(GoTextTest, DecodeRuneFollowsUtf8DecodeRuneInString) {
  struct Case {
    std::string in;
    char32_t value;
    std::size_t width;
  };
  const std::vector<Case> cases = {
      {"a", 'a', 1},
      {"\xC3\xA9x", 0xE9, 2},
      {"\xE6\x97\xA5", 0x65E5, 3},
      {"\xF0\x9F\x98\x80", 0x1F600, 4},
      {"\xF4\x8F\xBF\xBF", 0x10FFFF, 4},
      {"\xEF\xBF\xBD", kRuneError, 3},  // a real U+FFFD is 3 wide
      {"\xFF", kRuneError, 1},
      {"\x80", kRuneError, 1},
      {"\xC0\xAF", kRuneError, 1},          // overlong
      {"\xE0\x80\xAF", kRuneError, 1},      // overlong
      {"\xED\xA0\x80", kRuneError, 1},      // surrogate
      {"\xF4\x90\x80\x80", kRuneError, 1},  // above U+10FFFF
      {"\xF5\x80\x80\x80", kRuneError, 1},
      {"\xE6\x97", kRuneError, 1},  // truncated
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);
    const Rune r = decodeRune(c.in);
    EXPECT_EQ(r.value, c.value);
    EXPECT_EQ(r.width, c.width);
  }
}

TEST(GoTextTest, AppendRuneEncodesAndReplacesInvalid) {
  std::string out;
  appendRune(out, 'a');
  appendRune(out, 0xE9);
  appendRune(out, 0x65E5);
  appendRune(out, 0x1F600);
  EXPECT_EQ(out, "a\xC3\xA9\xE6\x97\xA5\xF0\x9F\x98\x80");
  out.clear();
  appendRune(out, 0xD800);
  appendRune(out, 0x110000);
  EXPECT_EQ(out, "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(GoTextTest, StringSliceIsSharpV) {
  EXPECT_EQ(goStringSlice({}), "[]string(nil)");
  EXPECT_EQ(goStringSlice({"a"}), "[]string{\"a\"}");
  EXPECT_EQ(goStringSlice({"a", "b\"c"}), "[]string{\"a\", \"b\\\"c\"}");
}

}  // namespace
}  // namespace apiserver::golang
