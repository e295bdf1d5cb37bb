#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

/// @file field_path.h
/// Field paths as server-side apply names them (sigs.k8s.io/structured-merge-diff fieldpath):
/// a path is a list of elements, each a field name (`.spec`), a list item by its key fields
/// (`[name="c1"]`), a set item by its value (`[="a"]`) or a list item by index (`[0]`).

namespace apiserver::apply {

namespace json = boost::json;

/// nameLess orders field names as `a < b` does (bytes, unsigned), deciding on the first bytes
/// when they differ, as they mostly do among an object's names, without calling memcmp.
inline bool nameLess(std::string_view a, std::string_view b) noexcept {
  if (!a.empty() && !b.empty() && a.front() != b.front())
    return static_cast<unsigned char>(a.front()) < static_cast<unsigned char>(b.front());
  return a < b;
}

/// KeyField is one field of a list item's key: `name` and its value.
struct KeyField {
  std::string name;
  json::value value;
};

/// compareValues is structured-merge-diff's total order of values: numbers (ints and floats
/// compared numerically) < strings < booleans < lists < maps < null.
int compareValues(const json::value& a, const json::value& b);
/// equalValues is structured-merge-diff's value.Equals: ints and floats equal when numerically
/// equal, maps equal regardless of key order.
bool equalValues(const json::value& a, const json::value& b);

/// KeyFieldView is a KeyField that refers to its name and value (which must outlive it).
struct KeyFieldView {
  std::string_view name;
  const json::value* value;
};

/// compareKeyFields orders two list-item keys (fields sorted by name) as PathElement::compare
/// orders Key elements.
int compareKeyFields(std::span<const KeyFieldView> a, std::span<const KeyFieldView> b);
/// appendKeyFields appends a key's FieldsV1 form, `k:{"name":"c1"}`, as
/// PathElement::appendSerialized does for a Key element.
void appendKeyFields(std::string& out, std::span<const KeyFieldView> fields);

/// PathElement is one step of a field path. Copyable value type; thread-compatible.
class PathElement {
 public:
  /// Kind says which of the four forms an element has.
  enum class Kind : std::uint8_t { Field, Key, Value, Index };

  /// field is `.name`.
  static PathElement field(std::string name);
  /// key is `[k1=v1,k2=v2]`: a list-map item; the fields are sorted by name.
  static PathElement key(std::vector<KeyField> fields);
  /// value is `[=v]`: a set item.
  static PathElement value(json::value v);
  /// index is `[i]`: a list item by position.
  static PathElement index(std::int64_t i);

  Kind kind() const noexcept { return kind_; }
  /// fieldName is the name of a Field element ("" otherwise).
  const std::string& fieldName() const noexcept { return name_; }
  /// keyFields are the sorted fields of a Key element.
  const std::vector<KeyField>& keyFields() const noexcept { return key_; }
  /// setValue is the value of a Value element.
  const json::value& setValue() const noexcept { return value_; }
  /// indexValue is the position of an Index element.
  std::int64_t indexValue() const noexcept { return index_; }

  /// compare orders elements as structured-merge-diff does: fields (by name) < keys < values <
  /// indexes. FieldsV1 objects and set iteration follow this order.
  int compare(const PathElement& other) const;
  bool operator==(const PathElement& other) const { return compare(other) == 0; }
  bool operator<(const PathElement& other) const { return compare(other) < 0; }

  /// str is the human-readable form used in conflict messages: `.name`, `[name="c1"]`,
  /// `[="a"]`, `[0]`.
  std::string str() const;
  /// serialize is the FieldsV1 key: `f:name`, `k:{"name":"c1"}`, `v:"a"`, `i:0`.
  std::string serialize() const;
  /// appendSerialized appends serialize() to `out`.
  void appendSerialized(std::string& out) const;

  /// DeserializeError explains why a FieldsV1 key is not an element.
  struct DeserializeError {
    bool unknownType = false;  ///< a prefix other than f/k/v/i: kube skips such keys
    std::string message;
  };
  /// deserialize reads a FieldsV1 key.
  static std::optional<PathElement> deserialize(std::string_view key, DeserializeError* error);

 private:
  Kind kind_ = Kind::Field;
  std::string name_;
  std::vector<KeyField> key_;
  json::value value_;
  std::int64_t index_ = 0;
};

/// Path is a field path from the object's root.
using Path = std::vector<PathElement>;

/// pathString renders a path as kube prints it: `.spec.containers[name="c1"].image`.
std::string pathString(const Path& path);

}  // namespace apiserver::apply
