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

/// ServingConfig: the listeners, their TLS, and request limits.
struct ServingConfig {
  std::string bindAddress = "127.0.0.1";  ///< the secure port's address
  std::int64_t securePort = 6443;         ///< HTTPS; 0: any free port; -1: off
  std::int64_t insecurePort = -1;         ///< plain HTTP, loopback only; 0: any free port; -1: off
  std::string insecureBindAddress = "127.0.0.1";  ///< must be a loopback address
  /// Where the generated CA, serving and admin certificates live; empty: <storage.dataDir>/pki.
  std::filesystem::path certDir;
  std::filesystem::path tlsCertFile;        ///< the operator's serving certificate (with tlsPrivateKeyFile)
  std::filesystem::path tlsPrivateKeyFile;  ///< its key; neither: a generated certificate
  /// Extra subjectAltNames of the generated serving certificate (DNS names or IP addresses).
  std::vector<std::string> tlsSANs;
  std::string tlsMinVersion = "VersionTLS12";  ///< or VersionTLS13
  std::chrono::milliseconds tlsHandshakeTimeout{10000};
  std::int64_t workerThreads = 0;    ///< 0: one per core, at least 2
  /// How many of the I/O threads carry watch streams (IoContexts::nextStream); 0: half of them,
  /// at least one. More than workerThreads means all of them.
  std::int64_t streamThreads = 0;
  /// Whether a watch fan-out's writes on plain HTTP are made many to a system call (io_uring),
  /// where the kernel allows it; false: a sendmsg per stream.
  bool ioUring = true;
  /// Threads that run writes (which wait for a durable commit) off the I/O threads; 0: none, writes
  /// run on the I/O thread that read them.
  std::int64_t blockingThreads = 32;
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
  /// How many creates made at once go to etcd in one Txn, sharing its revision (group commit);
  /// 1: every create a Txn and a revision of its own.
  std::int64_t createsPerTxn = 64;
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
  /// An EncryptionConfiguration (apiserver.config.k8s.io/v1) saying which resources are
  /// encrypted before they reach the backend, and with which keys; empty: none.
  std::filesystem::path encryptionProviderConfig;
};

/// AuthorizationConfig: who may do what (kube's BuiltInAuthorizationOptions).
struct AuthorizationConfig {
  /// The authorizers asked, in order; the first to allow or deny decides, and a request nobody
  /// allows is refused (403). AlwaysAllow and AlwaysDeny are built in; plugins add more (the rbac
  /// plugin: RBAC). Members of system:masters are always allowed.
  std::vector<std::string> modes = {"RBAC"};
  std::string where;  ///< file:line:col of the modes (for errors found once plugins are loaded)
};

/// RequestHeaderConfig: the request-header authenticator, for requests an authenticating proxy
/// (an aggregator) forwards with the user in headers (kube's RequestHeaderAuthenticationOptions).
struct RequestHeaderConfig {
  std::filesystem::path clientCAFile;  ///< empty: the authenticator is off
  std::vector<std::string> allowedNames;  ///< CNs the proxy's certificate may have; empty: any
  std::vector<std::string> usernameHeaders = {"X-Remote-User"};
  std::vector<std::string> groupHeaders = {"X-Remote-Group"};
  std::vector<std::string> extraHeadersPrefix = {"X-Remote-Extra-"};
};

/// AuthenticationConfig: who a request comes from (kube's BuiltInAuthenticationOptions).
struct AuthenticationConfig {
  bool anonymous = true;               ///< unauthenticated requests are system:anonymous
  std::filesystem::path tokenAuthFile;  ///< static bearer tokens (CSV)
  std::filesystem::path clientCAFile;   ///< CAs of x509 client certificates (besides the host's CA)
  RequestHeaderConfig requestHeader;
};

/// AuditConfig: the audit log (kube's AuditOptions, log backend in blocking mode).
struct AuditConfig {
  std::filesystem::path policyFile;  ///< audit.k8s.io/v1 Policy; empty: no auditing
  std::string logPath;               ///< JSON lines; "-" is stdout; empty: no log backend
  std::int64_t logMaxSize = 0;       ///< MB before rotation; 0: 100 (lumberjack's default)
  std::int64_t logMaxBackup = 0;     ///< rotated files kept; 0: all
  std::int64_t logMaxAge = 0;        ///< days a rotated file is kept; 0: no limit
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
  AuthenticationConfig authentication;
  AuditConfig audit;
  AuthorizationConfig authorization;
  std::filesystem::path pluginDirectory;  ///< empty: the default next to the binary
  std::vector<PluginEntry> plugins;
  std::vector<LinkEntry> handlerChain;
  std::string logLevel = "info";
};

/// kStorageBackends lists the backends this build serves.
inline const std::vector<std::string> kStorageBackends = {"memory", "sqlite", "etcd3"};
/// kTlsMinVersions lists the accepted serving.tlsMinVersion values (kube's names).
inline const std::vector<std::string> kTlsMinVersions = {"VersionTLS12", "VersionTLS13"};
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
