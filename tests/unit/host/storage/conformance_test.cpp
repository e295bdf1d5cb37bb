// The storage::Interface conformance suite: every backend must pass every test here.
//
// To add a backend (sqlite, etcd3), add one line to backends() below. The tests only rely on the
// contract in storage/interface.h: revisions are compared relative to ones the backend returned,
// and every test works under its own key prefix, so a shared etcd cluster works too.

#include "backend_fixtures.h"
#include "storage/encryption/encrypted_storage.h"
#include "storage/interface.h"
#include "storage/memory/memory_storage.h"
#include "storage_test_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace apiserver::storage {
namespace {

using storagetest::codeName;
using storagetest::kWaitLimit;
using storagetest::Recorder;
using storagetest::str;

// ---------------------------------------------------------------- the backends under test

struct Backend {
  std::string name;
  std::function<InterfacePtr()> make;
};

// gtest prints a parameter in failure messages; name it instead of dumping its bytes.
void PrintTo(const Backend& b, std::ostream* os) {
  *os << b.name;
}

// encrypted wraps a backend in the encryption-at-rest decorator for every key the suite uses,
// with one of kube's providers: encryption must be invisible above the storage interface.
InterfacePtr encrypted(InterfacePtr inner, const char* provider) {
  if (!inner) return inner;
  const std::string key(32, '\x42');
  const std::string p(provider);
  auto t = p == "aescbc"   ? encryption::makeAesCbc(key)
           : p == "aesgcm" ? encryption::makeAesGcm(key)
                           : encryption::makeSecretbox(key);
  auto chain = std::make_shared<encryption::PrefixTransformers>(
      std::vector<encryption::PrefixTransformers::Entry>{{"k8s:enc:" + p + ":v1:k:", t}});
  return std::make_shared<encryption::EncryptedStorage>(
      inner, std::vector<encryption::PrefixRule>{{"/conformance/", chain}});
}

// The one list of backends the suite runs against.
std::vector<Backend> backends() {
  return {
      {"memory", [] { return std::make_shared<MemoryStorage>(); }},
      {"sqlite", [] { return storagetest::makeSqliteForTest(); }},
      {"etcd3", [] { return storagetest::makeEtcdForTest(); }},
      {"memory_aesgcm", [] { return encrypted(std::make_shared<MemoryStorage>(), "aesgcm"); }},
      {"sqlite_aescbc", [] { return encrypted(storagetest::makeSqliteForTest(), "aescbc"); }},
      {"etcd3_secretbox", [] { return encrypted(storagetest::makeEtcdForTest(), "secretbox"); }},
  };
}

// ---------------------------------------------------------------- helpers

template <class T>
::testing::AssertionResult failsWith(const Result<T>& r, ErrorCode code) {
  if (r)
    return ::testing::AssertionFailure() << "succeeded, expected " << codeName(code);
  if (r.error().code != code)
    return ::testing::AssertionFailure() << "failed with " << codeName(r.error().code) << " ("
                                         << r.error().message << "), expected " << codeName(code);
  return ::testing::AssertionSuccess();
}

std::vector<std::string> keysOf(const std::vector<KeyValue>& items) {
  std::vector<std::string> out;
  for (const auto& kv : items)
    out.push_back(kv.key);
  return out;
}

class StorageConformance : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    store_ = GetParam().make();
    if (IsSkipped())
      return;  // the backend is not installed here (etcd3 without /usr/bin/etcd)
    ASSERT_TRUE(store_);
    std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(test.begin(), test.end(), '/', '_');
    prefix_ = "/conformance/" + test + "/";
  }

  std::string key(std::string_view name) const { return prefix_ + std::string(name); }

  std::int64_t mustCreate(std::string_view name, std::string value) {
    auto r = store_->create(key(name), std::move(value));
    EXPECT_TRUE(r) << "create " << name << ": " << (r ? "" : r.error().message);
    return r ? *r : 0;
  }
  std::int64_t mustUpdate(std::string_view name, std::string value) {
    auto cur = store_->get(key(name));
    EXPECT_TRUE(cur) << "get " << name;
    if (!cur)
      return 0;
    auto r = store_->update(key(name), std::move(value), cur->modRevision);
    EXPECT_TRUE(r) << "update " << name << ": " << (r ? "" : r.error().message);
    return r ? *r : 0;
  }
  std::int64_t mustRemove(std::string_view name) {
    auto r = store_->remove(key(name), 0);
    EXPECT_TRUE(r) << "remove " << name << ": " << (r ? "" : r.error().message);
    return r ? r->revision : 0;
  }
  std::int64_t current() {
    auto r = store_->currentRevision();
    EXPECT_TRUE(r);
    return r ? *r : 0;
  }
  // Every item under the prefix at `revision` (0: latest), read in pages of `pageSize`.
  std::vector<KeyValue> listAll(std::int64_t revision, std::int64_t pageSize,
                                std::int64_t* listedAt = nullptr) {
    std::vector<KeyValue> out;
    ListOptions opts;
    opts.revision = revision;
    opts.limit = pageSize;
    for (int pages = 0; pages < 10000; ++pages) {
      auto r = store_->list(prefix_, opts);
      EXPECT_TRUE(r) << (r ? "" : r.error().message);
      if (!r)
        return out;
      if (listedAt != nullptr && pages == 0)
        *listedAt = r->revision;
      for (auto& kv : r->items)
        out.push_back(kv);
      if (!r->more)
        return out;
      EXPECT_FALSE(r->items.empty());
      if (r->items.empty())
        return out;
      opts.startKey = r->items.back().key + std::string(1, '\0');
      opts.revision = r->revision;
    }
    ADD_FAILURE() << "list did not end";
    return out;
  }

  InterfacePtr store_;
  std::string prefix_;
};

