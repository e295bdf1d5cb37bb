#pragma once

#include <apiserver/registry.h>

#include <thread>
#include <vector>

/// @file aggregation.h
/// The ClusterRole aggregation controller (kube's pkg/controller/clusterroleaggregation): a
/// ClusterRole with an aggregationRule gets as rules the union of the rules of every ClusterRole
/// its selectors match (by name order, without duplicates), kept current as roles change.

namespace apiserver::plugins::rbac {

/// aggregatedRules computes the rules of `role` from `all` cluster roles (kube's syncClusterRole).
json::array aggregatedRules(const json::object& role, const std::vector<json::object>& all);

class AggregationController final : public Controller {
 public:
  explicit AggregationController(Logger& log) : log_(log) {}
  ~AggregationController() override { stop(); }
  std::string_view name() const override { return "clusterrole-aggregation"; }
  /// start aggregates once (so admin, edit and view are complete before the server serves), then
  /// follows the cluster roles on a thread of its own.
  Result<void> start(Client& client) override;
  void stop() noexcept override {
    if (thread_.joinable()) {
      thread_.request_stop();
      thread_.join();
    }
  }

 private:
  /// syncAll brings every aggregated role up to date; returns false when something failed (a
  /// conflict with another writer) and a retry is due.
  bool syncAll(Client& client);

  Logger& log_;
  std::jthread thread_;
};

}  // namespace apiserver::plugins::rbac
