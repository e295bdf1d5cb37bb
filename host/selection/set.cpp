#include "selection/set.h"

#include <algorithm>

namespace apiserver::selection {

void normalize(KeyValues& set) {
  if (set.size() < 2)
    return;
  std::stable_sort(set.begin(), set.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  // Keep the last of each run of equal keys.
  std::size_t out = 0;
  for (std::size_t i = 0; i < set.size(); ++i) {
    if (i + 1 < set.size() && set[i + 1].first == set[i].first)
      continue;
    if (out != i)
      set[out] = std::move(set[i]);
    ++out;
  }
  set.resize(out);
}

Labels makeLabels(KeyValues pairs) {
  normalize(pairs);
  return pairs;
}

Fields makeFields(KeyValues pairs) {
  normalize(pairs);
  return pairs;
}

Labels labelsFromJson(const boost::json::object& labels) {
  Labels out;
  out.reserve(labels.size());
  for (const auto& kv : labels) {
    if (const auto* s = kv.value().if_string()) {
      out.emplace_back(std::string(kv.key()), std::string(s->data(), s->size()));
    }
  }
  normalize(out);
  return out;
}

Labels labelsOfObject(const boost::json::object& object) {
  const auto* metadata = object.if_contains("metadata");
  if (metadata == nullptr || !metadata->is_object())
    return {};
  const auto* labels = metadata->get_object().if_contains("labels");
  if (labels == nullptr || !labels->is_object())
    return {};
  return labelsFromJson(labels->get_object());
}

Fields objectFields(std::string_view name, std::string_view namespace_, KeyValues selectable) {
  selectable.emplace_back("metadata.name", std::string(name));
  selectable.emplace_back("metadata.namespace", std::string(namespace_));
  normalize(selectable);
  return selectable;
}

const std::string* find(const KeyValues& set, std::string_view key) noexcept {
  auto it = std::lower_bound(
      set.begin(), set.end(), key,
      [](const std::pair<std::string, std::string>& e, std::string_view k) { return e.first < k; });
  if (it != set.end() && it->first == key)
    return &it->second;
  return nullptr;
}

}  // namespace apiserver::selection
