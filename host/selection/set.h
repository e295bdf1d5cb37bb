#pragma once

#include <boost/json/object.hpp>

#include <memory>
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

/// FieldNames are the field labels of one resource, sorted (bytewise) and unique. Every cached
/// object's Fields refer to its resource's one shared list.
using FieldNames = std::vector<std::string>;
using FieldNamesPtr = std::shared_ptr<const FieldNames>;
/// FieldValues are field values by name, in any order: the form a Strategy gives them in
/// (apiserver::SelectableFields), names viewed rather than copied.
using FieldValues = std::vector<std::pair<std::string_view, std::string>>;

/// fieldNames builds a resource's FieldNames: metadata.name, metadata.namespace and `selectable`.
FieldNamesPtr fieldNames(std::vector<std::string> selectable);

/// Fields are an object's selectable fields ("metadata.name" -> "web"): one value per name of
/// the shared FieldNames, packed into one allocation (the value lengths, then the bytes), so that
/// a cached object pays for its values only. A name without a value holds "", which compares
/// like a missing field (kube's fields.Set.Get).
class Fields {
 public:
  Fields() = default;
  /// Fields(names, values) takes the value of each of `names` from `values` (any order, the last
  /// of a repeated key wins); a key that is not one of `names` is dropped.
  Fields(FieldNamesPtr names, const KeyValues& values);
  Fields(FieldNamesPtr names, const FieldValues& values);
  Fields(const Fields& other);
  Fields& operator=(const Fields& other);
  Fields(Fields&&) noexcept = default;
  Fields& operator=(Fields&&) noexcept = default;
  ~Fields() = default;

  /// get returns the value for `key`, or "" when it is not one of the names. Binary search;
  /// never allocates.
  std::string_view get(std::string_view key) const noexcept;
  /// size is the number of names.
  std::size_t size() const noexcept { return names_ ? names_->size() : 0; }

 private:
  template <class Pairs>
  void pack(const Pairs& values);
  std::string_view at(std::size_t i) const noexcept;
  std::size_t packedSize() const noexcept;

  FieldNamesPtr names_;
  std::unique_ptr<char[]> packed_;  // size() uint32 value ends, then the values' bytes
};

/// normalize sorts `set` by key and, for a key given more than once, keeps the last value (as
/// assigning into a map would).
void normalize(KeyValues& set);

/// makeLabels builds Labels from pairs in any order (see normalize).
Labels makeLabels(KeyValues pairs);

/// makeFields builds Fields from pairs in any order (see normalize), named by their own keys.
Fields makeFields(KeyValues pairs);

/// labelsFromJson builds Labels from a labels map (metadata.labels). Values that are not
/// strings are skipped: validation refuses them before an object is stored.
Labels labelsFromJson(const boost::json::object& labels);

/// labelsOfObject builds Labels from an object's metadata.labels (empty when there are none).
Labels labelsOfObject(const boost::json::object& object);

/// objectFields builds an object's Fields under its resource's `names` (see fieldNames):
/// metadata.name, metadata.namespace (kube's DefaultNamespaceScopedAttr; "" for a cluster-scoped
/// object, which compares like a missing field) plus the resource's own selectable fields
/// (Strategy::selectableFields).
Fields objectFields(FieldNamesPtr names, std::string_view name, std::string_view namespace_,
                    FieldValues selectable = {});
/// objectFields without shared names: named by metadata.name, metadata.namespace and the keys of
/// `selectable` (for tests and one-off objects).
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
