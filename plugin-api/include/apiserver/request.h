#pragma once

#include <apiserver/status.h>

#include <boost/json/serialize.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// @file request.h
/// The request and response as the handler chain and the server chain see them: plain data, no
/// HTTP library types.

namespace apiserver {

/// SharedBytes is an immutable, shareable byte buffer: an object encoded once and sent to many
/// clients without copying.
using SharedBytes = std::shared_ptr<const std::string>;

inline SharedBytes makeBytes(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

/// Headers is a read-only view of the request's header fields. Names compare case-insensitively.
/// Valid only while the request is being handled.
class Headers {
 public:
  virtual ~Headers() = default;
  /// get returns the first value of the field, if present.
  virtual std::optional<std::string_view> get(std::string_view name) const = 0;
  /// forEach visits every field in order.
  virtual void forEach(const std::function<void(std::string_view name, std::string_view value)>& fn) const = 0;
};

/// QueryParams holds the decoded query parameters in order (a name may repeat).
class QueryParams {
 public:
  std::vector<std::pair<std::string, std::string>> items;

  /// get returns the first value of `name`, if present.
  std::optional<std::string_view> get(std::string_view name) const {
    for (const auto& [k, v] : items)
      if (k == name) return std::string_view(v);
    return std::nullopt;
  }
  bool has(std::string_view name) const { return get(name).has_value(); }
};

/// UserInfo is the authenticated identity (kube's user.Info).
struct UserInfo {
  std::string name;
  std::string uid;
  std::vector<std::string> groups;
  std::map<std::string, std::vector<std::string>> extra;
};

/// PeerCertificate is the client certificate a TLS client presented, read and verified by the host
/// once per connection (kube's req.TLS.PeerCertificates and the chain verification its x509 and
/// request-header authenticators do).
struct PeerCertificate {
  std::string commonName;                  ///< the leaf's subject CN
  std::vector<std::string> organizations;  ///< the leaf's subject O, in order
  /// verifiedBy names the host's client CA bundles the chain verified against for client
  /// authentication: "client-ca" (--client-ca-file and the host's own CA) and
  /// "requestheader-client-ca" (--requestheader-client-ca-file). Empty: none did.
  std::vector<std::string> verifiedBy;
  /// verifyErrors: why the chain failed a bundle, by bundle name, in Go's words
  /// ("x509: certificate signed by unknown authority").
  std::map<std::string, std::string> verifyErrors;

  bool trustedBy(std::string_view bundle) const {
    for (const auto& b : verifiedBy)
      if (b == bundle) return true;
    return false;
  }
};

/// Connection describes the connection a request arrived on. Set by the HTTP server and shared
/// by the requests of one connection; immutable.
struct Connection {
  bool tls = false;  ///< over TLS (the secure port)
  /// insecure: the plain-HTTP, loopback-only insecure port; kube authenticates such requests as
  /// the superuser system:unsecured.
  bool insecure = false;
  std::shared_ptr<const PeerCertificate> peerCertificate;  ///< null: the client sent none
};

/// RequestInfo is what the request-info link derives from the path and method (kube's
/// request.RequestInfo). For a non-resource request only path and verb are set.
struct RequestInfo {
  bool resolved = false;           ///< set by the request-info link
  bool isResourceRequest = false;  ///< under /api or /apis and names a resource
  std::string verb;        ///< get list watch create update patch delete deletecollection; else lower-case method
  std::string apiPrefix;   ///< "api" or "apis"
  std::string apiGroup;    ///< "" for the core group
  std::string apiVersion;  ///< "v1"
  std::string namespace_;  ///< empty for cluster-scoped requests
  std::string resource;    ///< "pods"
  std::string subresource; ///< "status"
  std::string name;        ///< object name, if any
};

/// Request is one HTTP request on its way through the handler chain and the server chain.
/// Links may change any field (e.g. authentication sets `user`).
struct Request {
  std::string method;   ///< upper case: GET POST PUT PATCH DELETE ...
  std::string target;   ///< the request target as received (path and query)
  std::string path;     ///< the decoded path, without the query
  QueryParams query;    ///< the decoded query parameters
  const Headers* headers = nullptr;
  std::string body;     ///< the whole request body (bounded by the serving limit)
  RequestInfo info;
  UserInfo user;
  std::string remoteAddress;
  /// connection: the transport the request came on; null for a request made in-process.
  std::shared_ptr<const Connection> connection;
  /// auditId: the request's audit ID (the client's Audit-ID header, or a new UUID); the host
  /// sends it back as the Audit-Id response header and the audit log records it.
  std::string auditId;
  /// auditAnnotations: what links and handlers add to the request's audit event (kube's
  /// audit.AddAuditAnnotation), e.g. authorization.k8s.io/decision.
  std::vector<std::pair<std::string, std::string>> auditAnnotations;
  /// deadline is when a non-long-running request must be answered by (set by the timeout link);
  /// steady_clock::time_point::max() means none. Slow work should check it.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();

  std::optional<std::string_view> header(std::string_view name) const {
    return headers != nullptr ? headers->get(name) : std::nullopt;
  }
};

/// BodyStream is the body of a long-running response (a watch, a proxied stream). It holds no
/// thread: the host pulls chunks when woken. All methods may be called from any thread.
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  /// start is called once, before any poll, with a function to call whenever poll may have
  /// something new (data or the end). Calling wake after cancel is allowed and does nothing.
  virtual void start(std::function<void()> wake) = 0;
  /// poll moves the chunks available now into `out` (each written as one HTTP chunk, in order)
  /// and returns false once the stream has ended and `out` holds its last chunks.
  virtual bool poll(std::vector<SharedBytes>& out) = 0;
  /// cancel ends the stream early: the client went away or the server is stopping. Idempotent.
  virtual void cancel() noexcept = 0;
};

class PendingResponse;

/// Response is what a handler answers. A response with `stream` set is sent with chunked
/// transfer encoding and `body` is ignored. A response with `pending` set is not the answer yet:
/// status, headers and body come later from the PendingResponse, and everything else in this
/// Response is ignored.
struct Response {
  int status = 200;
  std::string contentType = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra header fields
  std::vector<SharedBytes> body;                             ///< sent in order, without copying
  std::shared_ptr<BodyStream> stream;
  /// pending, when set, makes this a placeholder for an answer that is not ready yet (a proxied
  /// request waiting for its backend); see PendingResponse.
  std::shared_ptr<PendingResponse> pending;
  /// streamDeadline ends a stream at that time (the host cancels it and sends the last chunk).
  std::chrono::steady_clock::time_point streamDeadline = std::chrono::steady_clock::time_point::max();
  /// longRunning marks a stream that lasts and is fed by the server's own changes (a watch): the
  /// host may carry its connection over to one of the I/O threads that it keeps such streams on.
  bool longRunning = false;

