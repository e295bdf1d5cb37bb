// A plugin built (it claims) with another toolchain: the host must refuse it before calling it.
#include <apiserver/plugin.h>

#include <cstdlib>

namespace bad_signature {
apiserver::Plugin* create() noexcept { std::abort(); }  // must never be called
inline const apiserver::PluginDescriptor descriptor = {apiserver::kPluginDescriptorMagic,
                                                       apiserver::kPluginApiVersion,
                                                       "compiler=clang-99;cxx11abi=0;boost=100000",
                                                       "bad_signature", &create};
}  // namespace bad_signature
BOOST_DLL_ALIAS(bad_signature::descriptor, apiserver_plugin)
