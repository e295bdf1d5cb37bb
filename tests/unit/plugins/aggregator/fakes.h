#pragma once

#include <apiserver/object.h>
#include <apiserver/registry.h>
#include <apiserver/upstream.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

/// @file fakes.h
/// Fakes for the aggregator's unit tests: a Client that keeps objects in memory and can watch
/// them, an UpstreamClient that answers from a test function (on a thread of its own, as the
/// real one answers on an I/O thread), and small helpers.

namespace apiserver::plugins::aggregator::testing {

namespace json = boost::json;

/// obj parses a JSON object literal (a parse failure fails the test).
inline json::object obj(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  EXPECT_FALSE(ec) << "bad JSON in test: " << text;
  return ec || !v.is_object() ? json::object() : v.get_object();
}

inline std::string bodyOf(const Response& r) {
  std::string s;
  for (const auto& b : r.body) s += *b;
  return s;
}

/// eventually polls `pred` for up to `timeout`.
inline bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

class NullLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view) override {}
  bool enabled(LogLevel) const override { return false; }
};

class FixedClock final : public WallClock {
 public:
  TimePoint now() const override { return *parseTime("2024-01-01T12:00:00Z"); }
};

/// MemoryClient keeps objects per resource ("apiservices", "services", "endpoints"), keyed by
/// "namespace/name", with a resourceVersion counter, and serves watches of them. An update of
/// the status subresource changes only status. Thread-safe.
class MemoryClient final : public Client {
 public:
  std::vector<ResourceSpec> specs;  ///< what resources() answers

  void put(const std::string& resource, json::object o) {
    std::lock_guard lock(mu_);
    store(resource, std::move(o), ObjectEvent::Type::Added);
  }
  void erase(const std::string& resource, const std::string& ns, const std::string& name) {
    std::lock_guard lock(mu_);
    auto& m = objects_[resource];
    auto it = m.find(ns + "/" + name);
    if (it == m.end()) return;
    json::object o = it->second;
    m.erase(it);
    notify(resource, ObjectEvent::Type::Deleted, o);
  }
  std::optional<json::object> find(const std::string& resource, const std::string& ns, const std::string& name) {
    std::lock_guard lock(mu_);
    auto& m = objects_[resource];
    auto it = m.find(ns + "/" + name);
    if (it == m.end()) return std::nullopt;
    return it->second;
  }
  int statusWrites() {
    std::lock_guard lock(mu_);
    return statusWrites_;
  }

  std::vector<ResourceSpec> resources() override { return specs; }
  Result<json::object> get(const GroupResource& gr, std::string_view ns, std::string_view name) override {
    std::lock_guard lock(mu_);
    auto& m = objects_[gr.resource];
    auto it = m.find(std::string(ns) + "/" + std::string(name));
    if (it == m.end()) return ApiError::notFound(gr, name);
    return it->second;
  }
  Result<ObjectList> list(const GroupResource& gr, std::string_view ns, std::string_view, std::string_view) override {
    std::lock_guard lock(mu_);
    ObjectList out;
    for (const auto& [k, v] : objects_[gr.resource])
      if (ns.empty() || namespaceOf(v) == ns) out.items.push_back(v);
    return out;
  }
  Result<json::object> create(const GroupResource& gr, std::string_view ns, json::object o) override {
    std::lock_guard lock(mu_);
    auto& m = objects_[gr.resource];
    if (!ns.empty()) metadata(o)["namespace"] = ns;
    if (m.count(std::string(ns) + "/" + std::string(nameOf(o)))) return ApiError::alreadyExists(gr, nameOf(o));
    metadata(o)["creationTimestamp"] = "2024-01-01T11:00:00Z";
    return store(gr.resource, std::move(o), ObjectEvent::Type::Added);
  }
  Result<json::object> update(const GroupResource& gr, std::string_view ns, json::object o,
                              std::string_view subresource) override {
    std::lock_guard lock(mu_);
    auto& m = objects_[gr.resource];
    auto it = m.find(std::string(ns) + "/" + std::string(nameOf(o)));
    if (it == m.end()) return ApiError::notFound(gr, nameOf(o));
    if (subresource == "status") {
      ++statusWrites_;
      json::object next = it->second;
      next["status"] = o.if_contains("status") ? o.at("status") : json::value(json::object());
      o = std::move(next);
    }
    return store(gr.resource, std::move(o), ObjectEvent::Type::Modified);
  }
  Result<void> remove(const GroupResource& gr, std::string_view ns, std::string_view name) override {
    erase(gr.resource, std::string(ns), std::string(name));
    return {};
  }
  Result<void> removeCollection(const GroupResource&, std::string_view) override { return {}; }
  Result<std::unique_ptr<ObjectWatch>> watch(const GroupResource& gr, std::string_view) override {
    std::lock_guard lock(mu_);
    auto w = std::make_shared<Queue>();
    for (const auto& [k, v] : objects_[gr.resource]) w->events.push_back({ObjectEvent::Type::Added, v});
    watchers_[gr.resource].push_back(w);
    return std::unique_ptr<ObjectWatch>(std::make_unique<Watch>(w));
  }

