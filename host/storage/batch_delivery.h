#pragma once

#include "storage/interface.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

/// @file batch_delivery.h
/// How the in-process backends (memory, sqlite) hand a batch of committed events to their
/// watchers: one thread at a time (the backend's dispatch lock), in revision order.

namespace apiserver::storage {

/// BatchWatcher is one watch on an in-process backend. Guarded by the backend's dispatch lock,
/// but `active`.
struct BatchWatcher {
  std::string prefix;
  WatchCallback callback;
  std::int64_t delivered = 0;  ///< events up to this revision were handed to the callback
  std::int64_t told = 0;       ///< the callback was told it is current up to this revision
  std::atomic<bool> active{true};
};

/// deliverBatch hands each active watcher the events of `batch` under its prefix that it has not
/// had, with progress up to `last` (the batch's end: every event up to it is in the batch or was
/// delivered before). A watcher the batch has nothing for is called only when `progress` asks
/// for it (Interface::requestProgress) and it has not been told `last` yet: as etcd's progress,
/// a quiet prefix learns the store's revision when somebody asks, not after every write.
inline void deliverBatch(const std::vector<Event>& batch, std::int64_t last, bool progress,
                         const std::vector<std::shared_ptr<BatchWatcher>>& watchers) {
  for (const auto& w : watchers) {
    if (!w->active.load())
      continue;
    WatchNotification n;
    if (last > w->delivered) {
      for (const auto& ev : batch)
        if (ev.revision > w->delivered && ev.key.starts_with(w->prefix))
          n.events.push_back(ev);
      w->delivered = last;
    }
    if (n.events.empty() && (!progress || w->told >= last))
      continue;
    n.progress = last;
    w->told = last;
    w->callback(std::move(n));
  }
}

}  // namespace apiserver::storage
