// Etcd3Storage against a real etcd: what is particular to the etcd3 backend (leases for events,
// the compactor, values readable with etcdctl, failing fast and recovering when etcd goes away,
// failover between endpoints). The shared behaviour is the conformance suite's.

#include "backend_fixtures.h"
#include "storage/etcd3/etcd3_storage.h"
#include "storage_test_util.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace apiserver::storage {
namespace {

using namespace std::chrono_literals;
using storagetest::EtcdCluster;
using storagetest::Recorder;

class Etcd3Test : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!storagetest::etcdAvailable())
      GTEST_SKIP() << storagetest::kEtcdBinary << " is absent (Debian package etcd-server)";
    std::string error;
    cluster_ = EtcdCluster::start(1, &error);
    ASSERT_TRUE(cluster_) << error;
  }

  std::shared_ptr<Etcd3Storage> open(Etcd3Options o = {}) {
    if (o.servers.empty())
      o.servers = cluster_->clientUrls();
    if (o.leasedPrefixes.empty())
      o.leasedPrefixes = {"/registry/events/"};
    auto s = Etcd3Storage::open(o);
    EXPECT_TRUE(s) << (s ? "" : s.error().message);
    return s ? *s : nullptr;
  }

  std::unique_ptr<EtcdCluster> cluster_;
};

TEST_F(Etcd3Test, ValuesAreTheJsonGivenReadableWithEtcdctl) {
  auto s = open();
  ASSERT_TRUE(s);
  const std::string json = R"({"kind":"ConfigMap","metadata":{"name":"a"}})";
  ASSERT_TRUE(s->create("/registry/configmaps/default/a", json));
  auto out = cluster_->etcdctl("get --prefix /registry/");
  EXPECT_NE(out.find("/registry/configmaps/default/a"), std::string::npos) << out;
  EXPECT_NE(out.find(json), std::string::npos) << out;
}

TEST_F(Etcd3Test, EventsShareOneLeaseAndExpire) {
  Etcd3Options o;
  o.eventTTL = 2s;
  auto s = open(o);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->create("/registry/events/ns/e1", "{}"));
  ASSERT_TRUE(s->create("/registry/events/ns/e2", "{}"));
  ASSERT_TRUE(s->create("/registry/pods/ns/p", "{}"));
  auto l1 = s->leaseOf("/registry/events/ns/e1");
  auto l2 = s->leaseOf("/registry/events/ns/e2");
  ASSERT_TRUE(l1);
  ASSERT_TRUE(l2);
  EXPECT_NE(*l1, 0);
  EXPECT_EQ(*l1, *l2) << "events written in one window share a lease";
  EXPECT_EQ(*s->leaseOf("/registry/pods/ns/p"), 0);
  // TTL 2 s plus the 1 s reuse window: gone within a few seconds, the pod stays.
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    std::this_thread::sleep_for(100ms);
    auto g = s->get("/registry/events/ns/e1");
    gone = !g && g.error().code == ErrorCode::KeyNotFound;
  }
  EXPECT_TRUE(gone);
  EXPECT_TRUE(s->get("/registry/pods/ns/p"));
}

TEST_F(Etcd3Test, CompactorCompactsToTheRevisionSeenOneIntervalBefore) {
  Etcd3Options o;
  o.compactionInterval = 1s;
  auto s = open(o);
  ASSERT_TRUE(s);
  const auto first = *s->create("/c/a", "1");
  ASSERT_TRUE(s->update("/c/a", "2", first));
  // Tick 1 (1 s) records the revision; tick 2 (2 s) compacts to it.
  bool compacted = false;
  for (int i = 0; i < 60 && !compacted; ++i) {
    std::this_thread::sleep_for(100ms);
    auto l = s->list("/c/", ListOptions{first, "", 0});
    compacted = !l && l.error().code == ErrorCode::Compacted;
  }
  EXPECT_TRUE(compacted);
  auto out = cluster_->etcdctl("get compact_rev_key");
  EXPECT_NE(out.find("compact_rev_key"), std::string::npos) << out;
}

TEST_F(Etcd3Test, WatchOfACompactedRevisionFails) {
  auto s = open();
  ASSERT_TRUE(s);
  const auto a = *s->create("/w/a", "1");
  const auto b = *s->update("/w/a", "2", a);
  ASSERT_TRUE(s->compact(b));
  Recorder rec;
  auto w = s->watch("/w/", a, rec.callback());
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, ErrorCode::Compacted);
  EXPECT_TRUE(s->watch("/w/", b, rec.callback()));
}