 private:
  struct Queue {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<ObjectEvent> events;
  };
  class Watch final : public ObjectWatch {
   public:
    explicit Watch(std::shared_ptr<Queue> q) : q_(std::move(q)) {}
    bool next(std::vector<ObjectEvent>& out, std::chrono::milliseconds timeout) override {
      std::unique_lock lock(q_->mu);
      q_->cv.wait_for(lock, timeout, [&] { return !q_->events.empty(); });
      for (auto& e : q_->events) out.push_back(std::move(e));
      q_->events.clear();
      return true;
    }

   private:
    std::shared_ptr<Queue> q_;
  };

  json::object store(const std::string& resource, json::object o, ObjectEvent::Type type) {
    metadata(o)["resourceVersion"] = std::to_string(++rv_);
    objects_[resource][std::string(namespaceOf(o)) + "/" + std::string(nameOf(o))] = o;
    notify(resource, type, o);
    return o;
  }
  void notify(const std::string& resource, ObjectEvent::Type type, const json::object& o) {
    for (auto& w : watchers_[resource]) {
      std::lock_guard lock(w->mu);
      w->events.push_back({type, o});
      w->cv.notify_all();
    }
  }

  std::mutex mu_;
  std::map<std::string, std::map<std::string, json::object>> objects_;
  std::map<std::string, std::vector<std::shared_ptr<Queue>>> watchers_;
  std::uint64_t rv_ = 0;
  int statusWrites_ = 0;
};

/// FakeUpstream answers forwarded requests with `respond`, on a thread of its own, and records
/// them.
class FakeUpstream final : public UpstreamClient {
 public:
  struct Call {
    std::string method;
    std::string target;
    std::vector<std::pair<std::string, std::string>> headers;  ///< the client's
    UpstreamTarget upstream;
    ForwardOptions options;
  };
  using Responder = std::function<Result<Response>(const Call&)>;

  explicit FakeUpstream(Responder respond)
      : respond_(std::move(respond)), worker_([this](std::stop_token stop) { run(stop); }) {}
  ~FakeUpstream() override {
    {
      // Under the lock: a stop requested between the worker's check and its wait would be a
      // lost wake-up, and the join below would wait for ever.
      std::lock_guard lock(mu_);
      worker_.request_stop();
    }
    cv_.notify_all();
  }

  void setResponder(Responder r) {
    std::lock_guard lock(mu_);
    respond_ = std::move(r);
  }
  std::vector<Call> calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }

  void forward(const Request& req, const UpstreamTarget& target, const ForwardOptions& options,
               Callback done) override {
    Call c{req.method, options.target.empty() ? req.target : options.target, {}, target, options};
    if (req.headers != nullptr)
      req.headers->forEach([&](std::string_view k, std::string_view v) { c.headers.emplace_back(k, v); });
    std::lock_guard lock(mu_);
    calls_.push_back(c);
    queue_.emplace_back(std::move(c), std::move(done));
    cv_.notify_all();
  }

 private:
  void run(std::stop_token stop) {
    std::unique_lock lock(mu_);
    while (!stop.stop_requested()) {
      cv_.wait(lock, [&] { return stop.stop_requested() || !queue_.empty(); });
      while (!queue_.empty()) {
        auto [call, done] = std::move(queue_.front());
        queue_.pop_front();
        auto respond = respond_;
        lock.unlock();
        done(respond(call));
        lock.lock();
      }
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  Responder respond_;
  std::vector<Call> calls_;
  std::deque<std::pair<Call, Callback>> queue_;
  std::jthread worker_;
};

/// ok is a 200 JSON Response.
inline Result<Response> ok(std::string body) { return Response::bytes(200, "application/json", std::move(body)); }

}  // namespace apiserver::plugins::aggregator::testing
