#include "storage/sqlite/sqlite_storage.h"

#include "storage/batch_delivery.h"

#include <sqlite3.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

namespace apiserver::storage {

namespace {

// The log: one row per write, its id the revision. `created` rows start a key's life (their
// create_revision is their own id, stored as 0); `deleted` rows end it. prev_revision and
// old_value are the key's previous row and value, so that every event is self-contained and
// compaction can find superseded rows from the rows that superseded them.
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
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
)sql";

// The create revision of a row: its own id for a row that created its key.
#define CREATE_REV "CASE WHEN created = 1 THEN id ELSE create_revision END"

constexpr const char* kSqlLatest =
    "SELECT id, " CREATE_REV ", deleted, value FROM kine WHERE name = ?1 ORDER BY id DESC LIMIT 1";
constexpr const char* kSqlRevision = "SELECT seq FROM sqlite_sequence WHERE name = 'kine'";
constexpr const char* kSqlCompactRev = "SELECT value FROM meta WHERE key = 'compact_rev'";
// A key's rows, in key order, that are its latest at revision ?3 and not deletions. Walking the
// (name, id) index in order and probing it for each row's key keeps the key order without
// sorting: a LIMIT stops the walk after its page, and nothing is written to a temporary table.
// (A join with the latest ids, grouped in a subquery, sorted every remaining row, values
// included, in a temporary b-tree on disk: the initial list of 100,000 pods wrote 114,000
// pages.)
#define LATEST_LIVE                                                                    \
  " kv.id <= ?3 AND kv.deleted = 0 AND kv.id = (SELECT MAX(k2.id) FROM kine k2 WHERE " \
  "k2.name = kv.name AND k2.id <= ?3)"
#define LIST_ROWS "SELECT id, name, " CREATE_REV ", value FROM kine kv "
constexpr const char* kSqlListBounded =
    LIST_ROWS "WHERE kv.name >= ?1 AND kv.name < ?2 AND" LATEST_LIVE " ORDER BY kv.name LIMIT ?4";
constexpr const char* kSqlListOpen =
    LIST_ROWS "WHERE kv.name >= ?1 AND ?2 IS NULL AND" LATEST_LIVE " ORDER BY kv.name LIMIT ?4";
constexpr const char* kSqlCountBounded =
    "SELECT COUNT(*) FROM kine kv WHERE kv.name >= ?1 AND kv.name < ?2 AND" LATEST_LIVE;
constexpr const char* kSqlCountOpen =
    "SELECT COUNT(*) FROM kine kv WHERE kv.name >= ?1 AND ?2 IS NULL AND" LATEST_LIVE;
#undef LIST_ROWS
#undef LATEST_LIVE
constexpr const char* kSqlReplay =
    "SELECT id, name, deleted, " CREATE_REV
    ", prev_revision, value, old_value FROM kine "
    "WHERE id > ?1 AND id <= ?2 AND name >= ?3 AND (?4 IS NULL OR name < ?4) ORDER BY id";
constexpr const char* kSqlInsert =
    "INSERT INTO kine (name, created, deleted, create_revision, prev_revision, value, old_value) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
constexpr const char* kSqlCompactSuperseded =
    "DELETE FROM kine WHERE id IN (SELECT prev_revision FROM kine WHERE id > ?1 AND id <= ?2 AND "
    "prev_revision > 0)";
constexpr const char* kSqlCompactTombstones =
    "DELETE FROM kine WHERE id > ?1 AND id <= ?2 AND deleted = 1";
constexpr const char* kSqlSetCompactRev =
    "INSERT INTO meta (key, value) VALUES ('compact_rev', ?1) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value";
constexpr const char* kSqlBegin = "BEGIN";
constexpr const char* kSqlBeginImmediate = "BEGIN IMMEDIATE";
constexpr const char* kSqlCommit = "COMMIT";
constexpr const char* kSqlRollback = "ROLLBACK";

#undef CREATE_REV

// prefixEnd is the first key after every key starting with prefix; nullopt when there is none
// (an empty prefix, or one of 0xff bytes only).
std::optional<std::string> prefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& c = reinterpret_cast<unsigned char&>(end.back());
    if (c < 0xff) {
      ++c;
      return end;
    }
    end.pop_back();
  }
  return std::nullopt;
}

Error sqlError(sqlite3* db, std::string_view what) {
  const int code = db != nullptr ? sqlite3_extended_errcode(db) : SQLITE_ERROR;
  std::string msg = "sqlite: " + std::string(what) + ": " +
                    (db != nullptr ? sqlite3_errmsg(db) : "out of memory");
  // A busy or locked database (another process, a long checkpoint) is transient.
  if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED)
    return Error{ErrorCode::Timeout, {}, 0, msg};
  return Error::internal(std::move(msg));
}

