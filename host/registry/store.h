#pragma once

#include "schema/schema.h"
#include "selection/field_selector.h"
#include "storage/cacher/cacher.h"
#include "storage/interface.h"

#include <apiserver/registry.h>
#include <apiserver/result.h>
#include <apiserver/schema.h>
#include <apiserver/strategy.h>

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// @file store.h
/// The generic registry Store (kube's pkg/registry/generic/registry.Store): object-level REST
/// semantics for one resource over storage::Interface, with the resource's Strategy, the
/// admission chain and the watch cache.

namespace apiserver::apply {
class FieldManager;
}  // namespace apiserver::apply

namespace apiserver::storage {
class CallsInFlight;  // storage/calls_in_flight.h
}  // namespace apiserver::storage

namespace apiserver::registry {

namespace json = boost::json;

/// AdmissionChain runs the registered admission steps in registration order. As in kube, the
/// mutating phase runs before the object is validated and the validating phase after it.
class AdmissionChain {
 public:
  void add(std::shared_ptr<AdmissionStep> step) { steps_.push_back(std::move(step)); }
  /// mutate runs every step's admit().
  Result<void> mutate(AdmissionAttributes& attrs) const;
  /// validate runs every step's validate().
  Result<void> validate(const AdmissionAttributes& attrs) const;
  /// mayWait: some step may wait for more than a read of the server's storage.
  bool mayWait() const;

 private:
  std::vector<std::shared_ptr<AdmissionStep>> steps_;
};

/// ResourceVersionMatch is the list/get resourceVersionMatch parameter.
enum class RvMatch { Unset, NotOlderThan, Exact };

/// ReadOptions are the resourceVersion semantics of a get or list.
struct ReadOptions {
  std::string resourceVersion;  ///< "" most recent (consistent), "0" any, else a revision
  RvMatch match = RvMatch::Unset;
};

/// ListOptions are a list request's parameters (kube's metav1.ListOptions), already parsed.
struct ListOptions {
  ReadOptions read;
  std::string labelSelector;
  std::string fieldSelector;
  std::int64_t limit = 0;
  std::string continueToken;
};

/// ListResult is one page of a list: objects as served, plus list metadata.
struct ListResult {
  std::vector<storage::CachedObjectPtr> items;
  std::string resourceVersion;
  std::string continueToken;
  std::optional<std::int64_t> remainingItemCount;
};

/// WatchOptions are a watch request's parameters.
struct WatchOptions {
  std::string resourceVersion;
  std::string labelSelector;
  std::string fieldSelector;
  bool allowBookmarks = false;
  /// sendInitialEvents (watch-list): ADDED for the current state, then a BOOKMARK annotated
  /// k8s.io/initial-events-end; unset keeps the legacy resourceVersion rules.
  std::optional<bool> sendInitialEvents;
  /// ownershipOnly: the server's garbage collector's watch (storage::Filter::ownershipOnly); not
  /// a query parameter.
  bool ownershipOnly = false;
};

/// WriteOptions apply to create, update and delete.
struct WriteOptions {
  bool dryRun = false;
  std::string fieldManager;
  const UserInfo* user = nullptr;
  /// forceAllowCreate: a mutate() of a missing object creates it from what the mutation makes
  /// of an empty object (server-side apply; kube's patcher.forceAllowCreate).
  bool forceAllowCreate = false;
  /// managedFieldsSet: the mutation recorded metadata.managedFields itself (server-side apply),
  /// so the Store keeps them instead of recording an Update entry for fieldManager.
  bool managedFieldsSet = false;
  /// keepAlive is held until the write is answered: the memory the written object lives in when
  /// that is not shared by the object itself (endpoints::BodyArena).
  std::shared_ptr<const void> keepAlive;
};

/// PropagationPolicy is DeleteOptions.propagationPolicy: what happens to dependents.
enum class PropagationPolicy { Default, Background, Foreground, Orphan };

/// DeleteOptions are the parsed metav1.DeleteOptions of a delete.
struct DeleteOptions {
  WriteOptions write;
  std::optional<std::string> preconditionUid;
  std::optional<std::string> preconditionResourceVersion;
  PropagationPolicy propagation = PropagationPolicy::Default;
};

/// WriteResult is the object a write produced, as served.
struct WriteResult {
  json::object object;  ///< with metadata.resourceVersion set (unset for a dry-run create)
  bool created = false; ///< an update that created the object (201)
  bool deleted = false; ///< the object is gone (a delete, or an update that removed the last finalizer)
  /// json is `object`'s JSON as served when the write knew it without serializing `object`
  /// again: the watch cache's bytes when the cache already had the write (the memory backend), or
  /// the create's primed JSON with the revision filled in. Null otherwise.
  SharedBytes json;
};

/// Mutation computes the new object from the current one (for patches and guaranteed updates).
/// It receives a copy it may change and returns the object to store, or an error to abort.
using Mutation = std::function<Result<json::object>(json::object current)>;

/// Store serves one resource. Thread-safe.
class Store {
 public:
  struct Options {
    std::string keyPrefix = "/registry";
    std::size_t watchCacheSize = 10000;
    std::shared_ptr<const AdmissionChain> admission;
    std::shared_ptr<const WallClock> clock;  ///< optional: the system clock by default
    std::function<void(std::string_view)> logError;
  };

