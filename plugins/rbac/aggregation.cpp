#include "rbac/aggregation.h"

#include "rbac/rules.h"
#include "rbac/selector.h"

#include <algorithm>
#include <chrono>

namespace apiserver::plugins::rbac {

namespace {

const GroupResource kClusterRoles{std::string(kGroupName), "clusterroles"};

}  // namespace

json::array aggregatedRules(const json::object& role, const std::vector<json::object>& all) {
  json::array rules;
  const json::array* selectors = arrayField(role, "aggregationRule", "clusterRoleSelectors");
  if (selectors == nullptr) return rules;
  std::vector<const json::object*> sorted;
  for (const auto& r : all) sorted.push_back(&r);
  std::sort(sorted.begin(), sorted.end(), [](const json::object* a, const json::object* b) { return nameOf(*a) < nameOf(*b); });
  for (const auto& sel : *selectors) {
    if (!sel.is_object() || !validateLabelSelector(sel, "").empty()) continue;
    for (const json::object* other : sorted) {
      if (nameOf(*other) == nameOf(role)) continue;
      if (!selectorMatches(sel.get_object(), objectField(*other, "metadata", "labels"))) continue;
      if (const json::array* rs = arrayField(*other, "rules"))
        for (const auto& r : *rs)
          if (std::find(rules.begin(), rules.end(), r) == rules.end()) rules.push_back(r);
    }
  }
  return rules;
}

bool AggregationController::syncAll(Client& client) {
  auto list = client.list(kClusterRoles, "");
  if (!list) {
    log_.warn("clusterrole aggregation: listing clusterroles failed: " + list.error().message);
    return false;
  }
  bool ok = true;
  // Aggregated roles may feed each other (view into edit into admin): repeat until nothing moves.
  for (int round = 0; round < 8; ++round) {
    bool changed = false;
    for (auto& role : list->items) {
      if (objectField(role, "aggregationRule") == nullptr) continue;
      json::array want = aggregatedRules(role, list->items);
      const json::value* have = role.if_contains("rules");
      if (have != nullptr && have->is_array() && have->get_array() == want) continue;
      if (have == nullptr && want.empty()) continue;
      json::object next = role;
      next["rules"] = want;
      auto r = client.update(kClusterRoles, "", std::move(next));
      if (!r) {
        log_.warn("clusterrole aggregation: updating " + std::string(nameOf(role)) + " failed: " + r.error().message);
        ok = false;
        continue;
      }
      role = std::move(*r);
      changed = true;
    }
    if (!changed) break;
  }
  return ok;
}

Result<void> AggregationController::start(Client& client) {
  auto watch = client.watch(kClusterRoles, "");
  if (!watch) return fail(ApiError::internal("clusterrole aggregation: cannot watch clusterroles: " + watch.error().message));
  syncAll(client);
  thread_ = std::jthread([this, &client, w = std::move(*watch)](std::stop_token stop) mutable {
    std::vector<ObjectEvent> events;
    bool retry = false;
    while (!stop.stop_requested()) {
      events.clear();
      const bool more = w->next(events, std::chrono::milliseconds(retry ? 500 : 200));
      if (!events.empty() || retry) retry = !syncAll(client);
      if (!more && !stop.stop_requested()) {
        auto again = client.watch(kClusterRoles, "");
        if (!again) {
          std::this_thread::sleep_for(std::chrono::milliseconds(500));
          continue;
        }
        w = std::move(*again);
        retry = true;
      }
    }
  });
  return {};
}

}  // namespace apiserver::plugins::rbac
