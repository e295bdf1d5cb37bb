#pragma once

#include "core/admission/allocation_pool.h"

#include <apiserver/registry.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

/// @file service_allocator.h
/// ServiceAllocator: allocates services' cluster IPs and node ports (what kube's service REST
/// storage does with its ipallocator and portallocator).

namespace apiserver::plugins::core {

/// ServiceAllocatorOptions configures the ranges.
struct ServiceAllocatorOptions {
  Ipv4Cidr serviceCidr{0x0a600000u, 12};  ///< 10.96.0.0/12
  std::int64_t nodePortFirst = 30000;
  std::int64_t nodePortLast = 32767;
  /// reservationTtl is how long an address handed out to a create that has not reached storage
  /// yet stays reserved (it is released early once the service shows up in a list).
  std::chrono::seconds reservationTtl{60};
};

/// ServiceAllocator is an admission step on creates and updates of core v1 services:
///  - ClusterIP, NodePort and LoadBalancer services without a cluster IP get a free one from
///    the service CIDR ("None" keeps a service headless); a requested IP must be in the range
///    and free, else 422 "failed to allocate IP …: provided IP is already allocated";
///  - NodePort and LoadBalancer services (unless allocateLoadBalancerNodePorts is false) get a
///    free node port for each port without one; a requested node port must be in range and
///    free; LoadBalancer services with externalTrafficPolicy Local get a healthCheckNodePort.
/// Used values are found by listing services through the Client. One mutex serialises
/// allocations in this process, and values handed out but not yet visible in storage stay
/// reserved, so concurrent creates never get the same value. Thread-safe.
class ServiceAllocator final : public AdmissionStep {
 public:
  /// kName is the step's name.
  static constexpr std::string_view kName = "ServiceAllocator";

  ServiceAllocator(std::shared_ptr<Client> client, std::shared_ptr<const WallClock> clock,
                   ServiceAllocatorOptions options = {});

  // apiserver::AdmissionStep
  std::string_view name() const override { return kName; }
  Result<void> admit(AdmissionAttributes& a) override;
  bool mayWait() const override { return false; }  // reads services only

 private:
  /// Reservation holds a value handed out to a write that has not reached storage yet.
  struct Reservation {
    std::string owner;  ///< "namespace/name" of the service it was handed to
    TimePoint expires;
  };

  /// Used collects the values taken by other services.
  struct Used {
    std::set<std::uint32_t> ips;
    std::set<std::int64_t> ports;
  };

  /// collectUsed lists the services and adds the live reservations, skipping `owner`'s own.
  Result<Used> collectUsed(std::string_view owner, TimePoint now);
  /// allocateClusterIp sets spec.clusterIP(s) when the service needs one; `taken` gets what it
  /// handed out.
  Result<void> allocateClusterIp(json::object& svc, const json::object* old, Used& used,
                                 std::string_view name, std::vector<std::uint32_t>& taken);
  /// allocateNodePorts fills spec.ports[*].nodePort (and healthCheckNodePort) as needed.
  Result<void> allocateNodePorts(json::object& svc, const json::object* old, Used& used,
                                 std::string_view name, std::vector<std::int64_t>& taken);

  std::shared_ptr<Client> client_;
  std::shared_ptr<const WallClock> clock_;
  ServiceAllocatorOptions options_;
  ClusterIpPool ipPool_;
  NodePortPool portPool_;
  std::mutex mutex_;  ///< guards the reservations and serialises allocations
  std::map<std::uint32_t, Reservation> reservedIps_;
  std::map<std::int64_t, Reservation> reservedPorts_;
};

}  // namespace apiserver::plugins::core
