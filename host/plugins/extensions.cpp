#include "plugins/extensions.h"

#include <algorithm>

namespace apiserver::plugins {

namespace {
Result<void> refuse(std::string message) { return fail(ApiError{409, "AlreadyExists", std::move(message), {}}); }
Result<void> invalid(std::string message) { return fail(ApiError{422, "Invalid", std::move(message), {}}); }
}  // namespace

ExtensionRegistrar::ExtensionRegistrar(Extensions& ext, std::string owner, std::shared_ptr<const void> library,
                                       Logger& logger, std::shared_ptr<const WallClock> clock,
                                       std::shared_ptr<Client> client, std::shared_ptr<UpstreamClient> upstream)
    : ext_(ext),
      owner_(std::move(owner)),
      library_(std::move(library)),
      logger_(logger),
      clock_(std::move(clock)),
      client_(std::move(client)),
      upstream_(std::move(upstream)) {}

Result<void> ExtensionRegistrar::addResource(ResourceSpec spec, std::shared_ptr<const Strategy> strategy) {
  if (spec.version.empty() || spec.kind.empty() || spec.plural.empty())
    return invalid("plugin \"" + owner_ + "\" registered a resource without version, kind or plural");
  if (!strategy) return invalid("plugin \"" + owner_ + "\" registered resource \"" + spec.plural + "\" without a strategy");
  if (auto taken = checkResourceName(spec); !taken) return taken;
  ext_.resources.push_back({std::move(spec), pin(std::move(strategy), library_), owner_});
  return {};
}

Result<void> ExtensionRegistrar::checkResourceName(const ResourceSpec& spec) const {
  auto same = [&](const ResourceSpec& s) {
    return s.group == spec.group && s.version == spec.version && s.plural == spec.plural;
  };
  auto taken = [&](const std::string& owner) {
    return refuse("resource \"" + GroupResource{spec.group, spec.plural}.str() + "\" (" + spec.groupVersion() +
                  ") is registered by both plugin \"" + owner + "\" and plugin \"" + owner_ + "\"");
  };
  for (const auto& r : ext_.resources)
    if (same(r.spec)) return taken(r.owner);
  for (const auto& r : ext_.virtualResources)
    if (same(r.spec)) return taken(r.owner);
  return {};
}

Result<void> ExtensionRegistrar::addVirtualResource(ResourceSpec spec, std::shared_ptr<const Creater> creater) {
  if (spec.version.empty() || spec.kind.empty() || spec.plural.empty())
    return invalid("plugin \"" + owner_ + "\" registered a virtual resource without version, kind or plural");
  if (!creater)
    return invalid("plugin \"" + owner_ + "\" registered virtual resource \"" + spec.plural + "\" without a creater");
  if (auto taken = checkResourceName(spec); !taken) return taken;
  ext_.virtualResources.push_back({std::move(spec), pin(std::move(creater), library_), owner_});
  return {};
}

Result<void> ExtensionRegistrar::addAuthorizer(std::string name, std::shared_ptr<const Authorizer> authorizer) {
  if (name.empty() || !authorizer)
    return invalid("plugin \"" + owner_ + "\" registered an authorizer without name or object");
  if (name == "AlwaysAllow" || name == "AlwaysDeny")
    return refuse("authorizer \"" + name + "\" is built into the host; plugin \"" + owner_ + "\" cannot register it");
  if (auto it = ext_.authorizers.find(name); it != ext_.authorizers.end())
    return refuse("authorizer \"" + name + "\" is registered by both plugin \"" + it->second.owner + "\" and plugin \"" +
                  owner_ + "\"");
  ext_.authorizers.emplace(std::move(name), Owned<const Authorizer>{pin(std::move(authorizer), library_), owner_});
  return {};
}

Result<void> ExtensionRegistrar::addLink(std::string name, std::shared_ptr<LinkFactory> factory) {
  if (name.empty() || !factory) return invalid("plugin \"" + owner_ + "\" registered a link without name or factory");
  if (auto it = ext_.links.find(name); it != ext_.links.end())
    return refuse("handler-chain link \"" + name + "\" is registered by both " +
                  (it->second.owner.empty() ? std::string("the host") : "plugin \"" + it->second.owner + "\"") +
                  " and plugin \"" + owner_ + "\"");
  ext_.links.emplace(std::move(name), Owned<LinkFactory>{pin(std::move(factory), library_), owner_});
  return {};
}

Result<void> ExtensionRegistrar::addAdmission(std::shared_ptr<AdmissionStep> step) {
  if (!step) return invalid("plugin \"" + owner_ + "\" registered a null admission step");
  for (const auto& a : ext_.admission)
    if (a.object->name() == step->name())
      return refuse("admission step \"" + std::string(step->name()) + "\" is registered by both plugin \"" + a.owner +
                    "\" and plugin \"" + owner_ + "\"");
  ext_.admission.push_back({pin(std::move(step), library_), owner_});
  return {};
}

Result<void> ExtensionRegistrar::addController(std::shared_ptr<Controller> controller) {
  if (!controller) return invalid("plugin \"" + owner_ + "\" registered a null controller");
  ext_.controllers.push_back({pin(std::move(controller), library_), owner_});
  return {};
}

Result<void> ExtensionRegistrar::addDelegate(std::string name, std::shared_ptr<DelegateServer> server) {
  if (name.empty() || !server) return invalid("plugin \"" + owner_ + "\" registered a delegate without name or server");
  for (const auto& [n, d] : ext_.delegates)
    if (n == name)
      return refuse("delegate server \"" + name + "\" is registered by both plugin \"" + d.owner + "\" and plugin \"" +
                    owner_ + "\"");
  ext_.delegates.emplace_back(std::move(name), Owned<DelegateServer>{pin(std::move(server), library_), owner_});
  return {};
}

}  // namespace apiserver::plugins
