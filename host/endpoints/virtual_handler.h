#pragma once

#include <apiserver/registry.h>
#include <apiserver/request.h>
#include <apiserver/schema.h>

#include <memory>

/// @file virtual_handler.h
/// VirtualResourceHandler serves a resource that is computed, not stored (kube's REST storage
/// that implements only rest.Creater: SubjectAccessReview, TokenReview): POST of the collection,
/// answered by the plugin's Creater; every other verb is 405.

namespace apiserver::endpoints {

/// VirtualResourceHandler is immutable and thread-safe.
class VirtualResourceHandler {
 public:
  VirtualResourceHandler(ResourceSpec spec, std::shared_ptr<const Creater> creater)
      : spec_(std::move(spec)), creater_(std::move(creater)) {}

  /// serve answers a resource request whose RequestInfo names this resource.
  Response serve(Request& req) const;

  const ResourceSpec& spec() const { return spec_; }
  bool namespaced() const { return spec_.scope == Scope::Namespaced; }

 private:
  ResourceSpec spec_;
  std::shared_ptr<const Creater> creater_;
};

}  // namespace apiserver::endpoints