// ---------------------------------------------------------------- create / get

TEST_P(StorageConformance, CreateThenGet) {
  const std::int64_t before = current();
  const std::int64_t rev = mustCreate("a", "value-a");
  EXPECT_GT(rev, before);
  EXPECT_EQ(current(), rev);

  auto got = store_->get(key("a"));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->key, key("a"));
  EXPECT_EQ(str(got->value), "value-a");
  EXPECT_EQ(got->createRevision, rev);
  EXPECT_EQ(got->modRevision, rev);
}

TEST_P(StorageConformance, CreateOfExistingKeyFailsWithKeyExists) {
  mustCreate("a", "first");
  const std::int64_t rev = current();
  auto again = store_->create(key("a"), "second");
  ASSERT_TRUE(failsWith(again, ErrorCode::KeyExists));
  EXPECT_EQ(again.error().key, key("a"));
  EXPECT_EQ(current(), rev) << "a failed write must not use a revision";
  auto got = store_->get(key("a"));
  ASSERT_TRUE(got);
  EXPECT_EQ(str(got->value), "first");
}

TEST_P(StorageConformance, CreateAsyncAnswersEachCreateOnceWithItsRevision) {
  // Several at once, one of them of a key that exists: each is answered exactly once, a new key
  // with the revision its value is stored at, the existing one with KeyExists.
  mustCreate("taken", "first");
  struct Answers {
    std::mutex mu;
    std::condition_variable cv;
    std::map<std::string, std::vector<Result<std::int64_t>>> byName;
    std::size_t count = 0;
  };
  auto answers = std::make_shared<Answers>();
  const std::vector<std::string> names{"n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7", "taken"};
  for (const auto& name : names)
    store_->createAsync(key(name), "v-" + name, [answers, name](Result<std::int64_t> r) {
      std::lock_guard lock(answers->mu);
      answers->byName[name].push_back(std::move(r));
      ++answers->count;
      answers->cv.notify_all();
    });
  std::unique_lock lock(answers->mu);
  ASSERT_TRUE(answers->cv.wait_for(lock, std::chrono::seconds(20),
                                   [&] { return answers->count >= names.size(); }));
  for (const auto& name : names) {
    ASSERT_EQ(answers->byName[name].size(), 1u) << name;
    const auto& r = answers->byName[name].front();
    if (name == "taken") {
      EXPECT_TRUE(failsWith(r, ErrorCode::KeyExists));
      continue;
    }
    ASSERT_TRUE(r) << name << ": " << r.error().message;
    auto got = store_->get(key(name));
    ASSERT_TRUE(got) << name;
    EXPECT_EQ(got->modRevision, *r) << name;
    EXPECT_EQ(str(got->value), "v-" + name);
  }
  auto taken = store_->get(key("taken"));
  ASSERT_TRUE(taken);
  EXPECT_EQ(str(taken->value), "first");
}

TEST_P(StorageConformance, GetOfMissingKeyFailsWithKeyNotFound) {
  auto got = store_->get(key("nope"));
  ASSERT_TRUE(failsWith(got, ErrorCode::KeyNotFound));
  EXPECT_EQ(got.error().key, key("nope"));
}

TEST_P(StorageConformance, EmptyValueIsKept) {
  mustCreate("empty", "");
  auto got = store_->get(key("empty"));
  ASSERT_TRUE(got);
  ASSERT_TRUE(got->value);
  EXPECT_EQ(*got->value, "");
}

TEST_P(StorageConformance, RevisionsIncreaseWithEveryWrite) {
  std::int64_t last = current();
  auto check = [&](std::int64_t rev, const char* what) {
    EXPECT_GT(rev, last) << what;
    EXPECT_EQ(current(), rev) << what;
    last = rev;
  };
  check(mustCreate("a", "1"), "create");
  check(mustUpdate("a", "2"), "update");
  check(mustCreate("b", "1"), "create b");
  check(mustRemove("a"), "remove");
}

