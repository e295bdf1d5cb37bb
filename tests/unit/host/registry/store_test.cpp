// The generic registry Store over MemoryStorage with small test Strategies.

#include "registry/store.h"
#include "../storage/storage_test_util.h"
#include "registry/continue_token.h"
#include "registry_test_util.h"
#include "storage/memory/memory_storage.h"

#include <apiserver/object.h>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace apiserver::registry {
namespace {

namespace json = boost::json;
using registrytest::FixedClock;
using registrytest::kFixedTime;
using registrytest::RecordingAdmission;
using registrytest::widget;
using registrytest::WidgetStrategy;
using storage::storagetest::ForwardingBackend;

std::chrono::steady_clock::time_point soon() {
  return std::chrono::steady_clock::now() + std::chrono::seconds(10);
}
std::chrono::steady_clock::time_point shortly() {
  return std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
}

template <class T>
::testing::AssertionResult failsWith(const Result<T>& r, int code, std::string_view reason,
                                     std::string_view messagePart = {}) {
  if (r)
    return ::testing::AssertionFailure() << "succeeded, expected " << code << " " << reason;
  const ApiError& e = r.error();
  if (e.code != code || e.reason != reason || e.message.find(messagePart) == std::string::npos)
    return ::testing::AssertionFailure()
           << "failed with " << e.code << " " << e.reason << ": " << e.message << "\nexpected "
           << code << " " << reason << " containing \"" << messagePart << "\"";
  return ::testing::AssertionSuccess();
}

json::object objectOf(const storage::CachedObjectPtr& o) {
  return json::parse(*o->json).as_object();
}

std::vector<std::string> namesOf(const std::vector<storage::CachedObjectPtr>& items) {
  std::vector<std::string> out;
  for (const auto& o : items)
    out.push_back(std::string(o->name()) + "@" + std::to_string(o->revision));
  return out;
}

std::int64_t rvOf(const json::object& o) {
  return std::stoll(std::string(resourceVersionOf(o)));
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    backend_ = std::make_shared<storage::MemoryStorage>();
    strategy_ = std::make_shared<WidgetStrategy>();
    admission_ = std::make_shared<RecordingAdmission>();
    makeStore();
  }
  void TearDown() override {
    if (store_)
      store_->stop();
  }
  void makeStore(std::size_t watchCacheSize = 10000, ResourceSpec spec = registrytest::widgetSpec(),
                 std::shared_ptr<const Strategy> strategy = nullptr) {
    if (store_)
      store_->stop();
    auto chain = std::make_shared<AdmissionChain>();
    chain->add(admission_);
    Store::Options o;
    o.watchCacheSize = watchCacheSize;
    o.admission = chain;
    o.clock = std::make_shared<FixedClock>();
    if (!strategy)
      strategy = strategy_;
    store_ = std::make_unique<Store>(std::move(spec), std::move(strategy), backend_, std::move(o));
    auto r = store_->start();
    ASSERT_TRUE(r) << r.error().message;
  }

  json::object mustCreate(std::string_view name, std::string_view color = "red",
                          std::string_view ns = "ns1") {
    auto r = store_->create(ns, widget(name, color), WriteOptions{});
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? r->object : json::object();
  }
  json::object mustUpdate(json::object obj, std::string_view ns = "ns1", bool status = false) {
    std::string name(nameOf(obj));
    auto r = store_->update(ns, name, std::move(obj), status, WriteOptions{});
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? r->object : json::object();
  }
  json::object mustGet(std::string_view name, std::string_view ns = "ns1") {
    auto r = store_->get(ns, name, ReadOptions{}, soon());
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? objectOf(*r) : json::object();
  }
  std::int64_t backendRevision() { return *backend_->currentRevision(); }
  Result<ListResult> list(ListOptions lo, std::string_view ns = "ns1",
                          std::chrono::steady_clock::time_point deadline = soon()) {
    return store_->list(ns, lo, deadline);
  }

  std::shared_ptr<storage::MemoryStorage> backend_;
  std::shared_ptr<WidgetStrategy> strategy_;
  std::shared_ptr<RecordingAdmission> admission_;
  std::unique_ptr<Store> store_;
};

// ---------------------------------------------------------------- create

TEST_F(StoreTest, CreateFillsTheSystemFields) {
  auto r = store_->create("ns1", widget("w"), WriteOptions{});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->created);
  const json::object& o = r->object;
  EXPECT_EQ(stringField(o, "", "apiVersion"), "example.com/v1");
  EXPECT_EQ(stringField(o, "", "kind"), "Widget");
  EXPECT_EQ(nameOf(o), "w");
  EXPECT_EQ(namespaceOf(o), "ns1") << "the namespace comes from the request";
  EXPECT_EQ(uidOf(o).size(), 36u) << uidOf(o);
  EXPECT_EQ(creationTimestampOf(o), kFixedTime);
  EXPECT_EQ(int64Field(o, "metadata", "generation"), 1);
  EXPECT_EQ(rvOf(o), backendRevision());

  auto stored = backend_->get("/registry/example.com/widgets/ns1/w");
  ASSERT_TRUE(stored) << "kube's key layout: <prefix>/<group>/<resource>/<namespace>/<name>";
  auto storedObj = json::parse(*stored->value).as_object();
  // The memory backend keeps the value as it is served, its revision stamped in
  // (Interface::createStamped); a backend that does not stamp stores none (below).
  EXPECT_EQ(resourceVersionOf(storedObj), resourceVersionOf(o));
  EXPECT_EQ(stored->modRevision, rvOf(o));
  EXPECT_EQ(uidOf(storedObj), uidOf(o));

  auto got = mustGet("w");
  EXPECT_EQ(uidOf(got), uidOf(o));
  EXPECT_EQ(resourceVersionOf(got), resourceVersionOf(o));
}

TEST_F(StoreTest, ACreatedObjectIsCachedAsADecodeOfItsStoredValueWouldBe) {
  // The creating store hands its cacher the decoded form; a second store over the same backend
  // decodes the stored value by parsing it. Both must serve the same bytes and index alike.
  json::object w = widget("primed", "blue");
  w["metadata"].as_object()["labels"] = json::object{{"tier", "front"}, {"app", "x"}};
  w["metadata"].as_object()["annotations"] = json::object{{"note", "resourceVersion \"1\""}};
  auto created = store_->create("ns1", std::move(w), WriteOptions{});
  ASSERT_TRUE(created) << created.error().message;
  auto primed = store_->get("ns1", "primed", ReadOptions{}, soon());
  ASSERT_TRUE(primed) << primed.error().message;

  Store::Options o;
  o.clock = std::make_shared<FixedClock>();
  Store other(registrytest::widgetSpec(), strategy_, backend_, std::move(o));
  ASSERT_TRUE(other.start());
  auto parsed = other.get("ns1", "primed", ReadOptions{}, soon());
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(*(*primed)->json, *(*parsed)->json);
  EXPECT_EQ((*primed)->revision, (*parsed)->revision);
  EXPECT_EQ((*primed)->labels, (*parsed)->labels);
  EXPECT_EQ((*primed)->ownership, (*parsed)->ownership);
  EXPECT_EQ((*primed)->name(), "primed");
  EXPECT_EQ((*primed)->namespace_(), "ns1");
  EXPECT_EQ(rvOf(objectOf(*primed)), (*primed)->revision);
  EXPECT_EQ(json::serialize(created->object), *(*primed)->json);
  // The create's answer is the cached bytes themselves, not a second rendering of them.
  EXPECT_EQ(created->json.get(), (*primed)->json.get());
  // The memory backend stamps revisions: what it keeps is the cached buffer itself.
  auto stored = backend_->get((*primed)->key);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->value.get(), (*primed)->json.get());
  other.stop();
}

