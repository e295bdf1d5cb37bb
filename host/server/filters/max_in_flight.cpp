#include "server/filters/filters.h"
#include "server/request_info.h"

#include <atomic>

namespace apiserver::server::filters {

namespace {

// Slot holds one place in a limit for as long as the request runs (RAII across `next`).
class Slot {
 public:
  Slot(std::atomic<std::int64_t>& counter, std::int64_t limit) : counter_(counter) {
    acquired_ = limit <= 0 || counter_.fetch_add(1, std::memory_order_acq_rel) < limit;
    if (limit > 0 && !acquired_) counter_.fetch_sub(1, std::memory_order_acq_rel);
    counted_ = limit > 0 && acquired_;
  }
  ~Slot() {
    if (counted_) counter_.fetch_sub(1, std::memory_order_acq_rel);
  }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;
  bool acquired() const { return acquired_; }
  /// release hands the place over to the caller: the counter to decrement once done, or null when
  /// nothing is counted.
  std::atomic<std::int64_t>* release() {
    if (!counted_) return nullptr;
    counted_ = false;
    return &counter_;
  }

 private:
  std::atomic<std::int64_t>& counter_;
  bool acquired_ = false;
  bool counted_ = false;
};

class MaxInFlight final : public Link {
 public:
  MaxInFlight(std::int64_t readOnly, std::int64_t mutating) : maxReadOnly_(readOnly), maxMutating_(mutating) {}

  // Link
  Response handle(Request& req, Handler& next) override {
    ensureRequestInfo(req);
    if (isLongRunning(req.info)) return next.serve(req);
    const bool mutating = isMutating(req.info);
    Slot slot(mutating ? mutating_ : readOnly_, mutating ? maxMutating_ : maxReadOnly_);
    if (!slot.acquired())
      return Response::error(ApiError::tooManyRequests("Too many requests, please try again later.", 1));
    Response res = next.serve(req);
    // A pending answer (a proxied request) keeps its place until it is there.
    if (res.pending)
      res.pending = thenPending(std::move(res.pending), [counter = slot.release()](Response r) {
        if (counter != nullptr)
          counter->fetch_sub(1, std::memory_order_acq_rel);
        return r;
      });
    return res;
  }

 private:
  const std::int64_t maxReadOnly_;
  const std::int64_t maxMutating_;
  std::atomic<std::int64_t> readOnly_{0};
  std::atomic<std::int64_t> mutating_{0};
};

}  // namespace

std::shared_ptr<LinkFactory> maxInFlight(std::int64_t maxReadOnly, std::int64_t maxMutating) {
  return makeFactory([=] { return std::make_shared<MaxInFlight>(maxReadOnly, maxMutating); });
}

}  // namespace apiserver::server::filters
