#include "aggregator/resolver.h"

namespace apiserver::plugins::aggregator {

namespace {

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

Resolution failed(std::string reason, std::string message) {
  Resolution r;
  r.reason = std::move(reason);
  r.message = std::move(message);
  return r;
}

}  // namespace

Resolution resolveService(const ApiServiceView& as, const json::object* service, const json::object* endpoints) {
  const ServiceReference& ref = *as.service;
  const std::string svcName = "service/" + ref.name + " in " + quoted(ref.namespace_);
  if (service == nullptr) return failed("ServiceNotFound", svcName + " is not present");
  const std::string serverName = ref.name + "." + ref.namespace_ + ".svc";
  std::string type(stringField(*service, "ClusterIP", "spec", "type"));
  if (type.empty()) type = "ClusterIP";

  // The Service port the APIService names (for ExternalName, optional: it only says the scheme).
  const json::object* port = nullptr;
  if (const json::array* ports = arrayField(*service, "spec", "ports"))
    for (const auto& p : *ports)
      if (p.is_object() && int64Field(p.get_object(), "port") == ref.port) port = &p.get_object();
  const std::string scheme = port != nullptr && stringField(*port, "", "appProtocol") == "http" ? "http" : "https";

  Resolution r;
  if (type == "ExternalName") {
    UpstreamTarget t;
    t.scheme = scheme;
    t.host = std::string(stringField(*service, "", "spec", "externalName"));
    t.port = static_cast<std::uint16_t>(ref.port);
    t.serverName = serverName;
    if (t.host.empty()) return failed("ServiceNotFound", svcName + " has no externalName");
    r.ok = true;
    r.targets.push_back(std::move(t));
    return r;
  }
  if (port == nullptr)
    return failed("ServicePortError", svcName + " is not listening on port " + std::to_string(ref.port));
  const std::string portName(stringField(*port, "", "name"));
  if (endpoints == nullptr) return failed("EndpointsNotFound", "cannot find endpoints for " + svcName);
  if (const json::array* subsets = arrayField(*endpoints, "subsets")) {
    for (const auto& sv : *subsets) {
      if (!sv.is_object()) continue;
      const json::object& subset = sv.get_object();
      const json::array* ports = arrayField(subset, "ports");
      const json::array* addresses = arrayField(subset, "addresses");
      if (ports == nullptr || addresses == nullptr) continue;
      for (const auto& pv : *ports) {
        if (!pv.is_object() || stringField(pv.get_object(), "", "name") != portName) continue;
        auto number = int64Field(pv.get_object(), "port");
        if (!number || *number < 1 || *number > 65535) continue;
        for (const auto& av : *addresses) {
          if (!av.is_object()) continue;
          std::string ip(stringField(av.get_object(), "", "ip"));
          if (ip.empty()) continue;
          UpstreamTarget t;
          t.scheme = scheme;
          t.host = std::move(ip);
          t.port = static_cast<std::uint16_t>(*number);
          t.serverName = serverName;
          r.targets.push_back(std::move(t));
        }
      }
    }
  }
  if (r.targets.empty())
    return failed("MissingEndpoints",
                  "endpoints for " + svcName + " have no addresses with port name " + quoted(portName));
  r.ok = true;
  return r;
}

}  // namespace apiserver::plugins::aggregator