/// RewritingBackend stores what it is given with one substring replaced, as another writer's
/// bytes for the same key would differ from what the store primed.
class RewritingBackend final : public ForwardingBackend {
 public:
  /// `stamps`: it stamps revisions (passing on the stamp, which lies before the bytes rewritten).
  RewritingBackend(std::shared_ptr<storage::Interface> inner, std::string from, std::string to,
                   bool stamps = false)
      : ForwardingBackend(std::move(inner)),
        from_(std::move(from)),
        to_(std::move(to)),
        stamps_(stamps) {}
  storage::Result<std::int64_t> create(std::string_view key, std::string value) override {
    return inner_->create(key, rewrite(std::move(value)));
  }
  bool stampsRevisions() const override { return stamps_; }
  storage::Result<storage::StampedWrite> createStamped(std::string_view key, std::string value,
                                                       storage::RevisionStamp stamp) override {
    return inner_->createStamped(key, rewrite(std::move(value)), stamp);
  }

 private:
  std::string rewrite(std::string value) const {
    if (auto at = value.find(from_); at != std::string::npos)
      value.replace(at, from_.size(), to_);
    return value;
  }
  std::string from_, to_;
  bool stamps_;
};

/// HeldWatchBackend stamps revisions as the memory backend does, and holds its watchers' events
/// from hold() until release(): a cache that has not seen a write yet. One watcher (the cache).
class HeldWatchBackend final : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  bool stampsRevisions() const override { return true; }
  storage::Result<storage::StampedWrite> createStamped(std::string_view key, std::string value,
                                                       storage::RevisionStamp stamp) override {
    return inner_->createStamped(key, std::move(value), stamp);
  }
  storage::Result<std::unique_ptr<storage::Watch>> watch(std::string_view prefix,
                                                         std::int64_t after,
                                                         storage::WatchCallback cb) override {
    {
      std::lock_guard lock(mu_);
      cb_ = std::move(cb);
    }
    return inner_->watch(prefix, after, [this](storage::WatchNotification&& n) {
      std::lock_guard lock(mu_);
      if (holding_) {
        held_.push_back(std::move(n));
      } else {
        cb_(std::move(n));
      }
    });
  }
  void hold() {
    std::lock_guard lock(mu_);
    holding_ = true;
  }
  /// release delivers what was held, in order, and stops holding.
  void release() {
    std::lock_guard lock(mu_);
    for (auto& n : held_)
      cb_(std::move(n));
    held_.clear();
    holding_ = false;
  }

 private:
  std::mutex mu_;
  storage::WatchCallback cb_;
  bool holding_ = false;
  std::vector<storage::WatchNotification> held_;
};

/// DeferringBackend answers an asynchronous create only when the test says so, as a durable
/// backend answers from its own thread after the commit.
class DeferringBackend final : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  void createAsync(std::string_view key, std::string value, storage::CreateCallback done) override {
    std::lock_guard lock(mu_);
    due_.push_back({std::string(key), std::move(value), std::move(done)});
  }
  bool createWaits() const override { return false; }
  std::size_t due() {
    std::lock_guard lock(mu_);
    return due_.size();
  }
  /// answer writes every create still due and answers it.
  void answer() {
    std::vector<Due> due;
    {
      std::lock_guard lock(mu_);
      due.swap(due_);
    }
    for (auto& d : due)
      d.done(inner_->create(d.key, std::move(d.value)));
  }

 private:
  struct Due {
    std::string key;
    std::string value;
    storage::CreateCallback done;
  };
  std::mutex mu_;
  std::vector<Due> due_;
};

/// Answer keeps what createAsync answered.
struct Answer {
  std::mutex mu;
  std::vector<Result<WriteResult>> results;
  Store::CreateCallback callback() {
    return [this](Result<WriteResult> r) {
      std::lock_guard lock(mu);
      results.push_back(std::move(r));
    };
  }
  std::size_t count() {
    std::lock_guard lock(mu);
    return results.size();
  }
};

TEST_F(StoreTest, AnAsynchronousCreateIsAnsweredWhenItsWriteIs) {
  Store::Options o;
  o.clock = std::make_shared<FixedClock>();
  auto deferring = std::make_shared<DeferringBackend>(backend_);
  Store s(registrytest::widgetSpec(), strategy_, deferring, std::move(o));
  ASSERT_TRUE(s.start());
  EXPECT_FALSE(s.createWaits());
  Answer answer;
  s.createAsync("ns1", widget("later", "blue"), WriteOptions{}, answer.callback());
  EXPECT_EQ(answer.count(), 0u) << "answered before the write was";
  EXPECT_EQ(deferring->due(), 1u);
  deferring->answer();
  ASSERT_EQ(answer.count(), 1u);
  ASSERT_TRUE(answer.results[0]) << answer.results[0].error().message;
  auto stored = backend_->get(s.key("ns1", "later"));
  ASSERT_TRUE(stored);
  EXPECT_EQ(rvOf(answer.results[0]->object), stored->modRevision);
  EXPECT_TRUE(answer.results[0]->created);
  // A create refused before its write is answered in place, and writes nothing.
  json::object versioned = widget("refused", "blue");
  versioned["metadata"].as_object()["resourceVersion"] = "7";
  s.createAsync("ns1", std::move(versioned), WriteOptions{}, answer.callback());
  ASSERT_EQ(answer.count(), 2u);
  ASSERT_FALSE(answer.results[1]);
  EXPECT_EQ(answer.results[1].error().code, 400);
  EXPECT_EQ(deferring->due(), 0u);
  // A create in the same backend's place (a dry run) is answered in place too.
  WriteOptions dry;
  dry.dryRun = true;
  s.createAsync("ns1", widget("dry", "blue"), dry, answer.callback());
  ASSERT_EQ(answer.count(), 3u);
  ASSERT_TRUE(answer.results[2]);
  EXPECT_EQ(deferring->due(), 0u);
  s.stop();
}

TEST_F(StoreTest, StopWaitsForTheAsynchronousCreatesStillDue) {
  Store::Options o;
  o.clock = std::make_shared<FixedClock>();
  auto deferring = std::make_shared<DeferringBackend>(backend_);
  Store s(registrytest::widgetSpec(), strategy_, deferring, std::move(o));
  ASSERT_TRUE(s.start());
  Answer answer;
  s.createAsync("ns1", widget("due", "blue"), WriteOptions{}, answer.callback());
  std::thread committer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    deferring->answer();
  });
  s.stop();
  EXPECT_EQ(answer.count(), 1u) << "stop returned before the create was answered";
  committer.join();
}

TEST_F(StoreTest, ACreateWaitsWhenItsBackendOrAnAdmissionStepMay) {
  Store::Options plain;
  plain.clock = std::make_shared<FixedClock>();
  auto deferring = std::make_shared<DeferringBackend>(backend_);
  // The memory backend answers in place; so does one that answers from its own thread.
  EXPECT_FALSE(Store(registrytest::widgetSpec(), strategy_, backend_, plain).createWaits());
  EXPECT_FALSE(Store(registrytest::widgetSpec(), strategy_, deferring, plain).createWaits());
  // A backend whose creates wait, or an admission step that may, make the create wait.
  EXPECT_TRUE(Store(registrytest::widgetSpec(), strategy_,
                    std::make_shared<ForwardingBackend>(backend_), plain)
                  .createWaits());
  Store::Options admitted = plain;
  auto chain = std::make_shared<AdmissionChain>();
  chain->add(std::make_shared<registrytest::RecordingAdmission>());
  admitted.admission = chain;
  EXPECT_TRUE(Store(registrytest::widgetSpec(), strategy_, deferring, admitted).createWaits());
}

TEST_F(StoreTest, ACreateWhoseStoredBytesDifferIsCachedAsStored) {
  // Same length and different length: the cache must parse what storage holds, never serve the
  // creating store's rendering of other bytes.
  for (const auto& [to, base] :
       {std::pair<std::string, std::string>{R"("color":"gree")", "same-length"},
        {R"("color":"green!")", "longer"}})
    for (bool stamps : {false, true}) {
      const std::string name = base + (stamps ? "-stamped" : "");
      Store::Options o;
      o.clock = std::make_shared<FixedClock>();
      auto rewriting =
          std::make_shared<RewritingBackend>(backend_, R"("color":"blue")", to, stamps);
      Store s(registrytest::widgetSpec(), strategy_, rewriting, std::move(o));
      ASSERT_TRUE(s.start());
      auto created = s.create("ns1", widget(name, "blue"), WriteOptions{});
      ASSERT_TRUE(created) << created.error().message;
      auto cached = s.get("ns1", name, ReadOptions{}, soon());
      ASSERT_TRUE(cached) << cached.error().message;
      auto stored = backend_->get((*cached)->key);
      ASSERT_TRUE(stored);
      EXPECT_NE(stored->value->find(to), std::string::npos) << *stored->value;
      EXPECT_NE((*cached)->json->find(to), std::string::npos) << name << ": " << *(*cached)->json;
      s.stop();
    }
}

