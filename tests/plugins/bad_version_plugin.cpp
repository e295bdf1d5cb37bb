// A plugin that claims another plugin-api version: the host must refuse it before calling it.
#include <apiserver/plugin.h>

#include <cstdlib>

namespace bad_version {
apiserver::Plugin* create() noexcept { std::abort(); }  // must never be called
inline const apiserver::PluginDescriptor descriptor = {apiserver::kPluginDescriptorMagic,
                                                       apiserver::kPluginApiVersion + 1000,
                                                       APISERVER_PLUGIN_SIGNATURE, "bad_version", &create};
}  // namespace bad_version
BOOST_DLL_ALIAS(bad_version::descriptor, apiserver_plugin)
