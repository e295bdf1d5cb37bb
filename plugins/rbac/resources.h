#pragma once

#include <apiserver/schema.h>
#include <apiserver/strategy.h>

#include <memory>
#include <string>

/// @file resources.h
/// rbac.authorization.k8s.io/v1: Role, ClusterRole, RoleBinding and ClusterRoleBinding, with
/// kube's defaulting (roleRef.apiGroup, subjects[].apiGroup), validation
/// (pkg/apis/rbac/validation) and Table columns (kube's printers).

namespace apiserver::plugins::rbac {

ResourceSpec roleSpec();
ResourceSpec clusterRoleSpec();
ResourceSpec roleBindingSpec();
ResourceSpec clusterRoleBindingSpec();

std::shared_ptr<const Strategy> roleStrategy();
std::shared_ptr<const Strategy> clusterRoleStrategy();
std::shared_ptr<const Strategy> roleBindingStrategy();
std::shared_ptr<const Strategy> clusterRoleBindingStrategy();

/// validatePolicyRule is kube's ValidatePolicyRule: `namespaced` rules (of a Role) may not name
/// non-resource URLs.
FieldErrors validatePolicyRule(const json::value& rule, bool namespaced, const std::string& path);

/// defaultBinding fills roleRef.apiGroup and each subject's apiGroup as kube's v1 defaults do.
void defaultBinding(json::object& binding);

}  // namespace apiserver::plugins::rbac
