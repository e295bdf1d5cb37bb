// A plugin that tries to take the name of a built-in link.
#include <apiserver/plugin.h>

namespace {
class NoLink final : public apiserver::LinkFactory {
 public:
  apiserver::Result<std::shared_ptr<apiserver::Link>> create(const apiserver::ConfigSection&) override {
    return apiserver::fail(apiserver::ApiError::internal("unused"));
  }
};
class DuplicateLink final : public apiserver::Plugin {
 public:
  apiserver::Result<void> registerWith(apiserver::Registrar& r, const apiserver::ConfigSection&) override {
    return r.addLink("timeout", std::make_shared<NoLink>());
  }
};
}  // namespace

APISERVER_PLUGIN(DuplicateLink, "duplicate_link")
