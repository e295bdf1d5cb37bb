#pragma once

// Test fixtures for the durable backends: temporary directories, sqlite storages in a fresh
// directory, and real etcd processes (one member or a cluster) on free loopback ports.

#include "storage/interface.h"

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace apiserver::storage::storagetest {

/// kEtcdBinary is Debian's etcd-server; tests that need it skip when it is absent.
inline constexpr const char* kEtcdBinary = "/usr/bin/etcd";
/// etcdAvailable says whether kEtcdBinary exists.
bool etcdAvailable();

/// TempDir is a fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// freePort returns a loopback TCP port nobody listens on right now.
std::uint16_t freePort();

/// RefusingPort holds a loopback TCP port bound and not listening, for as long as it lives: a
/// connection to it is refused, and nobody else can take the port meanwhile (as they can a
/// freePort()'s).
class RefusingPort {
 public:
  RefusingPort();
  ~RefusingPort();
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;
  std::string url() const;

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

/// makeSqliteForTest opens a SqliteStorage in a fresh temporary directory, which is removed when
/// the storage goes.
InterfacePtr makeSqliteForTest();

/// makeEtcdForTest connects an Etcd3Storage to this process's single-member etcd, started on
/// first use and stopped at exit. Null, with the test skipped if /usr/bin/etcd is absent, or
/// failed if etcd cannot be started.
InterfacePtr makeEtcdForTest();

/// EtcdCluster runs etcd members on loopback ports, each in its own data directory, and stops
/// them (SIGKILL) when destroyed. Members die with the test process (PR_SET_PDEATHSIG).
class EtcdCluster {
 public:
  /// start launches `members` members and waits until the cluster has a leader. On failure the
  /// cluster is null and `error` says why.
  static std::unique_ptr<EtcdCluster> start(int members, std::string* error);
  ~EtcdCluster();

  int size() const { return static_cast<int>(members_.size()); }
  std::vector<std::string> clientUrls() const;
  std::string clientUrl(int i) const;
  std::uint16_t clientPort(int i) const {
    return members_.at(static_cast<std::size_t>(i)).clientPort;
  }
  bool running(int i) const { return members_.at(static_cast<std::size_t>(i)).pid > 0; }

  /// kill sends SIGKILL to member i and reaps it.
  void kill(int i);
  /// restart starts member i again on its ports and data directory (it rejoins the cluster).
  bool restart(int i);
  /// leader returns the index of the member that is leader now (-1 if none answers).
  int leader() const;
  /// waitHealthy waits until member i reports a leader on its client port (false after
  /// `seconds`, or at once if its process has exited). The member answering must be this one:
  /// its member list holds this member's peer address.
  bool waitHealthy(int i, int seconds);
  /// etcdctl runs etcdctl against the cluster with the given arguments and returns its output.
  std::string etcdctl(const std::string& args) const;

 private:
  struct Member {
    std::string name;
    std::uint16_t clientPort = 0;
    std::uint16_t peerPort = 0;
    std::filesystem::path dataDir;
    pid_t pid = -1;
  };
  EtcdCluster() = default;
  bool launch(Member& m, bool initial);

  TempDir dir_;
  std::string initialCluster_;
  std::string token_;
  std::vector<Member> members_;
};

/// httpRequest sends one HTTP/1.1 request to 127.0.0.1:port and returns the response body
/// (empty on any failure).
std::string httpRequest(std::uint16_t port, const std::string& method, const std::string& path,
                        const std::string& body = "", int timeoutMs = 2000);

}  // namespace apiserver::storage::storagetest
