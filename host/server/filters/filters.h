#pragma once

#include <apiserver/chain.h>
#include <apiserver/registry.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

/// @file filters.h
/// The host's built-in handler-chain links (kube's pkg/server/filters and
/// pkg/endpoints/filters). The YAML handlerChain names them; their limits come from the
/// `serving` section (or the kube flags), not from per-link config.

namespace apiserver::authorization {
class ServerAuthorizer;
}  // namespace apiserver::authorization

namespace apiserver::server::filters {

/// thenPending is `pending` with its answer passed through `then` on the way out: how a link
/// that must see (or change) the real answer of a pending response wraps it.
inline std::shared_ptr<PendingResponse> thenPending(std::shared_ptr<PendingResponse> pending,
                                                    std::function<Response(Response)> then) {
  class Then final : public PendingResponse {
   public:
    Then(std::shared_ptr<PendingResponse> inner, std::function<Response(Response)> then)
        : inner_(std::move(inner)), then_(std::move(then)) {}
    void start(std::function<void(Response)> done) override {
      inner_->start([then = std::move(then_), done = std::move(done)](Response r) {
        done(then(std::move(r)));
      });
    }

   private:
    std::shared_ptr<PendingResponse> inner_;
    std::function<Response(Response)> then_;
  };
  return std::make_shared<Then>(std::move(pending), std::move(then));
}

/// panic-recovery: anything a later link or handler throws becomes a 500 Status; the server
/// lives on. Outermost, so that it also covers the other links.
std::shared_ptr<LinkFactory> panicRecovery(Logger& log);

/// request-info: resolves RequestInfo (verb, resource, namespace, ...) for the links after it.
std::shared_ptr<LinkFactory> requestInfo();

/// request-log: one log line per request (method, path, status, latency, user agent).
/// Config: `level: info|debug` (default info).
std::shared_ptr<LinkFactory> requestLog(Logger& log);

/// max-in-flight: at most `maxReadOnly` non-mutating and `maxMutating` mutating requests at once
/// (0: unlimited); beyond, 429 with Retry-After. Long-running requests are exempt.
std::shared_ptr<LinkFactory> maxInFlight(std::int64_t maxReadOnly, std::int64_t maxMutating);

/// timeout: non-long-running requests get a deadline (the `timeout` query parameter if shorter)
/// and a 504 Status if they miss it.
std::shared_ptr<LinkFactory> timeout(std::chrono::milliseconds requestTimeout);

/// authorization: asks the server's authorizer (the `--authorization-mode` chain) about every
/// request; what it does not allow is answered 403 in kube's words. Always part of the chain: the
/// host appends it when the YAML does not name it.
std::shared_ptr<LinkFactory> authorization(std::shared_ptr<const authorization::ServerAuthorizer> server, Logger& log);

/// FunctionLinkFactory makes a link that takes no configuration.
template <class MakeLink>
class FunctionLinkFactory final : public LinkFactory {
 public:
  explicit FunctionLinkFactory(MakeLink make) : make_(std::move(make)) {}
  Result<std::shared_ptr<Link>> create(const ConfigSection& config) override {
    ConfigReader r(config);
    if (auto done = r.finish(); !done) return fail(std::move(done).error());
    return std::shared_ptr<Link>(make_());
  }

 private:
  MakeLink make_;
};

template <class MakeLink>
std::shared_ptr<LinkFactory> makeFactory(MakeLink make) {
  return std::make_shared<FunctionLinkFactory<MakeLink>>(std::move(make));
}

}  // namespace apiserver::server::filters