  Store(ResourceSpec spec, std::shared_ptr<const Strategy> strategy, storage::InterfacePtr backend, Options options);
  ~Store();

  /// start fills the watch cache.
  Result<void> start();
  void stop();

  const ResourceSpec& spec() const { return spec_; }
  const Strategy& strategy() const { return *strategy_; }
  GroupResource groupResource() const { return {spec_.group, spec_.plural}; }
  bool namespaced() const { return spec_.scope == Scope::Namespaced; }
  bool hasStatus() const { return hasStatus_; }
  /// schema is the kind's OpenAPI schema (the unknown node when it has none).
  const schema::SchemaSet& schema() const { return schema_; }
  /// fieldManager records managedFields and serves server-side apply for this resource.
  const apply::FieldManager& fieldManager() const { return *fieldManager_; }
  /// fieldLabels is what the resource accepts in field selectors.
  const selection::FieldLabelConversion& fieldLabels() const { return fieldLabels_; }

  Result<storage::CachedObjectPtr> get(std::string_view ns, std::string_view name, const ReadOptions& opts,
                                       std::chrono::steady_clock::time_point deadline) const;
  Result<ListResult> list(std::string_view ns, const ListOptions& opts,
                          std::chrono::steady_clock::time_point deadline) const;
  Result<storage::CacheWatcherPtr> watch(std::string_view ns, const WatchOptions& opts,
                                         std::chrono::steady_clock::time_point deadline) const;
  /// sendBookmarks gives watchers that asked for bookmarks a BOOKMARK event.
  void sendBookmarks() const { cacher_->sendBookmarks(); }
  void unwatch(const storage::CacheWatcherPtr& w) const { cacher_->unwatch(w); }

  /// create stores a new object (POST).
  Result<WriteResult> create(std::string_view ns, json::object obj, const WriteOptions& opts) const;
  /// CreateCallback receives createAsync's answer. It must not throw.
  using CreateCallback = std::function<void(Result<WriteResult>)>;
  /// createAsync is create answering through `done`, exactly once: before it returns when the
  /// create fails before its write or the backend answers in place (memory), otherwise on the
  /// backend's thread once the write is durable (sqlite), so that no thread waits for the commit.
  /// stop() waits for every answer still due.
  void createAsync(std::string_view ns, json::object obj, const WriteOptions& opts,
                   CreateCallback done) const;
  /// createWaits tells whether createAsync may hold its caller's thread waiting (for storage, or
  /// for an admission step that may wait): such a create is run on the blocking pool.
  bool createWaits() const;
  /// update replaces an object (PUT); `status` selects the status subresource.
  Result<WriteResult> update(std::string_view ns, std::string_view name, json::object obj, bool status,
                             const WriteOptions& opts) const;
  /// mutate applies `fn` to the current object and stores the result, retrying on conflicts
  /// (PATCH and in-process updates); `status` selects the status subresource.
  Result<WriteResult> mutate(std::string_view ns, std::string_view name, const Mutation& fn, bool status,
                             const WriteOptions& opts) const;
  /// remove deletes an object; the result is its last state. An object with finalizers (or one
  /// its strategy holds) is not removed but gets a deletionTimestamp (`deleted` false); it goes
  /// once an update leaves it without finalizers.
  Result<WriteResult> remove(std::string_view ns, std::string_view name, const DeleteOptions& opts) const;
  /// removeCollection deletes every object matching the selectors (DELETE on a collection);
  /// the result lists the objects as remove returned them.
  Result<std::vector<json::object>> removeCollection(std::string_view ns, const ListOptions& list,
                                                     const DeleteOptions& opts,
                                                     std::chrono::steady_clock::time_point deadline) const;
  /// hasFinalize: the resource serves the finalize subresource (namespaces).
  bool hasFinalize() const { return hasFinalize_; }
  /// finalize replaces spec.finalizers (PUT .../finalize).
  Result<WriteResult> finalize(std::string_view ns, std::string_view name, json::object obj,
                               const WriteOptions& opts) const;

