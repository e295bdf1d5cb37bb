#include "server/filters/filters.h"

#include <chrono>
#include <cstdio>

namespace apiserver::server::filters {

namespace {

class RequestLog final : public Link {
 public:
  RequestLog(Logger& log, LogLevel level) : log_(log), level_(level) {}

  // Link
  Response handle(Request& req, Handler& next) override {
    if (!log_.enabled(level_)) return next.serve(req);
    const auto start = std::chrono::steady_clock::now();
    std::string method = req.method;
    std::string target = req.target;
    std::string agent(req.header("User-Agent").value_or(""));
    Response res = next.serve(req);
    auto line = [this, start, method = std::move(method), target = std::move(target), agent = std::move(agent),
                 src = req.remoteAddress](const Response& r) {
      const auto us =
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
      char latency[32];
      std::snprintf(latency, sizeof latency, "%.3fms", static_cast<double>(us) / 1000.0);
      log_.log(level_, "HTTP verb=\"" + method + "\" URI=\"" + target + "\" latency=\"" + latency + "\" userAgent=\"" +
                           agent + "\" srcIP=\"" + src + "\" resp=" + std::to_string(r.status) + (r.stream ? " stream" : ""));
    };
    // A pending answer is logged when it comes, so that the line has its status.
    if (res.pending) {
      res.pending = thenPending(std::move(res.pending), [line = std::move(line)](Response r) {
        line(r);
        return r;
      });
      return res;
    }
    line(res);
    return res;
  }

 private:
  Logger& log_;
  LogLevel level_;
};

class RequestLogFactory final : public LinkFactory {
 public:
  explicit RequestLogFactory(Logger& log) : log_(log) {}
  Result<std::shared_ptr<Link>> create(const ConfigSection& config) override {
    ConfigReader r(config);
    auto level = r.oneOf("level", {"info", "debug"});
    if (auto done = r.finish(); !done) return fail(std::move(done).error());
    return std::shared_ptr<Link>(
        std::make_shared<RequestLog>(log_, level.value_or("info") == "debug" ? LogLevel::Debug : LogLevel::Info));
  }

 private:
  Logger& log_;
};

}  // namespace

std::shared_ptr<LinkFactory> requestLog(Logger& log) { return std::make_shared<RequestLogFactory>(log); }

}  // namespace apiserver::server::filters
