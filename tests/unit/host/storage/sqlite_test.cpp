// SqliteStorage: what is particular to the sqlite backend (persistence across reopen, the
// on-disk log, compaction of rows, group commit under concurrency). The behaviour every backend
// shares is the conformance suite's.

#include "backend_fixtures.h"
#include "storage/sqlite/sqlite_storage.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace apiserver::storage {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<SqliteStorage> openAt(const std::filesystem::path& dir) {
  SqliteOptions o;
  o.dataDir = dir;
  o.compactionInterval = std::chrono::milliseconds(0);
  auto s = SqliteStorage::open(o);
  EXPECT_TRUE(s) << (s ? "" : s.error().message);
  return s ? *s : nullptr;
}

// Collector gathers watch deliveries and lets a test wait for a number of events.
struct Collector {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Event> events;
  std::optional<Error> error;
  int concurrent = 0;
  bool overlapped = false;

  WatchCallback callback() {
    return [this](WatchNotification&& n) {
      std::unique_lock lock(mu);
      if (++concurrent > 1)
        overlapped = true;
      for (auto& e : n.events)
        events.push_back(std::move(e));
      if (n.error)
        error = n.error;
      --concurrent;
      cv.notify_all();
    };
  }
  bool waitFor(std::size_t n, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [&] { return events.size() >= n; });
  }
};

TEST(SqliteStorage, FreshStoreStartsAtRevisionOne) {
  storagetest::TempDir dir;
  auto s = openAt(dir.path());
  ASSERT_TRUE(s);
  EXPECT_EQ(*s->currentRevision(), 1);
  auto rev = s->create("/registry/pods/ns/a", "{}");
  ASSERT_TRUE(rev);
  EXPECT_EQ(*rev, 2);
  EXPECT_TRUE(s->writesWait());  // an fsync: writes go to the server's blocking pool
}

TEST(SqliteStorage, CrudAndPreconditions) {
  storagetest::TempDir dir;
  auto s = openAt(dir.path());
  ASSERT_TRUE(s);
  auto r1 = s->create("/registry/pods/ns/a", R"({"v":1})");
  ASSERT_TRUE(r1);
  EXPECT_EQ(s->create("/registry/pods/ns/a", "{}").error().code, ErrorCode::KeyExists);
  auto got = s->get("/registry/pods/ns/a");
  ASSERT_TRUE(got);
  EXPECT_EQ(*got->value, R"({"v":1})");
  EXPECT_EQ(got->createRevision, *r1);
  EXPECT_EQ(got->modRevision, *r1);

  auto bad = s->update("/registry/pods/ns/a", "{}", *r1 + 100);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::Conflict);
  EXPECT_EQ(bad.error().revision, *r1);
  auto r2 = s->update("/registry/pods/ns/a", R"({"v":2})", *r1);
  ASSERT_TRUE(r2);
  got = s->get("/registry/pods/ns/a");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->createRevision, *r1);
  EXPECT_EQ(got->modRevision, *r2);
  EXPECT_EQ(s->update("/registry/pods/ns/none", "{}", 1).error().code, ErrorCode::KeyNotFound);

  EXPECT_EQ(s->remove("/registry/pods/ns/a", *r1).error().code, ErrorCode::Conflict);
  auto del = s->remove("/registry/pods/ns/a", *r2);
  ASSERT_TRUE(del);
  EXPECT_EQ(*del->previous.value, R"({"v":2})");
  EXPECT_EQ(del->previous.modRevision, *r2);
  EXPECT_EQ(del->revision, *r2 + 1);
  EXPECT_EQ(s->get("/registry/pods/ns/a").error().code, ErrorCode::KeyNotFound);
  EXPECT_EQ(s->remove("/registry/pods/ns/a", 0).error().code, ErrorCode::KeyNotFound);
  // Re-created after a delete: a new life with a new create revision.
  auto r4 = s->create("/registry/pods/ns/a", "{}");
  ASSERT_TRUE(r4);
  EXPECT_EQ(s->get("/registry/pods/ns/a")->createRevision, *r4);
}

