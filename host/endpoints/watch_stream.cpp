#include "endpoints/watch_stream.h"

#include "registry/store.h"

#include <boost/json/serialize.hpp>

namespace apiserver::endpoints {

namespace json = boost::json;

namespace {

// staticBytes shares a constant without counting references. Every watcher's event line holds
// the same prefix and suffix, and the threads delivering an event to a thousand watchers would
// otherwise take turns at one shared counter for each (a cache line moving between the cores).
SharedBytes staticBytes(const std::string& s) {
  return SharedBytes(SharedBytes(), &s);
}

// The fixed parts of an event line; the object bytes between them come from the cache.
const SharedBytes& framePrefix(storage::WatchEventType t) {
  static const std::string kAddedText = R"({"type":"ADDED","object":)";
  static const std::string kModifiedText = R"({"type":"MODIFIED","object":)";
  static const std::string kDeletedText = R"({"type":"DELETED","object":)";
  static const std::string kBookmarkText = R"({"type":"BOOKMARK","object":)";
  static const SharedBytes kAdded = staticBytes(kAddedText);
  static const SharedBytes kModified = staticBytes(kModifiedText);
  static const SharedBytes kDeleted = staticBytes(kDeletedText);
  static const SharedBytes kBookmark = staticBytes(kBookmarkText);
  switch (t) {
    case storage::WatchEventType::Added: return kAdded;
    case storage::WatchEventType::Modified: return kModified;
    case storage::WatchEventType::Deleted: return kDeleted;
    case storage::WatchEventType::Bookmark:
    case storage::WatchEventType::Error: break;
  }
  return kBookmark;
}

// kBatch is the most events one poll takes, but for the rest of a revision (the watch cache
// never ends a take inside one): one write's worth (3 buffers each, within what the session
// keeps between writes). A watcher that has fallen behind reads the rest from the watch
// cache's history write by write instead of holding it queued.
constexpr std::size_t kBatch = 20;

const SharedBytes& frameSuffix() {
  static const std::string kSuffixText = "}\n";
  static const SharedBytes kSuffix = staticBytes(kSuffixText);
  return kSuffix;
}

}  // namespace

SharedBytes errorEvent(const ApiError& error) {
  return makeBytes(R"({"type":"ERROR","object":)" + json::serialize(error.toJson()) + "}\n");
}

WatchStream::WatchStream(std::shared_ptr<const registry::Store> store, storage::CacheWatcherPtr watcher, Output output,
                         std::shared_ptr<const TableRenderer> table, std::shared_ptr<const WallClock> clock)
    : store_(std::move(store)),
      watcher_(std::move(watcher)),
      output_(output),
      table_(std::move(table)),
      clock_(std::move(clock)) {}

WatchStream::~WatchStream() { cancel(); }

void WatchStream::start(std::function<void()> wake) {
  watcher_->setWake([woke = woke_, wake = std::move(wake)] {
    woke->store(true);
    wake();
  });
}

bool WatchStream::poll(std::vector<SharedBytes>& out) {
  if (ended_) return false;
  // A take that came back short read everything there was: until the watcher is woken again
  // (a change for it, its end) another take finds nothing. The session polls once more after
  // each write; that poll costs no locks.
  if (!woke_->exchange(false) && caughtUp_)
    return true;
  auto& events = events_;  // reused from poll to poll; empty between polls
  bool more;
  bool full;
  do {  // a full batch that gave nothing to write (unreadable objects) is followed by the next
    more = watcher_->take(events, kBatch);
    full = events.size() == kBatch;
    for (auto& ev : events)
      frame(ev, out);
    events.clear();  // the objects are referenced by `out` now
  } while (more && full && out.empty());
  caughtUp_ = !full;
  if (more) return true;
  ended_ = true;
  if (auto err = watcher_->endError(); err && !cancelled_.load()) out.push_back(errorEvent(*err));
  store_->unwatch(watcher_);
  return false;
}

void WatchStream::frame(storage::WatchEvent& ev, std::vector<SharedBytes>& out) {
  if (ev.type == storage::WatchEventType::Bookmark) {
    // A bookmark carries only the revision (and, ending the initial events, kube's annotation).
    const auto& spec = store_->spec();
    json::object meta{{"resourceVersion", std::to_string(ev.revision)}};
    if (ev.initialEventsEnd)
      meta["annotations"] = json::object{{"k8s.io/initial-events-end", "true"}};
    out.push_back(framePrefix(ev.type));
    out.push_back(makeBytes(json::serialize(json::object{
        {"kind", spec.kind}, {"apiVersion", spec.groupVersion()}, {"metadata", std::move(meta)}})));
    out.push_back(frameSuffix());
    return;
  }
  if (output_.format == Format::Table) {
    auto obj = registry::parseObject(*ev.object->json);
    if (!obj)
      return;
    std::vector<json::object> one;
    one.push_back(std::move(*obj));
    auto t = table_->table(one, ListMeta{std::to_string(ev.revision), {}, {}}, output_.include,
                           clock_->now(), !columnsSent_);
    columnsSent_ = true;
    out.push_back(framePrefix(ev.type));
    out.push_back(makeBytes(json::serialize(t)));
  } else {
    // The object's bytes are held through the event's reference to the object, moved: a second
    // reference count per delivery, on bytes every watcher on every thread shares, is not taken.
    const std::string* bytes = ev.object->json.get();
    out.push_back(framePrefix(ev.type));
    out.push_back(SharedBytes(std::move(ev.object), bytes));
  }
  out.push_back(frameSuffix());
}

void WatchStream::cancel() noexcept {
  if (cancelled_.exchange(true)) return;
  store_->unwatch(watcher_);  // ends the watcher, which wakes the session to finish
}

ErrorEventStream::ErrorEventStream(const ApiError& error) : event_(errorEvent(error)) {}

bool ErrorEventStream::poll(std::vector<SharedBytes>& out) {
  if (!sent_) {
    out.push_back(event_);
    sent_ = true;
  }
  return false;
}

}  // namespace apiserver::endpoints
