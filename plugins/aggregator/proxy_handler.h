#pragma once

#include "aggregator/registry.h"

#include <apiserver/chain.h>
#include <apiserver/registry.h>
#include <apiserver/upstream.h>

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

/// @file proxy_handler.h
/// ProxyHandler: the aggregator's server in front of the host's own (kube-aggregator's handler
/// chain position). It forwards /apis/<group>/<version>/... of remote APIServices to their
/// backends, answers /apis, /apis/<remote group> and the /openapi/v3 index with the remote
/// versions merged in, and passes everything else to the next server.

namespace apiserver::plugins::aggregator {

/// ProxyOptions are the proxy's timeouts and its client certificate.
struct ProxyOptions {
  std::chrono::milliseconds connectTimeout{5000};
  std::chrono::milliseconds responseHeaderTimeout{60000};
  std::string clientCertPem;  ///< presented to backends over TLS, when set
  std::string clientKeyPem;
};

/// identityHeaders are the X-Remote-* fields that carry `user` to a backend (client-go's
/// SetAuthProxyHeaders). A request without an authenticated user is forwarded as kube's
/// anonymous user: system:anonymous in group system:unauthenticated.
std::vector<std::pair<std::string, std::string>> identityHeaders(const UserInfo& user);

/// ProxyHandler is the aggregator's DelegateServer. Thread-safe; holds no thread per request
/// (a proxied request is a PendingResponse, a proxied watch a BodyStream).
class ProxyHandler final : public DelegateServer {
 public:
  ProxyHandler(std::shared_ptr<ApiServiceRegistry> registry, std::shared_ptr<UpstreamClient> upstream,
               ProxyOptions options, Logger& log);

  // apiserver::DelegateServer
  Response serve(Request& req, Handler& next) override;

 private:
  /// Merged is a merged discovery (or OpenAPI index) document, cached until the local document
  /// or the snapshot changes.
  struct Merged {
    SharedBytes local;  ///< the local document it was made from (kept, so its address stays unique)
    std::uint64_t generation = 0;
    std::string contentType;
    SharedBytes bytes;
  };
  enum CacheSlot { kLegacyApis, kAggregatedApis, kAggregatedBetaApis, kOpenApiIndex, kSlots };

  Response mergedDocument(Request& req, Handler& next, const Snapshot& snapshot, bool openapi);
  Response forward(Request& req, std::shared_ptr<const Snapshot> snapshot, const RemoteVersion& version);
  Response unavailable(const RemoteVersion& version, const std::string& why);

  std::shared_ptr<ApiServiceRegistry> registry_;
  std::shared_ptr<UpstreamClient> upstream_;
  const ProxyOptions options_;
  Logger& log_;
  std::array<std::atomic<std::shared_ptr<const Merged>>, kSlots> merged_;
};

}  // namespace apiserver::plugins::aggregator
