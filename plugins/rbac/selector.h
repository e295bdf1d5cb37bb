#pragma once

#include <apiserver/object.h>
#include <apiserver/status.h>

#include <string>

/// @file selector.h
/// metav1.LabelSelector as ClusterRole aggregation rules use it: validation (kube's
/// ValidateLabelSelector) and matching against an object's labels (LabelSelectorAsSelector).

namespace apiserver::plugins::rbac {

/// validateLabelSelector checks matchLabels and matchExpressions at `path`.
FieldErrors validateLabelSelector(const json::value& selector, const std::string& path);

/// selectorMatches tells whether `labels` (null: none) satisfy `selector`. An empty selector
/// matches everything; a selector that does not validate matches nothing.
bool selectorMatches(const json::object& selector, const json::object* labels);

}  // namespace apiserver::plugins::rbac
