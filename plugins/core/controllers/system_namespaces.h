#pragma once

#include <apiserver/registry.h>

#include <string>
#include <string_view>
#include <vector>

/// @file system_namespaces.h
/// SystemNamespaces: creates the namespaces every cluster has (kube's
/// start-system-namespaces-controller post-start hook).

namespace apiserver::plugins::core {

/// SystemNamespaces creates default, kube-system, kube-public and kube-node-lease on start when
/// they are missing; an existing namespace is left alone. A failure other than AlreadyExists
/// fails start-up.
class SystemNamespaces final : public Controller {
 public:
  /// kName is the controller's name.
  static constexpr std::string_view kName = "SystemNamespaces";

  SystemNamespaces();

  /// namespaces lists the namespaces it ensures.
  const std::vector<std::string>& namespaces() const { return namespaces_; }

  // apiserver::Controller
  std::string_view name() const override { return kName; }
  Result<void> start(Client& client) override;

 private:
  std::vector<std::string> namespaces_;
};

}  // namespace apiserver::plugins::core
