// Failover test, etcd3: three etcd members under a steady create load through one Etcd3Storage
// that knows all three. The leader is killed with SIGKILL; after re-election writes continue.
// The old leader comes back, then a follower is killed; writes continue again. At the end every
// acknowledged create is in etcd. The figures are printed (and recorded as test properties).

#include "backend_fixtures.h"
#include "storage/etcd3/etcd3_storage.h"
#include "storage_test_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace apiserver::storage {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Load {
  std::mutex mu;
  std::vector<std::pair<Clock::time_point, std::string>> acked;  // in acknowledgement order
  std::map<ErrorCode, int> errors;
  std::atomic<bool> stop{false};
  std::vector<std::string> messages;  // the first failures, for the log
};

double secondsBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// The longest time without any acknowledged write in [from, to).
double longestGap(const Load& l, Clock::time_point from, Clock::time_point to) {
  Clock::time_point last = from;
  double gap = 0;
  for (const auto& [t, k] : l.acked) {
    if (t < from)
      continue;
    if (t >= to)
      break;
    gap = std::max(gap, secondsBetween(last, t));
    last = t;
  }
  return std::max(gap, secondsBetween(last, to));
}

// waitForAck waits, while the writers run, for a write acknowledged at `from` or later, until
// `deadline`; false if none came.
bool waitForAck(Load& l, Clock::time_point from, Clock::time_point deadline) {
  for (;;) {
    {
      std::lock_guard lock(l.mu);
      if (!l.acked.empty() && l.acked.back().first >= from)
        return true;
    }
    if (Clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(50ms);
  }
}

std::size_t ackedBetween(const Load& l, Clock::time_point from, Clock::time_point to) {
  return static_cast<std::size_t>(std::count_if(l.acked.begin(), l.acked.end(), [&](const auto& a) {
    return a.first >= from && a.first < to;
  }));
}

TEST(EtcdFailover, WritesContinueAfterTheLeaderAndThenAFollowerAreKilled) {
  if (!storagetest::etcdAvailable())
    GTEST_SKIP() << storagetest::kEtcdBinary << " is absent (Debian package etcd-server)";
  std::string error;
  auto cluster = storagetest::EtcdCluster::start(3, &error);
  ASSERT_TRUE(cluster) << error;
  Etcd3Options o;
  o.servers = cluster->clientUrls();
  o.compactionInterval = std::chrono::milliseconds(0);
  auto opened = Etcd3Storage::open(o);
  ASSERT_TRUE(opened) << opened.error().message;
  auto s = *opened;

  Load load;
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t)
    writers.emplace_back([&, t] {
      for (int i = 0; !load.stop.load(); ++i) {
        std::string key =
            "/registry/configmaps/failover/w" + std::to_string(t) + "-" + std::to_string(i);
        auto r = s->create(key, R"({"kind":"ConfigMap"})");
        std::lock_guard lock(load.mu);
        if (r) {
          load.acked.emplace_back(Clock::now(), std::move(key));
        } else {
          ++load.errors[r.error().code];
          if (load.messages.size() < 40)
            load.messages.push_back(
                std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   Clock::now().time_since_epoch())
                                   .count() %
                               100000) +
                " " + r.error().message);
        }
        if (!r)
          std::this_thread::sleep_for(20ms);  // a client backing off
      }
    });

  const auto t0 = Clock::now();
  std::this_thread::sleep_for(3s);
  const int leader = cluster->leader();
  ASSERT_GE(leader, 0);
  const auto killLeader = Clock::now();
  cluster->kill(leader);
  std::cout << "[ failover ] killed leader m" << leader << " at "
            << std::chrono::duration_cast<std::chrono::milliseconds>(killLeader.time_since_epoch())
                       .count() %
                   100000
            << ", client on " << s->endpoint() << "\n";
  // Writes go on once a new leader is elected; a write that was in flight to the dead leader
  // through a follower fails with Timeout first, after the 5 s request deadline. On a loaded
  // machine (the tests run two at a time) the election and the retries may take longer: up to
  // 30 s is allowed, and the gap is reported.
  const bool resumedAfterLeader = waitForAck(load, killLeader + 1s, killLeader + 30s);
  EXPECT_TRUE(resumedAfterLeader) << "no write succeeded after the leader's re-election";
  std::this_thread::sleep_until(std::max(Clock::now(), killLeader + 8s));
  const auto restartLeader = Clock::now();
  ASSERT_TRUE(cluster->restart(leader));
  ASSERT_TRUE(cluster->waitHealthy(leader, 30));
  std::this_thread::sleep_for(2s);
  int follower = -1;
  const int leaderNow = cluster->leader();
  for (int i = 0; i < cluster->size(); ++i)
    if (i != leaderNow && cluster->running(i))
      follower = i;
  ASSERT_GE(follower, 0);
  const auto killFollower = Clock::now();
  cluster->kill(follower);
  // A write in flight to the killed member (when the client's endpoint was that one) fails with
  // Timeout after the request deadline; then the client fails over.
  const bool resumedAfterFollower = waitForAck(load, killFollower + 5500ms, killFollower + 30s);
  EXPECT_TRUE(resumedAfterFollower) << "no write succeeded after a follower was killed";
  std::this_thread::sleep_until(std::max(Clock::now(), killFollower + 8s));
  load.stop = true;
  for (auto& t : writers)
    t.join();
  const auto end = Clock::now();

  // Every acknowledged create is there.
  std::set<std::string> present;
  ListOptions lo;
  lo.limit = 5000;
  for (;;) {
    auto page = s->list("/registry/configmaps/failover/", lo);
    ASSERT_TRUE(page) << page.error().message;
    for (const auto& kv : page->items)
      present.insert(kv.key);
    if (!page->more)
      break;
    lo.startKey = page->items.back().key + std::string(1, '\0');
    lo.revision = page->revision;
  }
  std::size_t lost = 0;
  for (const auto& [t, k] : load.acked)
    if (present.count(k) == 0)
      ++lost;
  EXPECT_EQ(lost, 0u) << "acknowledged writes lost";

  const double before = static_cast<double>(ackedBetween(load, t0 + 500ms, killLeader)) /
                        secondsBetween(t0 + 500ms, killLeader);
  const double gapLeader = longestGap(load, killLeader, restartLeader);
  const double gapFollower = longestGap(load, killFollower, end);
  int errors = 0;
  for (const auto& [c, n] : load.errors)
    errors += n;
  std::cout << "[ failover ] 3 members, 4 writers: " << load.acked.size()
            << " acknowledged creates, " << lost << " lost, " << errors << " failed (Unreachable "
            << load.errors[ErrorCode::Unreachable] << ", Timeout "
            << load.errors[ErrorCode::Timeout] << ", KeyExists "
            << load.errors[ErrorCode::KeyExists] << ", Internal "
            << load.errors[ErrorCode::Internal] << ")\n"
            << "[ failover ] before: " << static_cast<int>(before)
            << " creates/s; leader killed: longest gap " << gapLeader
            << " s; follower killed: longest gap " << gapFollower << " s; " << present.size()
            << " keys present\n";
  for (const auto& m : load.messages)
    std::cout << "[ failover ]   " << m << "\n";
  RecordProperty("acknowledged", static_cast<int>(load.acked.size()));
  RecordProperty("lost", static_cast<int>(lost));
  RecordProperty("gap_after_leader_kill_ms", static_cast<int>(gapLeader * 1000));
  RecordProperty("gap_after_follower_kill_ms", static_cast<int>(gapFollower * 1000));
}

}  // namespace
}  // namespace apiserver::storage
