#pragma once

#include "endpoints/negotiation.h"
#include "endpoints/table.h"
#include "registry/store.h"

#include <apiserver/request.h>

#include <atomic>
#include <memory>

/// @file watch_stream.h
/// The body of a watch response: one JSON event per line ({"type":...,"object":...}), the object
/// bytes shared with the watch cache (never copied per watcher), or one-row Tables when asked.

namespace apiserver::endpoints {

/// WatchStream streams one cache watcher's events. Thread-safe as BodyStream requires.
class WatchStream final : public BodyStream {
 public:
  WatchStream(std::shared_ptr<const registry::Store> store, storage::CacheWatcherPtr watcher, Output output,
              std::shared_ptr<const TableRenderer> table, std::shared_ptr<const WallClock> clock);
  ~WatchStream() override;

  // BodyStream
  void start(std::function<void()> wake) override;
  bool poll(std::vector<SharedBytes>& out) override;
  void cancel() noexcept override;

 private:
  // frame appends one event's line (prefix, object or row, suffix) to `out`; nothing for an
  // object that does not parse when a Table row is asked for. It may take the event's object.
  void frame(storage::WatchEvent& ev, std::vector<SharedBytes>& out);

  std::shared_ptr<const registry::Store> store_;
  storage::CacheWatcherPtr watcher_;
  Output output_;
  std::shared_ptr<const TableRenderer> table_;
  std::shared_ptr<const WallClock> clock_;
  std::vector<storage::WatchEvent> events_;  // poll's batch, kept for the next poll
  std::atomic<bool> cancelled_{false};
  // woke_ is set by the watcher's wake-up (shared with it: the watcher may outlive the stream)
  // and cleared by poll; caughtUp_: the last take came back short.
  std::shared_ptr<std::atomic<bool>> woke_ = std::make_shared<std::atomic<bool>>(false);
  bool caughtUp_ = false;
  bool columnsSent_ = false;
  bool ended_ = false;
};

/// ErrorEventStream is a watch that delivers one ERROR event and ends (a watch of a revision
/// that is too old gets 200 and this, as kube answers).
class ErrorEventStream final : public BodyStream {
 public:
  explicit ErrorEventStream(const ApiError& error);
  void start(std::function<void()> wake) override { wake(); }
  bool poll(std::vector<SharedBytes>& out) override;
  void cancel() noexcept override {}

 private:
  SharedBytes event_;
  bool sent_ = false;
};

/// errorEvent encodes {"type":"ERROR","object":<Status>}\n.
SharedBytes errorEvent(const ApiError& error);

}  // namespace apiserver::endpoints
