#include "server/filters/filters.h"
#include "server/request_info.h"

namespace apiserver::server::filters {

namespace {

class RequestInfoLink final : public Link {
 public:
  // Link
  Response handle(Request& req, Handler& next) override {
    // The session may have resolved it already (HttpServerOptions::writeWaits).
    ensureRequestInfo(req);
    return next.serve(req);
  }
};

}  // namespace

std::shared_ptr<LinkFactory> requestInfo() {
  return makeFactory([] { return std::make_shared<RequestInfoLink>(); });
}

}  // namespace apiserver::server::filters
