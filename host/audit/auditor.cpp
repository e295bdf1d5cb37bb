#include "audit/auditor.h"

#include "codec/protobuf_decoder.h"
#include "codec/yaml_json.h"
#include "server/http_text.h"
#include "server/request_info.h"

#include <boost/json.hpp>

#include <arpa/inet.h>

#include <cstdio>
#include <ctime>

namespace apiserver::audit {

namespace json = boost::json;
using Clock = std::chrono::system_clock;

std::string microTime(Clock::time_point t) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(us % 1000000));
  return buf;
}

namespace {

// canonicalIp returns the address in its canonical text form, or "" if `s` is not an address.
std::string canonicalIp(const std::string& s) {
  unsigned char buf[16];
  char out[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1 && inet_ntop(AF_INET, buf, out, sizeof out)) return out;
  std::string v6 = s;
  if (v6.size() > 2 && v6.front() == '[' && v6.back() == ']') v6 = v6.substr(1, v6.size() - 2);
  if (inet_pton(AF_INET6, v6.c_str(), buf) == 1 && inet_ntop(AF_INET6, buf, out, sizeof out)) return out;
  return {};
}

bool isJsonType(std::string_view type) {
  return type == "application/json" || type.ends_with("+json");
}

std::string_view mediaType(std::string_view ct) {
  auto semi = ct.find(';');
  ct = ct.substr(0, semi);
  while (!ct.empty() && ct.back() == ' ') ct.remove_suffix(1);
  return ct;
}

// requestObject decodes the request body for Request-level events: JSON (and JSON patches), YAML
// (apply patches) or kube protobuf; anything else is left out.
std::optional<json::value> requestObject(const Request& req) {
  if (req.body.empty()) return std::nullopt;
  std::string type(mediaType(req.header("Content-Type").value_or("application/json")));
  for (auto& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (type == "application/vnd.kubernetes.protobuf") {
    auto o = codec::decodeProtobuf(req.body);
    if (o) return json::value(std::move(*o));
    return std::nullopt;
  }
  if (type.ends_with("yaml")) {
    auto v = codec::yamlToJson(req.body);
    if (v) return std::move(*v);
    return std::nullopt;
  }
  boost::system::error_code ec;
  json::value v = json::parse(req.body, ec);
  if (ec) return std::nullopt;
  return v;
}

std::optional<json::value> responseObject(const Response& res) {
  if (res.stream || res.body.empty() || !isJsonType(mediaType(res.contentType))) return std::nullopt;
  std::string all;
  all.reserve(res.bodySize());
  for (const auto& b : res.body) all += *b;
  boost::system::error_code ec;
  json::value v = json::parse(all, ec);
  if (ec) return std::nullopt;
  return v;
}

void dropManagedFields(json::value& v) {
  if (!v.is_object()) return;
  auto& o = v.get_object();
  if (auto* meta = o.if_contains("metadata"); meta != nullptr && meta->is_object()) meta->get_object().erase("managedFields");
  if (auto* items = o.if_contains("items"); items != nullptr && items->is_array())
    for (auto& item : items->get_array()) dropManagedFields(item);
}

// responseStatus is the event's responseStatus: the code, and for a Status body its status,
// message, reason and details (kube copies those bounded fields).
json::object responseStatus(const Response& res) {
  json::object st;
  st["metadata"] = json::object();
  if (res.status >= 300 && !res.stream && !res.body.empty() && isJsonType(mediaType(res.contentType))) {
    if (auto v = responseObject(res); v && v->is_object()) {
      const auto& o = v->get_object();
      if (const auto* k = o.if_contains("kind"); k != nullptr && k->is_string() && k->get_string() == "Status") {
        for (const char* f : {"status", "message", "reason", "details"})
          if (const auto* x = o.if_contains(f)) st[f] = *x;
      }
    }
  }
  st["code"] = res.status;
  return st;
}

bool sameUser(const UserInfo& a, const UserInfo& b) {
  return a.name == b.name && a.uid == b.uid && a.groups == b.groups && a.extra == b.extra;
}

/// Event holds what every stage's event of one request shares.
struct Event {
  Auditor* auditor = nullptr;
  RuleDecision decision;
  std::string auditId;
  std::string requestUri;
  std::string verb;
  json::object user;
  std::optional<json::object> impersonatedUser;
  json::array sourceIps;
  std::string userAgent;
  std::optional<json::object> objectRef;
  std::string received;
  std::optional<json::value> requestObject;
  json::object annotations;

  json::object render(Stage stage, const json::object* status, const json::value* response) const {
    json::object e;
    e["kind"] = "Event";
    e["apiVersion"] = "audit.k8s.io/v1";
    e["level"] = levelName(decision.level);
    e["auditID"] = auditId;
    e["stage"] = stageName(stage);
    e["requestURI"] = requestUri;
    e["verb"] = verb;
    e["user"] = user;
    if (impersonatedUser) e["impersonatedUser"] = *impersonatedUser;
    e["sourceIPs"] = sourceIps;
    if (!userAgent.empty()) e["userAgent"] = userAgent;
    if (objectRef) e["objectRef"] = *objectRef;
    if (status != nullptr) e["responseStatus"] = *status;
    if (requestObject && decision.level >= Level::Request) e["requestObject"] = *requestObject;
    if (response != nullptr && decision.level >= Level::RequestResponse) e["responseObject"] = *response;
    e["requestReceivedTimestamp"] = received;
    e["stageTimestamp"] = microTime(Clock::now());
    if (!annotations.empty()) e["annotations"] = annotations;
    return e;
  }

  void emit(Stage stage, const json::object* status = nullptr, const json::value* response = nullptr) {
    if (decision.omits(stage)) return;
    auditor->write(render(stage, status, response));
  }

  /// answered writes the events of the real answer; a stream gets ResponseStarted now and
  /// ResponseComplete when it ends (the stream is wrapped for that).
  void answered(const std::shared_ptr<Event>& self, Response& res);
};

/// AuditedStream passes a long-running response through and writes ResponseComplete once, when
/// it ends (or is cancelled, or dropped).
class AuditedStream final : public BodyStream {
 public:
  AuditedStream(std::shared_ptr<BodyStream> inner, std::shared_ptr<Event> event, int status)
      : inner_(std::move(inner)), event_(std::move(event)), status_(status) {}
  ~AuditedStream() override { complete(); }

  void start(std::function<void()> wake) override { inner_->start(std::move(wake)); }
  bool poll(std::vector<SharedBytes>& out) override {
    const bool more = inner_->poll(out);
    if (!more) complete();
    return more;
  }
  void cancel() noexcept override {
    inner_->cancel();
    complete();
  }

 private:
  void complete() noexcept {
    if (done_.exchange(true)) return;
    try {
      json::object st;
      st["metadata"] = json::object();
      st["code"] = status_;
      event_->emit(Stage::ResponseComplete, &st);
    } catch (...) {
      // An audit failure must not take the stream down.
    }
  }

  std::shared_ptr<BodyStream> inner_;
  std::shared_ptr<Event> event_;
  int status_;
  std::atomic<bool> done_{false};
};

/// AuditedPending waits for a pending answer and writes its events before passing it on.
class AuditedPending final : public PendingResponse {
 public:
  AuditedPending(std::shared_ptr<PendingResponse> inner, std::shared_ptr<Event> event)
      : inner_(std::move(inner)), event_(std::move(event)) {}
  void start(std::function<void(Response)> done) override {
    inner_->start([event = event_, done = std::move(done)](Response res) mutable {
      if (!res.pending) event->answered(event, res);
      done(std::move(res));
    });
  }

 private:
  std::shared_ptr<PendingResponse> inner_;
  std::shared_ptr<Event> event_;
};

void Event::answered(const std::shared_ptr<Event>& self, Response& res) {
  if (res.stream) {
    json::object st;
    st["metadata"] = json::object();
    st["code"] = res.status;
    emit(Stage::ResponseStarted, &st);
    res.stream = std::make_shared<AuditedStream>(std::move(res.stream), self, res.status);
    return;
  }
  if (decision.omits(Stage::ResponseComplete)) return;
  const json::object st = responseStatus(res);
  std::optional<json::value> body;
  if (decision.level >= Level::RequestResponse) {
    body = responseObject(res);
    if (body && decision.omitManagedFields) dropManagedFields(*body);
  }
  emit(Stage::ResponseComplete, &st, body ? &*body : nullptr);
}

json::object objectRefOf(const RequestInfo& info) {
  json::object ref;
  if (!info.resource.empty()) ref["resource"] = info.resource;
  if (!info.namespace_.empty()) ref["namespace"] = info.namespace_;
  if (!info.name.empty()) ref["name"] = info.name;
  if (!info.apiGroup.empty()) ref["apiGroup"] = info.apiGroup;
  if (!info.apiVersion.empty()) ref["apiVersion"] = info.apiVersion;
  if (!info.subresource.empty()) ref["subresource"] = info.subresource;
  return ref;
}

std::shared_ptr<Event> newEvent(Auditor* auditor, const Request& req, RuleDecision decision, const UserInfo* user) {
  auto ev = std::make_shared<Event>();
  ev->auditor = auditor;
  ev->decision = std::move(decision);
  ev->auditId = req.auditId;
  ev->requestUri = req.target;
  ev->verb = req.info.verb;
  if (user != nullptr) ev->user = userJson(*user);
  for (auto& ip : sourceIps(req)) ev->sourceIps.emplace_back(std::move(ip));
  ev->userAgent = std::string(req.header("User-Agent").value_or(""));
  if (req.info.isResourceRequest) ev->objectRef = objectRefOf(req.info);
  ev->received = microTime(Clock::now());
  return ev;
}

class AuditLink final : public Link {
 public:
  explicit AuditLink(std::shared_ptr<Auditor> auditor) : auditor_(std::move(auditor)) {}
  Response handle(Request& req, Handler& next) override {
    if (!auditor_) return next.serve(req);
    return auditor_->handle(req, next);
  }

 private:
  std::shared_ptr<Auditor> auditor_;
};

}  // namespace

json::object userJson(const UserInfo& u) {
  json::object o;
  o["username"] = u.name;
  if (!u.uid.empty()) o["uid"] = u.uid;
  if (!u.groups.empty()) {
    json::array g;
    for (const auto& x : u.groups) g.emplace_back(x);
    o["groups"] = std::move(g);
  }
  if (!u.extra.empty()) {
    json::object extra;
    for (const auto& [k, vs] : u.extra) {
      json::array a;
      for (const auto& v : vs) a.emplace_back(v);
      extra[k] = std::move(a);
    }
    o["extra"] = std::move(extra);
  }
  return o;
}

std::vector<std::string> sourceIps(const Request& req) {
  std::vector<std::string> ips;
  if (auto xff = req.header("X-Forwarded-For"); xff && !xff->empty()) {
    std::string_view rest = *xff;
    for (;;) {
      auto comma = rest.find(',');
      if (auto ip = canonicalIp(std::string(server::trimOws(rest.substr(0, comma)))); !ip.empty())
        ips.push_back(std::move(ip));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  if (auto real = req.header("X-Real-Ip"); real && !real->empty()) {
    auto ip = canonicalIp(std::string(server::trimOws(*real)));
    if (!ip.empty() && std::find(ips.begin(), ips.end(), ip) == ips.end()) ips.push_back(std::move(ip));
  }
  std::string remote = req.remoteAddress;
  std::string ip = canonicalIp(remote);
  if (ip.empty()) {
    const auto colon = remote.rfind(':');
    if (colon != std::string::npos) ip = canonicalIp(remote.substr(0, colon));
  }
  if (!ip.empty() && (ips.empty() || ips.back() != ip)) ips.push_back(std::move(ip));
  return ips;
}

Auditor::Auditor(Policy policy, std::unique_ptr<LogBackend> backend, Logger& log)
    : policy_(std::move(policy)), backend_(std::move(backend)), log_(log) {}

void Auditor::write(const json::object& event) {
  auto r = backend_->write(json::serialize(event));
  if (r) return;
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  auto last = lastErrorLog_.load();
  if (now - last >= 60 && lastErrorLog_.compare_exchange_strong(last, now))
    log_.error("audit: an event could not be written: " + r.error().message);
}

Response Auditor::handle(Request& req, Handler& next) {
  server::ensureRequestInfo(req);
  RuleDecision decision = evaluate(policy_, &req.user, req.info, req.path);
  if (decision.level == Level::None) return next.serve(req);
  auto ev = newEvent(this, req, std::move(decision), &req.user);
  // As kube's LogRequestObject, a create's objectRef is completed from the object it sends.
  const bool unnamed = ev->objectRef && !ev->objectRef->contains("name") && !req.body.empty();
  if (ev->decision.level >= Level::Request || unnamed) {
    ev->requestObject = requestObject(req);
    if (unnamed && ev->requestObject && ev->requestObject->is_object()) {
      if (const auto* meta = ev->requestObject->get_object().if_contains("metadata"); meta && meta->is_object()) {
        const auto& m = meta->get_object();
        if (const auto* n = m.if_contains("name"); n && n->is_string() && !n->get_string().empty()) {
          // Keep kube's field order: resource, namespace, name, ...
          json::object ref;
          for (const auto& [k, v] : *ev->objectRef) {
            if (k == "apiGroup" || k == "apiVersion" || k == "subresource")
              if (!ref.contains("name")) ref["name"] = *n;
            ref[k] = v;
          }
          if (!ref.contains("name")) ref["name"] = *n;
          ev->objectRef = std::move(ref);
        }
      }
    }
    if (ev->decision.level < Level::Request) ev->requestObject.reset();
    if (ev->requestObject && ev->decision.omitManagedFields) dropManagedFields(*ev->requestObject);
  }
  ev->emit(Stage::RequestReceived);
  const UserInfo before = req.user;
  Response res = next.serve(req);
  // The links after this one may have changed the user (impersonation) and annotated the event.
  if (!sameUser(before, req.user)) ev->impersonatedUser = userJson(req.user);
  for (const auto& [k, v] : req.auditAnnotations) ev->annotations[k] = v;
  if (res.pending) return Response::later(std::make_shared<AuditedPending>(std::move(res.pending), ev));
  ev->answered(ev, res);
  return res;
}

void Auditor::failedAuthentication(const Request& req, int code) {
  RequestInfo info = req.info.resolved ? req.info : server::resolveRequestInfo(req);
  RuleDecision decision = evaluate(policy_, nullptr, info, req.path);
  if (decision.level == Level::None || decision.omits(Stage::ResponseStarted)) return;
  Request view;  // the request as the event describes it, with the resolved info
  view.target = req.target;
  view.path = req.path;
  view.headers = req.headers;
  view.remoteAddress = req.remoteAddress;
  view.auditId = req.auditId;
  view.info = std::move(info);
  auto ev = newEvent(this, view, std::move(decision), nullptr);
  ev->user = json::object();
  // kube's getAuthMethods: which credentials the request tried.
  std::vector<std::string> methods;
  const std::string_view auth = server::trimOws(req.header("Authorization").value_or(""));
  const auto space = auth.find(' ');
  if (space != std::string_view::npos) {
    std::string scheme(auth.substr(0, space));
    for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (scheme == "basic") methods.emplace_back("basic");
    if (scheme == "bearer") methods.emplace_back("bearer");
  }
  if (req.connection && req.connection->peerCertificate) methods.emplace_back("x509");
  std::string message = "Authentication failed, no credentials provided";
  if (!methods.empty()) {
    message = "Authentication failed, attempted: ";
    for (std::size_t i = 0; i < methods.size(); ++i) message += (i ? ", " : "") + methods[i];
  }
  json::object st;
  st["metadata"] = json::object();
  st["message"] = message;
  st["code"] = code;
  ev->emit(Stage::ResponseStarted, &st);
}

std::shared_ptr<LinkFactory> auditLink(std::shared_ptr<Auditor> auditor) {
  class Factory final : public LinkFactory {
   public:
    explicit Factory(std::shared_ptr<Auditor> a) : auditor_(std::move(a)) {}
    Result<std::shared_ptr<Link>> create(const ConfigSection& config) override {
      ConfigReader r(config);
      if (auto done = r.finish(); !done) return fail(std::move(done).error());
      return std::shared_ptr<Link>(std::make_shared<AuditLink>(auditor_));
    }

   private:
    std::shared_ptr<Auditor> auditor_;
  };
  return std::make_shared<Factory>(std::move(auditor));
}

}  // namespace apiserver::audit
