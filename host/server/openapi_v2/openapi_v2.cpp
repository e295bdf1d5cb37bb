#include "server/openapi_v2/openapi_v2.h"

#include "codec/yaml_json.h"
#include "server/http_text.h"

#include <apiserver/version.h>

#include <openapiv2/OpenAPIv2.pb.h>

#include <openssl/evp.h>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <exception>
#include <set>
#include <string_view>
#include <utility>

namespace apiserver::server {

namespace json = boost::json;
namespace pb = ::openapi::v2;

namespace {

constexpr std::string_view kV3SchemaRef = "#/components/schemas/";
constexpr std::string_view kV2SchemaRef = "#/definitions/";
constexpr std::string_view kPatchName = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";

constexpr std::string_view kProtobufType = "com.github.proto-openapi.spec.v2.v1.0+protobuf";
constexpr std::string_view kProtobufTypeDeprecated =
    "com.github.proto-openapi.spec.v2@v1.0+protobuf";

constexpr std::array<std::string_view, 7> kMethods = {"get",     "put",  "post", "delete",
                                                      "options", "head", "patch"};

bool isExtension(std::string_view key) {
  return key.size() > 2 && key.starts_with("x-");
}

bool isTrue(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_bool() && v->get_bool();
}

std::string_view stringOr(const json::object& o, std::string_view key, std::string_view dflt) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : dflt;
}

// ---------------------------------------------------------------------------------------------
// v3 -> v2: schemas

/// v2Ref rewrites a v3 schema reference to a definitions reference; others are kept.
std::string v2Ref(std::string_view ref) {
  if (ref.starts_with(kV3SchemaRef))
    return std::string(kV2SchemaRef) + std::string(ref.substr(kV3SchemaRef.size()));
  return std::string(ref);
}

/// SchemaOut is a converted schema and whether the input was `nullable: true` (so that the
/// parent drops it from `required`, as kube does for v2).
struct SchemaOut {
  json::object schema;
  bool nullable = false;
};

/// simpleTypeOf returns the type of a oneOf/anyOf alternative that is nothing but a type.
std::string_view simpleTypeOf(const json::value& alt) {
  const auto* o = alt.if_object();
  if (o == nullptr)
    return {};
  const auto* t = o->if_contains("type");
  return t != nullptr && t->is_string() ? std::string_view(t->get_string()) : std::string_view();
}

/// typeFromAlternatives picks the one v2 type that accepts every alternative, as kube's own
/// types publish them: anything with a string alternative is a string (IntOrString, Quantity),
/// integer/number mixes are numbers; otherwise there is none (any value).
std::string typeFromAlternatives(const json::array& alts) {
  std::set<std::string_view> types;
  for (const auto& a : alts) {
    std::string_view t = simpleTypeOf(a);
    if (t.empty())
      return {};
    types.insert(t);
  }
  if (types.contains("string"))
    return "string";
  if (!types.empty() && std::all_of(types.begin(), types.end(), [](std::string_view t) {
        return t == "integer" || t == "number";
      }))
    return types.size() == 1 ? std::string(*types.begin()) : "number";
  if (types.size() == 1)
    return std::string(*types.begin());
  return {};
}

/// convertSchema turns one OpenAPI v3 schema into the Swagger 2.0 form kube publishes. Keys a
/// v2 schema cannot have (oneOf, anyOf, not, nullable, writeOnly, deprecated) are dropped, as
/// are defaults (kube prunes them from v2) and values of the wrong JSON type.
SchemaOut convertSchema(const json::value& in) {
  SchemaOut result;
  const auto* src = in.if_object();
  if (src == nullptr)
    return result;
  json::object& out = result.schema;
  result.nullable = isTrue(*src, "nullable");
  const bool preserveUnknown = isTrue(*src, "x-kubernetes-preserve-unknown-fields");
  std::string altType;
  std::set<std::string, std::less<>> nullableProps;

  for (const auto& kv : *src) {
    const std::string_view key = kv.key();
    const json::value& v = kv.value();
    if (isExtension(key)) {
      out[key] = v;
    } else if (key == "$ref") {
      if (v.is_string())
        out["$ref"] = v2Ref(v.get_string());
    } else if (key == "allOf") {
      if (!v.is_array())
        continue;
      const json::array& all = v.get_array();
      const json::object* only = all.size() == 1 ? all[0].if_object() : nullptr;
      if (only != nullptr && only->size() == 1 && only->contains("$ref") &&
          only->at("$ref").is_string() && !src->contains("$ref")) {
        // kube's v3 wraps a described reference in allOf; v2 writes $ref next to it.
        out["$ref"] = v2Ref(only->at("$ref").get_string());
      } else {
        json::array converted;
        for (const auto& e : all)
          converted.push_back(convertSchema(e).schema);
        if (!converted.empty())
          out["allOf"] = std::move(converted);
      }
    } else if (key == "properties") {
      if (!v.is_object())
        continue;
      json::object props;
      for (const auto& p : v.get_object()) {
        SchemaOut c = convertSchema(p.value());
        if (c.nullable)
          nullableProps.insert(std::string(p.key()));
        props[p.key()] = std::move(c.schema);
      }
      if (!props.empty())
        out["properties"] = std::move(props);
    } else if (key == "additionalProperties") {
      if (v.is_bool()) {
        out[key] = v;
      } else if (v.is_object()) {
        SchemaOut c = convertSchema(v);
        if (!c.nullable)
          out[key] = std::move(c.schema);
      }
    } else if (key == "items") {
      if (v.is_object()) {
        out[key] = convertSchema(v).schema;
      } else if (v.is_array()) {
        json::array converted;
        for (const auto& e : v.get_array())
          converted.push_back(convertSchema(e).schema);
        out[key] = std::move(converted);
      }
    } else if (key == "type") {
      if (v.is_string() && v.get_string() != "null") {
        out[key] = v;
      } else if (v.is_array()) {
        json::array types;
        for (const auto& t : v.get_array())
          if (t.is_string() && t.get_string() != "null")
            types.push_back(t);
        if (types.size() == 1)
          out[key] = types[0];
      }
    } else if (key == "oneOf" || key == "anyOf") {
      if (v.is_array() && altType.empty())
        altType = typeFromAlternatives(v.get_array());
    } else if (key == "required" || key == "enum") {
      if (!v.is_array() || v.get_array().empty())
        continue;
      if (key == "required" && !std::all_of(v.get_array().begin(), v.get_array().end(),
                                            [](const json::value& e) { return e.is_string(); }))
        continue;
      out[key] = v;
    } else if (key == "description" || key == "format" || key == "title" || key == "pattern" ||
               key == "discriminator") {
      if (v.is_string())
        out[key] = v;
    } else if (key == "exclusiveMaximum" || key == "exclusiveMinimum" || key == "uniqueItems" ||
               key == "readOnly") {
      if (v.is_bool())
        out[key] = v;
    } else if (key == "maximum" || key == "minimum" || key == "multipleOf" || key == "maxLength" ||
               key == "minLength" || key == "maxItems" || key == "minItems" ||
               key == "maxProperties" || key == "minProperties") {
      if (v.is_number())
        out[key] = v;
    } else if (key == "example") {
      out[key] = v;
    }
    // default, nullable, not, writeOnly, deprecated, xml, externalDocs: not in kube's v2.
  }

  if (!out.contains("type") && !out.contains("$ref") && !altType.empty())
    out["type"] = altType;
  if (isTrue(*src, "x-kubernetes-int-or-string") ||
      stringOr(out, "format", "") == "int-or-string") {
    // IntOrString as kube's v2 spec writes it.
    out.erase("x-kubernetes-int-or-string");
    if (!out.contains("$ref")) {
      out["type"] = "string";
      out["format"] = "int-or-string";
    }
  }
  if (out.contains("$ref")) {
    // A reference carries no structure of its own (kube-openapi's v2 parser refuses one with a
    // type or properties).
    for (const char* k : {"type", "properties", "items", "additionalProperties", "allOf"})
      out.erase(k);
  }
  if (preserveUnknown || result.nullable) {
    // kube's v2 for schemas that keep unknown fields or may be null: no structure, so that
    // kubectl's client-side validation accepts what the server accepts.
    out.erase("properties");
    out.erase("items");
  }
  if (result.nullable)
    out.erase("type");
  if (stringOr(out, "type", "") == "array" && !out.contains("items"))
    out.erase("type");
  if (auto* req = out.if_contains("required"); req != nullptr && !nullableProps.empty()) {
    json::array kept;
    for (const auto& r : req->get_array())
      if (!nullableProps.contains(r.get_string()))
        kept.push_back(r);
    if (kept.empty())
      out.erase("required");
    else
      *req = std::move(kept);
  }
  if (auto* req = out.if_contains("required");
      req != nullptr && !out.contains("properties") && (preserveUnknown || result.nullable))
    out.erase("required");
  return result;
}

// ---------------------------------------------------------------------------------------------
// v3 -> v2: paths

/// Converter accumulates the v2 document from several v3 documents.
class Converter {
 public:
  void addDocument(const json::object& doc) {
    if (info_.empty()) {
      if (const auto* i = doc.if_contains("info"); i != nullptr && i->is_object()) {
        const auto& o = i->get_object();
        info_["title"] = stringOr(o, "title", "Kubernetes");
        info_["version"] = stringOr(o, "version", kKubernetesGitVersion);
      }
    }
    if (const auto* c = doc.if_contains("components"); c != nullptr && c->is_object())
      if (const auto* s = c->get_object().if_contains("schemas"); s != nullptr && s->is_object())
        for (const auto& kv : s->get_object())
          if (!definitions_.contains(kv.key()))  // the first group's copy of a shared schema
            definitions_[kv.key()] = convertSchema(kv.value()).schema;
    if (const auto* p = doc.if_contains("paths"); p != nullptr && p->is_object())
      for (const auto& kv : p->get_object())
        if (kv.value().is_object() && !paths_.contains(kv.key()))
          paths_[kv.key()] = pathItem(kv.value().get_object());
  }

