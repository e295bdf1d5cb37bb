#include "plugins/plugin_loader.h"

#include <boost/dll/shared_library.hpp>

#include <dlfcn.h>

#include <cstring>
#include <exception>

namespace apiserver::plugins {

namespace {

ApiError loadError(const std::string& name, const std::filesystem::path& path, const std::string& why) {
  return ApiError{500, "PluginLoadFailed", "plugin \"" + name + "\" (" + path.string() + "): " + why, {}};
}

}  // namespace

Result<LoadedPlugin> PluginLoader::load(const PluginRequest& request) const {
  std::filesystem::path path = request.file.empty() ? directory_ / (request.name + ".so") : request.file;
  std::error_code fec;
  if (!std::filesystem::exists(path, fec))
    return fail(loadError(request.name, path, "file not found (plugin directory " + directory_.string() + ")"));
  if (!std::filesystem::is_regular_file(path, fec)) return fail(loadError(request.name, path, "not a regular file"));

  auto lib = std::make_shared<boost::dll::shared_library>();
  std::error_code ec;
  lib->load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
  if (ec || !lib->is_loaded()) {
    const char* why = dlerror();  // Boost.DLL reports a generic code; dlopen says what is wrong
    return fail(loadError(request.name, path,
                          "cannot be loaded as a shared library: " + std::string(why != nullptr ? why : ec.message())));
  }
  if (!lib->has("apiserver_plugin"))
    return fail(loadError(request.name, path,
                          "not an apiserver-host plugin: it exports no \"apiserver_plugin\" descriptor "
                          "(build it with APISERVER_PLUGIN from plugin-api/include/apiserver/plugin.h)"));
  const PluginDescriptor* desc = nullptr;
  try {
    desc = &lib->get_alias<const PluginDescriptor>("apiserver_plugin");
  } catch (const std::exception& e) {
    return fail(loadError(request.name, path, std::string("cannot read the plugin descriptor: ") + e.what()));
  }
  if (desc == nullptr || desc->magic != kPluginDescriptorMagic)
    return fail(loadError(request.name, path, "the \"apiserver_plugin\" symbol is not a plugin descriptor (bad magic)"));
  if (desc->apiVersion != kPluginApiVersion)
    return fail(loadError(request.name, path,
                          "built against plugin-api version " + std::to_string(desc->apiVersion) +
                              ", but this host provides plugin-api version " + std::to_string(kPluginApiVersion) +
                              "; rebuild the plugin against this host's plugin-api headers"));
  if (desc->signature == nullptr || std::strcmp(desc->signature, APISERVER_PLUGIN_SIGNATURE) != 0)
    return fail(loadError(request.name, path,
                          "built with an incompatible toolchain (\"" +
                              std::string(desc->signature != nullptr ? desc->signature : "") + "\"); this host needs \"" +
                              APISERVER_PLUGIN_SIGNATURE + "\""));
  if (desc->name == nullptr || request.name != desc->name)
    return fail(loadError(request.name, path,
                          "the library is plugin \"" + std::string(desc->name != nullptr ? desc->name : "") +
                              "\", not \"" + request.name + "\""));
  Plugin* raw = desc->create != nullptr ? desc->create() : nullptr;
  if (raw == nullptr) return fail(loadError(request.name, path, "the plugin's factory failed to create it"));
  LoadedPlugin out;
  out.name = request.name;
  out.path = path;
  std::shared_ptr<const void> library = lib;
  out.plugin = pin(std::shared_ptr<Plugin>(raw), library);
  out.library = std::move(library);
  return out;
}

Result<std::vector<LoadedPlugin>> PluginLoader::loadAll(const std::vector<PluginRequest>& requests, Extensions& ext,
                                                        Logger& logger, std::shared_ptr<const WallClock> clock,
                                                        std::shared_ptr<Client> client,
                                                        std::shared_ptr<UpstreamClient> upstream) const {
  std::vector<LoadedPlugin> loaded;
  for (const auto& req : requests) {
    for (const auto& l : loaded)
      if (l.name == req.name)
        return fail(ApiError{422, "Invalid", req.where + ": plugin \"" + req.name + "\" is enabled twice", {}});
    auto p = load(req);
    if (!p) return fail(std::move(p).error());
    ExtensionRegistrar registrar(ext, req.name, p->library, logger, clock, client, upstream);
    Result<void> r;
    try {
      r = p->plugin->registerWith(registrar, req.config);
    } catch (const std::exception& e) {
      r = fail(ApiError::internal(std::string("registerWith threw: ") + e.what()));
    } catch (...) {
      r = fail(ApiError::internal("registerWith threw an unknown exception"));
    }
    if (!r) {
      return fail(ApiError{r.error().code, r.error().reason,
                           "plugin \"" + req.name + "\" (" + p->path.string() + ") failed to register:\n" +
                               r.error().message,
                           r.error().details});
    }
    logger.info("loaded plugin \"" + req.name + "\" from " + p->path.string());
    loaded.push_back(std::move(*p));
  }
  return loaded;
}

}  // namespace apiserver::plugins
