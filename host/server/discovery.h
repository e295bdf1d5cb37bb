#pragma once

#include <apiserver/request.h>
#include <apiserver/schema.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

/// @file discovery.h
/// API discovery documents (/api, /api/v1, /apis, /apis/<g>, /apis/<g>/<v>) in the legacy form
/// and the aggregated form (apidiscovery.k8s.io/v2) kubectl 1.32 asks for first. Built once per
/// set of served resources; readers share an immutable snapshot.

namespace apiserver::server {

/// DiscoveredResource is one served resource and the verbs it answers.
struct DiscoveredResource {
  const ResourceSpec* spec = nullptr;
  std::vector<std::string> verbs;        ///< main resource, sorted
  std::vector<std::string> statusVerbs;  ///< for the status subresource, if any
};

/// Discovery is an immutable set of pre-encoded discovery documents.
class Discovery {
 public:
  /// build encodes every document. Groups are ordered by name with the core group first;
  /// versions of a group in the order the resources were registered (first = preferred).
  static std::shared_ptr<const Discovery> build(const std::vector<DiscoveredResource>& resources);

  /// serve answers a discovery path, or nullopt if `req.path` is not one.
  std::optional<Response> serve(const Request& req) const;

 private:
  struct Doc {
    SharedBytes legacy;
    SharedBytes aggregated;     // v2
    SharedBytes aggregatedBeta; // v2beta1
  };
  std::map<std::string, Doc, std::less<>> docs_;  // by path
};

}  // namespace apiserver::server
