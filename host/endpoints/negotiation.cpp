#include "endpoints/negotiation.h"

#include "codec/json_writer.h"
#include "codec/protobuf_decoder.h"
#include "codec/yaml_json.h"
#include "schema/validate.h"
#include "server/http_text.h"

#include <boost/beast/core/string.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <string>
#include <vector>

namespace apiserver::endpoints {

namespace {

/// kArenaBytesPerBodyByte sizes a request body's arena: the parsed object, and what a write
/// adds to it, take a few times the text's size; kArenaMinBytes is the least it starts with (a
/// small object's write adds defaults, status and managedFields worth a few KiB: one block).
constexpr std::size_t kArenaBytesPerBodyByte = 4;
constexpr std::size_t kArenaMinBytes = 8192;

using server::trimOws;

using boost::beast::iequals;  // ASCII, inline (the C locale's tolower, without a call per byte)

struct MediaRange {
  std::string_view type;
  std::vector<std::pair<std::string_view, std::string_view>> params;
  std::string_view param(std::string_view k) const {
    for (const auto& [pk, pv] : params)
      if (iequals(pk, k)) return pv;
    return {};
  }
};

MediaRange parseRange(std::string_view s) {
  MediaRange r;
  auto semi = s.find(';');
  r.type = trimOws(s.substr(0, semi));
  while (semi != std::string_view::npos) {
    s.remove_prefix(semi + 1);
    semi = s.find(';');
    std::string_view p = trimOws(s.substr(0, semi));
    auto eq = p.find('=');
    if (eq == std::string_view::npos) continue;
    r.params.emplace_back(trimOws(p.substr(0, eq)), trimOws(p.substr(eq + 1)));
  }
  return r;
}

}  // namespace

std::string_view mediaTypeOf(std::string_view contentType) {
  return trimOws(contentType.substr(0, contentType.find(';')));
}

Result<Output> negotiateOutput(const Request& req) {
  Output out;
  if (auto inc = req.query.get("includeObject")) {
    if (*inc == "None") out.include = IncludeObject::None;
    else if (*inc == "Object") out.include = IncludeObject::Object;
    else if (*inc == "Metadata" || inc->empty()) out.include = IncludeObject::Metadata;
    else return fail(ApiError::badRequest("includeObject: Unsupported value: \"" + std::string(*inc) +
                                          "\": supported values: \"Metadata\", \"None\", \"Object\""));
  }
  auto accept = req.header("Accept");
  if (!accept || trimOws(*accept).empty())
    return out;
  // Media ranges in order of preference: by q-value (default 1), stable; q=0 means "not this".
  std::vector<std::pair<double, MediaRange>> ranges;
  std::string_view rest = *accept;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    MediaRange r = parseRange(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    double q = 1;
    if (std::string_view qs = r.param("q"); !qs.empty()) {
      auto [end, ec] = std::from_chars(qs.data(), qs.data() + qs.size(), q);
      if (ec != std::errc() || end != qs.data() + qs.size()) q = 1;
    }
    if (q > 0) ranges.emplace_back(q, std::move(r));
  }
  std::stable_sort(ranges.begin(), ranges.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (const auto& [q, r] : ranges) {
    std::string_view as = r.param("as");
    if (iequals(r.type, "application/json") || iequals(r.type, "application/yaml")) {
      const bool yaml = iequals(r.type, "application/yaml");
      if (as.empty()) {
        out.format = yaml ? Format::Yaml : Format::Json;
        return out;
      }
      if (as == "Table" && r.param("g") == "meta.k8s.io" && (r.param("v") == "v1" || r.param("v") == "v1beta1")) {
        out.format = Format::Table;
        return out;
      }
      continue;  // another "as" (PartialObjectMetadata, ...) is not offered
    }
    if (r.type == "*/*" || iequals(r.type, "application/*")) {
      out.format = Format::Json;
      return out;
    }
  }
  return fail(ApiError::notAcceptable(
      "only the following media types are accepted: application/json, application/yaml, "
      "application/json;as=Table;v=v1;g=meta.k8s.io"));
}

Result<boost::json::object> decodeBody(const Request& req, std::vector<std::string>* duplicates,
                                       BodyArena* arena) {
  std::string_view type = mediaTypeOf(req.header("Content-Type").value_or("application/json"));
  if (type.empty()) type = "application/json";
  if (req.body.empty()) return fail(ApiError::badRequest("the request body is empty; an object was expected"));
  if (iequals(type, codec::kProtobufMediaType)) return codec::decodeProtobuf(req.body);
  auto parsed = [&]() -> Result<boost::json::value> {
    if (iequals(type, "application/json")) {
      boost::system::error_code ec;
      boost::json::parse_options po;
      po.allow_invalid_utf8 = false;
      // The object lives as long as the request: it, and everything the write adds to it
      // (metadata, managed fields), takes memory from one arena freed at once at the end. It is
      // moved from here on, never assigned to a value of other memory (that would copy it).
      const std::size_t first = std::max(kArenaMinBytes, kArenaBytesPerBodyByte * req.body.size());
      boost::json::storage_ptr sp;
      if (arena != nullptr) {
        *arena = std::make_shared<boost::json::monotonic_resource>(first);
        sp = boost::json::storage_ptr(arena->get());
      } else {
        sp = boost::json::make_shared_resource<boost::json::monotonic_resource>(first);
      }
      boost::json::value v =
          schema::parseFindingDuplicates(req.body, ec, std::move(sp), po, duplicates);
      if (ec)
        return fail(
            ApiError::badRequest("couldn't get version/kind; json parse error: " + ec.message()));
      return v;
    }
    if (iequals(type, "application/yaml"))
      return codec::yamlToJson(req.body);
    return fail(ApiError::unsupportedMediaType());
  }();
  if (!parsed)
    return fail(std::move(parsed).error());
  if (!parsed->is_object())
    return fail(ApiError::badRequest("couldn't get version/kind; json parse error: the body must be a JSON object"));
  return std::move(parsed->get_object());
}

Response encode(int status, const boost::json::value& v, const Output& out) {
  if (out.format == Format::Yaml) return Response::bytes(status, "application/yaml", codec::jsonToYaml(v));
  return Response::json(status, v);
}

Response encode(int status, const boost::json::object& o, const Output& out) {
  if (out.format == Format::Yaml) return encode(status, boost::json::value(o), out);
  std::string body;  // an answer, written once and sent: not trimmed to size as toJson's kept texts
  codec::appendJson(body, o);
  return Response::bytes(status, "application/json", std::move(body));
}

}  // namespace apiserver::endpoints
