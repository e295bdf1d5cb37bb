#include "backend_fixtures.h"

#include "storage/etcd3/etcd3_storage.h"
#include "storage/sqlite/sqlite_storage.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace apiserver::storage::storagetest {

using namespace std::chrono_literals;

bool etcdAvailable() {
  return ::access(kEtcdBinary, X_OK) == 0;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "apiserver-storage-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed";
    return;
  }
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty())
    std::filesystem::remove_all(path_, ec);
}

namespace {

// bindLoopback binds fd to a loopback port the kernel picks and returns it (0 if it cannot).
std::uint16_t bindLoopback(int fd) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    return 0;
  return ntohs(a.sin_port);
}

}  // namespace

std::uint16_t freePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  const std::uint16_t port = bindLoopback(fd);
  if (fd >= 0)
    ::close(fd);
  return port;
}

RefusingPort::RefusingPort() : fd_(::socket(AF_INET, SOCK_STREAM, 0)), port_(bindLoopback(fd_)) {
  if (port_ == 0)
    ADD_FAILURE() << "cannot bind a loopback port";
}

RefusingPort::~RefusingPort() {
  if (fd_ >= 0)
    ::close(fd_);
}

std::string RefusingPort::url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

InterfacePtr makeSqliteForTest() {
  // The storage and the directory it lives in go together: the aliasing shared_ptr keeps the
  // holder (directory first, storage second, so the storage closes before the directory goes).
  struct Holder {
    TempDir dir;
    std::shared_ptr<SqliteStorage> storage;
  };
  auto h = std::make_shared<Holder>();
  SqliteOptions o;
  o.dataDir = h->dir.path() / "data";
  o.compactionInterval = std::chrono::milliseconds(0);
  auto s = SqliteStorage::open(o);
  if (!s) {
    ADD_FAILURE() << "sqlite: " << s.error().message;
    return nullptr;
  }
  h->storage = std::move(*s);
  SqliteStorage* raw = h->storage.get();
  return InterfacePtr(std::move(h), raw);
}

std::string httpRequest(std::uint16_t port, const std::string& method, const std::string& path,
                        const std::string& body, int timeoutMs) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return {};
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  timeval tv{timeoutMs / 1000, (timeoutMs % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return {};
  }
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!body.empty())
    req +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return {};
  }
  std::string resp;
  std::array<char, 4096> buf;
  for (;;) {
    ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n <= 0)
      break;
    resp.append(buf.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
  auto split = resp.find("\r\n\r\n");
  return split == std::string::npos ? std::string() : resp.substr(split + 4);
}

// ---------------------------------------------------------------- EtcdCluster

std::unique_ptr<EtcdCluster> EtcdCluster::start(int members, std::string* error) {
  // A port from freePort() is free only until somebody binds it: a test running in parallel may
  // take it first, and its etcd would then answer for ours (and go away with its test). A start
  // that finds its members dead or answered by another process tries again on new ports.
  static constexpr int kAttempts = 3;
  std::string why;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    std::unique_ptr<EtcdCluster> c(new EtcdCluster());
    c->token_ = "apiserver-test-" + std::to_string(::getpid()) + "-" + std::to_string(freePort());
    for (int i = 0; i < members; ++i) {
      Member m;
      m.name = "m" + std::to_string(i);
      m.clientPort = freePort();
      m.peerPort = freePort();
      m.dataDir = c->dir_.path() / m.name;
      c->initialCluster_ +=
          (i == 0 ? "" : ",") + m.name + "=http://127.0.0.1:" + std::to_string(m.peerPort);
      c->members_.push_back(m);
    }
    for (auto& m : c->members_)
      if (!c->launch(m, true)) {
        if (error != nullptr)
          *error = "cannot start " + std::string(kEtcdBinary);
        return nullptr;
      }
    bool healthy = true;
    for (int i = 0; i < members && healthy; ++i)
      if (!c->waitHealthy(i, 30)) {
        healthy = false;
        why = "etcd member " + std::to_string(i) + " did not become healthy";
      }
    if (healthy)
      return c;
  }
  if (error != nullptr)
    *error = why + " (" + std::to_string(kAttempts) + " attempts)";
  return nullptr;
}

EtcdCluster::~EtcdCluster() {
  for (int i = 0; i < size(); ++i)
    kill(i);
}

bool EtcdCluster::launch(Member& m, bool initial) {
  std::vector<std::string> args = {
      kEtcdBinary,
      "--name",
      m.name,
      "--data-dir",
      m.dataDir.string(),
      "--listen-client-urls",
      "http://127.0.0.1:" + std::to_string(m.clientPort),
      "--advertise-client-urls",
      "http://127.0.0.1:" + std::to_string(m.clientPort),
      "--listen-peer-urls",
      "http://127.0.0.1:" + std::to_string(m.peerPort),
      "--initial-advertise-peer-urls",
      "http://127.0.0.1:" + std::to_string(m.peerPort),
      "--initial-cluster",
      initialCluster_,
      "--initial-cluster-token",
      token_,
      "--initial-cluster-state",
      initial ? "new" : "existing",
      "--logger",
      "zap",
      "--log-outputs",
      (dir_.path() / (m.name + ".log")).string(),
  };
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0)
    return false;
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent)
      ::_exit(1);
    int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(kEtcdBinary, argv.data());
    ::_exit(127);
  }
  m.pid = pid;
  return true;
}

