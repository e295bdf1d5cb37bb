#pragma once

#include <apiserver/registry.h>
#include <apiserver/upstream.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>

namespace boost::asio {
class io_context;
}

/// @file upstream_client.h
/// HostUpstreamClient: the host's UpstreamClient, on Boost.Beast and OpenSSL (both stay inside
/// upstream_client.cpp). Every exchange runs on a strand of an io_context of the host; nothing
/// blocks a thread: a request waiting for its backend, and a watch relayed from a backend, are
/// a few buffers and a socket.

namespace apiserver::proxy {

/// UpstreamPoolOptions configure keep-alive connection reuse.
struct UpstreamPoolOptions {
  /// maxIdlePerTarget is how many idle connections are kept per target (scheme, address, TLS
  /// settings); more are closed.
  std::size_t maxIdlePerTarget = 64;
  /// idleTimeout closes a connection idle for longer (below the 90 s idle timeout of this
  /// server and of Go's, so that a backend rarely closes a connection just as it is reused).
  std::chrono::seconds idleTimeout{45};
  /// streamHighWater pauses reading a streamed body while this many bytes wait for a slow
  /// client; reading resumes once the client has taken them.
  std::size_t streamHighWater = std::size_t{1} << 20;
};

/// UpstreamStats count what the client did (for tests and logs).
struct UpstreamStats {
  std::size_t connectionsOpened = 0;  ///< TCP connections established
  std::size_t connectionsReused = 0;  ///< exchanges that ran on a pooled connection
  std::size_t idleConnections = 0;    ///< pooled right now
};

/// HostUpstreamClient implements UpstreamClient. Thread-safe. The io_context must outlive it
/// and keep running until shutdown() has been called and the exchanges it ends have finished.
class HostUpstreamClient final : public UpstreamClient {
 public:
  /// HostUpstreamClient runs every exchange on `ioc`.
  HostUpstreamClient(boost::asio::io_context& ioc, Logger& log, UpstreamPoolOptions options = {});
  /// HostUpstreamClient runs an exchange on the io_context `contextOfCaller` names for the
  /// thread that forwards it, on a connection pooled for that context: a request a server's I/O
  /// thread forwards is sent, answered and relayed on that thread (IoContexts::current). Every
  /// context it names must outlive the client, as above.
  HostUpstreamClient(std::function<boost::asio::io_context&()> contextOfCaller, Logger& log,
                     UpstreamPoolOptions options = {});
  ~HostUpstreamClient() override;
  HostUpstreamClient(const HostUpstreamClient&) = delete;
  HostUpstreamClient& operator=(const HostUpstreamClient&) = delete;

  // apiserver::UpstreamClient
  void forward(const Request& req, const UpstreamTarget& target, const ForwardOptions& options,
               Callback done) override;

  /// shutdown closes pooled connections and ends every exchange in flight (waiting ones fail
  /// with 503, streamed bodies end); later calls fail with 503 at once. Idempotent; does not
  /// wait.
  void shutdown();

  UpstreamStats stats() const;

  struct Impl;  // public so that exchanges (in the .cpp) can hold it

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace apiserver::proxy
