#include "server/filters/filters.h"
#include "server/request_info.h"

namespace apiserver::server::filters {

namespace {

ApiError missed() {
  return ApiError::timeout(
      "request did not complete within requested timeout - context deadline exceeded", 0);
}

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
    if (res.pending)  // an answer that comes after the deadline is the timeout too
      return Response::later(
          thenPending(std::move(res.pending), [deadline = req.deadline](Response r) {
            if (!r.stream && std::chrono::steady_clock::now() > deadline)
              return Response::error(missed());
            return r;
          }));
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
