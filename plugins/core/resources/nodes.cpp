#include "core/resources/nodes.h"

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

const std::vector<std::string> kTaintEffects = {"NoSchedule", "PreferNoSchedule", "NoExecute"};
constexpr std::string_view kRolePrefix = "node-role.kubernetes.io/";
constexpr std::string_view kRoleLabel = "kubernetes.io/role";

void defaultNode(json::object& node) {
  // v1 conversion keeps the legacy podCIDR and podCIDRs in step.
  if (json::object* spec = mutableObject(node, "spec")) {
    std::string_view cidr = stringOf(spec->if_contains("podCIDR"));
    const json::array* cidrs = arrayOf(spec->if_contains("podCIDRs"));
    if (!cidr.empty() && (cidrs == nullptr || cidrs->empty())) {
      (*spec)["podCIDRs"] = json::array{json::value(cidr)};
    } else if (cidr.empty() && cidrs != nullptr && !cidrs->empty() && (*cidrs)[0].is_string()) {
      (*spec)["podCIDR"] = json::value((*cidrs)[0]);
    }
  }
  json::object* status = mutableObject(node, "status");
  if (status == nullptr)
    return;
  if (!isSet(*status, "allocatable") && isSet(*status, "capacity"))
    (*status)["allocatable"] = json::value((*status)["capacity"]);
}

void validateTaints(const json::object& node, FieldErrors& out) {
  const json::array* taints = arrayField(node, "spec", "taints");
  if (taints == nullptr)
    return;
  std::set<std::pair<std::string, std::string>> seen;
  for (std::size_t i = 0; i < taints->size(); ++i) {
    const std::string p = indexPath("spec.taints", i);
    const json::object* t = objectOf(&(*taints)[i]);
    if (t == nullptr)
      continue;
    std::string_view key = stringOf(t->if_contains("key"));
    if (key.empty()) {
      out.push_back(requiredField(childPath(p, "key")));
    } else {
      validateQualifiedName(key, childPath(p, "key"), out);
    }
    std::string_view value = stringOf(t->if_contains("value"));
    validation::addInvalid(out, childPath(p, "value"), value, validation::isValidLabelValue(value));
    std::string_view effect = stringOf(t->if_contains("effect"));
    if (effect.empty()) {
      out.push_back(requiredField(childPath(p, "effect")));
    } else if (std::find(kTaintEffects.begin(), kTaintEffects.end(), effect) ==
               kTaintEffects.end()) {
      out.push_back(notSupportedField(childPath(p, "effect"), json::value(effect), kTaintEffects));
    }
    if (!seen.emplace(std::string(key), std::string(effect)).second)
      out.push_back(duplicateField(p, (*taints)[i]));
  }
}

std::vector<std::string> findRoles(const json::object& node) {
  std::set<std::string> roles;
  if (const json::object* labels = objectField(node, "metadata", "labels")) {
    for (const auto& kv : *labels) {
      std::string_view k = kv.key();
      if (k.substr(0, kRolePrefix.size()) == kRolePrefix) {
        std::string_view role = k.substr(kRolePrefix.size());
        if (!role.empty())
          roles.emplace(role);
      } else if (k == kRoleLabel && !stringOf(&kv.value()).empty()) {
        roles.emplace(stringOf(&kv.value()));
      }
    }
  }
  return {roles.begin(), roles.end()};
}

std::string nodeAddress(const json::object& node, std::string_view type) {
  if (const json::array* addresses = arrayField(node, "status", "addresses")) {
    for (const auto& a : *addresses) {
      const json::object* ao = objectOf(&a);
      if (ao != nullptr && stringOf(ao->if_contains("type")) == type)
        return std::string(stringOf(ao->if_contains("address")));
    }
  }
  return "<none>";
}

std::string nodeStatus(const json::object& node) {
  std::vector<std::string> status;
  if (const json::array* conditions = arrayField(node, "status", "conditions")) {
    const json::object* ready = nullptr;
    for (const auto& c : *conditions) {
      const json::object* co = objectOf(&c);
      if (co != nullptr && stringOf(co->if_contains("type")) == "Ready")
        ready = co;
    }
    if (ready != nullptr)
      status.emplace_back(stringOf(ready->if_contains("status")) == "True" ? "Ready" : "NotReady");
  }
  if (status.empty())
    status.emplace_back("Unknown");
  if (boolOf(field(node, "spec", "unschedulable")))
    status.emplace_back("SchedulingDisabled");
  std::string out;
  for (const auto& s : status)
    out += (out.empty() ? "" : ",") + s;
  return out;
}

std::string orUnknown(std::string_view s) {
  return s.empty() ? "<unknown>" : std::string(s);
}

class NodeStrategy final : public Strategy {
 public:
  void prepareForCreate(json::object& obj) const override { defaultNode(obj); }

  void prepareForUpdate(json::object& obj, const json::object& old) const override {
    (void)old;
    defaultNode(obj);
  }

