#include "server/generic_api_server.h"

#include "authorization/authorizer_chain.h"
#include "controllers/garbage_collector.h"
#include "endpoints/resource_handler.h"
#include "endpoints/virtual_handler.h"
#include "options/options.h"
#include "plugins/plugin_loader.h"
#include "proxy/upstream_client.h"
#include "registry/store.h"
#include "server/discovery.h"
#include "server/filters/filters.h"
#include "server/http_server.h"
#include "server/io_contexts.h"
#include "server/local_client.h"
#include "server/openapi.h"
#include "server/openapi_v2/openapi_v2.h"
#include "server/request_info.h"
#include "server/secure_serving.h"
#include "storage/encryption/encrypted_storage.h"
#include "storage/etcd3/etcd3_storage.h"
#include "storage/memory/memory_storage.h"
#include "storage/sqlite/sqlite_storage.h"

#include <apiserver/version.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <csignal>
#include <future>
#include <iostream>
#include <thread>
#include <unordered_map>

namespace apiserver::server {

namespace json = boost::json;
namespace net = boost::asio;

namespace {

constexpr const char* kHostVersion = "0.1.0";

spdlog::level::level_enum spdLevel(LogLevel l) {
  switch (l) {
    case LogLevel::Trace: return spdlog::level::trace;
    case LogLevel::Debug: return spdlog::level::debug;
    case LogLevel::Info: return spdlog::level::info;
    case LogLevel::Warn: return spdlog::level::warn;
    case LogLevel::Error: return spdlog::level::err;
  }
  return spdlog::level::info;
}

/// SpdLogger is the host's Logger, on spdlog (stderr).
class SpdLogger final : public Logger {
 public:
  explicit SpdLogger(const std::string& level) {
    logger_ = spdlog::get("apiserver");
    if (!logger_) logger_ = spdlog::stderr_color_mt("apiserver");
    logger_->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%L%$ %v");
    logger_->set_level(spdlog::level::from_str(level == "warn" ? "warning" : level));
  }
  void log(LogLevel level, std::string_view m) override { logger_->log(spdLevel(level), m); }
  bool enabled(LogLevel level) const override { return logger_->should_log(spdLevel(level)); }

 private:
  std::shared_ptr<spdlog::logger> logger_;
};

class SystemClock final : public WallClock {
 public:
  TimePoint now() const override { return Clock::now(); }
};

Response notFound() {
  return Response::error(ApiError{404, "NotFound", "the server could not find the requested resource", ApiError::Details{}});
}

/// LinkNode runs one link of the handler chain in front of `next`.
class LinkNode final : public Handler {
 public:
  LinkNode(std::shared_ptr<Link> link, Handler& next) : link_(std::move(link)), next_(next) {}
  Response serve(Request& req) override { return link_->handle(req, next_); }

 private:
  std::shared_ptr<Link> link_;
  Handler& next_;
};

/// DelegateNode runs one delegate server in front of the rest of the server chain.
class DelegateNode final : public Handler {
 public:
  DelegateNode(std::shared_ptr<DelegateServer> server, Handler& next) : server_(std::move(server)), next_(next) {}
  Response serve(Request& req) override { return server_->serve(req, next_); }

 private:
  std::shared_ptr<DelegateServer> server_;
  Handler& next_;
};

/// Routes is an immutable snapshot of what the resource server serves; replaced whole.
struct Routes {
  std::unordered_map<std::string, std::shared_ptr<endpoints::ResourceHandler>> handlers;  // "group/version/resource"
  std::unordered_map<std::string, std::shared_ptr<endpoints::VirtualResourceHandler>> virtuals;  // the same keys
  std::shared_ptr<const Discovery> discovery;
  std::shared_ptr<const OpenApi> openapi;
  std::shared_ptr<const OpenApiV2> openapiV2;  // null if it could not be built
};

/// ApiHandler is the host's own server in the server chain: health, version, discovery, OpenAPI
/// and every registered resource; anything else is 404.
class ApiHandler final : public Handler {
 public:
  ApiHandler() {
    json::object v{{"major", kKubernetesMajor},
                   {"minor", kKubernetesMinor},
                   {"gitVersion", std::string(kKubernetesGitVersion) + "+apiserver-host." + kHostVersion},
                   {"gitCommit", "apiserver-host-" + std::string(kHostVersion)},
                   {"gitTreeState", "clean"},
                   {"buildDate", std::string(__DATE__) + " " + __TIME__},
                   {"goVersion", ""},
                   {"compiler", "gcc"},
                   {"platform", "linux/amd64"}};
    version_ = makeBytes(json::serialize(v));
  }

