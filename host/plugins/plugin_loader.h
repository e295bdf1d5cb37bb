#pragma once

#include "plugins/extensions.h"

#include <apiserver/config.h>
#include <apiserver/plugin.h>
#include <apiserver/result.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

/// @file plugin_loader.h
/// PluginLoader loads plugin libraries with Boost.DLL, checks each one's descriptor (magic,
/// plugin-api version, build signature, name) before calling anything in it, and calls
/// registerWith with the plugin's own configuration section. Every failure is one line naming
/// the file and the reason.

namespace apiserver::plugins {

/// PluginRequest names one plugin to load: the configured name and its config section.
struct PluginRequest {
  std::string name;
  std::filesystem::path file;  ///< absolute, or empty for <directory>/<name>.so
  ConfigSection config;
  std::string where;           ///< "file:line:col" of the entry, for messages
};

/// LoadedPlugin keeps a loaded library and its plugin object.
struct LoadedPlugin {
  std::string name;
  std::filesystem::path path;
  std::shared_ptr<const void> library;  ///< the boost::dll::shared_library, type-erased
  std::shared_ptr<Plugin> plugin;
};

/// PluginLoader loads plugins from one directory.
class PluginLoader {
 public:
  explicit PluginLoader(std::filesystem::path directory) : directory_(std::move(directory)) {}

  /// load opens and checks one plugin library.
  Result<LoadedPlugin> load(const PluginRequest& request) const;

  /// loadAll loads and registers every requested plugin, in order, into `ext`; it stops at the
  /// first failure. The returned plugins must outlive everything registered.
  Result<std::vector<LoadedPlugin>> loadAll(const std::vector<PluginRequest>& requests, Extensions& ext, Logger& logger,
                                            std::shared_ptr<const WallClock> clock, std::shared_ptr<Client> client,
                                            std::shared_ptr<UpstreamClient> upstream = nullptr) const;

 private:
  std::filesystem::path directory_;
};

}  // namespace apiserver::plugins
