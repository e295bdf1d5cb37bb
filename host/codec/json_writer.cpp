#include "codec/json_writer.h"

#include <boost/json/serialize.hpp>

#include <emmintrin.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace apiserver::codec {

namespace json = boost::json;

namespace {

/// kEscape is what follows the backslash for a byte that must be escaped ('u': \u00XX), 0 for
/// a byte written as it is — Boost.JSON's serializer table.
constexpr std::array<char, 256> kEscape = [] {
  std::array<char, 256> t{};
  for (int c = 0; c < 0x20; ++c)
    t[c] = 'u';
  t['\b'] = 'b';
  t['\t'] = 't';
  t['\n'] = 'n';
  t['\f'] = 'f';
  t['\r'] = 'r';
  t['"'] = '"';
  t['\\'] = '\\';
  return t;
}();
constexpr std::string_view kHex = "0123456789abcdef";

/// Writer writes through a cursor into `out`, grown (doubling) when a piece needs more room;
/// finish() cuts it to what was written.
class Writer {
 public:
  Writer(std::string& out, std::size_t expect) : out_(out) {
    const std::size_t used = out.size();
    out.resize(used + std::max<std::size_t>(expect, 64));
    p_ = out.data() + used;
    end_ = out.data() + out.size();
  }

  void finish() { out_.resize(static_cast<std::size_t>(p_ - out_.data())); }

  void value(const json::value& v) {
    switch (v.kind()) {
      case json::kind::object:
        return object(v.get_object());
      case json::kind::array:
        return array(v.get_array());
      case json::kind::string:
        return string(v.get_string());
      case json::kind::int64:
        return integer(v.get_int64());
      case json::kind::uint64:
        return integer(v.get_uint64());
      case json::kind::double_:
        return literal(json::serialize(v));  // Boost's own formatting
      case json::kind::bool_:
        return v.get_bool() ? literal("true") : literal("false");
      case json::kind::null:
        return literal("null");
    }
  }

  /// kSlack is the room kept past a string's bytes, so that copying them 16 at a time may
  /// overrun what the string needs.
  static constexpr std::size_t kSlack = 16;

  /// string writes `s` quoted. Its bytes are scanned and copied 16 at a time: a block's bytes up
  /// to the first that needs an escape (below 0x20, '"', '\\') are kept, that one is escaped.
  /// The last block of a string may read past its end: only where that stays within the page
  /// (so it cannot fault), and what lies past the end is never kept. Room is taken for the
  /// plain case, and again at each escape for the escape and everything after it.
  __attribute__((no_sanitize("address"))) void string(std::string_view s) {
    const char* i = s.data();
    const char* const e = i + s.size();
    room(s.size() + 2 + kSlack);
    *p_++ = '"';
    const __m128i space = _mm_set1_epi8(0x1f);
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    while (i != e) {
      const auto left = static_cast<std::size_t>(e - i);
      int mask = 0;
      std::size_t plain = 0;
      if (left >= 16 || (reinterpret_cast<std::uintptr_t>(i) & 4095U) <= 4096 - 16) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(i));
        const __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(x, space), space);  // x <= 0x1f
        const __m128i special =
            _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash));
        mask = _mm_movemask_epi8(_mm_or_si128(control, special));
        if (left < 16)
          mask &= (1 << left) - 1;
        _mm_storeu_si128(reinterpret_cast<__m128i*>(p_), x);
        plain = mask != 0 ? static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)))
                          : std::min<std::size_t>(left, 16);
      } else {  // a short tail at a page's end: byte by byte
        while (plain != left && kEscape[static_cast<unsigned char>(i[plain])] == 0) {
          p_[plain] = i[plain];
          ++plain;
        }
        mask = plain != left ? 1 : 0;
      }
      p_ += plain;
      i += plain;
      if (mask == 0)
        continue;
      const auto ch = static_cast<unsigned char>(*i++);
      room(6 + static_cast<std::size_t>(e - i) + 1 + kSlack);
      *p_++ = '\\';
      if (const char c = kEscape[ch]; c != 'u') {
        *p_++ = c;
      } else {
        *p_++ = 'u';
        *p_++ = '0';
        *p_++ = '0';
        *p_++ = kHex[ch >> 4];
        *p_++ = kHex[ch & 15];
      }
    }
    *p_++ = '"';
  }

  void object(const json::object& o) {
    room(2);
    *p_++ = '{';
    bool first = true;
    for (const auto& kv : o) {
      comma(first);
      string(kv.key());
      room(1);
      *p_++ = ':';
      value(kv.value());
    }
    room(1);
    *p_++ = '}';
  }

  void array(const json::array& a) {
    room(2);
    *p_++ = '[';
    bool first = true;
    for (const auto& e : a) {
      comma(first);
      value(e);
    }
    room(1);
    *p_++ = ']';
  }

 private:
  /// comma separates a member or element from the one before it.
  void comma(bool& first) {
    if (!first) {
      room(1);
      *p_++ = ',';
    }
    first = false;
  }

  void room(std::size_t n) {
    if (static_cast<std::size_t>(end_ - p_) < n)
      grow(n);
  }

  [[gnu::noinline]] void grow(std::size_t n) {
    const std::size_t used = static_cast<std::size_t>(p_ - out_.data());
    out_.resize(std::max(out_.size() * 2, used + n));
    p_ = out_.data() + used;
    end_ = out_.data() + out_.size();
  }

  void literal(std::string_view s) {
    room(s.size());
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }

  template <class Int>
  void integer(Int n) {
    room(24);
    p_ = std::to_chars(p_, end_, n).ptr;
  }

  std::string& out_;
  char* p_ = nullptr;
  char* end_ = nullptr;
};

}  // namespace

void appendJson(std::string& out, const json::value& v) {
  Writer w(out, 256);
  w.value(v);
  w.finish();
}

void appendJson(std::string& out, const json::object& o) {
  Writer w(out, 1024);
  w.object(o);
  w.finish();
}

void appendJsonString(std::string& out, std::string_view s) {
  Writer w(out, s.size() + 64);
  w.string(s);
  w.finish();
}

std::string toJson(const json::object& o, std::size_t expect) {
  std::string out;
  Writer w(out, expect);
  w.object(o);
  w.finish();
  // The text is kept (the watch cache holds it for every object): no room the writer's doubling
  // left behind (about a third of the bytes on average).
  if (out.capacity() - out.size() > out.size() / 16)
    out.shrink_to_fit();
  return out;
}

}  // namespace apiserver::codec
