// WatchStream over a Store on MemoryStorage: what each poll hands the session.

#include "endpoints/watch_stream.h"
#include "registry_test_util.h"
#include "storage/memory/memory_storage.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <vector>

namespace apiserver::endpoints {
namespace {

using registry::registrytest::widget;

std::chrono::steady_clock::time_point soon() {
  return std::chrono::steady_clock::now() + std::chrono::seconds(10);
}

class WatchStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry::Store::Options o;
    o.admission = std::make_shared<registry::AdmissionChain>();
    o.clock = std::make_shared<registry::registrytest::FixedClock>();
    store_ = std::make_shared<registry::Store>(
        registry::registrytest::widgetSpec(),
        std::make_shared<registry::registrytest::WidgetStrategy>(),
        std::make_shared<storage::MemoryStorage>(), std::move(o));
    ASSERT_TRUE(store_->start());
    auto w = store_->watch("ns1", registry::WatchOptions{"", "", ""}, soon());
    ASSERT_TRUE(w) << w.error().message;
    stream_ = std::make_unique<WatchStream>(store_, *w, Output{}, nullptr, nullptr);
    stream_->start([this] { ++wakes_; });
  }
  void TearDown() override {
    stream_.reset();
    store_->stop();
  }
  void create(const std::string& name) {
    auto r = store_->create("ns1", widget(name), registry::WriteOptions{});
    ASSERT_TRUE(r) << r.error().message;
  }
  // events polls once and counts the event lines it was handed (prefix, object, suffix each).
  std::size_t events(bool* more = nullptr) {
    std::vector<SharedBytes> out;
    const bool m = stream_->poll(out);
    if (more)
      *more = m;
    std::size_t lines = 0;
    for (const auto& b : out)
      lines += static_cast<std::size_t>(std::count(b->begin(), b->end(), '\n'));
    return lines;
  }

  std::shared_ptr<registry::Store> store_;
  std::unique_ptr<WatchStream> stream_;
  std::atomic<int> wakes_{0};
};

TEST_F(WatchStreamTest, APollAfterEverythingWasTakenWaitsForTheNextWake) {
  create("a");
  EXPECT_GE(wakes_.load(), 1);
  EXPECT_EQ(events(), 1u);
  bool more = false;
  EXPECT_EQ(events(&more), 0u) << "nothing new since the last poll";
  EXPECT_TRUE(more);
  const int before = wakes_.load();
  create("b");
  EXPECT_EQ(wakes_.load(), before + 1) << "a change for a caught-up watcher wakes it";
  EXPECT_EQ(events(), 1u);
}

TEST_F(WatchStreamTest, AFullPollIsFollowedByTheRestWithoutAWake) {
  create("first");
  EXPECT_EQ(events(), 1u);
  for (int i = 0; i < 25; ++i)
    create("w" + std::to_string(i));
  const int wakes = wakes_.load();
  std::size_t total = 0;
  for (std::size_t n; (n = events()) > 0;)
    total += n;
  EXPECT_EQ(total, 25u) << "the batches after a full one come without a new wake-up";
  EXPECT_EQ(wakes_.load(), wakes);
}

TEST_F(WatchStreamTest, TheEventLinesShareTheCachedObject) {
  create("a");
  std::vector<SharedBytes> out;
  ASSERT_TRUE(stream_->poll(out));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(*out[0], R"({"type":"ADDED","object":)");
  EXPECT_EQ(*out[2], "}\n");
  auto got = store_->get("ns1", "a", registry::ReadOptions{}, soon());
  ASSERT_TRUE(got);
  EXPECT_EQ(out[1].get(), (*got)->json.get()) << "the object's bytes are the cache's, not a copy";
}

TEST_F(WatchStreamTest, ACancelledStreamEnds) {
  create("a");
  stream_->cancel();
  bool more = true;
  for (int i = 0; i < 3 && more; ++i)
    events(&more);
  EXPECT_FALSE(more);
}

}  // namespace
}  // namespace apiserver::endpoints