std::string columnString(sqlite3_stmt* s, int col) {
  const void* p = sqlite3_column_blob(s, col);
  const int n = sqlite3_column_bytes(s, col);
  return p == nullptr ? std::string()
                      : std::string(static_cast<const char*>(p), static_cast<std::size_t>(n));
}

SharedBytes columnBytes(sqlite3_stmt* s, int col) {
  if (sqlite3_column_type(s, col) == SQLITE_NULL)
    return nullptr;
  return makeBytes(columnString(s, col));
}

void bindText(sqlite3_stmt* s, int i, std::string_view v) {
  sqlite3_bind_text64(s, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}
void bindBlob(sqlite3_stmt* s, int i, const std::string* v) {
  if (v == nullptr) {
    sqlite3_bind_null(s, i);
  } else {
    // SQLITE_STATIC: the bytes outlive the statement's use (reset before they go away).
    sqlite3_bind_blob64(s, i, v->data(), v->size(), SQLITE_STATIC);
  }
}

// Conn is one SQLite connection with its prepared statements, used by one thread at a time.
class Conn {
 public:
  ~Conn() {
    for (auto& [sql, stmt] : stmts_)
      sqlite3_finalize(stmt);
    if (db_ != nullptr)
      sqlite3_close_v2(db_);
  }

  static Result<std::unique_ptr<Conn>> open(const std::string& path, bool writer) {
    auto c = std::make_unique<Conn>();
    const int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (writer ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path.c_str(), &c->db_, flags, nullptr) != SQLITE_OK)
      return fail(sqlError(c->db_, "open " + path));
    sqlite3_extended_result_codes(c->db_, 1);
    sqlite3_busy_timeout(c->db_, 5000);
    return c;
  }

  sqlite3* db() const { return db_; }

  // exec runs SQL without results (pragmas, schema, transaction control).
  Result<void> exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err != nullptr ? err : sqlite3_errmsg(db_);
      sqlite3_free(err);
      Error e = sqlError(db_, sql);
      e.message = "sqlite: " + std::string(sql).substr(0, 60) + ": " + msg;
      return fail(std::move(e));
    }
    return {};
  }

  // stmt returns the prepared statement for `sql` (prepared once, reset and reused).
  Result<sqlite3_stmt*> stmt(const char* sql) {
    if (auto it = stmts_.find(sql); it != stmts_.end())
      return it->second;
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK)
      return fail(sqlError(db_, "prepare"));
    stmts_.emplace(sql, s);
    return s;
  }

 private:
  sqlite3* db_ = nullptr;
  std::unordered_map<const char*, sqlite3_stmt*> stmts_;  // keyed by the SQL constants' addresses
};

// Reset puts a statement back to its initial state on scope exit.
struct Reset {
  sqlite3_stmt* s;
  ~Reset() {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }
};

// ReadTxn keeps a read transaction open (one snapshot) until it is destroyed.
class ReadTxn {
 public:
  explicit ReadTxn(Conn& c) : c_(c) { ok_ = c_.exec(kSqlBegin).has_value(); }
  ~ReadTxn() {
    if (ok_)
      (void)c_.exec(kSqlCommit);
  }
  bool ok() const { return ok_; }

 private:
  Conn& c_;
  bool ok_ = false;
};

Result<std::int64_t> queryInt(Conn& c, const char* sql, std::int64_t absent) {
  auto s = c.stmt(sql);
  if (!s)
    return fail(std::move(s).error());
  Reset r{*s};
  const int rc = sqlite3_step(*s);
  if (rc == SQLITE_ROW)
    return static_cast<std::int64_t>(sqlite3_column_int64(*s, 0));
  if (rc == SQLITE_DONE)
    return absent;
  return fail(sqlError(c.db(), "query"));
}

// Row is the latest row of a key, as the writer and get see it.
struct Row {
  std::int64_t id = 0;
  std::int64_t createRevision = 0;
  bool deleted = false;
  std::string value;
};

Result<std::optional<Row>> latestRow(Conn& c, std::string_view key) {
  auto s = c.stmt(kSqlLatest);
  if (!s)
    return fail(std::move(s).error());
  Reset r{*s};
  bindText(*s, 1, key);
  const int rc = sqlite3_step(*s);
  if (rc == SQLITE_DONE)
    return std::optional<Row>();
  if (rc != SQLITE_ROW)
    return fail(sqlError(c.db(), "read " + std::string(key)));
  Row row;
  row.id = sqlite3_column_int64(*s, 0);
  row.createRevision = sqlite3_column_int64(*s, 1);
  row.deleted = sqlite3_column_int(*s, 2) != 0;
  row.value = columnString(*s, 3);
  return std::optional<Row>(std::move(row));
}

}  // namespace

