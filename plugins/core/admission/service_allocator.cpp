#include "core/admission/service_allocator.h"

#include "core/resources/services.h"
#include "core/util/ip.h"
#include "core/util/json.h"

#include <apiserver/object.h>

#include <utility>
#include <vector>

namespace apiserver::plugins::core {

namespace {

const GroupResource kServices{"", "services"};
const GroupKind kServiceKind{"", "Service"};

std::string ownerOf(std::string_view ns, std::string_view name) {
  return std::string(ns) + "/" + std::string(name);
}

/// requestedClusterIp is clusterIPs[0], else clusterIP ("" when neither is set).
std::string requestedClusterIp(const json::object& svc) {
  if (const json::array* ips = arrayField(svc, "spec", "clusterIPs");
      ips != nullptr && !ips->empty())
    return std::string(stringOf(&(*ips)[0]));
  return std::string(stringField(svc, "", "spec", "clusterIP"));
}

/// nodePortsOf collects the node ports (and health check node port) a service holds.
std::set<std::int64_t> nodePortsOf(const json::object& svc) {
  std::set<std::int64_t> out;
  if (const json::array* ports = arrayField(svc, "spec", "ports")) {
    for (const auto& p : *ports) {
      const json::object* po = objectOf(&p);
      if (po == nullptr)
        continue;
      if (auto n = int64Of(po->if_contains("nodePort")); n && *n != 0)
        out.insert(*n);
    }
  }
  if (auto hc = int64Of(field(svc, "spec", "healthCheckNodePort")); hc && *hc != 0)
    out.insert(*hc);
  return out;
}

}  // namespace

ServiceAllocator::ServiceAllocator(std::shared_ptr<Client> client,
                                   std::shared_ptr<const WallClock> clock,
                                   ServiceAllocatorOptions options)
    : client_(std::move(client)),
      clock_(std::move(clock)),
      options_(options),
      ipPool_(options.serviceCidr),
      portPool_(options.nodePortFirst, options.nodePortLast) {}

Result<ServiceAllocator::Used> ServiceAllocator::collectUsed(std::string_view owner,
                                                             TimePoint now) {
  Used used;
  auto list = client_->list(kServices, "");
  if (!list)
    return std::move(list).error();
  std::set<std::string> seen;
  for (const auto& item : list->items) {
    std::string key = ownerOf(namespaceOf(item), nameOf(item));
    seen.insert(key);
    if (key == owner)
      continue;
    if (const json::array* ips = arrayField(item, "spec", "clusterIPs")) {
      for (const auto& ip : *ips)
        if (auto v4 = parseIpv4(stringOf(&ip)))
          used.ips.insert(*v4);
    } else if (auto v4 = parseIpv4(stringField(item, "", "spec", "clusterIP"))) {
      used.ips.insert(*v4);
    }
    for (auto p : nodePortsOf(item))
      used.ports.insert(p);
  }
  // Reservations end when they expire or once their service is in storage (the list above
  // then accounts for the values).
  auto sweep = [&](auto& reservations, auto& into) {
    for (auto it = reservations.begin(); it != reservations.end();) {
      if (it->second.expires <= now || seen.count(it->second.owner) != 0) {
        it = reservations.erase(it);
        continue;
      }
      if (it->second.owner != owner)
        into.insert(it->first);
      ++it;
    }
  };
  sweep(reservedIps_, used.ips);
  sweep(reservedPorts_, used.ports);
  return used;
}

Result<void> ServiceAllocator::allocateClusterIp(json::object& svc, const json::object* old,
                                                 Used& used, std::string_view name,
                                                 std::vector<std::uint32_t>& taken) {
  if (!serviceNeedsClusterIp(svc) || serviceIsHeadless(svc))
    return {};
  json::object* spec = ensureObject(svc, "spec");
  if (spec == nullptr)
    return {};
  // An update keeps the cluster IP it had (changing it is refused by validation); only a
  // service that had none (e.g. it was ExternalName) gets one.
  if (old != nullptr && serviceNeedsClusterIp(*old) && !requestedClusterIp(*old).empty())
    return {};
  std::string requested = requestedClusterIp(svc);
  std::uint32_t ip = 0;
  if (requested.empty()) {
    auto next = ipPool_.next(used.ips);
    if (!next)
      return ApiError::internal("failed to allocate a serviceIP: range is full");
    ip = *next;
  } else {
    auto v4 = parseIpv4(requested);
    if (!v4) {
      if (isValidIp(requested)) {
        const json::value* ips = spec->if_contains("clusterIPs");
        return ApiError::invalid(
            kServiceKind, name,
            {invalidField("spec.clusterIPs[0]", ips != nullptr ? *ips : json::value(requested),
                          "IPv6 is not configured on this cluster")});
      }
      return {};  // not an IP at all: validation reports it
    }
    if (std::string why = ipPool_.check(*v4, used.ips); !why.empty()) {
      json::array ips;
      if (const json::array* given = arrayOf(spec->if_contains("clusterIPs"));
          given != nullptr && !given->empty()) {
        ips = *given;
      } else {
        ips.emplace_back(requested);
      }
      return ApiError::invalid(kServiceKind, name,
                               {invalidField("spec.clusterIPs", std::move(ips),
                                             "failed to allocate IP " + requested + ": " + why)});
    }
    ip = *v4;
  }
  std::string text = formatIpv4(ip);
  (*spec)["clusterIP"] = text;
  json::value& ips = (*spec)["clusterIPs"];
  if (!ips.is_array() || ips.get_array().empty()) {
    ips = json::array{json::value(text)};
  } else {
    ips.get_array()[0] = json::value(text);
  }
  used.ips.insert(ip);
  taken.push_back(ip);
  return {};
}

Result<void> ServiceAllocator::allocateNodePorts(json::object& svc, const json::object* old,
                                                 Used& used, std::string_view name,
                                                 std::vector<std::int64_t>& taken) {
  if (!serviceNeedsNodePorts(svc))
    return {};
  json::object* spec = mutableObject(svc, "spec");
  if (spec == nullptr)
    return {};
  const std::set<std::int64_t> owned =
      old != nullptr && serviceNeedsNodePorts(*old) ? nodePortsOf(*old) : std::set<std::int64_t>{};
  const bool allocateNew = serviceType(svc) != "LoadBalancer" ||
                           boolOf(spec->if_contains("allocateLoadBalancerNodePorts"), true);
  std::set<std::int64_t> mine;  // ports this service already holds in this request
  auto claim = [&](std::int64_t port, const std::string& path) -> Result<void> {
    if (mine.count(port) != 0 || owned.count(port) != 0) {
      // Already this service's: keep it, and keep it out of what allocateNext may pick.
      mine.insert(port);
      used.ports.insert(port);
      return {};
    }
    if (std::string why = portPool_.check(port, used.ports); !why.empty())
      return ApiError::invalid(kServiceKind, name, {invalidField(path, json::value(port), why)});
    used.ports.insert(port);
    mine.insert(port);
    taken.push_back(port);
    return {};
  };
  // Node ports this request names explicitly are never handed to its other ports.
  std::set<std::int64_t> requestedHere;
  if (const json::array* ports = arrayOf(spec->if_contains("ports")))
    for (const auto& p : *ports)
      if (const json::object* po = objectOf(&p))
        if (auto n = int64Of(po->if_contains("nodePort")); n && *n != 0)
          requestedHere.insert(*n);
  auto allocateNext = [&]() -> Result<std::int64_t> {
    std::set<std::int64_t> exclude = used.ports;
    exclude.insert(requestedHere.begin(), requestedHere.end());
    auto next = portPool_.next(exclude);
    if (!next)
      return ApiError::internal("failed to allocate a nodePort: range is full");
    used.ports.insert(*next);
    mine.insert(*next);
    taken.push_back(*next);
    return *next;
  };

  if (json::array* ports = mutableArray(*spec, "ports")) {
    // Ports with the same number (e.g. TCP and UDP 53) share one node port, as in kube.
    std::map<std::int64_t, std::int64_t> byServicePort;
    for (std::size_t i = 0; i < ports->size(); ++i) {
      if (!(*ports)[i].is_object())
        continue;
      json::object& port = (*ports)[i].get_object();
      const std::string path = "spec.ports[" + std::to_string(i) + "].nodePort";
      std::int64_t servicePort = int64Of(port.if_contains("port")).value_or(0);
      std::int64_t nodePort = int64Of(port.if_contains("nodePort")).value_or(0);
      if (nodePort == 0 && !allocateNew)
        continue;
      if (nodePort != 0) {
        if (auto r = claim(nodePort, path); !r)
          return r;
        byServicePort.emplace(servicePort, nodePort);
        continue;
      }
      if (auto it = byServicePort.find(servicePort); it != byServicePort.end()) {
        port["nodePort"] = it->second;
        continue;
      }
      // A later port with the same number may have asked for a specific node port.
      std::int64_t requested = 0;
      for (std::size_t k = i + 1; k < ports->size() && requested == 0; ++k) {
        const json::object* other = objectOf(&(*ports)[k]);
        if (other != nullptr && int64Of(other->if_contains("port")).value_or(0) == servicePort)
          requested = int64Of(other->if_contains("nodePort")).value_or(0);
      }
      if (requested != 0) {
        if (auto r = claim(requested, path); !r)
          return r;
        port["nodePort"] = requested;
        byServicePort.emplace(servicePort, requested);
        continue;
      }
      auto next = allocateNext();
      if (!next)
        return std::move(next).error();
      port["nodePort"] = *next;
      byServicePort.emplace(servicePort, *next);
    }
  }

  if (serviceType(svc) == "LoadBalancer" &&
      stringOf(spec->if_contains("externalTrafficPolicy")) == "Local") {
    std::int64_t hc = int64Of(spec->if_contains("healthCheckNodePort")).value_or(0);
    if (hc == 0 && old != nullptr)
      hc = int64Of(field(*old, "spec", "healthCheckNodePort")).value_or(0);
    if (hc != 0) {
      if (auto r = claim(hc, "spec.healthCheckNodePort"); !r)
        return r;
      (*spec)["healthCheckNodePort"] = hc;
    } else {
      auto next = allocateNext();
      if (!next)
        return std::move(next).error();
      (*spec)["healthCheckNodePort"] = *next;
    }
  }
  return {};
}

Result<void> ServiceAllocator::admit(AdmissionAttributes& a) {
  if (a.resource == nullptr || a.object == nullptr || !a.subresource.empty())
    return {};
  if (GroupResource{a.resource->group, a.resource->plural} != kServices)
    return {};
  if (a.operation != Operation::Create && a.operation != Operation::Update)
    return {};
  json::object& svc = *a.object;
  const json::object* old = a.operation == Operation::Update ? a.oldObject : nullptr;
  reconcileServiceAllocation(svc, old);
  if (!serviceNeedsClusterIp(svc))
    return {};
  // Skip the list when there is nothing to allocate.
  const bool keepsOldIp =
      old != nullptr && serviceNeedsClusterIp(*old) && !requestedClusterIp(*old).empty();
  if (!serviceNeedsNodePorts(svc) && (serviceIsHeadless(svc) || keepsOldIp))
    return {};

  const std::string name(a.name.empty() ? nameOf(svc) : a.name);
  const std::string ns(a.namespace_.empty() ? namespaceOf(svc) : a.namespace_);
  const std::string owner = ownerOf(ns, name);
  if (!client_)
    return ApiError::internal("ServiceAllocator has no client");

  // Listing and picking happen under one lock so that two creates in this process never pick
  // the same value; the reservations cover the time until the first one is stored.
  std::lock_guard lock(mutex_);
  const TimePoint now = clock_ ? clock_->now() : Clock::now();
  auto used = collectUsed(owner, now);
  if (!used)
    return std::move(used).error();
  std::vector<std::uint32_t> ips;
  std::vector<std::int64_t> ports;
  if (auto r = allocateClusterIp(svc, old, *used, name, ips); !r)
    return r;
  if (auto r = allocateNodePorts(svc, old, *used, name, ports); !r)
    return r;
  if (a.dryRun)
    return {};
  const TimePoint expires = now + options_.reservationTtl;
  for (auto ip : ips)
    reservedIps_[ip] = {owner, expires};
  for (auto p : ports)
    reservedPorts_[p] = {owner, expires};
  return {};
}

}  // namespace apiserver::plugins::core
