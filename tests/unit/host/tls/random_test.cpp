// randomUuid: the canonical version-4 form, and no repeats across threads.

#include "tls/random.h"

#include <gtest/gtest.h>

#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace apiserver::tls {
namespace {

TEST(RandomUuidTest, IsACanonicalVersion4Uuid) {
  const std::regex form("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  for (int i = 0; i < 1000; ++i) {
    const std::string u = randomUuid();
    ASSERT_TRUE(std::regex_match(u, form)) << u;
  }
}

TEST(RandomUuidTest, NeverRepeatsAcrossThreads) {
  std::mutex mu;
  std::set<std::string> seen;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      std::vector<std::string> mine;
      for (int i = 0; i < 5000; ++i)
        mine.push_back(randomUuid());
      std::lock_guard lock(mu);
      seen.insert(mine.begin(), mine.end());
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(seen.size(), 20000u);
}

}  // namespace
}  // namespace apiserver::tls
