#include "schema/schema.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>

namespace apiserver::schema {

namespace {

/// PropertyEntry is one declared property name of a node, for lookup by name.
struct PropertyEntry {
  std::string_view name;
  const CompiledSite* site;  ///< the first object-valued declaration; nullptr when none is one
};

/// nameOrder orders property names by length, then bytes: most comparisons of a lookup are
/// decided by the length, without comparing characters.
bool nameOrder(std::string_view a, std::string_view b) noexcept {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

/// nameHash mixes a property name's length with its first and last eight bytes: enough to tell
/// a schema's names apart in a few instructions (a collision only costs a probe).
std::uint64_t nameHash(std::string_view name) noexcept {
  std::uint64_t head = 0;
  std::uint64_t tail = 0;
  if (name.size() >= 8) {
    std::memcpy(&head, name.data(), 8);
    std::memcpy(&tail, name.data() + name.size() - 8, 8);
  } else if (!name.empty()) {
    std::memcpy(&head, name.data(), name.size());
  }
  std::uint64_t h = head * 0x9E3779B97F4A7C15ULL ^ (tail + name.size()) * 0xC2B2AE3D27D4EB4FULL;
  return h ^ (h >> 29);
}

}  // namespace

/// PropertyTable is the merged `properties` of a node's layers. It depends only on the sequence
/// of the layers' `properties` objects, so nodes with the same sequence (every field that refers
/// to PodSpec, say) share one table.
struct PropertyTable {
  std::vector<Property> properties;  ///< object-valued declarations, schema order, first wins
  std::vector<PropertyEntry> index;  ///< every declared name once, in nameOrder
  /// slots hash `index` for lookups: open addressing, linear probing, each slot an entry's
  /// position + 1 (0: empty); a power of two at least twice the entries. Empty: no entries.
  std::vector<std::uint32_t> slots;

  void hashIndex() {
    if (index.empty())
      return;
    std::size_t size = 4;
    while (size < 2 * index.size())
      size *= 2;
    slots.assign(size, 0);
    for (std::size_t e = 0; e < index.size(); ++e) {
      std::size_t i = nameHash(index[e].name) & (size - 1);
      while (slots[i] != 0)
        i = (i + 1) & (size - 1);
      slots[i] = static_cast<std::uint32_t>(e + 1);
    }
  }

  const PropertyEntry* find(std::string_view name) const noexcept {
    if (slots.empty())
      return nullptr;
    const std::size_t mask = slots.size() - 1;
    for (std::size_t i = nameHash(name) & mask;; i = (i + 1) & mask) {
      const std::uint32_t slot = slots[i];
      if (slot == 0)
        return nullptr;
      const PropertyEntry& e = index[slot - 1];
      if (e.name.size() == name.size() && e.name == name)
        return &e;
    }
  }
};

/// SiteLists are the list answers of a site; most sites have none and share no storage.
struct SiteLists {
  std::vector<std::string_view> required;
  std::vector<std::string_view> patchStrategies;
  std::vector<std::string_view> listMapKeys;
};

/// CompiledSite is one schema object with its layers resolved and every answer computed.
struct CompiledSite {
  const json::object* const* layers = nullptr;         ///< the site first, then $ref/allOf targets
  const CompiledSite* items = nullptr;                 ///< nullptr: the unknown node
  const CompiledSite* additionalProperties = nullptr;  ///< nullptr: the unknown node
  const PropertyTable* properties = nullptr;           ///< nullptr: no properties
  const SiteLists* lists = nullptr;                    ///< nullptr: all empty
  const json::value* itemsKeyword = nullptr;
  const json::value* additionalPropertiesKeyword = nullptr;
  const json::value* propertiesKeyword = nullptr;
  std::string_view definition;
  std::string_view format;
  std::string_view description;
  std::string_view patchMergeKey;
  std::string_view patchStrategy;
  Type type = Type::Unknown;
  ListType listType = ListType::Unspecified;
  MapType mapType = MapType::Unspecified;
  std::uint8_t layerCount = 0;
  bool preservesUnknownFields = false;
  bool intOrString = false;
  bool embeddedResource = false;
};

/// SchemaSetData is the heap storage a SchemaSet owns; nodes point into it, so it never moves.
struct SchemaSetData {
  json::object root;
  json::object definitions;
  std::vector<CompiledSite> sites;  ///< sized once by compile(), so pointers stay valid
  std::deque<PropertyTable> tables;
  std::deque<SiteLists> lists;
  std::vector<const json::object*> layerPool;  ///< every site's layers, back to back
  const CompiledSite* rootSite = nullptr;
  std::vector<const CompiledSite*> definitionSites;  ///< parallel to `definitions`' entries

