#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// @file go_format.h
/// The few pieces of Go formatting that kube's selector messages are made of, so that the text a
/// client sees is byte for byte what kube-apiserver (a Go program) sends. Internal to the
/// selection library; exposed for its tests.

namespace apiserver::selection::detail {

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
/// `\n`-style escapes, `\xNN` for control bytes and invalid UTF-8, `\uNNNN` for non-printable
/// characters. Printability beyond ASCII follows the common cases of Go's unicode.IsPrint (C1
/// controls, non-ASCII spaces, format characters, private use and noncharacters are escaped).
std::string goQuote(std::string_view s);

/// goStringSlice is Go's `%#v` of a []string ("[]string{\"a\", \"b\"}", "[]string(nil)").
std::string goStringSlice(const std::vector<std::string>& values);

/// parseInt64 is Go's strconv.ParseInt(s, 10, 64): optional sign, decimal digits, no overflow.
/// Never allocates.
std::optional<std::int64_t> parseInt64(std::string_view s) noexcept;

/// aggregate is the text of kube's utilerrors.Aggregate built from field.ErrorList.ToAggregate():
/// duplicates dropped, one message alone, several as "[a, b]".
std::string aggregate(const std::vector<std::string>& messages);

}  // namespace apiserver::selection::detail
