#pragma once

#include <apiserver/schema.h>
#include <apiserver/strategy.h>

#include <boost/json/object.hpp>

#include <memory>
#include <string_view>

/// @file services.h
/// The services resource (kube's pkg/registry/core/service: strategy, defaults, validation and
/// printing; cluster IPs and node ports are allocated by the ServiceAllocator admission step).

namespace apiserver::plugins::core {

/// serviceResourceSpec describes services: namespaced, short name "svc", category "all", a
/// status subresource, DNS-1035 label names.
ResourceSpec serviceResourceSpec();

/// serviceStrategy defaults, validates and prints services.
std::shared_ptr<const Strategy> serviceStrategy();

/// defaultService applies kube's v1 defaults (type ClusterIP, sessionAffinity None, port
/// protocol TCP, targetPort = port, traffic policies, allocateLoadBalancerNodePorts, ClientIP
/// affinity timeout). Idempotent.
void defaultService(boost::json::object& svc);

/// serviceType returns spec.type, or "ClusterIP" when unset.
std::string_view serviceType(const boost::json::object& svc);

/// serviceNeedsClusterIp: every type but ExternalName gets cluster IPs (unless headless).
bool serviceNeedsClusterIp(const boost::json::object& svc);

/// serviceNeedsNodePorts: NodePort and LoadBalancer services get node ports.
bool serviceNeedsNodePorts(const boost::json::object& svc);

/// serviceIsHeadless: spec.clusterIP (or clusterIPs[0]) is "None".
bool serviceIsHeadless(const boost::json::object& svc);

/// reconcileServiceAllocation keeps spec.clusterIP and spec.clusterIPs in step and, on update
/// (`old` set), carries the stored object's cluster IPs and node ports into `svc` where the
/// client left them out (kube's normalizeClusterIPs and patchAllocatedValues). Idempotent: the
/// strategy and the allocator both call it, so their order does not matter.
void reconcileServiceAllocation(boost::json::object& svc, const boost::json::object* old);

}  // namespace apiserver::plugins::core
