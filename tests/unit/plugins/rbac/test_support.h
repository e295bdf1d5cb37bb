#pragma once

// Helpers for the rbac plugin's unit tests: rule and object builders in the manner of kube's
// rbac tests (newRule("get,list", "", "pods", "")), and a small in-memory Client.

#include "rbac/authorizer.h"
#include "rbac/rules.h"

#include <apiserver/registry.h>

#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

namespace apiserver::plugins::rbac::testing {

inline std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, ',')) out.push_back(part);
  return out;
}

/// newRule is kube's test helper: comma-separated verbs, groups, resources, non-resource URLs.
/// As in kube's (strings.Split), an empty group list is the core group "".
inline PolicyRule newRule(const std::string& verbs, const std::string& groups, const std::string& resources,
                          const std::string& urls) {
  return {split(verbs), groups.empty() ? std::vector<std::string>{""} : split(groups), split(resources), {},
          split(urls)};
}

/// subjects parses "User:alice", "Group:admins", "ServiceAccount:ns:name" as kube's tests do.
inline std::vector<Subject> subjects(const std::vector<std::string>& specs) {
  std::vector<Subject> out;
  for (const auto& s : specs) {
    auto colon = s.find(':');
    Subject sub;
    sub.kind = s.substr(0, colon);
    std::string rest = s.substr(colon + 1);
    if (sub.kind == "ServiceAccount") {
      auto c2 = rest.find(':');
      if (c2 != std::string::npos) {
        sub.namespace_ = rest.substr(0, c2);
        rest = rest.substr(c2 + 1);
      }
    } else {
      sub.apiGroup = std::string(kGroupName);
    }
    sub.name = rest;
    out.push_back(sub);
  }
  return out;
}

inline RuleList ruleList(std::vector<PolicyRule> rules) {
  return std::make_shared<const std::vector<PolicyRule>>(std::move(rules));
}

/// user makes a UserInfo with comma-separated groups.
inline UserInfo user(std::string name, const std::string& groups = {}) {
  UserInfo u;
  u.name = std::move(name);
  u.groups = split(groups);
  return u;
}

/// resourceAttrs builds attributes of a resource request (views into the given strings).
struct Attrs {
  UserInfo u;
  std::string verb, resource, subresource, ns, group, name, path;
  bool resourceRequest = true;
  AuthorizationAttributes view() const {
    AuthorizationAttributes a;
    a.user = &u;
    a.verb = verb;
    a.isResourceRequest = resourceRequest;
    a.resource = resource;
    a.subresource = subresource;
    a.namespace_ = ns;
    a.apiGroup = group;
    a.name = name;
    a.path = path;
    return a;
  }
};

inline Attrs resourceRequest(UserInfo u, std::string verb, std::string resource, std::string subresource,
                             std::string ns, std::string group = "", std::string name = "") {
  return {std::move(u), std::move(verb), std::move(resource), std::move(subresource), std::move(ns),
          std::move(group), std::move(name), "", true};
}

inline Attrs pathRequest(UserInfo u, std::string verb, std::string path) {
  Attrs a;
  a.u = std::move(u);
  a.verb = std::move(verb);
  a.path = std::move(path);
  a.resourceRequest = false;
  return a;
}

/// FakeClient keeps objects per resource in memory (get, list, create, update, remove).
class FakeClient final : public Client {
 public:
  std::vector<ResourceSpec> resources() override { return {}; }
  Result<json::object> get(const GroupResource& gr, std::string_view ns, std::string_view name) override {
    std::lock_guard lock(mu_);
    auto& m = store_[gr.str()];
    auto it = m.find(key(ns, name));
    if (it == m.end()) return ApiError::notFound(gr, name);
    return it->second;
  }
  Result<ObjectList> list(const GroupResource& gr, std::string_view, std::string_view, std::string_view) override {
    std::lock_guard lock(mu_);
    ObjectList l;
    for (const auto& [k, v] : store_[gr.str()]) l.items.push_back(v);
    return l;
  }
  Result<json::object> create(const GroupResource& gr, std::string_view ns, json::object obj) override {
    std::lock_guard lock(mu_);
    auto& m = store_[gr.str()];
    std::string k = key(ns, nameOf(obj));
    if (m.count(k)) return ApiError::alreadyExists(gr, nameOf(obj));
    if (!ns.empty()) metadata(obj)["namespace"] = ns;
    metadata(obj)["resourceVersion"] = std::to_string(++rv_);
    m[k] = obj;
    ++writes;
    return obj;
  }
  Result<json::object> update(const GroupResource& gr, std::string_view ns, json::object obj,
                              std::string_view) override {
    std::lock_guard lock(mu_);
    auto& m = store_[gr.str()];
    std::string k = key(ns, nameOf(obj));
    if (!m.count(k)) return ApiError::notFound(gr, nameOf(obj));
    metadata(obj)["resourceVersion"] = std::to_string(++rv_);
    m[k] = obj;
    ++writes;
    return obj;
  }
  Result<void> remove(const GroupResource& gr, std::string_view ns, std::string_view name) override {
    std::lock_guard lock(mu_);
    if (store_[gr.str()].erase(key(ns, name)) == 0) return ApiError::notFound(gr, name);
    ++writes;
    return {};
  }
  Result<void> removeCollection(const GroupResource&, std::string_view) override { return {}; }
  Result<std::unique_ptr<ObjectWatch>> watch(const GroupResource& gr, std::string_view) override {
    return ApiError::internal("FakeClient does not watch " + gr.str());
  }
  int writes = 0;

 private:
  static std::string key(std::string_view ns, std::string_view name) { return std::string(ns) + "/" + std::string(name); }
  std::mutex mu_;
  std::map<std::string, std::map<std::string, json::object>> store_;
  int rv_ = 0;
};

/// NullLogger drops messages.
class NullLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view) override {}
  bool enabled(LogLevel) const override { return false; }
};

}  // namespace apiserver::plugins::rbac::testing
