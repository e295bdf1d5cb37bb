#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// @file go_text.h
/// Go's text primitives that kube-apiserver's messages are made of: UTF-8 decoding and encoding
/// as Go's unicode/utf8 does it, strconv.Quote / QuoteRune (fmt's `%q`), strconv.ParseInt, `%#v`
/// of a []string and utilerrors.Aggregate's text. With them the text a client sees is byte for
/// byte what kube-apiserver (a Go program) sends.

namespace apiserver::golang {

/// kRuneError is Go's utf8.RuneError (U+FFFD), what invalid UTF-8 decodes to.
inline constexpr char32_t kRuneError = 0xFFFD;

/// Rune is one decoded UTF-8 character, as Go's `for range` over a string yields it: an invalid
/// or truncated sequence yields U+FFFD with width 1.
struct Rune {
  char32_t value = 0;
  std::size_t width = 0;
};

/// decodeRune decodes the character at the start of `s` (s must not be empty), with the rules of
/// Go's utf8.DecodeRuneInString (no overlongs, no surrogates, nothing above U+10FFFF).
Rune decodeRune(std::string_view s) noexcept;

/// appendRune appends the UTF-8 encoding of `r` (as Go's WriteRune; invalid runes as U+FFFD).
void appendRune(std::string& out, char32_t r);

/// goQuote is Go's strconv.Quote (what `%q` prints for a string): double quotes, `\"` and `\\`,
/// `\n`-style escapes, `\xNN` for control bytes and invalid UTF-8, `\uNNNN` / `\UNNNNNNNN` for
/// non-printable characters. Printability beyond ASCII follows the common cases of Go's
/// unicode.IsPrint (C1 controls, non-ASCII spaces, format characters, private use and
/// noncharacters are escaped; unassigned code points are not told apart).
std::string goQuote(std::string_view s);

/// goQuoteRune is Go's strconv.QuoteRune (what `%q` prints for a rune): single quotes, `\'`,
/// and otherwise goQuote's escapes. encoding/json words the offending byte of a syntax error
/// this way ("invalid character '\\'' ...").
std::string goQuoteRune(char32_t r);

/// goStringSlice is Go's `%#v` of a []string ("[]string{\"a\", \"b\"}", "[]string(nil)").
std::string goStringSlice(const std::vector<std::string>& values);

/// parseInt64 is Go's strconv.ParseInt(s, 10, 64): optional sign, decimal digits, no overflow.
/// Never allocates.
std::optional<std::int64_t> parseInt64(std::string_view s) noexcept;

/// aggregate is the text of kube's utilerrors.Aggregate built from field.ErrorList.ToAggregate():
/// duplicates dropped, one message alone, several as "[a, b]".
std::string aggregate(const std::vector<std::string>& messages);

}  // namespace apiserver::golang
