#include "storage/cacher/cacher.h"

#include <algorithm>
#include <condition_variable>

namespace apiserver::storage {

namespace {
Error notReady() { return Error{ErrorCode::Unreachable, {}, 0, "the watch cache is re-initializing"}; }
}  // namespace

bool Filter::selects(const CachedObject& o) const {
  return labels.matches(o.labels) && fields.matches(o.fields);
}

// ---------------------------------------------------------------- CacheWatcher

void CacheWatcher::setWake(std::function<void()> wake) {
  bool now;
  {
    std::lock_guard lock(mu_);
    wake_ = std::move(wake);
    now = ended_ || initialTaken_ < initial_.size();
  }
  // A change signalled before the wake was installed found none to call: call it now. (Any
  // later one calls it itself.)
  if (now || cacher_.pending(*this))
    this->wake();
}

void CacheWatcher::wake() {
  std::lock_guard lock(mu_);
  if (wake_)
    wake_();
}

bool CacheWatcher::take(std::vector<WatchEvent>& out, std::size_t max) {
  {
    std::lock_guard lock(mu_);
    if (ended_)
      return false;
    for (; initialTaken_ < initial_.size() && max > 0; --max)
      out.push_back(std::move(initial_[initialTaken_++]));
    if (initialTaken_ < initial_.size())
      return true;  // the snapshot comes before any change
    if (!initial_.empty()) {
      initial_ = {};
      initialTaken_ = 0;
    }
  }
  if (max > 0)
    cacher_.read(*this, out, max);
  return !stopped();
}

void CacheWatcher::stop() { end(std::nullopt); }

bool CacheWatcher::stopped() const {
  return ended_.load(std::memory_order_acquire);
}

std::optional<apiserver::ApiError> CacheWatcher::endError() const {
  std::lock_guard lock(mu_);
  return endError_;
}

void CacheWatcher::end(std::optional<apiserver::ApiError> err) {
  std::lock_guard lock(mu_);
  if (ended_)
    return;
  ended_.store(true, std::memory_order_release);
  endError_ = std::move(err);
  initial_ = {};
  if (wake_)
    wake_();
}

// ---------------------------------------------------------------- Cacher

Cacher::Cacher(InterfacePtr backend, Options options) : backend_(std::move(backend)), opts_(std::move(options)) {}

Cacher::~Cacher() { stop(); }

Result<void> Cacher::start() { return fill(); }

Result<void> Cacher::fill() {
  auto listed = backend_->list(opts_.prefix, ListOptions{});
  if (!listed) return fail(std::move(listed).error());
  {
    std::unique_lock lock(mu_);
    objects_.clear();
    history_.clear();
    for (auto& kv : listed->items) {
      auto obj = opts_.decode(kv.key, kv.value, kv.modRevision);
      // The value read is dropped as soon as it is decoded, so that the decoded objects reuse
      // its memory: filling does not end holding every stored value twice, a peak the
      // allocator would keep.
      kv.value.reset();
      if (!obj) {
        if (opts_.logError) opts_.logError("skipping undecodable object " + kv.key + ": " + obj.error().message);
        continue;
      }
      objects_.emplace(kv.key, std::move(*obj));
    }
    revision_ = listed->revision;
    windowStart_ = listed->revision;
    ready_ = true;
  }
  advanced_.notify_all();
  auto w = backend_->watch(opts_.prefix, listed->revision,
                           [this](WatchNotification&& n) { onNotification(std::move(n)); });
  if (!w) return fail(std::move(w).error());
  std::lock_guard lock(watchMu_);
  backendWatch_ = std::move(*w);
  return {};
}

void Cacher::restartLoop(std::stop_token stop) {
  {
    std::unique_ptr<Watch> old;
    {
      std::lock_guard lock(watchMu_);
      old = std::move(backendWatch_);
    }
    if (old) old->stop();
  }
  auto backoff = std::chrono::milliseconds(100);
  while (!stop.stop_requested()) {
    auto r = fill();
    if (r) return;
    if (opts_.logError) opts_.logError("watch cache " + opts_.prefix + ": re-listing failed: " + r.error().message);
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lock(m);
    cv.wait_for(lock, stop, backoff, [] { return false; });
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
}

void Cacher::stop() {
  std::jthread restarter;
  std::unique_ptr<Watch> w;
  {
    std::lock_guard lock(watchMu_);
    restarter = std::move(restarter_);
  }
  if (restarter.joinable()) {
    restarter.request_stop();
    restarter.join();
  }
  {
    std::lock_guard lock(watchMu_);
    w = std::move(backendWatch_);
  }
  if (w) w->stop();
  {
    std::unique_lock lock(mu_);
    stopped_ = true;
  }
  advanced_.notify_all();
  endAll(apiserver::ApiError::serviceUnavailable("the watch cache is shutting down"));
}

void Cacher::endAll(const std::optional<apiserver::ApiError>& err) {
  std::vector<CacheWatcherPtr> ws;
  {
    std::unique_lock lock(mu_);
    ws.swap(watchers_);
  }
  for (auto& w : ws) w->end(err);
}

std::int64_t Cacher::revision() const {
  std::shared_lock lock(mu_);
  return revision_;
}

Result<void> Cacher::waitFor(std::int64_t revision, std::chrono::steady_clock::time_point deadline) {
  std::shared_lock lock(mu_);
  if (!advanced_.wait_until(lock, deadline, [&] { return revision_ >= revision || stopped_; }))
    return fail(Error{ErrorCode::Timeout, {}, revision_,
                      "the watch cache did not reach revision " + std::to_string(revision) + " in time"});
  if (stopped_ && revision_ < revision) return fail(Error{ErrorCode::Unreachable, {}, 0, "the watch cache is stopped"});
  return {};
}

Result<void> Cacher::waitFresh(std::chrono::steady_clock::time_point deadline) {
  auto cur = backend_->currentRevision();
  if (!cur) return fail(std::move(cur).error());
  if (revision() >= *cur) return {};
  backend_->requestProgress();  // a quiet prefix learns the store's revision from progress
  return waitFor(*cur, deadline);
}

void Cacher::onNotification(WatchNotification&& n) {
  if (n.error) {
    // The backend's history no longer covers the cache (compacted while disconnected, or the
    // watch was cancelled): watchers must start over, and the cache re-lists.
    if (opts_.logError) opts_.logError("watch cache " + opts_.prefix + " lost its backend watch: " + n.error->message);
    {
      std::unique_lock lock(mu_);
      ready_ = false;
    }
    endAll(apiserver::ApiError::expired("the watch cache was reset; restart the watch"));
    std::lock_guard lock(watchMu_);
    if (restarting_.exchange(true)) return;  // one restart at a time
    if (restarter_.joinable()) restarter_.join();  // the previous restart has finished
    restarter_ = std::jthread([this](std::stop_token stop) {
      restartLoop(stop);
      restarting_ = false;
    });
    return;
  }
  std::lock_guard order(deliverMu_);
  // The new objects are decoded before the cache is locked: reads (get, list, the writer that
  // looks its write up) do not wait for the decoding. deliverMu_ keeps deliveries in order.
  std::vector<apiserver::Result<CachedObjectPtr>> decoded;
  decoded.reserve(n.events.size());
  for (const auto& ev : n.events)
    decoded.push_back(ev.type == EventType::Put
                          ? opts_.decode(ev.key, ev.value, ev.revision)
                          : apiserver::Result<CachedObjectPtr>(CachedObjectPtr()));
  {
    std::unique_lock lock(mu_);
    for (std::size_t i = 0; i < n.events.size(); ++i)
      apply(n.events[i], std::move(decoded[i]));
    revision_ = std::max(revision_, n.progress);
  }
  advanced_.notify_all();
  wakeSignalled();
}

void Cacher::apply(const Event& ev, apiserver::Result<CachedObjectPtr> obj) {
  Change c;
  c.revision = ev.revision;
  c.key = ev.key;
  // One descent of the tree finds the key or where it goes.
  auto at = objects_.lower_bound(ev.key);
  auto cur = at != objects_.end() && at->first == ev.key ? at : objects_.end();
  if (cur != objects_.end()) c.previous = cur->second;
  if (ev.type == EventType::Put) {
    if (!obj) {
      if (opts_.logError) opts_.logError("skipping undecodable object " + ev.key + ": " + obj.error().message);
      revision_ = std::max(revision_, ev.revision);
      return;
    }
    c.object = std::move(*obj);
    if (cur != objects_.end()) {
      cur->second = c.object;
    } else {
      objects_.emplace_hint(at, ev.key, c.object);
    }
  } else {
    if (cur == objects_.end()) {
      revision_ = std::max(revision_, ev.revision);
      return;
    }
    // A deleted object is reported in its last state, at the deletion's revision: encoded once
    // here for every watcher, now and on replay.
    auto last = opts_.decode(ev.key, c.previous->json, ev.revision);
    c.deleted = last ? std::move(*last) : c.previous;
    objects_.erase(cur);
  }
  revision_ = std::max(revision_, ev.revision);
  c.seq = ++lastSeq_;
  history_.push_back(std::move(c));
  // (The change just added stays, whatever the size: signal reads it.)
  while (history_.size() > std::max<std::size_t>(opts_.historySize, 1)) {
    windowStart_ = history_.front().revision;
    history_.pop_front();
  }
  signal(history_.back());
}

void Cacher::signal(const Change& c) {
  std::erase_if(watchers_, [&](const CacheWatcherPtr& w) {
    if (!w->signalled_) {
      // Caught up: its consumer needs waking if c concerns it; otherwise its cursor moves past c
      // (so an idle watcher of other objects never falls behind the history).
      if (!concerns(w->filter_, c)) {
        w->cursor_ = c.seq;
        return false;
      }
      w->signalled_ = true;
      wakes_.push_back(w);
    }
    if (!overflows(*w, c))
      return false;
    w->end(apiserver::ApiError::expired(
        "watch ended: the client did not keep up with the event stream; restart the watch"));
    return true;
  });
}

void Cacher::wakeSignalled() {
  for (const auto& w : wakes_)
    w->wake();
  wakes_.clear();
}

namespace {
// plainUpdate: a create or update of an object without ownership metadata before and after, which
// an ownershipOnly filter passes over.
bool plainUpdate(const Filter& f, const CachedObjectPtr& object, const CachedObjectPtr& previous) {
  return f.ownershipOnly && object && !object->ownership && !(previous && previous->ownership);
}
}  // namespace

bool Cacher::concerns(const Filter& f, const Change& c) {
  // Every state in a change has the change's key: the key is looked at once.
  return f.matchesKey(c.key) && !plainUpdate(f, c.object, c.previous) &&
         ((c.object && f.selects(*c.object)) || (c.previous && f.selects(*c.previous)));
}

bool Cacher::overflows(CacheWatcher& w, const Change& c) const {
  const std::uint64_t oldest = history_.front().seq;  // c is in the history: it is not empty
  if (w.cursor_ + 1 < oldest)
    return true;  // its unread changes have left the history
  // Its unread events are what kube's watcher buffer would hold (changes replayed for a watch
  // from an old revision do not count, as kube does not count them against the buffer). They are
  // counted only once the watcher is more changes behind than its capacity: until then they
  // cannot exceed it, and a watcher that keeps up costs no filter evaluation here.
  const std::uint64_t from = std::max(w.cursor_, w.startSeq_);
  if (!w.counting_) {
    if (c.seq - from <= opts_.watcherCapacity)
      return false;
    w.counting_ = true;
    w.unread_ = 0;
    for (auto i = static_cast<std::size_t>(from + 1 - oldest); i < history_.size(); ++i)
      if (concerns(w.filter_, history_[i]))
        ++w.unread_;
  } else if (concerns(w.filter_, c)) {
    ++w.unread_;
  }
  return w.unread_ > opts_.watcherCapacity;
}

bool Cacher::pending(const CacheWatcher& w) const {
  std::shared_lock lock(mu_);
  return w.signalled_;
}

void Cacher::read(CacheWatcher& w, std::vector<WatchEvent>& out, std::size_t max) const {
  std::shared_lock lock(mu_);
  if (!w.signalled_)
    return;
  const std::uint64_t oldest = history_.empty() ? lastSeq_ + 1 : history_.front().seq;
  if (w.cursor_ + 1 < oldest) {  // (signal ends such a watcher; this only closes the race)
    w.end(apiserver::ApiError::expired(
        "watch ended: the client fell behind the watch cache's history; restart the watch"));
    return;
  }
  std::size_t taken = 0;
  auto i = static_cast<std::size_t>(w.cursor_ + 1 - oldest);
  // `max` ends a take at a revision's end only: changes can share a revision (etcd3 writes
  // creates made at once in one Txn), and a client resumes a watch after the last revision it
  // saw, so a stream that ends between two takes must not end inside one.
  auto insideRevision = [&] {
    return i > 0 && i < history_.size() && history_[i].revision == history_[i - 1].revision;
  };
  while (taken < max || insideRevision()) {
    // A due bookmark goes right after the last change it covers, before any later one.
    if (w.bookmarkRev_ != 0 && w.cursor_ >= w.bookmarkSeq_) {
      out.push_back(WatchEvent{WatchEventType::Bookmark, nullptr, w.bookmarkRev_});
      w.bookmarkRev_ = 0;
      ++taken;
      continue;
    }
    if (i >= history_.size())
      break;
    const Change& c = history_[i++];
    if (auto ev = eventFor(w.filter_, c)) {
      out.push_back(std::move(*ev));
      ++taken;
      if (w.counting_ && c.seq > w.startSeq_ && w.unread_ > 0)
        --w.unread_;
    }
    w.cursor_ = c.seq;
  }
  if (w.cursor_ == lastSeq_ && w.bookmarkRev_ == 0) {
    w.signalled_ = false;
    w.counting_ = false;
  }
}

std::optional<WatchEvent> Cacher::eventFor(const Filter& f, const Change& c) const {
  if (!f.matchesKey(c.key) || plainUpdate(f, c.object, c.previous))
    return std::nullopt;
  const bool now = c.object && f.selects(*c.object);
  const bool before = c.previous && f.selects(*c.previous);
  if (now && before) return WatchEvent{WatchEventType::Modified, c.object, c.revision};
  if (now) return WatchEvent{WatchEventType::Added, c.object, c.revision};
  if (!before) return std::nullopt;
  if (!c.object) return WatchEvent{WatchEventType::Deleted, c.deleted, c.revision};
  // Stopped matching: kube reports DELETED with the last state that matched, at this revision.
  std::lock_guard lock(previousAtMu_);  // readers of the history may get here at once
  if (!c.previousAt) {
    auto at = opts_.decode(c.key, c.previous->json, c.revision);
    c.previousAt = at ? std::move(*at) : c.previous;
  }
  return WatchEvent{WatchEventType::Deleted, c.previousAt, c.revision};
}

Result<CachedObjectPtr> Cacher::get(std::string_view key) const {
  std::shared_lock lock(mu_);
  if (!ready_) return fail(notReady());
  auto it = objects_.find(key);
  if (it == objects_.end()) return fail(Error::keyNotFound(key));
  return it->second;
}

void Cacher::visitAt(std::int64_t revision, std::string_view prefix, std::string_view from,
                     const std::function<bool(const CachedObjectPtr&)>& fn) const {
  // Undo every change after `revision`: the earliest such change of a key holds its state then.
  std::map<std::string_view, CachedObjectPtr> undone;
  if (revision < revision_) {
    for (auto it = history_.rbegin(); it != history_.rend() && it->revision > revision; ++it)
      if (it->key.starts_with(prefix) && it->key >= from)
        undone[it->key] = it->previous;
  }
  auto cur = objects_.lower_bound(from);
  auto und = undone.begin();
  for (;;) {
    const bool curOk = cur != objects_.end() && cur->first.starts_with(prefix);
    const bool undOk = und != undone.end();
    if (!curOk && !undOk) return;
    if (undOk && (!curOk || und->first <= std::string_view(cur->first))) {
      if (curOk && und->first == std::string_view(cur->first)) ++cur;
      if (und->second && !fn(und->second)) return;
      ++und;
    } else {
      if (!fn(cur->second)) return;
      ++cur;
    }
  }
}

Result<CachedObjectPtr> Cacher::getAt(std::string_view key, std::int64_t revision) const {
  std::shared_lock lock(mu_);
  if (!ready_) return fail(notReady());
  if (revision > revision_) return fail(Error::revisionTooLarge(revision, revision_));
  if (revision < windowStart_) return fail(Error::compacted(revision, windowStart_));
  CachedObjectPtr found;
  visitAt(revision, key, key, [&](const CachedObjectPtr& o) {
    if (o->key == key) found = o;
    return false;
  });
  if (!found) return fail(Error::keyNotFound(key));
  return found;
}

Result<Cacher::ListPage> Cacher::list(const ListRequest& req) const {
  std::shared_lock lock(mu_);
  if (!ready_) return fail(notReady());
  ListPage page;
  const std::int64_t at = req.revision == 0 ? revision_ : req.revision;
  if (at > revision_) return fail(Error::revisionTooLarge(at, revision_));
  if (at < windowStart_) return fail(Error::compacted(at, windowStart_));
  page.revision = at;
  const Filter& f = *req.filter;
  const bool unfiltered = f.labels.empty() && f.fields.empty() && !f.key;
  std::string_view from = req.startKey.empty() ? std::string_view(f.prefix) : std::string_view(req.startKey);
  if (f.key) from = std::max(from, std::string_view(*f.key));
  std::int64_t remaining = 0;
  bool full = false;
  visitAt(at, f.prefix, from, [&](const CachedObjectPtr& o) {
    if (f.key && o->key != *f.key) return o->key < *f.key;
    if (!f.matches(*o)) return true;
    if (full) {
      ++remaining;
      return unfiltered;  // counting the rest is only worth it when it is reported
    }
    if (req.limit > 0 && static_cast<std::int64_t>(page.items.size()) == req.limit) {
      full = true;
      page.nextKey = o->key;
      ++remaining;
      return unfiltered;
    }
    page.items.push_back(o);
    return true;
  });
  if (full && unfiltered) page.remaining = remaining;
  return page;
}

Result<CacheWatcherPtr> Cacher::watch(WatchRequest req) {
  auto w = std::make_shared<CacheWatcher>(*this);
  std::unique_lock lock(mu_);
  if (stopped_) return fail(Error{ErrorCode::Unreachable, {}, 0, "the watch cache is stopped"});
  if (!ready_) return fail(notReady());
  w->filter_ = std::move(req.filter);
  w->bookmarks_ = req.bookmarks;
  const Filter& f = w->filter_;
  if (req.initialEvents) {
    std::string_view from = f.key ? std::string_view(*f.key) : std::string_view(f.prefix);
    visitAt(revision_, f.prefix, from, [&](const CachedObjectPtr& o) {
      if (f.key && o->key != *f.key) return o->key < *f.key;
      if (f.matches(*o)) w->initial_.push_back(WatchEvent{WatchEventType::Added, o, o->revision});
      return true;
    });
    if (req.initialEventsEnd) w->initial_.push_back(WatchEvent{WatchEventType::Bookmark, nullptr, revision_, true});
  } else {
    if (req.afterRevision < windowStart_) return fail(Error::compacted(req.afterRevision, windowStart_ + 1));
    if (req.afterRevision > revision_) {
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
      if (!advanced_.wait_until(lock, deadline, [&] { return revision_ >= req.afterRevision || stopped_; }))
        return fail(Error::revisionTooLarge(req.afterRevision, revision_));
    }
    // Its cursor is the last change at or before that revision; the consumer reads on from there.
    auto next =
        std::upper_bound(history_.begin(), history_.end(), req.afterRevision,
                         [](std::int64_t rev, const Change& c) { return rev < c.revision; });
    if (next != history_.end()) {
      w->cursor_ = next->seq - 1;
      w->signalled_ = true;
    }
  }
  w->startSeq_ = lastSeq_;
  if (!w->signalled_)
    w->cursor_ = lastSeq_;
  watchers_.push_back(w);
  return w;
}

void Cacher::sendBookmarks() {
  std::lock_guard order(deliverMu_);
  {
    // A bookmark never overtakes an event it claims to cover: it is due once the watcher's
    // cursor has passed every change up to here.
    std::unique_lock lock(mu_);
    for (const auto& w : watchers_) {
      if (!w->bookmarks_)
        continue;
      w->bookmarkRev_ = revision_;
      w->bookmarkSeq_ = lastSeq_;
      if (!std::exchange(w->signalled_, true))
        wakes_.push_back(w);
    }
  }
  wakeSignalled();
}

void Cacher::unwatch(const CacheWatcherPtr& w) {
  w->stop();
  std::unique_lock lock(mu_);
  watchers_.erase(std::remove(watchers_.begin(), watchers_.end(), w), watchers_.end());
}

std::size_t Cacher::watcherCount() const {
  std::shared_lock lock(mu_);
  return watchers_.size();
}

}  // namespace apiserver::storage