TEST_F(Etcd3Test, LostEtcdFailsFastAndTheBackendRecovers) {
  auto s = open();
  ASSERT_TRUE(s);
  const auto start = *s->create("/r/before", "1");
  Recorder rec;
  auto w = s->watch("/r/", start, rec.callback());
  ASSERT_TRUE(w);

  cluster_->kill(0);
  const auto t0 = std::chrono::steady_clock::now();
  auto got = s->get("/r/before");
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(got);
  EXPECT_TRUE(got.error().code == ErrorCode::Unreachable || got.error().code == ErrorCode::Timeout)
      << got.error().message;
  EXPECT_LT(took, 6s);
  auto write = s->create("/r/during", "1");
  ASSERT_FALSE(write);
  EXPECT_TRUE(write.error().code == ErrorCode::Unreachable ||
              write.error().code == ErrorCode::Timeout);

  ASSERT_TRUE(cluster_->restart(0));
  ASSERT_TRUE(cluster_->waitHealthy(0, 30));
  const auto healthy = std::chrono::steady_clock::now();
  Result<std::int64_t> after = Error::internal("not tried");
  for (int i = 0; i < 100; ++i) {
    after = s->create("/r/after", "1");
    if (after)
      break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(after) << after.error().message;
  std::cout << "[ etcd3    ] with etcd down, get failed after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
            << " ms; first write succeeded "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - healthy)
                   .count()
            << " ms after etcd was healthy again\n";
  // The watch was re-established from its last revision: the new event arrives, once.
  ASSERT_TRUE(rec.waitForRevision(*after));
  auto events = rec.events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].key, "/r/after");
  EXPECT_FALSE(rec.error());
}

TEST_F(Etcd3Test, AsyncCreatesFromManyThreadsAreEachAnsweredOnceEvenWhenTheBackendCloses) {
  // Creates queued from several threads are started in batches by the backend's completion
  // thread; closing the backend right after them still answers each one, exactly once, before
  // the backend is gone, and every create answered with a revision is stored at it.
  auto s = open();
  ASSERT_TRUE(s);
  constexpr int kThreads = 4;
  constexpr int kEach = 150;
  std::mutex mu;
  std::map<std::string, std::vector<Result<std::int64_t>>> answers;
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < kEach; ++i) {
          const std::string key = "/r/c-" + std::to_string(t) + "-" + std::to_string(i);
          s->createAsync(key, "v", [&mu, &answers, key](Result<std::int64_t> r) {
            std::lock_guard lock(mu);
            answers[key].push_back(std::move(r));
          });
        }
      });
    for (auto& th : threads)
      th.join();
  }
  s.reset();  // the last reference: closes the backend with creates still in flight
  std::lock_guard lock(mu);
  ASSERT_EQ(answers.size(), static_cast<std::size_t>(kThreads * kEach));
  auto again = open();
  ASSERT_TRUE(again);
  for (const auto& [key, got] : answers) {
    ASSERT_EQ(got.size(), 1u) << key;
    ASSERT_TRUE(got.front()) << key << ": " << got.front().error().message;
    auto stored = again->get(key);
    ASSERT_TRUE(stored) << key;
    EXPECT_EQ(stored->modRevision, *got.front()) << key;
  }
}

// answerOf queues an asynchronous create and returns its answer to come.
std::future<Result<std::int64_t>> answerOf(Etcd3Storage& s, const std::string& key,
                                           const std::string& value) {
  auto answer = std::make_shared<std::promise<Result<std::int64_t>>>();
  auto got = answer->get_future();
  s.createAsync(key, value, [answer](Result<std::int64_t> r) { answer->set_value(std::move(r)); });
  return got;
}

TEST_F(Etcd3Test, AsyncCreateWithEtcdGoneFailsFastAndOneAfterItsReturnSucceeds) {
  auto s = open();
  ASSERT_TRUE(s);
  auto createAsync = [&](const std::string& key) { return answerOf(*s, key, "1"); };
  ASSERT_TRUE(createAsync("/a/before").get());

  cluster_->kill(0);
  const auto t0 = std::chrono::steady_clock::now();
  auto during = createAsync("/a/during");
  ASSERT_EQ(during.wait_for(10s), std::future_status::ready) << "a create was never answered";
  const auto took = std::chrono::steady_clock::now() - t0;
  auto failed = during.get();
  ASSERT_FALSE(failed);
  EXPECT_TRUE(failed.error().code == ErrorCode::Unreachable ||
              failed.error().code == ErrorCode::Timeout)
      << failed.error().message;
  EXPECT_LT(took, 6s);

  ASSERT_TRUE(cluster_->restart(0));
  ASSERT_TRUE(cluster_->waitHealthy(0, 30));
  Result<std::int64_t> after = Error::internal("not tried");
  for (int i = 0; i < 100 && !after; ++i) {
    after = createAsync("/a/after").get();
    if (!after)
      std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(after) << after.error().message;
  auto stored = s->get("/a/after");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->modRevision, *after);
}

