// The I/O threads: a context per worker thread, connections handed out in turn, and the main
// context (listeners, signals) apart from the workers.

#include "server/io_contexts.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <gtest/gtest.h>

#include <future>
#include <set>
#include <thread>
#include <vector>

namespace apiserver::server {
namespace {

namespace net = boost::asio;

TEST(IoContexts, ConnectionsGoToTheWorkersInTurnNeverToTheMainContext) {
  IoContexts io(3);
  std::set<net::io_context*> seen;
  net::io_context* first = &io.next();
  seen.insert(first);
  seen.insert(&io.next());
  seen.insert(&io.next());
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen.count(&io.main()), 0u);
  EXPECT_EQ(&io.next(), first);  // the fourth connection joins the first
}

TEST(IoContexts, StreamsGoToTheFirstHalfOfTheWorkersInTurn) {
  IoContexts io(4);
  EXPECT_EQ(io.streamWorkers(), 2u);
  std::vector<net::io_context*> workers;
  for (int i = 0; i < 4; ++i)
    workers.push_back(&io.next());
  net::io_context* first = &io.nextStream();
  net::io_context* second = &io.nextStream();
  EXPECT_EQ(first, workers[0]);
  EXPECT_EQ(second, workers[1]);
  EXPECT_EQ(&io.nextStream(), first);  // the third stream joins the first
}

TEST(IoContexts, StreamWorkersAreAtLeastOneAndAtMostAll) {
  EXPECT_EQ(IoContexts(1).streamWorkers(), 1u);
  EXPECT_EQ(IoContexts(2).streamWorkers(), 1u);
  EXPECT_EQ(IoContexts(3).streamWorkers(), 1u);
  EXPECT_EQ(IoContexts(3, 2).streamWorkers(), 2u);
  EXPECT_EQ(IoContexts(2, 5).streamWorkers(), 2u);
  IoContexts one(1);
  EXPECT_EQ(&one.nextStream(), &one.next());
}

TEST(IoContexts, EachContextRunsOnAThreadOfItsOwnAndKnowsIt) {
  IoContexts io(2);
  io.start();
  net::io_context& a = io.next();
  net::io_context& b = io.next();
  auto threadAndCurrent = [&](net::io_context& ctx) {
    std::promise<std::pair<std::thread::id, net::io_context*>> p;
    net::post(ctx, [&] { p.set_value({std::this_thread::get_id(), &io.current()}); });
    return p.get_future().get();
  };
  const auto [ta, ca] = threadAndCurrent(a);
  const auto [tb, cb] = threadAndCurrent(b);
  const auto [tm, cm] = threadAndCurrent(io.main());
  EXPECT_EQ(ca, &a);
  EXPECT_EQ(cb, &b);
  EXPECT_EQ(cm, &io.main());
  EXPECT_NE(ta, tb);
  EXPECT_NE(ta, tm);
  EXPECT_NE(tb, tm);
  EXPECT_EQ(threadAndCurrent(a).first, ta);  // always the same thread
  // A thread that runs none of them is given the main context.
  EXPECT_EQ(&io.current(), &io.main());
  io.stop();
  EXPECT_TRUE(a.stopped());
  EXPECT_TRUE(io.main().stopped());
}

TEST(IoContexts, AtLeastOneWorker) {
  IoContexts io(0);
  EXPECT_NE(&io.next(), &io.main());
  EXPECT_EQ(&io.next(), &io.next());
}

}  // namespace
}  // namespace apiserver::server
