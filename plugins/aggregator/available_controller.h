#pragma once

#include "aggregator/apiservice.h"
#include "aggregator/config.h"
#include "aggregator/registry.h"
#include "aggregator/resolver.h"

#include <apiserver/registry.h>
#include <apiserver/upstream.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

/// @file available_controller.h
/// AvailableController: kube-aggregator's availability controllers (local and remote) and its
/// discovery manager in one loop on a thread of its own. It creates the Local APIServices for the
/// server's own group versions at start, follows APIServices, Services and Endpoints, resolves
/// each remote APIService to its backends, probes the backend's discovery document
/// (GET /apis/<group>/<version>) on an interval, on any change and when the proxy could not reach
/// it, writes the Available condition through the status subresource, and publishes what the
/// proxy needs as a new Snapshot.

namespace apiserver::plugins::aggregator {

/// ProbeOutcome is the result of one availability check of one APIService.
struct ProbeOutcome {
  bool ok = false;
  std::string message;      ///< kube's "failing or missing response from ..." when not ok
  json::array resources;    ///< aggregated discovery resources of the version
  std::string openapiPath;  ///< the backend's /openapi/v3 URL for the version, if any
};

class AvailableController final : public Controller {
 public:
  static constexpr std::string_view kName = "APIServiceAvailability";

  AvailableController(std::shared_ptr<ApiServiceRegistry> registry, std::shared_ptr<UpstreamClient> upstream,
                      AggregatorConfig config, Logger& log, std::shared_ptr<const WallClock> clock);
  ~AvailableController() override;

  // apiserver::Controller
  std::string_view name() const override { return kName; }
  Result<void> start(Client& client) override;
  void stop() noexcept override;

  /// ensureLocalApiServices creates an APIService (labelled automanaged: onstart, no service)
  /// for every group version the server serves itself that has none. Public for tests.
  static void ensureLocalApiServices(Client& client, Logger& log);

  /// availableCondition returns the object with its Available condition set to status, reason
  /// and message; the transition time moves only when the status changes (kube's
  /// SetAPIServiceCondition). nullopt when nothing would change. Public for tests.
  static std::optional<json::object> withCondition(const json::object& apiService, std::string_view status,
                                                   std::string_view reason, std::string_view message,
                                                   const std::string& now);

 private:
  struct Watched;
  struct ProbeState;
  struct Results;

  void run(std::stop_token stop, Client& client);
  bool pump(Watched& w, Client& client, std::set<std::string>& dirty);
  void sync(Client& client, std::stop_token stop, const std::set<std::string>& dirty);
  void startProbe(const std::string& name, const ApiServiceView& view, const std::vector<UpstreamTarget>& targets);
  void writeCondition(Client& client, const std::string& name, std::string_view status, std::string_view reason,
                      std::string_view message);
  void publish();
  std::vector<UpstreamTarget> withTls(const ApiServiceView& view, std::vector<UpstreamTarget> targets) const;

  std::shared_ptr<ApiServiceRegistry> registry_;
  std::shared_ptr<UpstreamClient> upstream_;
  const AggregatorConfig config_;
  Logger& log_;
  std::shared_ptr<const WallClock> clock_;
  std::jthread thread_;

  // State of the controller's thread only.
  std::unique_ptr<Watched> apiServices_;
  std::unique_ptr<Watched> services_;
  std::unique_ptr<Watched> endpoints_;
  std::map<std::string, std::unique_ptr<ProbeState>> probes_;
  std::map<std::string, Resolution> resolutions_;
  std::shared_ptr<Results> results_;
  std::string published_;  // fingerprint of the last published snapshot
  std::uint64_t generation_ = 0;
};

}  // namespace apiserver::plugins::aggregator
