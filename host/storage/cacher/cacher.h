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
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stop_token>
#include <thread>
#include <string>
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
  /// parsed is `json` parsed, kept by the first reader that needed the object rather than its
  /// bytes (registry::parsedObject) for every later one; null until then.
  mutable std::atomic<std::shared_ptr<const boost::json::object>> parsed;

  std::string_view name() const noexcept { return fields.get("metadata.name"); }
  /// namespace_ is "" for a cluster-scoped object.
  std::string_view namespace_() const noexcept { return fields.get("metadata.namespace"); }
};
using CachedObjectPtr = std::shared_ptr<const CachedObject>;

/// Decoder turns a stored value into a CachedObject at `revision` (setting resourceVersion).
/// It must be thread-safe. A failure means the stored value is unusable (logged and skipped).
using Decoder = std::function<apiserver::Result<CachedObjectPtr>(std::string_view key, const std::string& value,
                                                                 std::int64_t revision)>;

/// Filter selects objects: by key prefix (all of a resource, or one namespace), optionally one
/// exact key, and label/field selectors.
struct Filter {
  std::string prefix;
  std::optional<std::string> key;
  selection::LabelSelector labels;
  selection::FieldSelector fields;

  bool matches(const CachedObject& o) const;
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

/// CacheWatcher is one watcher's queue. The cacher fills it; the consumer (a watch stream)
/// drains it with take(). Thread-safe.
class CacheWatcher {
 public:
  explicit CacheWatcher(std::size_t capacity) : capacity_(capacity) {}

  /// setWake installs the function called when events arrive or the watcher ends.
  void setWake(std::function<void()> wake);
  /// take moves the queued events into `out`; returns false once the watcher has ended and
  /// nothing more will come. `endReason` then tells why (empty for a normal stop).
  bool take(std::vector<WatchEvent>& out);
  /// stop ends the watcher from the consumer side (idempotent).
  void stop();
  bool stopped() const;
  /// endReason is set when the cacher ended the watcher (lagging, cacher stopped).
  std::optional<apiserver::ApiError> endError() const;

 private:
  friend class Cacher;
  // Called by the cacher. push returns false if the queue overflowed (the watcher is then ended).
  bool push(WatchEvent ev);
  void end(std::optional<apiserver::ApiError> err);

  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::deque<WatchEvent> queue_;
  std::vector<WatchEvent> initial_;  // initial events, not bounded by capacity
  bool ended_ = false;
  std::optional<apiserver::ApiError> endError_;
  std::function<void()> wake_;
  Filter filter_;
  bool bookmarks_ = false;
};
using CacheWatcherPtr = std::shared_ptr<CacheWatcher>;

/// Cacher is the watch cache of one resource (one key prefix).
class Cacher {
 public:
  struct Options {
    std::string prefix;               ///< "/registry/pods/"
    std::size_t historySize = 10000;  ///< events kept for watch resumption and paged lists
    std::size_t watcherCapacity = 4096;  ///< a watcher further behind than this is ended
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
    std::int64_t revision = 0;
    std::string key;
    CachedObjectPtr object;    ///< null for a delete
    CachedObjectPtr previous;  ///< null for a create
    CachedObjectPtr deleted;   ///< for a delete: the last state, at the deletion's revision
    /// for an update: the previous state at this revision, made when a watcher first needs it
    /// (an object that stops matching a selector is reported DELETED in its last matching
    /// state). Guarded by mu_ held exclusively.
    mutable CachedObjectPtr previousAt;
  };

  void onNotification(WatchNotification&& n);
  void apply(const Event& ev, std::vector<std::pair<CacheWatcherPtr, WatchEvent>>& deliveries);
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

  std::mutex deliverMu_;  // orders deliveries (events, bookmarks) to watchers; taken before mu_
  mutable std::shared_mutex mu_;
  std::condition_variable_any advanced_;
  std::map<std::string, CachedObjectPtr, std::less<>> objects_;
  std::deque<Change> history_;
  std::int64_t windowStart_ = 0;  // history holds every change after this revision
  std::int64_t revision_ = 0;
  std::vector<CacheWatcherPtr> watchers_;
  bool stopped_ = false;
  bool ready_ = false;  // false while (re)filling: reads answer Unreachable
};

}  // namespace apiserver::storage
