#include "allocator.h"

#include <gtest/gtest.h>
#include <mimalloc.h>

#include <cstdlib>
#include <string>

namespace apiserver::host {
namespace {

constexpr const char* kVar = "MIMALLOC_LARGE_OS_PAGES";

TEST(AllocatorTest, TurnsMimallocsHugePagesOn) {
  if (std::getenv(kVar) != nullptr)
    GTEST_SKIP() << kVar << " is set in this test's environment";
  mi_option_set(mi_option_large_os_pages, 0);
  tuneAllocator();
  EXPECT_TRUE(mi_option_is_enabled(mi_option_large_os_pages));
}

TEST(AllocatorTest, LeavesTheSettingOfTheEnvironmentAsItIs) {
  const char* before = std::getenv(kVar);
  const std::string saved = before != nullptr ? before : "";
  setenv(kVar, "0", 1);
  mi_option_set(mi_option_large_os_pages, 0);  // what mimalloc read from "0" when it started
  tuneAllocator();
  EXPECT_FALSE(mi_option_is_enabled(mi_option_large_os_pages));
  if (before != nullptr)
    setenv(kVar, saved.c_str(), 1);
  else
    unsetenv(kVar);
}

}  // namespace
}  // namespace apiserver::host
