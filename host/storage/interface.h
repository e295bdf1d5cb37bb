#pragma once

#include <apiserver/request.h>
#include <apiserver/result.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// @file interface.h
/// storage::Interface: the key-value contract every backend (memory, sqlite, etcd3) keeps, with
/// etcd's revision semantics. The registry Store and the watch cache build kube's object-level
/// semantics (resourceVersion, continue tokens, guaranteed update) on top of it.

namespace apiserver::storage {

/// ErrorCode is a storage failure, translated to API errors once, in the registry Store.
enum class ErrorCode {
  KeyNotFound,       ///< no such key
  KeyExists,         ///< create of a key that exists
  Conflict,          ///< compare-and-swap lost: the key's mod revision is not the expected one
  Compacted,         ///< the requested revision is older than the oldest one kept
  RevisionTooLarge,  ///< the requested revision is newer than the current one
  Unreachable,       ///< the backend cannot be reached
  Timeout,           ///< the backend did not answer in time
  Internal,          ///< anything else (a bug, a corrupt value)
};

/// Error is a storage failure with the key and revision involved.
struct Error {
  ErrorCode code = ErrorCode::Internal;
  std::string key;
  std::int64_t revision = 0;  ///< Conflict: the current mod revision; Compacted: the oldest kept
  std::string message;
  std::int64_t requested = 0;  ///< Compacted, RevisionTooLarge: the revision that was asked for

  static Error keyNotFound(std::string_view key) { return {ErrorCode::KeyNotFound, std::string(key), 0, "key not found"}; }
  static Error keyExists(std::string_view key) { return {ErrorCode::KeyExists, std::string(key), 0, "key exists"}; }
  static Error conflict(std::string_view key, std::int64_t current) {
    return {ErrorCode::Conflict, std::string(key), current, "revision conflict"};
  }
  static Error compacted(std::int64_t requested, std::int64_t oldest) {
    return {ErrorCode::Compacted, {}, oldest,
            "required revision " + std::to_string(requested) + " has been compacted (oldest available is " +
                std::to_string(oldest) + ")",
            requested};
  }
  static Error revisionTooLarge(std::int64_t requested, std::int64_t current) {
    return {ErrorCode::RevisionTooLarge, {}, current,
            "required revision " + std::to_string(requested) + " is a future revision (current is " +
                std::to_string(current) + ")",
            requested};
  }
  static Error internal(std::string message) { return {ErrorCode::Internal, {}, 0, std::move(message)}; }
};

template <class T>
using Result = apiserver::Result<T, Error>;

/// KeyValue is one key at one revision.
struct KeyValue {
  std::string key;
  SharedBytes value;
  std::int64_t createRevision = 0;
  std::int64_t modRevision = 0;
  /// stale: the stored form is out of date although the value is not (written with an older
  /// encryption key); an update that changes nothing must still rewrite it.
  bool stale = false;
};

/// ListOptions select what list returns.
struct ListOptions {
  std::int64_t revision = 0;  ///< 0: the latest; otherwise the state as of that revision
  std::string startKey;       ///< first key to return (inclusive); empty: from the prefix start
  std::int64_t limit = 0;     ///< at most this many items; 0: no limit
};

/// ListResult is a snapshot (or one page of it) of the keys under a prefix.
struct ListResult {
  std::vector<KeyValue> items;  ///< in key order
  std::int64_t revision = 0;    ///< the revision the snapshot is of
  bool more = false;            ///< keys past the last item remain (with limit)
  std::int64_t remaining = 0;   ///< how many keys remain after the page, if known
};

/// DeleteResult is what remove returns: the removed key as it was, and the deletion's revision.
struct DeleteResult {
  KeyValue previous;
  std::int64_t revision = 0;
};

/// EventType is a change to one key.
enum class EventType { Put, Delete };

/// Event is one change, at `revision`. For Put, `value` is the new value and `previous` the old
/// one (null if the key was created); for Delete, `value` is null and `previous` the last value.
struct Event {
  EventType type = EventType::Put;
  std::string key;
  std::int64_t revision = 0;
  std::int64_t createRevision = 0;
  SharedBytes value;
  SharedBytes previous;
  std::int64_t previousRevision = 0;  ///< mod revision of `previous`
};

/// WatchNotification is one delivery to a watcher: events in revision order, or the error that
/// ended the watch (no further deliveries follow an error). Writes may share a revision (etcd3
/// sends creates made at the same moment in one Txn); a delivery then holds every event of each
/// revision it holds. `progress`, when non-zero, says that
/// no change under the watched prefix up to that revision remains undelivered (etcd's progress
/// notification): a watcher of a quiet prefix still learns that the store moved on.
struct WatchNotification {
  std::vector<Event> events;
  std::optional<Error> error;
  std::int64_t progress = 0;
};

/// WatchCallback receives deliveries in order, never two at once for one watch. It must be quick
/// and must not call back into the same backend's write methods. Backends send progress with
/// a watcher's events and when asked through requestProgress; a watcher of a quiet prefix may
/// hear nothing of other prefixes' writes until then.
using WatchCallback = std::function<void(WatchNotification&&)>;

/// Watch is a running watch. Destroying it (or stop()) ends it; once stop() returns the callback
/// is not running and will not run again.
class Watch {
 public:
  virtual ~Watch() = default;
  virtual void stop() = 0;
};

/// RemovingWatch is a Watch that ends by calling `remove`, which must be idempotent and, unless
/// called from inside the callback, wait until the callback is not running. Every stop() calls
/// it, and `remove` lives as long as the watch: the callback may stop its own watch while another
/// thread is stopping or destroying it, and neither frees what the other is running.
class RemovingWatch final : public Watch {
 public:
  explicit RemovingWatch(std::function<void()> remove) : remove_(std::move(remove)) {}
  ~RemovingWatch() override { stop(); }
  void stop() override { remove_(); }

