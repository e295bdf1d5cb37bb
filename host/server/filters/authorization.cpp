#include "authorization/authorizer_chain.h"
#include "server/filters/filters.h"
#include "server/request_info.h"

#include <apiserver/authorization.h>

namespace apiserver::server::filters {

namespace {

/// Authorization asks the server's authorizer about every request (kube's WithAuthorization):
/// allowed requests go on, others get kube's 403 (or a 500 when the evaluation failed).
class Authorization final : public Link {
 public:
  Authorization(std::shared_ptr<const Authorizer> authorizer, Logger& log)
      : authorizer_(std::move(authorizer)), log_(log) {}

  // Link
  Response handle(Request& req, Handler& next) override {
    ensureRequestInfo(req);
    const AuthorizationAttributes attrs = AuthorizationAttributes::fromRequest(req);
    AuthorizationDecision d = authorizer_->authorize(attrs);
    if (d.allowed()) return next.serve(req);
    if (!d.error.empty()) return Response::error(ApiError::internal(d.error));
    if (log_.enabled(LogLevel::Debug))
      log_.debug("Forbidden: " + req.method + " " + req.target + " user \"" + req.user.name + "\" reason: " + d.reason);
    Response r = Response::error(forbidden(attrs, d.reason));
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    return r;
  }

 private:
  std::shared_ptr<const Authorizer> authorizer_;
  Logger& log_;
};

}  // namespace

std::shared_ptr<LinkFactory> authorization(std::shared_ptr<const authorization::ServerAuthorizer> server, Logger& log) {
  return makeFactory([server = std::move(server), &log]() -> std::shared_ptr<Link> {
    // The chain is built before any link is created; take it directly, without the forwarding.
    std::shared_ptr<const Authorizer> target = server->target();
    if (!target) target = server;
    return std::make_shared<Authorization>(std::move(target), log);
  });
}

}  // namespace apiserver::server::filters
