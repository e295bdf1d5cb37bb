#include "core/registration.h"

#include "core/admission/namespace_lifecycle.h"
#include "core/admission/service_allocator.h"
#include "core/controllers/namespace_controller.h"
#include "core/controllers/system_namespaces.h"
#include "core/resources/catalog.h"

#include <memory>

namespace apiserver::plugins::core {

Result<void> registerCore(Registrar& registrar, const CoreConfig& config) {
  for (const auto& r : coreResources()) {
    if (!config.enabled(r.plural))
      continue;
    if (auto added = registrar.addResource(r.spec(), r.strategy()); !added)
      return added;
  }
  // NamespaceLifecycle runs first, as in kube's admission order: nothing else should act on an
  // object whose namespace refuses it.
  if (config.enabled("namespaces")) {
    if (auto added =
            registrar.addAdmission(std::make_shared<NamespaceLifecycle>(registrar.client()));
        !added)
      return added;
  }
  if (config.enabled("services")) {
    if (auto added = registrar.addAdmission(
            std::make_shared<ServiceAllocator>(registrar.client(), registrar.clock()));
        !added)
      return added;
  }
  if (config.enabled("namespaces")) {
    if (auto added = registrar.addController(std::make_shared<SystemNamespaces>()); !added)
      return added;
    if (auto added = registrar.addController(std::make_shared<NamespaceController>(registrar.logger())); !added)
      return added;
  }
  return {};
}

}  // namespace apiserver::plugins::core
