// MemoryStorage specifics beyond the conformance suite: the bounded history, and who delivers
// events when several threads write and watch.

#include "storage/memory/memory_storage.h"
#include "storage_test_util.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace apiserver::storage {
namespace {

using storagetest::Recorder;

TEST(MemoryStorage, AFreshStoreIsAtRevisionOne) {
  MemoryStorage s;
  auto r = s.currentRevision();
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 1);
  auto rev = s.create("/k", "v");
  ASSERT_TRUE(rev);
  EXPECT_EQ(*rev, 2);
}

TEST(MemoryStorage, HistoryLimitCompactsTheOldestEvents) {
  MemoryStorage s(3);
  std::vector<std::int64_t> revs;
  for (int i = 0; i < 6; ++i) {
    auto r = s.create("/p/k" + std::to_string(i), "v");
    ASSERT_TRUE(r);
    revs.push_back(*r);
  }
  // Three events are kept: the state after revs[2] can still be rebuilt, older ones cannot.
  EXPECT_TRUE(s.list("/p/", ListOptions{revs[2], {}, 0}));
  auto old = s.list("/p/", ListOptions{revs[1], {}, 0});
  ASSERT_FALSE(old);
  EXPECT_EQ(old.error().code, ErrorCode::Compacted);

  Recorder rec;
  auto bad = s.watch("/p/", revs[1], rec.callback());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::Compacted);

  auto ok = s.watch("/p/", revs[2], rec.callback());
  ASSERT_TRUE(ok);
  ASSERT_TRUE(rec.waitForCount(3));
  EXPECT_EQ(rec.events().front().revision, revs[3]);
}

TEST(MemoryStorage, HistoryLimitOfZeroKeepsOneEvent) {
  MemoryStorage s(0);
  auto a = s.create("/p/a", "v");
  auto b = s.create("/p/b", "v");
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(s.list("/p/", ListOptions{*a, {}, 0}));
  EXPECT_FALSE(s.list("/p/", ListOptions{*a - 1, {}, 0}));
}

TEST(MemoryStorage, ListAtAPastRevisionKeepsCreateRevision) {
  MemoryStorage s;
  auto a1 = s.create("/p/a", "a1");
  auto a2 = s.update("/p/a", "a2", *a1);
  auto b1 = s.create("/p/b", "b1");
  auto b2 = s.update("/p/b", "b2", *b1);
  ASSERT_TRUE(a1 && a2 && b1 && b2);
  const std::int64_t snapshot = *s.currentRevision();
  ASSERT_TRUE(s.remove("/p/a", 0));
  ASSERT_TRUE(s.remove("/p/b", 0));
  ASSERT_TRUE(s.create("/p/b", "b3"));
  auto r = s.list("/p/", ListOptions{snapshot, {}, 0});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->items.size(), 2u);
  EXPECT_EQ(r->items[0].createRevision, *a1);  // observed: a2's revision
  EXPECT_EQ(r->items[1].createRevision, *b1);  // observed: the re-create's revision
}

TEST(MemoryStorage, WatchFromAFutureRevisionSkipsEverythingUpToIt) {
  MemoryStorage s;
  const std::int64_t cur = *s.currentRevision();
  Recorder rec;
  auto w = s.watch("/p/", cur + 2, rec.callback());
  ASSERT_TRUE(w);
  ASSERT_TRUE(s.create("/p/a", "1"));
  ASSERT_TRUE(s.create("/p/b", "1"));
  auto r3 = s.create("/p/c", "1");
  ASSERT_TRUE(r3);
  ASSERT_TRUE(rec.waitForRevision(*r3));
  auto evs = rec.events();
  ASSERT_EQ(evs.size(), 1u);  // observed: 3
  EXPECT_EQ(evs[0].revision, *r3);
}

