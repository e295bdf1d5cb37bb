#include "core/resources/services.h"

#include "core/schema/schemas.h"
#include "core/util/ip.h"
#include "core/util/json.h"
#include "core/util/table.h"
#include "core/util/validation.h"

#include <apiserver/object.h>
#include <apiserver/validation.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace apiserver::plugins::core {

namespace {

const std::vector<std::string> kServiceTypes = {"ClusterIP", "ExternalName", "LoadBalancer",
                                                "NodePort"};
const std::vector<std::string> kSessionAffinities = {"ClientIP", "None"};
const std::vector<std::string> kIpFamilyPolicies = {"PreferDualStack", "RequireDualStack",
                                                    "SingleStack"};
const std::vector<std::string> kIpFamilies = {"IPv4", "IPv6"};
const std::vector<std::string> kTrafficPolicies = {"Cluster", "Local"};
constexpr std::int64_t kDefaultClientIpTimeoutSeconds = 10800;

bool contains(const std::vector<std::string>& list, std::string_view v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

bool externallyAccessible(const json::object& svc) {
  std::string_view t = serviceType(svc);
  if (t == "LoadBalancer" || t == "NodePort")
    return true;
  const json::array* ext = arrayField(svc, "spec", "externalIPs");
  return t == "ClusterIP" && ext != nullptr && !ext->empty();
}

/// firstClusterIp returns clusterIPs[0], else clusterIP.
std::string_view firstClusterIp(const json::object& svc) {
  if (const json::array* ips = arrayField(svc, "spec", "clusterIPs");
      ips != nullptr && !ips->empty())
    return stringOf(&(*ips)[0]);
  return stringField(svc, "", "spec", "clusterIP");
}

/// normalizeClusterIps keeps spec.clusterIP and spec.clusterIPs in step (kube's
/// normalizeClusterIPs for a create or an update that set only one of them).
void normalizeClusterIps(json::object& spec) {
  std::string_view ip = stringOf(spec.if_contains("clusterIP"));
  const json::array* ips = arrayOf(spec.if_contains("clusterIPs"));
  if (!ip.empty() && (ips == nullptr || ips->empty())) {
    spec["clusterIPs"] = json::array{json::value(ip)};
  } else if (ip.empty() && ips != nullptr && !ips->empty() && (*ips)[0].is_string()) {
    spec["clusterIP"] = json::value((*ips)[0]);
  }
}

/// initIpFamilies defaults ipFamilyPolicy and ipFamilies as kube's initIPFamilyFields does on
/// a single-stack IPv4 cluster; `old` is the stored object on update.
void initIpFamilies(json::object& svc, const json::object* old) {
  json::object* spec = mutableObject(svc, "spec");
  if (spec == nullptr || !serviceNeedsClusterIp(svc))
    return;
  const bool headlessSelectorless =
      serviceIsHeadless(svc) && isEmptyValue(spec->if_contains("selector"));
  if (!isSet(*spec, "ipFamilyPolicy")) {
    const json::value* oldPolicy = old != nullptr ? field(*old, "spec", "ipFamilyPolicy") : nullptr;
    if (oldPolicy != nullptr && oldPolicy->is_string()) {
      (*spec)["ipFamilyPolicy"] = *oldPolicy;
    } else {
      (*spec)["ipFamilyPolicy"] = headlessSelectorless ? "RequireDualStack" : "SingleStack";
    }
  }
  json::value& families = (*spec)["ipFamilies"];
  if (!families.is_array())
    families = json::array();
  json::array& fam = families.get_array();
  if (const json::array* ips = arrayOf(spec->if_contains("clusterIPs"))) {
    for (std::size_t i = 0; i < ips->size() && i >= fam.size(); ++i) {
      std::string_view ip = stringOf(&(*ips)[i]);
      if (ip == "None" || !isValidIp(ip))
        break;
      fam.emplace_back(isIpv4(ip) ? "IPv4" : "IPv6");
    }
  }
  if (fam.empty())
    fam.emplace_back("IPv4");
  if (headlessSelectorless && fam.size() < 2 &&
      stringOf(spec->if_contains("ipFamilyPolicy")) != "SingleStack")
    fam.emplace_back(stringOf(&fam[0]) == "IPv4" ? "IPv6" : "IPv4");
}

bool sameValue(const json::value* a, const json::value* b) {
  static const json::value kNull;
  return semanticEqual(a != nullptr ? *a : kNull, b != nullptr ? *b : kNull);
}

/// nodePortsOf lists the ports' nodePort values (0 when unset).
std::vector<std::int64_t> nodePortsOf(const json::object& svc) {
  std::vector<std::int64_t> out;
  if (const json::array* ports = arrayField(svc, "spec", "ports")) {
    for (const auto& p : *ports) {
      const json::object* po = objectOf(&p);
      out.push_back(po != nullptr ? int64Of(po->if_contains("nodePort")).value_or(0) : 0);
    }
  }
  return out;
}

/// dropTypeDependentFields clears what a type change made meaningless, when the client left it
/// as it was (kube's dropTypeDependentFields).
void dropTypeDependentFields(json::object& svc, const json::object& old) {
  json::object* spec = mutableObject(svc, "spec");
  if (spec == nullptr)
    return;
  const json::object* oldSpec = objectField(old, "spec");
  auto oldField = [oldSpec](std::string_view k) {
    return oldSpec != nullptr ? oldSpec->if_contains(k) : nullptr;
  };
  if (serviceNeedsClusterIp(old) && !serviceNeedsClusterIp(svc)) {
    if (sameValue(spec->if_contains("clusterIP"), oldField("clusterIP")) &&
        sameValue(spec->if_contains("clusterIPs"), oldField("clusterIPs"))) {
      spec->erase("clusterIP");
      spec->erase("clusterIPs");
    }
    if (sameValue(spec->if_contains("ipFamilies"), oldField("ipFamilies")))
      spec->erase("ipFamilies");
    if (sameValue(spec->if_contains("ipFamilyPolicy"), oldField("ipFamilyPolicy")))
      spec->erase("ipFamilyPolicy");
  }
  if (serviceNeedsNodePorts(old) && !serviceNeedsNodePorts(svc) &&
      nodePortsOf(svc) == nodePortsOf(old)) {
    if (json::array* ports = mutableArray(*spec, "ports"))
      for (auto& p : *ports)
        if (p.is_object())
          p.get_object().stable_erase("nodePort");
  }
  if (serviceType(old) == "LoadBalancer" && serviceType(svc) != "LoadBalancer" &&
      sameValue(spec->if_contains("allocateLoadBalancerNodePorts"),
                oldField("allocateLoadBalancerNodePorts")))
    spec->erase("allocateLoadBalancerNodePorts");
  if (externallyAccessible(old) && !externallyAccessible(svc) &&
      sameValue(spec->if_contains("externalTrafficPolicy"), oldField("externalTrafficPolicy")))
    spec->erase("externalTrafficPolicy");
  if (serviceNeedsClusterIp(old) && !serviceNeedsClusterIp(svc) &&
      sameValue(spec->if_contains("internalTrafficPolicy"), oldField("internalTrafficPolicy")))
    spec->erase("internalTrafficPolicy");
}

/// patchAllocatedValues carries the allocated cluster IPs and node ports of the stored object
/// into an update that left them out (kube's patchAllocatedValues), so that `kubectl apply`
/// of a manifest without them keeps them.
void patchAllocatedValues(json::object& svc, const json::object& old) {
  json::object* spec = mutableObject(svc, "spec");
  const json::object* oldSpec = objectField(old, "spec");
  if (spec == nullptr || oldSpec == nullptr)
    return;
  if (serviceNeedsClusterIp(old) && serviceNeedsClusterIp(svc)) {
    if (stringOf(spec->if_contains("clusterIP")).empty() && isSet(*oldSpec, "clusterIP"))
      (*spec)["clusterIP"] = *oldSpec->if_contains("clusterIP");
    if (isEmptyValue(spec->if_contains("clusterIPs")) &&
        !isEmptyValue(oldSpec->if_contains("clusterIPs")))
      (*spec)["clusterIPs"] = *oldSpec->if_contains("clusterIPs");
  }
  if (serviceNeedsNodePorts(old) && serviceNeedsNodePorts(svc)) {
    std::set<std::int64_t> oldUsed;
    std::set<std::int64_t> used;
    for (auto p : nodePortsOf(old))
      if (p != 0)
        oldUsed.insert(p);
    for (auto p : nodePortsOf(svc))
      if (p != 0 && oldUsed.count(p) != 0)
        used.insert(p);
    std::vector<std::pair<std::string, std::int64_t>> byName;
    if (const json::array* ports = arrayOf(oldSpec->if_contains("ports")))
      for (const auto& p : *ports)
        if (const json::object* po = objectOf(&p))
          byName.emplace_back(std::string(stringOf(po->if_contains("name"))),
                              int64Of(po->if_contains("nodePort")).value_or(0));
    if (json::array* ports = mutableArray(*spec, "ports")) {
      for (auto& p : *ports) {
        if (!p.is_object() || int64Of(p.get_object().if_contains("nodePort")).value_or(0) != 0)
          continue;
        std::string_view name = stringOf(p.get_object().if_contains("name"));
        std::int64_t oldVal = 0;
        for (const auto& [n, v] : byName)
          if (n == name)
            oldVal = v;  // the last port of that name wins, as a Go map does
        if (oldVal != 0 && used.count(oldVal) == 0)
          p.get_object()["nodePort"] = oldVal;
      }
    }
  }
}

void validateServicePort(const json::object& port, bool requireName,
                         std::set<std::string, std::less<>>& names, const std::string& path,
                         FieldErrors& out) {
  std::string_view name = stringOf(port.if_contains("name"));
  if (requireName && name.empty()) {
    out.push_back(requiredField(childPath(path, "name")));
  } else if (!name.empty()) {
    validateDns1123Label(name, path, "name", out);
    if (names.count(name) != 0) {
      out.push_back(duplicateField(childPath(path, "name"), json::value(name)));
    } else {
      names.emplace(name);
    }
  }
  const json::value* portValue = port.if_contains("port");
  std::int64_t portNum = int64Of(portValue).value_or(0);
  for (auto& m : isValidPortNum(portNum))
    out.push_back(invalidField(childPath(path, "port"), json::value(portNum), m));
  validateProtocol(port.if_contains("protocol"), path, "protocol", out);
  if (const json::value* target = port.if_contains("targetPort");
      target != nullptr && !target->is_null())
    validatePortNumOrName(*target, childPath(path, "targetPort"), out);
  if (const json::value* np = port.if_contains("nodePort"); np != nullptr && !np->is_null()) {
    auto n = int64Of(np);
    if (!n || *n < 0 || *n > 65535)
      out.push_back(invalidField(childPath(path, "nodePort"), *np, inclusiveRangeError(0, 65535)));
  }
}

void validateClusterIps(const json::object& svc, FieldErrors& out) {
  const json::object* spec = objectField(svc, "spec");
  if (spec == nullptr)
    return;
  std::string_view clusterIp = stringOf(spec->if_contains("clusterIP"));
  const json::array* ips = arrayOf(spec->if_contains("clusterIPs"));
  if (ips == nullptr)
    return;
  if (!clusterIp.empty() && !ips->empty() && stringOf(&(*ips)[0]) != clusterIp)
    out.push_back(invalidField("spec.clusterIPs", *ips, "first value must match `clusterIP`"));
  for (std::size_t i = 0; i < ips->size(); ++i) {
    std::string_view ip = stringOf(&(*ips)[i]);
    if (i == 0 && ip == "None") {
      if (ips->size() > 1)
        out.push_back(
            invalidField("spec.clusterIPs", *ips, "'None' must be the first and only value"));
      continue;
    }
    validateIp(ip, indexPath("spec.clusterIPs", i), out);
  }
  if (ips->size() > 2)
    out.push_back(invalidField("spec.clusterIPs", *ips, "may only hold up to 2 values"));
}

FieldErrors validateService(const json::object& svc) {
  FieldErrors errs;
  static const json::object kEmpty;
  const json::object* specPtr = objectField(svc, "spec");
  const json::object& spec = specPtr != nullptr ? *specPtr : kEmpty;
  std::string_view type = stringOf(spec.if_contains("type"));
  const json::array* ports = arrayOf(spec.if_contains("ports"));
  const bool headless = serviceIsHeadless(svc);

  if ((ports == nullptr || ports->empty()) && !headless && type != "ExternalName")
    errs.push_back(requiredField("spec.ports"));

  if (type.empty()) {
    errs.push_back(requiredField("spec.type"));
  } else if (!contains(kServiceTypes, type)) {
    errs.push_back(notSupportedField("spec.type", json::value(type), kServiceTypes));
  }

  if (type == "ExternalName") {
    if (!isEmptyValue(spec.if_contains("clusterIPs")) ||
        !stringOf(spec.if_contains("clusterIP")).empty())
      errs.push_back(forbiddenField("spec.clusterIPs", "may not be set for ExternalName services"));
    if (!isEmptyValue(spec.if_contains("ipFamilies")))
      errs.push_back(forbiddenField("spec.ipFamilies", "may not be set for ExternalName services"));
    if (isSet(spec, "ipFamilyPolicy"))
      errs.push_back(
          forbiddenField("spec.ipFamilyPolicy", "may not be set for ExternalName services"));
    std::string_view cname = stringOf(spec.if_contains("externalName"));
    if (!cname.empty() && cname.back() == '.')
      cname.remove_suffix(1);
    if (cname.empty()) {
      errs.push_back(requiredField("spec.externalName"));
    } else {
      validateDns1123Subdomain(cname, "spec.externalName", errs);
    }
  }
  if ((type == "NodePort" || type == "LoadBalancer") && headless)
    errs.push_back(invalidField("spec.clusterIPs[0]", json::value(firstClusterIp(svc)),
                                "may not be set to 'None' for " + std::string(type) + " services"));

  validateClusterIps(svc, errs);

  if (ports != nullptr) {
    std::set<std::string, std::less<>> names;
    std::set<std::pair<std::string, std::int64_t>> seenPorts;
    std::set<std::pair<std::string, std::int64_t>> seenNodePorts;
    for (std::size_t i = 0; i < ports->size(); ++i) {
      const std::string p = indexPath("spec.ports", i);
      const json::object* port = objectOf(&(*ports)[i]);
      if (port == nullptr) {
        errs.push_back(invalidField(p, (*ports)[i], "must be an object"));
        continue;
      }
      validateServicePort(*port, ports->size() > 1, names, p, errs);
      std::string protocol(stringOf(port->if_contains("protocol")));
      std::int64_t number = int64Of(port->if_contains("port")).value_or(0);
      if (!seenPorts.emplace(protocol, number).second) {
        json::object key;
        key["port"] = number;
        key["protocol"] = protocol;
        errs.push_back(duplicateField(p, std::move(key)));
      }
      std::int64_t nodePort = int64Of(port->if_contains("nodePort")).value_or(0);
      if (nodePort != 0) {
        if (type == "ClusterIP")
          errs.push_back(forbiddenField(childPath(p, "nodePort"),
                                        "may not be used when `type` is 'ClusterIP'"));
        if (!seenNodePorts.emplace(protocol, nodePort).second)
          errs.push_back(duplicateField(childPath(p, "nodePort"), json::value(nodePort)));
      }
    }
  }

  if (const json::value* selector = spec.if_contains("selector"))
    validation::validateLabels(selector, "spec.selector", errs);

  std::string_view affinity = stringOf(spec.if_contains("sessionAffinity"));
  if (affinity.empty()) {
    errs.push_back(requiredField("spec.sessionAffinity"));
  } else if (!contains(kSessionAffinities, affinity)) {
    errs.push_back(
        notSupportedField("spec.sessionAffinity", json::value(affinity), kSessionAffinities));
  } else if (affinity == "ClientIP") {
    auto timeout = int64Of(field(spec, "sessionAffinityConfig", "clientIP", "timeoutSeconds"));
    if (!timeout || *timeout <= 0 || *timeout > 86400)
      errs.push_back(invalidField("spec.sessionAffinityConfig.clientIP.timeoutSeconds",
                                  json::value(timeout.value_or(0)), inclusiveRangeError(1, 86400)));
  } else if (isSet(spec, "sessionAffinityConfig")) {
    errs.push_back(invalidField("spec.sessionAffinityConfig",
                                *spec.if_contains("sessionAffinityConfig"),
                                "must not be set when session affinity is None"));
  }

  if (std::string_view policy = stringOf(spec.if_contains("ipFamilyPolicy"));
      !policy.empty() && !contains(kIpFamilyPolicies, policy))
    errs.push_back(
        notSupportedField("spec.ipFamilyPolicy", json::value(policy), kIpFamilyPolicies));
  if (const json::array* families = arrayOf(spec.if_contains("ipFamilies"))) {
    for (std::size_t i = 0; i < families->size(); ++i) {
      std::string_view f = stringOf(&(*families)[i]);
      if (!contains(kIpFamilies, f))
        errs.push_back(
            notSupportedField(indexPath("spec.ipFamilies", i), (*families)[i], kIpFamilies));
    }
    if (families->size() > 2)
      errs.push_back(invalidField("spec.ipFamilies", *families, "may only hold up to 2 values"));
  }

  if (const json::array* external = arrayOf(spec.if_contains("externalIPs"))) {
    for (std::size_t i = 0; i < external->size(); ++i) {
      std::string_view ip = stringOf(&(*external)[i]);
      const std::string p = indexPath("spec.externalIPs", i);
      std::size_t before = errs.size();
      validateIp(ip, p, errs);
      if (errs.size() == before)
        validateNonSpecialIp(ip, p, errs);
    }
  }

  std::string_view etp = stringOf(spec.if_contains("externalTrafficPolicy"));
  if (!externallyAccessible(svc)) {
    if (!etp.empty())
      errs.push_back(invalidField("spec.externalTrafficPolicy", json::value(etp),
                                  "may only be set for externally-accessible services"));
  } else if (etp.empty()) {
    errs.push_back(requiredField("spec.externalTrafficPolicy"));
  } else if (!contains(kTrafficPolicies, etp)) {
    errs.push_back(
        notSupportedField("spec.externalTrafficPolicy", json::value(etp), kTrafficPolicies));
  }
  if (std::string_view itp = stringOf(spec.if_contains("internalTrafficPolicy"));
      !itp.empty() && !contains(kTrafficPolicies, itp))
    errs.push_back(
        notSupportedField("spec.internalTrafficPolicy", json::value(itp), kTrafficPolicies));
  return errs;
}

std::string externalIpCell(const json::object& svc) {
  std::string_view type = stringField(svc, "", "spec", "type");
  std::vector<std::string> external;
  if (const json::array* ips = arrayField(svc, "spec", "externalIPs"))
    for (const auto& ip : *ips)
      external.emplace_back(stringOf(&ip));
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v)
      s += (s.empty() ? "" : ",") + x;
    return s;
  };
  if (type == "ClusterIP" || type == "NodePort")
    return external.empty() ? "<none>" : join(external);
  if (type == "LoadBalancer") {
    std::set<std::string> lb;
    if (const json::array* ingress = arrayField(svc, "status", "loadBalancer", "ingress")) {
      for (const auto& i : *ingress) {
        const json::object* io = objectOf(&i);
        if (io == nullptr)
          continue;
        std::string_view ip = stringOf(io->if_contains("ip"));
        std::string_view host = stringOf(io->if_contains("hostname"));
        if (!ip.empty()) {
          lb.emplace(ip);
        } else if (!host.empty()) {
          lb.emplace(host);
        }
      }
    }
    std::vector<std::string> all(lb.begin(), lb.end());
    all.insert(all.end(), external.begin(), external.end());
    return all.empty() ? "<pending>" : join(all);
  }
  if (type == "ExternalName")
    return std::string(stringField(svc, "", "spec", "externalName"));
  return "<unknown>";
}