// ---------------------------------------------------------------- update (compare-and-swap)

TEST_P(StorageConformance, UpdateWithTheCurrentRevisionReplacesTheValue) {
  const std::int64_t created = mustCreate("a", "v1");
  auto rev = store_->update(key("a"), "v2", created);
  ASSERT_TRUE(rev);
  EXPECT_GT(*rev, created);
  auto got = store_->get(key("a"));
  ASSERT_TRUE(got);
  EXPECT_EQ(str(got->value), "v2");
  EXPECT_EQ(got->modRevision, *rev);
  EXPECT_EQ(got->createRevision, created) << "an update keeps the create revision";
}

TEST_P(StorageConformance, UpdateWithAStaleRevisionConflictsAndCarriesTheCurrentOne) {
  const std::int64_t created = mustCreate("a", "v1");
  const std::int64_t updated = mustUpdate("a", "v2");
  const std::int64_t before = current();

  auto stale = store_->update(key("a"), "v3", created);
  ASSERT_TRUE(failsWith(stale, ErrorCode::Conflict));
  EXPECT_EQ(stale.error().revision, updated) << "Conflict carries the key's current mod revision";
  EXPECT_EQ(stale.error().key, key("a"));
  EXPECT_EQ(current(), before);
  auto got = store_->get(key("a"));
  ASSERT_TRUE(got);
  EXPECT_EQ(str(got->value), "v2");
}

TEST_P(StorageConformance, UpdateOfMissingKeyFailsWithKeyNotFound) {
  EXPECT_TRUE(failsWith(store_->update(key("nope"), "v", 1), ErrorCode::KeyNotFound));
  // Also after the key existed once.
  mustCreate("gone", "v");
  const std::int64_t removed = mustRemove("gone");
  EXPECT_TRUE(failsWith(store_->update(key("gone"), "v", removed), ErrorCode::KeyNotFound));
}

// ---------------------------------------------------------------- remove

TEST_P(StorageConformance, RemoveReturnsThePreviousValueAndTheDeletionRevision) {
  const std::int64_t created = mustCreate("a", "v1");
  const std::int64_t updated = mustUpdate("a", "v2");
  auto removed = store_->remove(key("a"), 0);
  ASSERT_TRUE(removed);
  EXPECT_GT(removed->revision, updated);
  EXPECT_EQ(current(), removed->revision);
  EXPECT_EQ(removed->previous.key, key("a"));
  EXPECT_EQ(str(removed->previous.value), "v2");
  EXPECT_EQ(removed->previous.createRevision, created);
  EXPECT_EQ(removed->previous.modRevision, updated);
  EXPECT_TRUE(failsWith(store_->get(key("a")), ErrorCode::KeyNotFound));
  EXPECT_TRUE(failsWith(store_->remove(key("a"), 0), ErrorCode::KeyNotFound));
}

TEST_P(StorageConformance, RemoveWithExpectedRevision) {
  const std::int64_t created = mustCreate("a", "v1");
  const std::int64_t updated = mustUpdate("a", "v2");

  auto stale = store_->remove(key("a"), created);
  ASSERT_TRUE(failsWith(stale, ErrorCode::Conflict));
  EXPECT_EQ(stale.error().revision, updated);
  ASSERT_TRUE(store_->get(key("a"))) << "a conflicting remove must not delete";

  auto ok = store_->remove(key("a"), updated);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->previous.modRevision, updated);
  EXPECT_TRUE(failsWith(store_->get(key("a")), ErrorCode::KeyNotFound));
}

TEST_P(StorageConformance, RecreateAfterRemoveStartsANewLife) {
  mustCreate("a", "v1");
  mustRemove("a");
  const std::int64_t again = mustCreate("a", "v2");
  auto got = store_->get(key("a"));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->createRevision, again);
  EXPECT_EQ(str(got->value), "v2");
}

// ---------------------------------------------------------------- list

TEST_P(StorageConformance, ListReturnsTheKeysUnderThePrefixInKeyOrder) {
  for (const char* n : {"d", "b", "a", "c", "b/x", "b0"})
    mustCreate(n, std::string("v-") + n);
  // Neighbours that share a textual prefix but are outside the prefix.
  ASSERT_TRUE(store_->create(prefix_.substr(0, prefix_.size() - 1), "parent"));
  ASSERT_TRUE(store_->create(prefix_.substr(0, prefix_.size() - 1) + "x/a", "sibling"));
  ASSERT_TRUE(store_->create(prefix_.substr(0, prefix_.size() - 1) + "0", "sibling2"));

  auto r = store_->list(prefix_, ListOptions{});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(keysOf(r->items), (std::vector<std::string>{key("a"), key("b"), key("b/x"), key("b0"),
                                                        key("c"), key("d")}));
  EXPECT_EQ(r->revision, current());
  EXPECT_FALSE(r->more);
  for (const auto& kv : r->items) {
    EXPECT_EQ(str(kv.value), "v-" + kv.key.substr(prefix_.size()));
    EXPECT_GT(kv.modRevision, 0);
    EXPECT_EQ(kv.createRevision, kv.modRevision);
  }
}

