#pragma once

#include "schema/schema.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

/// @file apply_test_util.h
/// Helpers shared by the apply tests: JSON literals and the real core/v1 schemas.

namespace apiserver::apply::testing {

namespace json = boost::json;

/// J parses a JSON literal (tests only: a malformed literal is a test bug and throws).
inline json::value J(std::string_view text) {
  return json::parse(text);
}
/// O parses a JSON object literal.
inline json::object O(std::string_view text) {
  return json::parse(text).as_object();
}

/// coreV1 loads plugins/core/schema/core_v1_openapi.json once per test binary, rooted at
/// `definition`; nullptr when the file cannot be read.
inline std::shared_ptr<const schema::SchemaSet> coreV1(std::string_view definition) {
  std::ifstream in(APISERVER_CORE_V1_OPENAPI);
  if (!in)
    return nullptr;
  std::stringstream text;
  text << in.rdbuf();
  json::parse_options options;
  options.max_depth = 1000;
  boost::system::error_code ec;
  json::value doc = json::parse(text.str(), ec, {}, options);
  if (ec)
    return nullptr;
  auto set = schema::SchemaSet::fromDocument(doc, definition);
  if (!set)
    return nullptr;
  return std::make_shared<const schema::SchemaSet>(std::move(*set));
}

/// podSchema is the real Pod schema (loaded once).
inline const schema::SchemaSet& podSchema() {
  static const std::shared_ptr<const schema::SchemaSet> set = coreV1("io.k8s.api.core.v1.Pod");
  static const schema::SchemaSet empty;
  return set ? *set : empty;
}

/// configMapSchema is the real ConfigMap schema (loaded once).
inline const schema::SchemaSet& configMapSchema() {
  static const std::shared_ptr<const schema::SchemaSet> set =
      coreV1("io.k8s.api.core.v1.ConfigMap");
  static const schema::SchemaSet empty;
  return set ? *set : empty;
}

}  // namespace apiserver::apply::testing
