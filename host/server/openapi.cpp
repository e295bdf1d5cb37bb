#include "server/openapi.h"

#include <apiserver/version.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdio>

namespace apiserver::server {

namespace json = boost::json;

namespace {

std::string hashOf(const std::string& bytes) {
  // FNV-1a, 64 bits: enough to tell two versions of a document apart.
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llX", static_cast<unsigned long long>(h));
  return buf;
}

std::string schemaNameOf(const ResourceSpec& s) {
  if (!s.schemaName.empty()) return s.schemaName;
  return (s.group.empty() ? std::string("core") : s.group) + "." + s.version + "." + s.kind;
}

json::object gvk(const ResourceSpec& s) { return {{"group", s.group}, {"version", s.version}, {"kind", s.kind}}; }

json::object queryParam(const char* name, const char* description, const char* type = "string") {
  return {{"name", name}, {"in", "query"}, {"description", description}, {"schema", json::object{{"type", type}, {"uniqueItems", true}}}};
}

json::array writeParams(bool patch) {
  json::array p{
      queryParam("dryRun",
                 "When present, indicates that modifications should not be persisted. Valid values are: - All: all "
                 "dry run stages will be processed"),
      queryParam("fieldManager", "fieldManager is a name associated with the actor or entity that is making these changes."),
      queryParam("fieldValidation",
                 "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) "
                 "containing unknown or duplicate fields. Valid values are: - Ignore - Warn - Strict")};
  if (patch)
    p.push_back(queryParam("force", "Force is going to \"force\" Apply requests.", "boolean"));
  return p;
}

json::object okResponse(const std::string& ref) {
  json::object schema{{"$ref", "#/components/schemas/" + ref}};
  return {{"200", json::object{{"description", "OK"},
                               {"content", json::object{{"application/json", json::object{{"schema", schema}}},
                                                        {"application/yaml", json::object{{"schema", schema}}}}}}}};
}

json::object operation(const ResourceSpec& s, const char* action, const std::string& id, const std::string& ref,
                       json::array params) {
  json::object op{{"operationId", id},
                  {"x-kubernetes-action", action},
                  {"x-kubernetes-group-version-kind", gvk(s)},
                  {"responses", okResponse(ref)}};
  if (!params.empty()) op["parameters"] = std::move(params);
  std::string a(action);
  if (a == "post" || a == "put")
    op["requestBody"] = json::object{
        {"content", json::object{{"*/*", json::object{{"schema", json::object{{"$ref", "#/components/schemas/" + ref}}}}}}},
        {"required", true}};
  if (a == "patch")
    op["requestBody"] = json::object{{"content", json::object{{"application/json-patch+json", json::object()},
                                                             {"application/merge-patch+json", json::object()},
                                                             {"application/strategic-merge-patch+json", json::object()},
                                                             {"application/apply-patch+yaml", json::object()}}},
                                     {"required", true}};
  return op;
}

json::object pathParam(const char* name, const std::string& description) {
  return {{"name", name}, {"in", "path"}, {"description", description}, {"required", true},
          {"schema", json::object{{"type", "string"}, {"uniqueItems", true}}}};
}

// The common metadata schemas the kinds refer to.
void addMetaSchemas(json::object& schemas) {
  schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"] = json::object{
      {"description",
       "ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create."},
      {"type", "object"},
      {"properties",
       json::object{
           {"name", json::object{{"type", "string"}, {"description", "Name must be unique within a namespace."}}},
           {"generateName", json::object{{"type", "string"},
                                         {"description", "GenerateName is an optional prefix, used by the server, to "
                                                         "generate a unique name ONLY IF the Name field has not been "
                                                         "provided."}}},
           {"namespace", json::object{{"type", "string"}, {"description", "Namespace defines the space within which each name must be unique."}}},
           {"uid", json::object{{"type", "string"}, {"description", "UID is the unique in time and space value for this object."}}},
           {"resourceVersion", json::object{{"type", "string"}, {"description", "An opaque value that represents the internal version of this object."}}},
           {"generation", json::object{{"type", "integer"}, {"format", "int64"}, {"description", "A sequence number representing a specific generation of the desired state."}}},
           {"creationTimestamp", json::object{{"type", "string"}, {"format", "date-time"}, {"description", "CreationTimestamp is a timestamp representing the server time when this object was created."}}},
           {"deletionTimestamp", json::object{{"type", "string"}, {"format", "date-time"}, {"description", "DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted."}}},
           {"deletionGracePeriodSeconds", json::object{{"type", "integer"}, {"format", "int64"}, {"description", "Number of seconds allowed for this object to gracefully terminate."}}},
           {"labels", json::object{{"type", "object"}, {"additionalProperties", json::object{{"type", "string"}, {"default", ""}}}, {"description", "Map of string keys and values that can be used to organize and categorize (scope and select) objects."}}},
           {"annotations", json::object{{"type", "object"}, {"additionalProperties", json::object{{"type", "string"}, {"default", ""}}}, {"description", "Annotations is an unstructured key value map stored with a resource."}}},
           {"finalizers", json::object{{"type", "array"}, {"items", json::object{{"type", "string"}, {"default", ""}}}, {"x-kubernetes-list-type", "set"}, {"description", "Must be empty before the object is deleted from the registry."}}},
           {"ownerReferences", json::object{{"type", "array"}, {"items", json::object{{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}}, {"x-kubernetes-patch-merge-key", "uid"}, {"x-kubernetes-patch-strategy", "merge"}, {"description", "List of objects depended by this object."}}},
           {"managedFields", json::object{{"type", "array"}, {"items", json::object{{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}}, {"description", "ManagedFields maps workflow-id and version to the set of fields that are managed by that workflow."}}},
       }}};
}

json::object kindSchema(const ResourceSpec& s) {
  json::object schema = s.schema;
  if (schema.empty()) {
    schema = json::object{{"type", "object"},
                          {"description", s.kind + " is served by apiserver-host."},
                          {"x-kubernetes-preserve-unknown-fields", true},
                          {"properties", json::object{
                                             {"apiVersion", json::object{{"type", "string"}}},
                                             {"kind", json::object{{"type", "string"}}},
                                             {"metadata", json::object{{"allOf", json::array{json::object{{"$ref", "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}}}}}},
                                         }}};
  }
  schema["x-kubernetes-group-version-kind"] = json::array{gvk(s)};
  return schema;
}

json::object document(const std::vector<const DiscoveredResource*>& resources) {
  json::object paths;
  json::object schemas;
  addMetaSchemas(schemas);
  for (const auto* r : resources) {
    const ResourceSpec& s = *r->spec;
    const std::string ref = schemaNameOf(s);
    schemas[ref] = kindSchema(s);
    for (const auto& kv : s.definitions) schemas[kv.key()] = kv.value();
    const std::string base = s.group.empty() ? "/api/" + s.version : "/apis/" + s.group + "/" + s.version;
    const bool ns = s.scope == Scope::Namespaced;
    const std::string collection = base + (ns ? "/namespaces/{namespace}/" : "/") + s.plural;
    const std::string item = collection + "/{name}";
    const std::string idKind = s.kind;
    auto has = [&](const char* verb) { return std::find(r->verbs.begin(), r->verbs.end(), verb) != r->verbs.end(); };

    json::object coll;
    json::array collParams;
    if (ns) collParams.push_back(pathParam("namespace", "object name and auth scope, such as for teams and projects"));
    if (!collParams.empty()) coll["parameters"] = collParams;
    if (has("list")) coll["get"] = operation(s, "list", "list" + idKind, ref, {});
    if (has("create")) coll["post"] = operation(s, "post", "create" + idKind, ref, writeParams(false));
    if (has("deletecollection")) coll["delete"] = operation(s, "deletecollection", "deleteCollection" + idKind, ref, {});
    paths[collection] = std::move(coll);

    json::object one;
    json::array itemParams = collParams;
    itemParams.push_back(pathParam("name", "name of the " + idKind));
    one["parameters"] = itemParams;
    if (has("get")) one["get"] = operation(s, "get", "read" + idKind, ref, {});
    if (has("update")) one["put"] = operation(s, "put", "replace" + idKind, ref, writeParams(false));
    // kubectl looks for a PATCH operation with fieldValidation to send fieldValidation=Strict.
    // A create-only (virtual) resource has no object paths at all.
    const bool objects = has("get") || has("update") || has("patch") || has("delete");
    if (objects) one["patch"] = operation(s, "patch", "patch" + idKind, ref, writeParams(true));
    if (has("delete")) one["delete"] = operation(s, "delete", "delete" + idKind, ref, {});
    if (objects) paths[item] = std::move(one);

    if (!r->statusVerbs.empty()) {
      json::object st;
      st["parameters"] = itemParams;
      st["get"] = operation(s, "get", "read" + idKind + "Status", ref, {});
      st["put"] = operation(s, "put", "replace" + idKind + "Status", ref, writeParams(false));
      st["patch"] = operation(s, "patch", "patch" + idKind + "Status", ref, writeParams(true));
      paths[item + "/status"] = std::move(st);
    }
    if (ns && has("list")) paths[base + "/" + s.plural] = json::object{{"get", operation(s, "list", "list" + idKind + "ForAllNamespaces", ref, {})}};
  }
  return {{"openapi", "3.0.0"},
          {"info", json::object{{"title", "Kubernetes"}, {"version", kKubernetesGitVersion}}},
          {"paths", std::move(paths)},
          {"components", json::object{{"schemas", std::move(schemas)}}}};
}

}  // namespace

std::shared_ptr<const OpenApi> OpenApi::build(const std::vector<DiscoveredResource>& resources) {
  std::map<std::string, std::vector<const DiscoveredResource*>> byGv;
  for (const auto& r : resources) {
    const auto& s = *r.spec;
    byGv[s.group.empty() ? "api/" + s.version : "apis/" + s.group + "/" + s.version].push_back(&r);
  }
  auto out = std::make_shared<OpenApi>();
  json::object index;
  for (const auto& [gv, rs] : byGv) {
    std::string bytes = json::serialize(document(rs));
    index[gv] = json::object{{"serverRelativeURL", "/openapi/v3/" + gv + "?hash=" + hashOf(bytes)}};
    out->docs_[gv] = makeBytes(std::move(bytes));
  }
  out->index_ = makeBytes(json::serialize(json::object{{"paths", std::move(index)}}));
  return out;
}

std::optional<Response> OpenApi::serve(const Request& req) const {
  std::string_view path = req.path;
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  constexpr std::string_view kRoot = "/openapi/v3";
  if (path.compare(0, kRoot.size(), kRoot) != 0) return std::nullopt;
  Response r;
  if (path == kRoot) {
    r.body.push_back(index_);
    return r;
  }
  if (path.size() <= kRoot.size() + 1 || path[kRoot.size()] != '/') return std::nullopt;
  auto it = docs_.find(path.substr(kRoot.size() + 1));
  if (it == docs_.end()) return std::nullopt;
  r.body.push_back(it->second);
  // The URL carries the content hash, so the document may be cached for good.
  if (req.query.has("hash")) r.headers.emplace_back("Cache-Control", "public, immutable");
  return r;
}

}  // namespace apiserver::server