TEST_P(StorageConformance, ListOfAnEmptyPrefix) {
  auto r = store_->list(prefix_, ListOptions{});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->items.empty());
  EXPECT_FALSE(r->more);
  EXPECT_EQ(r->remaining, 0);
  EXPECT_EQ(r->revision, current());
}

TEST_P(StorageConformance, ListPagesWithLimitStartKeyMoreAndRemaining) {
  for (const char* n : {"a", "b", "c", "d", "e"})
    mustCreate(n, n);

  struct Case {
    std::string name;
    std::string startKey;  // relative to the prefix; "" = from the start
    std::int64_t limit;
    std::vector<std::string> want;
    bool more;
    std::int64_t remaining;  // checked when more
  };
  const std::vector<Case> cases = {
      {"first page", "", 2, {"a", "b"}, true, 3},
      {"middle page", "c", 2, {"c", "d"}, true, 1},
      {"last page exactly", "d", 2, {"d", "e"}, false, 0},
      {"last page short", "e", 2, {"e"}, false, 0},
      {"start between keys", "bb", 1, {"c"}, true, 2},
      {"start past the end", "z", 2, {}, false, 0},
      {"no limit", "b", 0, {"b", "c", "d", "e"}, false, 0},
      {"limit larger than the rest", "", 10, {"a", "b", "c", "d", "e"}, false, 0},
      {"limit one", "", 1, {"a"}, true, 4},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ListOptions opts;
    opts.limit = c.limit;
    if (!c.startKey.empty())
      opts.startKey = key(c.startKey);
    auto r = store_->list(prefix_, opts);
    ASSERT_TRUE(r) << r.error().message;
    std::vector<std::string> want;
    for (const auto& w : c.want)
      want.push_back(key(w));
    EXPECT_EQ(keysOf(r->items), want);
    EXPECT_EQ(r->more, c.more);
    if (c.more) {
      EXPECT_EQ(r->remaining, c.remaining);
    }
  }
}

TEST_P(StorageConformance, ListAtAPastRevisionShowsThatState) {
  const std::int64_t aCreated = mustCreate("a", "a1");
  const std::int64_t bCreated = mustCreate("b", "b1");
  const std::int64_t cCreated = mustCreate("c", "c1");
  const std::int64_t snapshot = current();

  mustUpdate("a", "a2");
  mustRemove("b");
  mustCreate("d", "d1");
  mustUpdate("c", "c2");

  auto r = store_->list(prefix_, ListOptions{snapshot, {}, 0});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->revision, snapshot);
  ASSERT_EQ(keysOf(r->items), (std::vector<std::string>{key("a"), key("b"), key("c")}));
  EXPECT_EQ(str(r->items[0].value), "a1");
  EXPECT_EQ(r->items[0].modRevision, aCreated);
  EXPECT_EQ(r->items[0].createRevision, aCreated);
  EXPECT_EQ(str(r->items[1].value), "b1");
  EXPECT_EQ(r->items[1].modRevision, bCreated);
  EXPECT_EQ(r->items[1].createRevision, bCreated);
  EXPECT_EQ(str(r->items[2].value), "c1");
  EXPECT_EQ(r->items[2].modRevision, cCreated);

  // Paged at the same revision.
  std::int64_t listedAt = 0;
  auto paged = listAll(snapshot, 1, &listedAt);
  EXPECT_EQ(listedAt, snapshot);
  EXPECT_EQ(keysOf(paged), (std::vector<std::string>{key("a"), key("b"), key("c")}));

  // The state just before anything existed.
  auto empty = store_->list(prefix_, ListOptions{aCreated - 1, {}, 0});
  ASSERT_TRUE(empty) << empty.error().message;
  EXPECT_TRUE(empty->items.empty());
}

TEST_P(StorageConformance, ListAtAPastRevisionKeepsCreateRevisionOfKeysChangedLater) {
  const std::int64_t aCreated = mustCreate("a", "a1");
  mustUpdate("a", "a2");  // modRevision != createRevision from here on
  const std::int64_t bCreated = mustCreate("b", "b1");
  mustUpdate("b", "b2");
  const std::int64_t snapshot = current();

  mustRemove("a");                                    // gone now
  mustRemove("b");                                    // deleted ...
  const std::int64_t bAgain = mustCreate("b", "b3");  // ... and re-created
  ASSERT_GT(bAgain, bCreated);

  auto r = store_->list(prefix_, ListOptions{snapshot, {}, 0});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->items.size(), 2u);
  EXPECT_EQ(str(r->items[0].value), "a2");
  EXPECT_EQ(r->items[0].createRevision, aCreated);
  EXPECT_EQ(str(r->items[1].value), "b2");
  EXPECT_EQ(r->items[1].createRevision, bCreated);
}

