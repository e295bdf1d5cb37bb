// A plugin whose registration fails with an error value.
#include <apiserver/plugin.h>

namespace {
class FailsRegistration final : public apiserver::Plugin {
 public:
  apiserver::Result<void> registerWith(apiserver::Registrar&, const apiserver::ConfigSection&) override {
    return apiserver::fail(apiserver::ApiError::internal("the widget database is missing"));
  }
};
}  // namespace

APISERVER_PLUGIN(FailsRegistration, "fails_registration")
