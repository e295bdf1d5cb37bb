/// @file plugin.cpp
/// The sample plugin's entry point: samples.example.com/v1alpha1 Gadget and its controller.
/// docs/plugin-authoring.md walks through it.

#include "sample/gadget_controller.h"
#include "sample/gadgets.h"

#include <apiserver/plugin.h>

#include <exception>
#include <memory>

namespace apiserver::plugins::sample {

/// SamplePlugin reads its configuration and registers Gadget (and, unless turned off, its
/// controller).
///
/// Configuration (all optional):
///   controller: true   # run the GadgetController (status.phase Ready once seen)
class SamplePlugin final : public Plugin {
 public:
  // apiserver::Plugin
  Result<void> registerWith(Registrar& registrar, const ConfigSection& config) override {
    try {
      ConfigReader cfg(config);
      const bool controller = cfg.boolean("controller").value_or(true);
      if (auto done = cfg.finish(); !done) return done;
      if (auto added = registrar.addResource(gadgetResourceSpec(), std::make_shared<GadgetStrategy>()); !added)
        return added;
      if (controller)
        if (auto added = registrar.addController(std::make_shared<GadgetController>(registrar.logger())); !added)
          return added;
      return {};
    } catch (const std::exception& e) {
      return ApiError::internal(std::string("sample plugin registration failed: ") + e.what());
    }
  }
};

}  // namespace apiserver::plugins::sample

APISERVER_PLUGIN(apiserver::plugins::sample::SamplePlugin, "sample")
