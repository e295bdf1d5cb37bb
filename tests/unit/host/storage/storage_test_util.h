#pragma once

// Helpers shared by the storage room's tests: a watch recorder and bounded waiting.

#include "storage/interface.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace apiserver::storage::storagetest {

inline constexpr std::chrono::seconds kWaitLimit{10};

/// ForwardingBackend is a backend that passes everything to another; tests override a part.
class ForwardingBackend : public Interface {
 public:
  explicit ForwardingBackend(std::shared_ptr<Interface> inner) : inner_(std::move(inner)) {}
  Result<KeyValue> get(std::string_view key) override { return inner_->get(key); }
  Result<ListResult> list(std::string_view prefix, const ListOptions& opts) override {
    return inner_->list(prefix, opts);
  }
  Result<std::int64_t> create(std::string_view key, std::string value) override {
    return inner_->create(key, std::move(value));
  }
  Result<std::int64_t> update(std::string_view key, std::string value,
                              std::int64_t expected) override {
    return inner_->update(key, std::move(value), expected);
  }
  Result<DeleteResult> remove(std::string_view key, std::int64_t expected) override {
    return inner_->remove(key, expected);
  }
  Result<std::unique_ptr<Watch>> watch(std::string_view prefix, std::int64_t after,
                                       WatchCallback cb) override {
    return inner_->watch(prefix, after, std::move(cb));
  }
  Result<std::int64_t> currentRevision() override { return inner_->currentRevision(); }
  void requestProgress() override { inner_->requestProgress(); }
  Result<void> compact(std::int64_t revision) override { return inner_->compact(revision); }

 protected:
  std::shared_ptr<Interface> inner_;
};

inline std::string str(const SharedBytes& b) {
  return b ? *b : std::string("<null>");
}

inline const char* codeName(ErrorCode c) {
  switch (c) {
    case ErrorCode::KeyNotFound:
      return "KeyNotFound";
    case ErrorCode::KeyExists:
      return "KeyExists";
    case ErrorCode::Conflict:
      return "Conflict";
    case ErrorCode::Compacted:
      return "Compacted";
    case ErrorCode::RevisionTooLarge:
      return "RevisionTooLarge";
    case ErrorCode::Unreachable:
      return "Unreachable";
    case ErrorCode::Timeout:
      return "Timeout";
    case ErrorCode::Internal:
      return "Internal";
  }
  return "?";
}

/// Recorder collects what a storage watch delivers and lets a test wait for it.
class Recorder {
 public:
  WatchCallback callback() {
    return [this](WatchNotification&& n) {
      std::lock_guard lock(mu_);
      ++deliveries_;
      if (inCallback_)
        overlapping_ = true;
      inCallback_ = true;
      for (auto& e : n.events) {
        // A progress notification promises that nothing up to its revision is still to come.
        if (e.revision <= progress_)
          progressViolation_ = true;
        events_.push_back(std::move(e));
      }
      if (n.progress > progress_)
        progress_ = n.progress;
      if (n.error)
        error_ = n.error;
      inCallback_ = false;
      cv_.notify_all();
    };
  }

  /// waitForCount waits (bounded) until at least n events arrived; false on timeout.
  bool waitForCount(std::size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kWaitLimit, [&] { return events_.size() >= n; });
  }
  /// waitForRevision waits until an event at `rev` or later arrived.
  bool waitForRevision(std::int64_t rev) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kWaitLimit,
                        [&] { return !events_.empty() && events_.back().revision >= rev; });
  }
  /// waitForProgress waits until a progress notification at `rev` or later arrived.
  bool waitForProgress(std::int64_t rev) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kWaitLimit, [&] { return progress_ >= rev; });
  }
  std::int64_t progress() const {
    std::lock_guard lock(mu_);
    return progress_;
  }
  /// progressViolation: an event arrived at or below a revision a progress notification had
  /// already covered.
  bool progressViolation() const {
    std::lock_guard lock(mu_);
    return progressViolation_;
  }
  std::vector<Event> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }
  std::optional<Error> error() const {
    std::lock_guard lock(mu_);
    return error_;
  }
  bool overlapping() const {
    std::lock_guard lock(mu_);
    return overlapping_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Event> events_;
  std::optional<Error> error_;
  int deliveries_ = 0;
  bool inCallback_ = false;
  bool overlapping_ = false;
  std::int64_t progress_ = 0;
  bool progressViolation_ = false;
};

}  // namespace apiserver::storage::storagetest
