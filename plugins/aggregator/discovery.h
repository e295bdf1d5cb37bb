#pragma once

#include "aggregator/registry.h"

#include <apiserver/object.h>

#include <optional>
#include <set>
#include <string>
#include <string_view>

/// @file discovery.h
/// Discovery as the aggregator serves it (kube-aggregator's apis handler and discovery manager):
/// the local server's documents with the available remote group versions added, every group
/// ordered by its APIServices' priorities. Pure functions over JSON and a Snapshot.

namespace apiserver::plugins::aggregator {

/// kAggregatedV2 and kAggregatedV2Beta1 are the aggregated discovery media types.
inline constexpr std::string_view kAggregatedV2 =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
inline constexpr std::string_view kAggregatedV2Beta1 =
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

/// mergeGroupList adds the available remote groups to the local APIGroupList (/apis, legacy
/// form) and orders all groups: apiregistration.k8s.io first (as kube does), then by group
/// priority, highest first, then by name. Remote versions are ordered by versionPriority, then
/// kube-aware version order.
json::object mergeGroupList(const json::object& local, const Snapshot& snapshot);

/// mergeGroupDiscoveryList does the same for the aggregated form (APIGroupDiscoveryList);
/// remote versions carry the resources of their last check, freshness Current.
json::object mergeGroupDiscoveryList(const json::object& local, const Snapshot& snapshot);

/// remoteGroup is /apis/<group> (an APIGroup) for a remote group, or nullopt when none of its
/// versions is available.
std::optional<json::object> remoteGroup(const Snapshot& snapshot, const std::string& group);

/// mergeOpenApiIndex adds each available remote version's document to the local /openapi/v3
/// index ({"paths": {"apis/<g>/<v>": {"serverRelativeURL": ...}}}).
json::object mergeOpenApiIndex(const json::object& local, const Snapshot& snapshot);

/// groupNames lists the groups a local APIGroupList or APIGroupDiscoveryList names.
std::set<std::string> groupNames(const json::object& list);

/// resourcesFromList converts a backend's APIResourceList (/apis/<g>/<v>) into aggregated
/// discovery resources (kube's ConvertGroupVersionIntoToDiscovery): one entry per resource, its
/// subresources ("pods/status") folded in.
json::array resourcesFromList(const json::object& list, std::string_view group, std::string_view version);

/// openApiPathFromIndex finds "apis/<g>/<v>"'s serverRelativeURL in a /openapi/v3 index.
std::string openApiPathFromIndex(const json::object& index, std::string_view group, std::string_view version);

}  // namespace apiserver::plugins::aggregator
