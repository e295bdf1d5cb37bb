// The watch cache (Cacher) over MemoryStorage with a small JSON decoder.

#include "storage/cacher/cacher.h"
#include "selection/field_selector.h"
#include "selection/label_selector.h"
#include "selection/set.h"
#include "storage/memory/memory_storage.h"
#include "storage_test_util.h"

#include <apiserver/object.h>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

namespace apiserver::storage {
namespace {

namespace json = boost::json;
using storagetest::codeName;
using storagetest::kWaitLimit;

constexpr std::string_view kPrefix = "/registry/widgets/";

std::string widget(std::string_view ns, std::string_view name,
                   std::map<std::string, std::string> labels = {}, std::string_view color = "red") {
  json::object labelObj;
  for (const auto& [k, v] : labels)
    labelObj[k] = v;
  json::object o{
      {"apiVersion", "v1"},
      {"kind", "Widget"},
      {"metadata", json::object{{"name", name}, {"namespace", ns}, {"labels", labelObj}}},
      {"spec", json::object{{"color", color}}}};
  return json::serialize(o);
}

// The decoder a Store would install: parse, stamp resourceVersion, derive labels and fields.
apiserver::Result<CachedObjectPtr> decodeWidget(std::string_view key, const SharedBytes& value,
                                                std::int64_t revision) {
  boost::system::error_code ec;
  json::value v = json::parse(*value, ec);
  if (ec || !v.is_object())
    return fail(ApiError::internal("not a JSON object"));
  json::object& o = v.get_object();
  metadata(o)["resourceVersion"] = std::to_string(revision);
  auto out = std::make_shared<CachedObject>();
  out->key = std::string(key);
  out->revision = revision;
  out->labels = selection::labelsOfObject(o);
  out->fields =
      selection::objectFields(nameOf(o), namespaceOf(o),
                              {{"spec.color", std::string(stringField(o, "", "spec", "color"))}});
  // A Store's decoder derives ownership from ownerReferences, finalizers and a deletion mark;
  // widgets stand for them with a label.
  out->ownership = selection::get(out->labels, "owned") == "true";
  out->json = makeBytes(json::serialize(o));
  return CachedObjectPtr(std::move(out));
}

std::string keyOf(std::string_view ns, std::string_view name) {
  return std::string(kPrefix) + std::string(ns) + "/" + std::string(name);
}

json::object parsed(const CachedObjectPtr& o) {
  return json::parse(*o->json).as_object();
}

std::string labelOf(const CachedObjectPtr& o, const char* k) {
  auto l = selection::get(o->labels, k);
  return std::string(l);
}

Filter filterOf(std::string prefix, std::string_view labelSelector = {},
                std::string_view fieldSelector = {}) {
  Filter f;
  f.prefix = std::move(prefix);
  if (!labelSelector.empty()) {
    auto l = selection::LabelSelector::parse(labelSelector);
    EXPECT_TRUE(l);
    if (l)
      f.labels = *l;
  }
  if (!fieldSelector.empty()) {
    auto s = selection::FieldSelector::parse(fieldSelector);
    EXPECT_TRUE(s);
    if (s)
      f.fields = *s;
  }
  return f;
}

const char* typeName(WatchEventType t) {
  switch (t) {
    case WatchEventType::Added:
      return "ADDED";
    case WatchEventType::Modified:
      return "MODIFIED";
    case WatchEventType::Deleted:
      return "DELETED";
    case WatchEventType::Bookmark:
      return "BOOKMARK";
    case WatchEventType::Error:
      return "ERROR";
  }
  return "?";
}

// "ADDED ns/name@rev" for readable expectations.
std::vector<std::string> describe(const std::vector<WatchEvent>& evs) {
  std::vector<std::string> out;
  for (const auto& e : evs) {
    std::string s = typeName(e.type);
    if (e.object)
      s += " " + std::string(e.object->namespace_()) + "/" + std::string(e.object->name()) + "@" + std::to_string(e.revision);
    out.push_back(std::move(s));
  }
  return out;
}

// "TYPE@rev" for every event, bookmarks included.
std::vector<std::string> timeline(const std::vector<WatchEvent>& evs) {
  std::vector<std::string> out;
  for (const auto& e : evs)
    out.push_back(typeName(e.type) + std::string("@") + std::to_string(e.revision));
  return out;
}

std::vector<std::string> namesOf(const std::vector<CachedObjectPtr>& items) {
  std::vector<std::string> out;
  for (const auto& o : items)
    out.push_back(std::string(o->namespace_()) + "/" + std::string(o->name()) + "@" + std::to_string(o->revision));
  return out;
}

// Consumer side of a CacheWatcher: waits for the wake signal instead of polling.
class Consumer {
 public:
  explicit Consumer(CacheWatcherPtr w) : w_(std::move(w)), state_(std::make_shared<State>()) {
    auto st = state_;
    w_->setWake([st] {
      std::lock_guard lock(st->mu);
      ++st->wakes;
      st->cv.notify_all();
    });
  }
  /// takeAtLeast returns the events taken so far once there are n of them or the watcher ended.
  std::vector<WatchEvent> takeAtLeast(std::size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + kWaitLimit;
    for (;;) {
      long seen;
      {
        std::lock_guard lock(state_->mu);
        seen = state_->wakes;
      }
      alive_ = w_->take(taken_);
      if (taken_.size() >= n || !alive_)
        break;
      std::unique_lock lock(state_->mu);
      if (!state_->cv.wait_until(lock, deadline, [&] { return state_->wakes != seen; }))
        break;
    }
    return taken_;
  }
  bool alive() const { return alive_; }
  long wakes() const {
    std::lock_guard lock(state_->mu);
    return state_->wakes;
  }
  CacheWatcher& watcher() { return *w_; }

 private:
  struct State {
    mutable std::mutex mu;
    std::condition_variable cv;
    long wakes = 0;
  };
  CacheWatcherPtr w_;
  std::shared_ptr<State> state_;
  std::vector<WatchEvent> taken_;
  bool alive_ = true;
};

class CacherTest : public ::testing::Test {
 protected:
  void SetUp() override { backend_ = std::make_shared<MemoryStorage>(); }
  void TearDown() override {
    if (cacher_)
      cacher_->stop();
  }

