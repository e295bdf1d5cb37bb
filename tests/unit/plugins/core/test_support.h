#pragma once

#include <apiserver/object.h>
#include <apiserver/registry.h>
#include <apiserver/status.h>
#include <apiserver/strategy.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// @file test_support.h
/// Fakes and helpers shared by the core plugin's unit tests.

namespace apiserver::plugins::core::testing {

namespace json = boost::json;

/// obj parses a JSON object literal (test input; a parse failure fails the test).
inline json::object obj(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  EXPECT_FALSE(ec) << "bad JSON in test: " << text;
  if (ec || !v.is_object())
    return {};
  return v.get_object();
}

/// kNow is the fixed "now" of table tests: 2024-01-01T12:00:00Z.
inline TimePoint now() {
  return *parseTime("2024-01-01T12:00:00Z");
}

/// render joins field errors as kube prints them, one per line.
inline std::string render(const FieldErrors& errs) {
  std::string s;
  for (const auto& e : errs)
    s += e.str() + "\n";
  return s;
}

/// hasError reports whether errs holds an error at `field` whose message contains `text`.
inline bool hasError(const FieldErrors& errs, std::string_view field, std::string_view text) {
  for (const auto& e : errs)
    if (e.field == field && e.str().find(text) != std::string::npos)
      return true;
  return false;
}

/// cells renders a table row as strings (integers printed as numbers).
inline std::vector<std::string> cells(const std::vector<json::value>& row) {
  std::vector<std::string> out;
  for (const auto& c : row)
    out.push_back(c.is_string() ? std::string(c.get_string()) : json::serialize(c));
  return out;
}

/// columnNames lists the column names with "*" appended to priority-1 columns.
inline std::vector<std::string> columnNames(const std::vector<TableColumn>& cols) {
  std::vector<std::string> out;
  for (const auto& c : cols)
    out.push_back(c.name + (c.priority == 1 ? "*" : ""));
  return out;
}

/// fields turns SelectableFields into a map.
inline std::map<std::string, std::string> fields(const Strategy& s, const json::object& o) {
  SelectableFields f;
  s.selectableFields(o, f);
  return {f.begin(), f.end()};
}

/// FakeClock is a settable WallClock.
class FakeClock final : public WallClock {
 public:
  explicit FakeClock(TimePoint t) : now_(t) {}
  TimePoint now() const override {
    std::lock_guard lock(mu_);
    return now_;
  }
  void advance(std::chrono::seconds d) {
    std::lock_guard lock(mu_);
    now_ += d;
  }

 private:
  mutable std::mutex mu_;
  TimePoint now_;
};

/// FakeClient keeps objects in memory per resource ("namespaces", "services"), keyed by
/// "namespace/name". Thread-safe. `failWith` makes every call fail.
class FakeClient final : public Client {
 public:
  std::optional<ApiError> failWith;
  int listCalls = 0;
  int getCalls = 0;  ///< consistent reads (get), not getCached

  void put(const std::string& resource, json::object o) {
    std::lock_guard lock(mu_);
    std::string key = std::string(namespaceOf(o)) + "/" + std::string(nameOf(o));
    store_[resource][key] = std::move(o);
  }
  std::size_t count(const std::string& resource) {
    std::lock_guard lock(mu_);
    return store_[resource].size();
  }

  /// lagging makes getCached answer `o` for "namespace/name" of `resource` (nullopt: not found),
  /// as a watch cache behind storage would; get keeps answering what put stored.
  void lagging(const std::string& resource, const std::string& key, std::optional<json::object> o) {
    std::lock_guard lock(mu_);
    cached_[resource][key] = std::move(o);
  }

