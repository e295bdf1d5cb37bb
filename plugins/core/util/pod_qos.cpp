#include "core/util/pod_qos.h"

#include "core/util/json.h"
#include "core/util/quantity.h"

#include <apiserver/object.h>

#include <map>
#include <set>
#include <string_view>

namespace apiserver::plugins::core {

namespace {

bool isQosResource(std::string_view name) {
  return name == "cpu" || name == "memory";
}

/// addPositive adds the positive cpu/memory quantities of `list` to `sums`, returning the
/// names that had a positive quantity.
std::set<std::string> addPositive(const json::object* list, std::map<std::string, Quantity>& sums) {
  std::set<std::string> found;
  if (list == nullptr)
    return found;
  for (const auto& kv : *list) {
    if (!isQosResource(kv.key()))
      continue;
    auto q = quantityOf(kv.value());
    if (!q || *q <= Quantity())
      continue;
    sums[std::string(kv.key())] += *q;
    found.insert(std::string(kv.key()));
  }
  return found;
}

}  // namespace

std::string podQosClass(const json::object& pod) {
  std::map<std::string, Quantity> requests;
  std::map<std::string, Quantity> limits;
  bool guaranteed = true;
  for (const char* list : {"containers", "initContainers"}) {
    const json::array* containers = arrayField(pod, "spec", list);
    if (containers == nullptr)
      continue;
    for (const auto& c : *containers) {
      const json::object* co = objectOf(&c);
      if (co == nullptr)
        continue;
      addPositive(objectField(*co, "resources", "requests"), requests);
      auto limitsFound = addPositive(objectField(*co, "resources", "limits"), limits);
      if (limitsFound.count("cpu") == 0 || limitsFound.count("memory") == 0)
        guaranteed = false;
    }
  }
  if (requests.empty() && limits.empty())
    return "BestEffort";
  if (guaranteed) {
    for (const auto& [name, req] : requests) {
      auto it = limits.find(name);
      if (it == limits.end() || it->second != req) {
        guaranteed = false;
        break;
      }
    }
  }
  if (guaranteed && requests.size() == limits.size())
    return "Guaranteed";
  return "Burstable";
}

}  // namespace apiserver::plugins::core