  void setRoutes(std::shared_ptr<const Routes> r) { routes_.store(std::move(r)); }
  void setReady(bool ready) { ready_.store(ready); }

  Response serve(Request& req) override {
    ensureRequestInfo(req);
    const std::string& p = req.path;
    if (p == "/healthz" || p == "/livez" || p == "/readyz" || p.starts_with("/healthz/") || p.starts_with("/livez/") ||
        p.starts_with("/readyz/"))
      return health(req);
    if (p == "/version" || p == "/version/") {
      Response r;
      r.body.push_back(version_);
      return r;
    }
    auto routes = routes_.load();
    if (!routes) return Response::error(ApiError::serviceUnavailable("the server is starting"));
    if (p.starts_with("/openapi/v3"))
      if (auto r = routes->openapi->serve(req)) return std::move(*r);
    if (p == "/openapi/v2" && routes->openapiV2)
      if (auto r = routes->openapiV2->serve(req)) return std::move(*r);
    if (!req.info.isResourceRequest) {
      if (auto r = routes->discovery->serve(req)) return std::move(*r);
      if (p == "/") return rootPaths(*routes);
      return notFound();
    }
    const RequestInfo& info = req.info;
    const std::string key = routeKey(info);
    auto it = routes->handlers.find(key);
    if (it == routes->handlers.end()) {
      auto v = routes->virtuals.find(key);
      return v == routes->virtuals.end() ? notFound() : v->second->serve(req);
    }
    const auto& store = it->second->store();
    if (store.namespaced()) {
      // Only list and watch may span namespaces (/api/v1/pods).
      const bool allNamespaces = info.verb == "list" || info.verb == "watch";
      if (info.namespace_.empty() && !allNamespaces) return notFound();
    } else if (!info.namespace_.empty() && info.resource != "namespaces") {
      return notFound();
    }
    return it->second->serve(req);
  }

  /// writeWaits tells whether a write may hold the thread that runs it: every write may, except a
  /// create of a stored resource whose store answers it without waiting (Store::createWaits).
  bool writeWaits(Request& req) const {
    ensureRequestInfo(req);
    const RequestInfo& info = req.info;
    if (!info.isResourceRequest || info.verb != "create" || !info.subresource.empty())
      return true;
    auto routes = routes_.load();
    if (!routes)
      return true;
    auto it = routes->handlers.find(routeKey(info));
    return it == routes->handlers.end() || it->second->store().createWaits();
  }

 private:
  static std::string routeKey(const RequestInfo& info) {
    return info.apiGroup + "/" + info.apiVersion + "/" + info.resource;
  }

  Response health(const Request& req) {
    const bool ready = ready_.load();
    const std::string& p = req.path;
    const bool readyz = p.starts_with("/readyz");
    std::string base = p.substr(0, p.find('/', 1));
    bool ok = !readyz || ready;
    if (p.size() > base.size() + 1) {  // a single check: /readyz/ping
      std::string check = p.substr(base.size() + 1);
      if (check == "ping" || check == "log") return Response::bytes(200, "text/plain; charset=utf-8", "ok");
      if (check == "storage" || check == "shutdown")
        return ok ? Response::bytes(200, "text/plain; charset=utf-8", "ok")
                  : Response::bytes(500, "text/plain; charset=utf-8", "internal server error: " + check + " not ready\n");
      return notFound();
    }
    if (req.query.has("verbose")) {
      std::string body = "[+]ping ok\n[+]log ok\n";
      if (readyz) body += std::string(ready ? "[+]" : "[-]") + "storage " + (ready ? "ok" : "failed: not ready") + "\n";
      body += std::string(base.substr(1)) + (ok ? " check passed\n" : " check failed\n");
      return Response::bytes(ok ? 200 : 500, "text/plain; charset=utf-8", body);
    }
    if (!ok) return Response::bytes(500, "text/plain; charset=utf-8", "[-]storage failed: not ready\nreadyz check failed\n");
    return Response::bytes(200, "text/plain; charset=utf-8", "ok");
  }

