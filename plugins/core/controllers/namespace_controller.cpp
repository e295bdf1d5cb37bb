#include "core/controllers/namespace_controller.h"

#include <apiserver/object.h>

#include <algorithm>
#include <chrono>
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

bool NamespaceController::cleanUp(Client& client, std::string_view ns, Logger& log) {
  bool empty = true;
  for (const auto& r : client.resources()) {
    if (r.scope != Scope::Namespaced) continue;
    GroupResource gr{r.group, r.plural};
    if (auto removed = client.removeCollection(gr, ns); !removed) {
      log.warn("namespace " + std::string(ns) + ": deleting " + gr.str() + ": " + removed.error().message);
      empty = false;
      continue;
    }
    // Objects with finalizers of their own stay until those are done.
    auto left = client.list(gr, ns);
    if (!left || !left->items.empty()) empty = false;
  }
  if (!empty) return false;
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