  json::object finish() {
    if (needPatch_ && !definitions_.contains(kPatchName))
      definitions_[kPatchName] = json::object{
          {"description",
           "Patch is provided to give a concrete name and type to the Kubernetes PATCH request "
           "body."},
          {"type", "object"}};
    // kubectl refuses the whole document if a reference names no definition; publish an
    // unconstrained schema under any such name rather than a dangling reference.
    std::set<std::string, std::less<>> refs;
    collectRefs(definitions_, refs);
    collectRefs(paths_, refs);
    for (const auto& r : refs)
      if (r.starts_with(kV2SchemaRef)) {
        std::string_view name = std::string_view(r).substr(kV2SchemaRef.size());
        if (!definitions_.contains(name))
          definitions_[name] = json::object();
      }
    if (info_.empty())
      info_ = {{"title", "Kubernetes"}, {"version", kKubernetesGitVersion}};
    return {{"swagger", "2.0"},
            {"info", std::move(info_)},
            {"paths", std::move(paths_)},
            {"definitions", std::move(definitions_)}};
  }

 private:
  static void collectRefs(const json::value& v, std::set<std::string, std::less<>>& out) {
    if (const auto* o = v.if_object()) {
      for (const auto& kv : *o) {
        if (kv.key() == "$ref" && kv.value().is_string())
          out.insert(std::string(kv.value().get_string()));
        else
          collectRefs(kv.value(), out);
      }
    } else if (const auto* a = v.if_array()) {
      for (const auto& e : *a)
        collectRefs(e, out);
    }
  }
  static void collectRefs(const json::object& o, std::set<std::string, std::less<>>& out) {
    for (const auto& kv : o)
      collectRefs(kv.value(), out);
  }

