#pragma once

#include <apiserver/object.h>
#include <apiserver/status.h>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// @file strategy.h
/// Strategy: a resource's rules (kube's RESTCreateStrategy, RESTUpdateStrategy, TableConvertor
/// and AttrFunc in one). The host's generic Store calls it; every method must be thread-safe and
/// free of side effects outside the object it is given.

namespace apiserver {

/// TableColumn is one column of the resource's Table output (meta.k8s.io/v1 TableColumnDefinition).
struct TableColumn {
  std::string name;         ///< header text ("Ready"); kubectl upper-cases it
  std::string type;         ///< "string", "integer", "number", "boolean", "date"
  std::string format;       ///< "name" for the name column, else ""
  std::string description;
  int priority = 0;         ///< 1: shown only with -o wide
};

/// SelectableFields collects field-selector values of one object ("spec.nodeName" -> "node-1").
/// metadata.name and metadata.namespace are added by the host. A name is viewed, not copied: it
/// is a string literal or one the strategy owns (names from selectableFieldNames), never a
/// temporary.
using SelectableFields = std::vector<std::pair<std::string_view, std::string>>;

/// Strategy holds a resource's defaulting, validation, update rules, table columns and
/// selectable fields. Defaults make a resource with no rules at all.
class Strategy {
 public:
  virtual ~Strategy() = default;

  /// prepareForCreate clears what a client may not set on create (e.g. status) and fills
  /// defaults. metadata.name/namespace/uid/creationTimestamp are already set.
  virtual void prepareForCreate(json::object& obj) const { (void)obj; }
  /// prepareForUpdate does the same for an update of the main resource; `old` is the stored
  /// object. The host has already carried status over from `old` when the resource has a status
  /// subresource.
  virtual void prepareForUpdate(json::object& obj, const json::object& old) const {
    (void)obj;
    (void)old;
  }
  /// validate checks a new object. Field paths start below the object ("spec.containers[0].image").
  virtual FieldErrors validate(const json::object& obj) const {
    (void)obj;
    return {};
  }
  /// validateUpdate checks an update (immutable fields and the like) as well as the object itself.
  virtual FieldErrors validateUpdate(const json::object& obj, const json::object& old) const {
    (void)old;
    return validate(obj);
  }
  /// validateStatusUpdate checks an update through the status subresource.
  virtual FieldErrors validateStatusUpdate(const json::object& obj, const json::object& old) const {
    (void)obj;
    (void)old;
    return {};
  }
  /// allowCreateOnUpdate: a PUT of a missing object creates it.
  virtual bool allowCreateOnUpdate() const { return false; }
  /// allowUnconditionalUpdate: a PUT without metadata.resourceVersion overwrites the latest.
  virtual bool allowUnconditionalUpdate() const { return true; }

  /// holdsDeletion tells whether `obj` must stay after a delete even without metadata.finalizers
  /// (a namespace whose spec.finalizers are not done). The object then gets a deletionTimestamp
  /// and is removed once this turns false and no finalizers remain.
  virtual bool holdsDeletion(const json::object& obj) const {
    (void)obj;
    return false;
  }
  /// prepareForDelete is called when a delete starts but the object stays for now (finalizers
  /// pending, or holdsDeletion): it may update the object (a namespace becomes Terminating).
  virtual void prepareForDelete(json::object& obj) const { (void)obj; }

  /// tableColumns are the Table columns, Name first. Empty: the host's default (Name, Created At).
  virtual std::vector<TableColumn> tableColumns() const { return {}; }
  /// tableRow returns one cell per column for `obj`, as kube's printers render them.
  virtual std::vector<json::value> tableRow(const json::object& obj, TimePoint now) const {
    (void)obj;
    (void)now;
    return {};
  }

  /// selectableFieldNames lists the field-selector keys this resource supports beyond
  /// metadata.name and metadata.namespace. Any other key is refused with 400.
  virtual std::vector<std::string> selectableFieldNames() const { return {}; }
  /// selectableFields adds the values of those fields for `obj`.
  virtual void selectableFields(const json::object& obj, SelectableFields& out) const {
    (void)obj;
    (void)out;
  }
};

}  // namespace apiserver
