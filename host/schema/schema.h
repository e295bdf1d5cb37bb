#pragma once

#include <apiserver/result.h>
#include <apiserver/schema.h>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

/// @file schema.h
/// Navigation of a resource's OpenAPI v3 schema (kube's components.schemas form) with the
/// Kubernetes extensions that drive patching, apply, pruning and `kubectl explain`.
///
/// A SchemaSet owns the schema of a kind and the definitions it refers to; it is built once per
/// resource at start-up and is immutable afterwards. Building it *compiles* the schema: every
/// schema object a node can stand for (the root, each definition, and under them each object
/// reached through `properties`, `items` and `additionalProperties`) gets one compiled site with
/// its `$ref` ("#/components/schemas/<name>", also "#/definitions/<name>") and `allOf` resolved
/// into layers and every answer below computed once, so navigating costs a pointer copy and
/// questions cost no JSON lookups. Recursive schemas (JSONSchemaProps) are finite graphs of
/// sites. A SchemaNode is a one-pointer view of a site. Where the schema says nothing (no schema,
/// an unknown field of an object that preserves unknown fields, `additionalProperties: true`, a
/// dangling `$ref`) navigation yields the *unknown* node, which answers every question with
/// "unspecified"; callers then fall back to kube's behaviour for unstructured data.

namespace apiserver::schema {

namespace json = boost::json;

/// Type is the JSON Schema `type` of a node. Unknown when the schema does not say (also for
/// `x-kubernetes-int-or-string`, which allows two types).
enum class Type { Unknown, Object, Array, String, Integer, Number, Boolean };

/// ListType is `x-kubernetes-list-type`.
enum class ListType {
  Unspecified,  ///< absent (kube treats such lists as atomic for server-side apply)
  Atomic,       ///< "atomic": the list is one value
  Set,          ///< "set": scalar items, unique
  Map,          ///< "map": object items keyed by `x-kubernetes-list-map-keys`
};

/// MapType is `x-kubernetes-map-type`.
enum class MapType {
  Unspecified,  ///< absent (granular)
  Atomic,       ///< "atomic"
  Granular,     ///< "granular"
};

struct Property;
struct SchemaSetData;
struct CompiledSite;

/// SchemaNode is a read-only view of one schema location, with `$ref` and `allOf` resolved into
/// up to kMaxLayers layers (the referencing site first, then what it refers to, depth first).
/// Questions are answered by the first layer that has the keyword, so a field's own description
/// and patch extensions win over its type's. The resolution and the answers are computed when the
/// SchemaSet is built; a node is one pointer to them, so copying it and asking are cheap. A node
/// must not outlive the SchemaSet it came from. Thread-safety: const, safe from any number of
/// threads.
class SchemaNode {
 public:
  /// kMaxLayers bounds how many objects one node merges ($ref/allOf chains longer than this are
  /// cut; kube's schemas use at most two: the site and one referenced definition).
  static constexpr std::size_t kMaxLayers = 8;

  /// SchemaNode() is the unknown node: the schema says nothing here.
  SchemaNode() = default;

  /// isUnknown tells whether the schema says nothing at this location.
  bool isUnknown() const noexcept { return site_ == nullptr; }

  /// field is the schema of the property `name` (from `properties` of any layer); when the node
  /// declares no such property it is the `additionalProperties` schema (a map's value schema),
  /// and otherwise the unknown node. This is how kube's patch metadata lookup treats map types.
  SchemaNode field(std::string_view name) const;
  /// hasProperty tells whether `name` is a declared property (not merely allowed by
  /// additionalProperties).
  bool hasProperty(std::string_view name) const;
  /// property is field(name) for a declared property, nullopt for any other name: hasProperty
  /// and field in one lookup.
  std::optional<SchemaNode> property(std::string_view name) const;
  /// items is the schema of an array's items, or the unknown node.
  SchemaNode items() const;
  /// additionalProperties is the value schema of a map (`additionalProperties: {...}`); the
  /// unknown node for `additionalProperties: true|false` or when absent.
  SchemaNode additionalProperties() const;

  /// type is the node's `type`; absent, it is inferred: Object when the node has properties or
  /// an additionalProperties schema, Array when it has items, otherwise Unknown.
  Type type() const;
  /// format is `format` ("int32", "date-time", ...) or "".
  std::string_view format() const;
  /// description is `description` (the site's own before its type's) or "".
  std::string_view description() const;
  /// required lists the `required` property names of all layers (first occurrence kept).
  const std::vector<std::string_view>& required() const;
  /// properties lists the declared properties of all layers in schema order; a name declared by
  /// several layers is listed once, with the first layer's schema. A property whose value is not
  /// an object (`"x": true`) is declared (hasProperty) but not listed.
  const std::vector<Property>& properties() const;
  /// hasProperties tells whether properties() is non-empty.
  bool hasProperties() const;

