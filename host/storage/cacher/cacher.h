#pragma once

#include "selection/field_selector.h"
#include "selection/label_selector.h"
#include "storage/interface.h"

#include <boost/json/fwd.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

/// @file cacher.h
/// The watch cache (kube's cacher): an in-memory copy of one resource, filled by list+watch from
/// the backend, that serves get, list and watch. Each object is decoded and encoded once per
/// revision; the bytes are shared by every GET, LIST and watcher.

namespace apiserver::storage {

/// CachedObject is one object at one revision, ready to serve. Immutable once published.
struct CachedObject {
  std::string key;            ///< the storage key the Decoder was given
  std::int64_t revision = 0;  ///< its metadata.resourceVersion
  SharedBytes json;           ///< the object as served, metadata.resourceVersion included
  selection::Labels labels;
  selection::Fields fields;   ///< selectable fields, metadata.name and metadata.namespace included
  /// ownership: metadata has ownerReferences, finalizers or a deletionTimestamp — what the garbage
  /// collector follows besides an object's identity. True when the decoder did not say.
  bool ownership = true;
  /// parsed is `json` parsed, kept by the first reader that needed the object rather than its
  /// bytes (registry::parsedObject) for every later one; null until then.
  mutable std::atomic<std::shared_ptr<const boost::json::object>> parsed;

  std::string_view name() const noexcept { return fields.get("metadata.name"); }
  /// namespace_ is "" for a cluster-scoped object.
  std::string_view namespace_() const noexcept { return fields.get("metadata.namespace"); }
};
using CachedObjectPtr = std::shared_ptr<const CachedObject>;

/// Decoder turns a stored value into a CachedObject at `revision` (setting resourceVersion); it
/// may keep the value's bytes as the object's JSON when they are that already. It must be
/// thread-safe. A failure means the stored value is unusable (logged and skipped).
using Decoder = std::function<apiserver::Result<CachedObjectPtr>(
    std::string_view key, const SharedBytes& value, std::int64_t revision)>;

/// Filter selects objects: by key prefix (all of a resource, or one namespace), optionally one
/// exact key, and label/field selectors.
struct Filter {
  std::string prefix;
  std::optional<std::string> key;
  selection::LabelSelector labels;
  selection::FieldSelector fields;
  /// ownershipOnly is the garbage collector's view: objects with ownership metadata
  /// (CachedObject::ownership), the changes of objects that have it or had it, and every delete
  /// (any object may own others). A change of an object that has none before and after concerns
  /// it not: a stream of plain updates never wakes the collector.
  bool ownershipOnly = false;

  bool matches(const CachedObject& o) const {
    return matchesKey(o.key) && selects(o) && (!ownershipOnly || o.ownership);
  }
  /// matchesKey: the prefix and the exact key, which every state of one key shares.
  bool matchesKey(std::string_view k) const { return (!key || k == *key) && k.starts_with(prefix); }
  /// selects: the label and field selectors alone.
  bool selects(const CachedObject& o) const;
};

/// WatchEventType mirrors the watch event types of the API.
enum class WatchEventType { Added, Modified, Deleted, Bookmark, Error };

/// WatchEvent is one event for one watcher.
struct WatchEvent {
  WatchEventType type = WatchEventType::Added;
  CachedObjectPtr object;  ///< for Bookmark: null (the revision says where)
  std::int64_t revision = 0;
  bool initialEventsEnd = false;  ///< a Bookmark that ends the initial events (watch-list)
};

class Cacher;

/// CacheWatcher is one watcher of the cache: a cursor into the cacher's history of changes (the
/// events themselves are never copied per watcher), the initial events of its snapshot, and how
/// to wake its consumer. The cacher wakes the consumer when a change concerns it; the consumer (a
/// watch stream) reads from its cursor with take(). One consumer at a time; thread-safe otherwise.
/// take and setWake read the cacher: call them only while it exists (its owner, the Store, is
/// held by every consumer).
class CacheWatcher {
 public:
  explicit CacheWatcher(const Cacher& cacher) : cacher_(cacher) {}

