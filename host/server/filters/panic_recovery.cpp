#include "server/filters/filters.h"

#include <exception>

namespace apiserver::server::filters {

namespace {

class PanicRecovery final : public Link {
 public:
  explicit PanicRecovery(Logger& log) : log_(log) {}

  // Link
  Response handle(Request& req, Handler& next) override {
    std::string what;
    try {
      return next.serve(req);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
      what = "unknown exception";
    }
    log_.error("panic-recovery: " + req.method + " " + req.target + " failed: " + what);
    return Response::error(ApiError::internal("This request caused apiserver-host to fail. Look in the logs for details."));
  }

 private:
  Logger& log_;
};

}  // namespace

std::shared_ptr<LinkFactory> panicRecovery(Logger& log) {
  return makeFactory([&log] { return std::make_shared<PanicRecovery>(log); });
}

}  // namespace apiserver::server::filters
