#include "core/controllers/namespace_controller.h"

#include <apiserver/object.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>

namespace apiserver::plugins::core {

namespace {

const GroupResource kNamespaces{"", "namespaces"};
constexpr std::string_view kFinalizer = "kubernetes";

bool terminating(const json::object& ns) {
  if (field(ns, "metadata", "deletionTimestamp") == nullptr) return false;
  const json::array* finalizers = arrayField(ns, "spec", "finalizers");
  if (finalizers == nullptr) return false;
  return std::any_of(finalizers->begin(), finalizers->end(),
                     [](const json::value& f) { return f.is_string() && f.get_string() == kFinalizer; });
}

}  // namespace

namespace {

// condition builds one namespace status condition as kube's namespace controller reports it.
json::object condition(std::string_view type, bool status, std::string_view reason, std::string_view message,
                       const std::string& now) {
  return json::object{{"type", type},
                      {"status", status ? "True" : "False"},
                      {"lastTransitionTime", now},
                      {"reason", reason},
                      {"message", message}};
}

// reportConditions writes the deletion conditions into the namespace's status (kube's
// NamespaceDeletion*/NamespaceContentRemaining/NamespaceFinalizersRemaining).
void reportConditions(Client& client, std::string_view ns, const std::map<std::string, int>& remaining,
                      const std::map<std::string, int>& finalizers, bool contentFailure, Logger& log) {
  auto current = client.get(kNamespaces, "", ns);
  if (!current) return;
  const std::string now = formatTime(Clock::now());
  std::string resources, held;
  for (const auto& [gr, n] : remaining)
    resources += (resources.empty() ? "" : ", ") + gr + " has " + std::to_string(n) + " resource instances";
  for (const auto& [f, n] : finalizers)
    held += (held.empty() ? "" : ", ") + f + " in " + std::to_string(n) + " resource instances";
  json::array conditions{
      condition("NamespaceDeletionDiscoveryFailure", false, "ResourcesDiscovered", "All resources successfully discovered",
                now),
      condition("NamespaceDeletionGroupVersionParsingFailure", false, "ParsedGroupVersions",
                "All legacy kube types successfully parsed", now),
      contentFailure ? condition("NamespaceDeletionContentFailure", true, "ContentDeletionFailed",
                                 "Failed to delete all resource types, will retry", now)
                     : condition("NamespaceDeletionContentFailure", false, "ContentDeleted",
                                 "All content successfully deleted, may be waiting on finalization", now),
      remaining.empty() ? condition("NamespaceContentRemaining", false, "ContentRemoved", "All content successfully removed", now)
                        : condition("NamespaceContentRemaining", true, "SomeResourcesRemain",
                                    "Some resources are remaining: " + resources, now),
      finalizers.empty()
          ? condition("NamespaceFinalizersRemaining", false, "ContentHasNoFinalizers",
                      "All content-preserving finalizers finished", now)
          : condition("NamespaceFinalizersRemaining", true, "SomeFinalizersRemain",
                      "Some content in the namespace has finalizers remaining: " + held, now)};
  json::object next = std::move(*current);
  json::value& status = next["status"];
  if (!status.is_object()) status = json::object();
  // Keep the transition time of a condition whose status did not change.
  if (const auto* old = status.get_object().if_contains("conditions"); old != nullptr && old->is_array())
    for (auto& c : conditions)
      for (const auto& o : old->get_array())
        if (o.is_object() && o.get_object().if_contains("type") && *o.get_object().if_contains("type") == c.get_object()["type"] &&
            o.get_object().if_contains("status") && *o.get_object().if_contains("status") == c.get_object()["status"] &&
            o.get_object().if_contains("lastTransitionTime"))
          c.get_object()["lastTransitionTime"] = *o.get_object().if_contains("lastTransitionTime");
  status.get_object()["conditions"] = std::move(conditions);
  if (auto r = client.update(kNamespaces, "", std::move(next), "status"); !r && r.error().code != 404)
    log.debug("namespace " + std::string(ns) + ": status conditions: " + r.error().message);
}

}  // namespace

bool NamespaceController::cleanUp(Client& client, std::string_view ns, Logger& log) {
  std::map<std::string, int> remaining;   // "configmaps." -> objects left
  std::map<std::string, int> finalizers;  // finalizer -> objects holding it
  bool failed = false;
  for (const auto& r : client.resources()) {
    if (r.scope != Scope::Namespaced) continue;
    GroupResource gr{r.group, r.plural};
    if (auto removed = client.removeCollection(gr, ns); !removed) {
      log.warn("namespace " + std::string(ns) + ": deleting " + gr.str() + ": " + removed.error().message);
      failed = true;
      continue;
    }
    // Objects with finalizers of their own stay until those are done.
    auto left = client.list(gr, ns);
    if (!left) {
      failed = true;
      continue;
    }
    if (left->items.empty()) continue;
    remaining[r.plural + "." + r.group] += static_cast<int>(left->items.size());
    for (const auto& item : left->items)
      if (const auto* f = arrayField(item, "metadata", "finalizers"))
        for (const auto& v : *f)
          if (v.is_string()) ++finalizers[std::string(v.get_string())];
  }
  if (failed || !remaining.empty()) {
    reportConditions(client, ns, remaining, finalizers, failed, log);
    return false;
  }
  auto current = client.get(kNamespaces, "", ns);
  if (!current) return current.error().code == 404;
  json::object next = std::move(*current);
  if (json::value* spec = next.if_contains("spec"); spec != nullptr && spec->is_object()) {
    if (json::value* f = spec->get_object().if_contains("finalizers"); f != nullptr && f->is_array()) {
      auto& arr = f->get_array();
      arr.erase(std::remove_if(arr.begin(), arr.end(),
                               [](const json::value& v) { return v.is_string() && v.get_string() == kFinalizer; }),
                arr.end());
    }
  }
  auto finalized = client.update(kNamespaces, "", std::move(next), "finalize");
  if (!finalized && finalized.error().code != 404) {
    log.warn("namespace " + std::string(ns) + ": finalize: " + finalized.error().message);
    return false;
  }
  return true;
}

Result<void> NamespaceController::start(Client& client) {
  auto watch = client.watch(kNamespaces, "");
  if (!watch) return fail(std::move(watch).error());
  thread_ = std::jthread([this, &client, w = std::move(*watch)](std::stop_token stop) mutable {
    run(stop, client, std::move(w));
  });
  return {};
}

void NamespaceController::stop() noexcept {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

void NamespaceController::run(std::stop_token stop, Client& client, std::unique_ptr<ObjectWatch> watch) {
  std::set<std::string> pending;  // terminating namespaces not yet emptied
  std::vector<ObjectEvent> events;
  while (!stop.stop_requested()) {
    events.clear();
    // Pending work is retried twice a second; new deletions wake the loop at once.
    const bool alive = watch->next(events, std::chrono::milliseconds(pending.empty() ? 1000 : 500));
    for (const auto& ev : events) {
      std::string name(nameOf(ev.object));
      if (ev.type == ObjectEvent::Type::Deleted) {
        pending.erase(name);
      } else if (terminating(ev.object)) {
        pending.insert(name);
      }
    }
    for (auto it = pending.begin(); it != pending.end() && !stop.stop_requested();) {
      if (cleanUp(client, *it, log_)) {
        it = pending.erase(it);
      } else {
        ++it;
      }
    }
    if (!alive) {
      if (stop.stop_requested()) return;
      auto again = client.watch(kNamespaces, "");  // fell behind: start over from the current state
      if (!again) return;
      watch = std::move(*again);
    }
  }
}

}  // namespace apiserver::plugins::core
