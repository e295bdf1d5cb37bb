#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

/// @file base64.h
/// Standard base64 (RFC 4648, padded) with exactly the acceptance rules and error offsets of
/// Go's base64.StdEncoding, which is how kube decodes []byte fields (Secret.data,
/// APIService.spec.caBundle) and its configuration's secrets. One codec for the host and every
/// plugin (Boost has no public base64 API). Header-only.

namespace apiserver::base64 {

/// Decoded is the outcome of decode.
struct Decoded {
  bool ok = false;
  std::string data;         ///< the decoded bytes when ok
  std::size_t errorAt = 0;  ///< offset of the offending input byte when !ok
  /// error renders Go's CorruptInputError ("illegal base64 data at input byte 4").
  std::string error() const;
};

/// decode decodes padded standard base64; '\r' and '\n' are ignored as Go ignores them.
inline Decoded decode(std::string_view in);

/// encode encodes bytes as padded standard base64.
inline std::string encode(std::string_view bytes);

namespace detail {

inline constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
inline constexpr std::uint8_t kInvalid = 0xff;

constexpr std::array<std::uint8_t, 256> makeDecodeMap() {
  std::array<std::uint8_t, 256> m{};
  for (auto& v : m)
    v = kInvalid;
  for (std::size_t i = 0; i < kAlphabet.size(); ++i)
    m[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::uint8_t>(i);
  return m;
}

inline constexpr std::array<std::uint8_t, 256> kDecodeMap = makeDecodeMap();

inline bool isNewline(char c) {
  return c == '\n' || c == '\r';
}

}  // namespace detail

inline std::string Decoded::error() const {
  return "illegal base64 data at input byte " + std::to_string(errorAt);
}

// The loop mirrors Go's encoding/base64 decodeQuantum so that the accepted inputs and the
// reported offsets agree with what kube-apiserver answers.
inline Decoded decode(std::string_view src) {
  Decoded r;
  std::size_t si = 0;
  auto fail = [&r](std::size_t at) {
    r.ok = false;
    r.errorAt = at;
    r.data.clear();
    return r;
  };
  while (si < src.size()) {
    std::array<std::uint8_t, 4> dbuf{};
    std::size_t dlen = 4;
    bool end = false;
    for (std::size_t j = 0; j < 4; ++j) {
      if (si == src.size()) {
        if (j == 0) {
          r.ok = true;
          return r;
        }
        // Padding is required: a partial quantum at the end is corrupt.
        return fail(si - j);
      }
      char in = src[si++];
      std::uint8_t out = detail::kDecodeMap[static_cast<unsigned char>(in)];
      if (out != detail::kInvalid) {
        dbuf[j] = out;
        continue;
      }
      if (detail::isNewline(in)) {
        --j;  // unsigned wrap-around is undone by the loop's ++j
        continue;
      }
      if (in != '=')
        return fail(si - 1);
      // Padding reached.
      if (j == 0 || j == 1)
        return fail(si - 1);
      if (j == 2) {
        while (si < src.size() && detail::isNewline(src[si]))
          ++si;
        if (si == src.size())
          return fail(src.size());
        if (src[si] != '=')
          return fail(si - 1);
        ++si;
      }
      while (si < src.size() && detail::isNewline(src[si]))
        ++si;
      if (si < src.size())
        return fail(si);  // trailing garbage
      dlen = j;
      end = true;
      break;
    }
    std::uint32_t val = (std::uint32_t{dbuf[0]} << 18) | (std::uint32_t{dbuf[1]} << 12) |
                        (std::uint32_t{dbuf[2]} << 6) | std::uint32_t{dbuf[3]};
    char b0 = static_cast<char>((val >> 16) & 0xff);
    char b1 = static_cast<char>((val >> 8) & 0xff);
    char b2 = static_cast<char>(val & 0xff);
    if (dlen >= 2)
      r.data.push_back(b0);
    if (dlen >= 3)
      r.data.push_back(b1);
    if (dlen == 4)
      r.data.push_back(b2);
    if (end)
      break;
  }
  r.ok = true;
  return r;
}

inline std::string encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t v = (std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                      (std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) |
                      std::uint32_t{static_cast<unsigned char>(bytes[i + 2])};
    out.push_back(detail::kAlphabet[(v >> 18) & 63]);
    out.push_back(detail::kAlphabet[(v >> 12) & 63]);
    out.push_back(detail::kAlphabet[(v >> 6) & 63]);
    out.push_back(detail::kAlphabet[v & 63]);
  }
  std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t v = std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
    if (rest == 2)
      v |= std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8;
    out.push_back(detail::kAlphabet[(v >> 18) & 63]);
    out.push_back(detail::kAlphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? detail::kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

}  // namespace apiserver::base64
