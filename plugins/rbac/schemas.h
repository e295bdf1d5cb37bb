#pragma once

#include <apiserver/schema.h>

#include <string_view>

/// @file schemas.h
/// The OpenAPI v3 schemas of rbac.authorization.k8s.io/v1, authorization.k8s.io/v1 and
/// authentication.k8s.io/v1 (kube's
/// published components.schemas, embedded from schema/*.json), attached to ResourceSpecs so that
/// `kubectl explain` and field validation know the kinds.

namespace apiserver::plugins::rbac {

/// attachRbacSchema sets spec.schema (io.k8s.api.rbac.v1.<Kind>) and the definitions it refers to.
void attachRbacSchema(ResourceSpec& spec);
/// attachAuthorizationSchema does the same for io.k8s.api.authorization.v1.<Kind>.
void attachAuthorizationSchema(ResourceSpec& spec);
/// attachAuthenticationSchema does the same for io.k8s.api.authentication.v1.<Kind>.
void attachAuthenticationSchema(ResourceSpec& spec);

}  // namespace apiserver::plugins::rbac
