#pragma once

#include "apply/field_set.h"

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>

/// @file managed_fields.h
/// metadata.managedFields as kube keeps it (k8s.io/apimachinery/pkg/util/managedfields/internal:
/// managedfields.go): entries keyed by a *manager identifier* (manager, operation, apiVersion
/// for updates, subresource), each with a field set, the apiVersion it was written in, whether
/// it came from an apply, and the time of the last change.

namespace apiserver::apply {

/// kApplyOperation / kUpdateOperation are ManagedFieldsEntry.operation values.
inline constexpr std::string_view kApplyOperation = "Apply";
inline constexpr std::string_view kUpdateOperation = "Update";

/// ManagerIdentity is what identifies a managedFields entry.
struct ManagerIdentity {
  std::string manager;
  std::string operation;   ///< "Apply" or "Update"
  std::string apiVersion;  ///< not part of an Apply entry's identity
  std::string subresource;
};

/// buildManagerIdentifier renders an identity as kube's BuildManagerIdentifier does: compact
/// JSON with manager, operation, apiVersion (Update only) and subresource, empty ones omitted.
std::string buildManagerIdentifier(const ManagerIdentity& identity);
/// parseManagerIdentifier reads an identifier back; nullopt if it is not one.
std::optional<ManagerIdentity> parseManagerIdentifier(std::string_view identifier);
/// printManager words a manager as kube's conflict messages do: `"name"`, plus
/// ` with subresource "status"`, plus ` using v1` for an Update entry.
std::string printManager(std::string_view identifier);

/// VersionedSet is one entry's fields.
struct VersionedSet {
  FieldSet set;
  std::string apiVersion;
  bool applied = false;  ///< written by an apply (operation Apply)
};

/// Managed is the decoded managedFields of an object: sets and times by manager identifier.
struct Managed {
  std::map<std::string, VersionedSet> fields;
  std::map<std::string, std::string> times;  ///< RFC 3339, second precision
};

/// decodeManagedFields reads metadata.managedFields (nullptr or null: none). Fails, with kube's
/// wording, on an entry whose operation, apiVersion, fieldsType or fieldsV1 is invalid.
std::optional<Managed> decodeManagedFields(const json::value* managedFields, std::string* error);

/// encodeManagedFields renders the entries sorted as kube sorts them: by operation (Apply
/// first), time, manager, apiVersion, subresource. Each entry has manager, operation,
/// apiVersion, time, fieldsType "FieldsV1", fieldsV1 and subresource, empty ones omitted.
/// The array and everything in it take their memory from `sp` (the object it goes into, so that
/// assigning it there does not copy it).
json::array encodeManagedFields(const Managed& managed, json::storage_ptr sp = {});

/// encodeManagedEntry is one entry as encodeManagedFields renders it, `fieldsV1` already encoded
/// (moved in: give it `sp`'s memory).
json::object encodeManagedEntry(const ManagerIdentity& id, std::string_view time,
                                json::object fieldsV1, json::storage_ptr sp = {});

/// isResetManagedFields tells whether a client asks to clear managedFields: `[]` or `[{}]`.
bool isResetManagedFields(const json::value* managedFields);

}  // namespace apiserver::apply
