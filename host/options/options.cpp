#include "options/options.h"

#include <boost/program_options.hpp>

#include <filesystem>
#include <sstream>
#include <string_view>
#include <vector>

namespace apiserver::options {

namespace po = boost::program_options;

namespace {

po::options_description describe(Options* o) {
  po::options_description d("apiserver-host options");
  // Each option stores into its std::optional through a notifier.
  auto str = [](std::optional<std::string>* dst) {
    return po::value<std::string>()->notifier([dst](const std::string& v) { *dst = v; });
  };
  auto num = [](std::optional<std::int64_t>* dst) {
    return po::value<std::int64_t>()->notifier([dst](std::int64_t v) { *dst = v; });
  };
  // A list flag may repeat and each value may hold a comma-separated list (Go's StringSlice).
  auto list = [](std::optional<std::vector<std::string>>* dst) {
    return po::value<std::vector<std::string>>()->composing()->notifier([dst](const std::vector<std::string>& v) {
      std::vector<std::string> out;
      for (const auto& one : v) {
        std::string_view rest = one;
        for (;;) {
          auto comma = rest.find(',');
          std::string_view item = rest.substr(0, comma);
          while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
          while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
          if (!item.empty()) out.emplace_back(item);
          if (comma == std::string_view::npos) break;
          rest.remove_prefix(comma + 1);
        }
      }
      *dst = std::move(out);
    });
  };
  // One flag per entry, as --help lists them.
  // clang-format off
  d.add_options()
      ("help,h", po::bool_switch(&o->help), "print this help and exit")
      ("version", po::bool_switch(&o->version), "print the version and exit")
      ("config", str(&o->configFile), "the YAML configuration file (default: the built-in config/apiserver.yaml)")
      ("plugin-dir", str(&o->pluginDir), "directory to load plugins from (default: ../plugins next to the binary)")
      ("bind-address", str(&o->bindAddress), "the IP address to serve on (serving.bindAddress)")
      ("insecure-port", num(&o->insecurePort),
       "the plain-HTTP port, unauthenticated, on loopback only; 0 picks a free one; -1 (default) is off "
       "(serving.insecurePort)")
      ("insecure-bind-address", str(&o->insecureBindAddress),
       "the loopback address of the insecure port (serving.insecureBindAddress)")
      ("secure-port", num(&o->securePort),
       "the HTTPS port (default 6443); 0 picks a free one; -1 is off (serving.securePort)")
      ("cert-dir", str(&o->certDir),
       "where the generated CA, serving and admin certificates are kept (serving.certDir; default <data-dir>/pki)")
      ("tls-cert-file", str(&o->tlsCertFile),
       "the serving certificate (PEM, then intermediates); without it one is generated (serving.tlsCertFile)")
      ("tls-private-key-file", str(&o->tlsPrivateKeyFile), "the key of --tls-cert-file (serving.tlsPrivateKeyFile)")
      ("tls-min-version", str(&o->tlsMinVersion), "VersionTLS12 (default) or VersionTLS13 (serving.tlsMinVersion)")
      ("anonymous-auth", po::value<std::string>()->implicit_value("true")->notifier([o](const std::string& v) {
         o->anonymousAuth = v;
       }),
       "serve unauthenticated requests as system:anonymous (default true; --anonymous-auth=false) "
       "(authentication.anonymous)")
      ("token-auth-file", str(&o->tokenAuthFile),
       "static bearer tokens, CSV lines token,user,uid,\"group1,group2\" (authentication.tokenAuthFile)")
      ("client-ca-file", str(&o->clientCaFile),
       "CA bundle of client certificates: CN is the user, O the groups (authentication.clientCAFile)")
      ("requestheader-client-ca-file", str(&o->requestheaderClientCaFile),
       "CA bundle of the authenticating proxy whose user headers are believed "
       "(authentication.requestHeader.clientCAFile)")
      ("requestheader-allowed-names", list(&o->requestheaderAllowedNames),
       "CNs the proxy's certificate may have; empty: any (authentication.requestHeader.allowedNames)")
      ("requestheader-username-headers", list(&o->requestheaderUsernameHeaders),
       "headers holding the user name, first non-empty wins (authentication.requestHeader.usernameHeaders)")
      ("requestheader-group-headers", list(&o->requestheaderGroupHeaders),
       "headers holding the groups (authentication.requestHeader.groupHeaders)")
      ("requestheader-extra-headers-prefix", list(&o->requestheaderExtraHeadersPrefix),
       "header prefixes of the user's extra values (authentication.requestHeader.extraHeadersPrefix)")
      ("audit-policy-file", str(&o->auditPolicyFile), "an audit.k8s.io/v1 Policy (audit.policyFile)")
      ("audit-log-path", str(&o->auditLogPath), "the audit log (JSON lines); - is stdout (audit.logPath)")
      ("audit-log-maxsize", num(&o->auditLogMaxsize),
       "megabytes of the audit log before it is rotated; 0 = 100 (audit.logMaxSize)")
      ("audit-log-maxbackup", num(&o->auditLogMaxbackup),
       "rotated audit logs kept; 0 = all (audit.logMaxBackup)")
      ("audit-log-maxage", num(&o->auditLogMaxage),
       "days a rotated audit log is kept; 0 = no limit (audit.logMaxAge)")
      ("worker-threads", num(&o->workerThreads), "threads serving I/O and requests; 0 = one per core (serving.workerThreads)")
      ("stream-threads", num(&o->streamThreads),
       "of the worker threads, how many carry watch streams; 0 = half, at least one (serving.streamThreads)")
      ("io-uring", po::value<std::string>()->implicit_value("true")->notifier([o](const std::string& v) {
         o->ioUring = v;
       }),
       "make a watch fan-out's writes many to a system call (io_uring) where the kernel allows it "
       "(default true; --io-uring=false) (serving.ioUring)")
      ("blocking-threads", num(&o->blockingThreads),
       "threads running writes, which wait for storage; 0 = writes run on the I/O threads (serving.blockingThreads)")
      ("storage-backend", str(&o->storageBackend), "the storage backend: memory, sqlite or etcd3 (storage.backend)")
      ("etcd-prefix", str(&o->etcdPrefix), "the key prefix of every stored object (storage.prefix)")
      ("data-dir", str(&o->dataDir), "directory of the sqlite backend's database (storage.dataDir)")
      ("etcd-servers", str(&o->etcdServers),
       "comma-separated etcd client URLs, e.g. http://127.0.0.1:2379 (storage.etcd.servers)")
      ("etcd-cafile", str(&o->etcdCaFile), "CA bundle to verify the etcd members with (storage.etcd.cafile)")
      ("etcd-certfile", str(&o->etcdCertFile), "client certificate presented to etcd (storage.etcd.certfile)")
      ("etcd-keyfile", str(&o->etcdKeyFile), "private key of --etcd-certfile (storage.etcd.keyfile)")
      ("etcd-compaction-interval", str(&o->etcdCompactionInterval),
       "how often the storage history is compacted, e.g. 5m; 0 = never (storage.etcd.compactionInterval)")
      ("etcd-creates-per-txn", num(&o->etcdCreatesPerTxn),
       "how many creates made at once go to etcd in one Txn, sharing its revision, 1-128; 1 = each "
       "its own (storage.etcd.createsPerTxn)")
      ("event-ttl", str(&o->eventTtl), "how long events are kept, e.g. 1h (storage.eventTTL)")
      ("max-requests-inflight", num(&o->maxRequestsInflight),
       "the maximum number of non-mutating requests in flight; 0 = unlimited (serving.maxRequestsInFlight)")
      ("max-mutating-requests-inflight", num(&o->maxMutatingRequestsInflight),
       "the maximum number of mutating requests in flight; 0 = unlimited (serving.maxMutatingRequestsInFlight)")
      ("request-timeout", str(&o->requestTimeout), "the duration a non-long-running request may take, e.g. 60s (serving.requestTimeout)")
      ("min-request-timeout", num(&o->minRequestTimeout),
       "seconds: a watch lasts between this and twice this unless it asks otherwise (serving.minRequestTimeout)")
      ("log-level", str(&o->logLevel), "trace, debug, info, warn or error (logging.level)")
      ("authorization-mode", str(&o->authorizationMode),
       "ordered comma-separated authorizers: AlwaysAllow, AlwaysDeny, RBAC (authorization.modes)")
      ("encryption-provider-config", str(&o->encryptionProviderConfig),
       "EncryptionConfiguration file: how resources are encrypted at rest (storage.encryptionProviderConfig)");
  // clang-format on
  return d;
}

}  // namespace

Result<Options> parse(int argc, const char* const* argv) {
  Options o;
  try {
    auto desc = describe(&o);
    po::variables_map vm;
    auto parsed = po::command_line_parser(argc, argv).options(desc).allow_unregistered().run();
    // Positional arguments are refused, as kube-apiserver does: a forgotten --config must not
    // start the server on the built-in configuration.
    for (const auto& o : parsed.options) {
      if (o.position_key >= 0 && !o.original_tokens.empty())
        return fail(ApiError::badRequest("unexpected argument \"" + o.original_tokens.front() +
                                         "\" (flags start with --; did you mean --config " +
                                         o.original_tokens.front() + "?)"));
      if (o.unregistered && !o.original_tokens.empty())
        return fail(ApiError::badRequest("unrecognised option '" + o.original_tokens.front() + "' (see --help)"));
    }
    po::store(parsed, vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return fail(ApiError::badRequest(std::string(e.what()) + " (see --help)"));
  }
  return o;
}

std::string usage() {
  Options o;
  std::ostringstream ss;
  ss << "Usage: apiserver-host [flags]\n\n"
     << "A Kubernetes-style API server that loads its resources from plugins.\n"
     << "Flags override the YAML configuration file.\n\n"
     << describe(&o);
  return ss.str();
}

namespace {

// boolFlag applies a true/false flag (--name, --name=true, --name=false) to `dst`.
template <class Bad>
void boolFlag(const std::optional<std::string>& v, const char* flag, bool& dst, Bad& bad) {
  if (!v)
    return;
  if (*v == "true" || *v == "1") {
    dst = true;
  } else if (*v == "false" || *v == "0") {
    dst = false;
  } else {
    bad(flag, "expected true or false, got \"" + *v + "\"");
  }
}

// applySecurityFlags applies the secure-serving, authentication and audit flags.
template <class Bad>
void applySecurityFlags(const Options& o, config::Config& c, Bad& bad) {
  auto path = [&](const std::optional<std::string>& v, const char* flag, std::filesystem::path& dst) {
    if (!v) return;
    if (v->empty()) {
      bad(flag, "must not be empty");
    } else {
      dst = std::filesystem::absolute(*v);
    }
  };
  if (o.securePort) {
    if (*o.securePort < -1 || *o.securePort > 65535) bad("--secure-port", "must be between 0 and 65535, or -1 (off)");
    c.serving.securePort = *o.securePort;
  }
  if (o.insecureBindAddress) c.serving.insecureBindAddress = *o.insecureBindAddress;
  path(o.certDir, "--cert-dir", c.serving.certDir);
  path(o.tlsCertFile, "--tls-cert-file", c.serving.tlsCertFile);
  path(o.tlsPrivateKeyFile, "--tls-private-key-file", c.serving.tlsPrivateKeyFile);
  if (o.tlsMinVersion) {
    if (std::find(config::kTlsMinVersions.begin(), config::kTlsMinVersions.end(), *o.tlsMinVersion) ==
        config::kTlsMinVersions.end())
      bad("--tls-min-version", "expected VersionTLS12 or VersionTLS13, got \"" + *o.tlsMinVersion + "\"");
    c.serving.tlsMinVersion = *o.tlsMinVersion;
  }
  boolFlag(o.anonymousAuth, "--anonymous-auth", c.authentication.anonymous, bad);
  path(o.tokenAuthFile, "--token-auth-file", c.authentication.tokenAuthFile);
  path(o.clientCaFile, "--client-ca-file", c.authentication.clientCAFile);
  auto& rh = c.authentication.requestHeader;
  path(o.requestheaderClientCaFile, "--requestheader-client-ca-file", rh.clientCAFile);
  if (o.requestheaderAllowedNames) rh.allowedNames = *o.requestheaderAllowedNames;
  if (o.requestheaderUsernameHeaders) rh.usernameHeaders = *o.requestheaderUsernameHeaders;
  if (o.requestheaderGroupHeaders) rh.groupHeaders = *o.requestheaderGroupHeaders;
  if (o.requestheaderExtraHeadersPrefix) rh.extraHeadersPrefix = *o.requestheaderExtraHeadersPrefix;
  path(o.auditPolicyFile, "--audit-policy-file", c.audit.policyFile);
  if (o.auditLogPath) {
    if (o.auditLogPath->empty()) {
      bad("--audit-log-path", "must not be empty");
    } else {
      c.audit.logPath = *o.auditLogPath == "-" ? "-" : std::filesystem::absolute(*o.auditLogPath).string();
    }
  }
  auto count = [&](const std::optional<std::int64_t>& v, const char* flag, std::int64_t& dst) {
    if (!v) return;
    if (*v < 0) bad(flag, "can not be negative value");
    dst = *v;
  };
  count(o.auditLogMaxsize, "--audit-log-maxsize", c.audit.logMaxSize);
  count(o.auditLogMaxbackup, "--audit-log-maxbackup", c.audit.logMaxBackup);
  count(o.auditLogMaxage, "--audit-log-maxage", c.audit.logMaxAge);
}

}  // namespace

Result<void> applyTo(const Options& o, config::Config& c) {
  std::vector<ConfigError> errs;
  auto bad = [&](const char* flag, std::string msg) { errs.push_back({"", flag, std::move(msg)}); };
  if (o.pluginDir) c.pluginDirectory = std::filesystem::absolute(*o.pluginDir);
  if (o.bindAddress) c.serving.bindAddress = *o.bindAddress;
  if (o.insecurePort) {
    if (*o.insecurePort < -1 || *o.insecurePort > 65535)
      bad("--insecure-port", "must be between 0 and 65535, or -1 (off)");
    c.serving.insecurePort = *o.insecurePort;
  }
  applySecurityFlags(o, c, bad);
  if (o.workerThreads) {
    if (*o.workerThreads < 0 || *o.workerThreads > 1024) bad("--worker-threads", "must be between 0 and 1024");
    c.serving.workerThreads = *o.workerThreads;
  }
  if (o.streamThreads) {
    if (*o.streamThreads < 0 || *o.streamThreads > 1024)
      bad("--stream-threads", "must be between 0 and 1024");
    c.serving.streamThreads = *o.streamThreads;
  }
  boolFlag(o.ioUring, "--io-uring", c.serving.ioUring, bad);
  if (o.blockingThreads) {
    if (*o.blockingThreads < 0 || *o.blockingThreads > 4096) bad("--blocking-threads", "must be between 0 and 4096");
    c.serving.blockingThreads = *o.blockingThreads;
  }
  if (o.storageBackend) {
    if (std::find(config::kStorageBackends.begin(), config::kStorageBackends.end(), *o.storageBackend) ==
        config::kStorageBackends.end()) {
      std::string list;
      for (const auto& b : config::kStorageBackends) list += (list.empty() ? "" : ", ") + b;
      bad("--storage-backend", "unsupported backend \"" + *o.storageBackend + "\"; expected one of " + list);
    }
    c.storage.backend = *o.storageBackend;
  }
  if (o.etcdPrefix) {
    if (o.etcdPrefix->empty() || o.etcdPrefix->front() != '/') bad("--etcd-prefix", "must start with '/'");
    c.storage.prefix = *o.etcdPrefix;
    while (c.storage.prefix.size() > 1 && c.storage.prefix.back() == '/') c.storage.prefix.pop_back();  // as storage.prefix
  }
  if (o.dataDir) {
    if (o.dataDir->empty()) bad("--data-dir", "must not be empty");
    c.storage.dataDir = std::filesystem::absolute(*o.dataDir);
  }
  if (o.etcdServers) {
    std::vector<std::string> servers;
    std::string_view rest = *o.etcdServers;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      std::string_view one = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
      while (!one.empty() && one.back() == ' ') one.remove_suffix(1);
      if (one.empty()) continue;
      if (one.rfind("http://", 0) != 0 && one.rfind("https://", 0) != 0)
        bad("--etcd-servers", "expected client URLs such as http://127.0.0.1:2379, got \"" + std::string(one) + "\"");
      servers.emplace_back(one);
    }
    if (servers.empty()) bad("--etcd-servers", "must list at least one etcd client URL");
    c.storage.etcd.servers = std::move(servers);
  }
  // An empty path unsets the file (kube's flags default to "").
  auto path = [](const std::string& p) { return p.empty() ? std::filesystem::path() : std::filesystem::absolute(p); };
  if (o.etcdCaFile) c.storage.etcd.caFile = path(*o.etcdCaFile);
  if (o.etcdCertFile) c.storage.etcd.certFile = path(*o.etcdCertFile);
  if (o.etcdKeyFile) c.storage.etcd.keyFile = path(*o.etcdKeyFile);
  if (o.etcdCompactionInterval) {
    auto d = ConfigReader::parseDuration(*o.etcdCompactionInterval);
    if (!d || d->count() < 0) {
      bad("--etcd-compaction-interval",
          "expected a duration such as 5m or 0 (never), got \"" + *o.etcdCompactionInterval + "\"");
    } else {
      c.storage.etcd.compactionInterval = *d;
    }
  }
  if (o.etcdCreatesPerTxn) {
    if (*o.etcdCreatesPerTxn < 1 || *o.etcdCreatesPerTxn > 128)
      bad("--etcd-creates-per-txn",
          "expected a number from 1 to 128, got " + std::to_string(*o.etcdCreatesPerTxn));
    else
      c.storage.etcd.createsPerTxn = *o.etcdCreatesPerTxn;
  }
  if (o.eventTtl) {
    auto d = ConfigReader::parseDuration(*o.eventTtl);
    if (!d || d->count() < 0) {
      bad("--event-ttl", "expected a duration such as 1h, got \"" + *o.eventTtl + "\"");
    } else {
      c.storage.eventTTL = *d;
    }
  }
  if (o.maxRequestsInflight) {
    if (*o.maxRequestsInflight < 0) bad("--max-requests-inflight", "can not be negative value");
    c.serving.maxRequestsInFlight = *o.maxRequestsInflight;
  }
  if (o.maxMutatingRequestsInflight) {
    if (*o.maxMutatingRequestsInflight < 0) bad("--max-mutating-requests-inflight", "can not be negative value");
    c.serving.maxMutatingRequestsInFlight = *o.maxMutatingRequestsInflight;
  }
  if (o.requestTimeout) {
    auto d = ConfigReader::parseDuration(*o.requestTimeout);
    if (!d || d->count() <= 0) {
      bad("--request-timeout", "expected a positive duration such as 60s or 1m, got \"" + *o.requestTimeout + "\"");
    } else {
      c.serving.requestTimeout = *d;
    }
  }
  if (o.minRequestTimeout) {
    if (*o.minRequestTimeout <= 0) bad("--min-request-timeout", "must be a positive number of seconds");
    c.serving.minRequestTimeout = std::chrono::seconds(*o.minRequestTimeout);
  }
  if (o.logLevel) {
    if (std::find(config::kLogLevels.begin(), config::kLogLevels.end(), *o.logLevel) == config::kLogLevels.end())
      bad("--log-level", "expected one of trace, debug, info, warn, error, got \"" + *o.logLevel + "\"");
    c.logLevel = *o.logLevel;
  }
  if (o.authorizationMode) {
    std::vector<std::string> modes;
    std::string_view rest = *o.authorizationMode;
    while (true) {
      auto comma = rest.find(',');
      std::string_view one = rest.substr(0, comma);
      while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
      while (!one.empty() && one.back() == ' ') one.remove_suffix(1);
      if (one.empty()) {
        bad("--authorization-mode", "expected authorization modes separated by commas, e.g. RBAC or AlwaysAllow");
      } else if (std::find(modes.begin(), modes.end(), one) != modes.end()) {
        bad("--authorization-mode", "authorization mode \"" + std::string(one) + "\" is specified more than once");
      } else {
        modes.emplace_back(one);
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    c.authorization.modes = std::move(modes);
    c.authorization.where = "--authorization-mode";
  }
  if (o.encryptionProviderConfig) {
    if (o.encryptionProviderConfig->empty()) bad("--encryption-provider-config", "must not be empty");
    c.storage.encryptionProviderConfig = std::filesystem::absolute(*o.encryptionProviderConfig);
  }
  if (!errs.empty()) return fail(configFailure(errs));
  return {};
}

Result<config::Config> loadConfig(const Options& o) {
  auto c = o.configFile ? config::loadConfigFile(*o.configFile) : config::embeddedDefaultConfig();
  if (!c) return c;
  if (auto r = applyTo(o, *c); !r) return fail(std::move(r).error());
  return c;
}

}  // namespace apiserver::options
