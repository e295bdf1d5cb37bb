#pragma once

#include <apiserver/chain.h>
#include <apiserver/registry.h>
#include <apiserver/result.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace boost::asio {
class thread_pool;
}

namespace apiserver::tls {
class CertPool;
}

/// @file http_server.h
/// The HTTP/1.1 listener and sessions (Boost.Beast, in the shape of Beast's advanced_server):
/// keep-alive, bounded bodies, each connection on one I/O thread (IoContexts), reads answered by
/// the handler on that thread,
/// writes on a pool of blocking threads (HttpServerOptions::blocking), long-running responses
/// streamed with chunked encoding while holding no thread.
/// With TLS options the listener serves HTTPS (tls_stream.h: OpenSSL over the connection's own
/// buffers): the handshake is bounded by a timeout, a client certificate is verified once per
/// connection, and a plain HTTP request on it is answered as Go answers it (400, "Client sent an
/// HTTP request to an HTTPS server.").

namespace apiserver::server {

class IoContexts;

/// TlsServingOptions make a listener serve HTTPS (TLS 1.2 or later, ECDHE with AES-GCM or
/// ChaCha20-Poly1305; HTTP/1.1, no ALPN).
struct TlsServingOptions {
  std::string certificateChainPem;  ///< the serving certificate, then any intermediates
  std::string privateKeyPem;
  /// clientCaBundles: named bundles a client certificate is verified against, once per
  /// connection; their names end up in PeerCertificate::verifiedBy. Their CAs are also the
  /// acceptable-CA list of the certificate request (as Go's ClientCAs). None: no client
  /// certificate is asked for.
  std::vector<std::pair<std::string, std::shared_ptr<const tls::CertPool>>> clientCaBundles;
  bool tls13Only = false;                     ///< refuse TLS 1.2 (--tls-min-version=VersionTLS13)
  std::chrono::milliseconds handshakeTimeout{10000};  ///< a handshake not done by then is dropped
};

/// HttpServerOptions configure the listener. All are required.
struct HttpServerOptions {
  std::string bindAddress = "127.0.0.1";
  std::uint16_t port = 0;                   ///< 0: any free port
  std::size_t maxRequestBodyBytes = 3 * 1024 * 1024;
  std::size_t maxHeaderBytes = 1024 * 1024;
  std::chrono::seconds idleTimeout{90};     ///< an idle keep-alive connection is closed after this
  /// tls: serve HTTPS with these; null serves plain HTTP.
  std::shared_ptr<const TlsServingOptions> tls;
  /// insecure: this plain-HTTP listener is the insecure port (Connection::insecure is set on
  /// its requests).
  bool insecure = false;
  /// trustedUser, when set, is every request's user before the handler chain runs (the insecure
  /// port's system:unsecured, as kube's insecure serving): it holds whatever links the chain has.
  std::optional<UserInfo> trustedUser;
  /// blocking, when set, runs the requests that may wait on storage — the writes (POST, PUT,
  /// PATCH, DELETE), whose answer waits for a durable commit, unless `writeWaits` says otherwise
  /// — so that an fsync or an etcd round trip never holds an I/O thread; reads and watches stay
  /// on the I/O thread that read them.
  boost::asio::thread_pool* blocking = nullptr;
  /// writeWaits, when set, tells whether a write may hold the thread that runs it (false: a
  /// create that the backend answers from its own thread); unset, every write may.
  std::function<bool(Request&)> writeWaits;
  /// sendRing: the writes of a watch fan-out (one slice of woken streams on one I/O thread) are
  /// made together, in one system call, on a SendRing where the kernel allows it (plain HTTP
  /// only); false, or where it does not, a sendmsg per stream.
  bool sendRing = true;
};

/// HttpServer accepts connections and hands each request to the root handler.
class HttpServer {
 public:
  /// HttpServer listens on `io`'s main context and serves each connection on the next of its
  /// contexts.
  HttpServer(IoContexts& io, Handler& root, HttpServerOptions options, Logger& logger);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// listen binds and starts accepting; returns the bound port.
  Result<std::uint16_t> listen();
  /// stopAccepting closes the listening socket.
  void stopAccepting();
  /// endStreams ends every long-running response (each sends its last chunk).
  void endStreams();
  /// inFlight is the number of requests being handled or streamed right now.
  std::size_t inFlight() const;

  struct Impl;  // public so that sessions (in the .cpp) can hold it

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace apiserver::server
