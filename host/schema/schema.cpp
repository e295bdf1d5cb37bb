#include "schema/schema.h"

#include <algorithm>
#include <string>
#include <utility>

namespace apiserver::schema {

/// SchemaSetData is the heap storage a SchemaSet owns; nodes point into it, so it never moves.
struct SchemaSetData {
  json::object root;
  json::object definitions;
};

namespace {

/// kMaxRefDepth bounds one node's $ref/allOf resolution (a guard against `$ref` cycles in
/// addition to the "already a layer" check).
constexpr int kMaxRefDepth = 16;

/// decodePointerToken undoes RFC 6901 escaping of one reference token ("~1" -> "/", "~0" -> "~").
std::string decodePointerToken(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '~' && i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
      out.push_back(token[i + 1] == '0' ? '~' : '/');
      ++i;
    } else {
      out.push_back(token[i]);
    }
  }
  return out;
}

/// resolveRef finds the definition a local `$ref` names; nullptr for anything else.
const json::object* resolveRef(const SchemaSetData& set, std::string_view ref,
                               std::string_view* nameOut) {
  constexpr std::string_view kV3 = "#/components/schemas/";
  constexpr std::string_view kV2 = "#/definitions/";
  std::string_view raw;
  if (ref.substr(0, kV3.size()) == kV3) {
    raw = ref.substr(kV3.size());
  } else if (ref.substr(0, kV2.size()) == kV2) {
    raw = ref.substr(kV2.size());
  } else {
    return nullptr;
  }
  if (raw.find('/') != std::string_view::npos)
    return nullptr;  // deeper pointers: unsupported
  // Definition names rarely need RFC 6901 unescaping; looked up as they are, they cost no copy.
  auto it = raw.find('~') == std::string_view::npos ? set.definitions.find(raw)
                                                    : set.definitions.find(decodePointerToken(raw));
  if (it == set.definitions.end() || !it->value().is_object())
    return nullptr;
  *nameOut = it->key();
  return &it->value().get_object();
}

std::string_view stringOf(const json::value* v) {
  return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

bool trueOf(const json::value* v) {
  return v != nullptr && v->is_bool() && v->get_bool();
}

std::vector<std::string_view> stringsOf(const json::value* v) {
  std::vector<std::string_view> out;
  if (v == nullptr || !v->is_array())
    return out;
  for (const auto& e : v->get_array())
    if (e.is_string())
      out.emplace_back(e.get_string());
  return out;
}

}  // namespace

// --- SchemaNode ---

SchemaNode::SchemaNode(const SchemaSetData* set, const json::object* site) : set_(set) {
  if (site != nullptr)
    addLayer(site, 0);
}

SchemaNode::SchemaNode(const SchemaSetData* set, const json::value* site) : set_(set) {
  if (site != nullptr && site->is_object())
    addLayer(&site->get_object(), 0);
}

void SchemaNode::addLayer(const json::object* layer, int depth) {
  if (count_ >= kMaxLayers || depth > kMaxRefDepth)
    return;
  for (std::size_t i = 0; i < count_; ++i)
    if (layers_[i] == layer)
      return;  // a $ref cycle: this layer is already part of the node
  layers_[count_++] = layer;
  if (const auto* ref = layer->if_contains("$ref"); ref != nullptr && ref->is_string() && set_) {
    std::string_view name;
    if (const json::object* target = resolveRef(*set_, ref->get_string(), &name)) {
      if (definition_.empty())
        definition_ = name;
      addLayer(target, depth + 1);
    }
  }
  if (const auto* all = layer->if_contains("allOf"); all != nullptr && all->is_array()) {
    for (const auto& part : all->get_array())
      if (part.is_object())
        addLayer(&part.get_object(), depth + 1);
  }
}

const json::value* SchemaNode::keyword(std::string_view name) const {
  for (std::size_t i = 0; i < count_; ++i)
    if (const json::value* v = layers_[i]->if_contains(name))
      return v;
  return nullptr;
}

