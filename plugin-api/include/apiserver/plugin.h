#pragma once

#include <apiserver/config.h>
#include <apiserver/registry.h>
#include <apiserver/result.h>
#include <apiserver/version.h>

#include <boost/config.hpp>
#include <boost/dll/alias.hpp>

#include <cstdint>

/// @file plugin.h
/// Plugin: the one object a plugin library gives the host, and APISERVER_PLUGIN, which exports it.
///
/// A plugin is written as:
/// @code
///   class CorePlugin final : public apiserver::Plugin {
///    public:
///     apiserver::Result<void> registerWith(apiserver::Registrar& r,
///                                          const apiserver::ConfigSection& config) override;
///   };
///   APISERVER_PLUGIN(CorePlugin, "core")
/// @endcode

namespace apiserver {

/// Plugin registers what a plugin library provides. The host creates it once, calls
/// registerWith once, and destroys it before unloading the library.
class BOOST_SYMBOL_VISIBLE Plugin {
 public:
  virtual ~Plugin() = default;
  /// registerWith adds the plugin's resources, links, admission steps, controllers and delegate
  /// servers. `config` is the plugin's own `config:` section of the YAML file; unknown keys there
  /// should be refused (ConfigReader::finish does). Must not throw.
  virtual Result<void> registerWith(Registrar& registrar, const ConfigSection& config) = 0;
};

/// kPluginDescriptorMagic marks a PluginDescriptor ("APIS").
inline constexpr std::uint32_t kPluginDescriptorMagic = 0x53495041;

/// PluginDescriptor is the exported entry of a plugin library. Its layout never changes, so the
/// host can read magic, version and signature of a plugin built against any plugin-api version
/// before it trusts anything else in it.
extern "C" struct PluginDescriptor {
  std::uint32_t magic;
  std::uint32_t apiVersion;
  const char* signature;  ///< APISERVER_PLUGIN_SIGNATURE of the plugin's build
  const char* name;       ///< the plugin's name, which the YAML uses
  Plugin* (*create)();    ///< a new Plugin, owned by the caller; nullptr on failure
};

}  // namespace apiserver

/// APISERVER_PLUGIN(Class, "name") exports the descriptor of a plugin library under the
/// Boost.DLL alias `apiserver_plugin`. Use it exactly once per library.
#define APISERVER_PLUGIN(PluginClass, pluginName)                                                \
  namespace apiserver_plugin_entry {                                                              \
  inline ::apiserver::Plugin* create() noexcept {                                                 \
    try {                                                                                         \
      return new PluginClass();                                                                   \
    } catch (...) {                                                                               \
      return nullptr;                                                                             \
    }                                                                                             \
  }                                                                                               \
  inline const ::apiserver::PluginDescriptor descriptor = {                                       \
      ::apiserver::kPluginDescriptorMagic, ::apiserver::kPluginApiVersion,                        \
      APISERVER_PLUGIN_SIGNATURE, pluginName, &create};                                           \
  }                                                                                               \
  BOOST_DLL_ALIAS(apiserver_plugin_entry::descriptor, apiserver_plugin)