TEST_P(StorageConformance, ListAtAFixedRevisionIsAConsistentSnapshotWhileWritesContinue) {
  constexpr int kKeys = 12;
  constexpr int kRounds = 30;
  constexpr int kWritesPerRound = 20;
  for (int i = 0; i < kKeys; ++i)
    mustCreate("k" + std::to_string(10 + i), "0");

  // The writer runs in bursts the reader releases, so every read overlaps writes (and the writes
  // stay far below any backend's history limit).
  std::atomic<bool> done{false};
  std::atomic<int> allowed{0};
  std::atomic<int> writes{0};
  std::thread writer([&] {
    int n = 0;
    while (!done.load()) {
      if (n >= allowed.load()) {
        std::this_thread::yield();
        continue;
      }
      const std::string k = key("k" + std::to_string(10 + n % kKeys));
      auto cur = store_->get(k);
      if (cur) {
        if (n % 7 == 3) {
          (void)store_->remove(k, cur->modRevision);
        } else {
          (void)store_->update(k, std::to_string(n), cur->modRevision);
        }
      } else {
        (void)store_->create(k, std::to_string(n));
      }
      writes.store(++n);
    }
  });
  struct Joiner {
    std::atomic<bool>& done;
    std::thread& t;
    ~Joiner() {
      done.store(true);
      t.join();
    }
  } joiner{done, writer};

  std::int64_t snapshotRev = 0;
  const auto reference = listAll(0, 0, &snapshotRev);
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    allowed.fetch_add(kWritesPerRound);
    std::int64_t at = 0;
    auto paged = listAll(snapshotRev, 1 + round % 4, &at);
    EXPECT_EQ(at, snapshotRev);
    ASSERT_EQ(keysOf(paged), keysOf(reference));
    for (std::size_t i = 0; i < paged.size(); ++i) {
      EXPECT_EQ(str(paged[i].value), str(reference[i].value)) << paged[i].key;
      EXPECT_EQ(paged[i].modRevision, reference[i].modRevision) << paged[i].key;
    }
    const auto until = std::chrono::steady_clock::now() + kWaitLimit;
    while (writes.load() < allowed.load() && std::chrono::steady_clock::now() < until)
      std::this_thread::yield();
    ASSERT_EQ(writes.load(), allowed.load()) << "the writer is stuck";
  }
  EXPECT_GT(current(), snapshotRev + kRounds * kWritesPerRound / 2);
}

TEST_P(StorageConformance, ListOfAFutureRevisionFailsWithRevisionTooLarge) {
  mustCreate("a", "v");
  const std::int64_t cur = current();
  auto r = store_->list(prefix_, ListOptions{cur + 1, {}, 0});
  ASSERT_TRUE(failsWith(r, ErrorCode::RevisionTooLarge));
  EXPECT_EQ(r.error().revision, cur) << "RevisionTooLarge carries the current revision";
  EXPECT_TRUE(failsWith(store_->list(prefix_, ListOptions{cur + 1000, {}, 0}),
                        ErrorCode::RevisionTooLarge));
}

// ---------------------------------------------------------------- compaction

TEST_P(StorageConformance, CompactedRevisionsCannotBeListedOrWatched) {
  std::vector<std::int64_t> revs;
  for (int i = 0; i < 5; ++i)
    revs.push_back(mustCreate("k" + std::to_string(i), "v"));
  ASSERT_TRUE(store_->compact(revs[2])) << "compact";

  auto old = store_->list(prefix_, ListOptions{revs[1], {}, 0});
  ASSERT_TRUE(failsWith(old, ErrorCode::Compacted));
  EXPECT_GT(old.error().revision, revs[1]) << "Compacted carries the oldest revision kept";
  EXPECT_FALSE(old.error().message.empty());

  // The compaction revision itself is still readable (etcd semantics).
  auto at = store_->list(prefix_, ListOptions{revs[2], {}, 0});
  ASSERT_TRUE(at) << at.error().message;
  EXPECT_EQ(at->items.size(), 3u);

  Recorder tooOld;
  EXPECT_TRUE(failsWith(store_->watch(prefix_, revs[1], tooOld.callback()), ErrorCode::Compacted));
  EXPECT_TRUE(tooOld.events().empty());

  Recorder ok;
  auto w = store_->watch(prefix_, revs[2], ok.callback());
  ASSERT_TRUE(w) << w.error().message;
  ASSERT_TRUE(ok.waitForCount(2));
  auto evs = ok.events();
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0].revision, revs[3]);
  EXPECT_EQ(evs[1].revision, revs[4]);
}

