#include "core/schema/schemas.h"

#include <apiserver/schema_components.h>

#include <string>
#include <string_view>

extern const std::string_view apiserver_core_v1_openapi_json;

namespace apiserver::plugins::core {

namespace json = boost::json;

std::string schemaName(const std::string& kind) { return "io.k8s.api.core.v1." + kind; }

const json::object& coreDefinitions() {
  // Parsed on first use; const and never changed afterwards.
  static const json::object defs = parseComponents(apiserver_core_v1_openapi_json);
  return defs;
}

void attachSchema(ResourceSpec& spec) { attachSchemaFrom(spec, coreDefinitions(), schemaName(spec.kind)); }

}  // namespace apiserver::plugins::core