  // start starts the cache over `backend_`, or over `over` (which writes to `backend_`).
  void start(std::size_t historySize = 100, std::size_t watcherCapacity = 100,
             InterfacePtr over = nullptr) {
    Cacher::Options o;
    o.prefix = std::string(kPrefix);
    o.historySize = historySize;
    o.watcherCapacity = watcherCapacity;
    o.decode = decodeWidget;
    o.logError = [this](std::string_view m) {
      std::lock_guard lock(logMu_);
      logged_.emplace_back(m);
    };
    cacher_ = std::make_unique<Cacher>(over ? over : backend_, std::move(o));
    auto r = cacher_->start();
    ASSERT_TRUE(r) << r.error().message;
  }

  // watchFromNow is a watcher of every widget (matching `labelSelector`) from the current
  // revision on.
  CacheWatcherPtr watchFromNow(std::string_view labelSelector = {}) {
    Cacher::WatchRequest wr;
    wr.filter = filterOf(std::string(kPrefix), labelSelector);
    wr.afterRevision = cacher_->revision();
    auto w = cacher_->watch(wr);
    EXPECT_TRUE(w) << w.error().message;
    return w ? *w : nullptr;
  }

  // Writes through the backend and waits until the cache has seen the write.
  std::int64_t put(std::string_view ns, std::string_view name,
                   std::map<std::string, std::string> labels = {}, std::string_view color = "red") {
    const std::string k = keyOf(ns, name);
    auto cur = backend_->get(k);
    auto r = cur ? backend_->update(k, widget(ns, name, labels, color), cur->modRevision)
                 : backend_->create(k, widget(ns, name, labels, color));
    EXPECT_TRUE(r);
    if (!r)
      return 0;
    if (cacher_)
      settle(*r);
    return *r;
  }
  std::int64_t del(std::string_view ns, std::string_view name) {
    auto r = backend_->remove(keyOf(ns, name), 0);
    EXPECT_TRUE(r);
    if (!r)
      return 0;
    if (cacher_)
      settle(r->revision);
    return r->revision;
  }
  void settle(std::int64_t rev) {
    auto w = cacher_->waitFor(rev, std::chrono::steady_clock::now() + kWaitLimit);
    ASSERT_TRUE(w) << w.error().message;
  }
  Result<Cacher::ListPage> list(const Filter& f, std::int64_t revision = 0, std::int64_t limit = 0,
                                std::string startKey = {}) {
    Cacher::ListRequest req;
    req.filter = &f;
    req.revision = revision;
    req.limit = limit;
    req.startKey = std::move(startKey);
    return cacher_->list(req);
  }

  std::shared_ptr<MemoryStorage> backend_;
  std::unique_ptr<Cacher> cacher_;
  std::mutex logMu_;
  std::vector<std::string> logged_;
};

// ---------------------------------------------------------------- get

TEST_F(CacherTest, StartFillsTheCacheFromTheBackend) {
  put("ns1", "a", {{"app", "x"}});
  put("ns1", "b");
  ASSERT_TRUE(backend_->create("/registry/other/ns1/z", widget("ns1", "z")));  // another resource
  start();
  EXPECT_EQ(cacher_->revision(), *backend_->currentRevision());
  auto a = cacher_->get(keyOf("ns1", "a"));
  ASSERT_TRUE(a);
  EXPECT_EQ((*a)->name(), "a");
  EXPECT_EQ((*a)->namespace_(), "ns1");
  EXPECT_EQ(labelOf(*a, "app"), "x");
  EXPECT_EQ(stringField(parsed(*a), "", "metadata", "resourceVersion"),
            std::to_string((*a)->revision));
  EXPECT_FALSE(cacher_->get("/registry/other/ns1/z"));
}

TEST_F(CacherTest, GetFollowsTheBackend) {
  start();
  const std::int64_t r1 = put("ns1", "a");
  auto a = cacher_->get(keyOf("ns1", "a"));
  ASSERT_TRUE(a);
  EXPECT_EQ((*a)->revision, r1);
  const std::int64_t r2 = put("ns1", "a", {}, "blue");
  a = cacher_->get(keyOf("ns1", "a"));
  ASSERT_TRUE(a);
  EXPECT_EQ((*a)->revision, r2);
  EXPECT_EQ(stringField(parsed(*a), "", "spec", "color"), "blue");
  del("ns1", "a");
  auto gone = cacher_->get(keyOf("ns1", "a"));
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::KeyNotFound);
}

TEST_F(CacherTest, GetAtReadsAPastRevisionFromHistory) {
  start();
  const std::int64_t r1 = put("ns1", "a", {}, "red");
  const std::int64_t r2 = put("ns1", "a", {}, "blue");
  const std::int64_t r3 = del("ns1", "a");

  struct Case {
    std::string name;
    std::int64_t at;
    bool found;
    std::int64_t revision;
  };
  for (const auto& c : std::vector<Case>{{"before create", r1 - 1, false, 0},
                                         {"at create", r1, true, r1},
                                         {"at update", r2, true, r2},
                                         {"at delete", r3, false, 0}}) {
    SCOPED_TRACE(c.name);
    auto got = cacher_->getAt(keyOf("ns1", "a"), c.at);
    ASSERT_EQ(static_cast<bool>(got), c.found) << (got ? "" : got.error().message);
    if (c.found) {
      EXPECT_EQ((*got)->revision, c.revision);
    } else {
      EXPECT_EQ(got.error().code, ErrorCode::KeyNotFound);
    }
  }
  auto future = cacher_->getAt(keyOf("ns1", "a"), r3 + 1);
  ASSERT_FALSE(future);
  EXPECT_EQ(future.error().code, ErrorCode::RevisionTooLarge);
}

TEST_F(CacherTest, UndecodableValuesAreLoggedAndSkipped) {
  ASSERT_TRUE(backend_->create(keyOf("ns1", "bad0"), "not json"));
  start();
  {
    std::lock_guard lock(logMu_);
    ASSERT_EQ(logged_.size(), 1u);
    EXPECT_NE(logged_[0].find("bad0"), std::string::npos) << logged_[0];
  }
  auto rev = backend_->create(keyOf("ns1", "bad1"), "[1,2]");
  ASSERT_TRUE(rev);
  settle(*rev);  // the revision still advances
  EXPECT_FALSE(cacher_->get(keyOf("ns1", "bad0")));
  EXPECT_FALSE(cacher_->get(keyOf("ns1", "bad1")));
  std::lock_guard lock(logMu_);
  EXPECT_EQ(logged_.size(), 2u);
}

// ---------------------------------------------------------------- list

TEST_F(CacherTest, ListFiltersByPrefixLabelsAndFields) {
  start();
  put("ns1", "a", {{"app", "web"}}, "red");
  put("ns1", "b", {{"app", "db"}}, "blue");
  put("ns2", "c", {{"app", "web"}}, "blue");
  const std::int64_t last = put("ns2", "d", {}, "red");

  struct Case {
    std::string name;
    Filter filter;
    std::vector<std::string> want;
  };
  std::vector<Case> cases;
  cases.push_back(
      {"everything", filterOf(std::string(kPrefix)), {"ns1/a", "ns1/b", "ns2/c", "ns2/d"}});
  cases.push_back({"one namespace", filterOf(std::string(kPrefix) + "ns2/"), {"ns2/c", "ns2/d"}});
  cases.push_back({"label", filterOf(std::string(kPrefix), "app=web"), {"ns1/a", "ns2/c"}});
  cases.push_back({"label exists not", filterOf(std::string(kPrefix), "!app"), {"ns2/d"}});
  cases.push_back(
      {"field", filterOf(std::string(kPrefix), "", "spec.color=blue"), {"ns1/b", "ns2/c"}});
  cases.push_back({"label and field",
                   filterOf(std::string(kPrefix) + "ns1/", "app", "spec.color!=blue"),
                   {"ns1/a"}});
  cases.push_back(
      {"field metadata.name", filterOf(std::string(kPrefix), "", "metadata.name=c"), {"ns2/c"}});
  Filter byKey = filterOf(std::string(kPrefix));
  byKey.key = keyOf("ns1", "b");
  cases.push_back({"one key", byKey, {"ns1/b"}});
  Filter missingKey = filterOf(std::string(kPrefix));
  missingKey.key = keyOf("ns1", "zz");
  cases.push_back({"one missing key", missingKey, {}});

  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto page = list(c.filter);
    ASSERT_TRUE(page) << page.error().message;
    std::vector<std::string> got;
    for (const auto& o : page->items)
      got.push_back(std::string(o->namespace_()) + "/" + std::string(o->name()));
    EXPECT_EQ(got, c.want);
    EXPECT_EQ(page->revision, last);
    EXPECT_TRUE(page->nextKey.empty());
  }
}

