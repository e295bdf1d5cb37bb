#pragma once

#include "server/discovery.h"

#include <apiserver/request.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

/// @file openapi.h
/// OpenAPI v3 documents: /openapi/v3 (the index kubectl reads first) and /openapi/v3/<gv>
/// (paths with x-kubernetes-group-version-kind and the fieldValidation parameter that
/// `kubectl create/apply` look for, and components.schemas for `kubectl explain`). Encoded once;
/// each document's URL carries the hash of its bytes so client caches stay correct.

namespace apiserver::server {

/// OpenApi is an immutable set of pre-encoded OpenAPI v3 documents.
class OpenApi {
 public:
  static std::shared_ptr<const OpenApi> build(const std::vector<DiscoveredResource>& resources);

  /// serve answers /openapi/v3 and /openapi/v3/<api|apis/g>/<v>, or nullopt for other paths.
  std::optional<Response> serve(const Request& req) const;

  /// documents are the encoded group-version documents ("api/v1" -> bytes); /openapi/v2 is
  /// derived from them.
  const std::map<std::string, SharedBytes, std::less<>>& documents() const { return docs_; }

 private:
  SharedBytes index_;
  std::map<std::string, SharedBytes, std::less<>> docs_;  // "api/v1" -> document
};

}  // namespace apiserver::server
