#pragma once

#include <apiserver/chain.h>
#include <apiserver/registry.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

/// @file extensions.h
/// Extensions: everything the plugins registered, each item with the plugin that owns it, and
/// ExtensionRegistrar, the Registrar a plugin is given. Every object taken from a plugin is held
/// together with its library, so no code can be unloaded while an object of it lives.

namespace apiserver::plugins {

/// Owned pairs a plugin-provided object with the name of the plugin that registered it.
template <class T>
struct Owned {
  std::shared_ptr<T> object;
  std::string owner;
};

/// RegisteredResource is one resource a plugin serves.
struct RegisteredResource {
  ResourceSpec spec;
  std::shared_ptr<const Strategy> strategy;
  std::string owner;
};

/// RegisteredVirtualResource is one computed (not stored) resource a plugin serves.
struct RegisteredVirtualResource {
  ResourceSpec spec;
  std::shared_ptr<const Creater> creater;
  std::string owner;
};

/// Extensions collects registrations. Names (resources by group/resource, links, delegates,
/// authorizers) are unique; a duplicate is refused naming both owners.
struct Extensions {
  std::vector<RegisteredResource> resources;
  std::vector<RegisteredVirtualResource> virtualResources;
  std::map<std::string, Owned<const Authorizer>> authorizers;
  /// serverAuthorizer is what Registrar::authorizer() hands out: the host points it at the
  /// configured authorization modes once the plugins are loaded.
  std::shared_ptr<const Authorizer> serverAuthorizer;
  std::map<std::string, Owned<LinkFactory>> links;
  std::vector<Owned<AdmissionStep>> admission;
  std::vector<Owned<Controller>> controllers;
  std::vector<std::pair<std::string, Owned<DelegateServer>>> delegates;
};

/// pin returns a pointer to `object` that also keeps `library` alive, destroying the object
/// before the library (the aliasing constructor of shared_ptr, as Boost.DLL's tutorial 8 does).
template <class T>
std::shared_ptr<T> pin(std::shared_ptr<T> object, std::shared_ptr<const void> library) {
  if (!library || !object) return object;
  struct Holder {
    std::shared_ptr<const void> library;  // destroyed last
    std::shared_ptr<T> object;
  };
  auto h = std::make_shared<Holder>(Holder{std::move(library), object});
  return std::shared_ptr<T>(h, object.get());
}

/// ExtensionRegistrar is the Registrar one plugin registers through.
class ExtensionRegistrar final : public Registrar {
 public:
  ExtensionRegistrar(Extensions& ext, std::string owner, std::shared_ptr<const void> library, Logger& logger,
                     std::shared_ptr<const WallClock> clock, std::shared_ptr<Client> client,
                     std::shared_ptr<UpstreamClient> upstream = nullptr);

  Result<void> addResource(ResourceSpec spec, std::shared_ptr<const Strategy> strategy) override;
  Result<void> addLink(std::string name, std::shared_ptr<LinkFactory> factory) override;
  Result<void> addAdmission(std::shared_ptr<AdmissionStep> step) override;
  Result<void> addController(std::shared_ptr<Controller> controller) override;
  Result<void> addDelegate(std::string name, std::shared_ptr<DelegateServer> server) override;
  Result<void> addVirtualResource(ResourceSpec spec, std::shared_ptr<const Creater> creater) override;
  Result<void> addAuthorizer(std::string name, std::shared_ptr<const Authorizer> authorizer) override;
  std::shared_ptr<const Authorizer> authorizer() override { return ext_.serverAuthorizer; }
  Logger& logger() override { return logger_; }
  std::shared_ptr<const WallClock> clock() override { return clock_; }
  std::shared_ptr<Client> client() override { return client_; }
  std::shared_ptr<UpstreamClient> upstreamClient() override { return upstream_; }

 private:
  /// checkResourceName refuses a group/version/resource another plugin already serves.
  Result<void> checkResourceName(const ResourceSpec& spec) const;

  Extensions& ext_;
  std::string owner_;
  std::shared_ptr<const void> library_;
  Logger& logger_;
  std::shared_ptr<const WallClock> clock_;
  std::shared_ptr<Client> client_;
  std::shared_ptr<UpstreamClient> upstream_;
};

}  // namespace apiserver::plugins
