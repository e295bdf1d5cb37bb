#include "core/resources/endpoints.h"

#include "core/schema/schemas.h"
#include "core/util/ip.h"
#include "core/util/json.h"
#include "core/util/table.h"
#include "core/util/validation.h"

#include <apiserver/object.h>

#include <string>
#include <vector>

namespace apiserver::plugins::core {

namespace {

void defaultEndpoints(json::object& ep) {
  json::array* subsets = mutableArray(ep, "subsets");
  if (subsets == nullptr)
    return;
  for (auto& s : *subsets) {
    if (!s.is_object())
      continue;
    if (json::array* ports = mutableArray(s.get_object(), "ports"))
      for (auto& p : *ports)
        if (p.is_object())
          setDefault(p.get_object(), "protocol", "TCP");
  }
}

void validateAddress(const json::object& addr, const std::string& path, FieldErrors& out) {
  std::string_view ip = stringOf(addr.if_contains("ip"));
  std::size_t before = out.size();
  validateIp(ip, childPath(path, "ip"), out);
  if (std::string_view host = stringOf(addr.if_contains("hostname")); !host.empty())
    validateDns1123Label(host, path, "hostname", out);
  if (const json::value* node = addr.if_contains("nodeName"); node != nullptr && node->is_string())
    validateDns1123Subdomain(node->get_string(), childPath(path, "nodeName"), out);
  if (out.size() == before)
    validateNonSpecialIp(ip, childPath(path, "ip"), out);
}

/// joinHostPort is Go's net.JoinHostPort: IPv6 hosts are bracketed.
std::string joinHostPort(std::string_view host, std::int64_t port) {
  std::string h(host);
  if (h.find(':') != std::string::npos)
    h = "[" + h + "]";
  return h + ":" + std::to_string(port);
}

/// formatEndpoints is kube's formatEndpoints: up to three "ip:port" entries, then
/// " + N more...".
std::string formatEndpoints(const json::object& ep) {
  const json::array* subsets = arrayField(ep, "subsets");
  if (subsets == nullptr || subsets->empty())
    return "<none>";
  constexpr std::size_t kMax = 3;
  std::vector<std::string> list;
  bool more = false;
  std::size_t count = 0;
  for (const auto& s : *subsets) {
    const json::object* ss = objectOf(&s);
    if (ss == nullptr)
      continue;
    const json::array* addresses = arrayOf(ss->if_contains("addresses"));
    const std::size_t nAddr = addresses != nullptr ? addresses->size() : 0;
    const json::array* ports = arrayOf(ss->if_contains("ports"));
    if (ports == nullptr || ports->empty()) {
      count += nAddr;
      for (std::size_t i = 0; i < nAddr; ++i) {
        if (list.size() == kMax) {
          more = true;
          break;
        }
        const json::object* a = objectOf(&(*addresses)[i]);
        list.emplace_back(a != nullptr ? stringOf(a->if_contains("ip")) : "");
      }
      continue;
    }
    for (const auto& p : *ports) {
      const json::object* po = objectOf(&p);
      std::int64_t port = po != nullptr ? int64Of(po->if_contains("port")).value_or(0) : 0;
      count += nAddr;
      for (std::size_t i = 0; i < nAddr; ++i) {
        if (list.size() == kMax) {
          more = true;
          break;
        }
        const json::object* a = objectOf(&(*addresses)[i]);
        list.push_back(joinHostPort(a != nullptr ? stringOf(a->if_contains("ip")) : "", port));
      }
    }
  }
  std::string ret;
  for (const auto& x : list)
    ret += (ret.empty() ? "" : ",") + x;
  if (more)
    return ret + " + " + std::to_string(count - kMax) + " more...";
  return ret;
}

class EndpointsStrategy final : public Strategy {
 public:
  void prepareForCreate(json::object& obj) const override { defaultEndpoints(obj); }

  void prepareForUpdate(json::object& obj, const json::object& old) const override {
    (void)old;
    defaultEndpoints(obj);
  }

  FieldErrors validate(const json::object& obj) const override {
    FieldErrors errs;
    const json::array* subsets = arrayField(obj, "subsets");
    if (subsets == nullptr)
      return errs;
    for (std::size_t i = 0; i < subsets->size(); ++i) {
      const std::string p = indexPath("subsets", i);
      const json::object* ss = objectOf(&(*subsets)[i]);
      if (ss == nullptr)
        continue;
      const json::array* ready = arrayOf(ss->if_contains("addresses"));
      const json::array* notReady = arrayOf(ss->if_contains("notReadyAddresses"));
      if ((ready == nullptr || ready->empty()) && (notReady == nullptr || notReady->empty()))
        errs.push_back(requiredField(p, "must specify `addresses` or `notReadyAddresses`"));
      for (auto [list, name] :
           {std::pair{ready, "addresses"}, std::pair{notReady, "notReadyAddresses"}}) {
        if (list == nullptr)
          continue;
        for (std::size_t a = 0; a < list->size(); ++a)
          if (const json::object* addr = objectOf(&(*list)[a]))
            validateAddress(*addr, indexPath(childPath(p, name), a), errs);
      }
      const json::array* ports = arrayOf(ss->if_contains("ports"));
      if (ports == nullptr)
        continue;
      for (std::size_t k = 0; k < ports->size(); ++k) {
        const json::object* port = objectOf(&(*ports)[k]);
        if (port == nullptr)
          continue;
        const std::string pp = indexPath(childPath(p, "ports"), k);
        std::string_view name = stringOf(port->if_contains("name"));
        if (ports->size() > 1 && name.empty()) {
          errs.push_back(requiredField(childPath(pp, "name")));
        } else if (!name.empty()) {
          validateDns1123Label(name, pp, "name", errs);
        }
        std::int64_t num = int64Of(port->if_contains("port")).value_or(0);
        for (auto& m : isValidPortNum(num))
          errs.push_back(invalidField(childPath(pp, "port"), json::value(num), m));
        validateProtocol(port->if_contains("protocol"), pp, "protocol", errs);
      }
    }
    return errs;
  }

  std::vector<TableColumn> tableColumns() const override {
    return {nameColumn(),
            column("Endpoints",
                   "The set of all endpoints is the union of all subsets. Addresses are placed "
                   "into subsets according to the IPs they share."),
            ageColumn()};
  }

  std::vector<json::value> tableRow(const json::object& obj, TimePoint now) const override {
    return {json::value(nameOf(obj)), json::value(formatEndpoints(obj)),
            json::value(ageOf(obj, now))};
  }
};

}  // namespace

ResourceSpec endpointsResourceSpec() {
  ResourceSpec s;
  s.group = "";
  s.version = "v1";
  s.kind = "Endpoints";
  s.plural = "endpoints";
  s.singular = "endpoints";
  s.listKind = "EndpointsList";
  s.scope = Scope::Namespaced;
  s.shortNames = {"ep"};
  attachSchema(s);
  return s;
}

std::shared_ptr<const Strategy> endpointsStrategy() {
  return std::make_shared<const EndpointsStrategy>();
}

}  // namespace apiserver::plugins::core