TEST_F(StoreTest, ACreateIsAnsweredWithTheStoredBytesBeforeTheCacheHasThem) {
  // Two threads create at once: the other one may be delivering this write to the cache while
  // this one answers. The answer is the buffer the backend keeps (its revision stamped in),
  // without waiting for the cache or rendering the object a second time.
  auto held = std::make_shared<HeldWatchBackend>(backend_);
  Store::Options o;
  o.clock = std::make_shared<FixedClock>();
  Store s(registrytest::widgetSpec(), strategy_, held, std::move(o));
  ASSERT_TRUE(s.start());
  held->hold();
  auto created = s.create("ns1", widget("early", "blue"), WriteOptions{});
  ASSERT_TRUE(created) << created.error().message;
  ASSERT_TRUE(created->json) << "answered from the stored bytes, not left to a second rendering";
  auto stored = backend_->get("/registry/example.com/widgets/ns1/early");
  ASSERT_TRUE(stored);
  EXPECT_EQ(created->json.get(), stored->value.get());
  EXPECT_EQ(json::serialize(created->object), *created->json);
  EXPECT_EQ(resourceVersionOf(created->object), std::to_string(stored->modRevision));
  held->release();
  auto got = s.get("ns1", "early", ReadOptions{}, soon());
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ((*got)->json.get(), stored->value.get()) << "the cache keeps the same buffer";
  s.stop();
}

TEST_F(StoreTest, ABackendThatDoesNotStampStoresTheObjectWithoutItsResourceVersion) {
  auto forwarding = std::make_shared<ForwardingBackend>(backend_);
  // A backend that does not stamp refuses a stamped create (the store never asks it for one).
  EXPECT_FALSE(forwarding->stampsRevisions());
  auto refused = forwarding->createStamped("/k", "{}", storage::RevisionStamp{0, 1});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, storage::ErrorCode::Internal);
  Store::Options o;
  o.clock = std::make_shared<FixedClock>();
  Store s(registrytest::widgetSpec(), strategy_, forwarding, std::move(o));
  ASSERT_TRUE(s.start());
  auto created = s.create("ns1", widget("plain", "blue"), WriteOptions{});
  ASSERT_TRUE(created) << created.error().message;
  auto cached = s.get("ns1", "plain", ReadOptions{}, soon());
  ASSERT_TRUE(cached) << cached.error().message;
  auto stored = backend_->get((*cached)->key);
  ASSERT_TRUE(stored);
  // kube's etcd3 store: the object without its resourceVersion, as encodeForStorage writes it.
  json::object unversioned = created->object;
  EXPECT_EQ(*stored->value, encodeForStorage(unversioned));
  EXPECT_EQ(resourceVersionOf(json::parse(*stored->value).as_object()), "");
  EXPECT_EQ(json::serialize(created->object), *(*cached)->json);
  EXPECT_EQ(rvOf(objectOf(*cached)), stored->modRevision);
  s.stop();
}

