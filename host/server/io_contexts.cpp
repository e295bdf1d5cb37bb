#include "server/io_contexts.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <atomic>
#include <optional>
#include <thread>
#include <vector>

namespace apiserver::server {

namespace net = boost::asio;

struct IoContexts::Impl {
  using Guard = net::executor_work_guard<net::io_context::executor_type>;
  // A hint of 1: each context is run by one thread, which asio's scheduler then never wakes
  // another for. The first is main(), the others are the workers.
  std::vector<std::unique_ptr<net::io_context>> contexts;
  std::vector<std::optional<Guard>> guards;
  std::vector<std::thread> threads;
  std::atomic<std::size_t> turn{0};
  std::size_t streamWorkers = 1;
  std::atomic<std::size_t> streamTurn{0};
};

IoContexts::IoContexts(std::size_t workers, std::size_t streamWorkers)
    : impl_(std::make_unique<Impl>()) {
  const std::size_t n = 1 + std::max<std::size_t>(1, workers);
  impl_->streamWorkers =
      std::min(n - 1, streamWorkers == 0 ? std::max<std::size_t>(1, (n - 1) / 2) : streamWorkers);
  for (std::size_t i = 0; i < n; ++i)
    impl_->contexts.push_back(std::make_unique<net::io_context>(1));
}

IoContexts::~IoContexts() {
  stop();
}

net::io_context& IoContexts::main() {
  return *impl_->contexts.front();
}

net::io_context& IoContexts::current() {
  for (auto& c : impl_->contexts)
    if (c->get_executor().running_in_this_thread())
      return *c;
  return main();
}

net::io_context& IoContexts::next() {
  const std::size_t workers = impl_->contexts.size() - 1;
  return *impl_->contexts[1 + impl_->turn.fetch_add(1, std::memory_order_relaxed) % workers];
}

std::size_t IoContexts::streamWorkers() const {
  return impl_->streamWorkers;
}

net::io_context& IoContexts::nextStream() {
  const std::size_t n = streamWorkers();
  return *impl_->contexts[1 + impl_->streamTurn.fetch_add(1, std::memory_order_relaxed) % n];
}

void IoContexts::start() {
  if (!impl_->threads.empty())
    return;
  for (auto& c : impl_->contexts) {
    impl_->guards.emplace_back(net::make_work_guard(*c));
    impl_->threads.emplace_back([&ctx = *c] { ctx.run(); });
  }
}

void IoContexts::stop() {
  impl_->guards.clear();
  for (auto& c : impl_->contexts)
    c->stop();
  for (auto& t : impl_->threads)
    if (t.joinable())
      t.join();
  impl_->threads.clear();
}

}  // namespace apiserver::server