std::string portsCell(const json::object& svc) {
  std::string out;
  if (const json::array* ports = arrayField(svc, "spec", "ports")) {
    for (const auto& p : *ports) {
      const json::object* po = objectOf(&p);
      if (po == nullptr)
        continue;
      std::string piece = std::to_string(int64Of(po->if_contains("port")).value_or(0));
      std::int64_t nodePort = int64Of(po->if_contains("nodePort")).value_or(0);
      if (nodePort > 0)
        piece += ":" + std::to_string(nodePort);
      piece += "/" + std::string(stringOf(po->if_contains("protocol")));
      out += (out.empty() ? "" : ",") + piece;
    }
  }
  return out.empty() ? "<none>" : out;
}

class ServiceStrategy final : public Strategy {
 public:
  void prepareForCreate(json::object& obj) const override {
    defaultService(obj);
    json::object status;
    status["loadBalancer"] = json::object();
    obj["status"] = std::move(status);
    reconcileServiceAllocation(obj, nullptr);
    initIpFamilies(obj, nullptr);
  }

  void prepareForUpdate(json::object& obj, const json::object& old) const override {
    defaultService(obj);
    dropTypeDependentFields(obj, old);
    reconcileServiceAllocation(obj, &old);
    initIpFamilies(obj, &old);
  }