  /// parameter converts a v3 query or path parameter; nullopt for what v2 documents of kube
  /// never hold (references to shared parameters, header and cookie parameters).
  static std::optional<json::object> parameter(const json::value& in) {
    const auto* p = in.if_object();
    if (p == nullptr || p->contains("$ref"))
      return std::nullopt;
    std::string_view where = stringOr(*p, "in", "");
    if (where != "query" && where != "path")
      return std::nullopt;
    json::object out;
    out["name"] = stringOr(*p, "name", "");
    out["in"] = where;
    if (const auto* d = p->if_contains("description"); d != nullptr && d->is_string())
      out["description"] = *d;
    if (where == "path" || isTrue(*p, "required"))
      out["required"] = true;
    std::string_view type = "string";
    if (const auto* s = p->if_contains("schema"); s != nullptr && s->is_object()) {
      const auto& so = s->get_object();
      type = stringOr(so, "type", "string");
      if (const auto* f = so.if_contains("format"); f != nullptr && f->is_string())
        out["format"] = *f;
      if (isTrue(so, "uniqueItems"))
        out["uniqueItems"] = true;
      if (const auto* e = so.if_contains("enum"); e != nullptr && e->is_array())
        out["enum"] = *e;
    }
    // Arrays would need `items`; kube's parameters are scalars.
    if (type != "string" && type != "integer" && type != "number" && type != "boolean")
      type = "string";
    out["type"] = type;
    for (const auto& kv : *p)
      if (isExtension(kv.key()))
        out[kv.key()] = kv.value();
    return out;
  }

  static json::array parameters(const json::value* in) {
    json::array out;
    if (in == nullptr || !in->is_array())
      return out;
    for (const auto& e : in->get_array())
      if (auto p = parameter(e))
        out.push_back(std::move(*p));
    return out;
  }

  /// firstSchema returns the schema of the first media type that has one, converted.
  static std::optional<json::object> firstSchema(const json::object& content) {
    for (const auto& kv : content)
      if (const auto* mt = kv.value().if_object())
        if (const auto* s = mt->if_contains("schema"); s != nullptr && s->is_object())
          return convertSchema(*s).schema;
    return std::nullopt;
  }

  static const json::object* contentOf(const json::object& o) {
    const auto* c = o.if_contains("content");
    return c != nullptr && c->is_object() ? &c->get_object() : nullptr;
  }

