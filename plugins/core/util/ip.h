#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

/// @file ip.h
/// IP address helpers (inet_pton based) for validation and the service IP allocator.

namespace apiserver::plugins::core {

/// isValidIp reports whether s is an IPv4 address in dotted-quad form or an IPv6 address.
bool isValidIp(std::string_view s);

/// isIpv4 reports whether s is an IPv4 address.
bool isIpv4(std::string_view s);

/// parseIpv4 returns the address in host byte order, or nullopt.
std::optional<std::uint32_t> parseIpv4(std::string_view s);

/// formatIpv4 renders a host-byte-order address as a dotted quad.
std::string formatIpv4(std::uint32_t ip);

/// isUnspecifiedIp: 0.0.0.0 or ::.
bool isUnspecifiedIp(std::string_view s);
/// isLoopbackIp: 127.0.0.0/8 or ::1.
bool isLoopbackIp(std::string_view s);
/// isLinkLocalUnicastIp: 169.254.0.0/16 or fe80::/10.
bool isLinkLocalUnicastIp(std::string_view s);
/// isLinkLocalMulticastIp: 224.0.0.0/24 or ff02::/16.
bool isLinkLocalMulticastIp(std::string_view s);

/// Ipv4Cidr is an IPv4 network ("10.96.0.0/12").
struct Ipv4Cidr {
  std::uint32_t network = 0;  ///< host byte order, host bits zero
  int prefix = 0;
  /// first and last are the lowest and highest address of the network.
  std::uint32_t first() const { return network; }
  std::uint32_t last() const {
    return prefix == 0 ? 0xffffffffu : network | (0xffffffffu >> prefix);
  }
  /// contains reports whether ip lies in the network.
  bool contains(std::uint32_t ip) const { return ip >= first() && ip <= last(); }
  /// str renders "a.b.c.d/n".
  std::string str() const { return formatIpv4(network) + "/" + std::to_string(prefix); }
};

/// parseIpv4Cidr reads "a.b.c.d/n"; nullopt unless valid (host bits are cleared).
std::optional<Ipv4Cidr> parseIpv4Cidr(std::string_view s);

/// isValidCidr reports whether s is an IPv4 or IPv6 CIDR ("10.0.0.0/8", "fd00::/64").
bool isValidCidr(std::string_view s);

}  // namespace apiserver::plugins::core
