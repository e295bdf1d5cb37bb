#include "core/admission/allocation_pool.h"

#include <algorithm>

namespace apiserver::plugins::core {

namespace {

/// firstFree scans [from, to] for a value not in `used`.
template <class T>
std::optional<T> firstFree(T from, T to, const std::set<T>& used) {
  if (from > to)
    return std::nullopt;
  auto it = used.lower_bound(from);
  for (T v = from;; ++v) {
    while (it != used.end() && *it < v)
      ++it;
    if (it == used.end() || *it != v)
      return v;
    if (v == to)
      return std::nullopt;
  }
}

}  // namespace

ClusterIpPool::ClusterIpPool(Ipv4Cidr range) : range_(range) {
  // A /31 or /32 has no usable addresses apart from the range itself; guard the arithmetic.
  first_ = range_.first() + 1;
  last_ = range_.last() > range_.first() ? range_.last() - 1 : range_.first();
  std::uint64_t size = last_ >= first_ ? std::uint64_t{last_} - first_ + 1 : 0;
  std::uint64_t band = std::min<std::uint64_t>(std::max<std::uint64_t>(16, size / 16), 256);
  dynamicStart_ = size > band ? first_ + static_cast<std::uint32_t>(band) : first_;
  // The first address is never handed out dynamically, whatever the range's size.
  if (dynamicStart_ == first_ && size > 1)
    dynamicStart_ = first_ + 1;
}

std::optional<std::uint32_t> ClusterIpPool::next(const std::set<std::uint32_t>& used) const {
  if (last_ < first_)
    return std::nullopt;
  if (auto ip = firstFree(dynamicStart_, last_, used))
    return ip;
  // Fall back to the static band, still keeping the first address for the kubernetes service.
  if (dynamicStart_ > first_ + 1)
    return firstFree(first_ + 1, dynamicStart_ - 1, used);
  return std::nullopt;
}

std::string ClusterIpPool::check(std::uint32_t ip, const std::set<std::uint32_t>& used) const {
  if (ip < first_ || ip > last_)
    return "the provided IP (" + formatIpv4(ip) +
           ") is not in the valid range. The range of "
           "valid IPs is " +
           range_.str();
  if (used.count(ip) != 0)
    return "provided IP is already allocated";
  return {};
}

NodePortPool::NodePortPool(std::int64_t first, std::int64_t last) : first_(first), last_(last) {
  std::int64_t size = last_ >= first_ ? last_ - first_ + 1 : 0;
  std::int64_t band = std::min<std::int64_t>(std::max<std::int64_t>(16, size / 32), 128);
  dynamicStart_ = size > band ? first_ + band : first_;
}

std::optional<std::int64_t> NodePortPool::next(const std::set<std::int64_t>& used) const {
  if (auto p = firstFree(dynamicStart_, last_, used))
    return p;
  if (dynamicStart_ > first_)
    return firstFree(first_, dynamicStart_ - 1, used);
  return std::nullopt;
}

std::string NodePortPool::check(std::int64_t port, const std::set<std::int64_t>& used) const {
  if (port < first_ || port > last_)
    return "provided port is not in the valid range. The range of valid ports is " + rangeText();
  if (used.count(port) != 0)
    return "provided port is already allocated";
  return {};
}

std::string NodePortPool::rangeText() const {
  return std::to_string(first_) + "-" + std::to_string(last_);
}

}  // namespace apiserver::plugins::core
