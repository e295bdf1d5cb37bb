// The audit log file: lines, size-based rotation with lumberjack's names, backups kept.

#include "audit/log_backend.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

namespace apiserver::audit {
namespace {

namespace fs = std::filesystem;

class LogBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("audit-log-test-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string read(const fs::path& p) {
    std::ifstream in(p);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::set<std::string> files() {
    std::set<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.insert(e.path().filename().string());
    return out;
  }
  LogBackendOptions options(std::uint64_t maxSize, std::int64_t maxBackups) {
    LogBackendOptions o;
    o.path = (dir_ / "audit.log").string();
    o.maxSizeBytes = maxSize;
    o.maxBackups = maxBackups;
    // A clock that moves one second per rotation: distinct, predictable names.
    o.now = [this] { return std::chrono::system_clock::time_point(std::chrono::seconds(1700000000 + ticks_++)); };
    return o;
  }
  fs::path dir_;
  int ticks_ = 0;
};

TEST_F(LogBackendTest, WritesLines) {
  auto b = LogBackend::open(options(1 << 20, 0));
  ASSERT_TRUE(b) << b.error().message;
  ASSERT_TRUE((*b)->write("{\"a\":1}"));
  ASSERT_TRUE((*b)->write("{\"b\":2}"));
  EXPECT_EQ(read(dir_ / "audit.log"), "{\"a\":1}\n{\"b\":2}\n");
}

TEST_F(LogBackendTest, RotatesBySizeWithLumberjacksNames) {
  auto b = LogBackend::open(options(20, 0));
  ASSERT_TRUE(b);
  ASSERT_TRUE((*b)->write("0123456789"));  // 11 bytes
  ASSERT_TRUE((*b)->write("abcdefgh"));    // 9 bytes: 20, fits
  ASSERT_TRUE((*b)->write("next"));        // would pass 20: rotate first
  EXPECT_EQ(read(dir_ / "audit.log"), "next\n");
  EXPECT_EQ(files(), (std::set<std::string>{"audit.log", "audit-2023-11-14T22-13-20.000.log"}));
  EXPECT_EQ(read(dir_ / "audit-2023-11-14T22-13-20.000.log"), "0123456789\nabcdefgh\n");
}

TEST_F(LogBackendTest, KeepsMaxBackupsNewest) {
  auto b = LogBackend::open(options(10, 2));
  ASSERT_TRUE(b);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE((*b)->write("line-" + std::to_string(i) + "xx"));  // 9 bytes each
  EXPECT_EQ(files(), (std::set<std::string>{"audit.log", "audit-2023-11-14T22-13-22.000.log",
                                            "audit-2023-11-14T22-13-23.000.log"}));
  EXPECT_EQ(read(dir_ / "audit-2023-11-14T22-13-23.000.log"), "line-3xx\n");
  EXPECT_EQ(read(dir_ / "audit.log"), "line-4xx\n");
}

TEST_F(LogBackendTest, AppendsToAnExistingFileAndRotatesAFullOne) {
  {
    std::ofstream(dir_ / "audit.log") << "old\n";
  }
  {
    auto b = LogBackend::open(options(100, 0));
    ASSERT_TRUE(b);
    ASSERT_TRUE((*b)->write("new"));
  }
  EXPECT_EQ(read(dir_ / "audit.log"), "old\nnew\n");
  auto full = LogBackend::open(options(8, 0));
  ASSERT_TRUE(full);
  EXPECT_EQ(files().size(), 2u) << "the full file was rotated at open";
  ASSERT_TRUE((*full)->write("x"));
  EXPECT_EQ(read(dir_ / "audit.log"), "x\n");
}

TEST_F(LogBackendTest, ALineLongerThanTheLimitGetsAFileOfItsOwn) {
  auto b = LogBackend::open(options(10, 0));
  ASSERT_TRUE(b);
  ASSERT_TRUE((*b)->write("short"));
  ASSERT_TRUE((*b)->write(std::string(50, 'L')));
  ASSERT_TRUE((*b)->write("after"));
  EXPECT_EQ(read(dir_ / "audit.log"), "after\n");
  EXPECT_EQ(files().size(), 3u);
}

TEST_F(LogBackendTest, CreatesTheDirectory) {
  LogBackendOptions o = options(100, 0);
  o.path = (dir_ / "nested" / "deeper" / "audit.json").string();
  auto b = LogBackend::open(o);
  ASSERT_TRUE(b) << b.error().message;
  ASSERT_TRUE((*b)->write("{}"));
  EXPECT_TRUE(fs::exists(dir_ / "nested" / "deeper" / "audit.json"));
  EXPECT_EQ((*b)->backupName(std::chrono::system_clock::time_point(std::chrono::milliseconds(1700000000123))),
            dir_ / "nested" / "deeper" / "audit-2023-11-14T22-13-20.123.json");
}

}  // namespace
}  // namespace apiserver::audit
