#pragma once

#include <apiserver/registry.h>

#include <memory>
#include <string_view>
#include <thread>

/// @file gadget_controller.h
/// GadgetController is the sample plugin's controller: it follows gadgets and, whenever one's
/// status.observedGeneration lags its metadata.generation, writes status {phase: Ready,
/// observedGeneration} through the status subresource. It shows the Controller contract: a
/// thread of its own, started with the in-process Client, stopped at shutdown.

namespace apiserver::plugins::sample {

class GadgetController final : public Controller {
 public:
  static constexpr std::string_view kName = "GadgetController";

  explicit GadgetController(Logger& log) : log_(log) {}
  ~GadgetController() override { stop(); }

  // apiserver::Controller
  std::string_view name() const override { return kName; }
  Result<void> start(Client& client) override;
  void stop() noexcept override;

  /// reconcile brings one gadget's status up to date; true when it wrote (or nothing was needed).
  /// Public for tests.
  static bool reconcile(Client& client, const json::object& gadget, Logger& log);

 private:
  void run(std::stop_token stop, Client& client);

  Logger& log_;
  std::jthread thread_;
};

}  // namespace apiserver::plugins::sample