TEST_F(CacherTest, ListAtAnExactPastRevisionFromHistory) {
  start();
  const std::int64_t r1 = put("ns1", "a");
  const std::int64_t r2 = put("ns1", "b");
  const std::int64_t r3 = put("ns1", "a", {}, "blue");
  const std::int64_t r4 = del("ns1", "b");
  const std::int64_t r5 = put("ns1", "c");
  const Filter all = filterOf(std::string(kPrefix));

  struct Case {
    std::int64_t at;
    std::vector<std::string> want;
  };
  const std::string ns = "ns1/";
  for (const auto& c : std::vector<Case>{
           {r1, {ns + "a@" + std::to_string(r1)}},
           {r2, {ns + "a@" + std::to_string(r1), ns + "b@" + std::to_string(r2)}},
           {r3, {ns + "a@" + std::to_string(r3), ns + "b@" + std::to_string(r2)}},
           {r4, {ns + "a@" + std::to_string(r3)}},
           {r5, {ns + "a@" + std::to_string(r3), ns + "c@" + std::to_string(r5)}},
       }) {
    SCOPED_TRACE("at " + std::to_string(c.at));
    auto page = list(all, c.at);
    ASSERT_TRUE(page) << page.error().message;
    EXPECT_EQ(page->revision, c.at);
    EXPECT_EQ(namesOf(page->items), c.want);
  }
}

TEST_F(CacherTest, ListPagesWithStartKeyLimitNextKeyAndRemaining) {
  start();
  for (const char* n : {"a", "b", "c", "d", "e"})
    put("ns1", n, {{"odd", std::string(n) == "b" || std::string(n) == "d" ? "no" : "yes"}});
  const Filter all = filterOf(std::string(kPrefix));

  auto p1 = list(all, 0, 2);
  ASSERT_TRUE(p1);
  EXPECT_EQ(p1->items.size(), 2u);
  EXPECT_EQ(p1->nextKey, keyOf("ns1", "c"));
  ASSERT_TRUE(p1->remaining.has_value());
  EXPECT_EQ(*p1->remaining, 3);

  auto p2 = list(all, p1->revision, 2, p1->nextKey);
  ASSERT_TRUE(p2);
  EXPECT_EQ(namesOf(p2->items).size(), 2u);
  EXPECT_EQ(p2->items[0]->name(), "c");
  EXPECT_EQ(p2->nextKey, keyOf("ns1", "e"));
  EXPECT_EQ(p2->remaining.value_or(-1), 1);

  auto p3 = list(all, p1->revision, 2, p2->nextKey);
  ASSERT_TRUE(p3);
  ASSERT_EQ(p3->items.size(), 1u);
  EXPECT_EQ(p3->items[0]->name(), "e");
  EXPECT_TRUE(p3->nextKey.empty());
  EXPECT_FALSE(p3->remaining.has_value());

  // With a selector the count of the rest is not reported, and pages hold matching items only.
  const Filter odd = filterOf(std::string(kPrefix), "odd=yes");
  auto s1 = list(odd, 0, 2);
  ASSERT_TRUE(s1);
  ASSERT_EQ(s1->items.size(), 2u);
  EXPECT_EQ(s1->items[1]->name(), "c");
  EXPECT_EQ(s1->nextKey, keyOf("ns1", "e"));
  EXPECT_FALSE(s1->remaining.has_value());
  auto s2 = list(odd, s1->revision, 2, s1->nextKey);
  ASSERT_TRUE(s2);
  ASSERT_EQ(s2->items.size(), 1u);
  EXPECT_TRUE(s2->nextKey.empty());
}