SchemaNode SchemaNode::field(std::string_view name) const {
  for (std::size_t i = 0; i < count_; ++i) {
    const json::value* props = layers_[i]->if_contains("properties");
    if (props == nullptr || !props->is_object())
      continue;
    if (const json::value* p = props->get_object().if_contains(name); p && p->is_object())
      return SchemaNode(set_, &p->get_object());
  }
  return additionalProperties();
}

bool SchemaNode::hasProperty(std::string_view name) const {
  for (std::size_t i = 0; i < count_; ++i) {
    const json::value* props = layers_[i]->if_contains("properties");
    if (props != nullptr && props->is_object() && props->get_object().contains(name))
      return true;
  }
  return false;
}

std::optional<SchemaNode> SchemaNode::property(std::string_view name) const {
  bool declared = false;
  for (std::size_t i = 0; i < count_; ++i) {
    const json::value* props = layers_[i]->if_contains("properties");
    if (props == nullptr || !props->is_object())
      continue;
    if (const json::value* p = props->get_object().if_contains(name)) {
      if (p->is_object())
        return SchemaNode(set_, &p->get_object());
      declared = true;
    }
  }
  if (!declared)
    return std::nullopt;
  return additionalProperties();
}

SchemaNode SchemaNode::items() const {
  const json::value* v = keyword("items");
  if (v == nullptr || !v->is_object())
    return {};
  return SchemaNode(set_, &v->get_object());
}

SchemaNode SchemaNode::additionalProperties() const {
  const json::value* v = keyword("additionalProperties");
  if (v == nullptr || !v->is_object())
    return {};
  return SchemaNode(set_, &v->get_object());
}

Type SchemaNode::type() const {
  std::string_view t = stringOf(keyword("type"));
  if (t == "object")
    return Type::Object;
  if (t == "array")
    return Type::Array;
  if (t == "string")
    return Type::String;
  if (t == "integer")
    return Type::Integer;
  if (t == "number")
    return Type::Number;
  if (t == "boolean")
    return Type::Boolean;
  if (!t.empty())
    return Type::Unknown;
  const json::value* props = keyword("properties");
  if (props != nullptr && props->is_object())
    return Type::Object;
  const json::value* ap = keyword("additionalProperties");
  if (ap != nullptr && ap->is_object())
    return Type::Object;
  const json::value* items = keyword("items");
  if (items != nullptr && items->is_object())
    return Type::Array;
  return Type::Unknown;
}

std::string_view SchemaNode::format() const {
  return stringOf(keyword("format"));
}

std::string_view SchemaNode::description() const {
  return stringOf(keyword("description"));
}

std::vector<std::string_view> SchemaNode::required() const {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < count_; ++i) {
    for (std::string_view name : stringsOf(layers_[i]->if_contains("required")))
      if (std::find(out.begin(), out.end(), name) == out.end())
        out.push_back(name);
  }
  return out;
}

bool SchemaNode::hasProperties() const {
  for (std::size_t i = 0; i < count_; ++i) {
    const json::value* props = layers_[i]->if_contains("properties");
    if (props == nullptr || !props->is_object())
      continue;
    for (const auto& kv : props->get_object())
      if (kv.value().is_object())
        return true;
  }
  return false;
}

std::vector<Property> SchemaNode::properties() const {
  std::vector<Property> out;
  for (std::size_t i = 0; i < count_; ++i) {
    const json::value* props = layers_[i]->if_contains("properties");
    if (props == nullptr || !props->is_object())
      continue;
    for (const auto& kv : props->get_object()) {
      if (!kv.value().is_object())
        continue;
      std::string_view name = kv.key();
      bool seen =
          std::any_of(out.begin(), out.end(), [&](const Property& p) { return p.name == name; });
      if (!seen)
        out.push_back(Property{name, SchemaNode(set_, &kv.value().get_object())});
    }
  }
  return out;
}

std::string_view SchemaNode::patchMergeKey() const {
  return stringOf(keyword("x-kubernetes-patch-merge-key"));
}

