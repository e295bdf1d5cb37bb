#pragma once

#include <boost/json/object.hpp>

#include <string>

/// @file schemas.h
/// The OpenAPI v3 schemas of the core v1 kinds, one function per kind. For now each describes
/// the kind's top-level fields as kube documents them; nested objects are open
/// (x-kubernetes-preserve-unknown-fields) until their full schemas are added.

namespace apiserver::plugins::core {

/// schemaName returns the components.schemas key of a core v1 kind ("io.k8s.api.core.v1.Pod").
std::string schemaName(const std::string& kind);

/// namespaceSchema is the schema of io.k8s.api.core.v1.Namespace.
boost::json::object namespaceSchema();
/// podSchema is the schema of io.k8s.api.core.v1.Pod.
boost::json::object podSchema();
/// serviceSchema is the schema of io.k8s.api.core.v1.Service.
boost::json::object serviceSchema();
/// endpointsSchema is the schema of io.k8s.api.core.v1.Endpoints.
boost::json::object endpointsSchema();
/// configMapSchema is the schema of io.k8s.api.core.v1.ConfigMap.
boost::json::object configMapSchema();
/// secretSchema is the schema of io.k8s.api.core.v1.Secret.
boost::json::object secretSchema();
/// nodeSchema is the schema of io.k8s.api.core.v1.Node.
boost::json::object nodeSchema();
/// eventSchema is the schema of io.k8s.api.core.v1.Event.
boost::json::object eventSchema();
/// serviceAccountSchema is the schema of io.k8s.api.core.v1.ServiceAccount.
boost::json::object serviceAccountSchema();

}  // namespace apiserver::plugins::core
