#include "core/config.h"

#include "core/resources/catalog.h"

#include <algorithm>
#include <set>

namespace apiserver::plugins::core {

bool CoreConfig::enabled(std::string_view plural) const {
  return std::find(resources.begin(), resources.end(), plural) != resources.end();
}

Result<CoreConfig> decodeConfig(const ConfigSection& section) {
  ConfigReader reader(section);
  const std::vector<std::string> valid = coreResourceNames();
  CoreConfig config;
  auto listed = reader.stringList("resources");
  if (!listed) {
    config.resources = valid;
  } else {
    std::set<std::string> chosen;
    std::string validList;
    for (const auto& v : valid)
      validList += (validList.empty() ? "" : ", ") + ("\"" + v + "\"");
    for (std::size_t i = 0; i < listed->size(); ++i) {
      const std::string& name = (*listed)[i];
      const std::string key = "resources[" + std::to_string(i) + "]";
      if (std::find(valid.begin(), valid.end(), name) == valid.end()) {
        reader.error(key, "unsupported resource \"" + name + "\"; expected one of " + validList);
      } else if (!chosen.insert(name).second) {
        reader.error(key, "resource \"" + name + "\" is listed more than once");
      }
    }
    // Keep catalog order, so that registration order does not depend on the YAML.
    for (const auto& v : valid)
      if (chosen.count(v) != 0)
        config.resources.push_back(v);
    if (chosen.count("namespaces") == 0) {
      std::string namespaced;
      for (const auto& r : coreResources()) {
        if (chosen.count(std::string(r.plural)) == 0 || r.spec().scope != Scope::Namespaced)
          continue;
        namespaced += (namespaced.empty() ? "" : ", ") + std::string(r.plural);
      }
      if (!namespaced.empty())
        reader.error(
            "resources",
            "\"namespaces\" must be enabled while namespaced resources are (" + namespaced + ")");
    }
  }
  if (auto done = reader.finish(); !done)
    return std::move(done).error();
  return config;
}

}  // namespace apiserver::plugins::core