TEST(SqliteStorage, ListAtPastRevisionsAndPages) {
  storagetest::TempDir dir;
  auto s = openAt(dir.path());
  ASSERT_TRUE(s);
  std::vector<std::int64_t> revs;
  for (int i = 0; i < 5; ++i)
    revs.push_back(*s->create("/registry/cm/ns/k" + std::to_string(i), std::to_string(i)));
  (void)s->create("/registry/cmx/ns/other", "x");  // a sibling prefix is not listed
  (void)s->update("/registry/cm/ns/k1", "changed", revs[1]);
  (void)s->remove("/registry/cm/ns/k2", 0);

  auto now = s->list("/registry/cm/", {});
  ASSERT_TRUE(now);
  ASSERT_EQ(now->items.size(), 4u);
  EXPECT_EQ(*now->items[1].value, "changed");
  EXPECT_EQ(now->revision, *s->currentRevision());

  auto past = s->list("/registry/cm/", ListOptions{revs[4], "", 0});
  ASSERT_TRUE(past);
  ASSERT_EQ(past->items.size(), 5u);
  EXPECT_EQ(*past->items[1].value, "1");
  EXPECT_EQ(past->items[2].key, "/registry/cm/ns/k2");

  auto page = s->list("/registry/cm/", ListOptions{revs[4], "", 2});
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_TRUE(page->more);
  EXPECT_EQ(page->remaining, 3);
  auto page2 = s->list("/registry/cm/", ListOptions{revs[4], "/registry/cm/ns/k2", 2});
  ASSERT_TRUE(page2);
  ASSERT_EQ(page2->items.size(), 2u);
  EXPECT_EQ(page2->items[0].key, "/registry/cm/ns/k2");
  EXPECT_EQ(page2->remaining, 1);

  EXPECT_EQ(s->list("/registry/cm/", ListOptions{1000, "", 0}).error().code,
            ErrorCode::RevisionTooLarge);
}

TEST(SqliteStorage, CompactionRemovesSupersededRowsOnly) {
  storagetest::TempDir dir;
  auto s = openAt(dir.path());
  ASSERT_TRUE(s);
  auto a = *s->create("/r/a", "1");
  auto a2 = *s->update("/r/a", "2", a);
  (void)s->create("/r/b", "1");
  (void)s->remove("/r/b", 0);
  const auto mid = *s->currentRevision();
  (void)s->update("/r/a", "3", a2);
  ASSERT_TRUE(s->compact(mid));
  EXPECT_EQ(s->compactedRevision(), mid);
  EXPECT_EQ(s->compact(mid).error().code, ErrorCode::Compacted);
  EXPECT_EQ(s->compact(mid + 100).error().code, ErrorCode::RevisionTooLarge);

  EXPECT_EQ(s->list("/r/", ListOptions{mid - 1, "", 0}).error().code, ErrorCode::Compacted);
  auto at = s->list("/r/", ListOptions{mid, "", 0});
  ASSERT_TRUE(at);
  ASSERT_EQ(at->items.size(), 1u);
  EXPECT_EQ(*at->items[0].value, "2");
  EXPECT_EQ(at->items[0].createRevision, a);
  EXPECT_EQ(*s->get("/r/a")->value, "3");

  Collector c;
  EXPECT_EQ(s->watch("/r/", mid - 1, c.callback()).error().code, ErrorCode::Compacted);
  auto w = s->watch("/r/", mid, c.callback());
  ASSERT_TRUE(w);
  ASSERT_TRUE(c.waitFor(1));
  EXPECT_EQ(*c.events[0].value, "3");
  EXPECT_EQ(*c.events[0].previous, "2");
  EXPECT_EQ(c.events[0].previousRevision, a2);
}

