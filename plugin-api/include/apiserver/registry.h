#pragma once

#include <apiserver/authorization.h>
#include <apiserver/chain.h>
#include <apiserver/config.h>
#include <apiserver/object.h>
#include <apiserver/request.h>
#include <apiserver/result.h>
#include <apiserver/schema.h>
#include <apiserver/strategy.h>
#include <apiserver/upstream.h>

#include <boost/json/object.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

/// @file registry.h
/// What a plugin adds to the server, through the Registrar it is given at start: resources (stored
/// or virtual), handler-chain links, admission steps, controllers, delegate servers and
/// authorizers.

namespace apiserver {

/// LogLevel orders log messages by severity.
enum class LogLevel { Trace, Debug, Info, Warn, Error };

/// Logger is the host's logger, offered to plugins. Thread-safe.
class Logger {
 public:
  virtual ~Logger() = default;
  virtual void log(LogLevel level, std::string_view message) = 0;
  virtual bool enabled(LogLevel level) const = 0;
  void debug(std::string_view m) { log(LogLevel::Debug, m); }
  void info(std::string_view m) { log(LogLevel::Info, m); }
  void warn(std::string_view m) { log(LogLevel::Warn, m); }
  void error(std::string_view m) { log(LogLevel::Error, m); }
};

/// WallClock is the time source (injectable in tests). Thread-safe.
class WallClock {
 public:
  virtual ~WallClock() = default;
  virtual TimePoint now() const = 0;
};

/// Operation is what a write does, for admission.
enum class Operation { Create, Update, Delete };

/// AdmissionAttributes describe one write on its way to storage (kube's admission.Attributes).
struct AdmissionAttributes {
  Operation operation = Operation::Create;
  const ResourceSpec* resource = nullptr;
  std::string_view namespace_;
  std::string_view name;
  std::string_view subresource;
  json::object* object = nullptr;           ///< the new object; null for Delete. Mutable in admit().
  const json::object* oldObject = nullptr;  ///< the stored object for Update and Delete
  const UserInfo* user = nullptr;
  bool dryRun = false;
};

/// AdmissionStep runs on every write, as a kube admission plugin does: every step's admit
/// (mutating) runs after the strategy's defaulting and before validation; every step's validate
/// runs after validation, just before storage. Thread-safe. A failure is returned to the client
/// as it is.
class AdmissionStep {
 public:
  virtual ~AdmissionStep() = default;
  virtual std::string_view name() const = 0;
  virtual Result<void> admit(AdmissionAttributes& a) {
    (void)a;
    return {};
  }
  virtual Result<void> validate(const AdmissionAttributes& a) {
    (void)a;
    return {};
  }
  /// mayWait tells whether admit or validate may wait for something other than a read of the
  /// server's own storage (a write, a webhook, another server). A create on a durable backend
  /// then runs on the server's blocking pool instead of the I/O thread that read it. Say false
  /// only for a step that never does.
  virtual bool mayWait() const { return true; }
};

/// ObjectList is the result of Client::list.
struct ObjectList {
  std::vector<json::object> items;
  std::string resourceVersion;
};

/// ObjectEvent is one change seen by an ObjectWatch.
struct ObjectEvent {
  enum class Type { Added, Modified, Deleted } type = Type::Added;
  json::object object;
};

/// ObjectWatch is a running in-process watch (initial ADDED events, then changes). Not
/// thread-safe: one consumer thread calls next(); destroying it ends the watch.
class ObjectWatch {
 public:
  virtual ~ObjectWatch() = default;
  /// next waits up to `timeout` for events and moves them into `out`; returns false once the
  /// watch has ended (the server is stopping, or the consumer fell too far behind).
  virtual bool next(std::vector<ObjectEvent>& out, std::chrono::milliseconds timeout) = 0;
};

/// Client reads and writes objects of any served resource from inside the server, through the
/// same Store (strategy, admission, storage) that REST requests use, as a privileged system user.
/// Available once the server has started (controllers receive it in start()). Thread-safe.
class Client {
 public:
  virtual ~Client() = default;
  /// resources lists every served resource.
  virtual std::vector<ResourceSpec> resources() = 0;
  virtual Result<json::object> get(const GroupResource& gr, std::string_view ns, std::string_view name) = 0;
  /// getCached reads an object as the server's watch cache holds it now, without waiting for the
  /// cache to catch up with storage first (kube's listers read their informers' caches so). It
  /// is cheaper than get but may not yet see a write made a moment ago; callers that must not
  /// miss one fall back to get. The object is shared and read-only: the server parses each
  /// cached revision once however often it is read (a namespace, on every create in it).
  virtual Result<std::shared_ptr<const json::object>> getCached(const GroupResource& gr, std::string_view ns,
                                                                std::string_view name) {
    auto o = get(gr, ns, name);
    if (!o) return std::move(o).error();
    return std::make_shared<const json::object>(std::move(*o));
  }
  virtual Result<ObjectList> list(const GroupResource& gr, std::string_view ns,
                                  std::string_view labelSelector = {}, std::string_view fieldSelector = {}) = 0;
  virtual Result<json::object> create(const GroupResource& gr, std::string_view ns, json::object obj) = 0;
  /// update replaces an object; `subresource` may be "status" or "finalize" where served.
  virtual Result<json::object> update(const GroupResource& gr, std::string_view ns, json::object obj,
                                      std::string_view subresource = {}) = 0;
  virtual Result<void> remove(const GroupResource& gr, std::string_view ns, std::string_view name) = 0;
  /// removeCollection deletes every object of the resource in `ns` (all namespaces when empty).
  virtual Result<void> removeCollection(const GroupResource& gr, std::string_view ns) = 0;
  /// watch follows a resource (in `ns`, or all namespaces when empty).
  virtual Result<std::unique_ptr<ObjectWatch>> watch(const GroupResource& gr, std::string_view ns) = 0;
};

/// Controller is a background loop started after the server's storage is ready and stopped on
/// shutdown (kube's post-start hooks and controllers).
class Controller {
 public:
  virtual ~Controller() = default;
  virtual std::string_view name() const = 0;
  /// start runs once; a failure stops start-up. Long work belongs on a thread the controller owns.
  virtual Result<void> start(Client& client) = 0;
  /// stop asks the controller to finish; it returns once the controller's threads have ended.
  virtual void stop() noexcept {}
};

/// CreateContext is what a virtual resource's create is asked in.
struct CreateContext {
  std::string_view namespace_;     ///< the request path's namespace ("" for cluster-scoped resources)
  const UserInfo* user = nullptr;  ///< the authenticated user of the request
  bool dryRun = false;             ///< dryRun=All was asked for
};

/// Creater answers a create (POST) of a virtual resource: one that is computed, not stored
/// (kube's rest.Creater without storage, as SubjectAccessReview is). The host decodes the body
/// (JSON, YAML or protobuf), checks its apiVersion and kind and passes it on; the object returned
/// is the answer (201 Created), with apiVersion and kind set by the host. Thread-safe; must not
/// throw.
class Creater {
 public:
  virtual ~Creater() = default;
  virtual Result<json::object> create(const CreateContext& ctx, json::object obj) const = 0;
};

/// Registrar is how a plugin adds what it provides. Valid only during Plugin::registerWith.
/// Names must be unique across all plugins; a duplicate fails with both owners named.
class Registrar {
 public:
  virtual ~Registrar() = default;
  /// addResource serves `spec` with `strategy`'s rules over the configured storage backend.
  virtual Result<void> addResource(ResourceSpec spec, std::shared_ptr<const Strategy> strategy) = 0;
  /// addLink offers a handler-chain link under `name`; the YAML handlerChain decides whether and
  /// where it runs.
  virtual Result<void> addLink(std::string name, std::shared_ptr<LinkFactory> factory) = 0;
  /// addAdmission adds an admission step (they run in registration order).
  virtual Result<void> addAdmission(std::shared_ptr<AdmissionStep> step) = 0;
  /// addController adds a background controller.
  virtual Result<void> addController(std::shared_ptr<Controller> controller) = 0;
  /// addDelegate puts a server in the server chain in front of the resource server.
  virtual Result<void> addDelegate(std::string name, std::shared_ptr<DelegateServer> server) = 0;
  /// addVirtualResource serves `spec` as a resource that is computed, not stored: POST only,
  /// answered by `creater`; discovery lists it with the verb create, OpenAPI with its POST.
  virtual Result<void> addVirtualResource(ResourceSpec spec, std::shared_ptr<const Creater> creater) = 0;
  /// addAuthorizer offers an authorizer under `name` ("RBAC"), which `--authorization-mode`
  /// (authorization.modes) may name.
  virtual Result<void> addAuthorizer(std::string name, std::shared_ptr<const Authorizer> authorizer) = 0;
  /// authorizer is the server's own: the configured modes in order, the first Allow or Deny
  /// winning, members of system:masters always allowed (what the authorization link asks). It
  /// may be kept; until the server is built it has no opinion on anything.
  virtual std::shared_ptr<const Authorizer> authorizer() = 0;

  virtual Logger& logger() = 0;
  virtual std::shared_ptr<const WallClock> clock() = 0;
  /// client reads and writes objects in-process. It may be kept (e.g. by an admission step), but
  /// it answers ServiceUnavailable until the server has started.
  virtual std::shared_ptr<Client> client() = 0;
  /// upstreamClient forwards requests to other HTTP servers (keep-alive pooled, TLS, streamed
  /// answers) on the host's I/O threads. It may be kept; once the server is shutting down every
  /// call fails with 503.
  virtual std::shared_ptr<UpstreamClient> upstreamClient() = 0;
};

}  // namespace apiserver