  /// setWake installs the function called when events arrive or the watcher ends. It is called
  /// with the watcher's lock held: it must only signal, never call back into the watcher.
  void setWake(std::function<void()> wake);
  /// take appends up to `max` of the watcher's next events to `out`, and past `max` the rest of
  /// the revision it is in (a take never ends inside a revision); returns false once the watcher
  /// has ended and nothing more will come (`endError` then tells why). A take that stops at `max`
  /// leaves the rest for the next take (no new wake-up is sent for them).
  bool take(std::vector<WatchEvent>& out,
            std::size_t max = std::numeric_limits<std::size_t>::max());
  /// stop ends the watcher from the consumer side (idempotent).
  void stop();
  bool stopped() const;
  /// endError is set when the cacher ended the watcher (lagging, cacher stopped).
  std::optional<apiserver::ApiError> endError() const;

 private:
  friend class Cacher;
  void end(std::optional<apiserver::ApiError> err);
  void wake();

  const Cacher& cacher_;
  mutable std::mutex mu_;            // guards what follows, up to the cacher's part
  std::vector<WatchEvent> initial_;  // initial events, not bounded by capacity
  std::size_t initialTaken_ = 0;
  // Written under mu_; atomic so that stopped(), which the consumer asks after every take, reads
  // it without the lock (which the thread delivering a change also takes to wake the consumer).
  std::atomic<bool> ended_{false};
  std::optional<apiserver::ApiError> endError_;
  std::function<void()> wake_;

  // Set by Cacher::watch, constant after.
  Filter filter_;
  bool bookmarks_ = false;
  std::uint64_t startSeq_ = 0;  // the last change before the watcher started
  // Guarded by the cacher's mu_: written by the cacher holding it exclusively and by the one
  // consumer holding it shared.
  std::uint64_t cursor_ = 0;       // the last change this watcher has read, or need not read
  bool signalled_ = false;         // a change after cursor_ may concern it; a wake-up was sent
  // Counted once it is more than its capacity of changes behind (see Cacher::signal): how many of
  // the changes after max(cursor_, startSeq_) are its events. Reset when it catches up.
  bool counting_ = false;
  std::size_t unread_ = 0;
  std::int64_t bookmarkRev_ = 0;   // non-zero: a BOOKMARK at this revision is due...
  std::uint64_t bookmarkSeq_ = 0;  // ...once the cursor has reached this change
};
using CacheWatcherPtr = std::shared_ptr<CacheWatcher>;

/// Cacher is the watch cache of one resource (one key prefix).
class Cacher {
 public:
  struct Options {
    std::string prefix;               ///< "/registry/pods/"
    std::size_t historySize = 10000;  ///< events kept for watch resumption and paged lists
    /// a watcher with more unread events than this (or whose unread changes left the history)
    /// is ended with Expired
    std::size_t watcherCapacity = 4096;
    Decoder decode;
    std::function<void(std::string_view)> logError;
  };

  Cacher(InterfacePtr backend, Options options);
  ~Cacher();
  Cacher(const Cacher&) = delete;
  Cacher& operator=(const Cacher&) = delete;

  /// start fills the cache (list) and follows the backend (watch).
  Result<void> start();
  /// stop ends the backend watch and every watcher.
  void stop();

  /// revision is the revision the cache reflects.
  std::int64_t revision() const;
  /// waitFor blocks until the cache reflects `revision` or the deadline passes (Timeout).
  Result<void> waitFor(std::int64_t revision, std::chrono::steady_clock::time_point deadline);
  /// waitFresh waits until the cache reflects the backend's current revision (a consistent read).
  Result<void> waitFresh(std::chrono::steady_clock::time_point deadline);

  /// get returns the current object at key, or KeyNotFound.
  Result<CachedObjectPtr> get(std::string_view key) const;
  /// getAt returns the object at key as of `revision` (Compacted if outside the history window).
  Result<CachedObjectPtr> getAt(std::string_view key, std::int64_t revision) const;

  struct ListRequest {
    const Filter* filter = nullptr;
    std::string startKey;       ///< continue from this key (inclusive)
    std::int64_t limit = 0;     ///< 0: everything
    std::int64_t revision = 0;  ///< 0: the current state; else as of that revision
  };
  struct ListPage {
    std::vector<CachedObjectPtr> items;
    std::int64_t revision = 0;
    std::string nextKey;               ///< non-empty: more items from this key on
    std::optional<std::int64_t> remaining;  ///< items after this page (only without selectors)
  };
  /// list returns the matching objects in key order.
  Result<ListPage> list(const ListRequest& req) const;