  FieldErrors validate(const json::object& obj) const override { return validateService(obj); }

  FieldErrors validateUpdate(const json::object& obj, const json::object& old) const override {
    FieldErrors errs = validateService(obj);
    // The primary cluster IP and IP family are immutable, except across ExternalName.
    if (serviceNeedsClusterIp(obj) && serviceNeedsClusterIp(old)) {
      const json::array* newIps = arrayField(obj, "spec", "clusterIPs");
      const json::array* oldIps = arrayField(old, "spec", "clusterIPs");
      if (newIps != nullptr && oldIps != nullptr && !newIps->empty() && !oldIps->empty() &&
          stringOf(&(*newIps)[0]) != stringOf(&(*oldIps)[0]))
        errs.push_back(invalidField("spec.clusterIPs[0]", (*newIps)[0], "may not change once set"));
      const json::array* newFam = arrayField(obj, "spec", "ipFamilies");
      const json::array* oldFam = arrayField(old, "spec", "ipFamilies");
      if (newFam != nullptr && oldFam != nullptr && !newFam->empty() && !oldFam->empty() &&
          stringOf(&(*newFam)[0]) != stringOf(&(*oldFam)[0]))
        errs.push_back(invalidField("spec.ipFamilies[0]", (*newFam)[0], "may not change once set"));
    }
    return errs;
  }