TEST_F(CacherTest, PagesAtTheFirstPagesRevisionStayConsistentWhileWritesContinue) {
  start();
  for (int i = 0; i < 6; ++i)
    put("ns1", "k" + std::to_string(i));
  const Filter all = filterOf(std::string(kPrefix));
  auto first = list(all, 0, 2);
  ASSERT_TRUE(first);
  const auto reference = list(all, first->revision);
  ASSERT_TRUE(reference);

  put("ns1", "k0", {}, "green");  // already returned
  put("ns1", "k3", {}, "green");  // not yet returned
  del("ns1", "k4");
  put("ns1", "k35");  // created between pages

  std::vector<CachedObjectPtr> all_items = first->items;
  std::string next = first->nextKey;
  while (!next.empty()) {
    auto p = list(all, first->revision, 2, next);
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->revision, first->revision);
    all_items.insert(all_items.end(), p->items.begin(), p->items.end());
    next = p->nextKey;
  }
  EXPECT_EQ(namesOf(all_items), namesOf(reference->items));
}

TEST_F(CacherTest, RevisionsOutsideTheHistoryWindowAreCompacted) {
  start(/*historySize=*/3);
  const std::int64_t startRev = cacher_->revision();
  std::vector<std::int64_t> revs;
  for (int i = 0; i < 6; ++i)
    revs.push_back(put("ns1", "k" + std::to_string(i)));
  const Filter all = filterOf(std::string(kPrefix));

  // History holds the last three changes: the state after revs[2] is the oldest rebuildable.
  EXPECT_TRUE(list(all, revs[2]));
  for (std::int64_t old : {startRev, revs[0], revs[1]}) {
    SCOPED_TRACE(old);
    auto page = list(all, old);
    ASSERT_FALSE(page);
    EXPECT_EQ(page.error().code, ErrorCode::Compacted) << codeName(page.error().code);
    auto one = cacher_->getAt(keyOf("ns1", "k0"), old);
    ASSERT_FALSE(one);
    EXPECT_EQ(one.error().code, ErrorCode::Compacted);
    Cacher::WatchRequest wr;
    wr.filter = all;
    wr.afterRevision = old;
    auto w = cacher_->watch(wr);
    ASSERT_FALSE(w);
    EXPECT_EQ(w.error().code, ErrorCode::Compacted);
  }
  auto future = list(all, cacher_->revision() + 1);
  ASSERT_FALSE(future);
  EXPECT_EQ(future.error().code, ErrorCode::RevisionTooLarge);
}

// ---------------------------------------------------------------- watch

TEST_F(CacherTest, WatchWithInitialEventsSendsAddedForEveryMatchingObjectThenChanges) {
  start();
  const std::int64_t ra = put("ns1", "a", {{"app", "web"}});
  put("ns1", "b", {{"app", "db"}});
  const std::int64_t rc = put("ns2", "c", {{"app", "web"}});
  Cacher::WatchRequest wr;
  wr.filter = filterOf(std::string(kPrefix), "app=web");
  wr.initialEvents = true;
  auto w = cacher_->watch(wr);
  ASSERT_TRUE(w) << w.error().message;
  Consumer c(*w);
  const std::int64_t rd = put("ns1", "d", {{"app", "web"}});
  put("ns1", "e", {{"app", "db"}});
  const std::int64_t ra2 = put("ns1", "a", {{"app", "web"}}, "blue");
  auto evs = c.takeAtLeast(4);
  EXPECT_EQ(describe(evs), (std::vector<std::string>{
                               "ADDED ns1/a@" + std::to_string(ra),
                               "ADDED ns2/c@" + std::to_string(rc),
                               "ADDED ns1/d@" + std::to_string(rd),
                               "MODIFIED ns1/a@" + std::to_string(ra2),
                           }));
  EXPECT_TRUE(c.alive());
  EXPECT_EQ(cacher_->watcherCount(), 1u);
}

TEST_F(CacherTest, WatchFromARevisionReplaysHistoryInOrder) {
  start();
  const std::int64_t r1 = put("ns1", "a");
  const std::int64_t r2 = put("ns1", "b");
  const std::int64_t r3 = put("ns1", "a", {}, "blue");
  const std::int64_t r4 = del("ns1", "b");
  Cacher::WatchRequest wr;
  wr.filter = filterOf(std::string(kPrefix));
  wr.afterRevision = r1;
  auto w = cacher_->watch(wr);
  ASSERT_TRUE(w) << w.error().message;
  Consumer c(*w);
  const std::int64_t r5 = put("ns1", "c");
  auto evs = c.takeAtLeast(4);
  EXPECT_EQ(describe(evs), (std::vector<std::string>{
                               "ADDED ns1/b@" + std::to_string(r2),
                               "MODIFIED ns1/a@" + std::to_string(r3),
                               "DELETED ns1/b@" + std::to_string(r4),
                               "ADDED ns1/c@" + std::to_string(r5),
                           }));
}

TEST_F(CacherTest, WatchFromTheNextRevisionWaitsForIt) {
  start();
  const std::int64_t cur = put("ns1", "a");
  Cacher::WatchRequest wr;
  wr.filter = filterOf(std::string(kPrefix));
  wr.afterRevision = cur + 1;  // not reached yet: the watch waits (bounded) for it
  std::thread writer([&] {
    auto r = backend_->create(keyOf("ns1", "b"), widget("ns1", "b"));
    EXPECT_TRUE(r);
  });
  auto w = cacher_->watch(wr);
  writer.join();
  ASSERT_TRUE(w) << w.error().message;
  Consumer c(*w);
  const std::int64_t r3 = put("ns1", "c");
  auto evs = c.takeAtLeast(1);
  EXPECT_EQ(describe(evs), (std::vector<std::string>{"ADDED ns1/c@" + std::to_string(r3)}));
}

TEST_F(CacherTest, SelectorTransitionsBecomeAddedAndDeleted) {
  start();
  put("ns1", "a", {{"app", "web"}});
  Cacher::WatchRequest wr;
  wr.filter = filterOf(std::string(kPrefix), "app=web");
  wr.afterRevision = cacher_->revision();
  auto w = cacher_->watch(wr);
  ASSERT_TRUE(w);
  Consumer c(*w);
  const std::int64_t out = put("ns1", "a", {{"app", "db"}});  // stops matching
  put("ns1", "a", {{"app", "db"}}, "blue");                   // still not matching
  const std::int64_t in = put("ns1", "a", {{"app", "web"}});  // matches again
  const std::int64_t mod = put("ns1", "a", {{"app", "web"}}, "green");
  auto evs = c.takeAtLeast(3);
  EXPECT_EQ(describe(evs), (std::vector<std::string>{
                               "DELETED ns1/a@" + std::to_string(out),
                               "ADDED ns1/a@" + std::to_string(in),
                               "MODIFIED ns1/a@" + std::to_string(mod),
                           }));
}

