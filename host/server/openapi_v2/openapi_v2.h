#pragma once

#include <apiserver/request.h>
#include <apiserver/result.h>

#include <boost/json/object.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

/// @file openapi_v2.h
/// GET /openapi/v2: the single Swagger 2.0 document of every served group, as Kubernetes serves
/// it — protobuf (gnostic's openapi_v2.Document, which client-go decodes with proto.Unmarshal)
/// for `Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`, JSON for
/// `Accept: application/json`. kubectl reads it when /openapi/v3 lacks a kind (client-side
/// validation) and for `kubectl explain --output=plaintext-openapiv2`.
///
/// The document is derived from the OpenAPI v3 documents (server/openapi.h), so both describe
/// the same schemas and operations. This header stays free of protobuf: only openapi_v2.cpp
/// includes the generated messages.

namespace apiserver::server {

/// toSwagger converts OpenAPI v3 documents (one per group version, as /openapi/v3/<gv> serves
/// them) into one Swagger 2.0 document the way kube's v2 spec is written:
/// components.schemas -> definitions with `#/definitions/` references, single-element
/// `allOf:[{$ref}]` wrappers -> a direct `$ref` next to the description, defaults pruned,
/// oneOf/anyOf alternatives (IntOrString, Quantity) -> `type: string` (IntOrString with
/// `format: int-or-string`), requestBody -> a body parameter, parameter schemas -> the
/// parameter's own type, response content -> schema, consumes/produces from the media types.
/// Keys are sorted, so the bytes only depend on the input.
boost::json::object toSwagger(const std::vector<boost::json::object>& v3Documents);

/// encodeSwaggerProto encodes a Swagger 2.0 document (as toSwagger makes it) as gnostic's
/// openapi_v2.Document: vendor extensions, defaults, enum values and examples become Any{yaml}.
/// Fails (500) on shapes gnostic would reject, e.g. a non-string `$ref`.
Result<std::string> encodeSwaggerProto(const boost::json::object& swagger);

/// OpenApiV2 is the pre-encoded /openapi/v2 document (JSON and protobuf); immutable.
class OpenApiV2 {
 public:
  /// build converts and encodes `v3Documents` (keyed by "api/v1", "apis/<g>/<v>", as
  /// OpenApi::documents() holds them). Fails if a document does not parse or encode.
  static Result<std::shared_ptr<const OpenApiV2>> build(
      const std::map<std::string, SharedBytes, std::less<>>& v3Documents);

  /// serve answers /openapi/v2 (nullopt for other paths): the first Accept clause (by q) that
  /// names JSON or one of the two protobuf media types wins, else 406. The ETag is kube's: the
  /// quoted upper-case hex SHA-512 of the JSON bytes, for both forms; If-None-Match with it
  /// (or `*`) answers 304 without a body.
  std::optional<Response> serve(const Request& req) const;

  const SharedBytes& json() const { return json_; }
  const SharedBytes& protobuf() const { return protobuf_; }
  const std::string& etag() const { return etag_; }

 private:
  SharedBytes json_;
  SharedBytes protobuf_;
  std::string etag_;          // quoted, as sent
  std::string lastModified_;  // HTTP date of the build
};

}  // namespace apiserver::server