TEST(MemoryStorage, ACreateStampedWritesItsRevisionOverThePlaceholder) {
  MemoryStorage s;
  EXPECT_TRUE(s.stampsRevisions());
  Recorder rec;
  auto w = s.watch("/p/", *s.currentRevision(), rec.callback());
  ASSERT_TRUE(w);
  // The placeholder is longer than the revision's digits: the bytes after it move up.
  const std::string value = R"({"rv":"PLACEHOLDER","x":1})";
  auto written = s.createStamped("/p/a", value, RevisionStamp{7, 11});
  ASSERT_TRUE(written);
  const std::int64_t rev = written->revision;
  const std::string want = R"({"rv":")" + std::to_string(rev) + R"(","x":1})";
  auto got = s.get("/p/a");
  ASSERT_TRUE(got);
  EXPECT_EQ(*got->value, want);
  EXPECT_EQ(written->value.get(), got->value.get()) << "the write answers with the stored buffer";
  ASSERT_TRUE(rec.waitForRevision(rev));
  auto evs = rec.events();
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].value.get(), got->value.get()) << "watchers get the stored buffer itself";
  // An existing key is refused as by create; a stamp outside the value writes nothing.
  auto again = s.createStamped("/p/a", value, RevisionStamp{7, 11});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::KeyExists);
  const std::int64_t before = *s.currentRevision();
  for (const RevisionStamp bad : {RevisionStamp{7, 100}, RevisionStamp{100, 0}}) {
    auto r = s.createStamped("/p/b", value, bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::Internal);
  }
  EXPECT_EQ(*s.currentRevision(), before);
  EXPECT_FALSE(s.get("/p/b"));
}

TEST(MemoryStorage, EveryEventIsDeliveredByTheTimeTheWritesReturn) {
  // Writers that find another thread delivering leave their events to it, and that thread looks
  // for them again once it lets go. Delivery is synchronous: once every write has returned,
  // every event has been delivered, with no later write to carry a stranded one along.
  MemoryStorage s;
  Recorder rec;
  auto w = s.watch("/k/", 1, rec.callback());
  ASSERT_TRUE(w);
  constexpr int kRounds = 300, kThreads = 3, kWrites = 20;
  std::size_t total = 0;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::thread> writers;
    for (int t = 0; t < kThreads; ++t)
      writers.emplace_back([&s, round, t] {
        for (int i = 0; i < kWrites; ++i)
          ASSERT_TRUE(s.create(
              "/k/" + std::to_string(round) + "-" + std::to_string(t) + "-" + std::to_string(i),
              "v"));
      });
    for (auto& t : writers)
      t.join();
    total += kThreads * kWrites;
    ASSERT_EQ(rec.events().size(), total) << "round " << round;
  }
  (*w)->stop();
}

TEST(MemoryStorage, AWatchStartsAndStopsWhileAnotherThreadKeepsWriting) {
  // Writers leave their events to the thread delivering; a thread that starts or stops a watch
  // delivers what was left meanwhile. With a watcher slower than the writer, that thread must
  // still get back to its caller after a few deliveries, not when the writer stops.
  using namespace std::chrono_literals;
  MemoryStorage s;
  auto slow = s.watch("/k/", 1, [](WatchNotification&&) { std::this_thread::sleep_for(1ms); });
  ASSERT_TRUE(slow);
  std::atomic<bool> done{false};
  std::thread writer([&] {
    const auto until = std::chrono::steady_clock::now() + 10s;
    for (int i = 0; !done.load() && std::chrono::steady_clock::now() < until; ++i)
      ASSERT_TRUE(s.create("/k/" + std::to_string(i), "v"));
  });
  std::this_thread::sleep_for(
      20ms);  // the writer is going, its events queueing for the slow watcher
  const auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < 5; ++round) {
    auto w = s.watch("/other/", *s.currentRevision(), [](WatchNotification&&) {});
    ASSERT_TRUE(w);
    (*w)->stop();
  }
  const auto took = std::chrono::steady_clock::now() - start;
  done.store(true);
  writer.join();
  EXPECT_LT(took, 3s) << "starting and stopping five watches took "
                      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                      << " ms";
}

}  // namespace
}  // namespace apiserver::storage