TEST_F(CacherTest,
       ObjectThatStopsMatchingIsDeletedWithItsPreviousContentAtTheEventRevision) {
  start();
  put("ns1", "a", {{"app", "web"}}, "red");
  Cacher::WatchRequest wr;
  wr.filter = filterOf(std::string(kPrefix), "app=web");
  wr.afterRevision = cacher_->revision();
  auto w = cacher_->watch(wr);
  ASSERT_TRUE(w);
  Consumer c(*w);
  const std::int64_t out = put("ns1", "a", {{"app", "db"}}, "blue");
  auto evs = c.takeAtLeast(1);
  ASSERT_EQ(evs.size(), 1u);
  ASSERT_EQ(evs[0].type, WatchEventType::Deleted);
  EXPECT_EQ(evs[0].revision, out);
  EXPECT_EQ(evs[0].object->revision, out);
  EXPECT_EQ(labelOf(evs[0].object, "app"), "web") << "the previous content";
  auto o = parsed(evs[0].object);
  EXPECT_EQ(stringField(o, "", "spec", "color"), "red");
  EXPECT_EQ(stringField(o, "", "metadata", "resourceVersion"), std::to_string(out));
}

TEST_F(CacherTest, DeletesAreDeliveredAtTheDeletionRevisionWithTheLastState) {
  start();
  const std::int64_t before = put("ns1", "a", {{"app", "web"}}, "red");
  const std::int64_t last = put("ns1", "a", {{"app", "web"}}, "blue");
  Cacher::WatchRequest live;
  live.filter = filterOf(std::string(kPrefix), "app=web");
  live.afterRevision = last;
  auto w = cacher_->watch(live);
  ASSERT_TRUE(w);
  Consumer c(*w);
  const std::int64_t gone = del("ns1", "a");

  // And the same from history.
  Cacher::WatchRequest replay = live;
  replay.afterRevision = before;
  auto w2 = cacher_->watch(replay);
  ASSERT_TRUE(w2);
  Consumer c2(*w2);

  auto evs = c.takeAtLeast(1);
  auto evs2 = c2.takeAtLeast(2);
  ASSERT_EQ(evs.size(), 1u);
  ASSERT_EQ(evs2.size(), 2u);
  for (const auto* e : {&evs[0], &evs2[1]}) {
    EXPECT_EQ(e->type, WatchEventType::Deleted);
    EXPECT_EQ(e->revision, gone);
    ASSERT_TRUE(e->object);
    EXPECT_EQ(e->object->revision, gone);
    auto o = parsed(e->object);
    EXPECT_EQ(stringField(o, "", "metadata", "resourceVersion"), std::to_string(gone));
    EXPECT_EQ(stringField(o, "", "spec", "color"), "blue");
    EXPECT_EQ(labelOf(e->object, "app"), "web");
  }
}

TEST_F(CacherTest, AWatcherThatOverflowsIsEndedWithExpired) {
  start(/*historySize=*/100, /*watcherCapacity=*/2);
  auto w = watchFromNow();
  ASSERT_TRUE(w);
  Consumer c(w);
  put("ns1", "a");
  put("ns1", "b");
  EXPECT_FALSE(w->stopped());
  put("ns1", "c");  // the third unconsumed event overflows
  EXPECT_TRUE(w->stopped());
  std::vector<WatchEvent> out;
  EXPECT_FALSE(w->take(out));
  auto err = w->endError();
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->code, 410);
  EXPECT_EQ(err->reason, "Expired");
  EXPECT_GE(c.wakes(), 1) << "the consumer is woken to see the end";
  // It receives nothing more.
  put("ns1", "d");
  out.clear();
  EXPECT_FALSE(w->take(out));
  EXPECT_TRUE(out.empty());
}

TEST_F(CacherTest, AnOverflowedWatcherIsDroppedAtOnce) {
  start(/*historySize=*/100, /*watcherCapacity=*/1);
  auto w = watchFromNow();
  ASSERT_TRUE(w);
  put("ns1", "a");
  put("ns1", "b");
  ASSERT_TRUE(w->stopped());
  EXPECT_EQ(cacher_->watcherCount(), 0u);
}

// The initial events of a snapshot, and changes replayed from the history for a watch from an
// old revision, do not count against the watcher's capacity (only against the history).
TEST_F(CacherTest, NeitherInitialEventsNorAReplayCountAgainstCapacity) {
  start(/*historySize=*/100, /*watcherCapacity=*/1);
  const std::int64_t from = cacher_->revision();
  for (int i = 0; i < 5; ++i)
    put("ns1", "k" + std::to_string(i));
  Cacher::WatchRequest snapshot;
  snapshot.filter = filterOf(std::string(kPrefix));
  snapshot.initialEvents = true;
  Cacher::WatchRequest replay;
  replay.filter = filterOf(std::string(kPrefix));
  replay.afterRevision = from;
  std::vector<std::unique_ptr<Consumer>> consumers;
  for (const auto* wr : {&snapshot, &replay}) {
    auto w = cacher_->watch(*wr);
    ASSERT_TRUE(w);
    consumers.push_back(std::make_unique<Consumer>(*w));
  }
  put("ns1", "k5");
  for (auto& c : consumers) {
    EXPECT_EQ(c->takeAtLeast(6).size(), 6u);
    EXPECT_TRUE(c->alive());
  }
}