TEST_P(StorageConformance, CompactRefusesTheFuture) {
  mustCreate("a", "v");
  EXPECT_TRUE(failsWith(store_->compact(current() + 1), ErrorCode::RevisionTooLarge));
}

// ---------------------------------------------------------------- watch

TEST_P(StorageConformance, WatchDeliversEveryChangeWithItsValues) {
  const std::int64_t start = current();
  Recorder rec;
  auto w = store_->watch(prefix_, start, rec.callback());
  ASSERT_TRUE(w) << w.error().message;

  const std::int64_t c = mustCreate("a", "v1");
  const std::int64_t u = mustUpdate("a", "v2");
  const std::int64_t d = mustRemove("a");
  ASSERT_TRUE(rec.waitForCount(3));
  auto evs = rec.events();
  ASSERT_EQ(evs.size(), 3u);

  EXPECT_EQ(evs[0].type, EventType::Put);
  EXPECT_EQ(evs[0].key, key("a"));
  EXPECT_EQ(evs[0].revision, c);
  EXPECT_EQ(evs[0].createRevision, c);
  EXPECT_EQ(str(evs[0].value), "v1");
  EXPECT_FALSE(evs[0].previous) << "a create has no previous value";

  EXPECT_EQ(evs[1].type, EventType::Put);
  EXPECT_EQ(evs[1].revision, u);
  EXPECT_EQ(evs[1].createRevision, c);
  EXPECT_EQ(str(evs[1].value), "v2");
  EXPECT_EQ(str(evs[1].previous), "v1");
  EXPECT_EQ(evs[1].previousRevision, c);

  EXPECT_EQ(evs[2].type, EventType::Delete);
  EXPECT_EQ(evs[2].revision, d);
  EXPECT_FALSE(evs[2].value) << "a delete has no new value";
  EXPECT_EQ(str(evs[2].previous), "v2");
  EXPECT_EQ(evs[2].previousRevision, u);
  EXPECT_FALSE(rec.error());
}

TEST_P(StorageConformance, WatchSeesOnlyItsPrefix) {
  Recorder rec;
  auto w = store_->watch(prefix_ + "in/", current(), rec.callback());
  ASSERT_TRUE(w);
  mustCreate("out", "x");
  mustCreate("in", "x");  // the prefix without its slash is not under it
  const std::int64_t r = mustCreate("in/a", "x");
  mustCreate("inx/a", "x");
  ASSERT_TRUE(rec.waitForRevision(r));
  // One more write under the prefix makes sure nothing else was queued in between.
  const std::int64_t r2 = mustCreate("in/b", "x");
  ASSERT_TRUE(rec.waitForRevision(r2));
  auto evs = rec.events();
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0].key, key("in/a"));
  EXPECT_EQ(evs[1].key, key("in/b"));
}

TEST_P(StorageConformance, WatchFromAPastRevisionReplaysThenFollows) {
  const std::int64_t r1 = mustCreate("a", "1");
  const std::int64_t r2 = mustCreate("b", "1");
  const std::int64_t r3 = mustUpdate("a", "2");
  Recorder rec;
  auto w = store_->watch(prefix_, r1, rec.callback());
  ASSERT_TRUE(w) << w.error().message;
  const std::int64_t r4 = mustRemove("b");
  ASSERT_TRUE(rec.waitForRevision(r4));
  auto evs = rec.events();
  std::vector<std::int64_t> got;
  for (const auto& e : evs)
    got.push_back(e.revision);
  EXPECT_EQ(got, (std::vector<std::int64_t>{r2, r3, r4}));
}

TEST_P(StorageConformance, WatchFromTheCurrentRevisionSeesOnlyNewChanges) {
  mustCreate("a", "1");
  Recorder rec;
  auto w = store_->watch(prefix_, current(), rec.callback());
  ASSERT_TRUE(w);
  const std::int64_t r = mustCreate("b", "1");
  ASSERT_TRUE(rec.waitForRevision(r));
  auto evs = rec.events();
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].key, key("b"));
}

TEST_P(StorageConformance, WatchFromAFutureRevisionSkipsEverythingUpToIt) {
  const std::int64_t cur = current();
  Recorder rec;
  auto w = store_->watch(prefix_, cur + 2, rec.callback());
  ASSERT_TRUE(w) << w.error().message;
  mustCreate("a", "1");
  mustCreate("b", "1");
  const std::int64_t r3 = mustCreate("c", "1");
  ASSERT_TRUE(rec.waitForRevision(r3));
  auto evs = rec.events();
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].revision, r3);
}

