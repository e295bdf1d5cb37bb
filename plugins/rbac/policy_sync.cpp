#include "rbac/policy_sync.h"

#include <chrono>
#include <string>

namespace apiserver::plugins::rbac {

namespace {

GroupResource resourceOf(PolicySync::Kind kind) {
  switch (kind) {
    case PolicySync::Kind::Role: return {std::string(kGroupName), "roles"};
    case PolicySync::Kind::ClusterRole: return {std::string(kGroupName), "clusterroles"};
    case PolicySync::Kind::RoleBinding: return {std::string(kGroupName), "rolebindings"};
    case PolicySync::Kind::ClusterRoleBinding: return {std::string(kGroupName), "clusterrolebindings"};
  }
  return {};
}

std::string keyOf(const json::object& obj) {
  std::string_view ns = namespaceOf(obj);
  return ns.empty() ? std::string(nameOf(obj)) : std::string(ns) + "/" + std::string(nameOf(obj));
}

std::int64_t revisionOf(const json::object& obj) {
  auto n = ConfigReader::parseInteger(resourceVersionOf(obj));
  return n ? *n : 0;
}

}  // namespace

PolicySync::PolicySync(std::shared_ptr<RbacAuthorizer> authorizer, Logger& log)
    : authorizer_(std::move(authorizer)), log_(log) {}

PolicySync::~PolicySync() { stop(); }

bool PolicySync::newer(const std::string& key, const json::object& obj) {
  // A watch opened before a list replays states the list already had; never go back in time.
  const std::int64_t rv = revisionOf(obj);
  auto [it, inserted] = revisions_.emplace(key, rv);
  if (inserted) return true;
  if (rv != 0 && rv < it->second) return false;
  it->second = rv;
  return true;
}

void PolicySync::apply(Kind kind, ObjectEvent::Type type, const json::object& obj) {
  const std::string key = keyOf(obj);
  if (!newer(std::to_string(static_cast<int>(kind)) + "/" + key, obj)) return;
  const bool gone = type == ObjectEvent::Type::Deleted;
  auto roles = [&](std::map<std::string, RuleList>& m) {
    if (gone) m.erase(key);
    else m[key] = std::make_shared<const std::vector<PolicyRule>>(rulesOf(obj));
  };
  auto bindings = [&](std::map<std::string, BindingRecord>& m) {
    if (gone) m.erase(key);
    else m[key] = bindingRecordOf(obj);
  };
  switch (kind) {
    case Kind::Role: roles(objects_.roles); break;
    case Kind::ClusterRole: roles(objects_.clusterRoles); break;
    case Kind::RoleBinding: bindings(objects_.roleBindings); break;
    case Kind::ClusterRoleBinding: bindings(objects_.clusterRoleBindings); break;
  }
}

void PolicySync::rebuild() { authorizer_->publish(PolicyIndex::build(objects_)); }

Result<std::unique_ptr<ObjectWatch>> PolicySync::resync(Kind kind) {
  // Watch first, then list: whatever changes after the list arrives on the watch.
  auto w = client_->watch(resourceOf(kind), "");
  if (!w) return fail(std::move(w).error());
  auto list = client_->list(resourceOf(kind), "");
  if (!list) return fail(std::move(list).error());
  std::lock_guard lock(mu_);
  switch (kind) {  // the list replaces what this kind held
    case Kind::Role: objects_.roles.clear(); break;
    case Kind::ClusterRole: objects_.clusterRoles.clear(); break;
    case Kind::RoleBinding: objects_.roleBindings.clear(); break;
    case Kind::ClusterRoleBinding: objects_.clusterRoleBindings.clear(); break;
  }
  const std::string prefix = std::to_string(static_cast<int>(kind)) + "/";
  for (auto it = revisions_.lower_bound(prefix); it != revisions_.end() && it->first.starts_with(prefix);)
    it = revisions_.erase(it);
  for (const auto& obj : list->items) apply(kind, ObjectEvent::Type::Added, obj);
  rebuild();
  return std::move(*w);
}

Result<void> PolicySync::start(Client& client) {
  client_ = &client;
  std::vector<std::pair<Kind, std::unique_ptr<ObjectWatch>>> watches;
  for (Kind k : {Kind::ClusterRole, Kind::Role, Kind::ClusterRoleBinding, Kind::RoleBinding}) {
    auto w = resync(k);
    if (!w) return fail(ApiError::internal("RBAC: cannot follow " + resourceOf(k).str() + ": " + w.error().message));
    watches.emplace_back(k, std::move(*w));
  }
  for (auto& [k, w] : watches)
    threads_.emplace_back([this, k, w = std::move(w)](std::stop_token stop) mutable { run(k, std::move(w), stop); });
  return {};
}

void PolicySync::run(Kind kind, std::unique_ptr<ObjectWatch> watch, std::stop_token stop) {
  std::vector<ObjectEvent> events;
  while (!stop.stop_requested()) {
    events.clear();
    const bool more = watch->next(events, std::chrono::milliseconds(200));
    if (!events.empty()) {
      std::lock_guard lock(mu_);
      for (const auto& e : events) apply(kind, e.type, e.object);
      rebuild();
    }
    if (more || stop.stop_requested()) continue;
    // The watch ended (it fell behind, or the server is stopping): list again and follow anew.
    watch.reset();
    for (int attempt = 0; !stop.stop_requested(); ++attempt) {
      auto w = resync(kind);
      if (w) {
        watch = std::move(*w);
        break;
      }
      if (attempt == 0) log_.warn("RBAC: re-listing " + resourceOf(kind).str() + " failed: " + w.error().message);
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
}

void PolicySync::stop() noexcept {
  for (auto& t : threads_) t.request_stop();
  threads_.clear();  // joins
}

}  // namespace apiserver::plugins::rbac