  /// bytes is a response with one body segment.
  static Response bytes(int status, std::string contentType, std::string body) {
    Response r;
    r.status = status;
    r.contentType = std::move(contentType);
    r.body.push_back(makeBytes(std::move(body)));
    return r;
  }
  static Response json(int status, const boost::json::value& v) {
    return bytes(status, "application/json", boost::json::serialize(v));
  }
  /// error renders an ApiError as a metav1.Status with its HTTP code (plus Retry-After when the
  /// error asks for one).
  static Response error(const ApiError& e) {
    Response r = json(e.code, e.toJson());
    if (e.details && e.details->retryAfterSeconds > 0)
      r.headers.emplace_back("Retry-After", std::to_string(e.details->retryAfterSeconds));
    return r;
  }
  /// bodySize is the total number of body bytes.
  std::size_t bodySize() const {
    std::size_t n = 0;
    for (const auto& b : body) n += b->size();
    return n;
  }
  /// later is a placeholder Response for an answer that `pending` will give.
  static Response later(std::shared_ptr<PendingResponse> pending) {
    Response r;
    r.status = 0;
    r.pending = std::move(pending);
    return r;
  }
};

/// PendingResponse is an answer that is not ready when the handler returns: a proxied request
/// waiting for its backend. It holds no thread while it waits. The host calls start() once, right
/// after the handler chain returned; the producer then calls `done` exactly once, from any thread
/// (possibly before start returns), with the real answer — which may itself carry a `stream`, but
/// not another `pending`. A handler-chain link that must see the real answer (a request log, an
/// in-flight slot) wraps the PendingResponse in its own and forwards start().
class PendingResponse {
 public:
  virtual ~PendingResponse() = default;
  virtual void start(std::function<void(Response)> done) = 0;
};

/// DeferredResponse is the ordinary PendingResponse: whoever has the answer calls complete(),
/// before or after the host called start(). Thread-safe.
class DeferredResponse final : public PendingResponse {
 public:
  void start(std::function<void(Response)> done) override {
    std::unique_lock lock(mu_);
    if (ready_) {
      Response r = std::move(*ready_);
      ready_.reset();
      lock.unlock();
      done(std::move(r));
      return;
    }
    done_ = std::move(done);
  }
  /// complete gives the answer; only the first call counts.
  void complete(Response r) {
    std::unique_lock lock(mu_);
    if (completed_) return;
    completed_ = true;
    if (!done_) {
      ready_ = std::move(r);
      return;
    }
    auto done = std::move(done_);
    done_ = nullptr;
    lock.unlock();
    done(std::move(r));
  }

 private:
  std::mutex mu_;
  bool completed_ = false;
  std::optional<Response> ready_;
  std::function<void(Response)> done_;
};

}  // namespace apiserver
