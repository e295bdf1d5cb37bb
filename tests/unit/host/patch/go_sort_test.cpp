// Go's sort.SliceStable, step for step (patch/go_sort.h).

#include "patch/go_sort.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <utility>
#include <vector>

namespace apiserver::patch::detail {
namespace {

TEST(GoSortTest, MatchesStableSortForAStrictWeakOrder) {
  std::mt19937 rng(42);
  for (std::size_t n : {0u, 1u, 2u, 7u, 20u, 21u, 39u, 40u, 41u, 80u, 81u, 163u, 1000u}) {
    std::vector<std::pair<int, int>> v(n);
    for (std::size_t i = 0; i < n; ++i)
      v[i] = {static_cast<int>(rng() % 10), static_cast<int>(i)};
    auto expected = v;
    std::stable_sort(expected.begin(), expected.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    goSliceStable(
        v.size(), [&](std::size_t i, std::size_t j) { return v[i].first < v[j].first; },
        [&](std::size_t i, std::size_t j) { std::swap(v[i], v[j]); });
    EXPECT_EQ(v, expected) << "n=" << n;
  }
}

TEST(GoSortTest, AlwaysLessReversesLikeGo) {
  // With a comparison that always says "less" (kube's for items missing from the order list),
  // Go's insertion sort and SymMerge reverse the slice.
  for (std::size_t n : {3u, 20u, 21u}) {
    std::vector<int> v(n);
    std::iota(v.begin(), v.end(), 0);
    goSliceStable(
        v.size(), [](std::size_t, std::size_t) { return true; },
        [&](std::size_t i, std::size_t j) { std::swap(v[i], v[j]); });
    std::vector<int> reversed(n);
    std::iota(reversed.rbegin(), reversed.rend(), 0);
    EXPECT_EQ(v, reversed) << "n=" << n;
  }
}

}  // namespace
}  // namespace apiserver::patch::detail
