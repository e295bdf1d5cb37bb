#pragma once

#include <apiserver/registry.h>

#include <memory>
#include <set>
#include <string>
#include <string_view>

/// @file namespace_lifecycle.h
/// NamespaceLifecycle: kube's admission plugin of that name
/// (plugin/pkg/admission/namespace/lifecycle).

namespace apiserver::plugins::core {

/// NamespaceLifecycle refuses to create namespaced objects in a namespace that does not exist
/// (404 NotFound on the namespace) or that is being terminated (403 Forbidden), and refuses to
/// delete the immortal namespaces default, kube-system and kube-public. Cluster-scoped objects,
/// updates and other deletes pass. Thread-safe: it holds only the client.
class NamespaceLifecycle final : public AdmissionStep {
 public:
  /// kName is the step's name.
  static constexpr std::string_view kName = "NamespaceLifecycle";

  /// NamespaceLifecycle reads namespaces through `client` (the registrar's; it answers once the
  /// server has started).
  explicit NamespaceLifecycle(std::shared_ptr<Client> client);

  // apiserver::AdmissionStep
  std::string_view name() const override { return kName; }
  Result<void> admit(AdmissionAttributes& a) override;

 private:
  std::shared_ptr<Client> client_;
  std::set<std::string, std::less<>> immortal_;
};

}  // namespace apiserver::plugins::core
