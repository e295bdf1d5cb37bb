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
  d.add_options()
      ("help,h", po::bool_switch(&o->help), "print this help and exit")
      ("version", po::bool_switch(&o->version), "print the version and exit")
      ("config", str(&o->configFile), "the YAML configuration file (default: the built-in config/apiserver.yaml)")
      ("plugin-dir", str(&o->pluginDir), "directory to load plugins from (default: ../plugins next to the binary)")
      ("bind-address", str(&o->bindAddress), "the IP address to serve on (serving.bindAddress)")
      ("insecure-port", num(&o->insecurePort), "the plain-HTTP port; 0 picks a free one (serving.insecurePort)")
      ("worker-threads", num(&o->workerThreads), "threads serving I/O and requests; 0 = one per core (serving.workerThreads)")
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
      ("event-ttl", str(&o->eventTtl), "how long events are kept, e.g. 1h (storage.eventTTL)")
      ("max-requests-inflight", num(&o->maxRequestsInflight),
       "the maximum number of non-mutating requests in flight; 0 = unlimited (serving.maxRequestsInFlight)")
      ("max-mutating-requests-inflight", num(&o->maxMutatingRequestsInflight),
       "the maximum number of mutating requests in flight; 0 = unlimited (serving.maxMutatingRequestsInFlight)")
      ("request-timeout", str(&o->requestTimeout), "the duration a non-long-running request may take, e.g. 60s (serving.requestTimeout)")
      ("min-request-timeout", num(&o->minRequestTimeout),
       "seconds: a watch lasts between this and twice this unless it asks otherwise (serving.minRequestTimeout)")
      ("log-level", str(&o->logLevel), "trace, debug, info, warn or error (logging.level)");
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

Result<void> applyTo(const Options& o, config::Config& c) {
  std::vector<ConfigError> errs;
  auto bad = [&](const char* flag, std::string msg) { errs.push_back({"", flag, std::move(msg)}); };
  if (o.pluginDir) c.pluginDirectory = std::filesystem::absolute(*o.pluginDir);
  if (o.bindAddress) c.serving.bindAddress = *o.bindAddress;
  if (o.insecurePort) {
    if (*o.insecurePort < 0 || *o.insecurePort > 65535) bad("--insecure-port", "must be between 0 and 65535");
    c.serving.insecurePort = *o.insecurePort;
  }
  if (o.workerThreads) {
    if (*o.workerThreads < 0 || *o.workerThreads > 1024) bad("--worker-threads", "must be between 0 and 1024");
    c.serving.workerThreads = *o.workerThreads;
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
  if (o.etcdCaFile) c.storage.etcd.caFile = std::filesystem::absolute(*o.etcdCaFile);
  if (o.etcdCertFile) c.storage.etcd.certFile = std::filesystem::absolute(*o.etcdCertFile);
  if (o.etcdKeyFile) c.storage.etcd.keyFile = std::filesystem::absolute(*o.etcdKeyFile);
  if (o.etcdCompactionInterval) {
    auto d = ConfigReader::parseDuration(*o.etcdCompactionInterval);
    if (!d || d->count() < 0) {
      bad("--etcd-compaction-interval",
          "expected a duration such as 5m or 0 (never), got \"" + *o.etcdCompactionInterval + "\"");
    } else {
      c.storage.etcd.compactionInterval = *d;
    }
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
