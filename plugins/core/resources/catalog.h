#pragma once

#include <apiserver/schema.h>
#include <apiserver/strategy.h>

#include <memory>
#include <string_view>
#include <vector>

/// @file catalog.h
/// The list of resources the core plugin can serve, in registration order.

namespace apiserver::plugins::core {

/// ResourceEntry names one core resource and how to build its spec and strategy.
struct ResourceEntry {
  std::string_view plural;                        ///< "pods": the name the config uses
  ResourceSpec (*spec)();                         ///< builds the ResourceSpec
  std::shared_ptr<const Strategy> (*strategy)();  ///< builds the Strategy
};

/// coreResources lists every resource of the plugin, namespaces first.
const std::vector<ResourceEntry>& coreResources();

/// coreResourceNames lists the plurals of coreResources(), in the same order.
std::vector<std::string> coreResourceNames();

}  // namespace apiserver::plugins::core
