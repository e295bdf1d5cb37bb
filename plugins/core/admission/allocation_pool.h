#pragma once

#include "core/util/ip.h"

#include <cstdint>
#include <optional>
#include <set>
#include <string>

/// @file allocation_pool.h
/// The service cluster-IP range and node-port range: which values are valid, and which free one
/// to hand out next. Pure logic over a set of used values (the callers find those in storage).

namespace apiserver::plugins::core {

/// ClusterIpPool hands out IPv4 addresses of a service CIDR. Like kube's allocator it never
/// hands out the network and broadcast addresses, keeps the first address (10.96.0.1 for
/// 10.96.0.0/12) for the `kubernetes` service, and serves dynamic requests from the addresses
/// above a static band (the first min(max(16, size/16), 256)) before falling back to the band,
/// so that explicitly chosen low addresses (e.g. 10.96.0.10 for DNS) rarely collide.
class ClusterIpPool {
 public:
  /// ClusterIpPool serves addresses of `range`.
  explicit ClusterIpPool(Ipv4Cidr range);

  /// range is the service CIDR.
  const Ipv4Cidr& range() const { return range_; }
  /// next returns a free address, or nullopt when the range is full.
  std::optional<std::uint32_t> next(const std::set<std::uint32_t>& used) const;
  /// check returns "" when `ip` may be allocated, else kube's reason ("provided IP is already
  /// allocated", "the provided IP (…) is not in the valid range. …").
  std::string check(std::uint32_t ip, const std::set<std::uint32_t>& used) const;

 private:
  Ipv4Cidr range_;
  std::uint32_t first_;  ///< lowest allocatable address (network + 1)
  std::uint32_t last_;   ///< highest allocatable address (broadcast - 1)
  std::uint32_t dynamicStart_;
};

/// NodePortPool hands out node ports of a range (30000-32767). Dynamic requests are served
/// above a static band (the first min(max(16, size/32), 128) ports) first, as kube does.
class NodePortPool {
 public:
  /// NodePortPool serves ports first..last (inclusive).
  NodePortPool(std::int64_t first, std::int64_t last);

  /// next returns a free port, or nullopt when the range is full.
  std::optional<std::int64_t> next(const std::set<std::int64_t>& used) const;
  /// check returns "" when `port` may be allocated, else kube's reason.
  std::string check(std::int64_t port, const std::set<std::int64_t>& used) const;
  /// rangeText is "30000-32767".
  std::string rangeText() const;

 private:
  std::int64_t first_;
  std::int64_t last_;
  std::int64_t dynamicStart_;
};

}  // namespace apiserver::plugins::core
