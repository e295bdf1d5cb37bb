#include "storage/cacher/cacher.h"

#include <algorithm>
#include <condition_variable>

namespace apiserver::storage {

namespace {
bool hasPrefix(std::string_view s, std::string_view p) { return s.size() >= p.size() && s.compare(0, p.size(), p) == 0; }

Error notReady() { return Error{ErrorCode::Unreachable, {}, 0, "the watch cache is re-initializing"}; }
}  // namespace

bool Filter::matches(const CachedObject& o) const {
  if (key && o.key != *key) return false;
  if (!hasPrefix(o.key, prefix)) return false;
  return labels.matches(o.labels) && fields.matches(o.fields);
}

// ---------------------------------------------------------------- CacheWatcher

void CacheWatcher::setWake(std::function<void()> wake) {
  std::function<void()> callNow;
  {
    std::lock_guard lock(mu_);
    wake_ = std::move(wake);
    if (ended_ || !queue_.empty() || !initial_.empty()) callNow = wake_;
  }
  if (callNow) callNow();
}

bool CacheWatcher::take(std::vector<WatchEvent>& out) {
  std::lock_guard lock(mu_);
  if (!initial_.empty()) {
    for (auto& e : initial_) out.push_back(std::move(e));
    initial_.clear();
    initial_.shrink_to_fit();
  }
  while (!queue_.empty()) {
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return !ended_;
}

void CacheWatcher::stop() { end(std::nullopt); }

bool CacheWatcher::stopped() const {
  std::lock_guard lock(mu_);
  return ended_;
}

std::optional<apiserver::ApiError> CacheWatcher::endError() const {
  std::lock_guard lock(mu_);
  return endError_;
}

bool CacheWatcher::push(WatchEvent ev) {
  std::function<void()> w;
  bool overflowed = false;
  {
    std::lock_guard lock(mu_);
    if (ended_) return false;
    if (queue_.size() >= capacity_) {
      ended_ = true;
      queue_.clear();
      endError_ = apiserver::ApiError::expired(
          "watch ended: the client did not keep up with the event stream; restart the watch");
      w = wake_;
      overflowed = true;
    } else {
      const bool wasEmpty = queue_.empty();
      queue_.push_back(std::move(ev));
      if (wasEmpty) w = wake_;  // a non-empty queue was already signalled
    }
  }
  if (w) w();
  return !overflowed;
}

void CacheWatcher::end(std::optional<apiserver::ApiError> err) {
  std::function<void()> w;
  {
    std::lock_guard lock(mu_);
    if (ended_) return;
    ended_ = true;
    endError_ = std::move(err);
    w = wake_;
  }
  if (w) w();
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
    for (const auto& kv : listed->items) {
      auto obj = opts_.decode(kv.key, *kv.value, kv.modRevision);
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
  std::vector<std::pair<CacheWatcherPtr, WatchEvent>> deliveries;
  {
    std::unique_lock lock(mu_);
    for (const auto& ev : n.events) apply(ev, deliveries);
    revision_ = std::max(revision_, n.progress);
  }
  advanced_.notify_all();
  for (auto& [w, ev] : deliveries)
    if (!w->push(std::move(ev))) {
      std::unique_lock lock(mu_);
      watchers_.erase(std::remove(watchers_.begin(), watchers_.end(), w), watchers_.end());
    }
}

void Cacher::apply(const Event& ev, std::vector<std::pair<CacheWatcherPtr, WatchEvent>>& deliveries) {
  Change c;
  c.revision = ev.revision;
  c.key = ev.key;
  auto cur = objects_.find(ev.key);
  if (cur != objects_.end()) c.previous = cur->second;
  if (ev.type == EventType::Put) {
    auto obj = opts_.decode(ev.key, *ev.value, ev.revision);
    if (!obj) {
      if (opts_.logError) opts_.logError("skipping undecodable object " + ev.key + ": " + obj.error().message);
      revision_ = std::max(revision_, ev.revision);
      return;
    }
    c.object = std::move(*obj);
    if (cur != objects_.end()) {
      cur->second = c.object;
    } else {
      objects_.emplace(ev.key, c.object);
    }
  } else {
    if (cur == objects_.end()) {
      revision_ = std::max(revision_, ev.revision);
      return;
    }
    // A deleted object is reported in its last state, at the deletion's revision: encoded once
    // here for every watcher, now and on replay.
    auto last = opts_.decode(ev.key, *c.previous->json, ev.revision);
    c.deleted = last ? std::move(*last) : c.previous;
    objects_.erase(cur);
  }
  revision_ = std::max(revision_, ev.revision);
  for (const auto& w : watchers_)
    if (auto e = eventFor(w->filter_, c)) deliveries.emplace_back(w, std::move(*e));
  history_.push_back(std::move(c));
  while (history_.size() > opts_.historySize) {
    windowStart_ = history_.front().revision;
    history_.pop_front();
  }
}

std::optional<WatchEvent> Cacher::eventFor(const Filter& f, const Change& c) const {
  const bool now = c.object && f.matches(*c.object);
  const bool before = c.previous && f.matches(*c.previous);
  if (now && before) return WatchEvent{WatchEventType::Modified, c.object, c.revision};
  if (now) return WatchEvent{WatchEventType::Added, c.object, c.revision};
  if (!before) return std::nullopt;
  if (!c.object) return WatchEvent{WatchEventType::Deleted, c.deleted, c.revision};
  // Stopped matching: kube reports DELETED with the last state that matched, at this revision.
  if (!c.previousAt) {
    auto at = opts_.decode(c.key, *c.previous->json, c.revision);
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
      if (hasPrefix(it->key, prefix) && it->key >= from) undone[it->key] = it->previous;
  }
  auto cur = objects_.lower_bound(from);
  auto und = undone.begin();
  for (;;) {
    const bool curOk = cur != objects_.end() && hasPrefix(cur->first, prefix);
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
  auto w = std::make_shared<CacheWatcher>(opts_.watcherCapacity);
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
    for (const auto& c : history_) {
      if (c.revision <= req.afterRevision) continue;
      if (auto ev = eventFor(f, c)) w->initial_.push_back(std::move(*ev));
    }
  }
  watchers_.push_back(w);
  return w;
}

void Cacher::sendBookmarks() {
  std::lock_guard order(deliverMu_);  // a bookmark never overtakes an event it claims to cover
  std::vector<CacheWatcherPtr> ws;
  std::int64_t rev;
  {
    std::shared_lock lock(mu_);
    rev = revision_;
    for (const auto& w : watchers_)
      if (w->bookmarks_) ws.push_back(w);
  }
  for (const auto& w : ws) w->push(WatchEvent{WatchEventType::Bookmark, nullptr, rev});
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
