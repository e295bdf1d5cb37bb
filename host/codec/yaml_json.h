#pragma once

#include <apiserver/config.h>
#include <apiserver/result.h>

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

/// @file yaml_json.h
/// YAML <-> JSON as Kubernetes does it (sigs.k8s.io/yaml): request bodies and the configuration
/// file are YAML converted to JSON.

namespace apiserver::codec {

/// YamlToJsonOptions select how scalars are read and whether locations are recorded.
struct YamlToJsonOptions {
  /// typedScalars: plain scalars become null/bool/number as YAML 1.1 resolves them (request
  /// bodies). Otherwise every scalar stays a string (the config file, whose reader decides).
  bool typedScalars = true;
  /// locations, if set, receives "file:line:col" for every key path ("a.b[2].c").
  ConfigLocations* locations = nullptr;
  std::string file;  ///< the file name used in locations and errors
};

/// yamlToJson converts the first YAML document of `text`. Malformed YAML fails with 400
/// BadRequest worded as kube's ("error converting YAML to JSON: yaml: line 3: ...").
Result<boost::json::value> yamlToJson(std::string_view text, const YamlToJsonOptions& options = {});

/// configYaml reads a configuration file's YAML (every scalar a string) as the root section of a
/// ConfigReader that knows where each key is ("file:line:col"; the root is the file). On bad YAML
/// the message is "invalid YAML: <the parser's words>", for a ConfigError.
Result<ConfigSection, std::string> configYaml(std::string_view text, const std::string& file);

/// jsonToYaml renders a JSON value as a YAML document (for Accept: application/yaml).
std::string jsonToYaml(const boost::json::value& value);

}  // namespace apiserver::codec
