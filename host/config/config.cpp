#include "config/config.h"

#include "codec/yaml_json.h"

#include <arpa/inet.h>

#include <fstream>
#include <sstream>
#include <thread>

extern const std::string_view apiserver_default_config_yaml;

namespace apiserver::config {

namespace {

void readServing(ConfigReader& r, ServingConfig& s) {
  if (auto v = r.string("bindAddress")) s.bindAddress = *v;
  if (auto v = r.integer("insecurePort", -1, 65535)) s.insecurePort = *v;
  if (auto v = r.integer("securePort", -1, 65535)) s.securePort = *v;
  if (auto v = r.string("insecureBindAddress")) s.insecureBindAddress = *v;
  if (auto v = r.integer("workerThreads", 0, 1024)) s.workerThreads = *v;
  if (auto v = r.integer("streamThreads", 0, 1024)) s.streamThreads = *v;
  if (auto v = r.boolean("ioUring")) s.ioUring = *v;
  if (auto v = r.integer("blockingThreads", 0, 4096)) s.blockingThreads = *v;
  if (auto v = r.integer("maxRequestsInFlight", 0)) s.maxRequestsInFlight = *v;
  if (auto v = r.integer("maxMutatingRequestsInFlight", 0)) s.maxMutatingRequestsInFlight = *v;
  if (auto v = r.duration("requestTimeout")) {
    if (v->count() <= 0) r.error("requestTimeout", "must be greater than 0");
    s.requestTimeout = *v;
  }
  if (auto v = r.duration("minRequestTimeout")) {
    if (v->count() < 1000) r.error("minRequestTimeout", "must be at least 1s");
    s.minRequestTimeout = *v;
  }
  if (auto v = r.integer("maxRequestBodyBytes", 1024, std::int64_t{1} << 32)) s.maxRequestBodyBytes = *v;
  if (auto v = r.duration("shutdownGracePeriod")) s.shutdownGracePeriod = *v;
}

std::filesystem::path resolvePath(const std::string& p, const std::filesystem::path& baseDir);

// readServingTls reads the serving section's TLS keys (paths relative to the file).
void readServingTls(ConfigReader& r, ServingConfig& s, const std::filesystem::path& baseDir) {
  if (auto v = r.string("certDir"); v && !v->empty()) s.certDir = resolvePath(*v, baseDir);
  if (auto v = r.string("tlsCertFile"); v && !v->empty()) s.tlsCertFile = resolvePath(*v, baseDir);
  if (auto v = r.string("tlsPrivateKeyFile"); v && !v->empty()) s.tlsPrivateKeyFile = resolvePath(*v, baseDir);
  if (auto v = r.stringList("tlsSANs")) {
    for (std::size_t i = 0; i < v->size(); ++i)
      if ((*v)[i].empty()) r.error("tlsSANs[" + std::to_string(i) + "]", "must not be empty");
    s.tlsSANs = *v;
  }
  if (auto v = r.oneOf("tlsMinVersion", kTlsMinVersions)) s.tlsMinVersion = *v;
  if (auto v = r.duration("tlsHandshakeTimeout")) {
    if (v->count() < 100) r.error("tlsHandshakeTimeout", "must be at least 100ms");
    s.tlsHandshakeTimeout = *v;
  }
}

void readAuthentication(ConfigReader& r, AuthenticationConfig& a, const std::filesystem::path& baseDir) {
  if (auto v = r.boolean("anonymous")) a.anonymous = *v;
  if (auto v = r.string("tokenAuthFile"); v && !v->empty()) a.tokenAuthFile = resolvePath(*v, baseDir);
  if (auto v = r.string("clientCAFile"); v && !v->empty()) a.clientCAFile = resolvePath(*v, baseDir);
  if (auto s = r.section("requestHeader")) {
    ConfigReader hr(*s);
    auto& h = a.requestHeader;
    if (auto v = hr.string("clientCAFile"); v && !v->empty()) h.clientCAFile = resolvePath(*v, baseDir);
    if (auto v = hr.stringList("allowedNames")) h.allowedNames = *v;
    if (auto v = hr.stringList("usernameHeaders")) h.usernameHeaders = *v;
    if (auto v = hr.stringList("groupHeaders")) h.groupHeaders = *v;
    if (auto v = hr.stringList("extraHeadersPrefix")) h.extraHeadersPrefix = *v;
    r.merge(hr);
  }
}

void readAudit(ConfigReader& r, AuditConfig& a, const std::filesystem::path& baseDir) {
  if (auto v = r.string("policyFile"); v && !v->empty()) a.policyFile = resolvePath(*v, baseDir);
  if (auto v = r.string("logPath"); v && !v->empty()) a.logPath = *v == "-" ? *v : resolvePath(*v, baseDir).string();
  if (auto v = r.integer("logMaxSize", 0, 1 << 20)) a.logMaxSize = *v;
  if (auto v = r.integer("logMaxBackup", 0, 1 << 20)) a.logMaxBackup = *v;
  if (auto v = r.integer("logMaxAge", 0, 1 << 20)) a.logMaxAge = *v;
}

std::filesystem::path resolvePath(const std::string& p, const std::filesystem::path& baseDir) {
  std::filesystem::path path(p);
  return path.is_absolute() ? path : baseDir / path;
}

void readEtcd(ConfigReader& r, EtcdConfig& e, const std::filesystem::path& baseDir) {
  if (auto v = r.stringList("servers")) {
    if (v->empty()) r.error("servers", "must list at least one etcd client URL");
    for (std::size_t i = 0; i < v->size(); ++i) {
      const auto& u = (*v)[i];
      if (u.rfind("http://", 0) != 0 && u.rfind("https://", 0) != 0)
        r.error("servers[" + std::to_string(i) + "]",
                "expected a client URL such as http://127.0.0.1:2379 or https://etcd-0:2379, got \"" + u + "\"");
    }
    e.servers = *v;
  }
  // An empty path leaves the file unset (as for the serving TLS keys), not the config's directory.
  if (auto v = r.string("cafile"); v && !v->empty()) e.caFile = resolvePath(*v, baseDir);
  if (auto v = r.string("certfile"); v && !v->empty()) e.certFile = resolvePath(*v, baseDir);
  if (auto v = r.string("keyfile"); v && !v->empty()) e.keyFile = resolvePath(*v, baseDir);
  if (auto v = r.duration("compactionInterval")) {
    if (v->count() < 0) r.error("compactionInterval", "must not be negative");
    e.compactionInterval = *v;
  }
  if (auto v = r.integer("createsPerTxn", 1, 128))
    e.createsPerTxn = *v;
}

void readStorage(ConfigReader& r, StorageConfig& s, const std::filesystem::path& baseDir) {
  if (auto v = r.oneOf("backend", kStorageBackends)) s.backend = *v;
  if (auto v = r.string("prefix")) {
    if (v->empty() || v->front() != '/') r.error("prefix", "must start with '/'");
    while (v->size() > 1 && v->back() == '/') v->pop_back();
    s.prefix = *v;
  }
  if (auto v = r.integer("watchCacheSize", 100, 10000000)) s.watchCacheSize = *v;
  if (auto v = r.duration("bookmarkInterval")) {
    if (v->count() < 100) r.error("bookmarkInterval", "must be at least 100ms");
    s.bookmarkInterval = *v;
  }
  if (auto v = r.string("dataDir")) {
    if (v->empty()) r.error("dataDir", "must not be empty");
    s.dataDir = resolvePath(*v, baseDir);
  }
  if (auto e = r.section("etcd")) {
    ConfigReader er(*e);
    readEtcd(er, s.etcd, baseDir);
    r.merge(er);
  }
  if (auto v = r.string("encryptionProviderConfig")) {
    if (v->empty()) r.error("encryptionProviderConfig", "must not be empty (leave the key out for no encryption)");
    else s.encryptionProviderConfig = resolvePath(*v, baseDir);
  }
  if (auto v = r.duration("eventTTL")) {
    if (v->count() < 0) r.error("eventTTL", "must not be negative");
    s.eventTTL = *v;
  }
}

void readAuthorization(ConfigReader& r, AuthorizationConfig& a) {
  if (auto v = r.stringList("modes")) {
    if (v->empty()) r.error("modes", "must name at least one authorization mode (e.g. RBAC or AlwaysAllow)");
    for (std::size_t i = 0; i < v->size(); ++i) {
      if ((*v)[i].empty()) r.error("modes[" + std::to_string(i) + "]", "must not be empty");
      for (std::size_t j = 0; j < i; ++j)
        if ((*v)[j] == (*v)[i])
          r.error("modes[" + std::to_string(i) + "]", "authorization mode \"" + (*v)[i] + "\" is listed more than once");
    }
    a.modes = *v;
  }
}

// readNamed reads a list entry that is either a bare name or {name:, config:, ...}.
template <class Entry, class Extra>
void readEntries(ConfigReader& parent, const char* key, std::vector<Entry>& out, Extra extra) {
  auto section = parent.section(key);
  if (!section) return;
  if (!section->value().is_array()) {
    parent.error(key, "expected a list");
    return;
  }
  for (std::size_t i = 0; i < section->value().get_array().size(); ++i) {
    ConfigSection item = section->element(i);
    Entry e;
    e.where = item.where(item.path());
    if (item.value().is_string()) {
      e.name = std::string(item.value().get_string());
      e.config = ConfigSection(boost::json::value(), item.childPath("config"), item.locations());
    } else {
      ConfigReader r(item);
      if (auto n = r.string("name")) {
        e.name = *n;
      } else {
        r.error("name", "required: the name of the entry");
      }
      e.config = item.child("config");
      extra(r, e);
      parent.merge(r);
    }
    if (e.name.empty()) {
      if (item.value().is_string()) parent.errorAt(item.path(), "must not be empty");
      continue;
    }
    out.push_back(std::move(e));
  }
}

}  // namespace

Result<Config> parseConfig(std::string_view yaml, const std::string& fileName, const std::filesystem::path& baseDir) {
  auto parsed = codec::configYaml(yaml, fileName);
  if (!parsed)
    return fail(configFailure({ConfigError{"", "", std::move(parsed).error()}}));
  ConfigSection root = std::move(*parsed);
  ConfigReader r(root);
  Config c;
  c.source = fileName;
  if (auto s = r.section("serving")) {
    ConfigReader sr(*s);
    readServing(sr, c.serving);
    readServingTls(sr, c.serving, baseDir);
    r.merge(sr);
  }
  c.storage.dataDir = baseDir / "data";  // the documented default, also without a storage section
  if (auto s = r.section("storage")) {
    ConfigReader sr(*s);
    readStorage(sr, c.storage, baseDir);
    r.merge(sr);
  }
  if (auto s = r.section("authentication")) {
    ConfigReader ar(*s);
    readAuthentication(ar, c.authentication, baseDir);
    r.merge(ar);
  }
  if (auto s = r.section("audit")) {
    ConfigReader ar(*s);
    readAudit(ar, c.audit, baseDir);
    r.merge(ar);
  }
  c.authorization.where = fileName;
  if (auto s = r.section("authorization")) {
    ConfigReader ar(*s);
    readAuthorization(ar, c.authorization);
    c.authorization.where = s->where(s->childPath("modes"));
    r.merge(ar);
  }
  if (auto s = r.section("plugins")) {
    ConfigReader pr(*s);
    if (auto d = pr.string("directory")) {
      std::filesystem::path p(*d);
      c.pluginDirectory = p.is_absolute() ? p : baseDir / p;
    }
    readEntries(pr, "enabled", c.plugins, [&](ConfigReader& er, PluginEntry& e) {
      if (auto f = er.string("file")) {
        std::filesystem::path p(*f);
        e.file = p.is_absolute() ? p : baseDir / p;
      }
      (void)er.section("config");
    });
    r.merge(pr);
  }
  readEntries(r, "handlerChain", c.handlerChain, [](ConfigReader& er, LinkEntry&) { (void)er.section("config"); });
  if (auto s = r.section("logging")) {
    ConfigReader lr(*s);
    if (auto v = lr.oneOf("level", kLogLevels)) c.logLevel = *v;
    r.merge(lr);
  }
  if (auto done = r.finish(); !done) return fail(std::move(done).error());
  // Absent lists take the documented defaults; an explicitly empty one is an error (complete()).
  const auto* rootObj = root.value().is_object() ? &root.value().get_object() : nullptr;
  const auto* plugins = rootObj != nullptr ? rootObj->if_contains("plugins") : nullptr;
  const bool pluginsListed = plugins != nullptr && plugins->is_object() && plugins->get_object().contains("enabled");
  if (!pluginsListed) {
    c.plugins.push_back(
        {"core",
         {},
         ConfigSection(boost::json::value(), "plugins.enabled[0].config", root.locations()),
         fileName});
    c.plugins.push_back(
        {"rbac",
         {},
         ConfigSection(boost::json::value(), "plugins.enabled[1].config", root.locations()),
         fileName});
  }
  if (rootObj == nullptr || !rootObj->contains("handlerChain"))
    for (const char* link : {"panic-recovery", "request-info", "request-log", "max-in-flight", "timeout", "authentication",
                             "audit", "impersonation", "authorization"})
      c.handlerChain.push_back(
          {link, ConfigSection(boost::json::value(), "handlerChain", root.locations()), fileName});
  return c;
}

Result<Config> loadConfigFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(configFailure({ConfigError{"", "", "cannot read config file " + file.string()}}));
  std::ostringstream ss;
  ss << in.rdbuf();
  auto base = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  return parseConfig(ss.str(), file.string(), std::filesystem::absolute(base));
}

