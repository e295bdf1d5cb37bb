#include "core/util/ip.h"

#include <arpa/inet.h>

#include <array>
#include <charconv>

namespace apiserver::plugins::core {

namespace {

bool parse4(std::string_view s, std::uint32_t& out) {
  if (s.empty() || s.size() > 15)
    return false;
  std::string str(s);
  in_addr a{};
  if (inet_pton(AF_INET, str.c_str(), &a) != 1)
    return false;
  out = ntohl(a.s_addr);
  return true;
}

bool parse6(std::string_view s, std::array<unsigned char, 16>& out) {
  if (s.empty() || s.size() > 45)
    return false;
  std::string str(s);
  in6_addr a{};
  if (inet_pton(AF_INET6, str.c_str(), &a) != 1)
    return false;
  for (std::size_t i = 0; i < 16; ++i)
    out[i] = a.s6_addr[i];
  return true;
}

}  // namespace

bool isValidIp(std::string_view s) {
  std::uint32_t v4 = 0;
  std::array<unsigned char, 16> v6{};
  return parse4(s, v4) || parse6(s, v6);
}

bool isIpv4(std::string_view s) {
  std::uint32_t v4 = 0;
  return parse4(s, v4);
}

std::optional<std::uint32_t> parseIpv4(std::string_view s) {
  std::uint32_t v4 = 0;
  if (!parse4(s, v4))
    return std::nullopt;
  return v4;
}

std::string formatIpv4(std::uint32_t ip) {
  return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 0xff) + "." +
         std::to_string((ip >> 8) & 0xff) + "." + std::to_string(ip & 0xff);
}

bool isUnspecifiedIp(std::string_view s) {
  std::uint32_t v4 = 0;
  if (parse4(s, v4))
    return v4 == 0;
  std::array<unsigned char, 16> v6{};
  if (!parse6(s, v6))
    return false;
  for (auto b : v6)
    if (b != 0)
      return false;
  return true;
}

bool isLoopbackIp(std::string_view s) {
  std::uint32_t v4 = 0;
  if (parse4(s, v4))
    return (v4 >> 24) == 127;
  std::array<unsigned char, 16> v6{};
  if (!parse6(s, v6))
    return false;
  for (std::size_t i = 0; i < 15; ++i)
    if (v6[i] != 0)
      return false;
  return v6[15] == 1;
}

bool isLinkLocalUnicastIp(std::string_view s) {
  std::uint32_t v4 = 0;
  if (parse4(s, v4))
    return (v4 >> 16) == ((169u << 8) | 254u);
  std::array<unsigned char, 16> v6{};
  if (!parse6(s, v6))
    return false;
  return v6[0] == 0xfe && (v6[1] & 0xc0) == 0x80;
}

bool isLinkLocalMulticastIp(std::string_view s) {
  std::uint32_t v4 = 0;
  if (parse4(s, v4))
    return (v4 >> 8) == ((224u << 16) | 0u);
  std::array<unsigned char, 16> v6{};
  if (!parse6(s, v6))
    return false;
  return v6[0] == 0xff && (v6[1] & 0x0f) == 0x02;
}

std::optional<Ipv4Cidr> parseIpv4Cidr(std::string_view s) {
  auto slash = s.find('/');
  if (slash == std::string_view::npos)
    return std::nullopt;
  auto ip = parseIpv4(s.substr(0, slash));
  std::string_view bits = s.substr(slash + 1);
  int prefix = -1;
  auto [ptr, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
  if (!ip || ec != std::errc() || ptr != bits.data() + bits.size() || prefix < 0 || prefix > 32)
    return std::nullopt;
  std::uint32_t mask = prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
  return Ipv4Cidr{*ip & mask, prefix};
}

bool isValidCidr(std::string_view s) {
  auto slash = s.find('/');
  if (slash == std::string_view::npos)
    return false;
  std::string_view addr = s.substr(0, slash);
  std::string_view bits = s.substr(slash + 1);
  int prefix = -1;
  auto [ptr, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
  if (ec != std::errc() || ptr != bits.data() + bits.size() || bits.empty())
    return false;
  std::uint32_t v4 = 0;
  if (parse4(addr, v4))
    return prefix >= 0 && prefix <= 32;
  std::array<unsigned char, 16> v6{};
  return parse6(addr, v6) && prefix >= 0 && prefix <= 128;
}

}  // namespace apiserver::plugins::core