 private:
  const std::function<void()> remove_;
};

/// RevisionStamp is where a value holds a placeholder for the revision its write gets: `size`
/// bytes at `at` (see Interface::createStamped).
struct RevisionStamp {
  std::size_t at = 0;
  std::size_t size = 0;
};

/// StampedWrite is what a create with a revision stamp wrote: its revision, and the value as the
/// backend keeps it (the stamp holding that revision).
struct StampedWrite {
  std::int64_t revision = 0;
  SharedBytes value;
};

/// CreateCallback receives the answer of an asynchronous create: the write's revision or why it
/// failed.
using CreateCallback = std::function<void(Result<std::int64_t>)>;

/// Interface is the backend contract. All methods are thread-safe.
class Interface {
 public:
  virtual ~Interface() = default;

  /// get returns the current value of key, or KeyNotFound.
  virtual Result<KeyValue> get(std::string_view key) = 0;
  /// list returns the keys under prefix in key order, as of opts.revision (Compacted if that
  /// state is gone, RevisionTooLarge if it is in the future).
  virtual Result<ListResult> list(std::string_view prefix, const ListOptions& opts) = 0;
  /// create stores a new key; KeyExists if it exists. Returns the write's revision.
  virtual Result<std::int64_t> create(std::string_view key, std::string value) = 0;
  /// createAsync is create answering through `done`, exactly once: before it returns (the
  /// default, which calls create), or on the backend's own thread once the write is durable, so
  /// that no thread of the caller's waits for the commit. Creates running at once may be written
  /// together, at one revision. `done` must be quick, must not throw and must not call back into
  /// this backend's writes.
  virtual void createAsync(std::string_view key, std::string value, CreateCallback done) {
    done(create(key, std::move(value)));
  }
  /// stampsRevisions tells whether createStamped is supported.
  virtual bool stampsRevisions() const { return false; }
  /// createStamped is create, with the write's revision first written (in decimal) over the
  /// placeholder `stamp` marks in `value`: what the backend keeps, returns and delivers to its
  /// watchers is the value as that revision makes it. A backend that keeps values in memory can
  /// then share one buffer with a cache that serves them with their revision, and answer the
  /// write with it too. Only where stampsRevisions(); Internal otherwise, or when the stamp lies
  /// outside the value.
  virtual Result<StampedWrite> createStamped(std::string_view /*key*/, std::string /*value*/,
                                             RevisionStamp /*stamp*/) {
    return fail(Error::internal("this storage backend does not stamp revisions"));
  }
  /// update replaces key's value if its mod revision is `expectedModRevision` (Conflict carrying
  /// the current one otherwise; KeyNotFound if it is gone). Returns the write's revision.
  virtual Result<std::int64_t> update(std::string_view key, std::string value, std::int64_t expectedModRevision) = 0;
  /// remove deletes key, if `expectedModRevision` is 0 or its mod revision.
  virtual Result<DeleteResult> remove(std::string_view key, std::int64_t expectedModRevision) = 0;
  /// watch delivers every change under prefix with a revision greater than afterRevision, in
  /// order, each exactly once; Compacted if afterRevision is older than the history kept.
  virtual Result<std::unique_ptr<Watch>> watch(std::string_view prefix, std::int64_t afterRevision,
                                               WatchCallback callback) = 0;
  /// currentRevision is the revision of the latest write (what a consistent read must reflect).
  virtual Result<std::int64_t> currentRevision() = 0;
  /// requestProgress asks for a progress notification on every watch, up to (at least) the
  /// current revision, so that a watcher of a quiet prefix can confirm it is current. It
  /// returns at once; the notifications follow.
  virtual void requestProgress() = 0;
  /// compact discards history up to and including revision.
  virtual Result<void> compact(std::int64_t revision) = 0;
  /// writesWait tells whether a write may wait on something outside this process (an fsync, a
  /// network round trip). A backend whose writes never do (memory) lets the server run writes
  /// on its I/O threads instead of handing them to the blocking pool and back.
  virtual bool writesWait() const { return true; }
  /// createWaits tells whether createAsync may hold its caller's thread waiting: by default when
  /// writes wait; not for a backend whose createAsync answers from its own thread.
  virtual bool createWaits() const { return writesWait(); }
};

using InterfacePtr = std::shared_ptr<Interface>;

}  // namespace apiserver::storage
