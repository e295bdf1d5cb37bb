#pragma once

#include <apiserver/chain.h>
#include <apiserver/registry.h>
#include <apiserver/result.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace boost::asio {
class io_context;
}

/// @file http_server.h
/// The HTTP/1.1 listener and sessions (Boost.Beast, in the shape of Beast's advanced_server):
/// keep-alive, bounded bodies, ordinary requests answered by the handler on the I/O thread that
/// read them, long-running responses streamed with chunked encoding while holding no thread.

namespace apiserver::server {

/// HttpServerOptions configure the listener. All are required.
struct HttpServerOptions {
  std::string bindAddress = "127.0.0.1";
  std::uint16_t port = 0;                   ///< 0: any free port
  std::size_t maxRequestBodyBytes = 3 * 1024 * 1024;
  std::size_t maxHeaderBytes = 1024 * 1024;
  std::chrono::seconds idleTimeout{90};     ///< an idle keep-alive connection is closed after this
};

/// HttpServer accepts connections and hands each request to the root handler.
class HttpServer {
 public:
  HttpServer(boost::asio::io_context& ioc, Handler& root, HttpServerOptions options, Logger& logger);
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