TEST(SqliteStorage, SurvivesReopen) {
  storagetest::TempDir dir;
  std::int64_t last = 0;
  {
    auto s = openAt(dir.path());
    ASSERT_TRUE(s);
    for (int i = 0; i < 20; ++i)
      last = *s->create("/r/k" + std::to_string(i), "v");
    ASSERT_TRUE(s->compact(5));
    // The data directory is held by one process (and one storage) at a time.
    SqliteOptions o;
    o.dataDir = dir.path();
    auto second = SqliteStorage::open(o);
    ASSERT_FALSE(second);
    EXPECT_NE(second.error().message.find("in use"), std::string::npos) << second.error().message;
  }
  auto s = openAt(dir.path());
  ASSERT_TRUE(s);
  EXPECT_EQ(*s->currentRevision(), last);
  EXPECT_EQ(s->compactedRevision(), 5);
  EXPECT_EQ(s->list("/r/", {})->items.size(), 20u);
  EXPECT_EQ(*s->create("/r/new", "v"), last + 1);
  EXPECT_EQ(*s->integrityCheck(), "ok");
}

TEST(SqliteStorage, WatchReplaysThenFollowsInOrder) {
  storagetest::TempDir dir;
  auto s = openAt(dir.path());
  ASSERT_TRUE(s);
  const auto start = *s->currentRevision();
  for (int i = 0; i < 10; ++i)
    (void)s->create("/r/k" + std::to_string(i), "v");
  Collector c;
  auto w = s->watch("/r/", start, c.callback());
  ASSERT_TRUE(w);
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t)
    writers.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i)
        (void)s->create("/r/t" + std::to_string(t) + "-" + std::to_string(i), "v");
    });
  for (auto& t : writers)
    t.join();
  ASSERT_TRUE(c.waitFor(210));
  std::lock_guard lock(c.mu);
  ASSERT_EQ(c.events.size(), 210u);
  for (std::size_t i = 0; i < c.events.size(); ++i)
    EXPECT_EQ(c.events[i].revision, start + 1 + static_cast<std::int64_t>(i));
  EXPECT_FALSE(c.overlapped);
}

TEST(SqliteStorage, StopFromInsideCallbackAndAfterClose) {
  storagetest::TempDir dir;
  auto s = openAt(dir.path());
  ASSERT_TRUE(s);
  std::unique_ptr<Watch> w;
  std::atomic<int> calls{0};
  auto made = s->watch("/r/", *s->currentRevision(), [&](WatchNotification&&) {
    ++calls;
    w->stop();
  });
  ASSERT_TRUE(made);
  w = std::move(*made);
  (void)s->create("/r/a", "v");
  for (int i = 0; i < 100 && calls.load() == 0; ++i)
    std::this_thread::sleep_for(10ms);
  (void)s->create("/r/b", "v");
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(calls.load(), 1);
  // A watch handle may outlive its storage.
  auto w2 = s->watch("/r/", *s->currentRevision(), [](WatchNotification&&) {});
  ASSERT_TRUE(w2);
  s.reset();
  (*w2)->stop();
}

TEST(SqliteStorage, GroupCommitKeepsEveryConcurrentWrite) {
  storagetest::TempDir dir;
  auto s = openAt(dir.path());
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->create("/r/counter", "0"));
  constexpr int kThreads = 8;
  constexpr int kIncrements = 25;
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < kIncrements;) {
        auto cur = s->get("/r/counter");
        ASSERT_TRUE(cur);
        auto next = std::to_string(std::stoi(*cur->value) + 1);
        auto r = s->update("/r/counter", next, cur->modRevision);
        if (r) {
          ++i;
        } else {
          ASSERT_EQ(r.error().code, ErrorCode::Conflict);
        }
      }
    });
  for (auto& t : ts)
    t.join();
  EXPECT_EQ(*s->get("/r/counter")->value, std::to_string(kThreads * kIncrements));
}

TEST(SqliteStorage, LargeValues) {
  storagetest::TempDir dir;
  auto s = openAt(dir.path());
  ASSERT_TRUE(s);
  std::string big(1 << 20, 'x');
  big[12345] = '\0';
  ASSERT_TRUE(s->create("/r/big", big));
  EXPECT_EQ(*s->get("/r/big")->value, big);
  EXPECT_EQ(*s->list("/r/", {})->items.at(0).value, big);
}

}  // namespace
}  // namespace apiserver::storage
