// A log-linear latency histogram in the manner of HdrHistogram: values (nanoseconds) are counted
// in buckets whose width is 1/64 of their magnitude, so every percentile is exact to within 1.6%
// over the whole range from 1 ns to hours, in a fixed 30 KiB. Not thread-safe: each thread
// records into its own and the results are merged.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include <boost/json.hpp>

namespace bench {

class Histogram {
 public:
  void record(std::uint64_t valueNs);
  void recordN(std::uint64_t valueNs, std::uint64_t count);
  void merge(const Histogram& other);
  void reset();

  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }
  std::uint64_t min() const { return count_ ? min_ : 0; }
  double mean() const;
  // The value at percentile q (0..100): the smallest recorded value such that at least q% of the
  // values are at or below it (reported as the middle of its bucket, clamped to [min, max]).
  std::uint64_t percentile(double q) const;

  // {count, min_ms, mean_ms, max_ms, p50_ms, p90_ms, p99_ms, p99_9_ms, spectrum: [[q, ms], ...]}.
  boost::json::object toJson() const;

 private:
  static constexpr int kSubBits = 7;  // 128 linear buckets below 128 ns
  static constexpr std::uint64_t kSub = 1u << kSubBits;
  static constexpr std::uint64_t kHalf = kSub / 2;  // 64 buckets per power of two above
  static constexpr std::size_t kBuckets = kSub + (64 - kSubBits) * kHalf;

  static std::size_t indexOf(std::uint64_t v);
  static std::uint64_t lowOf(std::size_t index);
  static std::uint64_t widthOf(std::size_t index);

  std::vector<std::uint64_t> counts_ = std::vector<std::uint64_t>(kBuckets, 0);
  std::uint64_t count_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
  long double sum_ = 0;
};

}  // namespace bench
