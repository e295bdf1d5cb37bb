// MemoryStorage specifics beyond the conformance suite: the bounded history.

#include "storage/memory/memory_storage.h"
#include "storage_test_util.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace apiserver::storage
