#include "golang/go_text.h"

#include <algorithm>
#include <limits>

namespace apiserver::golang {

namespace {

bool continuation(unsigned char c) noexcept {
  return (c & 0xC0) == 0x80;
}

/// isPrintNonAscii approximates Go's unicode.IsPrint (strconv.IsPrint) for runes at or above
/// U+0080.
bool isPrintNonAscii(char32_t r) noexcept {
  if (r < 0xA1)
    return false;  // C1 controls and U+00A0 NO-BREAK SPACE
  if (r == 0xAD)
    return false;  // SOFT HYPHEN (Cf)
  if (r >= 0x600 && r <= 0x605)
    return false;  // Arabic number signs (Cf)
  if (r == 0x61C || r == 0x6DD || r == 0x70F)
    return false;
  if (r == 0x1680)
    return false;  // OGHAM SPACE MARK (Zs)
  if (r == 0x180E)
    return false;  // MONGOLIAN VOWEL SEPARATOR (Cf)
  if (r >= 0x2000 && r <= 0x200F)
    return false;  // spaces and zero-width format chars
  if (r >= 0x2028 && r <= 0x202F)
    return false;  // separators, bidi controls, NNBSP
  if (r >= 0x205F && r <= 0x206F)
    return false;  // MMSP, invisible operators, bidi
  if (r == 0x3000)
    return false;  // IDEOGRAPHIC SPACE
  if (r >= 0xD800 && r <= 0xDFFF)
    return false;  // surrogates (never decoded anyway)
  if (r >= 0xE000 && r <= 0xF8FF)
    return false;  // private use
  if (r >= 0xFDD0 && r <= 0xFDEF)
    return false;  // noncharacters
  if (r == 0xFEFF)
    return false;  // BOM / ZWNBSP
  if (r >= 0xFFF0 && r <= 0xFFFB)
    return false;  // specials (unassigned, annotation)
  if ((r & 0xFFFE) == 0xFFFE)
    return false;  // U+xFFFE / U+xFFFF noncharacters
  if (r >= 0xE0000 && r <= 0xE0FFF)
    return false;  // tags and variation selectors supplement
  if (r >= 0xF0000)
    return false;  // supplementary private use
  return true;
}

void appendHex(std::string& out, std::uint32_t v, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i)
    out += kHex[(v >> (4 * i)) & 0xF];
}

/// appendEscapedRune is strconv's appendEscapedRune: `r` (a valid rune) as it stands between
/// `quote`s in Go's quoted form. `encoded` is its UTF-8 encoding, copied when printable.
void appendEscapedRune(std::string& out, char32_t r, std::string_view encoded, char quote) {
  if (r == static_cast<char32_t>(quote) || r == '\\') {
    out += '\\';
    out += static_cast<char>(r);
    return;
  }
  if (r >= 0x20 && r < 0x7F) {
    out += static_cast<char>(r);
    return;
  }
  if (r >= 0x80 && isPrintNonAscii(r)) {
    out.append(encoded);
    return;
  }
  switch (r) {
    case '\a':
      out += "\\a";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    case '\v':
      out += "\\v";
      return;
    default:
      break;
  }
  if (r < 0x20 || r == 0x7F) {
    out += "\\x";
    appendHex(out, r, 2);
  } else if (r < 0x10000) {
    out += "\\u";
    appendHex(out, r, 4);
  } else {
    out += "\\U";
    appendHex(out, r, 8);
  }
}

}  // namespace

Rune decodeRune(std::string_view s) noexcept {
  const auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80)
    return {b0, 1};
  const auto at = [&](std::size_t i) -> unsigned char {
    return i < s.size() ? static_cast<unsigned char>(s[i]) : 0;
  };
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (!continuation(at(1)))
      return {kRuneError, 1};
    return {static_cast<char32_t>(((b0 & 0x1F) << 6) | (at(1) & 0x3F)), 2};
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    const unsigned char b1 = at(1);
    const unsigned char lo = b0 == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = b0 == 0xED ? 0x9F : 0xBF;
    if (b1 < lo || b1 > hi || !continuation(at(2)))
      return {kRuneError, 1};
    return {static_cast<char32_t>(((b0 & 0x0F) << 12) | ((b1 & 0x3F) << 6) | (at(2) & 0x3F)), 3};
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    const unsigned char b1 = at(1);
    const unsigned char lo = b0 == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = b0 == 0xF4 ? 0x8F : 0xBF;
    if (b1 < lo || b1 > hi || !continuation(at(2)) || !continuation(at(3)))
      return {kRuneError, 1};
    return {static_cast<char32_t>(((b0 & 0x07) << 18) | ((b1 & 0x3F) << 12) |
                                  ((at(2) & 0x3F) << 6) | (at(3) & 0x3F)),
            4};
  }
  return {kRuneError, 1};
}

void appendRune(std::string& out, char32_t r) {
  if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
    r = kRuneError;
  if (r < 0x80) {
    out += static_cast<char>(r);
  } else if (r < 0x800) {
    out += static_cast<char>(0xC0 | (r >> 6));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else if (r < 0x10000) {
    out += static_cast<char>(0xE0 | (r >> 12));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (r >> 18));
    out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  }
}

std::string goQuote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    const Rune r = decodeRune(s.substr(i));
    if (r.value == kRuneError && r.width == 1) {
      // Invalid UTF-8: the byte itself.
      out += "\\x";
      appendHex(out, static_cast<unsigned char>(s[i]), 2);
    } else {
      appendEscapedRune(out, r.value, s.substr(i, r.width), '"');
    }
    i += r.width;
  }
  out += '"';
  return out;
}

std::string goQuoteRune(char32_t r) {
  if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
    r = kRuneError;
  std::string encoded;
  appendRune(encoded, r);
  std::string out = "'";
  appendEscapedRune(out, r, encoded, '\'');
  out += '\'';
  return out;
}

std::string goStringSlice(const std::vector<std::string>& values) {
  if (values.empty())
    return "[]string(nil)";
  std::string out = "[]string{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != 0)
      out += ", ";
    out += goQuote(values[i]);
  }
  out += '}';
  return out;
}

std::optional<std::int64_t> parseInt64(std::string_view s) noexcept {
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty())
    return std::nullopt;
  // Accumulate as a negative number so that INT64_MIN fits.
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  std::int64_t acc = 0;
  for (char ch : s) {
    if (ch < '0' || ch > '9')
      return std::nullopt;
    const int d = ch - '0';
    if (acc < (kMin + d) / 10)
      return std::nullopt;
    acc = acc * 10 - d;
  }
  if (!negative) {
    if (acc == kMin)
      return std::nullopt;
    return -acc;
  }
  return acc;
}

std::string aggregate(const std::vector<std::string>& messages) {
  std::vector<const std::string*> unique;
  for (const auto& m : messages) {
    if (std::none_of(unique.begin(), unique.end(), [&](const std::string* u) { return *u == m; }))
      unique.push_back(&m);
  }
  if (unique.empty())
    return {};
  if (unique.size() == 1)
    return *unique.front();
  std::string out = "[";
  for (std::size_t i = 0; i < unique.size(); ++i) {
    if (i != 0)
      out += ", ";
    out += *unique[i];
  }
  out += ']';
  return out;
}

}  // namespace apiserver::golang