  json::object operation(std::string_view method, const json::object& op) {
    json::object out;
    for (const auto& kv : op) {
      const std::string_view key = kv.key();
      if (isExtension(key) ||
          ((key == "operationId" || key == "description" || key == "summary") &&
           kv.value().is_string()) ||
          (key == "tags" && kv.value().is_array()) || (key == "deprecated" && kv.value().is_bool()))
        out[key] = kv.value();
    }
    json::array params;
    if (const auto* rb = op.if_contains("requestBody"); rb != nullptr && rb->is_object()) {
      const auto& body = rb->get_object();
      json::array consumes;
      std::optional<json::object> schema;
      if (const auto* content = contentOf(body)) {
        for (const auto& kv : *content)
          consumes.emplace_back(kv.key());
        schema = firstSchema(*content);
      }
      if (!schema) {
        // kube's PATCH body is the Patch definition (any JSON); other bodies are objects.
        if (method == "patch" || stringOr(op, "x-kubernetes-action", "") == "patch") {
          needPatch_ = true;
          schema = json::object{{"$ref", std::string(kV2SchemaRef) + std::string(kPatchName)}};
        } else {
          schema = json::object{{"type", "object"}};
        }
      }
      json::object bp{{"name", "body"}, {"in", "body"}, {"schema", std::move(*schema)}};
      if (isTrue(body, "required"))
        bp["required"] = true;
      if (const auto* d = body.if_contains("description"); d != nullptr && d->is_string())
        bp["description"] = *d;
      params.push_back(std::move(bp));
      if (!consumes.empty())
        out["consumes"] = std::move(consumes);
    }
    for (auto& p : parameters(op.if_contains("parameters")))
      params.push_back(std::move(p));
    if (!params.empty())
      out["parameters"] = std::move(params);

    json::object responses;
    json::array produces;
    std::set<std::string, std::less<>> seen;
    if (const auto* rs = op.if_contains("responses"); rs != nullptr && rs->is_object()) {
      for (const auto& kv : rs->get_object()) {
        const auto* r = kv.value().if_object();
        if (r == nullptr)
          continue;
        json::object resp{{"description", stringOr(*r, "description", "")}};
        if (const auto* content = contentOf(*r)) {
          for (const auto& mt : *content)
            if (seen.insert(std::string(mt.key())).second)
              produces.emplace_back(mt.key());
          if (auto s = firstSchema(*content))
            resp["schema"] = std::move(*s);
        }
        responses[kv.key()] = std::move(resp);
      }
    }
    if (!produces.empty())
      out["produces"] = std::move(produces);
    out["responses"] = std::move(responses);  // required in v2
    return out;
  }

  json::object pathItem(const json::object& item) {
    json::object out;
    for (const auto& kv : item) {
      const std::string_view key = kv.key();
      if (isExtension(key)) {
        out[key] = kv.value();
      } else if (key == "parameters") {
        json::array p = parameters(&kv.value());
        if (!p.empty())
          out[key] = std::move(p);
      } else if (std::find(kMethods.begin(), kMethods.end(), key) != kMethods.end() &&
                 kv.value().is_object()) {
        out[key] = operation(key, kv.value().get_object());
      }
    }
    return out;
  }