  void compile();
  static SchemaNode node(const CompiledSite* site) noexcept { return SchemaNode(site); }
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
const json::object* resolveRef(const json::object& definitions, std::string_view ref,
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
  auto it = raw.find('~') == std::string_view::npos ? definitions.find(raw)
                                                    : definitions.find(decodePointerToken(raw));
  if (it == definitions.end() || !it->value().is_object())
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

/// Layers is one node's resolution: the site, then what it refers to, depth first.
struct Layers {
  std::array<const json::object*, SchemaNode::kMaxLayers> objects{};
  std::size_t count = 0;
  std::string_view definition;  ///< the first definition reached through $ref

  void add(const json::object& definitions, const json::object* layer, int depth) {
    if (count >= objects.size() || depth > kMaxRefDepth)
      return;
    for (std::size_t i = 0; i < count; ++i)
      if (objects[i] == layer)
        return;  // a $ref cycle: this layer is already part of the node
    objects[count++] = layer;
    if (const auto* ref = layer->if_contains("$ref"); ref != nullptr && ref->is_string()) {
      std::string_view name;
      if (const json::object* target = resolveRef(definitions, ref->get_string(), &name)) {
        if (definition.empty())
          definition = name;
        add(definitions, target, depth + 1);
      }
    }
    if (const auto* all = layer->if_contains("allOf"); all != nullptr && all->is_array()) {
      for (const auto& part : all->get_array())
        if (part.is_object())
          add(definitions, &part.get_object(), depth + 1);
    }
  }
};

/// Keyword numbers the keywords whose first-layer value a site keeps.
enum Keyword : std::size_t {
  kType,
  kFormat,
  kDescription,
  kItems,
  kAdditionalProperties,
  kProperties,
  kPatchMergeKey,
  kPatchStrategy,
  kListType,
  kListMapKeys,
  kMapType,
  kPreserveUnknownFields,
  kIntOrString,
  kEmbeddedResource,
  kKeywordCount,
};

constexpr std::array<std::string_view, kKeywordCount> kKeywordNames = {
    "type",
    "format",
    "description",
    "items",
    "additionalProperties",
    "properties",
    "x-kubernetes-patch-merge-key",
    "x-kubernetes-patch-strategy",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-map-type",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-int-or-string",
    "x-kubernetes-embedded-resource",
};

Type typeOf(const std::array<const json::value*, kKeywordCount>& kw) {
  std::string_view t = stringOf(kw[kType]);
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
  if (kw[kProperties] != nullptr && kw[kProperties]->is_object())
    return Type::Object;
  if (kw[kAdditionalProperties] != nullptr && kw[kAdditionalProperties]->is_object())
    return Type::Object;
  if (kw[kItems] != nullptr && kw[kItems]->is_object())
    return Type::Array;
  return Type::Unknown;
}

ListType listTypeOf(std::string_view t) {
  if (t == "atomic")
    return ListType::Atomic;
  if (t == "set")
    return ListType::Set;
  if (t == "map")
    return ListType::Map;
  return ListType::Unspecified;
}

MapType mapTypeOf(std::string_view t) {
  if (t == "atomic")
    return MapType::Atomic;
  if (t == "granular")
    return MapType::Granular;
  return MapType::Unspecified;
}

std::vector<std::string_view> splitStrategies(std::string_view s) {
  std::vector<std::string_view> out;
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

const PropertyTable kNoProperties;
const std::vector<std::string_view> kNoStrings;

}  // namespace

// --- compiling ---

void SchemaSetData::compile() {
  // 1. Every object a node can stand for becomes a site: the root, each definition, and each
  // object reached through `properties`, `items` and `additionalProperties` of those or of their
  // `allOf` parts (which are layers, never nodes, so they get no site of their own).
  std::vector<const json::object*> objects;
  std::vector<std::pair<const json::object*, bool>> stack;  // (object, is a site)
  if (!root.empty())
    stack.emplace_back(&root, true);
  for (const auto& kv : definitions)
    if (kv.value().is_object())
      stack.emplace_back(&kv.value().get_object(), true);
  while (!stack.empty()) {
    auto [object, isSite] = stack.back();
    stack.pop_back();
    if (isSite)
      objects.push_back(object);
    if (const auto* props = object->if_contains("properties"); props && props->is_object())
      for (const auto& kv : props->get_object())
        if (kv.value().is_object())
          stack.emplace_back(&kv.value().get_object(), true);
    for (std::string_view key : {"items", "additionalProperties"})
      if (const auto* v = object->if_contains(key); v && v->is_object())
        stack.emplace_back(&v->get_object(), true);
    if (const auto* all = object->if_contains("allOf"); all && all->is_array())
      for (const auto& part : all->get_array())
        if (part.is_object())
          stack.emplace_back(&part.get_object(), false);
  }
  sites.resize(objects.size());
  std::unordered_map<const json::object*, CompiledSite*> siteOf;
  siteOf.reserve(objects.size());
  for (std::size_t i = 0; i < objects.size(); ++i)
    siteOf.emplace(objects[i], &sites[i]);
  auto siteOfValue = [&](const json::value* v) -> const CompiledSite* {
    if (v == nullptr || !v->is_object())
      return nullptr;
    auto it = siteOf.find(&v->get_object());
    return it == siteOf.end() ? nullptr : it->second;
  };

  // 2. Resolve each site's layers into the pool (pointers taken once the pool is complete).
  std::vector<std::size_t> layerOffsets(objects.size());
  for (std::size_t i = 0; i < objects.size(); ++i) {
    Layers layers;
    layers.add(definitions, objects[i], 0);
    layerOffsets[i] = layerPool.size();
    layerPool.insert(layerPool.end(), layers.objects.begin(),
                     layers.objects.begin() + static_cast<std::ptrdiff_t>(layers.count));
    sites[i].layerCount = static_cast<std::uint8_t>(layers.count);
    sites[i].definition = layers.definition;
  }

  // 3. Answer every question once.
  std::map<std::vector<const json::object*>, const PropertyTable*> tableOf;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    CompiledSite& site = sites[i];
    site.layers = layerPool.data() + layerOffsets[i];
    std::array<const json::value*, kKeywordCount> kw{};
    std::vector<const json::object*> propertyObjects;
    SiteLists siteLists;
    for (std::size_t l = 0; l < site.layerCount; ++l) {
      const json::object& layer = *site.layers[l];
      for (const auto& kv : layer) {
        const std::string_view key = kv.key();
        for (std::size_t k = 0; k < kKeywordCount; ++k) {
          if (key == kKeywordNames[k]) {
            if (kw[k] == nullptr)
              kw[k] = &kv.value();
            break;
          }
        }
        if (key == "properties" && kv.value().is_object())
          propertyObjects.push_back(&kv.value().get_object());
        if (key == "required")
          for (std::string_view name : stringsOf(&kv.value()))
            if (std::find(siteLists.required.begin(), siteLists.required.end(), name) ==
                siteLists.required.end())
              siteLists.required.push_back(name);
      }
    }
    site.type = typeOf(kw);
    site.format = stringOf(kw[kFormat]);
    site.description = stringOf(kw[kDescription]);
    site.patchMergeKey = stringOf(kw[kPatchMergeKey]);
    site.patchStrategy = stringOf(kw[kPatchStrategy]);
    siteLists.patchStrategies = splitStrategies(site.patchStrategy);
    site.listType = listTypeOf(stringOf(kw[kListType]));
    siteLists.listMapKeys = stringsOf(kw[kListMapKeys]);
    if (!siteLists.required.empty() || !siteLists.patchStrategies.empty() ||
        !siteLists.listMapKeys.empty())
      site.lists = &lists.emplace_back(std::move(siteLists));
    site.mapType = mapTypeOf(stringOf(kw[kMapType]));
    site.preservesUnknownFields = trueOf(kw[kPreserveUnknownFields]);
    site.intOrString = trueOf(kw[kIntOrString]);
    site.embeddedResource = trueOf(kw[kEmbeddedResource]);
    site.itemsKeyword = kw[kItems];
    site.additionalPropertiesKeyword = kw[kAdditionalProperties];
    site.propertiesKeyword = kw[kProperties];
    site.items = siteOfValue(kw[kItems]);
    site.additionalProperties = siteOfValue(kw[kAdditionalProperties]);
    if (propertyObjects.empty())
      continue;
    auto [slot, added] = tableOf.try_emplace(std::move(propertyObjects), nullptr);
    if (!added) {
      site.properties = slot->second;
      continue;
    }
    // Merge: the first object-valued declaration of a name wins; a name declared only with
    // non-object values is declared (hasProperty) without a schema of its own.
    struct Declaration {
      std::string_view name;
      const CompiledSite* site;
    };
    std::vector<Declaration> declarations;
    for (const json::object* props : slot->first)
      for (const auto& kv : *props)
        declarations.push_back(Declaration{kv.key(), siteOfValue(&kv.value())});
    std::vector<std::size_t> byName(declarations.size());
    for (std::size_t d = 0; d < byName.size(); ++d)
      byName[d] = d;
    std::stable_sort(byName.begin(), byName.end(), [&](std::size_t a, std::size_t b) {
      return nameOrder(declarations[a].name, declarations[b].name);
    });
    PropertyTable& table = tables.emplace_back();
    std::vector<bool> listed(declarations.size(), false);
    for (std::size_t first = 0; first < byName.size();) {
      std::size_t end = first;
      std::size_t chosen = byName[first];
      while (end < byName.size() &&
             declarations[byName[end]].name == declarations[byName[first]].name) {
        if (declarations[chosen].site == nullptr && declarations[byName[end]].site != nullptr)
          chosen = byName[end];
        ++end;
      }
      table.index.push_back(PropertyEntry{declarations[chosen].name, declarations[chosen].site});
      listed[chosen] = declarations[chosen].site != nullptr;
      first = end;
    }
    for (std::size_t d = 0; d < declarations.size(); ++d)
      if (listed[d])
        table.properties.push_back(Property{declarations[d].name, node(declarations[d].site)});
    table.hashIndex();
    slot->second = &table;
    site.properties = &table;
  }

  if (!root.empty())
    rootSite = siteOf.at(&root);
  definitionSites.reserve(definitions.size());
  for (const auto& kv : definitions)
    definitionSites.push_back(siteOfValue(&kv.value()));
}

// --- SchemaNode ---

namespace {

const PropertyEntry* findProperty(const CompiledSite* site, std::string_view name) {
  if (site == nullptr || site->properties == nullptr)
    return nullptr;
  return site->properties->find(name);
}

}  // namespace

const json::value* SchemaNode::keyword(std::string_view name) const {
  if (site_ == nullptr)
    return nullptr;
  for (std::size_t i = 0; i < site_->layerCount; ++i)
    if (const json::value* v = site_->layers[i]->if_contains(name))
      return v;
  return nullptr;
}

const json::value* SchemaNode::itemsKeyword() const {
  return site_ ? site_->itemsKeyword : nullptr;
}

const json::value* SchemaNode::additionalPropertiesKeyword() const {
  return site_ ? site_->additionalPropertiesKeyword : nullptr;
}

const json::value* SchemaNode::propertiesKeyword() const {
  return site_ ? site_->propertiesKeyword : nullptr;
}

SchemaNode SchemaNode::field(std::string_view name) const {
  if (const PropertyEntry* p = findProperty(site_, name); p != nullptr && p->site != nullptr)
    return SchemaNode(p->site);
  return additionalProperties();
}

bool SchemaNode::hasProperty(std::string_view name) const {
  return findProperty(site_, name) != nullptr;
}

std::optional<SchemaNode> SchemaNode::property(std::string_view name) const {
  const PropertyEntry* p = findProperty(site_, name);
  if (p == nullptr)
    return std::nullopt;
  if (p->site != nullptr)
    return SchemaNode(p->site);
  return additionalProperties();
}

SchemaNode SchemaNode::items() const {
  return SchemaNode(site_ ? site_->items : nullptr);
}

SchemaNode SchemaNode::additionalProperties() const {
  return SchemaNode(site_ ? site_->additionalProperties : nullptr);
}

Type SchemaNode::type() const {
  return site_ ? site_->type : Type::Unknown;
}

std::string_view SchemaNode::format() const {
  return site_ ? site_->format : std::string_view();
}

std::string_view SchemaNode::description() const {
  return site_ ? site_->description : std::string_view();
}

const std::vector<std::string_view>& SchemaNode::required() const {
  return site_ && site_->lists ? site_->lists->required : kNoStrings;
}

bool SchemaNode::hasProperties() const {
  return !properties().empty();
}

const std::vector<Property>& SchemaNode::properties() const {
  return site_ && site_->properties ? site_->properties->properties : kNoProperties.properties;
}

std::string_view SchemaNode::patchMergeKey() const {
  return site_ ? site_->patchMergeKey : std::string_view();
}

std::string_view SchemaNode::patchStrategy() const {
  return site_ ? site_->patchStrategy : std::string_view();
}

const std::vector<std::string_view>& SchemaNode::patchStrategies() const {
  return site_ && site_->lists ? site_->lists->patchStrategies : kNoStrings;
}

ListType SchemaNode::listType() const {
  return site_ ? site_->listType : ListType::Unspecified;
}

const std::vector<std::string_view>& SchemaNode::listMapKeys() const {
  return site_ && site_->lists ? site_->lists->listMapKeys : kNoStrings;
}

MapType SchemaNode::mapType() const {
  return site_ ? site_->mapType : MapType::Unspecified;
}

bool SchemaNode::preservesUnknownFields() const {
  return site_ && site_->preservesUnknownFields;
}

bool SchemaNode::isIntOrString() const {
  return site_ && site_->intOrString;
}

bool SchemaNode::isEmbeddedResource() const {
  return site_ && site_->embeddedResource;
}

std::string_view SchemaNode::definitionName() const {
  return site_ ? site_->definition : std::string_view();
}

// --- SchemaSet ---

SchemaSet::SchemaSet() : data_(std::make_unique<SchemaSetData>()) {}

SchemaSet::SchemaSet(json::object root, json::object definitions)
    : data_(std::make_unique<SchemaSetData>()) {
  data_->root = std::move(root);
  data_->definitions = std::move(definitions);
  data_->compile();
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
  return data_ ? SchemaSetData::node(data_->rootSite) : SchemaNode();
}

SchemaNode SchemaSet::definition(std::string_view name) const {
  if (!data_)
    return {};
  auto it = data_->definitions.find(name);
  if (it == data_->definitions.end())
    return {};
  return SchemaSetData::node(
      data_->definitionSites[static_cast<std::size_t>(it - data_->definitions.begin())]);
}

const json::object& SchemaSet::definitions() const {
  static const json::object kEmpty;  // only for a moved-from set
  return data_ ? data_->definitions : kEmpty;
}

}  // namespace apiserver::schema
