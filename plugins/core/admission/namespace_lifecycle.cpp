#include "core/admission/namespace_lifecycle.h"

#include <apiserver/object.h>

namespace apiserver::plugins::core {

namespace {

const GroupResource kNamespaces{"", "namespaces"};
/// kForceLiveLookupTTL is how long a namespace whose delete was admitted is read live (kube's
/// forceLiveLookupTTL).
constexpr std::chrono::seconds kForceLiveLookupTTL{30};

}  // namespace

NamespaceLifecycle::NamespaceLifecycle(std::shared_ptr<Client> client)
    : client_(std::move(client)), immortal_{"default", "kube-system", "kube-public"} {}

Result<void> NamespaceLifecycle::admit(AdmissionAttributes& a) {
  if (a.resource == nullptr)
    return {};
  const GroupResource gr{a.resource->group, a.resource->plural};
  if (gr == kNamespaces) {
    if (a.operation == Operation::Delete) {
      if (immortal_.count(a.name) != 0)
        return ApiError::forbidden(kNamespaces, a.name, "this namespace may not be deleted");
      noteDelete(a.name);
    }
    return {};
  }
  // Only creates of namespaced objects depend on their namespace's lifecycle.
  if (a.resource->scope != Scope::Namespaced || a.namespace_.empty() ||
      a.operation != Operation::Create)
    return {};
  if (!client_)
    return ApiError::internal("NamespaceLifecycle has no client");
  auto closing = terminating(a.namespace_);
  if (!closing)
    return std::move(closing).error();
  if (!*closing)
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

Result<bool> NamespaceLifecycle::terminating(std::string_view ns) {
  auto phaseIsTerminating = [](const json::object& o) {
    return stringField(o, "", "status", "phase") == "Terminating";
  };
  auto cached = client_->getCached(kNamespaces, "", ns);
  if (cached) {
    if (phaseIsTerminating(**cached))
      return true;
    if (!recentlyDeleted(ns))
      return false;
  } else if (cached.error().code != 404) {
    return std::move(cached).error();
  }
  auto live = client_->get(kNamespaces, "", ns);  // as a last resort, ask storage
  if (!live)
    return live.error().code == 404 ? ApiError::notFound(kNamespaces, ns) : std::move(live).error();
  return phaseIsTerminating(*live);
}

void NamespaceLifecycle::noteDelete(std::string_view ns) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  std::erase_if(deleted_, [&](const auto& e) { return now - e.second > kForceLiveLookupTTL; });
  deleted_.insert_or_assign(std::string(ns), now);
}

bool NamespaceLifecycle::recentlyDeleted(std::string_view ns) {
  std::lock_guard lock(mu_);
  auto it = deleted_.find(ns);
  return it != deleted_.end() && std::chrono::steady_clock::now() - it->second <= kForceLiveLookupTTL;
}

}  // namespace apiserver::plugins::core
