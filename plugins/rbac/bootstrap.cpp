#include "rbac/bootstrap.h"

#include "rbac/rules.h"

#include <algorithm>
#include <initializer_list>
#include <string>

namespace apiserver::plugins::rbac {

namespace {

using Strings = std::vector<std::string>;

const Strings kRead{"get", "list", "watch"};
const Strings kWrite{"create", "delete", "deletecollection", "patch", "update"};
const Strings kReadWrite{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"};

Strings sorted(Strings v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

// rule is kube's NewRule(verbs...).Groups(groups...).Resources(resources...): sorted sets.
json::object rule(const Strings& verbs, const Strings& groups, const Strings& resources, const Strings& names = {}) {
  return ruleToJson({sorted(verbs), sorted(groups), sorted(resources), sorted(names), {}});
}
json::object urlRule(const Strings& verbs, const Strings& urls) {
  return ruleToJson({sorted(verbs), {}, {}, {}, sorted(urls)});
}

json::object meta(std::string name, std::initializer_list<std::pair<const char*, const char*>> extraLabels = {}) {
  json::object labels{{std::string(kBootstrappingLabel), "rbac-defaults"}};
  for (const auto& [k, v] : extraLabels) labels[k] = v;
  return {{"name", std::move(name)},
          {"labels", std::move(labels)},
          {"annotations", json::object{{std::string(kAutoUpdateAnnotation), "true"}}}};
}

json::object clusterRole(std::string name, std::vector<json::object> rules,
                         std::initializer_list<std::pair<const char*, const char*>> labels = {}) {
  json::array a;
  for (auto& r : rules) a.push_back(std::move(r));
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", "ClusterRole"},
          {"metadata", meta(std::move(name), labels)},
          {"rules", std::move(a)}};
}

json::object aggregated(std::string name, const char* selectorLabel,
                        std::initializer_list<std::pair<const char*, const char*>> labels = {}) {
  json::object o = clusterRole(std::move(name), {}, labels);
  o.erase("rules");
  o["aggregationRule"] = json::object{
      {"clusterRoleSelectors", json::array{json::object{{"matchLabels", json::object{{selectorLabel, "true"}}}}}}};
  return o;
}

json::object clusterBinding(const std::string& role, std::initializer_list<const char*> groups) {
  json::array subjects;
  for (const char* g : groups) subjects.push_back(json::object{{"apiGroup", kGroupName}, {"kind", "Group"}, {"name", g}});
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", "ClusterRoleBinding"},
          {"metadata", meta(role)},
          {"roleRef", json::object{{"apiGroup", kGroupName}, {"kind", "ClusterRole"}, {"name", role}}},
          {"subjects", std::move(subjects)}};
}

constexpr const char* kAggregateToAdmin = "rbac.authorization.k8s.io/aggregate-to-admin";
constexpr const char* kAggregateToEdit = "rbac.authorization.k8s.io/aggregate-to-edit";
constexpr const char* kAggregateToView = "rbac.authorization.k8s.io/aggregate-to-view";

// merge adds the keys of `expected` that `existing` lacks (kube's reconcile merge of labels and
// annotations: the existing values win).
bool mergeMap(json::object& meta, const json::object& expectedMeta, const char* key) {
  const json::object* want = objectField(expectedMeta, key);
  if (want == nullptr) return false;
  json::value& have = meta[key];
  if (!have.is_object()) have = json::object();
  bool changed = false;
  for (const auto& kv : *want)
    if (!have.get_object().contains(kv.key())) {
      have.get_object()[kv.key()] = kv.value();
      changed = true;
    }
  return changed;
}

bool optedOut(const json::object& existing) {
  return stringField(existing, "", "metadata", "annotations", kAutoUpdateAnnotation) == "false";
}

}  // namespace

std::vector<json::object> bootstrapClusterRoles() {
  std::vector<json::object> roles;
  roles.push_back(aggregated("admin", kAggregateToAdmin));
  roles.push_back(clusterRole("cluster-admin", {rule({"*"}, {"*"}, {"*"}), urlRule({"*"}, {"*"})}));
  roles.push_back(aggregated("edit", kAggregateToEdit, {{kAggregateToAdmin, "true"}}));
  roles.push_back(clusterRole("system:aggregate-to-admin",
                              {rule({"create"}, {"authorization.k8s.io"}, {"localsubjectaccessreviews"}),
                               rule(kReadWrite, {"rbac.authorization.k8s.io"}, {"roles", "rolebindings"})},
                              {{kAggregateToAdmin, "true"}}));
  roles.push_back(clusterRole(
      "system:aggregate-to-edit",
      {rule(kRead, {""}, {"pods/attach", "pods/proxy", "pods/exec", "pods/portforward", "secrets", "services/proxy"}),
       rule({"impersonate"}, {""}, {"serviceaccounts"}),
       rule(kWrite, {""}, {"pods", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward"}),
       rule({"create"}, {""}, {"pods/eviction"}),
       rule(kWrite, {""},
            {"replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services", "services/proxy",
             "persistentvolumeclaims", "configmaps", "secrets", "events"}),
       rule({"create"}, {""}, {"serviceaccounts/token"}),
       rule(kWrite, {"apps"},
            {"statefulsets", "statefulsets/scale", "daemonsets", "deployments", "deployments/scale",
             "deployments/rollback", "replicasets", "replicasets/scale"}),
       rule(kWrite, {"autoscaling"}, {"horizontalpodautoscalers"}),
       rule(kWrite, {"batch"}, {"jobs", "cronjobs"}),
       rule(kWrite, {"extensions"},
            {"daemonsets", "deployments", "deployments/scale", "deployments/rollback", "ingresses", "replicasets",
             "replicasets/scale", "replicationcontrollers/scale", "networkpolicies"}),
       rule(kWrite, {"policy"}, {"poddisruptionbudgets"}),
       rule(kWrite, {"networking.k8s.io"}, {"networkpolicies", "ingresses"}),
       rule(kReadWrite, {"coordination.k8s.io"}, {"leases"})},
      {{kAggregateToEdit, "true"}}));
  roles.push_back(clusterRole(
      "system:aggregate-to-view",
      {rule(kRead, {""},
            {"pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services",
             "services/status", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "configmaps"}),
       rule(kRead, {""},
            {"limitranges", "resourcequotas", "bindings", "events", "pods/status", "resourcequotas/status",
             "namespaces/status", "replicationcontrollers/status", "pods/log"}),
       rule(kRead, {""}, {"namespaces"}),
       rule(kRead, {"discovery.k8s.io"}, {"endpointslices"}),
       rule(kRead, {"apps"},
            {"controllerrevisions", "statefulsets", "statefulsets/status", "statefulsets/scale", "daemonsets",
             "daemonsets/status", "deployments", "deployments/status", "deployments/scale", "replicasets",
             "replicasets/status", "replicasets/scale"}),
       rule(kRead, {"autoscaling"}, {"horizontalpodautoscalers", "horizontalpodautoscalers/status"}),
       rule(kRead, {"batch"}, {"jobs", "cronjobs", "cronjobs/status", "jobs/status"}),
       rule(kRead, {"extensions"},
            {"daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status", "ingresses",
             "ingresses/status", "replicasets", "replicasets/scale", "replicasets/status",
             "replicationcontrollers/scale", "networkpolicies"}),
       rule(kRead, {"policy"}, {"poddisruptionbudgets", "poddisruptionbudgets/status"}),
       rule(kRead, {"networking.k8s.io"}, {"networkpolicies", "ingresses", "ingresses/status"})},
      {{kAggregateToView, "true"}}));
  roles.push_back(clusterRole("system:auth-delegator",
                              {rule({"create"}, {"authentication.k8s.io"}, {"tokenreviews"}),
                               rule({"create"}, {"authorization.k8s.io"}, {"subjectaccessreviews"})}));
  roles.push_back(clusterRole(
      "system:basic-user",
      {rule({"create"}, {"authorization.k8s.io"}, {"selfsubjectaccessreviews", "selfsubjectrulesreviews"}),
       rule({"create"}, {"authentication.k8s.io"}, {"selfsubjectreviews"})}));
  roles.push_back(clusterRole("system:discovery", {urlRule({"get"}, {"/livez", "/readyz", "/healthz", "/version",
                                                                      "/version/", "/openapi", "/openapi/*", "/api",
                                                                      "/api/*", "/apis", "/apis/*"})}));
  roles.push_back(clusterRole("system:monitoring", {urlRule({"get"}, {"/metrics", "/metrics/slis", "/livez", "/readyz",
                                                                       "/healthz", "/livez/*", "/readyz/*", "/healthz/*"})}));
  roles.push_back(clusterRole("system:public-info-viewer",
                              {urlRule({"get"}, {"/livez", "/readyz", "/healthz", "/version", "/version/"})}));
  roles.push_back(clusterRole("system:service-account-issuer-discovery",
                              {urlRule({"get"}, {"/.well-known/openid-configuration", "/openid/v1/jwks"})}));
  roles.push_back(aggregated("view", kAggregateToView, {{kAggregateToEdit, "true"}}));
  return roles;
}

std::vector<json::object> bootstrapClusterRoleBindings() {
  return {clusterBinding("cluster-admin", {"system:masters"}),
          clusterBinding("system:basic-user", {"system:authenticated"}),
          clusterBinding("system:discovery", {"system:authenticated"}),
          clusterBinding("system:monitoring", {"system:monitoring"}),
          clusterBinding("system:public-info-viewer", {"system:authenticated", "system:unauthenticated"}),
          clusterBinding("system:service-account-issuer-discovery", {"system:serviceaccounts"})};
}

std::optional<json::object> reconcileClusterRole(const json::object& existing, const json::object& expected) {
  if (optedOut(existing)) return std::nullopt;
  json::object out = existing;
  bool changed = false;
  json::object& m = metadata(out);
  const json::object* em = objectField(expected, "metadata");
  if (em != nullptr) {
    changed = mergeMap(m, *em, "labels") || changed;
    changed = mergeMap(m, *em, "annotations") || changed;
  }
  // Missing rules are added as the broken-down rules Covers reports (union mode).
  auto [covered, missing] = covers(rulesOf(existing), rulesOf(expected));
  if (!covered) {
    json::value& rules = out["rules"];
    if (!rules.is_array()) rules = json::array();
    for (const auto& r : missing) rules.get_array().push_back(ruleToJson(r));
    changed = true;
  }
  // Missing aggregation selectors are appended.
  if (const json::array* want = arrayField(expected, "aggregationRule", "clusterRoleSelectors")) {
    json::value& agg = out["aggregationRule"];
    if (!agg.is_object()) agg = json::object();
    json::value& have = agg.get_object()["clusterRoleSelectors"];
    if (!have.is_array()) have = json::array();
    for (const auto& sel : *want)
      if (std::find(have.get_array().begin(), have.get_array().end(), sel) == have.get_array().end()) {
        have.get_array().push_back(sel);
        changed = true;
      }
  }
  if (!changed) return std::nullopt;
  return out;
}

std::optional<json::object> reconcileClusterRoleBinding(const json::object& existing, const json::object& expected,
                                                        bool& replace) {
  replace = false;
  if (optedOut(existing)) return std::nullopt;
  json::object out = existing;
  bool changed = false;
  json::object& m = metadata(out);
  if (const json::object* em = objectField(expected, "metadata")) {
    changed = mergeMap(m, *em, "labels") || changed;
    changed = mergeMap(m, *em, "annotations") || changed;
  }
  if (!(roleRefOf(existing) == roleRefOf(expected))) {
    out["roleRef"] = expected.at("roleRef");
    replace = true;
    changed = true;
  }
  std::vector<Subject> have = subjectsOf(existing);
  json::value& subjects = out["subjects"];
  if (!subjects.is_array()) subjects = json::array();
  for (const auto& s : subjectsOf(expected))
    if (std::find(have.begin(), have.end(), s) == have.end()) {
      subjects.get_array().push_back(subjectToJson(s));
      changed = true;
    }
  if (!changed) return std::nullopt;
  return out;
}

Result<void> BootstrapPolicy::start(Client& client) {
  const GroupResource roles{std::string(kGroupName), "clusterroles"};
  const GroupResource bindings{std::string(kGroupName), "clusterrolebindings"};
  int created = 0;
  int updated = 0;
  for (const auto& want : bootstrapClusterRoles()) {
    const std::string name(nameOf(want));
    auto have = client.get(roles, "", name);
    if (!have) {
      if (have.error().code != 404) return fail(ApiError::internal("RBAC bootstrap: clusterrole " + name + ": " + have.error().message));
      if (auto r = client.create(roles, "", want); !r)
        return fail(ApiError::internal("RBAC bootstrap: creating clusterrole " + name + ": " + r.error().message));
      ++created;
      continue;
    }
    if (auto next = reconcileClusterRole(*have, want)) {
      if (auto r = client.update(roles, "", std::move(*next)); !r)
        return fail(ApiError::internal("RBAC bootstrap: updating clusterrole " + name + ": " + r.error().message));
      ++updated;
    }
  }
  for (const auto& want : bootstrapClusterRoleBindings()) {
    const std::string name(nameOf(want));
    auto have = client.get(bindings, "", name);
    if (!have) {
      if (have.error().code != 404)
        return fail(ApiError::internal("RBAC bootstrap: clusterrolebinding " + name + ": " + have.error().message));
      if (auto r = client.create(bindings, "", want); !r)
        return fail(ApiError::internal("RBAC bootstrap: creating clusterrolebinding " + name + ": " + r.error().message));
      ++created;
      continue;
    }
    bool replace = false;
    if (auto next = reconcileClusterRoleBinding(*have, want, replace)) {
      Result<json::object> r = json::object();
      if (replace) {  // roleRef is immutable: delete and create again
        if (auto d = client.remove(bindings, "", name); !d && d.error().code != 404)
          return fail(ApiError::internal("RBAC bootstrap: replacing clusterrolebinding " + name + ": " + d.error().message));
        json::object fresh = std::move(*next);
        json::object& m = metadata(fresh);
        for (const char* k : {"resourceVersion", "uid", "creationTimestamp", "managedFields"}) m.erase(k);
        r = client.create(bindings, "", std::move(fresh));
      } else {
        r = client.update(bindings, "", std::move(*next));
      }
      if (!r) return fail(ApiError::internal("RBAC bootstrap: clusterrolebinding " + name + ": " + r.error().message));
      ++updated;
    }
  }
  log_.info("RBAC bootstrap policy: " + std::to_string(created) + " created, " + std::to_string(updated) +
            " reconciled");
  return {};
}

}  // namespace apiserver::plugins::rbac
