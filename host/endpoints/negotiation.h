#pragma once

#include <apiserver/request.h>
#include <apiserver/result.h>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <memory>
#include <string>
#include <vector>

/// @file negotiation.h
/// Content negotiation for resource requests: which form the answer takes (Accept) and how the
/// request body is decoded (Content-Type), as kube's negotiation package decides.

namespace boost::json {
class monotonic_resource;
}

namespace apiserver::endpoints {

/// Format is the form of an answer.
enum class Format { Json, Yaml, Table };

/// IncludeObject is the Table's row.object choice (includeObject parameter).
enum class IncludeObject { None, Metadata, Object };

/// Output is the negotiated answer form.
struct Output {
  Format format = Format::Json;
  IncludeObject include = IncludeObject::Metadata;
};

/// negotiateOutput reads Accept (first acceptable media range wins) and includeObject.
/// Fails with 406 NotAcceptable when nothing offered can be produced.
Result<Output> negotiateOutput(const Request& req);

/// BodyArena is the memory a decoded JSON body lives in, when its caller keeps it: the values then
/// point at it without sharing it (no reference count taken by every value, nothing walked when
/// the object is destroyed). It must outlive the object and everything moved out of it: keep it
/// with whatever holds them (ResourceHandler::Decoded, registry::WriteOptions::keepAlive).
using BodyArena = std::shared_ptr<boost::json::monotonic_resource>;

/// decodeBody decodes the request body by its Content-Type (JSON, YAML or kube protobuf; JSON
/// when absent) into an object. 415 for other types, 400 for bodies that do not decode. For a
/// JSON body, `duplicates` (when not nullptr) gets the paths of repeated keys
/// (schema::duplicateFields), found in the same pass; with `arena` (not nullptr) the object is
/// made in a BodyArena left there, otherwise in an arena the object itself shares.
Result<boost::json::object> decodeBody(const Request& req,
                                       std::vector<std::string>* duplicates = nullptr,
                                       BodyArena* arena = nullptr);

/// encode renders a value in the negotiated form (JSON or YAML; Table is the caller's job).
Response encode(int status, const boost::json::value& v, const Output& out);
/// encode renders an object the same way; an object passed where a value is expected would be
/// deep-copied into one first.
Response encode(int status, const boost::json::object& o, const Output& out);

/// mediaTypeOf returns the bare media type of a Content-Type value ("application/json").
std::string_view mediaTypeOf(std::string_view contentType);

}  // namespace apiserver::endpoints
