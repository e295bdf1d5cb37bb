#include "aggregator/available_controller.h"

#include "aggregator/discovery.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <utility>

namespace apiserver::plugins::aggregator {

namespace {

using SteadyClock = std::chrono::steady_clock;

const GroupResource kServices{"", "services"};
const GroupResource kEndpoints{"", "endpoints"};

/// kRecheckAfter is the least time between two checks of one APIService asked for by events or
/// by the proxy (the interval applies otherwise).
constexpr std::chrono::milliseconds kRecheckAfter{1000};
/// kMaxProbeTargets: at most this many backend addresses are tried per check (kube tries 5
/// random picks); any answering is enough.
constexpr std::size_t kMaxProbeTargets = 3;

std::string objectKey(const json::object& obj) {
  std::string ns(namespaceOf(obj));
  return ns.empty() ? std::string(nameOf(obj)) : ns + "/" + std::string(nameOf(obj));
}

std::string specOf(const json::object& obj) {
  const json::value* spec = obj.if_contains("spec");
  return spec != nullptr ? json::serialize(*spec) : std::string();
}

std::string bodyOf(const Response& r) {
  std::string s;
  for (const auto& b : r.body) s += *b;
  return s;
}

std::string discoveryPath(const ApiServiceView& v) {
  return v.group.empty() ? "/api/" + v.version : "/apis/" + v.group + "/" + v.version;
}

std::string targetKey(const std::vector<UpstreamTarget>& targets) {
  std::string k;
  for (const auto& t : targets)
    k += t.url() + "|" + t.serverName + "|" + (t.insecureSkipTlsVerify ? "1" : "0") + "|" +
         std::to_string(std::hash<std::string>{}(t.caBundlePem)) + ";";
  return k;
}

}  // namespace

/// Watched is one followed resource: its objects by key, and the watch that keeps them current.
struct AvailableController::Watched {
  GroupResource resource;
  bool served = true;
  std::unique_ptr<ObjectWatch> watch;
  std::map<std::string, json::object> objects;
};

/// ProbeState is what the controller knows about the checks of one APIService.
struct AvailableController::ProbeState {
  std::string key;  ///< the targets the last check went to
  SteadyClock::time_point started{};
  SteadyClock::time_point due{};
  bool inFlight = false;
  std::optional<ProbeOutcome> outcome;  ///< for `key`
};

/// Results collects finished checks from the I/O threads for the controller's thread.
struct AvailableController::Results {
  std::mutex mu;
  std::vector<std::tuple<std::string, std::string, ProbeOutcome>> items;  // name, key, outcome
};

AvailableController::AvailableController(std::shared_ptr<ApiServiceRegistry> registry,
                                         std::shared_ptr<UpstreamClient> upstream, AggregatorConfig config,
                                         Logger& log, std::shared_ptr<const WallClock> clock)
    : registry_(std::move(registry)),
      upstream_(std::move(upstream)),
      config_(std::move(config)),
      log_(log),
      clock_(std::move(clock)),
      apiServices_(std::make_unique<Watched>()),
      services_(std::make_unique<Watched>()),
      endpoints_(std::make_unique<Watched>()),
      results_(std::make_shared<Results>()) {
  apiServices_->resource = apiServicesResource();
  services_->resource = kServices;
  endpoints_->resource = kEndpoints;
}

AvailableController::~AvailableController() { stop(); }

Result<void> AvailableController::start(Client& client) {
  bool hasServices = false;
  bool hasEndpoints = false;
  for (const auto& r : client.resources()) {
    hasServices = hasServices || (r.group.empty() && r.plural == "services");
    hasEndpoints = hasEndpoints || (r.group.empty() && r.plural == "endpoints");
  }
  services_->served = hasServices;
  endpoints_->served = hasEndpoints;
  if (!hasServices || !hasEndpoints)
    log_.warn("aggregator: the core services and endpoints resources are not served; APIServices with a service "
              "will report ServiceNotFound or EndpointsNotFound");
  ensureLocalApiServices(client, log_);
  thread_ = std::jthread([this, &client](std::stop_token stop) { run(stop, client); });
  return {};
}

void AvailableController::stop() noexcept {
  if (thread_.joinable()) {
    thread_.request_stop();
    registry_->wake();
    thread_.join();
  }
}

void AvailableController::ensureLocalApiServices(Client& client, Logger& log) {
  std::set<std::pair<std::string, std::string>> gvs;
  for (const auto& r : client.resources()) gvs.emplace(r.group, r.version);
  for (const auto& [group, version] : gvs) {
    const std::string name = version + "." + group;
    auto existing = client.get(apiServicesResource(), "", name);
    if (existing) continue;
    if (existing.error().code != 404) {
      log.warn("aggregator: reading APIService " + name + ": " + existing.error().message);
      continue;
    }
    const Priority p = localPriority(group, version);
    json::object obj{{"apiVersion", std::string(kGroup) + "/" + kVersion},
                     {"kind", "APIService"},
                     {"metadata", json::object{{"name", name}, {"labels", json::object{{kAutomanagedLabel, "onstart"}}}}},
                     {"spec", json::object{{"group", group},
                                           {"version", version},
                                           {"groupPriorityMinimum", p.group},
                                           {"versionPriority", p.version}}}};
    if (auto created = client.create(apiServicesResource(), "", std::move(obj)); !created && created.error().code != 409)
      log.warn("aggregator: creating the Local APIService " + name + ": " + created.error().message);
  }
}

std::optional<json::object> AvailableController::withCondition(const json::object& apiService, std::string_view status,
                                                               std::string_view reason, std::string_view message,
                                                               const std::string& now) {
  json::array conditions;
  bool found = false;
  if (const json::array* old = arrayField(apiService, "status", "conditions")) {
    for (const auto& c : *old) {
      if (!c.is_object() || stringField(c.get_object(), "", "type") != "Available") {
        conditions.push_back(c);
        continue;
      }
      found = true;
      const json::object& co = c.get_object();
      if (stringField(co, "", "status") == status && stringField(co, "", "reason") == reason &&
          stringField(co, "", "message") == message)
        return std::nullopt;
      json::object next = co;
      if (stringField(co, "", "status") != status) next["lastTransitionTime"] = now;
      if (!next.if_contains("lastTransitionTime")) next["lastTransitionTime"] = now;
      next["status"] = status;
      next["reason"] = reason;
      next["message"] = message;
      conditions.push_back(std::move(next));
    }
  }
  if (!found)
    conditions.push_back(json::object{{"type", "Available"},
                                      {"status", status},
                                      {"lastTransitionTime", now},
                                      {"reason", reason},
                                      {"message", message}});
  json::object out = apiService;
  json::value& st = out["status"];
  if (!st.is_object()) st = json::object();
  st.get_object()["conditions"] = std::move(conditions);
  return out;
}

bool AvailableController::pump(Watched& w, Client& client, std::set<std::string>& dirty) {
  if (!w.served) return false;
  bool changed = false;
  if (!w.watch) {
    // List, then watch: the watch's initial events overwrite what the list found.
    auto listed = client.list(w.resource, "");
    if (!listed) return false;
    std::map<std::string, json::object> fresh;
    for (auto& o : listed->items) fresh.emplace(objectKey(o), std::move(o));
    for (const auto& [k, o] : w.objects)
      if (!fresh.count(k)) dirty.insert(k);
    for (const auto& [k, o] : fresh) dirty.insert(k);
    w.objects = std::move(fresh);
    auto watched = client.watch(w.resource, "");
    if (!watched) return true;
    w.watch = std::move(*watched);
    changed = true;
  }
  std::vector<ObjectEvent> events;
  const bool more = w.watch->next(events, std::chrono::milliseconds(0));
  for (auto& ev : events) {
    std::string key = objectKey(ev.object);
    if (ev.type == ObjectEvent::Type::Deleted) {
      w.objects.erase(key);
      dirty.insert(key);
      changed = true;
      continue;
    }
    auto it = w.objects.find(key);
    // An APIService whose spec did not change (our own status write) needs no new check.
    const bool specChanged = it == w.objects.end() || specOf(it->second) != specOf(ev.object);
    const bool anyChange = it == w.objects.end() || it->second != ev.object;
    if (specChanged || (&w != apiServices_.get() && anyChange)) dirty.insert(key);
    changed = changed || anyChange;
    w.objects[key] = std::move(ev.object);
  }
  if (!more) w.watch.reset();
  return changed;
}

std::vector<UpstreamTarget> AvailableController::withTls(const ApiServiceView& view,
                                                         std::vector<UpstreamTarget> targets) const {
  for (auto& t : targets) {
    t.caBundlePem = view.caBundle;
    t.insecureSkipTlsVerify = view.insecureSkipTlsVerify;
    if (t.scheme == "https") {
      t.clientCertPem = config_.proxyClientCertPem;
      t.clientKeyPem = config_.proxyClientKeyPem;
    }
  }
  return targets;
}

void AvailableController::startProbe(const std::string& name, const ApiServiceView& view,
                                     const std::vector<UpstreamTarget>& targets) {
  struct Job {
    std::mutex mu;
    std::size_t remaining = 0;
    ProbeOutcome outcome;
    bool gotDiscovery = false;
    std::string lastError;
  };
  auto job = std::make_shared<Job>();
  const std::size_t n = std::min(targets.size(), kMaxProbeTargets);
  job->remaining = n + 1;
  const std::string path = discoveryPath(view);
  const std::string key = targetKey(targets);
  auto results = results_;
  auto registry = registry_;
  auto finishOne = [job, results, registry, name, key]() {
    std::unique_lock lock(job->mu);
    if (--job->remaining != 0) return;
    ProbeOutcome out = std::move(job->outcome);
    out.ok = job->gotDiscovery;
    if (!out.ok) out.message = job->lastError;
    lock.unlock();
    {
      std::lock_guard rl(results->mu);
      results->items.emplace_back(name, key, std::move(out));
    }
    registry->wake();
  };

  ForwardOptions o;
  o.connectTimeout = config_.discoveryTimeout;
  o.headerTimeout = config_.discoveryTimeout;
  o.deadline = SteadyClock::now() + config_.discoveryTimeout;
  // The aggregator's own identity, in the group that may do anything (as kube's check does).
  o.setHeaders = {{"X-Remote-User", "system:kube-aggregator"}, {"X-Remote-Group", "system:masters"},
                  {"Accept", "application/json"}};
  const std::string group = view.group;
  const std::string version = view.version;
  for (std::size_t i = 0; i < n; ++i) {
    Request req;
    req.method = "GET";
    req.target = path;
    req.path = path;
    const std::string url = targets[i].url() + path;
    upstream_->forward(req, targets[i], o, [job, finishOne, url, group, version](Result<Response> r) {
      {
        std::lock_guard lock(job->mu);
        if (!r) {
          job->lastError = "failing or missing response from " + url + ": Get \"" + url + "\": " + r.error().message;
        } else if (r->status < 200 || r->status >= 300) {
          job->lastError = "failing or missing response from " + url + ": bad status from " + url + ": " +
                           std::to_string(r->status);
        } else if (!job->gotDiscovery) {
          job->gotDiscovery = true;
          std::error_code ec;
          json::value doc = json::parse(bodyOf(*r), ec);
          if (!ec && doc.is_object()) job->outcome.resources = resourcesFromList(doc.get_object(), group, version);
        }
      }
      finishOne();
    });
  }
  Request index;
  index.method = "GET";
  index.target = "/openapi/v3";
  index.path = "/openapi/v3";
  upstream_->forward(index, targets[0], o, [job, finishOne, group, version](Result<Response> r) {
    if (r && r->status == 200) {
      std::error_code ec;
      json::value doc = json::parse(bodyOf(*r), ec);
      if (!ec && doc.is_object()) {
        std::lock_guard lock(job->mu);
        job->outcome.openapiPath = openApiPathFromIndex(doc.get_object(), group, version);
      }
    }
    finishOne();
  });
}

void AvailableController::writeCondition(Client& client, const std::string& name, std::string_view status,
                                         std::string_view reason, std::string_view message) {
  auto it = apiServices_->objects.find(name);
  if (it == apiServices_->objects.end()) return;
  auto next = withCondition(it->second, status, reason, message, formatTime(clock_->now()));
  if (!next) return;
  const ApiServiceView before = viewOf(it->second);
  if (!before.available || before.available->status != status)
    log_.info("aggregator: APIService " + name + " is now Available=" + std::string(status) +
              (reason.empty() ? "" : " (" + std::string(reason) + ")") +
              (message.empty() ? "" : ": " + std::string(message)));
  auto written = client.update(apiServicesResource(), "", std::move(*next), "status");
  if (written) {
    it->second = std::move(*written);
  } else if (written.error().code != 409 && written.error().code != 404) {
    log_.warn("aggregator: updating the status of APIService " + name + ": " + written.error().message);
  }
}

void AvailableController::sync(Client& client, std::stop_token stop, const std::set<std::string>& dirty) {
  const auto now = SteadyClock::now();
  // Which APIServices a Service or Endpoints event concerns.
  std::set<std::string> touched;
  for (const auto& [name, obj] : apiServices_->objects) {
    const ApiServiceView v = viewOf(obj);
    if (dirty.count(name)) touched.insert(name);
    if (v.service && dirty.count(v.service->namespace_ + "/" + v.service->name)) touched.insert(name);
  }
  for (auto it = probes_.begin(); it != probes_.end();)
    it = apiServices_->objects.count(it->first) ? std::next(it) : probes_.erase(it);
  for (auto it = resolutions_.begin(); it != resolutions_.end();)
    it = apiServices_->objects.count(it->first) ? std::next(it) : resolutions_.erase(it);

  for (const auto& [name, obj] : apiServices_->objects) {
    const ApiServiceView v = viewOf(obj);
    if (!v.service) {
      if (!stop.stop_requested())
        writeCondition(client, name, "True", "Local", "Local APIServices are always available");
      continue;
    }
    auto svc = services_->objects.find(v.service->namespace_ + "/" + v.service->name);
    auto eps = endpoints_->objects.find(v.service->namespace_ + "/" + v.service->name);
    Resolution res = resolveService(v, svc == services_->objects.end() ? nullptr : &svc->second,
                                    eps == endpoints_->objects.end() ? nullptr : &eps->second);
    res.targets = withTls(v, std::move(res.targets));
    auto& probe = probes_[name];
    if (!probe) probe = std::make_unique<ProbeState>();
    if (!res.ok) {
      resolutions_[name] = res;
      if (!stop.stop_requested()) writeCondition(client, name, "False", res.reason, res.message);
      continue;
    }
    const std::string key = targetKey(res.targets);
    const bool newTargets = probe->key != key;
    const bool asked = touched.count(name) != 0 && now - probe->started >= kRecheckAfter;
    if (!probe->inFlight && (newTargets || asked || now >= probe->due) && !stop.stop_requested()) {
      if (newTargets) probe->outcome.reset();
      probe->key = key;
      probe->started = now;
      probe->due = now + config_.availabilityCheckInterval;
      probe->inFlight = true;
      startProbe(name, v, res.targets);
    }
    resolutions_[name] = std::move(res);
    if (probe->outcome && !stop.stop_requested()) {
      if (probe->outcome->ok)
        writeCondition(client, name, "True", "Passed", "all checks passed");
      else
        writeCondition(client, name, "False", "FailedDiscoveryCheck", probe->outcome->message);
    }
  }
}

void AvailableController::publish() {
  auto snap = std::make_shared<Snapshot>();
  std::string fingerprint;
  for (const auto& [name, obj] : apiServices_->objects) {
    const ApiServiceView v = viewOf(obj);
    auto& gp = snap->groupPriority[v.group];
    gp = std::max(gp, v.groupPriorityMinimum);
    snap->versionPriority[groupVersionKey(v.group, v.version)] = v.versionPriority;
    fingerprint += name + ":" + std::to_string(v.groupPriorityMinimum) + "," + std::to_string(v.versionPriority) + ";";
    if (!v.service) continue;
    auto rv = std::make_shared<RemoteVersion>();
    rv->apiServiceName = name;
    rv->group = v.group;
    rv->version = v.version;
    rv->groupPriorityMinimum = v.groupPriorityMinimum;
    rv->versionPriority = v.versionPriority;
    rv->serviceNamespace = v.service->namespace_;
    rv->serviceName = v.service->name;
    auto res = resolutions_.find(name);
    auto probe = probes_.find(name);
    const ProbeState* p = probe != probes_.end() ? probe->second.get() : nullptr;
    if (res != resolutions_.end() && res->second.ok) {
      rv->targets = res->second.targets;
      if (p != nullptr && p->outcome && p->key == targetKey(rv->targets)) {
        rv->available = p->outcome->ok;
        rv->resources = p->outcome->resources;
        rv->openapiPath = p->outcome->openapiPath;
      } else {
        // Not checked yet (just started): trust the stored condition until the first check.
        rv->available = v.available && v.available->status == "True";
      }
    }
    fingerprint += (rv->available ? "up|" : "down|") + targetKey(rv->targets) + "|" + json::serialize(rv->resources) +
                   "|" + rv->openapiPath + ";";
    snap->remoteGroups.insert(rv->group);
    snap->remote[groupVersionKey(rv->group, rv->version)] = std::move(rv);
  }
  if (fingerprint == published_) return;
  published_ = std::move(fingerprint);
  snap->generation = ++generation_;
  registry_->publish(std::move(snap));
}

void AvailableController::run(std::stop_token stop, Client& client) {
  std::set<std::string> dirty;
  while (!stop.stop_requested()) {
    pump(*apiServices_, client, dirty);
    pump(*services_, client, dirty);
    pump(*endpoints_, client, dirty);
    {
      std::lock_guard lock(results_->mu);
      for (auto& [name, key, outcome] : results_->items) {
        auto it = probes_.find(name);
        if (it == probes_.end()) continue;
        it->second->inFlight = false;
        if (it->second->key == key) it->second->outcome = std::move(outcome);
      }
      results_->items.clear();
    }
    sync(client, stop, dirty);
    publish();
    dirty = registry_->waitForChecks(std::chrono::milliseconds(250));
  }
}

}  // namespace apiserver::plugins::aggregator