  json::object info_;
  json::object paths_;
  json::object definitions_;
  bool needPatch_ = false;
};

/// sortKeys orders every object's keys (Go's encoding of kube's spec does), recursively.
void sortKeys(json::value& v) {
  if (auto* o = v.if_object()) {
    std::vector<std::pair<std::string, json::value>> items;
    items.reserve(o->size());
    for (auto& kv : *o)
      items.emplace_back(std::string(kv.key()), std::move(kv.value()));
    std::sort(items.begin(), items.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    json::object sorted(o->storage());
    sorted.reserve(items.size());
    for (auto& [k, val] : items) {
      sortKeys(val);
      sorted.emplace(k, std::move(val));
    }
    *o = std::move(sorted);
  } else if (auto* a = v.if_array()) {
    for (auto& e : *a)
      sortKeys(e);
  }
}

// ---------------------------------------------------------------------------------------------
// v2 JSON -> gnostic protobuf

using Extensions = google::protobuf::RepeatedPtrField<pb::NamedAny>;

ApiError encodingError(std::string_view where, std::string_view what) {
  return ApiError::internal("OpenAPI v2: " + std::string(where) + ": " + std::string(what));
}

Result<void> typeError(std::string_view where, std::string_view what) {
  return fail(encodingError(where, what));
}

void setAny(const json::value& v, pb::Any* out) {
  out->set_yaml(codec::jsonToYaml(v));
}

void addExtensions(const json::object& o, Extensions* out) {
  for (const auto& kv : o)
    if (isExtension(kv.key())) {
      pb::NamedAny* e = out->Add();
      e->set_name(std::string(kv.key()));
      setAny(kv.value(), e->mutable_value());
    }
}

double toDouble(const json::value& v) {
  if (v.is_int64())
    return static_cast<double>(v.get_int64());
  if (v.is_uint64())
    return static_cast<double>(v.get_uint64());
  return v.get_double();
}

std::int64_t toInt64(const json::value& v) {
  if (v.is_int64())
    return v.get_int64();
  if (v.is_uint64())
    return static_cast<std::int64_t>(v.get_uint64());
  return static_cast<std::int64_t>(v.get_double());
}

Result<void> encodeSchema(const json::object& s, pb::Schema* out, const std::string& where);

Result<void> encodeSchemaValue(const json::value& v, pb::Schema* out, const std::string& where) {
  if (!v.is_object())
    return typeError(where, "a schema must be an object");
  return encodeSchema(v.get_object(), out, where);
}

Result<void> encodeSchema(const json::object& s, pb::Schema* out, const std::string& where) {
  for (const auto& kv : s) {
    const std::string_view key = kv.key();
    const json::value& v = kv.value();
    const std::string at = where + "." + std::string(key);
    auto wantString = [&]() -> Result<void> {
      if (!v.is_string())
        return typeError(at, "must be a string");
      return {};
    };
    if (isExtension(key))
      continue;  // below, in document order
    if (key == "$ref" || key == "format" || key == "title" || key == "description" ||
        key == "pattern" || key == "discriminator") {
      if (auto r = wantString(); !r)
        return r;
      std::string str(v.get_string());
      if (key == "$ref")
        out->set__ref(std::move(str));
      if (key == "format")
        out->set_format(std::move(str));
      if (key == "title")
        out->set_title(std::move(str));
      if (key == "description")
        out->set_description(std::move(str));
      if (key == "pattern")
        out->set_pattern(std::move(str));
      if (key == "discriminator")
        out->set_discriminator(std::move(str));
    } else if (key == "default") {
      setAny(v, out->mutable_default_());
    } else if (key == "example") {
      setAny(v, out->mutable_example());
    } else if (key == "multipleOf" || key == "maximum" || key == "minimum") {
      if (!v.is_number())
        return typeError(at, "must be a number");
      if (key == "multipleOf")
        out->set_multiple_of(toDouble(v));
      if (key == "maximum")
        out->set_maximum(toDouble(v));
      if (key == "minimum")
        out->set_minimum(toDouble(v));
    } else if (key == "maxLength" || key == "minLength" || key == "maxItems" || key == "minItems" ||
               key == "maxProperties" || key == "minProperties") {
      if (!v.is_number())
        return typeError(at, "must be a number");
      const std::int64_t n = toInt64(v);
      if (key == "maxLength")
        out->set_max_length(n);
      if (key == "minLength")
        out->set_min_length(n);
      if (key == "maxItems")
        out->set_max_items(n);
      if (key == "minItems")
        out->set_min_items(n);
      if (key == "maxProperties")
        out->set_max_properties(n);
      if (key == "minProperties")
        out->set_min_properties(n);
    } else if (key == "exclusiveMaximum" || key == "exclusiveMinimum" || key == "uniqueItems" ||
               key == "readOnly") {
      if (!v.is_bool())
        return typeError(at, "must be a boolean");
      if (key == "exclusiveMaximum")
        out->set_exclusive_maximum(v.get_bool());
      if (key == "exclusiveMinimum")
        out->set_exclusive_minimum(v.get_bool());
      if (key == "uniqueItems")
        out->set_unique_items(v.get_bool());
      if (key == "readOnly")
        out->set_read_only(v.get_bool());
    } else if (key == "required") {
      if (!v.is_array())
        return typeError(at, "must be an array");
      for (const auto& e : v.get_array()) {
        if (!e.is_string())
          return typeError(at, "must hold strings");
        out->add_required(std::string(e.get_string()));
      }
    } else if (key == "enum") {
      if (!v.is_array())
        return typeError(at, "must be an array");
      for (const auto& e : v.get_array())
        setAny(e, out->add_enum_());
    } else if (key == "additionalProperties") {
      if (v.is_bool()) {
        out->mutable_additional_properties()->set_boolean(v.get_bool());
      } else if (auto r = encodeSchemaValue(
                     v, out->mutable_additional_properties()->mutable_schema(), at);
                 !r) {
        return r;
      }
    } else if (key == "type") {
      if (v.is_string()) {
        out->mutable_type()->add_value(std::string(v.get_string()));
      } else if (v.is_array()) {
        for (const auto& t : v.get_array()) {
          if (!t.is_string())
            return typeError(at, "must hold strings");
          out->mutable_type()->add_value(std::string(t.get_string()));
        }
      } else {
        return typeError(at, "must be a string or an array");
      }
    } else if (key == "items") {
      if (v.is_array()) {
        for (const auto& e : v.get_array())
          if (auto r = encodeSchemaValue(e, out->mutable_items()->add_schema(), at); !r)
            return r;
      } else if (auto r = encodeSchemaValue(v, out->mutable_items()->add_schema(), at); !r) {
        return r;
      }
    } else if (key == "allOf") {
      if (!v.is_array())
        return typeError(at, "must be an array");
      for (const auto& e : v.get_array())
        if (auto r = encodeSchemaValue(e, out->add_all_of(), at); !r)
          return r;
    } else if (key == "properties") {
      if (!v.is_object())
        return typeError(at, "must be an object");
      pb::Properties* props = out->mutable_properties();
      for (const auto& p : v.get_object()) {
        pb::NamedSchema* ns = props->add_additional_properties();
        ns->set_name(std::string(p.key()));
        if (auto r =
                encodeSchemaValue(p.value(), ns->mutable_value(), at + "." + std::string(p.key()));
            !r)
          return r;
      }
    }
    // Anything else has no field in gnostic's Schema (toSwagger never writes it).
  }
  addExtensions(s, out->mutable_vendor_extension());
  return {};
}

template <class Sub>
void encodeNonBody(const json::object& p, Sub* out) {
  for (const auto& kv : p) {
    const std::string_view key = kv.key();
    const json::value& v = kv.value();
    if (key == "required" && v.is_bool())
      out->set_required(v.get_bool());
    if (key == "in" && v.is_string())
      out->set_in(std::string(v.get_string()));
    if (key == "description" && v.is_string())
      out->set_description(std::string(v.get_string()));
    if (key == "name" && v.is_string())
      out->set_name(std::string(v.get_string()));
    if (key == "type" && v.is_string())
      out->set_type(std::string(v.get_string()));
    if (key == "format" && v.is_string())
      out->set_format(std::string(v.get_string()));
    if (key == "uniqueItems" && v.is_bool())
      out->set_unique_items(v.get_bool());
    if (key == "default")
      setAny(v, out->mutable_default_());
    if (key == "enum" && v.is_array())
      for (const auto& e : v.get_array())
        setAny(e, out->add_enum_());
  }
  addExtensions(p, out->mutable_vendor_extension());
}

Result<void> encodeParameter(const json::value& v, pb::ParametersItem* out,
                             const std::string& where) {
  if (!v.is_object())
    return typeError(where, "a parameter must be an object");
  const json::object& p = v.get_object();
  if (const auto* ref = p.if_contains("$ref")) {
    if (!ref->is_string())
      return typeError(where, "$ref must be a string");
    out->mutable_json_reference()->set__ref(std::string(ref->get_string()));
    return {};
  }
  std::string_view in = stringOr(p, "in", "");
  if (in == "body") {
    pb::BodyParameter* b = out->mutable_parameter()->mutable_body_parameter();
    b->set_in("body");
    b->set_name(std::string(stringOr(p, "name", "body")));
    b->set_description(std::string(stringOr(p, "description", "")));
    b->set_required(isTrue(p, "required"));
    if (const auto* s = p.if_contains("schema"))
      if (auto r = encodeSchemaValue(*s, b->mutable_schema(), where + ".schema"); !r)
        return r;
    addExtensions(p, b->mutable_vendor_extension());
  } else if (in == "query") {
    encodeNonBody(p, out->mutable_parameter()
                         ->mutable_non_body_parameter()
                         ->mutable_query_parameter_sub_schema());
  } else if (in == "path") {
    encodeNonBody(p, out->mutable_parameter()
                         ->mutable_non_body_parameter()
                         ->mutable_path_parameter_sub_schema());
  } else {
    return typeError(where, "parameters \"in\": \"" + std::string(in) + "\" are not supported");
  }
  return {};
}

Result<void> encodeParameters(const json::object& o,
                              google::protobuf::RepeatedPtrField<pb::ParametersItem>* out,
                              const std::string& where) {
  const auto* ps = o.if_contains("parameters");
  if (ps == nullptr)
    return {};
  if (!ps->is_array())
    return typeError(where, "parameters must be an array");
  for (const auto& p : ps->get_array())
    if (auto r = encodeParameter(p, out->Add(), where + ".parameters"); !r)
      return r;
  return {};
}

void addStrings(const json::object& o, std::string_view key,
                google::protobuf::RepeatedPtrField<std::string>* out) {
  if (const auto* a = o.if_contains(key); a != nullptr && a->is_array())
    for (const auto& e : a->get_array())
      if (e.is_string())
        out->Add(std::string(e.get_string()));
}

Result<void> encodeOperation(const json::object& op, pb::Operation* out, const std::string& where) {
  addStrings(op, "tags", out->mutable_tags());
  out->set_summary(std::string(stringOr(op, "summary", "")));
  out->set_description(std::string(stringOr(op, "description", "")));
  out->set_operation_id(std::string(stringOr(op, "operationId", "")));
  addStrings(op, "produces", out->mutable_produces());
  addStrings(op, "consumes", out->mutable_consumes());
  if (auto r = encodeParameters(op, out->mutable_parameters(), where); !r)
    return r;
  if (const auto* rs = op.if_contains("responses"); rs != nullptr && rs->is_object()) {
    pb::Responses* responses = out->mutable_responses();
    for (const auto& kv : rs->get_object()) {
      if (isExtension(kv.key()) || !kv.value().is_object())
        continue;
      const json::object& r = kv.value().get_object();
      pb::NamedResponseValue* nr = responses->add_response_code();
      nr->set_name(std::string(kv.key()));
      if (const auto* ref = r.if_contains("$ref"); ref != nullptr && ref->is_string()) {
        nr->mutable_value()->mutable_json_reference()->set__ref(std::string(ref->get_string()));
        continue;
      }
      pb::Response* resp = nr->mutable_value()->mutable_response();
      resp->set_description(std::string(stringOr(r, "description", "")));
      if (const auto* s = r.if_contains("schema"))
        if (auto e = encodeSchemaValue(*s, resp->mutable_schema()->mutable_schema(),
                                       where + ".responses." + std::string(kv.key()));
            !e)
          return e;
      addExtensions(r, resp->mutable_vendor_extension());
    }
    addExtensions(rs->get_object(), responses->mutable_vendor_extension());
  }
  addStrings(op, "schemes", out->mutable_schemes());
  out->set_deprecated(isTrue(op, "deprecated"));
  addExtensions(op, out->mutable_vendor_extension());
  return {};
}

Result<void> encodePathItem(const json::object& item, pb::PathItem* out, const std::string& where) {
  out->set__ref(std::string(stringOr(item, "$ref", "")));
  for (std::string_view method : kMethods) {
    const auto* op = item.if_contains(method);
    if (op == nullptr)
      continue;
    if (!op->is_object())
      return typeError(where, "operations must be objects");
    pb::Operation* o = nullptr;
    if (method == "get")
      o = out->mutable_get();
    if (method == "put")
      o = out->mutable_put();
    if (method == "post")
      o = out->mutable_post();
    if (method == "delete")
      o = out->mutable_delete_();
    if (method == "options")
      o = out->mutable_options();
    if (method == "head")
      o = out->mutable_head();
    if (method == "patch")
      o = out->mutable_patch();
    if (auto r = encodeOperation(op->get_object(), o, where + "." + std::string(method)); !r)
      return r;
  }
  if (auto r = encodeParameters(item, out->mutable_parameters(), where); !r)
    return r;
  addExtensions(item, out->mutable_vendor_extension());
  return {};
}

// ---------------------------------------------------------------------------------------------
// serving

std::string sha512Hex(const std::string& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha512(), nullptr) != 1)
    return {};
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xF]);
  }
  return out;
}

