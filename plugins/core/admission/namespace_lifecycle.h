#pragma once

#include <apiserver/registry.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
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
/// updates and other deletes pass. Thread-safe.
///
/// As kube's plugin reads its namespace informer, it reads the namespace from the watch cache
/// (Client::getCached) and asks for it consistently (Client::get) only when the cache does not
/// have it (it may have been created a moment ago) or says Active for a namespace whose delete
/// this step admitted in the last 30 seconds (kube's forceLiveLookupCache).
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
  bool mayWait() const override { return false; }  // reads namespaces only

 private:
  /// terminating tells whether namespace `ns` is being terminated: as cached, or as stored when
  /// the cache lacks it or a delete of it was admitted lately. NotFound when it does not exist.
  Result<bool> terminating(std::string_view ns);
  /// recentlyDeleted tells whether this step admitted a delete of `ns` lately.
  bool recentlyDeleted(std::string_view ns);
  void noteDelete(std::string_view ns);

  std::shared_ptr<Client> client_;
  std::set<std::string, std::less<>> immortal_;
  std::mutex mu_;
  /// deleted: when this step admitted the delete of each namespace (kept 30 s).
  std::map<std::string, std::chrono::steady_clock::time_point, std::less<>> deleted_;
};

}  // namespace apiserver::plugins::core
