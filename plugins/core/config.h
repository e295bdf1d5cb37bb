#pragma once

#include <apiserver/config.h>
#include <apiserver/result.h>

#include <string>
#include <string_view>
#include <vector>

/// @file config.h
/// The core plugin's configuration (its `config:` section in the YAML file).

namespace apiserver::plugins::core {

/// CoreConfig is the decoded configuration.
///
/// @code{.yaml}
/// config:
///   resources: [namespaces, pods, services]   # default: all nine
/// @endcode
struct CoreConfig {
  /// resources are the plurals to serve, in catalog order. Default: every core resource.
  std::vector<std::string> resources;

  /// enabled reports whether `plural` is served.
  bool enabled(std::string_view plural) const;
};

/// decodeConfig reads and checks the section: `resources` must list known plurals (each unknown
/// one is reported at resources[i] with the valid names), at most once each, and may not leave
/// out namespaces while a namespaced resource is served; unknown keys are refused.
Result<CoreConfig> decodeConfig(const ConfigSection& section);

}  // namespace apiserver::plugins::core
