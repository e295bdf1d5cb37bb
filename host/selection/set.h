#pragma once

#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// @file set.h
/// Labels and Fields of one object (kube's labels.Set and fields.Set) as flat vectors sorted by
/// key with unique keys: cheap to keep for every cached object and searched without allocating.

namespace apiserver::selection {

/// KeyValues is a set of key/value pairs sorted by key (bytewise), keys unique.
using KeyValues = std::vector<std::pair<std::string, std::string>>;
/// Labels are an object's metadata.labels, sorted by key.
using Labels = KeyValues;
/// Fields are an object's selectable fields ("metadata.name" -> "web"), sorted by key.
using Fields = KeyValues;

/// normalize sorts `set` by key and, for a key given more than once, keeps the last value (as
/// assigning into a map would).
void normalize(KeyValues& set);

/// makeLabels builds Labels from pairs in any order (see normalize).
Labels makeLabels(KeyValues pairs);

/// makeFields builds Fields from pairs in any order (see normalize).
Fields makeFields(KeyValues pairs);

/// labelsFromJson builds Labels from a labels map (metadata.labels). Values that are not
/// strings are skipped: validation refuses them before an object is stored.
Labels labelsFromJson(const boost::json::object& labels);

/// labelsOfObject builds Labels from an object's metadata.labels (empty when there are none).
Labels labelsOfObject(const boost::json::object& object);

/// objectFields builds an object's Fields: metadata.name, metadata.namespace (kube's
/// DefaultNamespaceScopedAttr; "" for a cluster-scoped object, which compares like a missing
/// field) plus the resource's own selectable fields (Strategy::selectableFields).
Fields objectFields(std::string_view name, std::string_view namespace_, KeyValues selectable = {});

/// find returns the value stored for `key`, or nullptr. Binary search; never allocates.
const std::string* find(const KeyValues& set, std::string_view key) noexcept;

/// has tells whether `key` is present. Never allocates.
inline bool has(const KeyValues& set, std::string_view key) noexcept {
  return find(set, key) != nullptr;
}

/// get returns the value for `key`, or "" when it is missing (as kube's Set.Get does).
inline std::string_view get(const KeyValues& set, std::string_view key) noexcept {
  const std::string* v = find(set, key);
  return v != nullptr ? std::string_view(*v) : std::string_view();
}

}  // namespace apiserver::selection
