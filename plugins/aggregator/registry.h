#pragma once

#include <apiserver/object.h>
#include <apiserver/upstream.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

/// @file registry.h
/// ApiServiceRegistry: what the proxy knows about APIServices, as an immutable Snapshot that the
/// availability controller (the only writer) replaces whole and every request reads with one
/// atomic load (kube's proxyHandlingInfo swapped in an atomic.Value). It is also the channel by
/// which the proxy asks the controller to re-check a backend at once.

namespace apiserver::plugins::aggregator {

/// RemoteVersion is one group version served by another server, as of one snapshot.
struct RemoteVersion {
  std::string apiServiceName;  ///< "v1alpha1.samples.example.com"
  std::string group;
  std::string version;
  std::int64_t groupPriorityMinimum = 0;
  std::int64_t versionPriority = 0;
  std::string serviceNamespace;
  std::string serviceName;
  /// available: the last availability check passed (or, before the first, the stored
  /// condition said so). An unavailable version is answered 503 and left out of discovery.
  bool available = false;
  /// targets are the backends the Service resolves to (Endpoints addresses, or an ExternalName),
  /// TLS settings included; requests are spread over them round-robin.
  std::vector<UpstreamTarget> targets;
  /// resources are the version's APIResourceDiscovery entries (aggregated discovery), converted
  /// from the backend's /apis/<group>/<version> at the last check.
  json::array resources;
  /// openapiPath is the backend's serverRelativeURL for the version in its /openapi/v3 index
  /// ("/openapi/v3/apis/<g>/<v>?hash=..."); empty if it publishes none.
  std::string openapiPath;
};

/// Snapshot is an immutable view of every APIService.
struct Snapshot {
  std::uint64_t generation = 0;
  /// remote versions by "group/version".
  std::map<std::string, std::shared_ptr<const RemoteVersion>> remote;
  /// remoteGroups are the groups with at least one remote version.
  std::set<std::string> remoteGroups;
  /// groupPriority: the highest groupPriorityMinimum of each group's APIServices (local ones
  /// included), which orders discovery.
  std::map<std::string, std::int64_t> groupPriority;
  /// versionPriority by "group/version".
  std::map<std::string, std::int64_t> versionPriority;

  const RemoteVersion* find(const std::string& group, const std::string& version) const {
    auto it = remote.find(group + "/" + version);
    return it == remote.end() ? nullptr : it->second.get();
  }
};

/// ApiServiceRegistry holds the current snapshot. Thread-safe.
class ApiServiceRegistry {
 public:
  ApiServiceRegistry() : snapshot_(std::make_shared<const Snapshot>()) {}

  std::shared_ptr<const Snapshot> snapshot() const { return snapshot_.load(std::memory_order_acquire); }
  /// publish replaces the snapshot (the controller's thread only).
  void publish(std::shared_ptr<const Snapshot> s) { snapshot_.store(std::move(s), std::memory_order_release); }

  /// nextTarget picks the backend for one request, round-robin.
  const UpstreamTarget* nextTarget(const RemoteVersion& v) {
    if (v.targets.empty()) return nullptr;
    return &v.targets[roundRobin_.fetch_add(1, std::memory_order_relaxed) % v.targets.size()];
  }

  /// requestCheck asks the controller to check an APIService now (a proxied request could not
  /// reach its backend).
  void requestCheck(const std::string& apiServiceName) {
    {
      std::lock_guard lock(mu_);
      checks_.insert(apiServiceName);
    }
    cv_.notify_all();
  }
  /// waitForChecks waits up to `timeout` for check requests (or wake()) and takes them.
  std::set<std::string> waitForChecks(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return !checks_.empty() || woken_; });
    woken_ = false;
    return std::exchange(checks_, {});
  }
  /// wake ends a waitForChecks early (stop, a probe finished).
  void wake() {
    {
      std::lock_guard lock(mu_);
      woken_ = true;
    }
    cv_.notify_all();
  }

  /// noteLocalGroups records the groups the local server's discovery lists (seen when the
  /// proxy merges /apis), so that admission can refuse remote APIServices for them.
  void noteLocalGroups(std::set<std::string> groups) {
    std::lock_guard lock(mu_);
    localGroups_.insert(groups.begin(), groups.end());
  }
  std::set<std::string> observedLocalGroups() const {
    std::lock_guard lock(mu_);
    return localGroups_;
  }

 private:
  std::atomic<std::shared_ptr<const Snapshot>> snapshot_;
  std::atomic<std::uint64_t> roundRobin_{0};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> checks_;
  bool woken_ = false;
  std::set<std::string> localGroups_;
};

}  // namespace apiserver::plugins::aggregator
