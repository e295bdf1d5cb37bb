// formatTime and parseTime: kube's metav1.Time text form (RFC 3339, UTC, seconds).

#include <apiserver/object.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <random>

namespace apiserver {
namespace {

/// reference formats with the C library, as formatTime once did.
std::string reference(std::time_t tt) {
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

TimePoint at(std::time_t tt) {
  return Clock::from_time_t(tt);
}

TEST(FormatTime, KnownInstants) {
  EXPECT_EQ(formatTime(at(0)), "1970-01-01T00:00:00Z");
  EXPECT_EQ(formatTime(at(951782400)), "2000-02-29T00:00:00Z");
  EXPECT_EQ(formatTime(at(1709251199)), "2024-02-29T23:59:59Z");
  EXPECT_EQ(formatTime(at(-1)), "1969-12-31T23:59:59Z");
  EXPECT_EQ(formatTime(at(4102444799)), "2099-12-31T23:59:59Z");
  // Fractions of a second are dropped, also before 1970 (the second that holds the instant).
  EXPECT_EQ(formatTime(at(10) + std::chrono::milliseconds(999)), "1970-01-01T00:00:10Z");
  EXPECT_EQ(formatTime(at(-10) + std::chrono::milliseconds(500)), "1969-12-31T23:59:50Z");
}

TEST(FormatTime, MatchesTheCLibraryAcrossFiveCenturies) {
  // TimePoint counts nanoseconds in 64 bits: it spans the years 1678 to 2262.
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::time_t> any(-9000000000LL, 9000000000LL);  // 1684 to 2255
  for (int i = 0; i < 20000; ++i) {
    const std::time_t tt = any(rng);
    ASSERT_EQ(formatTime(at(tt)), reference(tt)) << tt;
  }
}

TEST(FormatTime, RoundTripsThroughParseTime) {
  for (std::time_t tt : {std::time_t{0}, std::time_t{1764460800}, std::time_t{4102444799}}) {
    auto back = parseTime(formatTime(at(tt)));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, at(tt));
  }
}

}  // namespace
}  // namespace apiserver