// createAll queues an asynchronous create of each key at once and returns the answers in order.
std::vector<Result<std::int64_t>> createAll(Etcd3Storage& s, const std::vector<std::string>& keys,
                                            const std::string& value = "v") {
  std::vector<std::future<Result<std::int64_t>>> pending;
  for (const auto& key : keys)
    pending.push_back(answerOf(s, key, value));
  std::vector<Result<std::int64_t>> out;
  for (auto& p : pending) {
    if (p.wait_for(20s) != std::future_status::ready) {
      ADD_FAILURE() << "a create was never answered";
      return out;
    }
    out.push_back(p.get());
  }
  return out;
}

std::vector<std::string> numberedKeys(const std::string& prefix, int n) {
  std::vector<std::string> keys;
  for (int i = 0; i < n; ++i)
    keys.push_back(prefix + std::to_string(i));
  return keys;
}

TEST_F(Etcd3Test, CreatesQueuedTogetherGoToEtcdInSharedTxnsAndEachRevisionIsDeliveredWhole) {
  // Creates queued while earlier ones are in flight go to etcd as one Txn: they share its
  // revision. A watcher gets every event of one revision in one delivery, so a watch cache never
  // shows half a revision.
  auto s = open();
  ASSERT_TRUE(s);
  std::mutex mu;
  std::vector<std::vector<std::pair<std::int64_t, std::string>>> deliveries;
  auto w = s->watch("/batch/", 0, [&](WatchNotification&& n) {
    std::lock_guard lock(mu);
    auto& d = deliveries.emplace_back();
    for (const auto& e : n.events)
      d.emplace_back(e.revision, e.key);
  });
  ASSERT_TRUE(w);
  const auto keys = numberedKeys("/batch/p-", 300);
  const auto got = createAll(*s, keys, R"({"kind":"Pod"})");
  ASSERT_EQ(got.size(), keys.size());
  std::map<std::int64_t, std::set<std::string>> byRevision;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    ASSERT_TRUE(got[i]) << keys[i] << ": " << got[i].error().message;
    byRevision[*got[i]].insert(keys[i]);
    auto stored = s->get(keys[i]);
    ASSERT_TRUE(stored) << keys[i];
    EXPECT_EQ(stored->modRevision, *got[i]) << keys[i];
    EXPECT_EQ(stored->createRevision, *got[i]) << keys[i];
    EXPECT_EQ(std::string_view(stored->value->data(), stored->value->size()), R"({"kind":"Pod"})");
  }
  EXPECT_LT(byRevision.size(), keys.size()) << "no two creates shared a Txn";
  // Every revision's events arrive in one delivery, with nothing else.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  for (;;) {
    std::size_t seen = 0;
    {
      std::lock_guard lock(mu);
      for (const auto& d : deliveries)
        seen += d.size();
    }
    if (seen >= keys.size() || std::chrono::steady_clock::now() > deadline)
      break;
    std::this_thread::sleep_for(10ms);
  }
  std::lock_guard lock(mu);
  std::map<std::int64_t, std::set<std::string>> delivered;
  for (const auto& d : deliveries) {
    std::set<std::int64_t> revs;
    for (const auto& [rev, key] : d) {
      revs.insert(rev);
      EXPECT_TRUE(delivered[rev].insert(key).second) << key << " delivered twice";
    }
    for (auto rev : revs)
      EXPECT_EQ(delivered[rev], byRevision[rev])
          << "revision " << rev << " split between deliveries";
  }
  EXPECT_EQ(delivered, byRevision);
}

TEST_F(Etcd3Test, WithOneCreatePerTxnEveryCreateHasARevisionOfItsOwn) {
  Etcd3Options o;
  o.createsPerTxn = 1;
  auto s = open(o);
  ASSERT_TRUE(s);
  const auto keys = numberedKeys("/single/p-", 100);
  const auto got = createAll(*s, keys);
  ASSERT_EQ(got.size(), keys.size());
  std::set<std::int64_t> revisions;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    ASSERT_TRUE(got[i]) << keys[i] << ": " << got[i].error().message;
    revisions.insert(*got[i]);
  }
  EXPECT_EQ(revisions.size(), keys.size());
}

