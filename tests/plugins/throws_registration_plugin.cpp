// A plugin that breaks the rule and throws from registerWith: the host must not crash.
#include <apiserver/plugin.h>

#include <stdexcept>

namespace {
class ThrowsRegistration final : public apiserver::Plugin {
 public:
  apiserver::Result<void> registerWith(apiserver::Registrar&, const apiserver::ConfigSection&) override {
    throw std::runtime_error("registration exploded");
  }
};
}  // namespace

APISERVER_PLUGIN(ThrowsRegistration, "throws_registration")
