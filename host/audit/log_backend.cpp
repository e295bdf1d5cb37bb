#include "audit/log_backend.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <vector>

namespace apiserver::audit {

namespace fs = std::filesystem;

namespace {

constexpr const char* kBackupTimeFormat = "%Y-%m-%dT%H-%M-%S";  // then ".mmm", as lumberjack

std::string backupStamp(std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, kBackupTimeFormat, &tm);
  char out[80];
  std::snprintf(out, sizeof out, "%s.%03d", buf, static_cast<int>(ms % 1000));
  return out;
}

// parseStamp reads a backup name's time back (0 if it is not one).
std::time_t parseStamp(std::string_view s) {
  std::tm tm{};
  std::string str(s.substr(0, 19));
  if (strptime(str.c_str(), kBackupTimeFormat, &tm) == nullptr) return 0;
  return timegm(&tm);
}

bool writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

LogBackend::LogBackend(LogBackendOptions options) : opts_(std::move(options)) {}

LogBackend::~LogBackend() {
  if (fd_ > 1) ::close(fd_);
}

Result<std::unique_ptr<LogBackend>> LogBackend::open(LogBackendOptions options) {
  std::unique_ptr<LogBackend> b(new LogBackend(std::move(options)));
  if (b->opts_.path == "-") {
    b->fd_ = 1;
    return b;
  }
  if (b->opts_.maxSizeBytes == 0) b->opts_.maxSizeBytes = 100 << 20;
  std::error_code ec;
  const fs::path p(b->opts_.path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
  if (ec) return fail(ApiError::internal("creating the audit log directory: " + ec.message()));
  if (auto r = b->openFile(); !r) return fail(std::move(r).error());
  if (b->size_ >= b->opts_.maxSizeBytes)
    if (auto r = b->rotate(); !r) return fail(std::move(r).error());
  return b;
}

Result<void> LogBackend::openFile() {
  fd_ = ::open(opts_.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) return fail(ApiError::internal("open " + opts_.path + ": " + std::strerror(errno)));
  struct stat st {};
  size_ = ::fstat(fd_, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  return {};
}

fs::path LogBackend::backupName(std::chrono::system_clock::time_point t) const {
  const fs::path p(opts_.path);
  return p.parent_path() / (p.stem().string() + "-" + backupStamp(t) + p.extension().string());
}

Result<void> LogBackend::rotate() {
  if (fd_ > 1) ::close(fd_);
  fd_ = -1;
  // Two rotations within one millisecond must not overwrite each other's file.
  auto t = opts_.now();
  fs::path backup = backupName(t);
  std::error_code ec;
  for (int i = 0; fs::exists(backup, ec) && i < 1000; ++i) backup = backupName(t += std::chrono::milliseconds(1));
  if (::rename(opts_.path.c_str(), backup.c_str()) != 0 && errno != ENOENT)
    return fail(ApiError::internal("rotating " + opts_.path + ": " + std::strerror(errno)));
  if (auto r = openFile(); !r) return r;
  removeOldBackups();
  return {};
}

void LogBackend::removeOldBackups() {
  if (opts_.maxBackups <= 0 && opts_.maxAgeDays <= 0) return;
  const fs::path p(opts_.path);
  const std::string prefix = p.stem().string() + "-";
  const std::string ext = p.extension().string();
  struct Backup {
    fs::path path;
    std::string stamp;
    std::time_t time;
  };
  std::vector<Backup> backups;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(p.has_parent_path() ? p.parent_path() : fs::path("."), ec)) {
    const std::string name = e.path().filename().string();
    if (!name.starts_with(prefix) || !name.ends_with(ext) || name.size() <= prefix.size() + ext.size()) continue;
    std::string stamp = name.substr(prefix.size(), name.size() - prefix.size() - ext.size());
    const std::time_t t = parseStamp(stamp);
    if (t == 0) continue;
    backups.push_back({e.path(), std::move(stamp), t});
  }
  // Newest first: the stamps sort as times do.
  std::sort(backups.begin(), backups.end(), [](const Backup& a, const Backup& b) { return a.stamp > b.stamp; });
  const std::time_t cutoff = opts_.maxAgeDays > 0 ? std::chrono::system_clock::to_time_t(opts_.now()) -
                                                        static_cast<std::time_t>(opts_.maxAgeDays) * 24 * 3600
                                                  : 0;
  for (std::size_t i = 0; i < backups.size(); ++i) {
    const bool tooMany = opts_.maxBackups > 0 && i >= static_cast<std::size_t>(opts_.maxBackups);
    const bool tooOld = opts_.maxAgeDays > 0 && backups[i].time < cutoff;
    if (tooMany || tooOld) fs::remove(backups[i].path, ec);
  }
}

Result<void> LogBackend::write(std::string_view line) {
  std::lock_guard lock(mu_);
  const std::uint64_t n = line.size() + 1;
  if (fd_ != 1 && size_ > 0 && size_ + n > opts_.maxSizeBytes)
    if (auto r = rotate(); !r) return r;
  if (fd_ < 0)
    if (auto r = openFile(); !r) return r;
  std::string buf;
  buf.reserve(n);
  buf.append(line);
  buf.push_back('\n');
  if (!writeAll(fd_, buf)) return fail(ApiError::internal("writing " + opts_.path + ": " + std::strerror(errno)));
  size_ += n;
  return {};
}

}  // namespace apiserver::audit