TEST_F(Etcd3Test, AKeyThatExistsFailsItsOwnCreateOnlyAndTheOthersQueuedWithItSucceed) {
  auto s = open();
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->create("/exists/k-7", "old"));
  ASSERT_TRUE(s->create("/exists/k-31", "old"));
  const auto keys = numberedKeys("/exists/k-", 60);
  const auto got = createAll(*s, keys, "new");
  ASSERT_EQ(got.size(), keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto stored = s->get(keys[i]);
    ASSERT_TRUE(stored) << keys[i];
    if (i == 7 || i == 31) {
      ASSERT_FALSE(got[i]) << keys[i];
      EXPECT_EQ(got[i].error().code, ErrorCode::KeyExists) << got[i].error().message;
      EXPECT_EQ(std::string_view(stored->value->data(), stored->value->size()), "old");
    } else {
      ASSERT_TRUE(got[i]) << keys[i] << ": " << got[i].error().message;
      EXPECT_EQ(stored->modRevision, *got[i]) << keys[i];
      EXPECT_EQ(std::string_view(stored->value->data(), stored->value->size()), "new");
    }
  }
}

TEST_F(Etcd3Test, CreatesOfOneKeyQueuedTogetherCreateItOnce) {
  // etcd refuses a Txn that puts one key twice: the second create of a key goes in a later Txn
  // and finds the key.
  auto s = open();
  ASSERT_TRUE(s);
  std::vector<std::string> keys;
  for (int i = 0; i < 40; ++i)
    keys.push_back(i % 4 == 0 ? "/dup/same" : "/dup/k-" + std::to_string(i));
  const auto got = createAll(*s, keys);
  ASSERT_EQ(got.size(), keys.size());
  int created = 0;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (keys[i] != "/dup/same") {
      EXPECT_TRUE(got[i]) << keys[i] << ": " << got[i].error().message;
    } else if (got[i]) {
      ++created;
      EXPECT_EQ(s->get("/dup/same")->modRevision, *got[i]);
    } else {
      EXPECT_EQ(got[i].error().code, ErrorCode::KeyExists) << got[i].error().message;
    }
  }
  EXPECT_EQ(created, 1);
}

TEST_F(Etcd3Test, EventsCreatedTogetherEachGetTheLease) {
  auto s = open();
  ASSERT_TRUE(s);
  const auto keys = numberedKeys("/registry/events/ns/e-", 50);
  const auto got = createAll(*s, keys);
  std::set<std::int64_t> leases;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    ASSERT_TRUE(got[i]) << keys[i] << ": " << got[i].error().message;
    auto l = s->leaseOf(keys[i]);
    ASSERT_TRUE(l) << keys[i];
    leases.insert(*l);
  }
  EXPECT_EQ(leases.size(), 1u);
  EXPECT_NE(*leases.begin(), 0);
}

TEST_F(Etcd3Test, OpenFailsWithUnreachableWhenNoMemberAnswers) {
  const storagetest::RefusingPort nobody;
  Etcd3Options o;
  o.servers = {nobody.url()};
  o.requestTimeout = 1s;
  const auto t0 = std::chrono::steady_clock::now();
  auto s = Etcd3Storage::open(o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::Unreachable);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

TEST_F(Etcd3Test, CallsMoveToAMemberThatAnswers) {
  const storagetest::RefusingPort nobody;
  Etcd3Options o;
  o.servers = {nobody.url(), cluster_->clientUrl(0)};
  auto s = open(o);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->create("/f/a", "1"));
  EXPECT_EQ(s->endpoint(), cluster_->clientUrl(0));
  Recorder rec;
  auto w = s->watch("/f/", 0, rec.callback());
  ASSERT_TRUE(w);
  auto rev = s->create("/f/b", "1");
  ASSERT_TRUE(rev);
  EXPECT_TRUE(rec.waitForRevision(*rev));
}

TEST_F(Etcd3Test, BadTlsFilesAreReported) {
  Etcd3Options o;
  o.servers = {"https://127.0.0.1:1"};
  o.caFile = "/nonexistent/ca.pem";
  auto s = Etcd3Storage::open(o);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("/nonexistent/ca.pem"), std::string::npos) << s.error().message;
}

}  // namespace
}  // namespace apiserver::storage