  FieldErrors validateStatusUpdate(const json::object& obj,
                                   const json::object& old) const override {
    (void)old;
    FieldErrors errs;
    if (const json::array* ingress = arrayField(obj, "status", "loadBalancer", "ingress")) {
      for (std::size_t i = 0; i < ingress->size(); ++i) {
        const json::object* io = objectOf(&(*ingress)[i]);
        if (io == nullptr)
          continue;
        const std::string p = indexPath("status.loadBalancer.ingress", i);
        if (std::string_view ip = stringOf(io->if_contains("ip")); !ip.empty())
          validateIp(ip, childPath(p, "ip"), errs);
        if (std::string_view host = stringOf(io->if_contains("hostname")); !host.empty()) {
          validateDns1123Subdomain(host, childPath(p, "hostname"), errs);
          if (isValidIp(host))
            errs.push_back(invalidField(childPath(p, "hostname"), json::value(host),
                                        "must be a DNS name, not an IP address"));
        }
      }
    }
    return errs;
  }

  // kube's service field label conversion: spec.clusterIP and spec.type.
  std::vector<std::string> selectableFieldNames() const override { return {"spec.clusterIP", "spec.type"}; }

  void selectableFields(const json::object& obj, SelectableFields& out) const override {
    out.emplace_back("spec.clusterIP", std::string(stringField(obj, "", "spec", "clusterIP")));
    out.emplace_back("spec.type", std::string(stringField(obj, "", "spec", "type")));
  }

