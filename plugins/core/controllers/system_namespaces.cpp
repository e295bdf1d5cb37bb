#include "core/controllers/system_namespaces.h"

#include <apiserver/object.h>

namespace apiserver::plugins::core {

SystemNamespaces::SystemNamespaces()
    : namespaces_{"default", "kube-system", "kube-public", "kube-node-lease"} {}

Result<void> SystemNamespaces::start(Client& client) {
  const GroupResource namespaces{"", "namespaces"};
  for (const auto& name : namespaces_) {
    json::object ns;
    ns["apiVersion"] = "v1";
    ns["kind"] = "Namespace";
    json::object meta;
    meta["name"] = name;
    ns["metadata"] = std::move(meta);
    auto created = client.create(namespaces, "", std::move(ns));
    if (!created && created.error().reason != "AlreadyExists")
      return std::move(created).error();
  }
  return {};
}

}  // namespace apiserver::plugins::core