Result<Config> embeddedDefaultConfig() {
  return parseConfig(apiserver_default_config_yaml, "<embedded config/apiserver.yaml>", std::filesystem::current_path());
}

namespace {

bool isLoopbackIp(const std::string& address) {
  unsigned char buf[16];
  if (inet_pton(AF_INET, address.c_str(), buf) == 1) return buf[0] == 127;
  if (inet_pton(AF_INET6, address.c_str(), buf) == 1) {
    for (int i = 0; i < 15; ++i)
      if (buf[i] != 0) return false;
    return buf[15] == 1;
  }
  return false;
}

// checkServing checks the listeners as a whole and fills the cert dir's default.
void checkServing(Config& c, std::vector<ConfigError>& errs) {
  auto& s = c.serving;
  if (s.securePort < 0 && s.insecurePort < 0)
    errs.push_back({c.source, "serving",
                    "both ports are off: set serving.securePort (--secure-port, HTTPS) or serving.insecurePort "
                    "(--insecure-port, plain HTTP on loopback)"});
  if (s.insecurePort >= 0 && !isLoopbackIp(s.insecureBindAddress))
    errs.push_back({c.source, "serving.insecureBindAddress",
                    "\"" + s.insecureBindAddress +
                        "\" is not a loopback address: the insecure port serves plain HTTP without "
                        "authentication and binds to loopback only (127.0.0.1 or ::1); serve other addresses on "
                        "the secure port (serving.bindAddress, --bind-address)"});
  if (s.tlsCertFile.empty() != s.tlsPrivateKeyFile.empty())
    errs.push_back({c.source, s.tlsCertFile.empty() ? "serving.tlsCertFile" : "serving.tlsPrivateKeyFile",
                    "serving.tlsCertFile (--tls-cert-file) and serving.tlsPrivateKeyFile (--tls-private-key-file) "
                    "go together: give both, or neither for a generated certificate"});
  if (s.certDir.empty()) s.certDir = (c.storage.dataDir / "pki").lexically_normal();
}

}  // namespace

Result<CompletedConfig> complete(Config c, const std::filesystem::path& executable) {
  std::vector<ConfigError> errs;
  if (c.serving.workerThreads == 0)
    c.serving.workerThreads = std::max<std::int64_t>(2, static_cast<std::int64_t>(std::thread::hardware_concurrency()));
  if (c.pluginDirectory.empty()) {
    std::error_code ec;
    auto exe = std::filesystem::weakly_canonical(executable, ec);
    c.pluginDirectory = (ec ? executable : exe).parent_path().parent_path() / "plugins";
  }
  if (c.plugins.empty())
    errs.push_back({c.source, "plugins.enabled", "no plugins are enabled; the server would serve nothing"});
  if (c.handlerChain.empty())
    errs.push_back({c.source, "handlerChain", "must name at least one link (e.g. panic-recovery)"});
  checkServing(c, errs);
  if (!errs.empty()) return fail(configFailure(errs));
  return CompletedConfig(std::move(c));
}

}  // namespace apiserver::config
