#pragma once

#include "apply/managed_fields.h"
#include "apply/typed.h"
#include "schema/schema.h"

#include <apiserver/object.h>
#include <apiserver/result.h>
#include <apiserver/status.h>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

/// @file field_manager.h
/// FieldManager: server-side apply and managedFields for one resource, as kube's field manager
/// chain does them (k8s.io/apimachinery/pkg/util/managedfields/internal: FieldManager,
/// versionCheck, lastAppliedUpdater, lastAppliedManager, skipNonApplied, capManagers,
/// buildManagerInfo, managedFieldsUpdater, stripMeta, structuredMerge; and
/// sigs.k8s.io/structured-merge-diff/merge.Updater).
///
/// - update() records who changed what on every write that is not an apply (create, update,
///   patch): the manager's Update entry gains the fields it set or changed, other managers lose
///   them, and entries left empty disappear.
/// - apply() merges an applied configuration into the live object, removes the fields the
///   manager applied before and no longer applies (unless someone else manages them), and
///   refuses to change fields other managers own unless forced (409 Conflict).

namespace apiserver::apply {

/// kLastAppliedAnnotation is the annotation client-side apply keeps its configuration in.
inline constexpr std::string_view kLastAppliedAnnotation =
    "kubectl.kubernetes.io/last-applied-configuration";
/// kMaxUpdateManagers is how many Update entries an object keeps before the oldest are merged
/// into "ancient-changes" (kube's DefaultMaxUpdateManagers).
inline constexpr std::size_t kMaxUpdateManagers = 10;

/// Conflict is a field another manager owns and an apply would change.
struct Conflict {
  std::string manager;  ///< the owner's manager identifier
  Path path;
};

/// conflictError is kube's 409 for apply conflicts: message "Apply failed with N conflict(s):
/// ...", one FieldManagerConflict cause per field. `name` and `resource` fill details.
ApiError conflictError(const std::vector<Conflict>& conflicts, std::string_view name,
                       const GroupResource& resource);

/// managerFromUserAgent is the manager name kube derives from a User-Agent when a write names
/// none (kube's prefixFromUserAgent): the text before the first '/', without unprintable
/// characters, at most 128 bytes ("kubectl/v1.32.4 (linux/amd64) ..." gives "kubectl").
std::string managerFromUserAgent(std::string_view userAgent);

/// appliedObject checks that a decoded apply body is an object (kube decodes it into a map);
/// otherwise 400 "error decoding YAML: ...".
Result<json::object> appliedObject(json::value body);

/// checkObjectName is kube's checkName for a patched object: 400 when its name or namespace is
/// not the request's.
Result<void> checkObjectName(const json::object& obj, std::string_view name, std::string_view ns);

/// FieldManager serves one resource. Immutable after construction; thread-safe.
class FieldManager {
 public:
  /// Options describe the resource.
  struct Options {
    std::string group;     ///< "" for the core group
    std::string version;   ///< "v1"
    std::string kind;      ///< "Pod"
    std::string resource;  ///< "pods" (for error details)
    /// statusSubresource: the resource has a status subresource, so writes to the main resource
    /// do not own status and writes to status do not own spec (kube's reset fields).
    bool statusSubresource = false;
  };

  /// ApplyOptions are one apply's parameters.
  struct ApplyOptions {
    std::string manager;      ///< the fieldManager parameter (required)
    bool force = false;       ///< take ownership instead of failing on conflicts
    std::string subresource;  ///< "" or "status"
    TimePoint now;
  };

  /// FieldManager(root, options): `root` is the kind's schema (the unknown node for a kind
  /// without one: its objects are deduced). The SchemaSet must outlive the manager.
  FieldManager(schema::SchemaNode root, Options options);

  /// groupVersion is "v1" or "apps/v1".
  const std::string& groupVersion() const { return groupVersion_; }
  /// root is the kind's type.
  const TypeRef& root() const { return root_; }

  /// update records `manager`'s Update entry on `object`, the object a create (live nullptr),
  /// update or patch is about to store. An object whose managedFields are empty is left
  /// untracked unless it is being created, as kube does. Never fails: what cannot be decoded is
  /// treated as absent.
  void update(const json::object* live, json::object& object, std::string_view manager,
              std::string_view subresource, TimePoint now) const;

  /// apply merges `applied` into `live` (nullptr: the object does not exist yet) and returns the
  /// object to store, with its managedFields. Errors: 400 for an applied object of another kind
  /// or with managedFields, 500 (kube's wording) for one that does not fit the schema, 409 for
  /// conflicts with other managers.
  Result<json::object> apply(const json::object* live, const json::object& applied,
                             const ApplyOptions& options) const;

 private:
  Managed applyCore(const json::value& live, const json::object& applied, Managed managed,
                    const ApplyOptions& options, bool force, json::value* result,
                    std::vector<Conflict>* conflicts) const;
  /// updateIdentity is the identity of `manager`'s Update entry ("unknown" when it has none).
  ManagerIdentity updateIdentity(std::string_view manager, std::string_view subresource) const;
  /// recordCreate is update() for a new object nobody manages yet: its entry is what it sets
  /// (updateCore against the zero object), written straight from the object.
  void recordCreate(json::object& object, std::string_view manager, std::string_view subresource,
                    TimePoint now) const;
  void updateCore(const json::object& live, const json::object& next, Managed& managed,
                  std::string_view manager, std::string_view subresource,
                  const std::string& now) const;
  Comparison updateManagers(const json::object& live, const json::object& next, Managed& managed,
                            const std::string& workflow, bool force, const FieldSet& ignored,
                            std::vector<Conflict>* conflicts) const;
  json::value prune(const json::value& merged, const Managed& managed,
                    const VersionedSet* lastSet) const;
  std::optional<FieldSet> allowedConflictsFromLastApplied(const json::object& live) const;
  const FieldSet& ignoredFor(std::string_view subresource) const;
  void stripMeta(Managed& managed, const std::string& id) const;
  void capUpdateManagers(Managed& managed) const;

  /// CreatedFields is the FieldsV1 recordCreate last computed, with the shape of the object and
  /// the subresource it was computed for: objects created from one template (a ReplicaSet's
  /// pods, the benchmark's) differ only in what the FieldsV1 does not depend on.
  struct CreatedFields;
  /// createdFields returns the FieldsV1 of a new `object` (in its storage): a copy of
  /// lastCreated_'s when the object has its shape, else computed (and kept in lastCreated_).
  json::object createdFields(const json::object& object, std::string_view subresource) const;

  TypeRef root_;
  json::object zero_;  // zeroObject(root_): what a create is compared against, built once
  Options opts_;
  std::string groupVersion_;
  FieldSet stripSet_;
  FieldSet ignoredMain_;
  FieldSet ignoredStatus_;
  FieldSet noFields_;
  mutable std::atomic<std::shared_ptr<const CreatedFields>> lastCreated_;
};

}  // namespace apiserver::apply