TEST_P(StorageConformance, WatchDeliversInOrderExactlyOnceWhileRegisteringUnderLoad) {
  constexpr int kWriters = 4;
  constexpr int kWritesEach = 250;
  constexpr int kWatchers = 24;
  const std::int64_t start = current();

  std::vector<std::vector<std::int64_t>> written(kWriters);
  std::atomic<int> writersDone{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; ++t) {
    writers.emplace_back([&, t] {
      const std::string k = key("w" + std::to_string(t));
      std::int64_t mod = 0;
      for (int i = 0; i < kWritesEach; ++i) {
        Result<std::int64_t> r =
            i == 0 ? store_->create(k, "0") : store_->update(k, std::to_string(i), mod);
        if (!r) {
          ADD_FAILURE() << "write failed: " << r.error().message;
          break;
        }
        mod = *r;
        written[t].push_back(*r);
      }
      writersDone.fetch_add(1);
    });
  }

  struct Watching {
    std::int64_t after = 0;
    std::unique_ptr<Recorder> rec;
    std::unique_ptr<Watch> watch;
  };
  std::vector<Watching> watching;
  for (int i = 0; i < kWatchers; ++i) {
    // Spread over the run: some from the start (replay), most from "now" (racing the writers),
    // some a little behind now (replay + live at once).
    std::int64_t after = current();
    if (i % 4 == 0)
      after = start;
    if (i % 4 == 1)
      after = std::max(start, after - 7);
    Watching wg;
    wg.after = after;
    wg.rec = std::make_unique<Recorder>();
    auto w = store_->watch(prefix_, after, wg.rec->callback());
    ASSERT_TRUE(w) << w.error().message;
    wg.watch = std::move(*w);
    watching.push_back(std::move(wg));
    if (i % 3 == 0)
      std::this_thread::yield();
  }
  for (auto& t : writers)
    t.join();
  ASSERT_EQ(writersDone.load(), kWriters);

  std::vector<std::int64_t> all;
  for (const auto& w : written)
    all.insert(all.end(), w.begin(), w.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "two writes got one revision";
  ASSERT_EQ(all.size(), static_cast<std::size_t>(kWriters * kWritesEach));

  for (std::size_t i = 0; i < watching.size(); ++i) {
    SCOPED_TRACE("watcher " + std::to_string(i) + " from " + std::to_string(watching[i].after));
    std::vector<std::int64_t> want;
    for (auto r : all)
      if (r > watching[i].after)
        want.push_back(r);
    if (!want.empty()) {
      ASSERT_TRUE(watching[i].rec->waitForRevision(want.back()));
    }
    std::vector<std::int64_t> got;
    for (const auto& e : watching[i].rec->events())
      got.push_back(e.revision);
    EXPECT_EQ(got, want);
    EXPECT_FALSE(watching[i].rec->overlapping()) << "two deliveries ran at once";
    EXPECT_FALSE(watching[i].rec->progressViolation()) << "an event came after progress covered it";
    EXPECT_FALSE(watching[i].rec->error());
  }
  for (auto& w : watching)
    w.watch->stop();
}

TEST_P(StorageConformance, AQuietWatchLearnsTheStoreRevisionFromProgress) {
  Recorder rec;
  auto w = store_->watch(prefix_ + "quiet/", current(), rec.callback());
  ASSERT_TRUE(w) << w.error().message;
  const std::int64_t elsewhere = mustCreate("loud", "x");  // not under the watched prefix
  store_->requestProgress();
  ASSERT_TRUE(rec.waitForProgress(elsewhere)) << "progress " << rec.progress();
  EXPECT_TRUE(rec.events().empty());
  // And progress never overtakes an event of the prefix.
  const std::int64_t inside = mustCreate("quiet/a", "x");
  store_->requestProgress();
  ASSERT_TRUE(rec.waitForRevision(inside));
  EXPECT_FALSE(rec.progressViolation());
}

TEST_P(StorageConformance, NoCallbackRunsAfterStopReturns) {
  std::atomic<bool> done{false};
  std::thread writer([&] {
    const std::string k = key("hot");
    std::int64_t mod = 0;
    for (int i = 0; !done.load() && i < 200000; ++i) {
      auto r = i == 0 ? store_->create(k, "0") : store_->update(k, std::to_string(i), mod);
      if (!r) {
        ADD_FAILURE() << r.error().message;
        return;
      }
      mod = *r;
    }
  });

  struct State {
    std::atomic<bool> stopped{false};
    std::atomic<int> calls{0};
    std::atomic<int> afterStop{0};
  };
  for (int round = 0; round < 20; ++round) {
    auto st = std::make_shared<State>();
    auto w = store_->watch(prefix_, current(), [st](WatchNotification&&) {
      if (st->stopped.load())
        st->afterStop.fetch_add(1);
      st->calls.fetch_add(1);
    });
    ASSERT_TRUE(w) << w.error().message;
    // Let it receive something (bounded), then stop it while the writer keeps going.
    const auto until = std::chrono::steady_clock::now() + kWaitLimit;
    while (st->calls.load() == 0 && std::chrono::steady_clock::now() < until)
      std::this_thread::yield();
    (*w)->stop();
    st->stopped.store(true);
    (*w)->stop();  // idempotent
    w->reset();    // and destroying a stopped watch is fine
    EXPECT_EQ(st->afterStop.load(), 0) << "round " << round;
  }
  done.store(true);
  writer.join();
}

TEST_P(StorageConformance, StopFromInsideTheCallbackDoesNotDeadlock) {
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    Watch* watch = nullptr;
    int calls = 0;
    bool stoppedInside = false;
  };
  auto st = std::make_shared<State>();
  auto w = store_->watch(prefix_, current(), [st](WatchNotification&&) {
    std::lock_guard lock(st->mu);
    ++st->calls;
    if (st->watch != nullptr && !st->stoppedInside) {
      st->watch->stop();
      st->stoppedInside = true;
    }
    st->cv.notify_all();
  });
  ASSERT_TRUE(w);
  {
    std::lock_guard lock(st->mu);
    st->watch = w->get();
  }
  mustCreate("a", "1");  // must return: the callback stops its own watch
  {
    // sqlite and etcd3 deliver on their own threads: wait for the delivery.
    std::unique_lock lock(st->mu);
    ASSERT_TRUE(st->cv.wait_for(lock, kWaitLimit, [&] { return st->stoppedInside; }));
  }
  // A watch opened after it sees the later writes; by then the stopped one would have had them.
  Recorder after;
  auto sentinel = store_->watch(prefix_, current(), after.callback());
  ASSERT_TRUE(sentinel);
  mustCreate("b", "1");
  const std::int64_t last = mustCreate("c", "1");
  ASSERT_TRUE(after.waitForRevision(last));
  std::lock_guard lock(st->mu);
  EXPECT_EQ(st->calls, 1) << "no delivery after the watch stopped itself";
}

