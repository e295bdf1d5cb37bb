#pragma once

#include <apiserver/result.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

/// @file log_backend.h
/// LogBackend: the audit log file (kube's --audit-log-path in blocking mode), one JSON event per
/// line, rotated by size as kube's lumberjack does: the full file is renamed to
/// `<name>-<UTC time as 2006-01-02T15-04-05.000><ext>` and a new one started; the oldest rotated
/// files beyond maxBackups, or older than maxAge, are removed.

namespace apiserver::audit {

/// LogBackendOptions configure the file and its rotation.
struct LogBackendOptions {
  std::string path;                        ///< "-" writes to stdout (never rotated)
  std::uint64_t maxSizeBytes = 100 << 20;  ///< rotate before a write would pass this
  std::int64_t maxBackups = 0;             ///< rotated files kept; 0: all
  std::int64_t maxAgeDays = 0;             ///< rotated files older than this are removed; 0: never
  /// now is the clock of the rotated files' names (tests inject one).
  std::function<std::chrono::system_clock::time_point()> now = [] { return std::chrono::system_clock::now(); };
};

/// LogBackend appends lines to the audit log. Thread-safe: writes are serialized and each line is
/// written whole.
class LogBackend {
 public:
  /// open creates the directory if needed and opens (appends to) the file, rotating it first if
  /// it is already full.
  static Result<std::unique_ptr<LogBackend>> open(LogBackendOptions options);
  ~LogBackend();
  LogBackend(const LogBackend&) = delete;
  LogBackend& operator=(const LogBackend&) = delete;

  /// write appends `line` and a newline, rotating first when the file would grow past the
  /// limit. A line longer than the limit gets a file of its own.
  Result<void> write(std::string_view line);

  /// backupName is the name a rotation at `t` gives the current file.
  std::filesystem::path backupName(std::chrono::system_clock::time_point t) const;

 private:
  explicit LogBackend(LogBackendOptions options);
  Result<void> openFile();
  Result<void> rotate();
  void removeOldBackups();

  LogBackendOptions opts_;
  std::mutex mu_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

}  // namespace apiserver::audit