// ---------------------------------------------------------------- Core

struct SqliteStorage::Core {
  enum class OpKind { Create, Update, Delete, Compact };
  struct OpResult {
    std::optional<Error> error;
    std::int64_t revision = 0;
    KeyValue previous;  // Delete: the key as it was
  };
  struct Op {
    OpKind kind = OpKind::Create;
    std::string key;
    std::string value;
    std::int64_t expected = 0;  // Update/Delete: expected mod revision; Compact: the revision
    std::function<void(OpResult)> done;  // called once, on the committer thread
  };

  SqliteOptions opts;
  std::string dbPath;
  int lockFd = -1;
  std::unique_ptr<Conn> writer;  // only the committer thread uses it after open()

  // Read connections.
  std::mutex poolMu;
  std::condition_variable poolCv;
  std::vector<std::unique_ptr<Conn>> pool;

  // The committer's queue.
  std::mutex queueMu;
  std::condition_variable queueCv;
  std::deque<std::unique_ptr<Op>> queue;
  bool stopping = false;  // guarded by queueMu

  std::atomic<std::int64_t> revision{1};   // latest committed revision
  std::atomic<std::int64_t> compacted{1};  // history holds every row with id > compacted

  // Watch dispatch. dispatchMu is ordered before mu and held while callbacks run.
  std::mutex dispatchMu;
  std::atomic<std::thread::id> dispatchingThread{};
  std::mutex mu;
  std::condition_variable pendingCv;
  std::deque<Event> pending;                       // committed, not yet dispatched; guarded by mu
  bool dispatchStopping = false;                   // guarded by mu
  std::int64_t dispatched = 0;  // events <= this were dispatched; written by the dispatcher
  // requestProgress asked for progress up to this revision (0: nobody asked); guarded by mu. The
  // events up to it may not be pending yet (the committer publishes the revision first).
  std::int64_t progressWanted = 0;
  std::vector<std::shared_ptr<BatchWatcher>> watchers;  // guarded by mu

  // Scheduled compaction.
  std::mutex compactorMu;
  std::condition_variable compactorCv;
  bool compactorStopping = false;

  std::thread committerThread;
  std::thread dispatcherThread;
  std::thread compactorThread;

  ~Core() { shutdown(); }

  Result<void> init();
  void shutdown();

  // Read connections.
  class ReadLease {
   public:
    ReadLease(Core* core, std::unique_ptr<Conn> c) : core_(core), c_(std::move(c)) {}
    ReadLease(ReadLease&&) = default;
    ~ReadLease() {
      if (!c_)
        return;
      {
        std::lock_guard lock(core_->poolMu);
        core_->pool.push_back(std::move(c_));
      }
      core_->poolCv.notify_one();
    }
    Conn& operator*() { return *c_; }
    Conn* operator->() { return c_.get(); }

   private:
    Core* core_;
    std::unique_ptr<Conn> c_;
  };
  ReadLease reader() {
    std::unique_lock lock(poolMu);
    poolCv.wait(lock, [&] { return !pool.empty(); });
    auto c = std::move(pool.back());
    pool.pop_back();
    return ReadLease(this, std::move(c));
  }

  // Writes.
  OpResult submit(std::unique_ptr<Op> op);
  void enqueue(std::unique_ptr<Op> op);
  void committerLoop();
  void commitWrites(std::vector<std::unique_ptr<Op>>& ops);
  void commitCompact(Op& op);

  // Watches.
  void dispatcherLoop();
  void removeWatcher(const std::shared_ptr<BatchWatcher>& w);
  Result<std::vector<Event>> replay(std::string_view prefix, std::int64_t after, std::int64_t upTo);

  void compactorLoop();
};

