#include "rbac/schemas.h"

#include <apiserver/schema_components.h>

#include <string>

extern const std::string_view apiserver_rbac_v1_openapi_json;
extern const std::string_view apiserver_authorization_v1_openapi_json;
extern const std::string_view apiserver_authentication_v1_openapi_json;

namespace apiserver::plugins::rbac {

void attachRbacSchema(ResourceSpec& spec) {
  // Parsed once; const afterwards.
  static const boost::json::object all = parseComponents(apiserver_rbac_v1_openapi_json);
  attachSchemaFrom(spec, all, "io.k8s.api.rbac.v1." + spec.kind);
}

void attachAuthorizationSchema(ResourceSpec& spec) {
  static const boost::json::object all = parseComponents(apiserver_authorization_v1_openapi_json);
  attachSchemaFrom(spec, all, "io.k8s.api.authorization.v1." + spec.kind);
}

void attachAuthenticationSchema(ResourceSpec& spec) {
  static const boost::json::object all = parseComponents(apiserver_authentication_v1_openapi_json);
  attachSchemaFrom(spec, all, "io.k8s.api.authentication.v1." + spec.kind);
}

}  // namespace apiserver::plugins::rbac
