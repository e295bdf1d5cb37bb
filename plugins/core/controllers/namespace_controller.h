#pragma once

#include <apiserver/registry.h>

#include <memory>
#include <string_view>
#include <thread>

/// @file namespace_controller.h
/// NamespaceController empties namespaces that are being deleted (kube's namespace controller):
/// once a namespace is Terminating it deletes every namespaced object in it, and when nothing is
/// left it removes the "kubernetes" finalizer through the finalize subresource, which lets the
/// namespace go.

namespace apiserver::plugins::core {

class NamespaceController final : public Controller {
 public:
  /// kName is the controller's name.
  static constexpr std::string_view kName = "NamespaceController";

  explicit NamespaceController(Logger& log) : log_(log) {}
  ~NamespaceController() override { stop(); }

  // apiserver::Controller
  std::string_view name() const override { return kName; }
  Result<void> start(Client& client) override;
  void stop() noexcept override;

  /// cleanUp does one pass over a terminating namespace: returns true once it is finalized.
  /// Public for tests.
  static bool cleanUp(Client& client, std::string_view ns, Logger& log);

 private:
  void run(std::stop_token stop, Client& client, std::unique_ptr<ObjectWatch> watch);

  Logger& log_;
  std::jthread thread_;
};

}  // namespace apiserver::plugins::core