std::string httpDateNow() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday % 7],
                tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

/// AcceptClause is one media range of an Accept header (goautoneg's Accept).
struct AcceptClause {
  std::string type;
  std::string subType;
  double q = 1.0;
};

/// parseAccept splits an Accept header and orders it as goautoneg does: higher q first, then
/// concrete types before wildcards; otherwise in the order sent.
std::vector<AcceptClause> parseAccept(std::string_view header) {
  std::vector<AcceptClause> out;
  while (true) {
    const auto comma = header.find(',');
    std::string_view part = trimOws(header.substr(0, comma));
    std::string_view range = trimOws(part.substr(0, part.find(';')));
    AcceptClause c;
    const auto slash = range.find('/');
    bool ok = true;
    if (slash == std::string_view::npos) {
      ok = range == "*";
      c.type = "*";
      c.subType = "*";
    } else if (range.find('/', slash + 1) != std::string_view::npos) {
      ok = false;
    } else {
      c.type = std::string(trimOws(range.substr(0, slash)));
      c.subType = std::string(trimOws(range.substr(slash + 1)));
    }
    for (auto semi = part.find(';'); ok && semi != std::string_view::npos;) {
      std::string_view rest = part.substr(semi + 1);
      const auto next = rest.find(';');
      std::string_view param = rest.substr(0, next);
      const auto eq = param.find('=');
      if (eq != std::string_view::npos && trimOws(param.substr(0, eq)) == "q") {
        std::string val(trimOws(param.substr(eq + 1)));
        char* end = nullptr;
        const double q = std::strtod(val.c_str(), &end);
        c.q = end != val.c_str() ? q : 0.0;
      }
      semi = next == std::string_view::npos ? std::string_view::npos : semi + 1 + next;
    }
    if (ok)
      out.push_back(std::move(c));
    if (comma == std::string_view::npos)
      break;
    header.remove_prefix(comma + 1);
  }
  std::stable_sort(out.begin(), out.end(), [](const AcceptClause& a, const AcceptClause& b) {
    if (a.q != b.q)
      return a.q > b.q;
    if ((a.type == "*") != (b.type == "*"))
      return b.type == "*";
    return a.subType != "*" && b.subType == "*";
  });
  return out;
}

