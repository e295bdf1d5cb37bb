#include "core/admission/namespace_lifecycle.h"

#include <apiserver/object.h>

namespace apiserver::plugins::core {

namespace {

const GroupResource kNamespaces{"", "namespaces"};

}  // namespace

NamespaceLifecycle::NamespaceLifecycle(std::shared_ptr<Client> client)
    : client_(std::move(client)), immortal_{"default", "kube-system", "kube-public"} {}

Result<void> NamespaceLifecycle::admit(AdmissionAttributes& a) {
  if (a.resource == nullptr)
    return {};
  const GroupResource gr{a.resource->group, a.resource->plural};
  if (gr == kNamespaces) {
    if (a.operation == Operation::Delete && immortal_.count(a.name) != 0)
      return ApiError::forbidden(kNamespaces, a.name, "this namespace may not be deleted");
    return {};
  }
  // Only creates of namespaced objects depend on their namespace's lifecycle.
  if (a.resource->scope != Scope::Namespaced || a.namespace_.empty() ||
      a.operation != Operation::Create)
    return {};
  if (!client_)
    return ApiError::internal("NamespaceLifecycle has no client");
  auto ns = client_->get(kNamespaces, "", a.namespace_);
  if (!ns) {
    if (ns.error().code == 404)
      return ApiError::notFound(kNamespaces, a.namespace_);
    return std::move(ns).error();
  }
  if (stringField(*ns, "", "status", "phase") != "Terminating")
    return {};
  std::string_view name = a.name;
  if (name.empty() && a.object != nullptr)
    name = nameOf(*a.object);
  ApiError e =
      ApiError::forbidden(gr, name,
                          "unable to create new content in namespace " + std::string(a.namespace_) +
                              " because it is being terminated");
  e.details->causes.push_back({"NamespaceTerminating",
                               "namespace " + std::string(a.namespace_) + " is being terminated",
                               "metadata.namespace"});
  return e;
}

}  // namespace apiserver::plugins::core