// A watcher reads from the cache's history: one that has fallen behind takes its events a batch at
// a time, in order, with no new wake-up needed for the rest.
TEST_F(CacherTest, ABehindWatcherTakesItsEventsABatchAtATime) {
  start();
  auto w = watchFromNow();
  ASSERT_TRUE(w);
  Consumer c(w);
  std::vector<std::string> want;
  for (int i = 0; i < 7; ++i) {
    const std::string name = "k" + std::to_string(i);
    want.push_back("ADDED ns1/" + name + "@" + std::to_string(put("ns1", name)));
  }
  const long wakes = c.wakes();
  std::vector<WatchEvent> got;
  std::vector<std::size_t> sizes;
  for (int round = 0; round < 5; ++round) {
    const std::size_t before = got.size();
    EXPECT_TRUE(w->take(got, 3));
    sizes.push_back(got.size() - before);
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{3, 3, 1, 0, 0}));
  EXPECT_EQ(describe(got), want);
  EXPECT_EQ(c.wakes(), wakes) << "taking the rest needs no new wake-up";
  // Caught up: the next change wakes it again.
  const std::int64_t r = put("ns1", "later");
  EXPECT_GT(c.wakes(), wakes);
  got.clear();
  EXPECT_TRUE(w->take(got, 3));
  EXPECT_EQ(describe(got), (std::vector<std::string>{"ADDED ns1/later@" + std::to_string(r)}));
}

/// MergingBackend holds its watcher's events from hold() until release(), which delivers them as
/// one notification at the last one's revision: writes that share a revision, as the creates
/// etcd3 sends in one Txn do. One watcher (the cache); writes from the test's thread only.
class MergingBackend final : public storagetest::ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  Result<std::unique_ptr<Watch>> watch(std::string_view prefix, std::int64_t after,
                                       WatchCallback cb) override {
    cb_ = std::move(cb);
    return inner_->watch(prefix, after, [this](WatchNotification&& n) {
      if (!holding_)
        return cb_(std::move(n));
      for (auto& e : n.events)
        held_.push_back(std::move(e));
    });
  }
  void hold() { holding_ = true; }
  void release() {
    holding_ = false;
    WatchNotification n;
    n.events = std::move(held_);
    const std::int64_t rev = n.events.back().revision;
    for (auto& e : n.events)
      e.revision = e.createRevision = rev;
    cb_(std::move(n));
  }

 private:
  WatchCallback cb_;
  bool holding_ = false;
  std::vector<Event> held_;
};

// A take that reaches its most goes on to the end of the revision it is in: a watch stream that
// ends between two takes (its timeout) never ends inside a revision, so a client that resumes
// after the last revision it saw misses none of that revision's events.
TEST_F(CacherTest, ATakeNeverEndsInsideARevision) {
  auto merging = std::make_shared<MergingBackend>(backend_);
  start(100, 100, merging);
  auto w = watchFromNow();
  ASSERT_TRUE(w);
  merging->hold();
  for (int i = 0; i < 5; ++i) {
    const std::string name = "k" + std::to_string(i);
    ASSERT_TRUE(backend_->create(keyOf("ns1", name), widget("ns1", name)));
  }
  merging->release();
  const std::int64_t shared = cacher_->revision();
  const std::int64_t next = put("ns1", "later");
  std::vector<WatchEvent> got;
  EXPECT_TRUE(w->take(got, 2));
  ASSERT_EQ(got.size(), 5u) << "the take stopped inside revision " << shared;
  for (const auto& e : got)
    EXPECT_EQ(e.revision, shared);
  got.clear();
  EXPECT_TRUE(w->take(got, 2));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got.front().revision, next);
}

// A watcher of some objects is not behind when other objects change, however many times.
// The garbage collector's watch (Filter::ownershipOnly): objects with ownership metadata, the
// changes of objects that have it or had it, and every delete. A plain create or update does not
// wake it.
TEST_F(CacherTest, AnOwnershipOnlyWatcherIsNotWokenByPlainCreatesAndUpdates) {
  start();
  put("ns1", "plain");
  const std::int64_t owned = put("ns1", "owned", {{"owned", "true"}});
  Cacher::WatchRequest wr;
  wr.filter = filterOf(std::string(kPrefix));
  wr.filter.ownershipOnly = true;
  wr.initialEvents = true;
  auto w = cacher_->watch(wr);
  ASSERT_TRUE(w);
  Consumer c(*w);
  EXPECT_EQ(describe(c.takeAtLeast(1)),
            (std::vector<std::string>{"ADDED ns1/owned@" + std::to_string(owned)}));
  const long wakes = c.wakes();
  put("ns1", "plain", {}, "blue");
  put("ns1", "new");
  EXPECT_EQ(c.wakes(), wakes) << "a plain update and a plain create";
  const std::int64_t gains = put("ns1", "plain", {{"owned", "true"}});
  const std::int64_t loses = put("ns1", "plain", {}, "green");
  put("ns1", "plain", {}, "red");
  const std::int64_t gone = del("ns1", "new");
  EXPECT_EQ(describe(c.takeAtLeast(4)), (std::vector<std::string>{
                                            "ADDED ns1/owned@" + std::to_string(owned),
                                            "MODIFIED ns1/plain@" + std::to_string(gains),
                                            "MODIFIED ns1/plain@" + std::to_string(loses),
                                            "DELETED ns1/new@" + std::to_string(gone),
                                        }));
}

TEST_F(CacherTest, AWatcherOfOtherObjectsNeverFallsBehind) {
  start(/*historySize=*/4, /*watcherCapacity=*/2);
  auto w = watchFromNow("app=web");
  ASSERT_TRUE(w);
  Consumer c(w);
  for (int i = 0; i < 20; ++i)
    put("ns1", "other", {{"i", std::to_string(i)}});
  EXPECT_FALSE(w->stopped());
  EXPECT_EQ(c.wakes(), 0) << "nothing concerned it";
  const std::int64_t r = put("ns1", "web", {{"app", "web"}});
  EXPECT_EQ(describe(c.takeAtLeast(1)),
            (std::vector<std::string>{"ADDED ns1/web@" + std::to_string(r)}));
  EXPECT_TRUE(c.alive());
}

