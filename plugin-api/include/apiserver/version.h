#pragma once

#include <boost/version.hpp>

#include <cstdint>

/// @file version.h
/// The plugin-api version and the build signature a plugin is checked against before the host
/// calls anything in it.

namespace apiserver {

/// kPluginApiVersion is the version of the plugin-api headers. The host refuses a plugin built
/// against a different version. Bump it on every change to a class or struct in plugin-api/.
inline constexpr std::uint32_t kPluginApiVersion = 7;

#define APISERVER_STRINGIFY_DETAIL(x) #x
#define APISERVER_STRINGIFY(x) APISERVER_STRINGIFY_DETAIL(x)

/// APISERVER_PLUGIN_SIGNATURE names what else must agree for C++ objects to cross the plugin
/// boundary safely: the compiler, the C++ standard library ABI and the Boost version.
#define APISERVER_PLUGIN_SIGNATURE                                                       \
  "compiler=" __VERSION__ ";cxx11abi=" APISERVER_STRINGIFY(_GLIBCXX_USE_CXX11_ABI) \
  ";boost=" APISERVER_STRINGIFY(BOOST_VERSION)

/// kKubernetesMajor / kKubernetesMinor are the Kubernetes API level this server implements and
/// reports on /version (kubectl's dispatcher picks its client version from the minor).
inline constexpr const char* kKubernetesMajor = "1";
inline constexpr const char* kKubernetesMinor = "32";
inline constexpr const char* kKubernetesGitVersion = "v1.32.0";

}  // namespace apiserver
