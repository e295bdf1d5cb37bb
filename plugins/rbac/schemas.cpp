#include "rbac/schemas.h"

#include <boost/json/parse.hpp>

#include <string>

extern const std::string_view apiserver_rbac_v1_openapi_json;
extern const std::string_view apiserver_authorization_v1_openapi_json;

namespace apiserver::plugins::rbac {

namespace json = boost::json;

namespace {

constexpr std::string_view kRefPrefix = "#/components/schemas/";

// collectRefs adds every definition `v` refers to, transitively, to `out`.
void collectRefs(const json::value& v, const json::object& all, json::object& out) {
  if (const auto* o = v.if_object()) {
    for (const auto& kv : *o) {
      if (kv.key() == "$ref" && kv.value().is_string()) {
        std::string_view ref = kv.value().get_string();
        if (ref.substr(0, kRefPrefix.size()) != kRefPrefix) continue;
        std::string_view name = ref.substr(kRefPrefix.size());
        if (out.contains(name)) continue;
        const auto* def = all.if_contains(name);
        if (def == nullptr) continue;
        out[name] = *def;
        collectRefs(*def, all, out);
      } else {
        collectRefs(kv.value(), all, out);
      }
    }
  } else if (const auto* a = v.if_array()) {
    for (const auto& e : *a) collectRefs(e, all, out);
  }
}

json::object parse(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  return !ec && v.is_object() ? std::move(v.get_object()) : json::object();
}

void attach(ResourceSpec& spec, const json::object& all, const std::string& name) {
  spec.schemaName = name;
  const auto* def = all.if_contains(name);
  if (def == nullptr || !def->is_object()) return;
  spec.schema = def->get_object();
  json::object refs;
  collectRefs(*def, all, refs);
  refs.erase(name);
  spec.definitions = std::move(refs);
}

}  // namespace

void attachRbacSchema(ResourceSpec& spec) {
  // Parsed once; const afterwards.
  static const json::object all = parse(apiserver_rbac_v1_openapi_json);
  attach(spec, all, "io.k8s.api.rbac.v1." + spec.kind);
}

void attachAuthorizationSchema(ResourceSpec& spec) {
  static const json::object all = parse(apiserver_authorization_v1_openapi_json);
  attach(spec, all, "io.k8s.api.authorization.v1." + spec.kind);
}

}  // namespace apiserver::plugins::rbac
