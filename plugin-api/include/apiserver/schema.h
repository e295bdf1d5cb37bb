#pragma once

#include <boost/json/object.hpp>

#include <string>
#include <vector>

/// @file schema.h
/// ResourceSpec: what the host needs to know to serve a resource (kube's APIResource plus the
/// OpenAPI schema of its kind).

namespace apiserver {

/// Scope says whether objects live in a namespace.
enum class Scope { Namespaced, Cluster };

/// NameRule is the validation applied to metadata.name (kube's ValidateNameFunc choices).
enum class NameRule {
  Dns1123Subdomain,  ///< most resources (pods, configmaps, ...)
  Dns1123Label,      ///< namespaces
  Dns1035Label,      ///< services
  PathSegment,       ///< anything that is a valid URL path segment (nodes use subdomain in kube)
};

/// ResourceSpec describes one resource a plugin serves. Required: version, kind, plural.
struct ResourceSpec {
  std::string group;     ///< "" for the legacy core group
  std::string version;   ///< "v1"
  std::string kind;      ///< "Pod"
  std::string plural;    ///< "pods" (the URL segment and storage key part)
  std::string singular;  ///< "pod"; defaults to the lower-cased kind
  std::string listKind;  ///< "PodList"; defaults to kind + "List"
  Scope scope = Scope::Namespaced;
  std::vector<std::string> shortNames;    ///< "po"
  std::vector<std::string> categories;    ///< "all"
  std::vector<std::string> subresources;  ///< "status" is served generically
  NameRule nameRule = NameRule::Dns1123Subdomain;
  /// returnDeletedObject: DELETE answers with the object (pods, namespaces) instead of a
  /// Success Status (most others), as kube's store does.
  bool returnDeletedObject = false;
  /// tracksGeneration: metadata.generation starts at 1 and goes up whenever anything but
  /// metadata and status changes (custom resources, apps/v1 kinds). The core v1 kinds of
  /// Kubernetes 1.32 leave it unset.
  bool tracksGeneration = false;
  /// schema is the OpenAPI v3 schema of the kind (a components.schemas entry). When empty the
  /// host publishes a minimal one ({"type":"object"}), which makes any field acceptable.
  boost::json::object schema;
  /// definitions are further components.schemas entries that `schema` refers to with $ref
  /// ("#/components/schemas/<name>"), keyed by name.
  boost::json::object definitions;
  /// schemaName is the components.schemas key of the kind ("io.k8s.api.core.v1.Pod");
  /// defaults to "<group or 'core'>.<version>.<kind>".
  std::string schemaName;

  std::string groupVersion() const { return group.empty() ? version : group + "/" + version; }
};

}  // namespace apiserver
