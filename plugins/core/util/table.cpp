#include "core/util/table.h"

#include <algorithm>
#include <utility>

namespace apiserver::plugins::core {

const char* const kNameDescription =
    "Name must be unique within a namespace. Is required when creating resources, although some "
    "resources may allow a client to request the generation of an appropriate name "
    "automatically. Name is primarily intended for creation idempotence and configuration "
    "definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";

const char* const kCreationTimestampDescription =
    "CreationTimestamp is a timestamp representing the server time when this object was "
    "created. It is not guaranteed to be set in happens-before order across separate "
    "operations. Clients may not set this value. It is represented in RFC3339 form and is in "
    "UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/"
    "api-conventions.md#metadata";

TableColumn nameColumn(int priority) {
  return TableColumn{"Name", "string", "name", kNameDescription, priority};
}

TableColumn ageColumn() {
  return TableColumn{"Age", "string", "", kCreationTimestampDescription, 0};
}

TableColumn column(std::string name, std::string description, int priority, std::string type) {
  return TableColumn{std::move(name), std::move(type), "", std::move(description), priority};
}

std::string formatLabels(const json::object* labels) {
  if (labels == nullptr || labels->empty())
    return "<none>";
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& kv : *labels) {
    std::string value = kv.value().is_string() ? std::string(kv.value().get_string()) : "";
    pairs.emplace_back(std::string(kv.key()), std::move(value));
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [k, v] : pairs) {
    if (!out.empty())
      out += ",";
    out += k + "=" + v;
  }
  return out;
}

std::string orNone(std::string_view s) {
  return s.empty() ? "<none>" : std::string(s);
}

}  // namespace apiserver::plugins::core
