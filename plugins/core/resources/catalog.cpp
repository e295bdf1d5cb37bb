#include "core/resources/catalog.h"

#include "core/resources/configmaps.h"
#include "core/resources/endpoints.h"
#include "core/resources/events.h"
#include "core/resources/namespaces.h"
#include "core/resources/nodes.h"
#include "core/resources/pods.h"
#include "core/resources/secrets.h"
#include "core/resources/serviceaccounts.h"
#include "core/resources/services.h"

#include <string>

namespace apiserver::plugins::core {

const std::vector<ResourceEntry>& coreResources() {
  // Immutable after its (thread-safe) first initialisation.
  static const std::vector<ResourceEntry> kResources = {
      {"namespaces", &namespaceResourceSpec, &namespaceStrategy},
      {"pods", &podResourceSpec, &podStrategy},
      {"services", &serviceResourceSpec, &serviceStrategy},
      {"endpoints", &endpointsResourceSpec, &endpointsStrategy},
      {"configmaps", &configMapResourceSpec, &configMapStrategy},
      {"secrets", &secretResourceSpec, &secretStrategy},
      {"nodes", &nodeResourceSpec, &nodeStrategy},
      {"events", &eventResourceSpec, &eventStrategy},
      {"serviceaccounts", &serviceAccountResourceSpec, &serviceAccountStrategy},
  };
  return kResources;
}

std::vector<std::string> coreResourceNames() {
  std::vector<std::string> names;
  for (const auto& r : coreResources())
    names.emplace_back(r.plural);
  return names;
}

}  // namespace apiserver::plugins::core
