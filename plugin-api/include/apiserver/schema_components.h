#pragma once

#include <apiserver/schema.h>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include <string>
#include <string_view>
#include <utility>

/// @file schema_components.h
/// Attaching a kind's schema from an OpenAPI v3 components.schemas document (name -> schema)
/// that a plugin embeds: the kind's definition and every definition it refers to with
/// "#/components/schemas/<name>", directly or not.

namespace apiserver {

/// parseComponents parses an embedded components.schemas document; an empty object if the text
/// is not a JSON object (an embedded file is checked by the plugin's tests, not at run time).
inline boost::json::object parseComponents(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  return !ec && v.is_object() ? std::move(v.get_object()) : boost::json::object();
}

namespace detail {

// collectRefs adds every definition `v` refers to, transitively, to `out`.
inline void collectRefs(const boost::json::value& v, const boost::json::object& all,
                        boost::json::object& out) {
  constexpr std::string_view kRefPrefix = "#/components/schemas/";
  if (const auto* o = v.if_object()) {
    for (const auto& kv : *o) {
      if (kv.key() == "$ref" && kv.value().is_string()) {
        std::string_view ref = kv.value().get_string();
        if (ref.substr(0, kRefPrefix.size()) != kRefPrefix)
          continue;
        std::string_view name = ref.substr(kRefPrefix.size());
        if (out.contains(name))
          continue;
        const auto* def = all.if_contains(name);
        if (def == nullptr)
          continue;
        out[name] = *def;
        collectRefs(*def, all, out);
      } else {
        collectRefs(kv.value(), all, out);
      }
    }
  } else if (const auto* a = v.if_array()) {
    for (const auto& e : *a)
      collectRefs(e, all, out);
  }
}

}  // namespace detail

/// attachSchemaFrom sets spec.schemaName to `name`, spec.schema to that definition of
/// `components` and spec.definitions to every definition it refers to. A name `components`
/// lacks leaves schema and definitions as they are.
inline void attachSchemaFrom(ResourceSpec& spec, const boost::json::object& components,
                             std::string name) {
  spec.schemaName = std::move(name);
  const auto* def = components.if_contains(spec.schemaName);
  if (def == nullptr || !def->is_object())
    return;
  spec.schema = def->get_object();
  boost::json::object refs;
  detail::collectRefs(*def, components, refs);
  refs.erase(spec.schemaName);
  spec.definitions = std::move(refs);
}

}  // namespace apiserver
