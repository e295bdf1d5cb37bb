#pragma once

#include <cstddef>
#include <memory>

namespace boost::asio {
class io_context;
}

namespace apiserver::server {

/// IoContexts are the server's I/O threads, each running an io_context of its own, as nginx's
/// workers each run their own event loop: a connection is accepted onto one of them (in turn) and
/// stays there, so that its reads, handlers and writes never wake another thread or share a
/// scheduler's lock with one (docs/performance.md, *One event loop per I/O thread*). One more
/// context, on a thread of its own, runs what is not a connection: the listeners (so that a
/// connection is accepted while every worker is busy), the signals. Thread-safe.
class IoContexts {
 public:
  /// IoContexts makes `workers` contexts for connections (at least one) and the main one;
  /// start() runs them.
  explicit IoContexts(std::size_t workers);
  ~IoContexts();  ///< stops and joins
  IoContexts(const IoContexts&) = delete;
  IoContexts& operator=(const IoContexts&) = delete;

  /// main is the context of the listeners and the signals.
  boost::asio::io_context& main();
  /// current is the context the calling thread runs, or main() on a thread that runs none.
  boost::asio::io_context& current();
  /// next is the worker context the next connection goes to (round robin).
  boost::asio::io_context& next();

  /// start runs each context on a thread of its own until stop().
  void start();
  /// stop ends every context's run and joins the threads.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace apiserver::server
