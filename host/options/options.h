#pragma once

#include "config/config.h"

#include <apiserver/result.h>

#include <optional>
#include <string>
#include <vector>

/// @file options.h
/// Options: what can be said on the command line (Boost.Program_options), with kube-apiserver's
/// flag names where kube has the flag. Flags override the YAML file.

namespace apiserver::options {

/// Options holds the flags given; unset flags leave the file's value alone.
struct Options {
  bool help = false;
  bool version = false;
  std::optional<std::string> configFile;
  std::optional<std::string> pluginDir;
  std::optional<std::string> bindAddress;
  std::optional<std::int64_t> insecurePort;
  // Secure serving, authentication and audit (kube's flag names).
  std::optional<std::int64_t> securePort;
  std::optional<std::string> insecureBindAddress;
  std::optional<std::string> certDir;
  std::optional<std::string> tlsCertFile;
  std::optional<std::string> tlsPrivateKeyFile;
  std::optional<std::string> tlsMinVersion;
  std::optional<std::string> anonymousAuth;  ///< "true" or "false" (--anonymous-auth[=false])
  std::optional<std::string> tokenAuthFile;
  std::optional<std::string> clientCaFile;
  std::optional<std::string> requestheaderClientCaFile;
  std::optional<std::vector<std::string>> requestheaderAllowedNames;  ///< each may hold a comma list
  std::optional<std::vector<std::string>> requestheaderUsernameHeaders;
  std::optional<std::vector<std::string>> requestheaderGroupHeaders;
  std::optional<std::vector<std::string>> requestheaderExtraHeadersPrefix;
  std::optional<std::string> auditPolicyFile;
  std::optional<std::string> auditLogPath;
  std::optional<std::int64_t> auditLogMaxsize;
  std::optional<std::int64_t> auditLogMaxbackup;
  std::optional<std::int64_t> auditLogMaxage;
  std::optional<std::int64_t> workerThreads;
  std::optional<std::int64_t> streamThreads;
  std::optional<std::string> ioUring;  ///< "true" or "false" (--io-uring[=false])
  std::optional<std::int64_t> blockingThreads;
  std::optional<std::string> storageBackend;
  std::optional<std::string> etcdPrefix;
  std::optional<std::string> dataDir;
  std::optional<std::string> etcdServers;  ///< comma-separated client URLs
  std::optional<std::string> etcdCaFile;
  std::optional<std::string> etcdCertFile;
  std::optional<std::string> etcdKeyFile;
  std::optional<std::string> etcdCompactionInterval;
  std::optional<std::string> eventTtl;
  std::optional<std::int64_t> etcdCreatesPerTxn;
  std::optional<std::int64_t> maxRequestsInflight;
  std::optional<std::int64_t> maxMutatingRequestsInflight;
  std::optional<std::string> requestTimeout;
  std::optional<std::int64_t> minRequestTimeout;
  std::optional<std::string> logLevel;
  std::optional<std::string> authorizationMode;         ///< comma-separated modes
  std::optional<std::string> encryptionProviderConfig;  ///< an EncryptionConfiguration file
};

/// parse reads argv. Unknown flags and malformed values fail with a usage error.
Result<Options> parse(int argc, const char* const* argv);

/// usage is the --help text.
std::string usage();

/// applyTo overrides `config` with the flags given, checking each value; every problem is
/// reported at once, naming its flag.
Result<void> applyTo(const Options& options, config::Config& config);

/// loadConfig reads the file named by --config (or the embedded default) and applies the flags.
Result<config::Config> loadConfig(const Options& options);

}  // namespace apiserver::options
