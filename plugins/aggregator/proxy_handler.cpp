#include "aggregator/proxy_handler.h"

#include "aggregator/discovery.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <optional>

namespace apiserver::plugins::aggregator {

namespace {

/// kUnavailableMessage is what kubectl prints for kube-aggregator's plain "service unavailable"
/// 503 ("Error from server (ServiceUnavailable): the server is currently unable to handle the
/// request"); the reason goes to the log, not to the client.
constexpr const char* kUnavailableMessage = "the server is currently unable to handle the request";

/// escapeExtraKey percent-encodes a user-extra key for an X-Remote-Extra- field name, as
/// client-go's headerKeyEscape does (unreserved characters stay).
std::string escapeExtraKey(std::string_view key) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : key) {
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                            c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

/// segment returns the path segment that starts at `pos` and moves `pos` past it.
std::string_view segment(std::string_view path, std::size_t& pos) {
  if (pos >= path.size()) return {};
  std::size_t end = path.find('/', pos);
  std::string_view s = path.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
  pos = end == std::string_view::npos ? path.size() : end + 1;
  return s;
}

/// longRunning: a response that may last, relayed as it arrives (a watch, a followed log, ...).
bool longRunning(const Request& req) {
  if (req.info.resolved) {
    if (req.info.verb == "watch") return true;
    const std::string& sub = req.info.subresource;
    if (sub == "log" || sub == "exec" || sub == "attach" || sub == "portforward" || sub == "proxy") return true;
    return false;
  }
  auto w = req.query.get("watch");
  return w && (*w == "true" || *w == "1");
}

/// clientIp is the address part of "ip:port" (IPv6 unbracketed).
std::string clientIp(const std::string& remote) {
  auto colon = remote.rfind(':');
  std::string ip = colon == std::string::npos ? remote : remote.substr(0, colon);
  if (ip.size() > 1 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  return ip;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> identityHeaders(const UserInfo& user) {
  std::vector<std::pair<std::string, std::string>> out;
  if (user.name.empty()) {
    out.emplace_back("X-Remote-User", "system:anonymous");
    out.emplace_back("X-Remote-Group", "system:unauthenticated");
    return out;
  }
  out.emplace_back("X-Remote-User", user.name);
  for (const auto& g : user.groups) out.emplace_back("X-Remote-Group", g);
  for (const auto& [key, values] : user.extra)
    for (const auto& v : values) out.emplace_back("X-Remote-Extra-" + escapeExtraKey(key), v);
  return out;
}

ProxyHandler::ProxyHandler(std::shared_ptr<ApiServiceRegistry> registry, std::shared_ptr<UpstreamClient> upstream,
                           ProxyOptions options, Logger& log)
    : registry_(std::move(registry)), upstream_(std::move(upstream)), options_(std::move(options)), log_(log) {}

Response ProxyHandler::serve(Request& req, Handler& next) {
  const std::string_view path = req.path;
  if (path.starts_with("/apis")) {
    if (path == "/apis" || path == "/apis/") {
      auto snapshot = registry_->snapshot();
      return mergedDocument(req, next, *snapshot, false);
    }
    if (path[5] != '/') return next.serve(req);
    auto snapshot = registry_->snapshot();
    if (snapshot->remoteGroups.empty()) return next.serve(req);
    std::size_t pos = 6;
    std::string group(segment(path, pos));
    if (snapshot->remoteGroups.count(group) == 0) return next.serve(req);
    std::string version(segment(path, pos));
    if (version.empty()) {
      // /apis/<group>: the group's versions (kube's apiGroupHandler).
      if (auto doc = remoteGroup(*snapshot, group)) return Response::json(200, *doc);
      return Response::error(ApiError::serviceUnavailable(kUnavailableMessage));
    }
    if (const RemoteVersion* v = snapshot->find(group, version)) return forward(req, snapshot, *v);
    return next.serve(req);
  }
  if (path.starts_with("/openapi/v3")) {
    if (path == "/openapi/v3" || path == "/openapi/v3/") {
      auto snapshot = registry_->snapshot();
      return mergedDocument(req, next, *snapshot, true);
    }
    constexpr std::string_view kApis = "/openapi/v3/apis/";
    if (!path.starts_with(kApis)) return next.serve(req);
    auto snapshot = registry_->snapshot();
    std::size_t pos = kApis.size();
    std::string group(segment(path, pos));
    std::string version(segment(path, pos));
    if (const RemoteVersion* v = snapshot->find(group, version)) return forward(req, snapshot, *v);
    return next.serve(req);
  }
  return next.serve(req);
}

Response ProxyHandler::mergedDocument(Request& req, Handler& next, const Snapshot& snapshot, bool openapi) {
  Response local = next.serve(req);
  if (local.status != 200 || local.pending || local.stream || local.body.size() != 1) return local;
  CacheSlot slot = kOpenApiIndex;
  if (!openapi) {
    if (local.contentType == kAggregatedV2)
      slot = kAggregatedApis;
    else if (local.contentType == kAggregatedV2Beta1)
      slot = kAggregatedBetaApis;
    else
      slot = kLegacyApis;
  }
  auto cached = merged_[slot].load(std::memory_order_acquire);
  if (!cached || cached->local.get() != local.body[0].get() || cached->generation != snapshot.generation ||
      cached->contentType != local.contentType) {
    std::error_code ec;
    json::value doc = json::parse(*local.body[0], ec);
    if (ec || !doc.is_object()) return local;
    json::object merged;
    if (openapi) {
      merged = mergeOpenApiIndex(doc.get_object(), snapshot);
    } else {
      registry_->noteLocalGroups(groupNames(doc.get_object()));
      merged = slot == kLegacyApis ? mergeGroupList(doc.get_object(), snapshot)
                                   : mergeGroupDiscoveryList(doc.get_object(), snapshot);
    }
    auto fresh = std::make_shared<Merged>();
    fresh->local = local.body[0];
    fresh->generation = snapshot.generation;
    fresh->contentType = local.contentType;
    fresh->bytes = makeBytes(json::serialize(merged));
    merged_[slot].store(fresh, std::memory_order_release);
    cached = std::move(fresh);
  }
  local.body[0] = cached->bytes;
  // The index's URLs carry hashes; the index itself must not be cached by content it lacks.
  return local;
}

Response ProxyHandler::unavailable(const RemoteVersion& version, const std::string& why) {
  log_.debug("aggregator: " + version.apiServiceName + " (service " + version.serviceNamespace + "/" +
            version.serviceName + "): " + why);
  return Response::error(ApiError::serviceUnavailable(kUnavailableMessage));
}

Response ProxyHandler::forward(Request& req, std::shared_ptr<const Snapshot> snapshot, const RemoteVersion& version) {
  if (!version.available) return unavailable(version, "not available; answered 503");
  const UpstreamTarget* picked = registry_->nextTarget(version);
  if (picked == nullptr) return unavailable(version, "no backend address; answered 503");
  const UpstreamTarget* target = picked;
  std::optional<UpstreamTarget> withClientCert;
  if (picked->scheme == "https" && (!options_.clientCertPem.empty() || !options_.clientKeyPem.empty())) {
    withClientCert.emplace(*picked);
    withClientCert->clientCertPem = options_.clientCertPem;
    withClientCert->clientKeyPem = options_.clientKeyPem;
    target = &*withClientCert;
  }
  ForwardOptions o;
  o.setHeaders = identityHeaders(req.user);
  // What only this server may assert about the caller never goes through from the client.
  o.removeHeaders = {"X-Remote-User", "X-Remote-Group", "X-Remote-Uid", "X-Remote-Extra-*", "Authorization",
                     "Impersonate-*"};
  o.connectTimeout = options_.connectTimeout;
  o.headerTimeout = options_.responseHeaderTimeout;
  o.deadline = req.deadline;
  o.longRunning = longRunning(req);
  o.forwardedFor = clientIp(req.remoteAddress);
  auto pending = std::make_shared<DeferredResponse>();
  // The callback keeps the snapshot, which keeps `version` and `picked` alive; what a failure
  // logs is put together only then.
  upstream_->forward(req, *target, o,
                     [pending, registry = registry_, log = &log_, snapshot = std::move(snapshot), v = &version, picked,
                      what = req.method + " " + req.target](Result<Response> r) {
                       if (r) return pending->complete(std::move(*r));
                       const ApiError& e = r.error();
                       log->warn("aggregator: " + what + " to " + picked->url() + " (" + v->apiServiceName +
                                 "): " + e.message);
                       if (e.code == 504) {
                         pending->complete(Response::error(ApiError::timeout(
                             "request did not complete within requested timeout - context deadline exceeded", 0)));
                         return;
                       }
                       registry->requestCheck(v->apiServiceName);  // the backend may be gone: re-check it now
                       pending->complete(Response::error(ApiError::serviceUnavailable(kUnavailableMessage)));
                     });
  return Response::later(std::move(pending));
}

}  // namespace apiserver::plugins::aggregator
