#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>

/// @file calls_in_flight.h
/// CallsInFlight: the asynchronous calls that have started and not been answered yet, so that
/// whoever owns what their answers use can wait for them before it goes.

namespace apiserver::storage {

/// CallsInFlight counts started, unanswered calls. Thread-safe.
class CallsInFlight {
 public:
  /// begin counts a call about to start; false once close() was called (it must not start).
  bool begin() {
    std::lock_guard lock(mu_);
    if (closed_)
      return false;
    ++count_;
    return true;
  }
  /// end counts a call answered.
  void end() {
    std::lock_guard lock(mu_);
    if (--count_ == 0)
      idle_.notify_all();
  }
  /// wait returns once no call is in flight.
  void wait() {
    std::unique_lock lock(mu_);
    idle_.wait(lock, [&] { return count_ == 0; });
  }
  /// close refuses the calls that would begin from now on, then waits for those in flight.
  void close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    wait();
  }

 private:
  std::mutex mu_;
  std::condition_variable idle_;
  std::size_t count_ = 0;
  bool closed_ = false;
};

}  // namespace apiserver::storage