  struct WatchRequest {
    Filter filter;
    bool initialEvents = false;  ///< send ADDED for every matching object first (rv "" or "0")
    std::int64_t afterRevision = 0;  ///< without initialEvents: events after this revision
    bool bookmarks = false;          ///< the watcher gets periodic BOOKMARK events
    bool initialEventsEnd = false;   ///< a BOOKMARK marks the end of the initial events
  };
  /// watch registers a watcher. Fails with Compacted for a revision older than the history.
  Result<CacheWatcherPtr> watch(WatchRequest req);

  /// sendBookmarks gives every watcher that asked for them a BOOKMARK at the current revision.
  void sendBookmarks();

  /// unwatch removes a watcher its consumer has finished with.
  void unwatch(const CacheWatcherPtr& w);

  /// watcherCount is the number of live watchers (for tests and metrics).
  std::size_t watcherCount() const;

 private:
  struct Change {
    std::uint64_t seq = 0;  ///< consecutive, across re-fills: a watcher's cursor
    std::int64_t revision = 0;
    std::string key;
    CachedObjectPtr object;    ///< null for a delete
    CachedObjectPtr previous;  ///< null for a create
    CachedObjectPtr deleted;   ///< for a delete: the last state, at the deletion's revision
    /// for an update: the previous state at this revision, made when a watcher first needs it
    /// (an object that stops matching a selector is reported DELETED in its last matching
    /// state). Guarded by previousAtMu_.
    mutable CachedObjectPtr previousAt;
  };

  friend class CacheWatcher;
  void onNotification(WatchNotification&& n);
  // apply applies an event with mu_ held; `obj` is a Put's decoded object (made before locking).
  void apply(const Event& ev, apiserver::Result<CachedObjectPtr> obj);
  // signal tells each watcher about change c (just appended to the history): wakes those it
  // concerns (into wakes_), moves the cursor of those it does not, ends those too far behind.
  // Caller holds mu_ exclusively.
  void signal(const Change& c);
  // wakeSignalled wakes the watchers signal and sendBookmarks collected. Caller holds deliverMu_,
  // not mu_.
  void wakeSignalled();
  // concerns tells whether change c is an event for a watcher with filter f.
  static bool concerns(const Filter& f, const Change& c);
  // overflows tells whether signalled watcher w, now that c has arrived, has more unread events
  // than its capacity (counting them once it is that many changes behind). Caller holds mu_
  // exclusively.
  bool overflows(CacheWatcher& w, const Change& c) const;
  // read appends up to `max` of w's events after its cursor to `out` (CacheWatcher::take).
  void read(CacheWatcher& w, std::vector<WatchEvent>& out, std::size_t max) const;
  // pending says whether w has been signalled and not read since.
  bool pending(const CacheWatcher& w) const;
  std::optional<WatchEvent> eventFor(const Filter& f, const Change& c) const;
  void endAll(const std::optional<apiserver::ApiError>& err);
  // The state as of `revision`, for keys in [from, prefix end): calls fn(obj) in key order until it
  // returns false. Caller holds mu_ (shared).
  void visitAt(std::int64_t revision, std::string_view prefix, std::string_view from,
               const std::function<bool(const CachedObjectPtr&)>& fn) const;

  InterfacePtr backend_;
  Options opts_;
  // fill lists the backend into the cache and follows it from there (start and restarts).
  Result<void> fill();
  // restartLoop re-fills the cache after the backend watch failed, with backoff.
  void restartLoop(std::stop_token stop);

  std::mutex watchMu_;  // guards backendWatch_ and restarter_
  std::unique_ptr<Watch> backendWatch_;
  std::jthread restarter_;
  std::atomic<bool> restarting_{false};

  std::mutex deliverMu_;                // guards wakes_; taken before mu_
  std::vector<CacheWatcherPtr> wakes_;  // the watchers to wake once mu_ is released
  mutable std::shared_mutex mu_;
  mutable std::mutex previousAtMu_;
  std::condition_variable_any advanced_;
  std::map<std::string, CachedObjectPtr, std::less<>> objects_;
  std::deque<Change> history_;
  std::uint64_t lastSeq_ = 0;     // the seq of the last change (history_ may have lost it)
  std::int64_t windowStart_ = 0;  // history holds every change after this revision
  std::int64_t revision_ = 0;
  std::vector<CacheWatcherPtr> watchers_;
  bool stopped_ = false;
  bool ready_ = false;  // false while (re)filling: reads answer Unreachable
};

}  // namespace apiserver::storage