  FieldErrors validate(const json::object& obj) const override {
    FieldErrors errs;
    validateTaints(obj, errs);
    if (std::string_view cidr = stringField(obj, "", "spec", "podCIDR");
        !cidr.empty() && !isValidCidr(cidr))
      errs.push_back(
          invalidField("spec.podCIDR", json::value(cidr),
                       "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"));
    if (const json::array* cidrs = arrayField(obj, "spec", "podCIDRs")) {
      for (std::size_t i = 0; i < cidrs->size(); ++i) {
        std::string_view c = stringOf(&(*cidrs)[i]);
        if (!isValidCidr(c))
          errs.push_back(
              invalidField(indexPath("spec.podCIDRs", i), json::value(c),
                           "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"));
      }
      if (cidrs->size() > 2)
        errs.push_back(invalidField("spec.podCIDRs", *cidrs,
                                    "may specify no more than one CIDR for each IP family"));
    }
    return errs;
  }

  FieldErrors validateUpdate(const json::object& obj, const json::object& old) const override {
    FieldErrors errs = validate(obj);
    static const json::value kNull;
    const json::value* oldCidrs = field(old, "spec", "podCIDRs");
    const json::value* newCidrs = field(obj, "spec", "podCIDRs");
    if (!isEmptyValue(oldCidrs) &&
        !semanticEqual(*oldCidrs, newCidrs != nullptr ? *newCidrs : kNull))
      errs.push_back(forbiddenField(
          "spec.podCIDRs", "node updates may not change podCIDR except from \"\" to valid"));
    std::string_view oldProvider = stringField(old, "", "spec", "providerID");
    if (!oldProvider.empty() && stringField(obj, "", "spec", "providerID") != oldProvider)
      errs.push_back(forbiddenField(
          "spec.providerID", "node updates may not change providerID except from \"\" to valid"));
    return errs;
  }

  FieldErrors validateStatusUpdate(const json::object& obj,
                                   const json::object& old) const override {
    (void)old;
    FieldErrors errs;
    if (const json::array* addresses = arrayField(obj, "status", "addresses")) {
      for (std::size_t i = 0; i < addresses->size(); ++i) {
        const json::object* a = objectOf(&(*addresses)[i]);
        if (a == nullptr)
          continue;
        std::string_view type = stringOf(a->if_contains("type"));
        if ((type == "InternalIP" || type == "ExternalIP"))
          validateIp(stringOf(a->if_contains("address")),
                     childPath(indexPath("status.addresses", i), "address"), errs);
      }
    }
    return errs;
  }

  std::vector<TableColumn> tableColumns() const override {
    return {
        nameColumn(),
        column("Status", "The status of the node"),
        column("Roles", "The roles of the node"),
        ageColumn(),
        column("Version", "Kubelet Version reported by the node."),
        column("Internal-IP", "List of addresses reachable to the node.", 1),
        column("External-IP", "List of addresses reachable to the node.", 1),
        column("OS-Image",
               "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 "
               "(wheezy)).",
               1),
        column("Kernel-Version",
               "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
               1),
        column("Container-Runtime",
               "ContainerRuntime Version reported by the node through runtime remote API (e.g. "
               "containerd://1.4.2).",
               1),
    };
  }

  std::vector<json::value> tableRow(const json::object& obj, TimePoint now) const override {
    std::string roles;
    for (const auto& r : findRoles(obj))
      roles += (roles.empty() ? "" : ",") + r;
    auto info = [&obj](std::string_view k) {
      return stringField(obj, "", "status", "nodeInfo", k);
    };
    return {json::value(nameOf(obj)),
            json::value(nodeStatus(obj)),
            json::value(orNone(roles)),
            json::value(ageOf(obj, now)),
            json::value(info("kubeletVersion")),
            json::value(nodeAddress(obj, "InternalIP")),
            json::value(nodeAddress(obj, "ExternalIP")),
            json::value(orUnknown(info("osImage"))),
            json::value(orUnknown(info("kernelVersion"))),
            json::value(orUnknown(info("containerRuntimeVersion")))};
  }

  std::vector<std::string> selectableFieldNames() const override { return {"spec.unschedulable"}; }

  void selectableFields(const json::object& obj, SelectableFields& out) const override {
    out.emplace_back("spec.unschedulable",
                     boolOf(field(obj, "spec", "unschedulable")) ? "true" : "false");
  }
};

}  // namespace

ResourceSpec nodeResourceSpec() {
  ResourceSpec s;
  s.group = "";
  s.version = "v1";
  s.kind = "Node";
  s.plural = "nodes";
  s.singular = "node";
  s.listKind = "NodeList";
  s.scope = Scope::Cluster;
  s.shortNames = {"no"};
  s.subresources = {"status"};
  s.nameRule = NameRule::Dns1123Subdomain;
  attachSchema(s);
  return s;
}

std::shared_ptr<const Strategy> nodeStrategy() {
  return std::make_shared<const NodeStrategy>();
}

}  // namespace apiserver::plugins::core