  Result<json::object> get(const GroupResource& gr, std::string_view ns,
                           std::string_view name) override {
    std::lock_guard lock(mu_);
    ++getCalls;
    return find(gr, ns, name);
  }
  Result<std::shared_ptr<const json::object>> getCached(const GroupResource& gr, std::string_view ns,
                                                        std::string_view name) override {
    std::lock_guard lock(mu_);
    if (failWith)
      return *failWith;
    auto& c = cached_[gr.resource];
    if (auto it = c.find(std::string(ns) + "/" + std::string(name)); it != c.end()) {
      if (!it->second)
        return ApiError::notFound(gr, name);
      return std::make_shared<const json::object>(*it->second);
    }
    auto found = find(gr, ns, name);
    if (!found)
      return std::move(found).error();
    return std::make_shared<const json::object>(std::move(*found));
  }
  Result<ObjectList> list(const GroupResource& gr, std::string_view ns, std::string_view,
                          std::string_view) override {
    std::lock_guard lock(mu_);
    ++listCalls;
    if (failWith)
      return *failWith;
    ObjectList out;
    for (const auto& [k, v] : store_[gr.resource])
      if (ns.empty() || namespaceOf(v) == ns)
        out.items.push_back(v);
    return out;
  }
  Result<json::object> create(const GroupResource& gr, std::string_view ns,
                              json::object o) override {
    std::lock_guard lock(mu_);
    if (failWith)
      return *failWith;
    std::string key = std::string(ns) + "/" + std::string(nameOf(o));
    auto& m = store_[gr.resource];
    if (m.count(key) != 0)
      return ApiError::alreadyExists(gr, nameOf(o));
    m[key] = o;
    return o;
  }
  std::vector<ResourceSpec> resources() override {
    std::lock_guard lock(mu_);
    return specs;
  }
  Result<json::object> update(const GroupResource& gr, std::string_view ns, json::object o,
                              std::string_view subresource = {}) override {
    std::lock_guard lock(mu_);
    if (failWith)
      return *failWith;
    lastSubresource = std::string(subresource);
    store_[gr.resource][std::string(ns) + "/" + std::string(nameOf(o))] = o;
    return o;
  }
  Result<void> removeCollection(const GroupResource& gr, std::string_view ns) override {
    std::lock_guard lock(mu_);
    if (failWith)
      return *failWith;
    auto& m = store_[gr.resource];
    for (auto it = m.begin(); it != m.end();) {
      if (ns.empty() || namespaceOf(it->second) == ns) {
        it = m.erase(it);
      } else {
        ++it;
      }
    }
    return {};
  }
  Result<std::unique_ptr<ObjectWatch>> watch(const GroupResource&, std::string_view) override {
    return ApiError::serviceUnavailable("FakeClient has no watch");
  }

  std::vector<ResourceSpec> specs;   ///< what resources() answers
  std::string lastSubresource;       ///< the subresource of the last update
  Result<void> remove(const GroupResource& gr, std::string_view ns,
                      std::string_view name) override {
    std::lock_guard lock(mu_);
    if (failWith)
      return *failWith;
    store_[gr.resource].erase(std::string(ns) + "/" + std::string(name));
    return {};
  }

 private:
  Result<json::object> find(const GroupResource& gr, std::string_view ns, std::string_view name) {
    if (failWith)
      return *failWith;
    auto& m = store_[gr.resource];
    auto it = m.find(std::string(ns) + "/" + std::string(name));
    if (it == m.end())
      return ApiError::notFound(gr, name);
    return it->second;
  }

  std::mutex mu_;
  std::map<std::string, std::map<std::string, json::object>> store_;
  std::map<std::string, std::map<std::string, std::optional<json::object>>> cached_;
};

/// NullLogger drops messages.
class NullLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view) override {}
  bool enabled(LogLevel) const override { return false; }
};

/// FakeRegistrar records what a plugin registers; `refuse` names a resource plural whose
/// addResource fails.
class FakeRegistrar final : public Registrar {
 public:
  std::vector<std::pair<ResourceSpec, std::shared_ptr<const Strategy>>> resources;
  std::vector<std::shared_ptr<AdmissionStep>> admission;
  std::vector<std::shared_ptr<Controller>> controllers;
  std::string refuse;
  std::shared_ptr<FakeClient> fakeClient = std::make_shared<FakeClient>();

  Result<void> addResource(ResourceSpec spec, std::shared_ptr<const Strategy> strategy) override {
    if (spec.plural == refuse)
      return ApiError::internal("refused " + spec.plural);
    resources.emplace_back(std::move(spec), std::move(strategy));
    return {};
  }
  Result<void> addLink(std::string, std::shared_ptr<LinkFactory>) override { return {}; }
  Result<void> addAdmission(std::shared_ptr<AdmissionStep> step) override {
    admission.push_back(std::move(step));
    return {};
  }
  Result<void> addController(std::shared_ptr<Controller> c) override {
    controllers.push_back(std::move(c));
    return {};
  }
  Result<void> addDelegate(std::string, std::shared_ptr<DelegateServer>) override { return {}; }
  Result<void> addVirtualResource(ResourceSpec, std::shared_ptr<const Creater>) override { return {}; }
  Result<void> addAuthorizer(std::string, std::shared_ptr<const Authorizer>) override { return {}; }
  std::shared_ptr<const Authorizer> authorizer() override { return nullptr; }
  Logger& logger() override { return logger_; }
  std::shared_ptr<const WallClock> clock() override { return std::make_shared<FakeClock>(now()); }
  std::shared_ptr<Client> client() override { return fakeClient; }
  std::shared_ptr<UpstreamClient> upstreamClient() override { return nullptr; }

 private:
  NullLogger logger_;
};

}  // namespace apiserver::plugins::core::testing