  Response rootPaths(const Routes& routes) {
    json::array paths{"/api", "/apis", "/healthz", "/livez", "/openapi/v2", "/openapi/v3", "/readyz", "/version"};
    std::set<std::string> gvs;
    auto add = [&](const ResourceSpec& s) {
      gvs.insert(s.group.empty() ? "/api/" + s.version : "/apis/" + s.group + "/" + s.version);
      if (!s.group.empty()) gvs.insert("/apis/" + s.group);
    };
    for (const auto& [key, h] : routes.handlers) add(h->store().spec());
    for (const auto& [key, h] : routes.virtuals) add(h->spec());
    for (const auto& g : gvs) paths.emplace_back(g);
    return Response::json(200, json::object{{"paths", std::move(paths)}});
  }

  std::atomic<std::shared_ptr<const Routes>> routes_;
  std::atomic<bool> ready_{false};
  SharedBytes version_;
};

std::vector<std::string> resourceVerbs() {
  return {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"};
}
std::vector<std::string> statusVerbs() { return {"get", "patch", "update"}; }

}  // namespace

struct GenericApiServer::Impl {
  config::Config cfg;
  std::unique_ptr<SpdLogger> log;
  std::shared_ptr<const WallClock> clock = std::make_shared<SystemClock>();
  std::shared_ptr<LocalClient> client = std::make_shared<LocalClient>();
  /// serverAuthorizer is the authorization chain as plugins and the authorization link see it.
  std::shared_ptr<authorization::ServerAuthorizer> serverAuthorizer =
      std::make_shared<authorization::ServerAuthorizer>();
  plugins::Extensions ext;
  std::vector<plugins::LoadedPlugin> loaded;
  storage::InterfacePtr backend;
  std::shared_ptr<registry::AdmissionChain> admission = std::make_shared<registry::AdmissionChain>();
  std::vector<std::shared_ptr<registry::Store>> stores;
  std::vector<std::shared_ptr<Controller>> startedControllers;
  ApiHandler api;
  std::vector<std::unique_ptr<Handler>> serverChain;  // delegates, outermost last
  std::vector<std::unique_ptr<Handler>> handlerChain;  // links, outermost last
  Handler* root = nullptr;
  /// io runs the I/O threads (serving.workerThreads), a context each; made by build().
  std::unique_ptr<IoContexts> io;
  std::unique_ptr<net::thread_pool> blocking;  // runs writes (serving.blockingThreads); null if 0
  /// upstream forwards requests to other servers for plugins (the aggregator), each on the I/O
  /// thread that forwards it.
  std::shared_ptr<proxy::HostUpstreamClient> upstream;
  std::unique_ptr<HttpServer> http;   // the insecure port (plain HTTP, loopback), if on
  std::unique_ptr<SecureServing> security;
  std::unique_ptr<HttpServer> https;  // the secure port, if on
  std::uint16_t securePort = 0;       // as bound
  std::jthread bookmarks;  // sends watch bookmarks, as kube's cacher does once a minute
  std::unique_ptr<controllers::GarbageCollector> gc;