// A watcher that does not read is ended when its own unread events exceed its capacity (what
// kube's watcher buffer holds), however many other changes pass meanwhile.
TEST_F(CacherTest, AWatcherIsEndedByItsOwnUnreadEventsNotByOtherChanges) {
  start(/*historySize=*/100, /*watcherCapacity=*/2);
  auto w = watchFromNow("app=web");
  ASSERT_TRUE(w);
  put("ns1", "web1", {{"app", "web"}});  // its first unread event: now it is behind
  for (int i = 0; i < 10; ++i)
    put("ns1", "other", {{"i", std::to_string(i)}});
  EXPECT_FALSE(w->stopped()) << "11 changes behind, but one event unread";
  put("ns1", "web2", {{"app", "web"}});
  EXPECT_FALSE(w->stopped()) << "two unread events: its capacity";
  // Reading one makes room for one more.
  std::vector<WatchEvent> got;
  EXPECT_TRUE(w->take(got, 1));
  put("ns1", "web3", {{"app", "web"}});
  EXPECT_FALSE(w->stopped());
  put("ns1", "web4", {{"app", "web"}});
  EXPECT_TRUE(w->stopped()) << "three unread events";
  ASSERT_TRUE(w->endError().has_value());
  EXPECT_EQ(w->endError()->code, 410);
}

// A watcher whose unread changes leave the history is ended, even within its capacity.
TEST_F(CacherTest, AWatcherLeftBehindByTheHistoryIsEnded) {
  start(/*historySize=*/3, /*watcherCapacity=*/100);
  auto w = watchFromNow();
  ASSERT_TRUE(w);
  for (int i = 0; i < 3; ++i)
    put("ns1", "k" + std::to_string(i));
  EXPECT_FALSE(w->stopped());
  put("ns1", "k3");  // the first unread change leaves the history
  EXPECT_TRUE(w->stopped());
  std::vector<WatchEvent> out;
  EXPECT_FALSE(w->take(out));
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(w->endError().has_value());
  EXPECT_EQ(w->endError()->code, 410);
  EXPECT_EQ(cacher_->watcherCount(), 0u);
}

// A bookmark is delivered after every change it covers, however far behind the watcher is, and
// only to watchers that asked for bookmarks.
TEST_F(CacherTest, ABookmarkComesAfterTheChangesItCovers) {
  start();
  Cacher::WatchRequest wr;
  wr.filter = filterOf(std::string(kPrefix));
  wr.afterRevision = cacher_->revision();
  wr.bookmarks = true;
  auto w = cacher_->watch(wr);
  Cacher::WatchRequest plain = wr;
  plain.bookmarks = false;
  auto quiet = cacher_->watch(plain);
  ASSERT_TRUE(w && quiet);
  Consumer c(*w);
  Consumer q(*quiet);
  put("ns1", "a");
  const std::int64_t rb = put("ns1", "b");
  cacher_->sendBookmarks();
  const std::int64_t rc = put("ns1", "c");
  std::vector<WatchEvent> got;
  EXPECT_TRUE((*w)->take(got, 1));
  EXPECT_TRUE((*w)->take(got, 10));  // the bookmark falls inside this take
  EXPECT_EQ(timeline(got), (std::vector<std::string>{
                               "ADDED@" + std::to_string(rb - 1), "ADDED@" + std::to_string(rb),
                               "BOOKMARK@" + std::to_string(rb), "ADDED@" + std::to_string(rc)}));
  // Taken all at once, the same order.
  std::vector<WatchEvent> again;
  Cacher::WatchRequest fromStart = wr;
  fromStart.afterRevision = rb - 2;
  auto w2 = cacher_->watch(fromStart);
  ASSERT_TRUE(w2);
  cacher_->sendBookmarks();
  EXPECT_TRUE((*w2)->take(again));
  EXPECT_EQ(timeline(again), (std::vector<std::string>{
                                 "ADDED@" + std::to_string(rb - 1), "ADDED@" + std::to_string(rb),
                                 "ADDED@" + std::to_string(rc), "BOOKMARK@" + std::to_string(rc)}));
  EXPECT_EQ(describe(q.takeAtLeast(3)).size(), 3u);
  std::vector<WatchEvent> none;
  EXPECT_TRUE((*quiet)->take(none));
  EXPECT_TRUE(none.empty()) << "no bookmark for a watcher that did not ask";
}

TEST_F(CacherTest, UnwatchEndsTheWatcherAndRemovesIt) {
  start();
  Cacher::WatchRequest wr;
  wr.filter = filterOf(std::string(kPrefix));
  wr.afterRevision = cacher_->revision();
  auto w1 = cacher_->watch(wr);
  auto w2 = cacher_->watch(wr);
  ASSERT_TRUE(w1 && w2);
  EXPECT_EQ(cacher_->watcherCount(), 2u);
  cacher_->unwatch(*w1);
  EXPECT_EQ(cacher_->watcherCount(), 1u);
  EXPECT_TRUE((*w1)->stopped());
  EXPECT_FALSE((*w1)->endError().has_value()) << "a normal stop carries no error";
  put("ns1", "a");
  std::vector<WatchEvent> out;
  EXPECT_FALSE((*w1)->take(out));
  EXPECT_TRUE(out.empty());
  Consumer c2(*w2);
  EXPECT_EQ(c2.takeAtLeast(1).size(), 1u);
  cacher_->unwatch(*w1);  // twice is fine
  EXPECT_EQ(cacher_->watcherCount(), 1u);
}

TEST_F(CacherTest, WatchOfOneKeySeesOnlyThatObject) {
  start();
  Cacher::WatchRequest wr;
  wr.filter = filterOf(std::string(kPrefix));
  wr.filter.key = keyOf("ns1", "b");
  wr.initialEvents = true;
  put("ns1", "a");
  const std::int64_t rb = put("ns1", "b");
  put("ns1", "bb");
  auto w = cacher_->watch(wr);
  ASSERT_TRUE(w);
  Consumer c(*w);
  put("ns1", "a", {}, "blue");
  put("ns1", "bb", {}, "blue");
  const std::int64_t rb2 = put("ns1", "b", {}, "blue");
  EXPECT_EQ(describe(c.takeAtLeast(2)),
            (std::vector<std::string>{"ADDED ns1/b@" + std::to_string(rb),
                                      "MODIFIED ns1/b@" + std::to_string(rb2)}));
}

// ---------------------------------------------------------------- waiting and stopping

TEST_F(CacherTest, WaitForTimesOut) {
  start();
  const auto t0 = std::chrono::steady_clock::now();
  auto r = cacher_->waitFor(cacher_->revision() + 100, t0 + std::chrono::milliseconds(30));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::Timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, kWaitLimit);
  EXPECT_TRUE(cacher_->waitFor(cacher_->revision(), t0));  // reached: no waiting at all
}

