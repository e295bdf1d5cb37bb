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
  /// start() runs them. `streamWorkers` of the workers carry watch streams (nextStream): 0 for
  /// half of them (at least one), and never more than all.
  explicit IoContexts(std::size_t workers, std::size_t streamWorkers = 0);
  ~IoContexts();  ///< stops and joins
  IoContexts(const IoContexts&) = delete;
  IoContexts& operator=(const IoContexts&) = delete;

  /// main is the context of the listeners and the signals.
  boost::asio::io_context& main();
  /// current is the context the calling thread runs, or main() on a thread that runs none.
  boost::asio::io_context& current();
  /// next is the worker context the next connection goes to (round robin).
  boost::asio::io_context& next();
  /// nextStream is the worker context the next long-running stream (a watch) goes to: the
  /// stream workers (the first ones) in turn. A change's fan-out to its watchers then runs on
  /// those threads, and the others keep answering requests; on two cores it runs on one thread,
  /// not on two that take turns at one core's worth of time while the watchers' clients use the
  /// other (docs/performance.md, *Watch streams on their own I/O threads*).
  boost::asio::io_context& nextStream();
  /// streamWorkers is how many of the workers nextStream() picks from.
  std::size_t streamWorkers() const;

  /// start runs each context on a thread of its own until stop().
  void start();
  /// stop ends every context's run and joins the threads.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace apiserver::server
