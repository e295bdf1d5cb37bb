#include "histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace bench {

std::size_t Histogram::indexOf(std::uint64_t v) {
  if (v < kSub)
    return static_cast<std::size_t>(v);
  const int msb = 63 - std::countl_zero(v);  // >= kSubBits
  const int shift = msb - (kSubBits - 1);    // v >> shift is in [64, 128)
  return kSub + static_cast<std::size_t>(msb - kSubBits) * kHalf + ((v >> shift) - kHalf);
}

std::uint64_t Histogram::lowOf(std::size_t index) {
  if (index < kSub)
    return index;
  const std::size_t rel = index - kSub;
  const int msb = static_cast<int>(rel / kHalf) + kSubBits;
  const int shift = msb - (kSubBits - 1);
  return (kHalf + rel % kHalf) << shift;
}

std::uint64_t Histogram::widthOf(std::size_t index) {
  if (index < kSub)
    return 1;
  const int msb = static_cast<int>((index - kSub) / kHalf) + kSubBits;
  return std::uint64_t{1} << (msb - (kSubBits - 1));
}

void Histogram::record(std::uint64_t valueNs) {
  recordN(valueNs, 1);
}

void Histogram::recordN(std::uint64_t valueNs, std::uint64_t count) {
  if (count == 0)
    return;
  counts_[indexOf(valueNs)] += count;
  count_ += count;
  min_ = std::min(min_, valueNs);
  max_ = std::max(max_, valueNs);
  sum_ += static_cast<long double>(valueNs) * count;
}

void Histogram::merge(const Histogram& other) {
  for (std::size_t i = 0; i < kBuckets; ++i)
    counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

void Histogram::reset() {
  *this = Histogram();
}

double Histogram::mean() const {
  return count_ ? static_cast<double>(sum_ / static_cast<long double>(count_)) : 0.0;
}

std::uint64_t Histogram::percentile(double q) const {
  if (count_ == 0)
    return 0;
  const auto rank = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::ceil(q / 100.0 * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const std::uint64_t mid = lowOf(i) + widthOf(i) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

boost::json::object Histogram::toJson() const {
  auto ms = [](double ns) { return std::round(ns / 1e3) / 1e3; };  // ms with µs resolution
  boost::json::object o;
  o["count"] = count_;
  o["min_ms"] = ms(static_cast<double>(min()));
  o["mean_ms"] = ms(mean());
  o["max_ms"] = ms(static_cast<double>(max_));
  o["p50_ms"] = ms(static_cast<double>(percentile(50)));
  o["p90_ms"] = ms(static_cast<double>(percentile(90)));
  o["p99_ms"] = ms(static_cast<double>(percentile(99)));
  o["p99_9_ms"] = ms(static_cast<double>(percentile(99.9)));
  boost::json::array spectrum;
  for (double q :
       {0.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.95, 99.99, 99.999, 100.0}) {
    const double v = q >= 100.0 ? static_cast<double>(max_)
                                : static_cast<double>(percentile(q == 0.0 ? 0.0001 : q));
    spectrum.push_back(boost::json::array{q, ms(v)});
  }
  o["spectrum"] = std::move(spectrum);
  return o;
}

}  // namespace bench
