#pragma once

#include <apiserver/config.h>
#include <apiserver/result.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

/// @file config.h
/// Config: the server's configuration as read from the YAML file (then overridden by flags),
/// and CompletedConfig, the validated, defaulted, immutable form the server is built from
/// (kube's Config -> Complete() -> CompletedConfig type-state).

namespace apiserver::config {

/// ServingConfig: the listener and request limits.
struct ServingConfig {
  std::string bindAddress = "127.0.0.1";
  std::int64_t insecurePort = 8080;  ///< 0: any free port
  std::int64_t workerThreads = 0;    ///< 0: one per core, at least 2
  std::int64_t maxRequestsInFlight = 400;
  std::int64_t maxMutatingRequestsInFlight = 200;
  std::chrono::milliseconds requestTimeout{60000};
  std::chrono::milliseconds minRequestTimeout{1800000};
  std::int64_t maxRequestBodyBytes = 3 * 1024 * 1024;
  std::chrono::milliseconds shutdownGracePeriod{10000};
};

/// EtcdConfig: how the etcd3 backend reaches its cluster.
struct EtcdConfig {
  /// Client URLs of the cluster's members (http:// or https://); the backend fails over
  /// between them.
  std::vector<std::string> servers = {"http://127.0.0.1:2379"};
  std::filesystem::path caFile;    ///< CA bundle that signed the members' certificates (TLS)
  std::filesystem::path certFile;  ///< client certificate presented to etcd (TLS)
  std::filesystem::path keyFile;   ///< the client certificate's private key (TLS)
  /// How often the history is compacted (to the revision seen one interval before); 0: never.
  std::chrono::milliseconds compactionInterval{5 * 60 * 1000};
};

/// StorageConfig: the backend and the watch cache.
struct StorageConfig {
  std::string backend = "sqlite";
  std::string prefix = "/registry";
  std::int64_t watchCacheSize = 10000;
  /// How often watchers that asked for bookmarks get one (kube's cacher: once a minute).
  std::chrono::milliseconds bookmarkInterval{60000};
  /// Where the sqlite backend keeps its database; relative paths are relative to the config
  /// file's directory (the working directory for the embedded config).
  std::filesystem::path dataDir = "data";
  EtcdConfig etcd;
  /// How long events (<prefix>/events/ keys) live before the backend expires them; 0: forever.
  std::chrono::milliseconds eventTTL{60 * 60 * 1000};
};

/// PluginEntry: one enabled plugin and its own config section.
struct PluginEntry {
  std::string name;
  std::filesystem::path file;  ///< optional explicit library path
  ConfigSection config;
  std::string where;
};

/// LinkEntry: one handler-chain link, in request order.
struct LinkEntry {
  std::string name;
  ConfigSection config;
  std::string where;
};

/// Config is the whole configuration, before completion.
struct Config {
  std::string source;  ///< the file it came from (or the embedded default)
  ServingConfig serving;
  StorageConfig storage;
  std::filesystem::path pluginDirectory;  ///< empty: the default next to the binary
  std::vector<PluginEntry> plugins;
  std::vector<LinkEntry> handlerChain;
  std::string logLevel = "info";
};

/// kStorageBackends lists the backends this build serves.
inline const std::vector<std::string> kStorageBackends = {"memory", "sqlite", "etcd3"};
/// kLogLevels lists the accepted log levels.
inline const std::vector<std::string> kLogLevels = {"trace", "debug", "info", "warn", "error"};

/// parseConfig reads a YAML document. Relative paths in it are taken relative to `baseDir`.
/// Fails with every problem at once, each "file:line:col: key.path: what was expected".
Result<Config> parseConfig(std::string_view yaml, const std::string& fileName, const std::filesystem::path& baseDir);

/// loadConfigFile reads and parses a file.
Result<Config> loadConfigFile(const std::filesystem::path& file);

/// embeddedDefaultConfig parses the default configuration built into the binary.
Result<Config> embeddedDefaultConfig();

/// CompletedConfig is a Config whose defaults are filled and whose values were checked. Only
/// complete() makes one; the server constructor takes nothing else.
class CompletedConfig {
 public:
  const Config& operator*() const { return config_; }
  const Config* operator->() const { return &config_; }

 private:
  friend Result<CompletedConfig> complete(Config config, const std::filesystem::path& executable);
  explicit CompletedConfig(Config c) : config_(std::move(c)) {}
  Config config_;
};

/// complete fills derived values (worker threads, the plugin directory next to `executable`)
/// and checks what only makes sense as a whole.
Result<CompletedConfig> complete(Config config, const std::filesystem::path& executable);

}  // namespace apiserver::config