  std::vector<TableColumn> tableColumns() const override {
    return {
        nameColumn(),
        column("Type",
               "type determines how the Service is exposed. Defaults to ClusterIP. Valid options "
               "are ExternalName, ClusterIP, NodePort, and LoadBalancer."),
        column("Cluster-IP",
               "clusterIP is the IP address of the service and is usually assigned randomly."),
        column("External-IP",
               "externalIPs is a list of IP addresses for which nodes in the cluster will also "
               "accept traffic for this service."),
        column("Port(s)", "The list of ports that are exposed by this service."),
        ageColumn(),
        column("Selector",
               "Route service traffic to pods with label keys and values matching this selector.",
               1),
    };
  }

  std::vector<json::value> tableRow(const json::object& obj, TimePoint now) const override {
    std::string clusterIp = "<none>";
    if (const json::array* ips = arrayField(obj, "spec", "clusterIPs");
        ips != nullptr && !ips->empty())
      clusterIp = stringOf(&(*ips)[0]);
    return {json::value(nameOf(obj)),
            json::value(stringField(obj, "", "spec", "type")),
            json::value(clusterIp),
            json::value(externalIpCell(obj)),
            json::value(portsCell(obj)),
            json::value(ageOf(obj, now)),
            json::value(formatLabels(objectField(obj, "spec", "selector")))};
  }
};

}  // namespace

