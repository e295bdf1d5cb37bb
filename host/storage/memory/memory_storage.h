#pragma once

#include "storage/interface.h"

#include <atomic>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace apiserver::storage {

struct BatchWatcher;

/// MemoryStorage keeps everything in memory with etcd's revision semantics: one revision counter
/// for all keys, a bounded history of events (for watches and lists at past revisions) and
/// compaction. For tests and throw-away servers. Its watches must not outlive it.
class MemoryStorage final : public Interface {
 public:
  /// historyLimit is how many events are kept before the oldest are compacted away.
  explicit MemoryStorage(std::size_t historyLimit = 100000);
  ~MemoryStorage() override;

  Result<KeyValue> get(std::string_view key) override;
  Result<ListResult> list(std::string_view prefix, const ListOptions& opts) override;
  Result<std::int64_t> create(std::string_view key, std::string value) override;
  bool stampsRevisions() const override { return true; }
  Result<StampedWrite> createStamped(std::string_view key, std::string value,
                                     RevisionStamp stamp) override;
  Result<std::int64_t> update(std::string_view key, std::string value, std::int64_t expectedModRevision) override;
  Result<DeleteResult> remove(std::string_view key, std::int64_t expectedModRevision) override;
  Result<std::unique_ptr<Watch>> watch(std::string_view prefix, std::int64_t afterRevision,
                                       WatchCallback callback) override;
  Result<std::int64_t> currentRevision() override;
  /// requestProgress tells every watcher not told yet that it is current up to the latest
  /// revision; a write tells only the watchers of its key.
  void requestProgress() override;
  Result<void> compact(std::int64_t revision) override;
  bool writesWait() const override { return false; }

 private:
  struct Record {
    SharedBytes value;
    std::int64_t createRevision = 0;
    std::int64_t modRevision = 0;
  };

  // create, with the revision written over `stamp` when there is one.
  Result<StampedWrite> insert(std::string_view key, std::string value, const RevisionStamp* stamp);
  // Both called with mu_ held.
  void appendLocked(Event event);
  void compactLocked(std::int64_t revision);
  // Delivers queued events to watchers, in order, unless another thread is delivering or waiting
  // to (which then delivers them). Takes dispatchMu_ then mu_ briefly.
  void dispatch();
  // lockDispatch waits for dispatchMu_ ahead of the writers: they leave their events to this
  // thread while it waits, so that a steady stream of writes cannot starve a watch that starts or
  // stops. The caller calls dispatch() once it has let go.
  std::unique_lock<std::mutex> lockDispatch();
  void removeWatcher(const std::shared_ptr<BatchWatcher>& w);

  const std::size_t historyLimit_;
  std::mutex dispatchMu_;  // ordered before mu_; held while callbacks run
  std::atomic<int> dispatchWaiters_{0};  // threads in lockDispatch
  std::atomic<int> deliveryRounds_{0};   // batches the holder of dispatchMu_ has delivered
  std::mutex mu_;
  std::map<std::string, Record, std::less<>> data_;
  std::int64_t revision_ = 1;  // like etcd, a fresh store is at revision 1
  std::int64_t compacted_ = 1; // history holds every event with revision > compacted_
  std::deque<Event> history_;
  std::deque<Event> pending_;  // appended, not yet delivered
  std::vector<std::shared_ptr<BatchWatcher>> watchers_;
  bool progressWanted_ = false;  // requestProgress asked; the next delivery tells every watcher
};

}  // namespace apiserver::storage
