// Crash test, sqlite: a child process does creates from several threads and reports each one
// the storage acknowledged; the parent kills it with SIGKILL in the middle of the load, reopens
// the database and checks that every acknowledged create is there, that the database passes
// `PRAGMA integrity_check`, and that a watch from an old revision replays the log in order.

#include "backend_fixtures.h"
#include "storage/sqlite/sqlite_storage.h"
#include "storage_test_util.h"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace apiserver::storage {
namespace {

using namespace std::chrono_literals;

// runWriter is the child: creates until killed (or 60 s), one line per acknowledged create.
[[noreturn]] void runWriter(const std::filesystem::path& dir, int ackFd) {
  SqliteOptions o;
  o.dataDir = dir;
  o.compactionInterval = std::chrono::milliseconds(0);
  auto s = SqliteStorage::open(o);
  if (!s)
    ::_exit(3);
  std::mutex writeMu;
  std::vector<std::thread> ts;
  const auto until = std::chrono::steady_clock::now() + 60s;
  for (int t = 0; t < 8; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; std::chrono::steady_clock::now() < until; ++i) {
        std::string key = "/registry/pods/crash/t" + std::to_string(t) + "-" + std::to_string(i);
        auto r = (*s)->create(key, R"({"kind":"Pod","metadata":{"name":")" + key + "\"}}");
        if (!r)
          continue;
        std::string line = key + " " + std::to_string(*r) + "\n";
        std::lock_guard lock(writeMu);
        if (::write(ackFd, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
          ::_exit(4);
      }
    });
  for (auto& t : ts)
    t.join();
  ::_exit(0);
}

TEST(SqliteCrash, EveryAcknowledgedCreateSurvivesKill9) {
  storagetest::TempDir dir;
  const auto dataDir = dir.path() / "data";
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    runWriter(dataDir, fds[1]);
  }
  ::close(fds[1]);

  // Read acknowledgements for a while, kill the writer mid-load, then drain what it had sent.
  std::map<std::string, std::int64_t> acked;
  FILE* in = ::fdopen(fds[0], "r");
  ASSERT_NE(in, nullptr);
  char line[512];
  const auto start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration loadTime{};
  bool killed = false;
  while (std::fgets(line, sizeof line, in) != nullptr) {
    std::string l(line);
    auto sp = l.find(' ');
    if (sp != std::string::npos)
      acked[l.substr(0, sp)] = std::stoll(l.substr(sp + 1));
    if (!killed && (acked.size() >= 20000 || std::chrono::steady_clock::now() - start > 3s)) {
      loadTime = std::chrono::steady_clock::now() - start;
      ::kill(pid, SIGKILL);
      killed = true;
    }
  }
  std::fclose(in);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(killed) << "the writer ended by itself (status " << status << ")";
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
  ASSERT_GT(acked.size(), 100u);

  // Reopen: the WAL is recovered, the lock of the dead process is gone.
  SqliteOptions o;
  o.dataDir = dataDir;
  o.compactionInterval = std::chrono::milliseconds(0);
  auto s = SqliteStorage::open(o);
  ASSERT_TRUE(s) << s.error().message;
  auto integrity = (*s)->integrityCheck();
  ASSERT_TRUE(integrity);
  EXPECT_EQ(*integrity, "ok");

  std::size_t missing = 0;
  for (const auto& [key, rev] : acked) {
    auto got = (*s)->get(key);
    if (!got || got->modRevision != rev)
      ++missing;
  }
  EXPECT_EQ(missing, 0u) << "acknowledged creates lost";
  auto all = (*s)->list("/registry/pods/crash/", {});
  ASSERT_TRUE(all);
  EXPECT_GE(all->items.size(), acked.size());

  // A watch from the first revision replays the whole log, in order, each revision once.
  storagetest::Recorder rec;
  auto w = (*s)->watch("/registry/pods/crash/", 1, rec.callback());
  ASSERT_TRUE(w) << w.error().message;
  ASSERT_TRUE(rec.waitForCount(all->items.size()));
  auto events = rec.events();
  ASSERT_EQ(events.size(), all->items.size());
  for (std::size_t i = 1; i < events.size(); ++i)
    ASSERT_EQ(events[i].revision, events[i - 1].revision + 1);
  EXPECT_EQ(events.front().revision, 2);
  EXPECT_EQ(events.back().revision, *(*s)->currentRevision());

  const double secs = std::chrono::duration<double>(loadTime).count();
  std::cout << "[ crash    ] acknowledged " << acked.size() << " creates in " << secs << " s ("
            << static_cast<int>(static_cast<double>(acked.size()) / secs)
            << "/s, 8 writers); after kill -9: " << all->items.size() << " present ("
            << all->items.size() - acked.size()
            << " committed but not yet acknowledged), 0 missing, integrity ok\n";
  RecordProperty("acknowledged", static_cast<int>(acked.size()));
  RecordProperty("present", static_cast<int>(all->items.size()));
}

}  // namespace
}  // namespace apiserver::storage