TEST_P(StorageConformance, DestroyingAWatchStopsIt) {
  auto calls = std::make_shared<std::atomic<int>>(0);
  {
    auto w =
        store_->watch(prefix_, current(), [calls](WatchNotification&&) { calls->fetch_add(1); });
    ASSERT_TRUE(w);
  }
  mustCreate("a", "1");
  EXPECT_EQ(calls->load(), 0);
}

// ---------------------------------------------------------------- guaranteed update

TEST_P(StorageConformance, GuaranteedUpdateUnderContentionLosesNothing) {
  constexpr int kThreads = 6;
  constexpr int kIncrements = 80;
  mustCreate("counter", "0");
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        for (int attempt = 0;; ++attempt) {
          if (attempt > 100000) {
            ADD_FAILURE() << "starved";
            return;
          }
          auto cur = store_->get(key("counter"));
          if (!cur) {
            ADD_FAILURE() << cur.error().message;
            return;
          }
          const long n = std::stol(*cur->value);
          auto r = store_->update(key("counter"), std::to_string(n + 1), cur->modRevision);
          if (r)
            break;
          if (r.error().code != ErrorCode::Conflict) {
            ADD_FAILURE() << r.error().message;
            return;
          }
          conflicts.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : threads)
    t.join();
  auto got = store_->get(key("counter"));
  ASSERT_TRUE(got);
  EXPECT_EQ(*got->value, std::to_string(kThreads * kIncrements));
  RecordProperty("conflicts", conflicts.load());
}

// ---------------------------------------------------------------- large values

TEST_P(StorageConformance, OneMebibyteValuesRoundTrip) {
  auto big = [](char seed) {
    std::string s(1 << 20, '\0');
    for (std::size_t i = 0; i < s.size(); ++i)
      s[i] = static_cast<char>(seed + (i * 131) % 251);
    return s;
  };
  const std::string v1 = big('a');
  const std::string v2 = big('b');
  Recorder rec;
  auto w = store_->watch(prefix_, current(), rec.callback());
  ASSERT_TRUE(w);

  const std::int64_t c = mustCreate("big", v1);
  auto got = store_->get(key("big"));
  ASSERT_TRUE(got);
  EXPECT_TRUE(*got->value == v1);
  auto u = store_->update(key("big"), v2, c);
  ASSERT_TRUE(u) << u.error().message;

  auto listed = store_->list(prefix_, ListOptions{c, {}, 0});
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_TRUE(*listed->items[0].value == v1) << "the past value at full size";

  ASSERT_TRUE(rec.waitForRevision(*u));
  auto evs = rec.events();
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_TRUE(*evs[0].value == v1);
  EXPECT_TRUE(*evs[1].value == v2);
  EXPECT_TRUE(*evs[1].previous == v1);
}

INSTANTIATE_TEST_SUITE_P(Backends, StorageConformance, ::testing::ValuesIn(backends()),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace apiserver::storage