  /// patchMergeKey is `x-kubernetes-patch-merge-key` or "".
  std::string_view patchMergeKey() const;
  /// patchStrategies is `x-kubernetes-patch-strategy` split at ',' ("merge,retainKeys" gives
  /// {"merge", "retainKeys"}); empty when absent. Values are not validated.
  const std::vector<std::string_view>& patchStrategies() const;
  /// patchStrategy is `x-kubernetes-patch-strategy` as written ("merge,retainKeys") or "".
  std::string_view patchStrategy() const;
  /// listType is `x-kubernetes-list-type`.
  ListType listType() const;
  /// listMapKeys is `x-kubernetes-list-map-keys`.
  const std::vector<std::string_view>& listMapKeys() const;
  /// mapType is `x-kubernetes-map-type`.
  MapType mapType() const;
  /// preservesUnknownFields is `x-kubernetes-preserve-unknown-fields: true`.
  bool preservesUnknownFields() const;
  /// isIntOrString is `x-kubernetes-int-or-string: true`.
  bool isIntOrString() const;
  /// isEmbeddedResource is `x-kubernetes-embedded-resource: true`.
  bool isEmbeddedResource() const;

  /// definitionName is the components.schemas name of the first definition this node reached
  /// through `$ref` ("io.k8s.api.core.v1.PodSpec"), or "" for an inline schema.
  std::string_view definitionName() const;
  /// keyword returns the value of any keyword (first layer that has it), or nullptr. It scans
  /// the layers; the accessors below answer the frequent ones without a lookup.
  const json::value* keyword(std::string_view name) const;
  /// itemsKeyword is keyword("items").
  const json::value* itemsKeyword() const;
  /// additionalPropertiesKeyword is keyword("additionalProperties").
  const json::value* additionalPropertiesKeyword() const;
  /// propertiesKeyword is keyword("properties").
  const json::value* propertiesKeyword() const;

 private:
  friend struct SchemaSetData;
  explicit SchemaNode(const CompiledSite* site) noexcept : site_(site) {}

  const CompiledSite* site_ = nullptr;
};

/// Property is one entry of a node's `properties`.
struct Property {
  std::string_view name;  ///< the property name (points into the SchemaSet)
  SchemaNode schema;      ///< the property's schema
};

/// SchemaSet owns a kind's schema and the definitions it refers to. Build it once at start-up;
/// afterwards it is immutable and every const member is safe from any number of threads.
/// Movable (nodes stay valid: they point into heap storage that moves with it), not copyable.
class SchemaSet {
 public:
  /// SchemaSet() is the empty set: root() is the unknown node.
  SchemaSet();
  /// SchemaSet(root, definitions): `root` is the kind's schema, `definitions` the
  /// components.schemas entries that `$ref`s name. Compiles every schema object of both (time
  /// and memory linear in their size).
  SchemaSet(json::object root, json::object definitions);
  SchemaSet(SchemaSet&&) noexcept;
  SchemaSet& operator=(SchemaSet&&) noexcept;
  SchemaSet(const SchemaSet&) = delete;
  SchemaSet& operator=(const SchemaSet&) = delete;
  ~SchemaSet();

  /// fromResource takes ResourceSpec::schema as the root and ResourceSpec::definitions as the
  /// definitions; the root is also reachable as definitions[spec.schemaName] when that name is set
  /// and not already defined. An empty schema gives an unknown root.
  static SchemaSet fromResource(const ResourceSpec& spec);
  /// fromDocument reads an OpenAPI v3 document (its components.schemas) or a bare object of
  /// definitions, and roots the set at definitions[rootName]. Fails with 500 InternalError when
  /// the document has no such definition.
  static Result<SchemaSet> fromDocument(const json::value& document, std::string_view rootName);

  /// root is the kind's schema (the unknown node when there is none).
  SchemaNode root() const;
  /// definition is the node of definitions[name], or the unknown node.
  SchemaNode definition(std::string_view name) const;
  /// definitions are the owned definitions.
  const json::object& definitions() const;

 private:
  std::unique_ptr<SchemaSetData> data_;
};

}  // namespace apiserver::schema
