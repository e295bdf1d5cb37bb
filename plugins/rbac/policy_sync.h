#pragma once

#include "rbac/authorizer.h"

#include <apiserver/registry.h>

#include <memory>
#include <mutex>
#include <thread>
#include <vector>

/// @file policy_sync.h
/// PolicySync keeps the RBAC authorizer's index current (kube's RBAC informers): it watches
/// roles, clusterroles, rolebindings and clusterrolebindings in-process and publishes a new
/// PolicyIndex after every batch of changes. start() returns once the first index is published,
/// so the server never serves before its authorizer knows the policy.

namespace apiserver::plugins::rbac {

class PolicySync final : public Controller {
 public:
  PolicySync(std::shared_ptr<RbacAuthorizer> authorizer, Logger& log);
  ~PolicySync() override;

  std::string_view name() const override { return "rbac-authorizer-sync"; }
  Result<void> start(Client& client) override;
  void stop() noexcept override;

  /// Kind is one of the four RBAC resources.
  enum class Kind { Role, ClusterRole, RoleBinding, ClusterRoleBinding };

  /// apply records one change (exposed for tests); rebuild publishes a new index.
  void apply(Kind kind, ObjectEvent::Type type, const json::object& obj);
  void rebuild();

 private:
  void run(Kind kind, std::unique_ptr<ObjectWatch> watch, std::stop_token stop);
  Result<std::unique_ptr<ObjectWatch>> resync(Kind kind);
  bool newer(const std::string& key, const json::object& obj);  // and remembers its revision

  std::shared_ptr<RbacAuthorizer> authorizer_;
  Logger& log_;
  Client* client_ = nullptr;
  std::mutex mu_;  // objects_ and revisions_; never held on a request's path
  PolicyObjects objects_;
  std::map<std::string, std::int64_t> revisions_;  // "<kind>/<key>" -> resourceVersion
  std::vector<std::jthread> threads_;
};

}  // namespace apiserver::plugins::rbac
