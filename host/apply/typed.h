#pragma once

#include "apply/field_path.h"
#include "apply/field_set.h"
#include "schema/schema.h"

#include <boost/container/small_vector.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// @file typed.h
/// Objects seen through their schema the way server-side apply sees them
/// (structured-merge-diff's typed package, with kube's OpenAPI-to-SMD conversion rules):
/// which lists are atomic, sets or maps keyed by fields, which maps are atomic, which fields a
/// struct declares. On top of that the walks apply is made of: the field set of a value, the
/// comparison of two values, the merge of an applied configuration into a live object, removing
/// items, and the strict validation of an applied configuration.
///
/// Where the schema says nothing (no schema at all, `x-kubernetes-preserve-unknown-fields`, a
/// free-form object) values are *deduced*: maps are granular with deduced values, lists atomic.

namespace apiserver::apply {

/// ListKind is how a list is merged and owned.
enum class ListKind {
  Atomic,  ///< the list is one value
  Set,     ///< scalar items, each owned by value (`v:`)
  Map,     ///< object items, each owned by its key fields (`k:`)
};

/// ScalarKind is what a scalar may hold (for validation).
enum class ScalarKind { Untyped, String, Numeric, Boolean };

/// TypeRef is a location in a kind's schema. Cheap to copy; must not outlive the SchemaSet.
class TypeRef {
 public:
  /// deduced is the type of values without a schema.
  static TypeRef deduced();
  /// of types a schema location; the unknown node is deduced. `preserveUnknown` is inherited
  /// from an inline parent with x-kubernetes-preserve-unknown-fields.
  static TypeRef of(const schema::SchemaNode& node, bool preserveUnknown = false);

  bool isDeduced() const noexcept { return mode_ == Mode::Deduced; }
  bool allowsScalar() const;
  bool allowsList() const;
  bool allowsMap() const;

  /// scalarKind is the kind of scalar allowed.
  ScalarKind scalarKind() const;
  /// mapIsAtomic: the map is one value (x-kubernetes-map-type: atomic).
  bool mapIsAtomic() const;
  /// declares tells whether `name` is a declared field of the struct.
  bool declares(std::string_view name) const;
  /// fieldType is the type of a map entry: the declared field's, else the element type. nullopt
  /// when the struct declares fields and allows no others.
  std::optional<TypeRef> fieldType(std::string_view name) const;
  /// listKind is the list's kind (from x-kubernetes-list-type, else the patch strategy).
  ListKind listKind() const;
  /// listKeys are the key fields of a map list (views into the schema).
  boost::container::small_vector<std::string_view, 2> listKeys() const;
  /// elementType is the type of a list's items.
  TypeRef elementType() const;
  /// keyDefault is the schema default of a key field of a map list's items, or nullptr.
  const json::value* keyDefault(std::string_view key) const;
  /// node is the schema node (the unknown node when deduced).
  const schema::SchemaNode& node() const noexcept { return node_; }

 private:
  enum class Mode { Schema, Deduced, UntypedAtomic };
  schema::SchemaNode node_;
  schema::Type type_ = schema::Type::Unknown;  // node_.type(), looked up once
  Mode mode_ = Mode::Deduced;
  bool preserve_ = false;
};

/// ValidationError is one problem of an applied configuration, at a path in kube's form.
struct ValidationError {
  std::string path;     ///< ".spec.containers[name=\"c\"]" or "" for the root
  std::string message;  ///< "field not declared in schema"
  /// str is "<path>: <message>" (just the message at the root).
  std::string str() const { return path.empty() ? message : path + ": " + message; }
};
using ValidationErrors = std::vector<ValidationError>;

/// validationErrorsString joins errors as kube's ValidationErrors.Error() does (one error alone;
/// several as "errors:\n  e1\n  e2").
std::string validationErrorsString(const ValidationErrors& errors);

/// Comparison is the outcome of compare(): fields removed, modified and added by the right-hand
/// side. A field is in at most one set.
struct Comparison {
  FieldSet removed;
  FieldSet modified;
  FieldSet added;

  bool same() const { return removed.empty() && modified.empty() && added.empty(); }
  /// excludeFields removes `fields` and everything below them from all three sets.
  void excludeFields(const FieldSet& fields);
};

/// validate checks an applied configuration strictly: types, declared fields, list keys and
/// duplicate list items, with kube's messages.
ValidationErrors validate(const json::value& value, const TypeRef& type);

/// toFieldSet lists the fields a value sets: scalars, atomic lists and maps, list items, and map
/// entries that are not declared struct fields.
FieldSet toFieldSet(const json::value& value, const TypeRef& type);

/// compare compares two values; nullptr stands for "absent".
Comparison compare(const json::value* lhs, const json::value* rhs, const TypeRef& type);
/// compareObjects is compare() of two objects at the root, without copying them.
Comparison compareObjects(const json::object& lhs, const json::object& rhs, const TypeRef& type);

/// changedFieldsV1 is, encoded as FieldSet::toFieldsV1 does, what compareObjects(lhs, rhs)
/// finds added or modified, without the members of `ignored` and everything below them, then
/// without the members of `strip` (what lies below them stays) — written in one walk, without
/// building the sets: a create's managedFields entry. Memory from `sp`.
json::object changedFieldsV1(const json::object& lhs, const json::object& rhs, const TypeRef& type,
                             const FieldSet& ignored, const FieldSet& strip,
                             json::storage_ptr sp = {});

/// merge merges `rhs` (an applied configuration) into `lhs` (the live object): fields of rhs
/// win, maps merge by key, non-atomic lists merge by item key in kube's order.
json::value merge(const json::value& lhs, const json::value& rhs, const TypeRef& type);

/// removeItems removes the members of `toRemove` from a value (kube's RemoveItems: a map or list
/// emptied this way becomes null).
json::value removeItems(const json::value& value, const FieldSet& toRemove, const TypeRef& type);

/// ensureNamedFieldsAreMembers adds to a set the declared struct fields that lead to its
/// members ("a.b.c" also owns "a" when a is a named field, but not "a.b" when a is a map).
FieldSet ensureNamedFieldsAreMembers(const FieldSet& set, const TypeRef& type);

/// zeroObject is the object kube's decoder starts from for this kind (its Go zero value): the
/// non-pointer structs (`default: {}`) as empty objects, required fields as null. Only its shape
/// matters: it is what a create is compared against.
json::value zeroObject(const TypeRef& type);

/// dropNullFields removes declared struct fields whose value is null, as the typed round trip of
/// a built-in object does.
void dropNullFields(json::value& value, const TypeRef& type);

}  // namespace apiserver::apply
