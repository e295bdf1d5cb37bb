#include "server/filters/filters.h"
#include "server/request_info.h"

namespace apiserver::server::filters {

namespace {

ApiError missed() {
  return ApiError::timeout(
      "request did not complete within requested timeout - context deadline exceeded", 0);
}

/// LatePending is a pending answer (an asynchronous create, a proxied request) that is replaced
/// by the timeout if it comes after the deadline, as an answer returned late is.
class LatePending final : public PendingResponse {
 public:
  LatePending(std::shared_ptr<PendingResponse> inner,
              std::chrono::steady_clock::time_point deadline)
      : inner_(std::move(inner)), deadline_(deadline) {}
  void start(std::function<void(Response)> done) override {
    inner_->start([done = std::move(done), deadline = deadline_](Response res) {
      if (!res.stream && std::chrono::steady_clock::now() > deadline)
        res = Response::error(missed());
      done(std::move(res));
    });
  }

 private:
  std::shared_ptr<PendingResponse> inner_;
  const std::chrono::steady_clock::time_point deadline_;
};

class Timeout final : public Link {
 public:
  explicit Timeout(std::chrono::milliseconds limit) : limit_(limit) {}

  // Link
  Response handle(Request& req, Handler& next) override {
    ensureRequestInfo(req);
    if (isLongRunning(req.info)) return next.serve(req);
    auto limit = limit_;
    if (auto t = req.query.get("timeout"); t && !t->empty()) {
      auto d = ConfigReader::parseDuration(*t);
      if (!d)
        return Response::error(ApiError::badRequest("invalid timeout specified in the request URL - time: invalid duration \"" +
                                                    std::string(*t) + "\""));
      if (*d > std::chrono::milliseconds(0) && *d < limit) limit = *d;
    }
    const auto start = std::chrono::steady_clock::now();
    req.deadline = start + limit;
    Response res = next.serve(req);
    // The handler ran to completion (its work, including writes, is done), but the client asked
    // for an answer within the limit: as kube's timeout filter, report that it was missed.
    if (res.pending)
      return Response::later(std::make_shared<LatePending>(std::move(res.pending), req.deadline));
    if (!res.stream && std::chrono::steady_clock::now() > req.deadline)
      return Response::error(missed());
    return res;
  }

 private:
  const std::chrono::milliseconds limit_;
};

}  // namespace

std::shared_ptr<LinkFactory> timeout(std::chrono::milliseconds requestTimeout) {
  return makeFactory([=] { return std::make_shared<Timeout>(requestTimeout); });
}

}  // namespace apiserver::server::filters