  /// decode turns a stored value into a cached object (used by the watch cache).
  Result<storage::CachedObjectPtr> decode(std::string_view key, const SharedBytes& value,
                                          std::int64_t revision) const;
  /// key is the storage key of an object.
  std::string key(std::string_view ns, std::string_view name) const;
  /// prefix is the key prefix of all objects (ns empty) or of one namespace.
  std::string prefix(std::string_view ns) const;

 private:
  // How a write obtains the object to store from the current one.
  enum class UpdateKind { Put, Status, Finalize, Mutation };
  Result<WriteResult> guaranteedUpdate(std::string_view ns, std::string_view name, UpdateKind kind,
                                       const Mutation& fn, std::optional<std::int64_t> precondition,
                                       const WriteOptions& opts) const;
  Result<WriteResult> createObject(std::string_view ns, json::object obj, const WriteOptions& opts) const;
  struct PreparedCreate;  // store.cpp
  /// checkNew checks the namespace of an object to create, and sets it in the object.
  Result<void> checkNew(std::string_view ns, json::object& obj) const;
  /// prepareCreate is a create up to its write: the object as it will be stored, admitted and
  /// validated, and the key and value to write (none for a dry run).
  Result<PreparedCreate> prepareCreate(std::string_view ns, json::object obj,
                                       const WriteOptions& opts) const;
  /// writeNew makes a prepared create's write, synchronously.
  storage::Result<std::int64_t> writeNew(PreparedCreate& p) const;
  /// finishCreate is the create's answer once the backend answered its write.
  Result<WriteResult> finishCreate(PreparedCreate& p, storage::Result<std::int64_t> rev) const;
  FieldErrors validateMeta(const json::object& obj) const;
  FieldErrors validateMetaUpdate(const json::object& obj, const json::object& old) const;
  ApiError translate(const storage::Error& e, std::string_view name) const;
  ApiError invalid(std::string_view name, const FieldErrors& errs) const;
  enum class AdmissionPhase { Mutate, Validate, Both };
  Result<void> admit(AdmissionPhase phase, Operation op, std::string_view ns, std::string_view name, bool status,
                     json::object* obj, const json::object* old, const WriteOptions& opts) const;
  Result<std::int64_t> parseResourceVersion(std::string_view rv) const;
  Result<storage::Filter> filter(std::string_view ns, std::string_view labelSelector,
                                 std::string_view fieldSelector) const;

  /// describe sets what the cache indexes an object by (labels, selectable fields).
  void describe(const json::object& obj, storage::CachedObject& out) const;
  struct PrimedWrites;  // store.cpp
  struct PrimedAnswer;  // store.cpp

  /// encodePrimed is encodeForStorage for a value this store is about to write under `key`, and
  /// hands the cacher's decode its decoded form, so that it does not parse the value back.
  /// `answer` gets what renders the write's answer without serializing the object again (left
  /// empty when the write is not primed). To a backend that stamps revisions the value is the
  /// JSON as served, a placeholder for the revision at `answer.stamp`: the backend and the cache
  /// then keep one buffer.
  std::string encodePrimed(const std::string& key, json::object& obj, PrimedAnswer& answer) const;

  ResourceSpec spec_;
  std::shared_ptr<const Strategy> strategy_;
  storage::InterfacePtr backend_;
  Options opts_;
  std::unique_ptr<storage::Cacher> cacher_;
  selection::FieldLabelConversion fieldLabels_;
  selection::FieldNamesPtr fieldNames_;  // shared by every cached object's Fields
  schema::SchemaSet schema_;
  std::unique_ptr<const apply::FieldManager> fieldManager_;  // over schema_
  bool hasStatus_ = false;
  bool hasFinalize_ = false;
  std::unique_ptr<PrimedWrites> primed_;
  std::unique_ptr<storage::CallsInFlight> asyncCreates_;  // createAsync answers still due
};

/// encodeForStorage serializes an object for storage: it removes metadata.resourceVersion from
/// `obj` (the write's revision becomes the new one) and encodes the rest, without a copy.
std::string encodeForStorage(json::object& obj);
/// parseObject parses JSON bytes that must hold an object.
Result<json::object> parseObject(std::string_view bytes);
/// parsedObject is a cached object parsed, once: the first caller keeps the parse in it and every
/// later one shares that.
Result<std::shared_ptr<const json::object>> parsedObject(const storage::CachedObject& cached);

}  // namespace apiserver::registry
