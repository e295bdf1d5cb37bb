#include "sqlite_load.h"

#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "histogram.h"
#include "util.h"

namespace bench {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS kine (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  created INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  value BLOB,
  old_value BLOB
);
CREATE INDEX IF NOT EXISTS kine_name_id ON kine (name, id);
)sql";

struct Op {
  std::string key;
  std::string value;
  std::promise<bool> done;
};

void check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
    throw std::runtime_error(std::string(what) + ": " + sqlite3_errmsg(db));
}

}  // namespace

boost::json::object runSqlite(const SqliteOptions& o) {
  if (o.concurrency < 1)
    throw std::runtime_error("--concurrency must be >= 1");
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(o.db.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK)
    throw std::runtime_error("open " + o.db);
  check(sqlite3_exec(db, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr), db, "wal");
  check(sqlite3_exec(db, "PRAGMA synchronous = FULL", nullptr, nullptr, nullptr), db, "sync");
  check(sqlite3_exec(db, kSchema, nullptr, nullptr, nullptr), db, "schema");
  sqlite3_stmt* insert = nullptr;
  check(sqlite3_prepare_v2(db,
                           "INSERT INTO kine (name, created, deleted, create_revision, "
                           "prev_revision, value, old_value) VALUES (?1, 1, 0, 0, 0, ?2, NULL)",
                           -1, &insert, nullptr),
        db, "prepare");

  std::mutex mu;
  std::condition_variable cv;
  std::deque<Op*> queue;
  bool stop = false;
  std::uint64_t batches = 0, batchedOps = 0;
  std::string commitError;

  std::thread committer([&] {
    std::vector<Op*> batch;
    for (;;) {
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return stop || !queue.empty(); });
        if (queue.empty() && stop)
          return;
        while (!queue.empty() && batch.size() < static_cast<std::size_t>(o.batchMax)) {
          batch.push_back(queue.front());
          queue.pop_front();
        }
      }
      bool good = sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK;
      for (Op* op : batch) {
        if (!good)
          break;
        sqlite3_bind_text(insert, 1, op->key.data(), static_cast<int>(op->key.size()),
                          SQLITE_STATIC);
        sqlite3_bind_blob(insert, 2, op->value.data(), static_cast<int>(op->value.size()),
                          SQLITE_STATIC);
        good = sqlite3_step(insert) == SQLITE_DONE;
        sqlite3_reset(insert);
      }
      good = good && sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK;
      if (!good) {
        if (commitError.empty())
          commitError = sqlite3_errmsg(db);
        sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      }
      ++batches;
      batchedOps += batch.size();
      for (Op* op : batch)
        op->done.set_value(good);
      batch.clear();
    }
  });

  const Template key(o.keyTemplate);
  const Template value(readFile(o.valueFile));
  const std::uint64_t t0 = nowNs();
  const bool byCount = o.maxRequests > 0;
  const std::uint64_t measureStart = byCount ? 0 : t0 + static_cast<std::uint64_t>(o.warmupS * 1e9);
  const std::uint64_t measureEnd =
      byCount ? UINT64_MAX : measureStart + static_cast<std::uint64_t>(o.durationS * 1e9);
  std::atomic<std::uint64_t> issued{0}, okTotal{0};
  std::mutex statsMu;
  Histogram hist;
  std::uint64_t ok = 0, errors = 0, bytes = 0, lastDone = t0;

  const double cpu0 = selfCpuSeconds();
  std::vector<std::thread> clients;
  for (int i = 0; i < o.concurrency; ++i) {
    clients.emplace_back([&] {
      Histogram local;
      std::uint64_t lok = 0, lerr = 0, lbytes = 0, llast = 0;
      for (;;) {
        const std::uint64_t start = nowNs();
        if (!byCount && start >= measureEnd)
          break;
        const std::uint64_t n = issued.fetch_add(1);
        if (byCount && n >= o.maxRequests)
          break;
        Op op;
        key.render(op.key, n, 0, start);
        value.render(op.value, n, 0, start);
        auto fut = op.done.get_future();
        {
          std::lock_guard lock(mu);
          queue.push_back(&op);
        }
        cv.notify_one();
        const bool good = fut.get();
        const std::uint64_t end = nowNs();
        llast = end;
        okTotal.fetch_add(good ? 1 : 0, std::memory_order_relaxed);
        if (start < measureStart)
          continue;
        local.record(end - start);
        if (good) {
          ++lok;
          lbytes += op.value.size();
        } else {
          ++lerr;
        }
      }
      std::lock_guard lock(statsMu);
      hist.merge(local);
      ok += lok;
      errors += lerr;
      bytes += lbytes;
      lastDone = std::max(lastDone, llast);
    });
  }
  std::thread progress;
  std::atomic<bool> clientsDone{false};
  if (o.progress) {
    progress = std::thread([&] {
      std::uint64_t last = 0;
      while (!clientsDone) {
        for (int i = 0; i < 10 && !clientsDone; ++i)
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        const std::uint64_t now = okTotal.load();
        std::cerr << "  [loadgen] " << (nowNs() - t0) / 1000000000 << "s: " << now << " ok ("
                  << now - last << "/s)" << std::endl;
        last = now;
      }
    });
  }
  for (auto& t : clients)
    t.join();
  clientsDone = true;
  if (progress.joinable())
    progress.join();
  {
    std::lock_guard lock(mu);
    stop = true;
  }
  cv.notify_one();
  committer.join();
  sqlite3_finalize(insert);
  sqlite3_close(db);

  const double windowS = byCount ? static_cast<double>(lastDone - t0) / 1e9 : o.durationS;
  boost::json::object r;
  r["mode"] = "sqlite";
  r["concurrency"] = o.concurrency;
  r["window_s"] = windowS;
  r["requests"] = ok + errors;
  r["ok"] = ok;
  r["errors"] = errors;
  r["rps"] = static_cast<double>(ok) / windowS;
  r["bytes"] = bytes;
  r["batches"] = batches;
  r["mean_batch"] = batches ? static_cast<double>(batchedOps) / static_cast<double>(batches) : 0.0;
  r["latency"] = hist.toJson();
  r["loadgen_cpu_s"] = selfCpuSeconds() - cpu0;
  if (!commitError.empty())
    r["first_error"] = commitError;
  return r;
}

}  // namespace bench
