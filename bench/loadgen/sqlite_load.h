// The SQLite reference: inserts into a table shaped like the sqlite backend's revision log, with
// the backend's durability (journal_mode=WAL, synchronous=FULL) and its group commit: N client
// threads each hand one insert to a committer thread and wait for it; the committer takes every
// queued insert (at most 512) into one BEGIN IMMEDIATE ... COMMIT (one fsync) and then answers
// them. Nothing else: no precondition reads, no JSON, no watch events.
#pragma once

#include <cstdint>
#include <string>

#include <boost/json.hpp>

namespace bench {

struct SqliteOptions {
  std::string db;  // database file (created)
  int concurrency = 32;
  double warmupS = 0;
  double durationS = 10;
  std::uint64_t maxRequests = 0;
  std::string keyTemplate = "/registry/pods/default/bench-{{n}}";
  std::string valueFile;
  int batchMax = 512;
  bool progress = false;
};

boost::json::object runSqlite(const SqliteOptions& options);

}  // namespace bench
