#include "selection/set.h"

#include <apiserver/object.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

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

FieldNamesPtr fieldNames(std::vector<std::string> selectable) {
  selectable.emplace_back("metadata.name");
  selectable.emplace_back("metadata.namespace");
  std::sort(selectable.begin(), selectable.end());
  selectable.erase(std::unique(selectable.begin(), selectable.end()), selectable.end());
  return std::make_shared<const FieldNames>(std::move(selectable));
}

Fields::Fields(FieldNamesPtr names, const KeyValues& values) : names_(std::move(names)) {
  pack(values);
}

Fields::Fields(FieldNamesPtr names, const FieldValues& values) : names_(std::move(names)) {
  pack(values);
}

template <class Pairs>
void Fields::pack(const Pairs& values) {
  const std::size_t n = size();
  std::vector<std::string_view> picked(n);
  for (const auto& [key, value] : values) {  // the last of a repeated key wins
    auto it = std::lower_bound(names_->begin(), names_->end(), key);
    if (it != names_->end() && *it == key)
      picked[static_cast<std::size_t>(it - names_->begin())] = value;
  }
  std::size_t bytes = 0;
  for (auto v : picked)
    bytes += v.size();
  packed_ = std::make_unique_for_overwrite<char[]>(n * sizeof(std::uint32_t) + bytes);
  char* out = packed_.get() + n * sizeof(std::uint32_t);
  std::uint32_t end = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!picked[i].empty())  // a missing value's view has no data pointer
      std::memcpy(out + end, picked[i].data(), picked[i].size());
    end += static_cast<std::uint32_t>(picked[i].size());
    std::memcpy(packed_.get() + i * sizeof(std::uint32_t), &end, sizeof end);
  }
}

Fields::Fields(const Fields& other) : names_(other.names_) {
  if (other.packed_) {
    const std::size_t bytes = other.packedSize();
    packed_ = std::make_unique_for_overwrite<char[]>(bytes);
    std::memcpy(packed_.get(), other.packed_.get(), bytes);
  }
}

Fields& Fields::operator=(const Fields& other) {
  if (this != &other)
    *this = Fields(other);
  return *this;
}

std::size_t Fields::packedSize() const noexcept {
  const std::size_t n = size();
  if (n == 0)
    return 0;
  std::uint32_t last;
  std::memcpy(&last, packed_.get() + (n - 1) * sizeof last, sizeof last);
  return n * sizeof last + last;
}

std::string_view Fields::at(std::size_t i) const noexcept {
  std::uint32_t begin = 0, end;
  if (i > 0)
    std::memcpy(&begin, packed_.get() + (i - 1) * sizeof begin, sizeof begin);
  std::memcpy(&end, packed_.get() + i * sizeof end, sizeof end);
  return {packed_.get() + size() * sizeof end + begin, end - begin};
}

std::string_view Fields::get(std::string_view key) const noexcept {
  if (!names_)
    return {};
  auto it = std::lower_bound(names_->begin(), names_->end(), key,
                             [](const std::string& a, std::string_view b) { return a < b; });
  if (it == names_->end() || *it != key)
    return {};
  return at(static_cast<std::size_t>(it - names_->begin()));
}

Fields makeFields(KeyValues pairs) {
  normalize(pairs);
  std::vector<std::string> names;
  names.reserve(pairs.size());
  for (const auto& kv : pairs)
    names.push_back(kv.first);
  return Fields(std::make_shared<const FieldNames>(std::move(names)), pairs);
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
  const auto* metadata = member(object, "metadata");
  if (metadata == nullptr || !metadata->is_object())
    return {};
  const auto* labels = member(metadata->get_object(), "labels");
  if (labels == nullptr || !labels->is_object())
    return {};
  return labelsFromJson(labels->get_object());
}

Fields objectFields(FieldNamesPtr names, std::string_view name, std::string_view namespace_,
                    FieldValues selectable) {
  selectable.emplace_back("metadata.name", std::string(name));
  selectable.emplace_back("metadata.namespace", std::string(namespace_));
  return Fields(std::move(names), selectable);
}

Fields objectFields(std::string_view name, std::string_view namespace_, KeyValues selectable) {
  selectable.emplace_back("metadata.name", std::string(name));
  selectable.emplace_back("metadata.namespace", std::string(namespace_));
  return makeFields(std::move(selectable));
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
