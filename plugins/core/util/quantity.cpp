#include "core/util/quantity.h"

#include <boost/json/serialize.hpp>

namespace apiserver::plugins::core {

namespace {

constexpr int kMaxDigits = 30;

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

/// pow10 returns 10^n for small n.
__int128 pow10(int n) {
  __int128 r = 1;
  for (int i = 0; i < n; ++i)
    r *= 10;
  return r;
}

}  // namespace

std::optional<Quantity> parseQuantity(std::string_view s) {
  if (s.empty())
    return std::nullopt;
  bool negative = false;
  std::size_t i = 0;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    i = 1;
  }
  // Number part: digits with at most one dot, at least one digit.
  __int128 mantissa = 0;
  int fracDigits = 0;
  int digits = 0;
  bool dot = false;
  for (; i < s.size() && (isDigit(s[i]) || s[i] == '.'); ++i) {
    if (s[i] == '.') {
      if (dot)
        return std::nullopt;
      dot = true;
      continue;
    }
    if (digits >= kMaxDigits)
      return std::nullopt;
    if (digits > 0 || s[i] != '0')
      ++digits;
    mantissa = mantissa * 10 + (s[i] - '0');
    if (dot)
      ++fracDigits;
  }
  if (digits == 0 && mantissa == 0) {
    // "0", "0.0" are fine; "." or "" is not.
    bool anyDigit = false;
    for (std::size_t k = 0; k < i; ++k)
      anyDigit = anyDigit || isDigit(s[k]);
    if (!anyDigit)
      return std::nullopt;
  }
  std::string_view suffix = s.substr(i);
  int exp10 = 0;
  __int128 binary = 1;
  if (suffix.empty()) {
  } else if (suffix == "n") {
    exp10 = -9;
  } else if (suffix == "u") {
    exp10 = -6;
  } else if (suffix == "m") {
    exp10 = -3;
  } else if (suffix == "k") {
    exp10 = 3;
  } else if (suffix == "M") {
    exp10 = 6;
  } else if (suffix == "G") {
    exp10 = 9;
  } else if (suffix == "T") {
    exp10 = 12;
  } else if (suffix == "P") {
    exp10 = 15;
  } else if (suffix == "E") {
    exp10 = 18;
  } else if (suffix.size() == 2 && suffix[1] == 'i') {
    static constexpr std::string_view kBinary = "KMGTPE";
    auto pos = kBinary.find(suffix[0]);
    if (pos == std::string_view::npos)
      return std::nullopt;
    binary = static_cast<__int128>(1) << (10 * (pos + 1));
  } else if (suffix[0] == 'e' || suffix[0] == 'E') {
    std::string_view e = suffix.substr(1);
    bool eneg = false;
    if (!e.empty() && (e[0] == '+' || e[0] == '-')) {
      eneg = e[0] == '-';
      e.remove_prefix(1);
    }
    if (e.empty() || e.size() > 3)
      return std::nullopt;
    int n = 0;
    for (char c : e) {
      if (!isDigit(c))
        return std::nullopt;
      n = n * 10 + (c - '0');
    }
    exp10 = eneg ? -n : n;
  } else {
    return std::nullopt;
  }
  // nanos = mantissa * 10^(9 + exp10 - fracDigits) * binary, rounded up when finer than 1n.
  int shift = 9 + exp10 - fracDigits;
  __int128 nanos = mantissa;
  if (shift >= 0) {
    if (shift > 36 || digits + shift > 37)
      return std::nullopt;
    nanos *= pow10(shift);
    if (binary != 1) {
      if (nanos != 0 && binary > (static_cast<__int128>(1) << 100) / nanos)
        return std::nullopt;
      nanos *= binary;
    }
  } else {
    if (-shift > 36) {
      nanos = nanos == 0 ? 0 : 1;
    } else {
      nanos *= binary;
      __int128 div = pow10(-shift);
      nanos = (nanos + div - 1) / div;
    }
  }
  return Quantity::fromNanos(negative ? -nanos : nanos);
}

std::optional<Quantity> quantityOf(const boost::json::value& v) {
  if (v.is_string())
    return parseQuantity(v.get_string());
  if (v.is_number())
    return parseQuantity(boost::json::serialize(v));
  return std::nullopt;
}

std::string quantityText(const boost::json::value& v) {
  if (v.is_string())
    return std::string(v.get_string());
  return boost::json::serialize(v);
}

}  // namespace apiserver::plugins::core
