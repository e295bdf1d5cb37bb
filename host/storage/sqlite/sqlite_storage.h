#pragma once

#include "storage/interface.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

/// @file sqlite_storage.h
/// SqliteStorage: the embedded, durable backend. A revision log in one SQLite database, in the
/// manner of kine (k3s): every write is a row whose id is its revision; the current state is the
/// latest row of each key that is not a delete; compaction removes superseded rows. See
/// docs/storage.md for the file layout, group commit and what survives a crash or power loss.

namespace apiserver::storage {

/// SqliteOptions configure a SqliteStorage.
struct SqliteOptions {
  /// Directory of the database (created if missing): state.db, its -wal and -shm files, and
  /// apiserver.lock, which one process at a time holds.
  std::filesystem::path dataDir;
  /// Read connections (WAL readers never block the writer, nor each other).
  std::size_t readConnections = 4;
  /// Most operations one group commit takes from the queue.
  std::size_t maxBatch = 512;
  /// How often history is compacted on a schedule (to the revision seen one interval before,
  /// keeping at least `compactionRetain` revisions); zero: only on demand.
  std::chrono::milliseconds compactionInterval{5 * 60 * 1000};
  /// Revisions of history a scheduled compaction always keeps.
  std::int64_t compactionRetain = 1000;
};

/// SqliteStorage implements Interface over a SQLite revision log. Writes go through one
/// committer thread that batches concurrent writers into one transaction and one fsync (group
/// commit); a write returns only after its transaction is durable. Watches are fed in-process by
/// a dispatcher thread, in revision order; progress notifications as etcd's: with the events of
/// a watcher's keys, or when asked (requestProgress). Thread-safe.
class SqliteStorage final : public Interface {
 public:
  /// open opens (or creates) the database in options.dataDir. Fails if the directory cannot be
  /// created, the database cannot be opened, or another process holds it.
  static Result<std::shared_ptr<SqliteStorage>> open(SqliteOptions options);
  ~SqliteStorage() override;
  SqliteStorage(const SqliteStorage&) = delete;
  SqliteStorage& operator=(const SqliteStorage&) = delete;

  Result<KeyValue> get(std::string_view key) override;
  Result<ListResult> list(std::string_view prefix, const ListOptions& opts) override;
  Result<std::int64_t> create(std::string_view key, std::string value) override;
  /// createAsync answers on the committer thread, after the commit that made the write durable.
  void createAsync(std::string_view key, std::string value, CreateCallback done) override;
  bool createWaits() const override { return false; }
  Result<std::int64_t> update(std::string_view key, std::string value,
                              std::int64_t expectedModRevision) override;
  Result<DeleteResult> remove(std::string_view key, std::int64_t expectedModRevision) override;
  Result<std::unique_ptr<Watch>> watch(std::string_view prefix, std::int64_t afterRevision,
                                       WatchCallback callback) override;
  Result<std::int64_t> currentRevision() override;
  /// requestProgress has the dispatcher tell every watcher not told yet that it is current up to
  /// the latest commit; a commit tells only the watchers of its keys.
  void requestProgress() override;
  Result<void> compact(std::int64_t revision) override;

  /// compactedRevision is the revision history was last compacted to (1 for a fresh database).
  std::int64_t compactedRevision() const;
  /// integrityCheck runs `PRAGMA integrity_check`: "ok", or SQLite's list of problems.
  Result<std::string> integrityCheck();
  /// databasePath is the path of the database file.
  std::filesystem::path databasePath() const;

  struct Core;  // the implementation, shared with watch handles

 private:
  explicit SqliteStorage(std::shared_ptr<Core> core);
  std::shared_ptr<Core> core_;
};

}  // namespace apiserver::storage