std::string_view serviceType(const json::object& svc) {
  std::string_view t = stringField(svc, "", "spec", "type");
  return t.empty() ? "ClusterIP" : t;
}

bool serviceNeedsClusterIp(const json::object& svc) {
  return serviceType(svc) != "ExternalName";
}

bool serviceNeedsNodePorts(const json::object& svc) {
  std::string_view t = serviceType(svc);
  return t == "NodePort" || t == "LoadBalancer";
}

bool serviceIsHeadless(const json::object& svc) {
  return firstClusterIp(svc) == "None";
}

void reconcileServiceAllocation(json::object& svc, const json::object* old) {
  if (old != nullptr)
    patchAllocatedValues(svc, *old);
  if (json::object* spec = mutableObject(svc, "spec"))
    normalizeClusterIps(*spec);
}

void defaultService(json::object& svc) {
  json::object* spec = ensureObject(svc, "spec");
  if (spec == nullptr)
    return;
  setDefault(*spec, "sessionAffinity", "None");
  if (stringOf(spec->if_contains("sessionAffinity")) == "None")
    spec->erase("sessionAffinityConfig");
  setDefault(*spec, "type", "ClusterIP");
  if (json::array* ports = mutableArray(*spec, "ports")) {
    for (auto& p : *ports) {
      if (!p.is_object())
        continue;
      json::object& po = p.get_object();
      setDefault(po, "protocol", "TCP");
      const json::value* target = po.if_contains("targetPort");
      bool unsetTarget = target == nullptr || target->is_null() ||
                         (target->is_string() && target->get_string().empty()) ||
                         int64Of(target) == std::optional<std::int64_t>(0);
      if (unsetTarget && isSet(po, "port"))
        po["targetPort"] = json::value(po["port"]);
    }
  }
  if (externallyAccessible(svc))
    setDefault(*spec, "externalTrafficPolicy", "Cluster");
  // A copy: short strings live inside the object, which the insertions below may move.
  const std::string type(stringOf(spec->if_contains("type")));
  if (type == "NodePort" || type == "LoadBalancer" || type == "ClusterIP")
    setDefault(*spec, "internalTrafficPolicy", "Cluster");
  if (type == "LoadBalancer")
    setDefault(*spec, "allocateLoadBalancerNodePorts", true);
  if (stringOf(spec->if_contains("sessionAffinity")) == "ClientIP" &&
      !int64Of(field(*spec, "sessionAffinityConfig", "clientIP", "timeoutSeconds"))) {
    if (json::object* cfg = ensureObject(*spec, "sessionAffinityConfig"))
      if (json::object* clientIp = ensureObject(*cfg, "clientIP"))
        (*clientIp)["timeoutSeconds"] = kDefaultClientIpTimeoutSeconds;
  }
}

ResourceSpec serviceResourceSpec() {
  ResourceSpec s;
  s.group = "";
  s.version = "v1";
  s.kind = "Service";
  s.plural = "services";
  s.singular = "service";
  s.listKind = "ServiceList";
  s.scope = Scope::Namespaced;
  s.shortNames = {"svc"};
  s.categories = {"all"};
  s.subresources = {"status"};
  s.nameRule = NameRule::Dns1035Label;
  attachSchema(s);
  return s;
}

std::shared_ptr<const Strategy> serviceStrategy() {
  return std::make_shared<const ServiceStrategy>();
}

}  // namespace apiserver::plugins::core