std::vector<std::string_view> SchemaNode::patchStrategies() const {
  std::vector<std::string_view> out;
  std::string_view s = stringOf(keyword("x-kubernetes-patch-strategy"));
  if (s.empty())
    return out;
  // Split exactly as kube does (strings.Split(tag, ",")): empty parts are kept.
  while (true) {
    std::size_t comma = s.find(',');
    out.push_back(s.substr(0, comma));
    if (comma == std::string_view::npos)
      break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

ListType SchemaNode::listType() const {
  std::string_view t = stringOf(keyword("x-kubernetes-list-type"));
  if (t == "atomic")
    return ListType::Atomic;
  if (t == "set")
    return ListType::Set;
  if (t == "map")
    return ListType::Map;
  return ListType::Unspecified;
}

std::vector<std::string_view> SchemaNode::listMapKeys() const {
  return stringsOf(keyword("x-kubernetes-list-map-keys"));
}

MapType SchemaNode::mapType() const {
  std::string_view t = stringOf(keyword("x-kubernetes-map-type"));
  if (t == "atomic")
    return MapType::Atomic;
  if (t == "granular")
    return MapType::Granular;
  return MapType::Unspecified;
}

bool SchemaNode::preservesUnknownFields() const {
  return trueOf(keyword("x-kubernetes-preserve-unknown-fields"));
}

bool SchemaNode::isIntOrString() const {
  return trueOf(keyword("x-kubernetes-int-or-string"));
}

bool SchemaNode::isEmbeddedResource() const {
  return trueOf(keyword("x-kubernetes-embedded-resource"));
}

// --- SchemaSet ---

SchemaSet::SchemaSet() : data_(std::make_unique<SchemaSetData>()) {}

SchemaSet::SchemaSet(json::object root, json::object definitions)
    : data_(
          std::make_unique<SchemaSetData>(SchemaSetData{std::move(root), std::move(definitions)})) {
}

SchemaSet::SchemaSet(SchemaSet&&) noexcept = default;
SchemaSet& SchemaSet::operator=(SchemaSet&&) noexcept = default;
SchemaSet::~SchemaSet() = default;

SchemaSet SchemaSet::fromResource(const ResourceSpec& spec) {
  json::object definitions = spec.definitions;
  if (!spec.schemaName.empty() && !spec.schema.empty() && !definitions.contains(spec.schemaName))
    definitions[spec.schemaName] = spec.schema;
  return SchemaSet(spec.schema, std::move(definitions));
}

Result<SchemaSet> SchemaSet::fromDocument(const json::value& document, std::string_view rootName) {
  const json::object* defs = nullptr;
  if (const json::object* doc = document.if_object()) {
    defs = doc;
    if (const auto* components = doc->if_contains("components");
        components && components->is_object()) {
      if (const auto* schemas = components->get_object().if_contains("schemas");
          schemas && schemas->is_object())
        defs = &schemas->get_object();
    } else if (const auto* v2 = doc->if_contains("definitions"); v2 && v2->is_object()) {
      defs = &v2->get_object();
    }
  }
  if (defs == nullptr)
    return fail(ApiError::internal("OpenAPI document is not a JSON object"));
  const json::value* root = defs->if_contains(rootName);
  if (root == nullptr || !root->is_object())
    return fail(
        ApiError::internal("OpenAPI document has no schema \"" + std::string(rootName) + "\""));
  return SchemaSet(root->get_object(), *defs);
}

SchemaNode SchemaSet::root() const {
  if (!data_ || data_->root.empty())
    return {};
  return SchemaNode(data_.get(), &data_->root);
}

SchemaNode SchemaSet::definition(std::string_view name) const {
  if (!data_)
    return {};
  return SchemaNode(data_.get(), data_->definitions.if_contains(name));
}

const json::object& SchemaSet::definitions() const {
  static const json::object kEmpty;  // only for a moved-from set
  return data_ ? data_->definitions : kEmpty;
}

}  // namespace apiserver::schema
