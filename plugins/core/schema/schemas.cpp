#include "core/schema/schemas.h"

#include <boost/json/parse.hpp>

#include <string_view>
#include <vector>

extern const std::string_view apiserver_core_v1_openapi_json;

namespace apiserver::plugins::core {

namespace json = boost::json;

namespace {

constexpr std::string_view kRefPrefix = "#/components/schemas/";

// collectRefs adds the names of every definition `v` refers to, transitively, to `out`.
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

}  // namespace

std::string schemaName(const std::string& kind) { return "io.k8s.api.core.v1." + kind; }

const json::object& coreDefinitions() {
  // Parsed on first use; const and never changed afterwards.
  static const json::object defs = [] {
    boost::system::error_code ec;
    json::value v = json::parse(apiserver_core_v1_openapi_json, ec);
    return !ec && v.is_object() ? std::move(v.get_object()) : json::object();
  }();
  return defs;
}

void attachSchema(ResourceSpec& spec) {
  spec.schemaName = schemaName(spec.kind);
  const json::object& all = coreDefinitions();
  const auto* def = all.if_contains(spec.schemaName);
  if (def == nullptr || !def->is_object()) return;
  spec.schema = def->get_object();
  json::object refs;
  collectRefs(*def, all, refs);
  refs.erase(spec.schemaName);
  spec.definitions = std::move(refs);
}

}  // namespace apiserver::plugins::core