  Result<void> build();
  Result<void> buildAuthorizer();
  Result<void> start(std::uint16_t& port);
  void shutdown();
};

Result<void> GenericApiServer::Impl::build() {
  io = std::make_unique<IoContexts>(static_cast<std::size_t>(cfg.serving.workerThreads),
                                    static_cast<std::size_t>(cfg.serving.streamThreads));
  // Built-in links first, so that a plugin cannot take their names.
  auto hostLink = [&](const char* name, std::shared_ptr<LinkFactory> f) {
    ext.links.emplace(name, plugins::Owned<LinkFactory>{std::move(f), ""});
  };
  hostLink("panic-recovery", filters::panicRecovery(*log));
  hostLink("request-info", filters::requestInfo());
  hostLink("request-log", filters::requestLog(*log));
  hostLink("max-in-flight", filters::maxInFlight(cfg.serving.maxRequestsInFlight, cfg.serving.maxMutatingRequestsInFlight));
  hostLink("timeout", filters::timeout(cfg.serving.requestTimeout));
  hostLink("authorization", filters::authorization(serverAuthorizer, *log));
  // Secure serving: certificates, authentication, impersonation and audit (secure_serving.h).
  auto secure = SecureServing::create(cfg, *log);
  if (!secure) return fail(std::move(secure).error());
  security = std::move(*secure);
  for (auto& [name, factory] : security->linkFactories(serverAuthorizer)) hostLink(name.c_str(), std::move(factory));
  ext.serverAuthorizer = serverAuthorizer;

  std::vector<plugins::PluginRequest> requests;
  for (const auto& p : cfg.plugins) requests.push_back({p.name, p.file, p.config, p.where});
  plugins::PluginLoader loader(cfg.pluginDirectory);
  upstream = std::make_shared<proxy::HostUpstreamClient>(
      [&io = *io]() -> net::io_context& { return io.current(); }, *log);
  auto loadedPlugins = loader.loadAll(requests, ext, *log, clock, client, upstream);
  if (!loadedPlugins) return fail(std::move(loadedPlugins).error());
  loaded = std::move(*loadedPlugins);
  if (auto r = buildAuthorizer(); !r) return r;

  // Encryption at rest: the configuration is read before the backend opens, so that a bad file
  // stops start-up without touching the data.
  std::optional<storage::encryption::EncryptionConfig> encryption;
  if (!cfg.storage.encryptionProviderConfig.empty()) {
    auto ec = storage::encryption::loadEncryptionConfig(cfg.storage.encryptionProviderConfig);
    if (!ec) return fail(std::move(ec).error());
    encryption = std::move(*ec);
  }

  if (cfg.storage.backend == "memory") backend = std::make_shared<storage::MemoryStorage>();
  if (cfg.storage.backend == "sqlite") {
    storage::SqliteOptions so;
    so.dataDir = cfg.storage.dataDir;
    so.compactionInterval = cfg.storage.etcd.compactionInterval;
    auto opened = storage::SqliteStorage::open(std::move(so));
    if (!opened) return fail(ApiError::internal("storage backend sqlite: " + opened.error().message));
    log->info("storage: sqlite database " + (*opened)->databasePath().string());
    backend = std::move(*opened);
  }
  if (cfg.storage.backend == "etcd3") {
    storage::Etcd3Options eo;
    eo.servers = cfg.storage.etcd.servers;
    eo.caFile = cfg.storage.etcd.caFile.string();
    eo.certFile = cfg.storage.etcd.certFile.string();
    eo.keyFile = cfg.storage.etcd.keyFile.string();
    eo.compactionInterval = cfg.storage.etcd.compactionInterval;
    eo.createsPerTxn = static_cast<int>(cfg.storage.etcd.createsPerTxn);
    eo.eventTTL = cfg.storage.eventTTL;
    eo.leasedPrefixes = {cfg.storage.prefix + "/events/"};
    auto opened = storage::Etcd3Storage::open(std::move(eo));
    if (!opened) return fail(ApiError::internal("storage backend etcd3: " + opened.error().message));
    std::string servers;
    for (const auto& u : cfg.storage.etcd.servers) servers += (servers.empty() ? "" : ",") + u;
    log->info("storage: etcd3 at " + servers);
    backend = std::move(*opened);
  }
  if (!backend) return fail(ApiError::internal("storage backend \"" + cfg.storage.backend + "\" is not available"));
  if (encryption) {
    std::vector<storage::encryption::ServedResource> served;
    for (const auto& r : ext.resources) served.push_back({r.spec.group, r.spec.plural});
    std::vector<std::string> encrypted;
    auto rules = storage::encryption::rulesFor(*encryption, served, cfg.storage.prefix, &encrypted);
    backend = std::make_shared<storage::encryption::EncryptedStorage>(backend, std::move(rules));
    std::string list;
    for (const auto& e : encrypted) list += (list.empty() ? "" : ", ") + e;
    log->info("encryption at rest (" + cfg.storage.encryptionProviderConfig.string() +
              "): " + (list.empty() ? std::string("no served resource is listed") : list));
  }

  for (const auto& a : ext.admission) admission->add(a.object);

  auto routes = std::make_shared<Routes>();
  auto storeMap = std::make_shared<LocalClient::StoreMap>();
  std::vector<DiscoveredResource> discovered;
  discovered.reserve(ext.resources.size());
  for (const auto& r : ext.resources) {
    registry::Store::Options so;
    so.keyPrefix = cfg.storage.prefix;
    so.watchCacheSize = static_cast<std::size_t>(cfg.storage.watchCacheSize);
    so.admission = admission;
    so.clock = clock;
    Logger* l = log.get();
    so.logError = [l](std::string_view m) { l->error(m); };
    auto store = std::make_shared<registry::Store>(r.spec, r.strategy, backend, std::move(so));
    stores.push_back(store);
    storeMap->emplace(GroupResource{r.spec.group, r.spec.plural}, store);
    endpoints::ResourceHandler::Options ho;
    ho.clock = clock;
    ho.minRequestTimeout = std::chrono::duration_cast<std::chrono::seconds>(cfg.serving.minRequestTimeout);
    routes->handlers.emplace(r.spec.group + "/" + r.spec.version + "/" + r.spec.plural,
                             std::make_shared<endpoints::ResourceHandler>(store, ho));
    discovered.push_back({&store->spec(), resourceVerbs(), store->hasStatus() ? statusVerbs() : std::vector<std::string>{}});
  }
  for (const auto& v : ext.virtualResources) {
    auto h = std::make_shared<endpoints::VirtualResourceHandler>(v.spec, v.creater);
    routes->virtuals.emplace(v.spec.group + "/" + v.spec.version + "/" + v.spec.plural, h);
    discovered.push_back({&h->spec(), {"create"}, {}});
  }
  routes->discovery = Discovery::build(discovered);
  routes->openapi = OpenApi::build(discovered);
  if (auto v2 = OpenApiV2::build(routes->openapi->documents()))
    routes->openapiV2 = std::move(*v2);
  else
    log->error("/openapi/v2 is not served: " + v2.error().message);
  api.setRoutes(routes);
  client->attach(storeMap);

  // Server chain: delegates in registration order in front of the host's API handler.
  Handler* next = &api;
  for (auto it = ext.delegates.rbegin(); it != ext.delegates.rend(); ++it) {
    serverChain.push_back(std::make_unique<DelegateNode>(it->second.object, *next));
    next = serverChain.back().get();
  }
  // Handler chain: the YAML lists links in request order; wrap from the innermost out.
  std::vector<std::shared_ptr<Link>> links;
  std::vector<ConfigError> errs;
  for (const auto& entry : cfg.handlerChain) {
    auto f = ext.links.find(entry.name);
    if (f == ext.links.end()) {
      std::string known;
      for (const auto& [n, o] : ext.links) known += (known.empty() ? "" : ", ") + n;
      errs.push_back({entry.where, entry.config.path().substr(0, entry.config.path().rfind('.')),
                      "unknown handler-chain link \"" + entry.name + "\"; available: " + known});
      continue;
    }
    auto link = f->second.object->create(entry.config);
    if (!link) {
      errs.push_back({"", "", link.error().message});
      continue;
    }
    links.push_back(std::move(*link));
  }
  if (!errs.empty()) return fail(configFailure(errs));
  // Authorization is never left out: a chain that does not name it gets it as the innermost link.
  if (std::none_of(cfg.handlerChain.begin(), cfg.handlerChain.end(),
                   [](const config::LinkEntry& e) { return e.name == "authorization"; })) {
    auto link = ext.links.at("authorization").object->create(ConfigSection());
    if (!link) return fail(std::move(link).error());
    links.push_back(std::move(*link));
  }
  for (auto it = links.rbegin(); it != links.rend(); ++it) {
    handlerChain.push_back(std::make_unique<LinkNode>(*it, *next));
    next = handlerChain.back().get();
  }
  root = next;
  return {};
}

Result<void> GenericApiServer::Impl::buildAuthorizer() {
  std::map<std::string, std::shared_ptr<const Authorizer>> registered;
  for (const auto& [name, a] : ext.authorizers) registered.emplace(name, a.object);
  auto chain = authorization::buildChain(cfg.authorization.modes, registered);
  if (!chain)
    return fail(configFailure({ConfigError{cfg.authorization.where, "authorization.modes", chain.error().message}}));
  serverAuthorizer->set(*chain);
  std::string modes;
  for (const auto& m : cfg.authorization.modes) modes += (modes.empty() ? "" : ",") + m;
  log->info("authorization modes: " + modes);
  return {};
}

Result<void> GenericApiServer::Impl::start(std::uint16_t& port) {
  for (const auto& s : stores)
    if (auto r = s->start(); !r)
      return fail(ApiError::internal("starting the watch cache of " + s->groupResource().str() + ": " + r.error().message));
  // Filling the caches read every stored row and parsed every object; that transient peak is
  // free now, but glibc keeps it: give it back (docs/performance.md, memory per pod).
  malloc_trim(0);
  for (const auto& c : ext.controllers) {
    auto r = c.object->start(*client);
    if (!r)
      return fail(ApiError::internal("controller \"" + std::string(c.object->name()) + "\" of plugin \"" + c.owner +
                                     "\" failed to start: " + r.error().message));
    startedControllers.push_back(c.object);
  }
  gc = std::make_unique<controllers::GarbageCollector>(stores, *log);
  if (auto r = gc->start(); !r) return fail(std::move(r).error());
  HttpServerOptions ho;
  ho.maxRequestBodyBytes = static_cast<std::size_t>(cfg.serving.maxRequestBodyBytes);
  ho.sendRing = cfg.serving.ioUring;
  // A backend whose writes never wait (memory) has them run on the I/O threads: a hand-off to
  // the pool and back would cost more than the write (docs/performance.md).
  if (cfg.serving.blockingThreads > 0 && backend->writesWait()) {
    blocking = std::make_unique<net::thread_pool>(static_cast<std::size_t>(cfg.serving.blockingThreads));
    ho.blocking = blocking.get();
    ho.writeWaits = [this](Request& req) { return api.writeWaits(req); };
  }
  if (cfg.serving.insecurePort >= 0) {
    HttpServerOptions insecure = ho;
    insecure.bindAddress = cfg.serving.insecureBindAddress;
    insecure.port = static_cast<std::uint16_t>(cfg.serving.insecurePort);
    insecure.insecure = true;
    // kube's insecure serving: no authentication, the superuser system:unsecured.
    insecure.trustedUser = UserInfo{
        "system:unsecured", "", {std::string(kSystemPrivilegedGroup), "system:authenticated"}, {}};
    http = std::make_unique<HttpServer>(*io, *root, insecure, *log);
    auto bound = http->listen();
    if (!bound) return fail(std::move(bound).error());
    port = *bound;
  }
  if (cfg.serving.securePort >= 0) {
    HttpServerOptions so = ho;
    so.bindAddress = cfg.serving.bindAddress;
    so.port = static_cast<std::uint16_t>(cfg.serving.securePort);
    so.tls = security->tlsOptions();
    https = std::make_unique<HttpServer>(*io, *root, so, *log);
    auto bound = https->listen();
    if (!bound) return fail(std::move(bound).error());
    securePort = *bound;
    auto kubeconfig = security->writeAdminKubeconfig(securePort);
    if (!kubeconfig) return fail(std::move(kubeconfig).error());
    log->info("admin kubeconfig: kubectl --kubeconfig " + kubeconfig->string() + " get pods");
  }
  bookmarks = std::jthread([this](std::stop_token stop) {
    std::mutex mu;
    std::condition_variable_any cv;
    std::unique_lock lock(mu);
    for (;;) {
      cv.wait_for(lock, stop, cfg.storage.bookmarkInterval, [] { return false; });
      if (stop.stop_requested()) return;
      for (const auto& s : stores) s->sendBookmarks();
    }
  });
  api.setReady(true);
  return {};
}

void GenericApiServer::Impl::shutdown() {
  api.setReady(false);
  if (http || https) {
    for (HttpServer* h : {http.get(), https.get()})
      if (h != nullptr) {
        h->stopAccepting();
        h->endStreams();
      }
    auto busy = [&] { return (http && http->inFlight() > 0) || (https && https->inFlight() > 0); };
    const auto until = std::chrono::steady_clock::now() + cfg.serving.shutdownGracePeriod;
    while (busy() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // Proxied requests still waiting for their backends after the grace period fail now (503).
  if (upstream) upstream->shutdown();
  // Writes already handed to the blocking pool finish (storage answers or times out each).
  if (blocking) blocking->join();
  if (bookmarks.joinable()) {
    bookmarks.request_stop();
    bookmarks.join();
  }
  if (gc) gc->stop();
  for (auto it = startedControllers.rbegin(); it != startedControllers.rend(); ++it) (*it)->stop();
  startedControllers.clear();
  client->detach();
  for (const auto& s : stores) s->stop();
}

GenericApiServer::GenericApiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

GenericApiServer::~GenericApiServer() {
  if (impl_) {
    impl_->shutdown();
    if (impl_->io)
      impl_->io->stop();
  }
}

Result<std::unique_ptr<GenericApiServer>> GenericApiServer::create(const config::CompletedConfig& config) {
  auto impl = std::make_unique<Impl>();
  impl->cfg = *config;
  impl->log = std::make_unique<SpdLogger>(impl->cfg.logLevel);
  if (auto r = impl->build(); !r) return fail(std::move(r).error());
  return std::unique_ptr<GenericApiServer>(new GenericApiServer(std::move(impl)));
}

int GenericApiServer::run() {
  Impl& s = *impl_;
  std::uint16_t port = 0;
  if (auto r = s.start(port); !r) {
    s.log->error("start-up failed: " + r.error().message);
    s.shutdown();
    return kExitRuntime;
  }
  net::signal_set signals(s.io->main(), SIGINT, SIGTERM);
  std::promise<int> stopped;
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (!ec) stopped.set_value(sig);
  });
  s.io->start();
  if (s.http) s.log->info("Serving insecurely on " + hostPort(s.cfg.serving.insecureBindAddress, port));
  if (s.https) s.log->info("Serving securely on " + hostPort(s.cfg.serving.bindAddress, s.securePort));
  const int sig = stopped.get_future().get();
  s.log->info(std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ", shutting down");
  s.shutdown();
  s.io->stop();
  s.log->info("stopped");
  return kExitOk;
}

int runMain(int argc, const char* const* argv) {
  auto opts = options::parse(argc, argv);
  if (!opts) {
    std::cerr << "apiserver-host: " << opts.error().message << "\n";
    return kExitConfig;
  }
  if (opts->help) {
    std::cout << options::usage();
    return kExitOk;
  }
  if (opts->version) {
    std::cout << "apiserver-host " << kHostVersion << " (Kubernetes API " << kKubernetesGitVersion << ", plugin-api "
              << kPluginApiVersion << ")\n";
    return kExitOk;
  }
  auto cfg = options::loadConfig(*opts);
  if (!cfg) {
    std::cerr << "apiserver-host: invalid configuration:\n" << cfg.error().message << "\n";
    return kExitConfig;
  }
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  auto completed = config::complete(std::move(*cfg), ec ? std::filesystem::path(argv[0]) : exe);
  if (!completed) {
    std::cerr << "apiserver-host: invalid configuration:\n" << completed.error().message << "\n";
    return kExitConfig;
  }
  auto server = GenericApiServer::create(*completed);
  if (!server) {
    // Bad values in the YAML (the plugins' own sections included) are configuration errors;
    // anything else that stops a plugin from loading or registering is a plugin error.
    const bool config = server.error().reason == "Invalid";
    std::cerr << "apiserver-host: " << (config ? "invalid configuration:\n" : "") << server.error().message << "\n";
    return config ? kExitConfig : kExitPlugin;
  }
  return (*server)->run();
}

}  // namespace apiserver::server