TEST_F(StoreTest, TheCacheTellsWhichObjectsCarryOwnershipMetadata) {
  // The garbage collector skips new objects without ownerReferences, finalizers or a deletion
  // mark: the cache says which ones have any.
  const std::vector<std::pair<std::string, json::object>> cases = {
      {"plain", {}},
      {"owned",
       {{"ownerReferences",
         json::array{json::object{
             {"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"name", "o"}, {"uid", "u1"}}}}}},
      {"finalized", {{"finalizers", json::array{"example.com/keep"}}}},
  };
  for (const auto& [name, extra] : cases) {
    json::object w = widget(name, "blue");
    for (const auto& kv : extra)
      w["metadata"].as_object()[kv.key()] = kv.value();
    ASSERT_TRUE(store_->create("ns1", std::move(w), WriteOptions{}));
    auto got = store_->get("ns1", name, ReadOptions{}, soon());
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ((*got)->ownership, name != "plain") << name;
  }
}

TEST_F(StoreTest, ACachedObjectIsParsedOnceForEveryReaderOfItsParse) {
  mustCreate("shared");
  auto cached = store_->get("ns1", "shared", ReadOptions{}, soon());
  ASSERT_TRUE(cached) << cached.error().message;
  EXPECT_EQ((*cached)->parsed.load(), nullptr);
  auto first = parsedObject(**cached);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(json::value(**first), json::parse(*(*cached)->json));
  auto second = parsedObject(**cached);
  ASSERT_TRUE(second);
  EXPECT_EQ(first->get(), second->get());  // the same parse, not a second one
  // A new revision is a new cached object, parsed afresh.
  auto next = store_->mutate("ns1", "shared", [](json::object o) -> Result<json::object> {
    o["metadata"].as_object()["labels"] = json::object{{"v", "2"}};
    return o;
  }, false, WriteOptions{});
  ASSERT_TRUE(next) << next.error().message;
  auto updated = store_->get("ns1", "shared", ReadOptions{}, soon());
  ASSERT_TRUE(updated);
  auto third = parsedObject(**updated);
  ASSERT_TRUE(third);
  EXPECT_NE(first->get(), third->get());
  EXPECT_EQ(json::serialize((**third).at("metadata").at("labels")), R"({"v":"2"})");
}

TEST_F(StoreTest, EveryCreateGetsItsOwnUid) {
  std::set<std::string> uids;
  for (int i = 0; i < 20; ++i)
    uids.insert(std::string(uidOf(mustCreate("w" + std::to_string(i)))));
  EXPECT_EQ(uids.size(), 20u);
}

TEST_F(StoreTest, CreateIgnoresClientSetSystemFields) {
  json::object body = widget("w");
  metadata(body)["uid"] = "client-uid";
  metadata(body)["creationTimestamp"] = "1999-01-01T00:00:00Z";
  metadata(body)["generation"] = 7;
  metadata(body)["deletionTimestamp"] = "1999-01-01T00:00:00Z";
  body["status"] = json::object{{"phase", "Done"}};
  auto r = store_->create("ns1", body, WriteOptions{});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_NE(uidOf(r->object), "client-uid");
  EXPECT_EQ(creationTimestampOf(r->object), kFixedTime);
  EXPECT_EQ(int64Field(r->object, "metadata", "generation"), 1);
  EXPECT_EQ(field(r->object, "metadata", "deletionTimestamp"), nullptr);
  EXPECT_EQ(r->object.if_contains("status"), nullptr) << "the strategy's prepareForCreate ran";
}

TEST_F(StoreTest, GenerateNameAppendsFiveRandomCharacters) {
  json::object body = widget("");
  metadata(body).erase("name");
  metadata(body)["generateName"] = "gen-";
  auto r = store_->create("ns1", body, WriteOptions{});
  ASSERT_TRUE(r) << r.error().message;
  std::string name(nameOf(r->object));
  ASSERT_EQ(name.size(), 9u) << name;
  EXPECT_EQ(name.substr(0, 4), "gen-");
  EXPECT_EQ(name.find_first_not_of("bcdfghjklmnpqrstvwxz2456789", 4), std::string::npos) << name;
  EXPECT_TRUE(store_->get("ns1", name, ReadOptions{}, soon()));

  metadata(body)["generateName"] = std::string(70, 'a');
  auto longer = store_->create("ns1", body, WriteOptions{});
  ASSERT_TRUE(longer) << longer.error().message;
  EXPECT_EQ(nameOf(longer->object).size(), 63u) << "58 characters of the prefix plus 5";
}

TEST_F(StoreTest, CreateFailures) {
  struct Case {
    std::string name;
    std::string ns;
    std::function<void(json::object&)> edit;
    int code;
    std::string reason;
    std::string message;
    std::vector<std::pair<std::string, std::string>> causes;  // field, reason
  };
  mustCreate("exists");
  const std::vector<Case> cases = {
      {"namespace mismatch",
       "ns1",
       [](json::object& o) { metadata(o)["namespace"] = "other"; },
       400,
       "BadRequest",
       "the namespace of the provided object does not match the namespace sent on the request",
       {}},
      {"resourceVersion set",
       "ns1",
       [](json::object& o) { metadata(o)["resourceVersion"] = "5"; },
       400,
       "BadRequest",
       "resourceVersion should not be set on objects to be created",
       {}},
      {"no name",
       "ns1",
       [](json::object& o) { metadata(o).erase("name"); },
       422,
       "Invalid",
       "metadata.name: Required value: name or generateName is required",
       {{"metadata.name", "FieldValueRequired"}}},
      {"bad name",
       "ns1",
       [](json::object& o) { metadata(o)["name"] = "Bad_Name"; },
       422,
       "Invalid",
       "Widget.example.com \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\"",
       {{"metadata.name", "FieldValueInvalid"}}},
      {"strategy validation, all errors at once",
       "ns1",
       [](json::object& o) {
         o["spec"] = json::object{{"size", -1}};
       },
       422,
       "Invalid",
       "Widget.example.com \"w\" is invalid: [spec.color: Required value, spec.size: Invalid "
       "value: -1: must be a "
       "non-negative integer]",
       {{"spec.color", "FieldValueRequired"}, {"spec.size", "FieldValueInvalid"}}},
      {"bad label",
       "ns1",
       [](json::object& o) {
         metadata(o)["labels"] = json::object{{"a b", "x"}};
       },
       422,
       "Invalid",
       "metadata.labels",
       {{"metadata.labels", "FieldValueInvalid"}}},
      {"already exists",
       "ns1",
       [](json::object& o) { metadata(o)["name"] = "exists"; },
       409,
       "AlreadyExists",
       "widgets.example.com \"exists\" already exists",
       {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    json::object body = widget("w");
    c.edit(body);
    const std::int64_t before = backendRevision();
    auto r = store_->create(c.ns, body, WriteOptions{});
    ASSERT_TRUE(failsWith(r, c.code, c.reason, c.message));
    EXPECT_EQ(backendRevision(), before) << "nothing written";
    if (!c.causes.empty()) {
      ASSERT_TRUE(r.error().details.has_value());
      EXPECT_EQ(r.error().details->kind, "Widget");
      EXPECT_EQ(r.error().details->group, "example.com");
      std::vector<std::pair<std::string, std::string>> got;
      for (const auto& cause : r.error().details->causes)
        got.emplace_back(cause.field, cause.reason);
      for (const auto& want : c.causes)
        EXPECT_NE(std::find(got.begin(), got.end(), want), got.end())
            << want.first << " " << want.second;
    }
  }
}

TEST_F(StoreTest, ClusterScopedCreateDropsTheNamespace) {
  makeStore(10000, registrytest::gadgetSpec(), std::make_shared<Strategy>());
  json::object body{{"metadata", json::object{{"name", "g"}, {"namespace", "ignored"}}},
                    {"spec", json::object()}};
  auto r = store_->create("", body, WriteOptions{});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(field(r->object, "metadata", "namespace"), nullptr);
  EXPECT_EQ(stringField(r->object, "", "apiVersion"), "v1");
  EXPECT_TRUE(backend_->get("/registry/gadgets/g")) << "core group: <prefix>/<resource>/<name>";
}

// ---------------------------------------------------------------- get

TEST_F(StoreTest, GetWithResourceVersion) {
  const auto created = mustCreate("w");
  const std::int64_t rv = rvOf(created);
  struct Case {
    std::string name;
    std::string resourceVersion;
    int code;  // 0: found
    std::string reason;
  };
  const std::vector<Case> cases = {
      {"most recent", "", 0, ""},
      {"any", "0", 0, ""},
      {"not older than the create", std::to_string(rv), 0, ""},
      {"not older than an old revision", "1", 0, ""},
      {"future", std::to_string(rv + 100), 504, "Timeout"},
      {"not a number", "abc", 400, "BadRequest"},
      {"negative", "-1", 400, "BadRequest"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = store_->get("ns1", "w", ReadOptions{c.resourceVersion, RvMatch::Unset}, shortly());
    if (c.code == 0) {
      ASSERT_TRUE(r) << r.error().message;
      EXPECT_EQ((*r)->revision, rv);
    } else {
      EXPECT_TRUE(failsWith(r, c.code, c.reason));
    }
  }
  auto future =
      store_->get("ns1", "w", ReadOptions{std::to_string(rv + 100), RvMatch::Unset}, shortly());
  ASSERT_FALSE(future);
  ASSERT_TRUE(future.error().details.has_value());
  ASSERT_EQ(future.error().details->causes.size(), 1u);
  EXPECT_EQ(future.error().details->causes[0].reason, "ResourceVersionTooLarge");
  EXPECT_EQ(future.error().details->causes[0].message, "Too large resource version");
}

TEST_F(StoreTest, GetOfAMissingObjectIsNotFound) {
  auto r = store_->get("ns1", "nope", ReadOptions{}, soon());
  ASSERT_TRUE(failsWith(r, 404, "NotFound", "widgets.example.com \"nope\" not found"));
  EXPECT_EQ(r.error().details->name, "nope");
  EXPECT_EQ(r.error().details->group, "example.com");
  EXPECT_EQ(r.error().details->kind, "widgets");
  mustCreate("w", "red", "ns2");
  EXPECT_TRUE(failsWith(store_->get("ns1", "w", ReadOptions{}, soon()), 404, "NotFound"))
      << "another namespace's object";
}

// ---------------------------------------------------------------- list

TEST_F(StoreTest, ListWithResourceVersionAndMatch) {
  const std::int64_t ra = rvOf(mustCreate("a"));
  const std::int64_t rb = rvOf(mustCreate("b"));
  json::object a = mustGet("a");
  a["spec"].as_object()["color"] = "blue";
  const std::int64_t ra2 = rvOf(mustUpdate(a));
  const std::string now = std::to_string(ra2);
  const std::vector<std::string> latest = {"a@" + now, "b@" + std::to_string(rb)};
  const std::vector<std::string> atA = {"a@" + std::to_string(ra)};

  struct Case {
    std::string name;
    std::string rv;
    RvMatch match;
    std::int64_t limit;
    std::vector<std::string> want;
    std::string wantRv;
  };
  const std::vector<Case> cases = {
      {"most recent", "", RvMatch::Unset, 0, latest, now},
      {"any", "0", RvMatch::Unset, 0, latest, now},
      {"exact", std::to_string(ra), RvMatch::Exact, 0, atA, std::to_string(ra)},
      {"not older than", std::to_string(ra), RvMatch::NotOlderThan, 0, latest, now},
      {"legacy: rv with limit is exact", std::to_string(ra), RvMatch::Unset, 10, atA,
       std::to_string(ra)},
      {"legacy: rv without limit is not older than", std::to_string(ra), RvMatch::Unset, 0, latest,
       now},
      {"exact current", now, RvMatch::Exact, 0, latest, now},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ListOptions lo;
    lo.read = ReadOptions{c.rv, c.match};
    lo.limit = c.limit;
    auto r = list(lo);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(namesOf(r->items), c.want);
    EXPECT_EQ(r->resourceVersion, c.wantRv);
  }

  ListOptions future;
  future.read = ReadOptions{std::to_string(ra2 + 50), RvMatch::Exact};
  EXPECT_TRUE(failsWith(list(future, "ns1", shortly()), 504, "Timeout"));
  ListOptions bad;
  bad.read = ReadOptions{"x1", RvMatch::Unset};
  EXPECT_TRUE(failsWith(list(bad), 400, "BadRequest", "invalid resource version"));
}

TEST_F(StoreTest, ListFiltersBySelectorsAndNamespace) {
  mustCreate("a", "red", "ns1");
  mustCreate("b", "blue", "ns1");
  mustCreate("c", "red", "ns2");
  json::object b = mustGet("b");
  metadata(b)["labels"] = json::object{{"tier", "db"}};
  mustUpdate(b);

  struct Case {
    std::string name;
    std::string ns;
    std::string labels;
    std::string fields;
    std::vector<std::string> want;
  };
  const std::vector<Case> cases = {
      {"one namespace", "ns1", "", "", {"a", "b"}},
      {"all namespaces", "", "", "", {"a", "b", "c"}},
      {"label", "", "tier=db", "", {"b"}},
      {"label absent", "", "!tier", "", {"a", "c"}},
      {"selectable field", "", "", "spec.color=red", {"a", "c"}},
      {"metadata.name", "", "", "metadata.name=c", {"c"}},
      {"metadata.namespace", "", "", "metadata.namespace=ns2", {"c"}},
      {"name pinned in a namespace", "ns1", "", "metadata.name=a", {"a"}},
      {"name pinned in another namespace", "ns2", "", "metadata.name=a", {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ListOptions lo;
    lo.labelSelector = c.labels;
    lo.fieldSelector = c.fields;
    auto r = list(lo, c.ns);
    ASSERT_TRUE(r) << r.error().message;
    std::vector<std::string> got;
    for (const auto& o : r->items)
      got.push_back(std::string(o->name()));
    EXPECT_EQ(got, c.want);
  }

  ListOptions badLabel;
  badLabel.labelSelector = "a in (";
  EXPECT_TRUE(failsWith(list(badLabel), 400, "BadRequest"));
  ListOptions badField;
  badField.fieldSelector = "spec.shape=round";
  EXPECT_TRUE(failsWith(list(badField), 400, "BadRequest", "spec.shape"));
}

TEST_F(StoreTest, LimitAndContinueServeAConsistentSnapshotWhileWritesContinue) {
  for (int i = 0; i < 5; ++i)
    mustCreate("w" + std::to_string(i));
  ListOptions lo;
  lo.limit = 2;
  auto p1 = list(lo);
  ASSERT_TRUE(p1) << p1.error().message;
  ASSERT_EQ(p1->items.size(), 2u);
  ASSERT_FALSE(p1->continueToken.empty());
  EXPECT_EQ(p1->remainingItemCount, 3);
  const std::string snapshotRv = p1->resourceVersion;

  ListOptions all;
  all.read = ReadOptions{snapshotRv, RvMatch::Exact};
  auto reference = list(all);
  ASSERT_TRUE(reference);

  // Writes between pages: changes to returned and not yet returned objects, a delete, a create.
  json::object w0 = mustGet("w0");
  w0["spec"].as_object()["color"] = "green";
  mustUpdate(w0);
  json::object w3 = mustGet("w3");
  w3["spec"].as_object()["color"] = "green";
  mustUpdate(w3);
  ASSERT_TRUE(store_->remove("ns1", "w4", DeleteOptions{}));
  mustCreate("w25");

  std::vector<storage::CachedObjectPtr> items = p1->items;
  std::string token = p1->continueToken;
  int pages = 1;
  while (!token.empty()) {
    ListOptions next;
    next.limit = 2;
    next.continueToken = token;
    auto p = list(next);
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->resourceVersion, snapshotRv) << "every page is of the first page's snapshot";
    items.insert(items.end(), p->items.begin(), p->items.end());
    token = p->continueToken;
    if (!token.empty()) {
      EXPECT_TRUE(p->remainingItemCount.has_value());
    }
    ASSERT_LT(++pages, 10);
  }
  EXPECT_EQ(namesOf(items), namesOf(reference->items));
  EXPECT_EQ(pages, 3);
}

TEST_F(StoreTest, ContinueWithAResourceVersionIsRefused) {
  for (int i = 0; i < 3; ++i)
    mustCreate("w" + std::to_string(i));
  ListOptions lo;
  lo.limit = 1;
  auto p1 = list(lo);
  ASSERT_TRUE(p1);
  ListOptions next;
  next.continueToken = p1->continueToken;
  next.read.resourceVersion = p1->resourceVersion;
  auto r = list(next);
  ASSERT_TRUE(failsWith(r, 422, "Invalid",
                        "specifying resource version is not allowed when using continue"));
  ASSERT_TRUE(r.error().details.has_value());
  ASSERT_EQ(r.error().details->causes.size(), 1u);
  EXPECT_EQ(r.error().details->causes[0].field, "resourceVersion");
  EXPECT_EQ(r.error().details->causes[0].reason, "FieldValueForbidden");
  // "0" is allowed with continue (kube ignores it).
  next.read.resourceVersion = "0";
  EXPECT_TRUE(list(next));
}

TEST_F(StoreTest, ContinueWithAResourceVersionIsRefusedAsListOptions) {
  for (int i = 0; i < 3; ++i)
    mustCreate("w" + std::to_string(i));
  ListOptions lo;
  lo.limit = 1;
  auto p1 = list(lo);
  ASSERT_TRUE(p1);
  ListOptions next;
  next.continueToken = p1->continueToken;
  next.read.resourceVersion = p1->resourceVersion;
  auto r = list(next);
  ASSERT_FALSE(r);
  ASSERT_TRUE(r.error().details.has_value());
  EXPECT_EQ(r.error().details->kind, "ListOptions");
  EXPECT_EQ(r.error().details->group, "meta.k8s.io");
  EXPECT_EQ(r.error().message,
            "ListOptions.meta.k8s.io \"\" is invalid: resourceVersion: Forbidden: specifying "
            "resource version is "
            "not allowed when using continue");
}

TEST_F(StoreTest, TamperedContinueTokensAreBadRequests) {
  for (int i = 0; i < 3; ++i)
    mustCreate("w" + std::to_string(i));
  auto token = [](std::string_view json) { return base64Encode(json, /*url=*/true); };
  struct Case {
    std::string name;
    std::string token;
  };
  const std::vector<Case> cases = {
      {"not base64", "!!!not-base64!!!"},
      {"standard alphabet", base64Encode(R"({"v":"meta.k8s.io/v1","rv":2,"start":"ns1/w1>"})")},
      {"not JSON", token("hello")},
      {"JSON but not an object", token("[1,2,3]")},
      {"wrong version", token(R"({"v":"meta.k8s.io/v2","rv":2,"start":"ns1/w1"})")},
      {"no version", token(R"({"rv":2,"start":"ns1/w1"})")},
      {"zero revision", token(R"({"v":"meta.k8s.io/v1","rv":0,"start":"ns1/w1"})")},
      {"revision as a string", token(R"({"v":"meta.k8s.io/v1","rv":"2","start":"ns1/w1"})")},
      {"no start", token(R"({"v":"meta.k8s.io/v1","rv":2})")},
      {"empty start", token(R"({"v":"meta.k8s.io/v1","rv":2,"start":""})")},
      {"start is a number", token(R"({"v":"meta.k8s.io/v1","rv":2,"start":7})")},
      {"path traversal", token(R"({"v":"meta.k8s.io/v1","rv":2,"start":"../secrets/ns1/x"})")},
      {"path traversal inside",
       token(R"({"v":"meta.k8s.io/v1","rv":2,"start":"ns1/../../secrets/x"})")},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ListOptions lo;
    lo.limit = 1;
    lo.continueToken = c.token;
    EXPECT_TRUE(failsWith(list(lo), 400, "BadRequest", "invalid continue token"));
  }
}

TEST_F(StoreTest, AContinueTokenOlderThanTheHistoryIsExpired) {
  makeStore(/*watchCacheSize=*/3);
  for (int i = 0; i < 3; ++i)
    mustCreate("w" + std::to_string(i));
  ListOptions lo;
  lo.limit = 1;
  auto p1 = list(lo);
  ASSERT_TRUE(p1);
  ASSERT_FALSE(p1->continueToken.empty());
  for (int i = 0; i < 5; ++i)
    mustCreate("x" + std::to_string(i));  // pushes p1's revision out

  ListOptions next;
  next.limit = 1;
  next.continueToken = p1->continueToken;
  auto r = list(next);
  ASSERT_TRUE(failsWith(r, 410, "Expired"));
  EXPECT_EQ(r.error().message,
            "The provided continue parameter is too old to display a consistent list result. You "
            "can start a new "
            "list without the continue parameter, or use the continue token in this response to "
            "retrieve the "
            "remainder of the results. Continuing with the provided token results in an "
            "inconsistent list - "
            "objects that were created, modified, or deleted between the time the first chunk was "
            "returned and "
            "now may show up in the list.");

  ListOptions exact;
  exact.read = ReadOptions{p1->resourceVersion, RvMatch::Exact};
  auto old = list(exact);
  ASSERT_TRUE(failsWith(old, 410, "Expired", "too old resource version: " + p1->resourceVersion));
}

TEST_F(StoreTest, ContinueAcrossNamesContainingTwoDots) {
  auto spec = registrytest::widgetSpec();
  spec.nameRule = NameRule::PathSegment;
  makeStore(10000, spec);
  mustCreate("a..b");
  mustCreate("a..c");
  ListOptions lo;
  lo.limit = 1;
  auto p1 = list(lo);
  ASSERT_TRUE(p1) << p1.error().message;
  ListOptions next;
  next.limit = 1;
  next.continueToken = p1->continueToken;
  auto p2 = list(next);
  ASSERT_TRUE(p2) << p2.error().message;
  ASSERT_EQ(p2->items.size(), 1u);
  EXPECT_EQ(p2->items[0]->name(), "a..c");
}

// Every resource's Store shares one backend: after a write to resource B, a consistent read
// (resourceVersion "", what kubectl sends) of resource A must answer at once.
TEST_F(StoreTest, AConsistentReadIsNotBlockedByWritesToAnotherResource) {
  mustCreate("w");
  auto chain = std::make_shared<AdmissionChain>();
  Store::Options o;
  o.clock = std::make_shared<FixedClock>();
  o.admission = chain;
  Store gadgets(registrytest::gadgetSpec(), std::make_shared<Strategy>(), backend_, std::move(o));
  ASSERT_TRUE(gadgets.start());
  ASSERT_TRUE(
      gadgets.create("", json::object{{"metadata", json::object{{"name", "g"}}}}, WriteOptions{}));

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  auto got = store_->get("ns1", "w", ReadOptions{}, deadline);
  EXPECT_TRUE(got) << got.error().message;
  auto listed = store_->list("ns1", ListOptions{}, deadline);
  EXPECT_TRUE(listed) << listed.error().message;
  gadgets.stop();
}

// ---------------------------------------------------------------- update

TEST_F(StoreTest, UpdateWithAndWithoutResourceVersion) {
  json::object w = mustCreate("w");
  const std::int64_t rv1 = rvOf(w);

  // Without resourceVersion: an unconditional update (the strategy allows it).
  json::object body = widget("w", "blue");
  auto u1 = store_->update("ns1", "w", body, false, WriteOptions{});
  ASSERT_TRUE(u1) << u1.error().message;
  EXPECT_FALSE(u1->created);
  const std::int64_t rv2 = rvOf(u1->object);
  EXPECT_GT(rv2, rv1);
  EXPECT_EQ(uidOf(u1->object), uidOf(w)) << "uid carried over";
  EXPECT_EQ(creationTimestampOf(u1->object), kFixedTime);

  // With the current resourceVersion.
  json::object withRv = u1->object;
  withRv["spec"].as_object()["color"] = "green";
  auto u2 = store_->update("ns1", "w", withRv, false, WriteOptions{});
  ASSERT_TRUE(u2) << u2.error().message;
  EXPECT_GT(rvOf(u2->object), rv2);

  // With a stale one: 409 with kube's message; nothing written.
  json::object stale = u1->object;
  stale["spec"].as_object()["color"] = "black";
  const std::int64_t before = backendRevision();
  auto u3 = store_->update("ns1", "w", stale, false, WriteOptions{});
  ASSERT_TRUE(failsWith(
      u3, 409, "Conflict",
      "Operation cannot be fulfilled on widgets.example.com \"w\": the object has been modified; "
      "please apply your changes to the latest version and try again"));
  EXPECT_EQ(backendRevision(), before);
  EXPECT_EQ(stringField(mustGet("w"), "", "spec", "color"), "green");
}

TEST_F(StoreTest, UpdateFailures) {
  mustCreate("w");
  strategy_->unconditionalUpdate = false;
  struct Case {
    std::string name;
    std::string urlName;
    std::function<void(json::object&)> edit;
    int code;
    std::string reason;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"unconditional update not allowed", "w", [](json::object&) {}, 422, "Invalid",
       "metadata.resourceVersion: Invalid value: 0: must be specified for an update"},
      {"name mismatch", "w", [](json::object& o) { metadata(o)["name"] = "other"; }, 400,
       "BadRequest", "the name of the object (other) does not match the name on the URL (w)"},
      {"namespace mismatch", "w", [](json::object& o) { metadata(o)["namespace"] = "ns2"; }, 400,
       "BadRequest", "does not match the namespace sent on the request"},
      {"resourceVersion not a number", "w",
       [](json::object& o) { metadata(o)["resourceVersion"] = "v7"; }, 422, "Invalid",
       "metadata.resourceVersion"},
      {"missing object", "nope",
       [](json::object& o) {
         metadata(o)["name"] = "nope";
         metadata(o)["resourceVersion"] = "2";
       },
       404, "NotFound", "widgets.example.com \"nope\" not found"},
      {"validation", "w",
       [](json::object& o) {
         metadata(o)["resourceVersion"] = "2";
         o["spec"] = json::object{{"color", "red"}, {"size", "big"}};
       },
       422, "Invalid", "spec.size: Invalid value: \"big\""},
      {"immutable field of the strategy", "w",
       [](json::object& o) {
         metadata(o)["resourceVersion"] = "2";
         o["spec"] = json::object{{"color", "red"}, {"shape", "round"}};
       },
       422, "Invalid", "spec.shape: Invalid value: \"round\": field is immutable"},
      {"uid is immutable", "w",
       [](json::object& o) {
         metadata(o)["resourceVersion"] = "2";
         metadata(o)["uid"] = "another";
       },
       422, "Invalid", "metadata.uid"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    json::object body = widget(c.urlName == "nope" ? "nope" : "w");
    c.edit(body);
    const std::int64_t before = backendRevision();
    EXPECT_TRUE(failsWith(store_->update("ns1", c.urlName, body, false, WriteOptions{}), c.code,
                          c.reason, c.message));
    EXPECT_EQ(backendRevision(), before);
  }
}

TEST_F(StoreTest, UpdateWithoutANameInTheBodyIsABadRequest) {
  mustCreate("w");
  json::object body = widget("");
  metadata(body).erase("name");
  EXPECT_TRUE(
      failsWith(store_->update("ns1", "w", body, false, WriteOptions{}), 400, "BadRequest"));
}

TEST_F(StoreTest, UpdateOfAMissingObjectCreatesItWhenTheStrategyAllows) {
  strategy_->createOnUpdate = true;
  auto r = store_->update("ns1", "fresh", widget("fresh"), false, WriteOptions{});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->created);
  EXPECT_EQ(uidOf(r->object).size(), 36u);
  EXPECT_EQ(int64Field(r->object, "metadata", "generation"), 1);
  EXPECT_EQ(namespaceOf(r->object), "ns1");
  EXPECT_TRUE(store_->get("ns1", "fresh", ReadOptions{}, soon()));
}

TEST_F(StoreTest, GenerationChangesOnlyWithTheSpec) {
  json::object w = mustCreate("w");
  EXPECT_EQ(int64Field(w, "metadata", "generation"), 1);

  metadata(w)["labels"] = json::object{{"a", "b"}};
  metadata(w)["annotations"] = json::object{{"note", "x"}};
  w = mustUpdate(w);
  EXPECT_EQ(int64Field(w, "metadata", "generation"), 1) << "metadata changes keep the generation";

  w["spec"].as_object()["color"] = "blue";
  w = mustUpdate(w);
  EXPECT_EQ(int64Field(w, "metadata", "generation"), 2);

  metadata(w)["generation"] = 40;  // a client cannot set it
  w["spec"].as_object()["color"] = "green";
  w = mustUpdate(w);
  EXPECT_EQ(int64Field(w, "metadata", "generation"), 3);

  w["status"] = json::object{{"phase", "Ready"}};
  w = mustUpdate(w, "ns1", /*status=*/true);
  EXPECT_EQ(int64Field(w, "metadata", "generation"), 3) << "a status update keeps the generation";
  EXPECT_EQ(int64Field(mustGet("w"), "metadata", "generation"), 3);
}

TEST_F(StoreTest, KindsThatDoNotTrackGenerationHaveNone) {
  auto spec = registrytest::widgetSpec();
  spec.tracksGeneration = false;  // the core v1 kinds
  makeStore(10000, spec);
  json::object body = widget("w");
  metadata(body)["generation"] = 5;
  json::object w = store_->create("ns1", body, WriteOptions{})->object;
  EXPECT_EQ(field(w, "metadata", "generation"), nullptr);
  w["spec"].as_object()["color"] = "blue";
  w = mustUpdate(w);
  EXPECT_EQ(field(w, "metadata", "generation"), nullptr);
  EXPECT_EQ(field(mustGet("w"), "metadata", "generation"), nullptr);
}

TEST_F(StoreTest, ANoOpUpdateWritesNothing) {
  json::object w = mustCreate("w");
  const std::int64_t before = backendRevision();
  for (bool withRv : {true, false}) {
    SCOPED_TRACE(withRv ? "with resourceVersion" : "without");
    json::object same = w;
    if (!withRv)
      metadata(same).erase("resourceVersion");
    auto r = store_->update("ns1", "w", same, false, WriteOptions{});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(resourceVersionOf(r->object), resourceVersionOf(w));
    EXPECT_EQ(backendRevision(), before);
  }
  auto m = store_->mutate(
      "ns1", "w", [](json::object cur) -> Result<json::object> { return cur; }, false,
      WriteOptions{});
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(resourceVersionOf(m->object), resourceVersionOf(w));
  EXPECT_EQ(backendRevision(), before);
}

TEST_F(StoreTest, StatusUpdateChangesOnlyTheStatus) {
  json::object w = mustCreate("w");
  json::object body = w;
  body["spec"].as_object()["color"] = "purple";
  metadata(body)["labels"] = json::object{{"sneaky", "yes"}};
  body["status"] = json::object{{"phase", "Ready"}};
  auto r = store_->update("ns1", "w", body, /*status=*/true, WriteOptions{});
  ASSERT_TRUE(r) << r.error().message;
  json::object got = mustGet("w");
  EXPECT_EQ(stringField(got, "", "status", "phase"), "Ready");
  EXPECT_EQ(stringField(got, "", "spec", "color"), "red") << "spec is kept";
  EXPECT_EQ(field(got, "metadata", "labels"), nullptr) << "metadata is kept";
  EXPECT_EQ(resourceVersionOf(got), resourceVersionOf(r->object));

  // The status subresource has its own validation.
  json::object badStatus = got;
  badStatus["status"] = json::object{{"phase", 3}};
  EXPECT_TRUE(failsWith(store_->update("ns1", "w", badStatus, true, WriteOptions{}), 422, "Invalid",
                        "status.phase"));
  // And its own conflict check.
  json::object staleStatus = w;
  staleStatus["status"] = json::object{{"phase", "Done"}};
  EXPECT_TRUE(
      failsWith(store_->update("ns1", "w", staleStatus, true, WriteOptions{}), 409, "Conflict"));
}

TEST_F(StoreTest, MainUpdateKeepsTheStatus) {
  json::object w = mustCreate("w");
  w["status"] = json::object{{"phase", "Ready"}};
  w = mustUpdate(w, "ns1", /*status=*/true);

  json::object body = w;
  body["spec"].as_object()["color"] = "blue";
  body["status"] = json::object{{"phase", "Hacked"}};
  json::object updated = mustUpdate(body);
  EXPECT_EQ(stringField(updated, "", "spec", "color"), "blue");
  EXPECT_EQ(stringField(updated, "", "status", "phase"), "Ready");
  json::object noStatus = updated;
  noStatus.erase("status");
  noStatus["spec"].as_object()["color"] = "green";
  EXPECT_EQ(stringField(mustUpdate(noStatus), "", "status", "phase"), "Ready")
      << "a body without status keeps it";
}

TEST_F(StoreTest, WithoutAStatusSubresourceStatusIsPartOfTheObject) {
  auto spec = registrytest::widgetSpec();
  spec.subresources.clear();
  makeStore(10000, spec);
  json::object w = mustCreate("w");
  w["status"] = json::object{{"phase", "Ready"}};
  json::object updated = mustUpdate(w);
  EXPECT_EQ(stringField(updated, "", "status", "phase"), "Ready");
}

TEST_F(StoreTest, MutateRetriesConflictsAndLosesNothing) {
  json::object w = mustCreate("counter");
  constexpr int kThreads = 6;
  constexpr int kIncrements = 40;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        auto r = store_->mutate(
            "ns1", "counter",
            [](json::object cur) -> Result<json::object> {
              auto n = int64Field(cur, "spec", "size").value_or(0);
              cur["spec"].as_object()["size"] = n + 1;
              return cur;
            },
            false, WriteOptions{});
        if (!r)
          failures.fetch_add(1);
      }
    });
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(failures.load(), 0);
  json::object got = mustGet("counter");
  EXPECT_EQ(int64Field(got, "spec", "size"), kThreads * kIncrements);
  EXPECT_EQ(int64Field(got, "metadata", "generation"), 1 + kThreads * kIncrements);
}

TEST_F(StoreTest, MutateRefusesAStaleResourceVersionAndAnErrorAborts) {
  json::object w = mustCreate("w");
  json::object w2 = w;
  w2["spec"].as_object()["color"] = "blue";
  mustUpdate(w2);
  const std::string staleRv(resourceVersionOf(w));
  auto stale = store_->mutate(
      "ns1", "w",
      [&](json::object cur) -> Result<json::object> {
        metadata(cur)["resourceVersion"] = staleRv;
        cur["spec"].as_object()["color"] = "green";
        return cur;
      },
      false, WriteOptions{});
  EXPECT_TRUE(failsWith(stale, 409, "Conflict"));

  auto refused = store_->mutate(
      "ns1", "w",
      [](json::object) -> Result<json::object> { return fail(ApiError::badRequest("nope")); },
      false, WriteOptions{});
  EXPECT_TRUE(failsWith(refused, 400, "BadRequest", "nope"));
  auto missing = store_->mutate(
      "ns1", "nope", [](json::object c) -> Result<json::object> { return c; }, false,
      WriteOptions{});
  EXPECT_TRUE(failsWith(missing, 404, "NotFound"));
}

// ---------------------------------------------------------------- delete

TEST_F(StoreTest, DeleteReturnsTheLastState) {
  json::object w = mustCreate("w");
  auto r = store_->remove("ns1", "w", DeleteOptions{});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(uidOf(r->object), uidOf(w));
  EXPECT_EQ(resourceVersionOf(r->object), resourceVersionOf(w));
  EXPECT_TRUE(failsWith(store_->get("ns1", "w", ReadOptions{}, soon()), 404, "NotFound"));
  EXPECT_TRUE(failsWith(store_->remove("ns1", "w", DeleteOptions{}), 404, "NotFound",
                        "widgets.example.com \"w\" not found"));
}

TEST_F(StoreTest, DeletePreconditions) {
  json::object w = mustCreate("w");
  const std::string uid(uidOf(w));
  const std::string rv(resourceVersionOf(w));
  struct Case {
    std::string name;
    std::optional<std::string> uid;
    std::optional<std::string> rv;
    std::string message;  // empty: succeeds
  };
  const std::vector<Case> cases = {
      {"wrong uid", "not-the-uid", std::nullopt,
       "Operation cannot be fulfilled on widgets.example.com \"w\": Precondition failed: UID in "
       "precondition: "
       "not-the-uid, UID in object meta: " +
           uid},
      {"wrong resourceVersion", std::nullopt, "1",
       "Operation cannot be fulfilled on widgets.example.com \"w\": Precondition failed: "
       "ResourceVersion in "
       "precondition: 1, ResourceVersion in object meta: " +
           rv},
      {"right uid, wrong resourceVersion", uid, "1", "Precondition failed: ResourceVersion"},
      {"both right", uid, rv, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    DeleteOptions d;
    d.preconditionUid = c.uid;
    d.preconditionResourceVersion = c.rv;
    auto r = store_->remove("ns1", "w", d);
    if (c.message.empty()) {
      ASSERT_TRUE(r) << r.error().message;
    } else {
      EXPECT_TRUE(failsWith(r, 409, "Conflict", c.message));
      EXPECT_TRUE(store_->get("ns1", "w", ReadOptions{}, soon())) << "still there";
    }
  }
  EXPECT_TRUE(failsWith(store_->get("ns1", "w", ReadOptions{}, soon()), 404, "NotFound"));
}

// ---------------------------------------------------------------- dry run

TEST_F(StoreTest, DryRunWritesNothing) {
  json::object w = mustCreate("w");
  const std::int64_t before = backendRevision();
  WriteOptions dry;
  dry.dryRun = true;

  auto c = store_->create("ns1", widget("new"), dry);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(c->created);
  EXPECT_EQ(nameOf(c->object), "new");
  EXPECT_EQ(uidOf(c->object).size(), 36u) << "defaulted as for real";
  EXPECT_EQ(resourceVersionOf(c->object), "") << "not stored, so no resourceVersion";
  EXPECT_TRUE(failsWith(store_->get("ns1", "new", ReadOptions{}, soon()), 404, "NotFound"));
  EXPECT_TRUE(failsWith(store_->create("ns1", widget("w"), dry), 409, "AlreadyExists"));
  EXPECT_TRUE(failsWith(store_->create("ns1", widget("bad", ""), dry), 422, "Invalid"))
      << "validated as for real";

  json::object body = w;
  body["spec"].as_object()["color"] = "blue";
  auto u = store_->update("ns1", "w", body, false, dry);
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(stringField(u->object, "", "spec", "color"), "blue");
  EXPECT_EQ(int64Field(u->object, "metadata", "generation"), 2);
  EXPECT_EQ(stringField(mustGet("w"), "", "spec", "color"), "red");

  DeleteOptions del;
  del.write.dryRun = true;
  auto d = store_->remove("ns1", "w", del);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(uidOf(d->object), uidOf(w));
  EXPECT_TRUE(store_->get("ns1", "w", ReadOptions{}, soon()));

  EXPECT_EQ(backendRevision(), before);
}

// ---------------------------------------------------------------- admission

TEST_F(StoreTest, AdmissionSeesTheRightAttributes) {
  UserInfo alice;
  alice.name = "alice";
  WriteOptions wo;
  wo.user = &alice;

  ASSERT_TRUE(store_->create("ns1", widget("w"), wo));
  json::object w = mustGet("w");
  w["spec"].as_object()["color"] = "blue";
  ASSERT_TRUE(store_->update("ns1", "w", w, false, wo));
  json::object st = mustGet("w");
  st["status"] = json::object{{"phase", "Ready"}};
  ASSERT_TRUE(store_->update("ns1", "w", st, true, wo));
  DeleteOptions d;
  d.write = wo;
  d.write.dryRun = true;
  ASSERT_TRUE(store_->remove("ns1", "w", d));

  auto calls = admission_->calls();
  using Call = RecordingAdmission::Call;
  struct Want {
    std::string phase;
    Operation op;
    std::string subresource;
    bool hasObject;
    bool hasOld;
    bool dryRun;
    std::string color;
  };
  const std::vector<Want> want = {
      {"admit", Operation::Create, "", true, false, false, "red"},
      {"validate", Operation::Create, "", true, false, false, "red"},
      {"admit", Operation::Update, "", true, true, false, "blue"},
      {"validate", Operation::Update, "", true, true, false, "blue"},
      {"admit", Operation::Update, "status", true, true, false, "blue"},
      {"validate", Operation::Update, "status", true, true, false, "blue"},
      {"admit", Operation::Delete, "", false, true, true, ""},
      {"validate", Operation::Delete, "", false, true, true, ""},
  };
  ASSERT_EQ(calls.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE("call " + std::to_string(i));
    const Call& c = calls[i];
    EXPECT_EQ(c.phase, want[i].phase);
    EXPECT_EQ(c.operation, want[i].op);
    EXPECT_EQ(c.namespace_, "ns1");
    EXPECT_EQ(c.name, "w");
    EXPECT_EQ(c.subresource, want[i].subresource);
    EXPECT_EQ(c.hasObject, want[i].hasObject);
    EXPECT_EQ(c.hasOld, want[i].hasOld);
    EXPECT_EQ(c.dryRun, want[i].dryRun);
    EXPECT_EQ(c.user, "alice");
    EXPECT_EQ(c.objectColor, want[i].color);
  }
}

TEST_F(StoreTest, AdmissionCanRefuseAndMutate) {
  const std::int64_t before = backendRevision();
  admission_->refuseAdmit = true;
  EXPECT_TRUE(failsWith(store_->create("ns1", widget("w"), WriteOptions{}), 403, "Forbidden",
                        "refused by admit"));
  admission_->refuseAdmit = false;
  admission_->refuseValidate = true;
  EXPECT_TRUE(failsWith(store_->create("ns1", widget("w"), WriteOptions{}), 403, "Forbidden",
                        "refused by validate"));
  EXPECT_EQ(backendRevision(), before) << "a refused write stores nothing";

  admission_->refuseValidate = false;
  admission_->addLabel = true;
  auto c = store_->create("ns1", widget("w"), WriteOptions{});
  ASSERT_TRUE(c);
  EXPECT_EQ(stringField(mustGet("w"), "", "metadata", "labels", "admitted"), "yes");

  admission_->addLabel = false;
  admission_->refuseValidate = true;
  json::object w = mustGet("w");
  w["spec"].as_object()["color"] = "blue";
  EXPECT_TRUE(failsWith(store_->update("ns1", "w", w, false, WriteOptions{}), 403, "Forbidden"));
  EXPECT_TRUE(failsWith(store_->remove("ns1", "w", DeleteOptions{}), 403, "Forbidden"));
  EXPECT_EQ(stringField(mustGet("w"), "", "spec", "color"), "red");
}

// ---------------------------------------------------------------- watch

TEST_F(StoreTest, WatchResourceVersionSemantics) {
  const std::int64_t ra = rvOf(mustCreate("a"));
  mustCreate("b", "blue");
  struct Case {
    std::string name;
    std::string rv;
    std::string labels;
    std::string fields;
    std::size_t initial;  // events available at once
  };
  const std::vector<Case> cases = {
      {"rv empty sends the state first", "", "", "", 2},
      {"rv 0 sends the state first", "0", "", "", 2},
      {"rv N sends changes after N", std::to_string(ra), "", "", 1},
      {"field selector", "0", "", "spec.color=blue", 1},
      {"name selector", "0", "", "metadata.name=a", 1},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    WatchOptions wo{c.rv, c.labels, c.fields};
    auto w = store_->watch("ns1", wo, soon());
    ASSERT_TRUE(w) << w.error().message;
    std::vector<storage::WatchEvent> evs;
    EXPECT_TRUE((*w)->take(evs));
    EXPECT_EQ(evs.size(), c.initial);
    store_->unwatch(*w);
  }
  EXPECT_TRUE(
      failsWith(store_->watch("ns1", WatchOptions{"x", "", ""}, soon()), 400, "BadRequest"));
  EXPECT_TRUE(
      failsWith(store_->watch("ns1", WatchOptions{"0", "a in (", ""}, soon()), 400, "BadRequest"));
}

TEST_F(StoreTest, WatchOfACompactedRevisionIsExpired) {
  makeStore(/*watchCacheSize=*/2);
  const std::int64_t first = rvOf(mustCreate("a"));
  for (int i = 0; i < 4; ++i)
    mustCreate("x" + std::to_string(i));
  auto w = store_->watch("ns1", WatchOptions{std::to_string(first), "", ""}, soon());
  ASSERT_TRUE(failsWith(w, 410, "Expired", "too old resource version: " + std::to_string(first)));
}

}  // namespace
}  // namespace apiserver::registry
