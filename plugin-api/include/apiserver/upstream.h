#pragma once

#include <apiserver/request.h>
#include <apiserver/result.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

/// @file upstream.h
/// UpstreamClient: the host's HTTP client for forwarding requests to other servers (the
/// aggregator's proxy, kube's proxy transport). It speaks HTTP/1.1 over TCP or TLS, keeps
/// connections alive per target, and answers every call exactly once — a backend that is down,
/// slow or broken is an error value, never a hang. Plugins get it from
/// Registrar::upstreamClient(); no HTTP library type appears here.

namespace apiserver {

/// UpstreamTarget is the server a request goes to and how to reach it.
struct UpstreamTarget {
  std::string scheme = "https";  ///< "https" or "http"
  std::string host;              ///< IP address or DNS name to connect to (required)
  std::uint16_t port = 443;
  /// serverName is the name the server's certificate must be valid for, and the TLS SNI;
  /// empty means `host`. An IP address is checked against the certificate's IP SANs.
  std::string serverName;
  /// caBundlePem are the CAs (PEM) the server's certificate must chain to; empty means the
  /// system's trust roots.
  std::string caBundlePem;
  /// insecureSkipTlsVerify accepts any server certificate (kube's insecureSkipTLSVerify).
  bool insecureSkipTlsVerify = false;
  /// clientCertPem / clientKeyPem: an optional client certificate (chain) and its key (PEM),
  /// presented to the server (the aggregator's proxy client certificate).
  std::string clientCertPem;
  std::string clientKeyPem;

  /// url renders "https://10.0.0.7:443" (IPv6 hosts bracketed).
  std::string url() const {
    const bool v6 = host.find(':') != std::string::npos;
    return scheme + "://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  }
};

/// ForwardOptions say how one request is forwarded. Hop-by-hop fields (Connection, Keep-Alive,
/// TE, Trailer, Transfer-Encoding, Upgrade, Proxy-*, and any named in Connection) are always
/// dropped in both directions; Host is set to the target.
struct ForwardOptions {
  /// target is the request target sent upstream (path and query); empty: the incoming one.
  std::string target;
  /// setHeaders are set on the upstream request, replacing fields of the same name the client
  /// sent (X-Remote-User, X-Remote-Group, X-Remote-Extra-*). A name may repeat (several groups).
  std::vector<std::pair<std::string, std::string>> setHeaders;
  /// removeHeaders are dropped from the client's request. A trailing '*' makes a name a
  /// case-insensitive prefix ("X-Remote-Extra-*").
  std::vector<std::string> removeHeaders;
  /// connectTimeout bounds resolving, connecting and the TLS handshake.
  std::chrono::milliseconds connectTimeout{5000};
  /// headerTimeout bounds the wait for the response's status line and headers after the request
  /// was sent.
  std::chrono::milliseconds headerTimeout{60000};
  /// deadline, when set, is when the whole answer (headers and a buffered body) must be in;
  /// past it the call fails with 504. A streamed body is not bounded by it.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  /// longRunning marks a response that may last (a watch): a body without Content-Length is
  /// streamed as it arrives. Otherwise such a body is read whole first (up to
  /// maxBufferedBodyBytes).
  bool longRunning = false;
  /// maxBufferedBodyBytes: a body up to this size is answered as an ordinary Response body; a
  /// larger one is streamed (Response::stream) as it arrives.
  std::size_t maxBufferedBodyBytes = std::size_t{16} << 20;
  /// forwardedFor, when set, is appended to X-Forwarded-For (the client's address).
  std::string forwardedFor;
};

/// UpstreamClient forwards requests to other HTTP servers. Thread-safe; holds no thread per
/// request: it runs on the host's I/O threads.
class UpstreamClient {
 public:
  using Callback = std::function<void(Result<Response>)>;

  virtual ~UpstreamClient() = default;

  /// forward sends `req` (method, target, headers, body) to `target` and calls `done` exactly
  /// once, on an I/O thread (never inside forward itself), with the upstream's answer: status,
  /// Content-Type and end-to-end headers, and either the whole body or — for a long-running or
  /// large answer — a BodyStream that delivers the body as it arrives (and ends when the
  /// upstream does; cancelling it closes the upstream connection). Everything needed from `req`
  /// is copied before forward returns.
  ///
  /// Errors (the upstream's own error answers are not errors: they come back as Responses):
  /// - 503 ServiceUnavailable: cannot resolve, connect or complete the TLS handshake; the TLS
  ///   configuration is unusable (e.g. a caBundle without certificates); the connection broke
  ///   or the headers did not come within headerTimeout; the answer is not HTTP; the client is
  ///   shutting down. The message says which.
  /// - 504 Timeout: `options.deadline` passed.
  virtual void forward(const Request& req, const UpstreamTarget& target, const ForwardOptions& options,
                       Callback done) = 0;
};

/// forwardAndWait is forward() for a thread of the caller's own (a controller): it blocks until
/// the answer is in. Never call it on a thread that serves requests.
inline Result<Response> forwardAndWait(UpstreamClient& client, const Request& req, const UpstreamTarget& target,
                                       const ForwardOptions& options) {
  auto promise = std::make_shared<std::promise<Result<Response>>>();
  auto future = promise->get_future();
  client.forward(req, target, options, [promise](Result<Response> r) { promise->set_value(std::move(r)); });
  return future.get();
}

}  // namespace apiserver
