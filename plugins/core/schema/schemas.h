#pragma once

#include <apiserver/schema.h>

#include <boost/json/object.hpp>

#include <string>

/// @file schemas.h
/// The OpenAPI v3 schemas of the core v1 kinds, generated from Kubernetes 1.32's Go types by
/// tools/openapi-gen into core_v1_openapi.json and built into the plugin.

namespace apiserver::plugins::core {

/// schemaName returns the components.schemas key of a core v1 kind ("io.k8s.api.core.v1.Pod").
std::string schemaName(const std::string& kind);

/// coreDefinitions are all generated definitions, parsed once (immutable afterwards).
const boost::json::object& coreDefinitions();

/// attachSchema sets spec.schemaName, spec.schema (the kind's definition) and
/// spec.definitions (every definition the kind refers to, directly or not).
void attachSchema(ResourceSpec& spec);

}  // namespace apiserver::plugins::core