void EtcdCluster::kill(int i) {
  auto& m = members_.at(static_cast<std::size_t>(i));
  if (m.pid <= 0)
    return;
  ::kill(m.pid, SIGKILL);
  ::waitpid(m.pid, nullptr, 0);
  m.pid = -1;
}

bool EtcdCluster::restart(int i) {
  auto& m = members_.at(static_cast<std::size_t>(i));
  if (m.pid > 0)
    return true;
  // The data directory exists: etcd rejoins with it and ignores the initial-cluster flags.
  return launch(m, true);
}

std::vector<std::string> EtcdCluster::clientUrls() const {
  std::vector<std::string> out;
  for (int i = 0; i < size(); ++i)
    out.push_back(clientUrl(i));
  return out;
}

std::string EtcdCluster::clientUrl(int i) const {
  return "http://127.0.0.1:" + std::to_string(clientPort(i));
}

bool EtcdCluster::waitHealthy(int i, int seconds) {
  auto& m = members_.at(static_cast<std::size_t>(i));
  const std::string peerUrl = "\"http://127.0.0.1:" + std::to_string(m.peerPort) + "\"";
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (m.pid <= 0 || ::waitpid(m.pid, nullptr, WNOHANG) == m.pid) {
      m.pid = -1;  // exited (its port taken, say): not coming up
      return false;
    }
    auto body = httpRequest(m.clientPort, "GET", "/health", "", 1000);
    // Healthy, and ours: the members listed there include this member's peer address.
    if (body.find("\"health\":\"true\"") != std::string::npos &&
        httpRequest(m.clientPort, "POST", "/v3/cluster/member/list", "{}", 1000).find(peerUrl) !=
            std::string::npos)
      return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

int EtcdCluster::leader() const {
  // The gRPC gateway answers Maintenance.Status as JSON: the member's id and the leader's id.
  auto field = [](const std::string& body, const std::string& name) {
    auto at = body.find("\"" + name + "\":\"");
    if (at == std::string::npos)
      return std::string();
    at += name.size() + 4;
    return body.substr(at, body.find('"', at) - at);
  };
  for (int i = 0; i < size(); ++i) {
    if (!running(i))
      continue;
    auto body = httpRequest(clientPort(i), "POST", "/v3/maintenance/status", "{}", 1000);
    auto leader = field(body, "leader");
    if (leader.empty() || leader == "0")
      continue;
    for (int j = 0; j < size(); ++j) {
      if (!running(j))
        continue;
      auto other = httpRequest(clientPort(j), "POST", "/v3/maintenance/status", "{}", 1000);
      if (field(other, "member_id") == leader)
        return j;
    }
  }
  return -1;
}

std::string EtcdCluster::etcdctl(const std::string& args) const {
  std::string endpoints;
  for (int i = 0; i < size(); ++i)
    if (running(i))
      endpoints += (endpoints.empty() ? "" : ",") + clientUrl(i);
  std::string cmd = "ETCDCTL_API=3 etcdctl --endpoints=" + endpoints + " " + args + " 2>&1";
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    std::array<char, 4096> buf;
    std::size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0)
      out.append(buf.data(), n);
    ::pclose(p);
  }
  return out;
}

// ---------------------------------------------------------------- shared single member

namespace {

// The process's single-member etcd for the conformance suite: started on first use, stopped by
// the static destructor at exit (and by PR_SET_PDEATHSIG if the process dies).
EtcdCluster* sharedEtcd(std::string* error) {
  static std::mutex mu;
  static std::unique_ptr<EtcdCluster> cluster;
  static std::string startError;
  std::lock_guard lock(mu);
  if (!cluster && startError.empty()) {
    cluster = EtcdCluster::start(1, &startError);
    if (!cluster && startError.empty())
      startError = "etcd did not start";
  }
  if (!cluster && error != nullptr)
    *error = startError;
  return cluster.get();
}

}  // namespace

namespace {
void skipWithoutEtcd() {
  GTEST_SKIP() << kEtcdBinary << " is absent (Debian package etcd-server): etcd3 not tested";
}
}  // namespace

InterfacePtr makeEtcdForTest() {
  if (!etcdAvailable()) {
    skipWithoutEtcd();
    return nullptr;
  }
  std::string error;
  EtcdCluster* c = sharedEtcd(&error);
  if (c == nullptr) {
    ADD_FAILURE() << error;
    return nullptr;
  }
  Etcd3Options o;
  o.servers = c->clientUrls();
  o.compactionInterval = std::chrono::milliseconds(0);
  o.leasedPrefixes = {"/registry/events/"};
  auto s = Etcd3Storage::open(o);
  if (!s) {
    ADD_FAILURE() << "etcd3: " << s.error().message;
    return nullptr;
  }
  return *s;
}

}  // namespace apiserver::storage::storagetest