TEST_F(CacherTest, WaitFreshReturnsOnceTheCacheHasTheLatestWrite) {
  start();
  auto rev = backend_->create(keyOf("ns1", "a"), widget("ns1", "a"));
  ASSERT_TRUE(rev);
  auto r = cacher_->waitFresh(std::chrono::steady_clock::now() + kWaitLimit);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_GE(cacher_->revision(), *rev);
  EXPECT_TRUE(cacher_->get(keyOf("ns1", "a")));
}

// Every Store shares one backend: a consistent read of a quiet resource must not wait for a write
// to another resource to show up in its cache (it learns the revision from progress
// notifications).
TEST_F(CacherTest, WaitFreshIsNotBlockedByWritesToOtherResources) {
  start();
  put("ns1", "a");
  ASSERT_TRUE(backend_->create("/registry/gadgets/ns1/x", "{}"));
  auto r = cacher_->waitFresh(std::chrono::steady_clock::now() + std::chrono::milliseconds(500));
  EXPECT_TRUE(r) << r.error().message;
}

TEST_F(CacherTest, StopEndsEveryWatcherAndRefusesNewOnes) {
  start();
  auto w = watchFromNow();
  ASSERT_TRUE(w);
  Consumer c(w);

  std::atomic<bool> waiterDone{false};
  Result<void> waited;
  std::thread waiter([&] {
    waited =
        cacher_->waitFor(cacher_->revision() + 1000, std::chrono::steady_clock::now() + kWaitLimit);
    waiterDone.store(true);
  });
  cacher_->stop();
  waiter.join();
  EXPECT_TRUE(waiterDone.load());
  ASSERT_FALSE(waited);
  EXPECT_EQ(waited.error().code, ErrorCode::Unreachable);

  c.takeAtLeast(1);
  EXPECT_FALSE(c.alive());
  auto err = w->endError();
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->code, 503);
  EXPECT_EQ(cacher_->watcherCount(), 0u);

  auto again = cacher_->watch(Cacher::WatchRequest{filterOf(std::string(kPrefix))});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::Unreachable);
  cacher_->stop();  // idempotent
}

TEST_F(CacherTest, ConcurrentWritersAndWatchersSeeEveryChangeOnce) {
  start(/*historySize=*/100000, /*watcherCapacity=*/100000);
  constexpr int kWriters = 3;
  constexpr int kWrites = 150;
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; ++t)
    writers.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        const std::string k = keyOf("ns1", "w" + std::to_string(t));
        auto cur = backend_->get(k);
        auto r = cur ? backend_->update(
                           k, widget("ns1", "w" + std::to_string(t), {{"i", std::to_string(i)}}),
                           cur->modRevision)
                     : backend_->create(k, widget("ns1", "w" + std::to_string(t)));
        EXPECT_TRUE(r);
      }
    });
  std::vector<std::pair<std::int64_t, std::unique_ptr<Consumer>>> consumers;
  for (int i = 0; i < 10; ++i) {
    Cacher::WatchRequest wr;
    wr.filter = filterOf(std::string(kPrefix));
    wr.afterRevision = cacher_->revision();
    auto w = cacher_->watch(wr);
    ASSERT_TRUE(w) << w.error().message;
    consumers.emplace_back(wr.afterRevision, std::make_unique<Consumer>(*w));
  }
  for (auto& t : writers)
    t.join();
  const std::int64_t final = *backend_->currentRevision();
  settle(final);
  const std::int64_t first = final - kWriters * kWrites + 1;
  for (auto& [after, c] : consumers) {
    const std::size_t want = static_cast<std::size_t>(final - std::max(after, first - 1));
    auto evs = c->takeAtLeast(want);
    ASSERT_EQ(evs.size(), want) << "watcher after " << after;
    for (std::size_t i = 0; i < evs.size(); ++i)
      EXPECT_EQ(evs[i].revision, std::max(after, first - 1) + 1 + static_cast<std::int64_t>(i));
  }
}

// Watchers read the shared history from their own threads while a writer keeps changing it: each
// sees every event of its selector in order, and an object that stops matching is reported
// DELETED in one state shared by every watcher (made once, by whichever reader came first).
TEST_F(CacherTest, ConsumersReadTheHistoryConcurrentlyWhileWritesContinue) {
  start(/*historySize=*/1000, /*watcherCapacity=*/1000);
  constexpr int kWatchers = 4;
  constexpr int kWrites = 200;
  std::vector<CacheWatcherPtr> watchers;
  for (int i = 0; i < kWatchers; ++i) {
    Cacher::WatchRequest wr;
    wr.filter = filterOf(std::string(kPrefix), "app=web");
    wr.afterRevision = cacher_->revision();
    auto w = cacher_->watch(wr);
    ASSERT_TRUE(w) << w.error().message;
    watchers.push_back(*w);
  }
  // Writes 1, 3, 5, ... match (app=web): ADDED; writes 2, 4, ... do not: DELETED.
  std::thread writer([&] {
    for (int i = 0; i < kWrites; ++i)
      put("ns1", "x", {{"app", i % 2 == 1 ? "web" : "db"}, {"i", std::to_string(i)}});
  });
  const std::size_t want = kWrites - 1;
  std::vector<std::vector<WatchEvent>> seen(kWatchers);
  std::vector<std::thread> readers;
  for (int r = 0; r < kWatchers; ++r)
    readers.emplace_back([&, r] {
      const auto deadline = std::chrono::steady_clock::now() + kWaitLimit;
      while (seen[r].size() < want && std::chrono::steady_clock::now() < deadline) {
        if (!watchers[r]->take(seen[r], 3))
          return;
        std::this_thread::yield();
      }
    });
  writer.join();
  for (auto& t : readers)
    t.join();
  for (int r = 0; r < kWatchers; ++r) {
    ASSERT_EQ(seen[r].size(), want) << "watcher " << r;
    for (std::size_t i = 0; i < want; ++i) {
      EXPECT_EQ(seen[r][i].type, i % 2 == 0 ? WatchEventType::Added : WatchEventType::Deleted);
      if (i > 0) {
        EXPECT_GT(seen[r][i].revision, seen[r][i - 1].revision);
      }
      EXPECT_EQ(seen[r][i].object, seen[0][i].object) << "one state per change, shared";
    }
  }
}

}  // namespace
}  // namespace apiserver::storage