Result<void> SqliteStorage::Core::init() {
  std::error_code ec;
  std::filesystem::create_directories(opts.dataDir, ec);
  if (ec)
    return fail(Error::internal("cannot create data directory " + opts.dataDir.string() + ": " +
                                ec.message()));
  const auto lockPath = (opts.dataDir / "apiserver.lock").string();
  lockFd = ::open(lockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lockFd < 0)
    return fail(Error::internal("cannot open " + lockPath + ": " + std::strerror(errno)));
  if (::flock(lockFd, LOCK_EX | LOCK_NB) != 0)
    return fail(Error::internal("data directory " + opts.dataDir.string() +
                                " is in use by another process (" + lockPath + " is locked)"));
  dbPath = (opts.dataDir / "state.db").string();

  auto w = Conn::open(dbPath, true);
  if (!w)
    return fail(std::move(w).error());
  writer = std::move(*w);
  // WAL: readers work on snapshots while the writer appends. synchronous=FULL: the WAL is
  // fsynced at every commit, so an acknowledged write survives power loss, not only a crash.
  for (const char* pragma : {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL"})
    if (auto r = writer->exec(pragma); !r)
      return r;
  if (auto r = writer->exec(kSchema); !r)
    return r;
  // Like etcd, a fresh store is at revision 1: the first write gets revision 2.
  if (auto r =
          writer->exec("BEGIN IMMEDIATE;"
                       "INSERT INTO sqlite_sequence (name, seq) SELECT 'kine', 1 "
                       "  WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'kine');"
                       "INSERT OR IGNORE INTO meta (key, value) VALUES ('compact_rev', 1);"
                       "COMMIT;");
      !r) {
    (void)writer->exec(kSqlRollback);
    return r;
  }
  auto rev = queryInt(*writer, kSqlRevision, 1);
  if (!rev)
    return fail(std::move(rev).error());
  auto comp = queryInt(*writer, kSqlCompactRev, 1);
  if (!comp)
    return fail(std::move(comp).error());
  revision = *rev;
  compacted = *comp;
  dispatched = *rev;

  for (std::size_t i = 0; i < std::max<std::size_t>(opts.readConnections, 1); ++i) {
    auto c = Conn::open(dbPath, false);
    if (!c)
      return fail(std::move(c).error());
    if (auto r = (*c)->exec("PRAGMA query_only = 1"); !r)
      return r;
    pool.push_back(std::move(*c));
  }

  committerThread = std::thread([this] { committerLoop(); });
  dispatcherThread = std::thread([this] { dispatcherLoop(); });
  if (opts.compactionInterval.count() > 0)
    compactorThread = std::thread([this] { compactorLoop(); });
  return {};
}

void SqliteStorage::Core::shutdown() {
  {
    std::lock_guard lock(compactorMu);
    compactorStopping = true;
  }
  compactorCv.notify_all();
  if (compactorThread.joinable())
    compactorThread.join();
  {
    std::lock_guard lock(queueMu);
    stopping = true;
  }
  queueCv.notify_all();
  if (committerThread.joinable())
    committerThread.join();  // it drains the queue first
  {
    std::lock_guard lock(mu);
    dispatchStopping = true;
  }
  pendingCv.notify_all();
  if (dispatcherThread.joinable())
    dispatcherThread.join();
  pool.clear();
  writer.reset();
  if (lockFd >= 0) {
    ::close(lockFd);  // releases the flock
    lockFd = -1;
  }
}

SqliteStorage::Core::OpResult SqliteStorage::Core::submit(std::unique_ptr<Op> op) {
  // The op keeps the promise: this thread may return (and drop the future) while the committer
  // is still inside set_value.
  auto answer = std::make_shared<std::promise<OpResult>>();
  auto result = answer->get_future();
  op->done = [answer](OpResult r) { answer->set_value(std::move(r)); };
  enqueue(std::move(op));
  return result.get();
}

void SqliteStorage::Core::enqueue(std::unique_ptr<Op> op) {
  {
    std::lock_guard lock(queueMu);
    if (!stopping) {
      queue.push_back(std::move(op));  // leaves op empty
    }
  }
  if (op)
    return op->done(OpResult{Error{ErrorCode::Unreachable, {}, 0, "sqlite storage is closing"}});
  queueCv.notify_one();
}

void SqliteStorage::Core::committerLoop() {
  for (;;) {
    std::vector<std::unique_ptr<Op>> batch;
    {
      std::unique_lock lock(queueMu);
      queueCv.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty())
        return;  // stopping, and everything queued was committed
      while (!queue.empty() && batch.size() < opts.maxBatch) {
        batch.push_back(std::move(queue.front()));
        queue.pop_front();
      }
    }
    // Runs of writes share one transaction; a compaction gets its own.
    std::vector<std::unique_ptr<Op>> writes;
    for (auto& op : batch) {
      if (op->kind != OpKind::Compact) {
        writes.push_back(std::move(op));
        continue;
      }
      if (!writes.empty())
        commitWrites(writes);
      writes.clear();
      commitCompact(*op);
    }
    if (!writes.empty())
      commitWrites(writes);
  }
}

void SqliteStorage::Core::commitWrites(std::vector<std::unique_ptr<Op>>& ops) {
  std::vector<OpResult> results(ops.size());
  std::vector<Event> events;
  auto failAll = [&](const Error& e) {
    (void)writer->exec(kSqlRollback);
    for (auto& op : ops)
      op->done(OpResult{e});
  };
  if (auto r = writer->exec(kSqlBeginImmediate); !r)
    return failAll(r.error());
  auto ins = writer->stmt(kSqlInsert);
  if (!ins)
    return failAll(ins.error());
  sqlite3_stmt* s = *ins;

  for (std::size_t i = 0; i < ops.size(); ++i) {
    Op& op = *ops[i];
    // Earlier ops of this batch are visible here: the transaction reads its own writes.
    auto cur = latestRow(*writer, op.key);
    if (!cur)
      return failAll(cur.error());
    const bool exists = cur->has_value() && !(*cur)->deleted;
    const Row* row = exists ? &**cur : nullptr;
    Event ev;
    ev.key = op.key;
    {
      Reset r{s};
      bindText(s, 1, op.key);
      switch (op.kind) {
        case OpKind::Create:
          if (exists) {
            results[i].error = Error::keyExists(op.key);
            continue;
          }
          sqlite3_bind_int(s, 2, 1);
          sqlite3_bind_int(s, 3, 0);
          sqlite3_bind_int64(s, 4, 0);
          sqlite3_bind_int64(s, 5, 0);
          bindBlob(s, 6, &op.value);
          bindBlob(s, 7, nullptr);
          ev.type = EventType::Put;
          break;
        case OpKind::Update:
          if (!exists) {
            results[i].error = Error::keyNotFound(op.key);
            continue;
          }
          if (row->id != op.expected) {
            results[i].error = Error::conflict(op.key, row->id);
            continue;
          }
          sqlite3_bind_int(s, 2, 0);
          sqlite3_bind_int(s, 3, 0);
          sqlite3_bind_int64(s, 4, row->createRevision);
          sqlite3_bind_int64(s, 5, row->id);
          bindBlob(s, 6, &op.value);
          bindBlob(s, 7, &row->value);
          ev.type = EventType::Put;
          break;
        case OpKind::Delete:
          if (!exists) {
            results[i].error = Error::keyNotFound(op.key);
            continue;
          }
          if (op.expected != 0 && row->id != op.expected) {
            results[i].error = Error::conflict(op.key, row->id);
            continue;
          }
          sqlite3_bind_int(s, 2, 0);
          sqlite3_bind_int(s, 3, 1);
          sqlite3_bind_int64(s, 4, row->createRevision);
          sqlite3_bind_int64(s, 5, row->id);
          bindBlob(s, 6, nullptr);
          bindBlob(s, 7, &row->value);
          ev.type = EventType::Delete;
          break;
        case OpKind::Compact:
          continue;  // not batched here
      }
      if (sqlite3_step(s) != SQLITE_DONE)
        return failAll(sqlError(writer->db(), "insert " + op.key));
    }
    const std::int64_t rev = sqlite3_last_insert_rowid(writer->db());
    ev.revision = rev;
    results[i].revision = rev;
    if (op.kind == OpKind::Create) {
      ev.createRevision = rev;
      ev.value = makeBytes(std::move(op.value));
    } else {
      ev.createRevision = row->createRevision;
      ev.previous = makeBytes(row->value);
      ev.previousRevision = row->id;
      if (op.kind == OpKind::Update) {
        ev.value = makeBytes(std::move(op.value));
      } else {
        results[i].previous = KeyValue{op.key, ev.previous, row->createRevision, row->id};
      }
    }
    events.push_back(std::move(ev));
  }
  // COMMIT returns once the WAL is fsynced (synchronous=FULL): only then is anything
  // acknowledged, published to watchers or visible as the current revision.
  if (auto r = writer->exec(kSqlCommit); !r)
    return failAll(r.error());
  if (!events.empty()) {
    revision.store(events.back().revision);
    {
      std::lock_guard lock(mu);
      for (auto& ev : events)
        pending.push_back(std::move(ev));
    }
    pendingCv.notify_one();
  }
  for (std::size_t i = 0; i < ops.size(); ++i)
    ops[i]->done(std::move(results[i]));
}

void SqliteStorage::Core::commitCompact(Op& op) {
  const std::int64_t rev = op.expected;
  const std::int64_t cur = revision.load();
  const std::int64_t old = compacted.load();
  if (rev > cur)
    return op.done(OpResult{Error::revisionTooLarge(rev, cur)});
  if (rev <= old)
    return op.done(OpResult{Error::compacted(rev, old + 1)});
  auto failWith = [&](const Error& e) {
    (void)writer->exec(kSqlRollback);
    op.done(OpResult{e});
  };
  if (auto r = writer->exec(kSqlBeginImmediate); !r)
    return failWith(r.error());
  for (const char* sql : {kSqlCompactSuperseded, kSqlCompactTombstones}) {
    auto s = writer->stmt(sql);
    if (!s)
      return failWith(s.error());
    Reset r{*s};
    sqlite3_bind_int64(*s, 1, old);
    sqlite3_bind_int64(*s, 2, rev);
    if (sqlite3_step(*s) != SQLITE_DONE)
      return failWith(sqlError(writer->db(), "compact"));
  }
  {
    auto s = writer->stmt(kSqlSetCompactRev);
    if (!s)
      return failWith(s.error());
    Reset r{*s};
    sqlite3_bind_int64(*s, 1, rev);
    if (sqlite3_step(*s) != SQLITE_DONE)
      return failWith(sqlError(writer->db(), "compact"));
  }
  if (auto r = writer->exec(kSqlCommit); !r)
    return failWith(r.error());
  compacted.store(rev);
  op.done(OpResult{std::nullopt, rev, {}});
}

void SqliteStorage::Core::dispatcherLoop() {
  for (;;) {
    {
      std::unique_lock lock(mu);
      pendingCv.wait(lock, [&] {
        return dispatchStopping || !pending.empty() ||
               (progressWanted != 0 && progressWanted <= dispatched);
      });
      if (dispatchStopping)
        return;
    }
    std::lock_guard dlock(dispatchMu);
    std::vector<Event> batch;
    std::vector<std::shared_ptr<BatchWatcher>> ws;
    bool progress = false;
    {
      std::lock_guard lock(mu);
      batch.assign(std::make_move_iterator(pending.begin()),
                   std::make_move_iterator(pending.end()));
      pending.clear();
      const std::int64_t last = batch.empty() ? dispatched : batch.back().revision;
      if (progressWanted != 0 && progressWanted <= last) {
        progress = true;
        progressWanted = 0;
      }
      ws = watchers;
    }
    if (batch.empty() && !progress)
      continue;
    if (!batch.empty())
      dispatched = batch.back().revision;
    dispatchingThread = std::this_thread::get_id();
    deliverBatch(batch, dispatched, progress, ws);
    dispatchingThread = std::thread::id();
  }
}

Result<std::vector<Event>> SqliteStorage::Core::replay(std::string_view prefix, std::int64_t after,
                                                       std::int64_t upTo) {
  std::vector<Event> out;
  auto c = reader();
  ReadTxn txn(*c);
  if (!txn.ok())
    return fail(sqlError(c->db(), "begin"));
  // Compaction may have run since the caller looked: the snapshot's own compact revision says
  // whether every row after `after` is still there.
  auto comp = queryInt(*c, kSqlCompactRev, 1);
  if (!comp)
    return fail(std::move(comp).error());
  if (after < *comp)
    return fail(Error::compacted(after, *comp + 1));
  if (after >= upTo)
    return out;
  auto s = c->stmt(kSqlReplay);
  if (!s)
    return fail(std::move(s).error());
  Reset r{*s};
  sqlite3_bind_int64(*s, 1, after);
  sqlite3_bind_int64(*s, 2, upTo);
  bindText(*s, 3, prefix);
  auto end = prefixEnd(prefix);
  if (end) {
    bindText(*s, 4, *end);
  } else {
    sqlite3_bind_null(*s, 4);
  }
  int rc;
  while ((rc = sqlite3_step(*s)) == SQLITE_ROW) {
    Event ev;
    ev.revision = sqlite3_column_int64(*s, 0);
    ev.key = columnString(*s, 1);
    ev.type = sqlite3_column_int(*s, 2) != 0 ? EventType::Delete : EventType::Put;
    ev.createRevision = sqlite3_column_int64(*s, 3);
    ev.previousRevision = sqlite3_column_int64(*s, 4);
    if (ev.type == EventType::Put)
      ev.value = columnBytes(*s, 5);
    ev.previous = columnBytes(*s, 6);
    out.push_back(std::move(ev));
  }
  if (rc != SQLITE_DONE)
    return fail(sqlError(c->db(), "replay"));
  return out;
}

void SqliteStorage::Core::removeWatcher(const std::shared_ptr<BatchWatcher>& w) {
  // Waiting for dispatchMu guarantees the callback is not running once stop() returns, unless
  // stop() is called from inside a callback (then the dispatcher skips inactive watchers).
  std::unique_lock<std::mutex> dlock;
  if (dispatchingThread.load() != std::this_thread::get_id())
    dlock = std::unique_lock(dispatchMu);
  std::lock_guard lock(mu);
  watchers.erase(std::remove(watchers.begin(), watchers.end(), w), watchers.end());
}

void SqliteStorage::Core::compactorLoop() {
  // Like kube's compactor: each tick compacts to the revision seen at the previous tick, so that
  // history always covers at least one interval (and at least compactionRetain revisions).
  std::int64_t seen = 0;
  std::unique_lock lock(compactorMu);
  for (;;) {
    if (compactorCv.wait_for(lock, opts.compactionInterval, [&] { return compactorStopping; }))
      return;
    lock.unlock();
    const std::int64_t target = std::min(seen, revision.load() - opts.compactionRetain);
    // Large compactions go in steps so that writers are not held up by one long transaction.
    constexpr std::int64_t kStep = 10000;
    for (std::int64_t from = compacted.load(); from < target;) {
      const std::int64_t to = std::min(target, from + kStep);
      auto op = std::make_unique<Op>();
      op->kind = OpKind::Compact;
      op->expected = to;
      auto r = submit(std::move(op));
      if (r.error)
        break;
      from = to;
    }
    seen = revision.load();
    lock.lock();
  }
}

// ---------------------------------------------------------------- SqliteStorage

SqliteStorage::SqliteStorage(std::shared_ptr<Core> core) : core_(std::move(core)) {}

SqliteStorage::~SqliteStorage() {
  core_->shutdown();
}

Result<std::shared_ptr<SqliteStorage>> SqliteStorage::open(SqliteOptions options) {
  auto core = std::make_shared<Core>();
  core->opts = std::move(options);
  if (core->opts.dataDir.empty())
    return fail(Error::internal("sqlite storage: no data directory given"));
  if (core->opts.maxBatch == 0)
    core->opts.maxBatch = 1;
  if (auto r = core->init(); !r) {
    core->shutdown();
    return fail(std::move(r).error());
  }
  return std::shared_ptr<SqliteStorage>(new SqliteStorage(std::move(core)));
}

Result<KeyValue> SqliteStorage::get(std::string_view key) {
  auto c = core_->reader();
  auto row = latestRow(*c, key);
  if (!row)
    return fail(std::move(row).error());
  if (!row->has_value() || (*row)->deleted)
    return fail(Error::keyNotFound(key));
  return KeyValue{std::string(key), makeBytes(std::move((*row)->value)), (*row)->createRevision,
                  (*row)->id};
}

Result<ListResult> SqliteStorage::list(std::string_view prefix, const ListOptions& opts) {
  auto c = core_->reader();
  ReadTxn txn(*c);
  if (!txn.ok())
    return fail(sqlError(c->db(), "begin"));
  auto current = queryInt(*c, kSqlRevision, 1);
  if (!current)
    return fail(std::move(current).error());
  auto comp = queryInt(*c, kSqlCompactRev, 1);
  if (!comp)
    return fail(std::move(comp).error());
  const std::int64_t at = opts.revision == 0 ? *current : opts.revision;
  if (at > *current)
    return fail(Error::revisionTooLarge(at, *current));
  if (at < *comp)
    return fail(Error::compacted(at, *comp + 1));

  const auto end = prefixEnd(prefix);
  const std::string start =
      opts.startKey.empty() || opts.startKey < prefix ? std::string(prefix) : opts.startKey;
  auto bind = [&](sqlite3_stmt* s, std::string_view from, std::int64_t limit) {
    bindText(s, 1, from);
    if (end) {
      bindText(s, 2, *end);
    } else {
      sqlite3_bind_null(s, 2);
    }
    sqlite3_bind_int64(s, 3, at);
    sqlite3_bind_int64(s, 4, limit);
  };

  ListResult out;
  out.revision = at;
  std::string next;  // the first key past the page, if any
  {
    auto s = c->stmt(end ? kSqlListBounded : kSqlListOpen);
    if (!s)
      return fail(std::move(s).error());
    Reset r{*s};
    bind(*s, start, opts.limit > 0 ? opts.limit + 1 : -1);
    int rc;
    while ((rc = sqlite3_step(*s)) == SQLITE_ROW) {
      std::string key = columnString(*s, 1);
      if (opts.limit > 0 && static_cast<std::int64_t>(out.items.size()) == opts.limit) {
        next = std::move(key);
        out.more = true;
        break;
      }
      KeyValue kv;
      kv.modRevision = sqlite3_column_int64(*s, 0);
      kv.key = std::move(key);
      kv.createRevision = sqlite3_column_int64(*s, 2);
      kv.value = columnBytes(*s, 3);
      if (!kv.value)
        kv.value = makeBytes({});
      out.items.push_back(std::move(kv));
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
      return fail(sqlError(c->db(), "list"));
  }
  if (out.more) {
    auto s = c->stmt(end ? kSqlCountBounded : kSqlCountOpen);
    if (!s)
      return fail(std::move(s).error());
    Reset r{*s};
    bindText(*s, 1, next);
    if (end) {
      bindText(*s, 2, *end);
    } else {
      sqlite3_bind_null(*s, 2);
    }
    sqlite3_bind_int64(*s, 3, at);
    if (sqlite3_step(*s) != SQLITE_ROW)
      return fail(sqlError(c->db(), "count"));
    out.remaining = sqlite3_column_int64(*s, 0);
  }
  return out;
}

Result<std::int64_t> SqliteStorage::create(std::string_view key, std::string value) {
  auto op = std::make_unique<Core::Op>();
  op->kind = Core::OpKind::Create;
  op->key = std::string(key);
  op->value = std::move(value);
  auto r = core_->submit(std::move(op));
  if (r.error)
    return fail(std::move(*r.error));
  return r.revision;
}

void SqliteStorage::createAsync(std::string_view key, std::string value, CreateCallback done) {
  auto op = std::make_unique<Core::Op>();
  op->kind = Core::OpKind::Create;
  op->key = std::string(key);
  op->value = std::move(value);
  op->done = [done = std::move(done)](Core::OpResult r) {
    if (r.error)
      return done(fail(std::move(*r.error)));
    done(r.revision);
  };
  core_->enqueue(std::move(op));
}

Result<std::int64_t> SqliteStorage::update(std::string_view key, std::string value,
                                           std::int64_t expectedModRevision) {
  auto op = std::make_unique<Core::Op>();
  op->kind = Core::OpKind::Update;
  op->key = std::string(key);
  op->value = std::move(value);
  op->expected = expectedModRevision;
  auto r = core_->submit(std::move(op));
  if (r.error)
    return fail(std::move(*r.error));
  return r.revision;
}

Result<DeleteResult> SqliteStorage::remove(std::string_view key, std::int64_t expectedModRevision) {
  auto op = std::make_unique<Core::Op>();
  op->kind = Core::OpKind::Delete;
  op->key = std::string(key);
  op->expected = expectedModRevision;
  auto r = core_->submit(std::move(op));
  if (r.error)
    return fail(std::move(*r.error));
  return DeleteResult{std::move(r.previous), r.revision};
}

Result<std::unique_ptr<Watch>> SqliteStorage::watch(std::string_view prefix,
                                                    std::int64_t afterRevision,
                                                    WatchCallback callback) {
  auto w = std::make_shared<BatchWatcher>();
  w->prefix = std::string(prefix);
  w->callback = std::move(callback);
  Core& c = *core_;
  // Holding dispatchMu: every event up to `dispatched` has reached the registered watchers, and
  // every later one is pending and will reach this watcher once it is registered. The log gives
  // the ones in between.
  std::unique_lock dlock(c.dispatchMu);
  if (afterRevision < c.compacted.load())
    return fail(Error::compacted(afterRevision, c.compacted.load() + 1));
  auto events = c.replay(prefix, afterRevision, c.dispatched);
  if (!events)
    return fail(std::move(events).error());
  w->delivered = std::max(afterRevision, c.dispatched);
  {
    std::lock_guard lock(c.mu);
    c.watchers.push_back(w);
  }
  if (!events->empty() || w->delivered > afterRevision) {
    w->told = w->delivered;
    c.dispatchingThread = std::this_thread::get_id();
    w->callback(WatchNotification{std::move(*events), std::nullopt, w->delivered});
    c.dispatchingThread = std::thread::id();
  }
  std::weak_ptr<Core> weak = core_;
  return std::unique_ptr<Watch>(std::make_unique<RemovingWatch>([weak, w] {
    w->active.store(false);
    if (auto core = weak.lock())
      core->removeWatcher(w);  // idempotent; waits for a callback running elsewhere
  }));
}

void SqliteStorage::requestProgress() {
  Core& c = *core_;
  {
    std::lock_guard lock(c.mu);
    c.progressWanted = std::max(c.progressWanted, c.revision.load());
  }
  c.pendingCv.notify_one();
}

Result<std::int64_t> SqliteStorage::currentRevision() {
  return core_->revision.load();
}

Result<void> SqliteStorage::compact(std::int64_t revision) {
  auto op = std::make_unique<Core::Op>();
  op->kind = Core::OpKind::Compact;
  op->expected = revision;
  auto r = core_->submit(std::move(op));
  if (r.error)
    return fail(std::move(*r.error));
  return {};
}

std::int64_t SqliteStorage::compactedRevision() const {
  return core_->compacted.load();
}

Result<std::string> SqliteStorage::integrityCheck() {
  auto c = core_->reader();
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(c->db(), "PRAGMA integrity_check", -1, &s, nullptr) != SQLITE_OK)
    return fail(sqlError(c->db(), "integrity_check"));
  std::string out;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    if (!out.empty())
      out += '\n';
    out += columnString(s, 0);
  }
  sqlite3_finalize(s);
  if (rc != SQLITE_DONE)
    return fail(sqlError(c->db(), "integrity_check"));
  return out;
}

std::filesystem::path SqliteStorage::databasePath() const {
  return core_->dbPath;
}

}  // namespace apiserver::storage
