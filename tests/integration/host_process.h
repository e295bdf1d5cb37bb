#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

/// @file host_process.h
/// Test helpers: run the real apiserver-host binary on a free loopback port, talk HTTP to it,
/// and always stop it.

namespace apiserver::testing {

/// Paths of the build products, from the build system.
std::filesystem::path hostBinary();
std::filesystem::path pluginDir();
std::filesystem::path testPluginDir();

/// TempDir is a directory removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

/// RunResult is how a process that was expected to exit ended.
struct RunResult {
  int exitCode = -1;
  std::string output;  ///< stdout and stderr
};

/// runToExit runs the host with `args` and waits (at most `timeout`) for it to exit.
RunResult runToExit(const std::vector<std::string>& args, std::chrono::seconds timeout = std::chrono::seconds(20));

/// HostProcess is a running host. The constructor starts it and waits until it serves; the
/// destructor stops it (SIGTERM, then SIGKILL).
class HostProcess {
 public:
  /// Starts the host with `config` (YAML; "" for the built-in default) plus `args`.
  /// --insecure-port 0, --secure-port -1 and --bind-address 127.0.0.1 are added unless `args`
  /// give those flags; it waits for every port that is on.
  explicit HostProcess(const std::string& config, std::vector<std::string> args = {});
  ~HostProcess();
  HostProcess(const HostProcess&) = delete;
  HostProcess& operator=(const HostProcess&) = delete;

  std::uint16_t port() const { return port_; }
  /// dir is the host's temporary directory (its config file; with a config, data/ is in it).
  const std::filesystem::path& dir() const { return dir_.path(); }
  /// securePort is the HTTPS port (0 when the secure port is off).
  std::uint16_t securePort() const { return securePort_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  /// output is what the host has logged so far.
  std::string output() const;
  /// stop sends SIGTERM and returns the exit code (or -1 after SIGKILL).
  int stop(std::chrono::seconds grace = std::chrono::seconds(15));
  bool running() const { return pid_ > 0; }

 private:
  TempDir dir_;
  int pid_ = -1;
  std::uint16_t port_ = 0;
  std::uint16_t securePort_ = 0;
  std::filesystem::path log_;
};

/// HttpResponse is a complete response.
struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  ///< lower-case names
  std::string body;
  std::string header(const std::string& lowerName) const {
    auto it = headers.find(lowerName);
    return it == headers.end() ? std::string() : it->second;
  }
};

/// HttpClient sends requests over one keep-alive connection (reconnecting when needed).
class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port);
  ~HttpClient();
  HttpResponse request(const std::string& method, const std::string& target, const std::string& body = {},
                       const std::map<std::string, std::string>& headers = {});
  HttpResponse get(const std::string& target, const std::map<std::string, std::string>& headers = {}) {
    return request("GET", target, {}, headers);
  }
  /// raw sends bytes as they are and returns what the server answers until it closes (or 5 s).
  std::string raw(const std::string& bytes);

 private:
  struct Impl;
  Impl* impl_;
};

/// WatchReader reads a streaming (chunked) response line by line.
class WatchReader {
 public:
  /// receiveBuffer, when non-zero, is the socket's SO_RCVBUF (set before connecting): a reader
  /// that does not call next() then makes the server's writes wait.
  WatchReader(std::uint16_t port, const std::string& target,
              const std::map<std::string, std::string>& headers = {}, int receiveBuffer = 0);
  ~WatchReader();
  int status() const;
  std::string header(const std::string& lowerName) const;
  /// next returns the next line (a JSON event), or nullopt when the stream ended or `timeout`
  /// passed.
  std::optional<std::string> next(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  /// ended tells whether the server finished the stream (last chunk seen or connection closed).
  bool ended() const;
  void close();

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace apiserver::testing