/// etagMatches is net/http's If-None-Match test (weak comparison; `*` matches anything).
bool etagMatches(std::string_view header, std::string_view etag) {
  auto opaque = [](std::string_view t) {
    if (t.starts_with("W/"))
      t.remove_prefix(2);
    return t;
  };
  while (true) {
    header = trimOws(header);
    if (header.empty())
      return false;
    if (header.front() == ',') {
      header.remove_prefix(1);
      continue;
    }
    if (header.front() == '*')
      return true;
    std::size_t start = header.starts_with("W/") ? 2 : 0;
    if (header.size() <= start || header[start] != '"')
      return false;
    const auto close = header.find('"', start + 1);
    if (close == std::string_view::npos)
      return false;
    if (opaque(header.substr(0, close + 1)) == opaque(etag))
      return true;
    header.remove_prefix(close + 1);
  }
}

}  // namespace

boost::json::object toSwagger(const std::vector<boost::json::object>& v3Documents) {
  Converter c;
  for (const auto& d : v3Documents)
    c.addDocument(d);
  json::value doc = c.finish();
  sortKeys(doc);
  return std::move(doc.get_object());
}

Result<std::string> encodeSwaggerProto(const boost::json::object& swagger) {
  pb::Document doc;
  doc.set_swagger(std::string(stringOr(swagger, "swagger", "2.0")));
  if (const auto* i = swagger.if_contains("info"); i != nullptr && i->is_object()) {
    const auto& o = i->get_object();
    pb::Info* info = doc.mutable_info();
    info->set_title(std::string(stringOr(o, "title", "")));
    info->set_version(std::string(stringOr(o, "version", "")));
    info->set_description(std::string(stringOr(o, "description", "")));
    addExtensions(o, info->mutable_vendor_extension());
  }
  doc.set_host(std::string(stringOr(swagger, "host", "")));
  doc.set_base_path(std::string(stringOr(swagger, "basePath", "")));
  addStrings(swagger, "schemes", doc.mutable_schemes());
  addStrings(swagger, "consumes", doc.mutable_consumes());
  addStrings(swagger, "produces", doc.mutable_produces());
  if (const auto* p = swagger.if_contains("paths"); p != nullptr && p->is_object()) {
    pb::Paths* paths = doc.mutable_paths();
    for (const auto& kv : p->get_object()) {
      if (isExtension(kv.key()))
        continue;
      if (!kv.value().is_object())
        return fail(encodingError(kv.key(), "a path item must be an object"));
      pb::NamedPathItem* np = paths->add_path();
      np->set_name(std::string(kv.key()));
      if (auto r = encodePathItem(kv.value().get_object(), np->mutable_value(),
                                  "paths." + std::string(kv.key()));
          !r)
        return fail(std::move(r).error());
    }
    addExtensions(p->get_object(), paths->mutable_vendor_extension());
  }
  if (const auto* d = swagger.if_contains("definitions"); d != nullptr && d->is_object()) {
    pb::Definitions* defs = doc.mutable_definitions();
    for (const auto& kv : d->get_object()) {
      pb::NamedSchema* ns = defs->add_additional_properties();
      ns->set_name(std::string(kv.key()));
      if (auto r = encodeSchemaValue(kv.value(), ns->mutable_value(),
                                     "definitions." + std::string(kv.key()));
          !r)
        return fail(std::move(r).error());
    }
  }
  addExtensions(swagger, doc.mutable_vendor_extension());
  std::string out;
  if (!doc.SerializeToString(&out))
    return fail(ApiError::internal("OpenAPI v2: protobuf encoding failed"));
  return out;
}

