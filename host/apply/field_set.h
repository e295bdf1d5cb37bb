#pragma once

#include "apply/field_path.h"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// @file field_set.h
/// FieldSet: a set of field paths stored as a trie, with the set algebra and the FieldsV1
/// encoding of structured-merge-diff's fieldpath.Set. A node's *members* are the paths that end
/// there; its *children* lead to deeper members. Membership of a parent is not implied by a
/// member child ("parent - child = parent").

namespace apiserver::apply {

/// FieldSet is a value type (copyable, movable). Thread-compatible.
class FieldSet {
 public:
  struct Child;

  FieldSet();
  FieldSet(const FieldSet&);
  FieldSet(FieldSet&&) noexcept;
  FieldSet& operator=(const FieldSet&);
  FieldSet& operator=(FieldSet&&) noexcept;
  ~FieldSet();

  /// insert adds a path (its parents are not added). The empty path is ignored: nobody owns
  /// "the whole object".
  void insert(const Path& path);
  /// has tells whether `path` is a member.
  bool has(const Path& path) const;
  /// hasMember tells whether `element` is a member at this level.
  bool hasMember(const PathElement& element) const;
  /// empty tells whether the set has no member at any depth.
  bool empty() const;
  /// size counts the members at every depth.
  std::size_t size() const;

  /// unite is the union of two sets. The rvalue forms of unite, difference and
  /// recursiveDifference reuse this set's nodes instead of copying them.
  FieldSet unite(const FieldSet& other) const&;
  FieldSet unite(const FieldSet& other) &&;
  /// intersect keeps the members present in both sets.
  FieldSet intersect(const FieldSet& other) const;
  /// difference removes the members of `other`; children of a removed member stay.
  FieldSet difference(const FieldSet& other) const&;
  FieldSet difference(const FieldSet& other) &&;
  /// recursiveDifference removes the members of `other` and everything below them.
  FieldSet recursiveDifference(const FieldSet& other) const&;
  FieldSet recursiveDifference(const FieldSet& other) &&;
  /// withPrefix is the subset below `element` (without it); empty when there is none.
  FieldSet withPrefix(const PathElement& element) const;
  /// child is the subset below `element`, or nullptr.
  const FieldSet* child(const PathElement& element) const;
  /// hasField is hasMember(PathElement::field(name)) without building the element.
  bool hasField(std::string_view name) const;
  /// fieldChild is child(PathElement::field(name)) without building the element.
  const FieldSet* fieldChild(std::string_view name) const;

  /// insertMember adds `element` as a member of this level (for walks that build a set level by
  /// level).
  void insertMember(const PathElement& element);
  /// setChild makes `set` the subset below `element` (nothing when `set` is empty).
  void setChild(const PathElement& element, FieldSet set);

  /// iterate visits every member in kube's order: the members of a level (sorted), then each
  /// child's subtree (sorted).
  void iterate(const std::function<void(const Path&)>& fn) const;
  /// paths lists the members in iterate()'s order.
  std::vector<Path> paths() const;
  /// str lists the members one per line, as kube's Set.String() does.
  std::string str() const;

  /// members are this level's members, sorted.
  const std::vector<PathElement>& members() const { return members_; }
  /// children are this level's children, sorted by element.
  const std::vector<Child>& children() const { return children_; }

  /// toFieldsV1 encodes the set in the FieldsV1 form kube stores in managedFields: every element
  /// a key (`f:`, `k:`, `v:`, `i:`), `{}` for a member without children, `".": {}` for a member
  /// that also has children; keys in element order.
  /// Its memory comes from `sp`.
  json::object toFieldsV1(json::storage_ptr sp = {}) const;
  /// fromFieldsV1 decodes a FieldsV1 object; keys with an unknown prefix are skipped as kube
  /// does. The error text follows kube's FieldsToSet.
  static std::optional<FieldSet> fromFieldsV1(const json::value& fields, std::string* error);

  friend bool operator==(const FieldSet& a, const FieldSet& b);
  friend bool operator!=(const FieldSet& a, const FieldSet& b) { return !(a == b); }

 private:
  FieldSet& descend(const PathElement& element);
  /// mergeIn adds `other`'s members here (unite in place).
  void mergeIn(const FieldSet& other);
  /// removeIn removes `other`'s members from here, and with `recursive` what lies below them
  /// (difference and recursiveDifference in place).
  void removeIn(const FieldSet& other, bool recursive);
  void iteratePrefix(Path& prefix, const std::function<void(const Path&)>& fn) const;
  /// emitFieldsV1 adds this set's FieldsV1 members to `out`; `key` is scratch space for the keys.
  void emitFieldsV1(json::object& out, bool includeSelf, std::string& key) const;
  static std::optional<FieldSet> readFieldsV1(const json::object& obj, bool* isMember,
                                              std::string* error, int depth);

  std::vector<PathElement> members_;
  std::vector<Child> children_;
};

/// Child is one child of a FieldSet level: the element and the subset below it (never empty).
struct FieldSet::Child {
  PathElement element;
  FieldSet set;
};

bool operator==(const FieldSet& a, const FieldSet& b);

/// fieldSetOf builds a set from paths (for tests and fixed sets).
FieldSet fieldSetOf(const std::vector<Path>& paths);

}  // namespace apiserver::apply
