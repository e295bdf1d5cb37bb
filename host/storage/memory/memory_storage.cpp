#include "storage/memory/memory_storage.h"

#include "storage/batch_delivery.h"

#include <algorithm>
#include <atomic>
#include <unordered_map>

namespace apiserver::storage {

namespace {

// Set while this thread runs watch callbacks, so that stop() from inside a callback does not
// wait for itself.
thread_local bool tDispatching = false;

// kHandOffRounds is how many batches a deliverer delivers before a writer that finds it busy
// waits for its turn instead of leaving its events to it.
constexpr int kHandOffRounds = 8;

}  // namespace

MemoryStorage::MemoryStorage(std::size_t historyLimit) : historyLimit_(std::max<std::size_t>(historyLimit, 1)) {}

MemoryStorage::~MemoryStorage() = default;

Result<KeyValue> MemoryStorage::get(std::string_view key) {
  std::lock_guard lock(mu_);
  auto it = data_.find(key);
  if (it == data_.end()) return fail(Error::keyNotFound(key));
  return KeyValue{it->first, it->second.value, it->second.createRevision, it->second.modRevision};
}

Result<ListResult> MemoryStorage::list(std::string_view prefix, const ListOptions& opts) {
  std::lock_guard lock(mu_);
  const std::int64_t at = opts.revision == 0 ? revision_ : opts.revision;
  if (at > revision_) return fail(Error::revisionTooLarge(at, revision_));
  if (at < compacted_) return fail(Error::compacted(at, compacted_ + 1));

  // The state at `at` is the current state with every later event undone: for each key touched
  // after `at`, the first such event's previous value is what the key held at `at`.
  std::map<std::string_view, std::optional<KeyValue>> undone;
  for (auto it = history_.rbegin(); it != history_.rend() && it->revision > at; ++it) {
    if (!it->key.starts_with(prefix))
      continue;
    // An update or delete event carries the create revision of the object it changed, which
    // is the previous state's create revision; a create event had no previous state.
    std::optional<KeyValue> prev;
    if (it->previous) prev = KeyValue{it->key, it->previous, it->createRevision, it->previousRevision};
    undone[it->key] = std::move(prev);  // iterating backwards: the earliest event wins
  }

  ListResult out;
  out.revision = at;
  std::string_view start = opts.startKey.empty() ? prefix : std::string_view(opts.startKey);
  auto cur = data_.lower_bound(start);
  auto und = undone.lower_bound(start);
  auto emit = [&](const KeyValue& kv) -> bool {
    if (opts.limit > 0 && static_cast<std::int64_t>(out.items.size()) >= opts.limit) {
      out.more = true;
      ++out.remaining;
      return true;
    }
    out.items.push_back(kv);
    return true;
  };
  while (true) {
    bool curOk = cur != data_.end() && cur->first.starts_with(prefix);
    bool undOk = und != undone.end();
    if (!curOk && !undOk) break;
    if (undOk && (!curOk || und->first <= std::string_view(cur->first))) {
      if (curOk && und->first == std::string_view(cur->first)) ++cur;
      if (und->second) emit(*und->second);
      ++und;
    } else {
      emit(KeyValue{cur->first, cur->second.value, cur->second.createRevision, cur->second.modRevision});
      ++cur;
    }
  }
  return out;
}

void MemoryStorage::appendLocked(Event event) {
  history_.push_back(event);
  if (!watchers_.empty()) pending_.push_back(std::move(event));
  if (history_.size() > historyLimit_) compactLocked(history_[history_.size() - historyLimit_ - 1].revision);
}

void MemoryStorage::compactLocked(std::int64_t revision) {
  while (!history_.empty() && history_.front().revision <= revision) history_.pop_front();
  compacted_ = std::max(compacted_, std::min(revision, revision_));
}

Result<std::int64_t> MemoryStorage::create(std::string_view key, std::string value) {
  auto w = insert(key, std::move(value), nullptr);
  if (!w)
    return fail(std::move(w).error());
  return w->revision;
}

Result<StampedWrite> MemoryStorage::createStamped(std::string_view key, std::string value,
                                                  RevisionStamp stamp) {
  if (stamp.at > value.size() || stamp.size > value.size() - stamp.at)
    return fail(Error::internal("revision stamp outside the value"));
  return insert(key, std::move(value), &stamp);
}

Result<StampedWrite> MemoryStorage::insert(std::string_view key, std::string value,
                                           const RevisionStamp* stamp) {
  std::int64_t rev;
  SharedBytes bytes;
  {
    std::lock_guard lock(mu_);
    // One descent of the tree finds the key or where it goes.
    auto at = data_.lower_bound(key);
    if (at != data_.end() && at->first == key)
      return fail(Error::keyExists(key));
    rev = ++revision_;
    if (stamp != nullptr)
      value.replace(stamp->at, stamp->size, std::to_string(rev));
    bytes = makeBytes(std::move(value));
    data_.emplace_hint(at, std::string(key), Record{bytes, rev, rev});
    appendLocked(Event{EventType::Put, std::string(key), rev, rev, bytes, nullptr, 0});
  }
  dispatch();
  return StampedWrite{rev, std::move(bytes)};
}

Result<std::int64_t> MemoryStorage::update(std::string_view key, std::string value, std::int64_t expectedModRevision) {
  std::int64_t rev;
  {
    std::lock_guard lock(mu_);
    auto it = data_.find(key);
    if (it == data_.end()) return fail(Error::keyNotFound(key));
    if (it->second.modRevision != expectedModRevision) return fail(Error::conflict(key, it->second.modRevision));
    rev = ++revision_;
    auto bytes = makeBytes(std::move(value));
    Event ev{EventType::Put, std::string(key), rev, it->second.createRevision, bytes, it->second.value,
             it->second.modRevision};
    it->second.value = std::move(bytes);
    it->second.modRevision = rev;
    appendLocked(std::move(ev));
  }
  dispatch();
  return rev;
}

Result<DeleteResult> MemoryStorage::remove(std::string_view key, std::int64_t expectedModRevision) {
  DeleteResult out;
  {
    std::lock_guard lock(mu_);
    auto it = data_.find(key);
    if (it == data_.end()) return fail(Error::keyNotFound(key));
    if (expectedModRevision != 0 && it->second.modRevision != expectedModRevision)
      return fail(Error::conflict(key, it->second.modRevision));
    out.previous = KeyValue{it->first, it->second.value, it->second.createRevision, it->second.modRevision};
    out.revision = ++revision_;
    Event ev{EventType::Delete, it->first, out.revision, it->second.createRevision, nullptr, it->second.value,
             it->second.modRevision};
    data_.erase(it);
    appendLocked(std::move(ev));
  }
  dispatch();
  return out;
}

void MemoryStorage::dispatch() {
  for (;;) {
    // A writer that finds another thread delivering leaves its events to that thread instead of
    // waiting for it (and being woken): the deliverer looks for more after it lets go, below. A
    // thread waiting in lockDispatch goes first, and delivers them once it is done. So that no
    // thread delivers other threads' events for ever (writers as fast as its deliveries would
    // keep it), a writer waits for its turn once the deliverer has delivered a few batches.
    if (dispatchWaiters_.load() > 0)
      return;
    std::unique_lock dlock(dispatchMu_, std::try_to_lock);
    if (!dlock.owns_lock()) {
      if (deliveryRounds_.load() < kHandOffRounds)
        return;
      dlock.lock();
    }
    deliveryRounds_.store(0);
    tDispatching = true;
    while (dispatchWaiters_.load() == 0) {
      std::vector<Event> batch;
      std::vector<std::shared_ptr<BatchWatcher>> watchers;
      std::int64_t last = 0;
      bool progress = false;
      {
        std::lock_guard lock(mu_);
        if (pending_.empty() && !progressWanted_)
          break;
        batch.assign(std::make_move_iterator(pending_.begin()), std::make_move_iterator(pending_.end()));
        pending_.clear();
        progress = std::exchange(progressWanted_, false);
        last = revision_;  // every event up to it is in the batch or was delivered
        watchers = watchers_;
      }
      deliverBatch(batch, last, progress, watchers);
      deliveryRounds_.fetch_add(1);
    }
    tDispatching = false;
    dlock.unlock();
    // An event queued after the last look but before the unlock found the lock taken: deliver it.
    std::lock_guard lock(mu_);
    if (pending_.empty() && !progressWanted_)
      return;
  }
}

Result<std::unique_ptr<Watch>> MemoryStorage::watch(std::string_view prefix, std::int64_t afterRevision,
                                                    WatchCallback callback) {
  auto w = std::make_shared<BatchWatcher>();
  w->prefix = std::string(prefix);
  w->callback = std::move(callback);
  std::optional<Error> refused;
  {
    auto dlock = lockDispatch();
    WatchNotification replay;
    {
      std::lock_guard lock(mu_);
      if (afterRevision < compacted_) {
        refused = Error::compacted(afterRevision, compacted_ + 1);
      } else {
        for (const auto& ev : history_)
          if (ev.revision > afterRevision && ev.key.starts_with(w->prefix))
            replay.events.push_back(ev);
        w->delivered = std::max(revision_, afterRevision);  // nothing up to afterRevision, even later
        watchers_.push_back(w);
      }
    }
    if (!replay.events.empty()) {
      tDispatching = true;
      w->callback(std::move(replay));
      tDispatching = false;
    }
  }
  dispatch();  // writes made meanwhile left their events to the holder of dispatchMu_: this thread
  if (refused) return fail(std::move(*refused));
  return std::unique_ptr<Watch>(std::make_unique<RemovingWatch>([this, w] {
    w->active.store(false);
    removeWatcher(w);  // idempotent; waits for a callback running elsewhere
  }));
}

std::unique_lock<std::mutex> MemoryStorage::lockDispatch() {
  ++dispatchWaiters_;
  std::unique_lock lock(dispatchMu_);
  --dispatchWaiters_;
  return lock;
}

void MemoryStorage::removeWatcher(const std::shared_ptr<BatchWatcher>& w) {
  // Waiting for dispatchMu_ guarantees the callback is not running once stop() returns, unless
  // stop() is called from inside a callback (then the dispatcher skips inactive watchers).
  std::unique_lock<std::mutex> dlock;
  if (!tDispatching)
    dlock = lockDispatch();
  {
    std::lock_guard lock(mu_);
    watchers_.erase(std::remove(watchers_.begin(), watchers_.end(), w), watchers_.end());
  }
  if (!dlock.owns_lock()) return;  // inside a callback: the dispatching thread delivers what is queued
  dlock.unlock();
  dispatch();  // writes made meanwhile left their events to the holder of dispatchMu_: this thread
}

void MemoryStorage::requestProgress() {
  {
    std::lock_guard lock(mu_);
    progressWanted_ = true;
  }
  dispatch();  // or the thread delivering now tells the watchers, once it looks again
}

Result<std::int64_t> MemoryStorage::currentRevision() {
  std::lock_guard lock(mu_);
  return revision_;
}

Result<void> MemoryStorage::compact(std::int64_t revision) {
  std::lock_guard lock(mu_);
  if (revision > revision_) return fail(Error::revisionTooLarge(revision, revision_));
  if (revision <= compacted_) return fail(Error::compacted(revision, compacted_ + 1));
  compactLocked(revision);
  return {};
}

}  // namespace apiserver::storage