Result<std::shared_ptr<const OpenApiV2>> OpenApiV2::build(
    const std::map<std::string, SharedBytes, std::less<>>& v3Documents) {
  try {
    std::vector<json::object> docs;
    docs.reserve(v3Documents.size());
    for (const auto& [gv, bytes] : v3Documents) {
      boost::system::error_code ec;
      json::value v = json::parse(bytes ? *bytes : std::string("{}"), ec);
      if (ec || !v.is_object())
        return fail(ApiError::internal("OpenAPI v2: the v3 document of " + gv + " does not parse"));
      docs.push_back(std::move(v.get_object()));
    }
    json::object swagger = toSwagger(docs);
    auto proto = encodeSwaggerProto(swagger);
    if (!proto)
      return fail(std::move(proto).error());
    auto out = std::make_shared<OpenApiV2>();
    std::string text = json::serialize(swagger);
    out->etag_ = "\"" + sha512Hex(text) + "\"";
    out->json_ = makeBytes(std::move(text));
    out->protobuf_ = makeBytes(std::move(*proto));
    out->lastModified_ = httpDateNow();
    return std::shared_ptr<const OpenApiV2>(std::move(out));
  } catch (const std::exception& e) {
    return fail(ApiError::internal(std::string("OpenAPI v2: ") + e.what()));
  }
}

std::optional<Response> OpenApiV2::serve(const Request& req) const {
  if (req.path != "/openapi/v2")
    return std::nullopt;
  const std::string accept(req.header("Accept").value_or(""));
  Response r;
  r.headers.emplace_back("Vary", "Accept");
  for (const auto& c : parseAccept(accept.empty() ? std::string_view("*/*") : accept)) {
    if (c.type != "application" && c.type != "*")
      continue;
    SharedBytes body;
    if (c.subType == "json" || c.subType == "*") {
      body = json_;
      r.contentType = "application/json";
    } else if (c.subType == kProtobufType || c.subType == kProtobufTypeDeprecated) {
      body = protobuf_;
      r.contentType = "application/" + std::string(kProtobufType);
    } else {
      continue;
    }
    r.headers.emplace_back("X-Varied-Accept", accept);
    r.headers.emplace_back("Etag", etag_);
    if (const auto inm = req.header("If-None-Match"); inm && etagMatches(*inm, etag_)) {
      r.status = 304;  // net/http's ServeContent: no body, no Last-Modified next to an ETag
      return r;
    }
    r.headers.emplace_back("Last-Modified", lastModified_);
    if (req.method != "HEAD")
      r.body.push_back(std::move(body));
    return r;
  }
  r.status = 406;
  r.contentType = "text/plain; charset=utf-8";
  return r;
}

}  // namespace apiserver::server
