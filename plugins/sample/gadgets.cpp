#include "sample/gadgets.h"

#include <apiserver/object.h>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <set>
#include <string>

namespace apiserver::plugins::sample {

namespace {

constexpr const char* kSpecSchema = "com.example.samples.v1alpha1.GadgetSpec";
constexpr const char* kPartSchema = "com.example.samples.v1alpha1.GadgetPart";
constexpr const char* kStatusSchema = "com.example.samples.v1alpha1.GadgetStatus";

/// kSchemas are the OpenAPI v3 schemas of Gadget and the types it refers to, keyed by their
/// components.schemas name. `parts` is a list keyed by `name` for strategic merge patch
/// (x-kubernetes-patch-merge-key) and server-side apply (x-kubernetes-list-map-keys).
constexpr const char* kSchemas = R"json({
  "com.example.samples.v1alpha1.Gadget": {
    "description": "Gadget is the sample plugin's kind: a thing of some size and color, made of parts.",
    "type": "object",
    "required": ["spec"],
    "properties": {
      "apiVersion": {"type": "string", "description": "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values."},
      "kind": {"type": "string", "description": "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. In CamelCase."},
      "metadata": {"default": {}, "allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}], "description": "Standard object's metadata."},
      "spec": {"default": {}, "allOf": [{"$ref": "#/components/schemas/com.example.samples.v1alpha1.GadgetSpec"}], "description": "Spec is what the gadget should be."},
      "status": {"default": {}, "allOf": [{"$ref": "#/components/schemas/com.example.samples.v1alpha1.GadgetStatus"}], "description": "Status is what the gadget's controller last observed. Read-only."}
    }
  },
  "com.example.samples.v1alpha1.GadgetSpec": {
    "description": "GadgetSpec is the desired state of a Gadget.",
    "type": "object",
    "required": ["size"],
    "properties": {
      "size": {"type": "integer", "format": "int32", "description": "Size of the gadget, from 1 to 100."},
      "color": {"type": "string", "description": "Color of the gadget: red, green or blue. Defaults to blue."},
      "parts": {
        "type": "array",
        "description": "Parts the gadget is made of, one entry per part name.",
        "items": {"default": {}, "allOf": [{"$ref": "#/components/schemas/com.example.samples.v1alpha1.GadgetPart"}]},
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name"],
        "x-kubernetes-patch-merge-key": "name",
        "x-kubernetes-patch-strategy": "merge"
      }
    }
  },
  "com.example.samples.v1alpha1.GadgetPart": {
    "description": "GadgetPart is one kind of part and how many of it a gadget has.",
    "type": "object",
    "required": ["name"],
    "properties": {
      "name": {"type": "string", "default": "", "description": "Name of the part; unique within the gadget."},
      "count": {"type": "integer", "format": "int32", "description": "How many of the part; 0 or more."}
    }
  },
  "com.example.samples.v1alpha1.GadgetStatus": {
    "description": "GadgetStatus is the observed state of a Gadget.",
    "type": "object",
    "properties": {
      "phase": {"type": "string", "description": "Phase is Pending until the controller has seen the current spec, then Ready."},
      "observedGeneration": {"type": "integer", "format": "int64", "description": "The metadata.generation the controller last acted on."}
    }
  }
})json";

const std::vector<std::string> kColors = {"blue", "green", "red"};
const std::vector<std::string> kPhases = {"Pending", "Ready"};

void defaultSpec(json::object& obj) {
  json::value* spec = obj.if_contains("spec");
  if (spec == nullptr || !spec->is_object()) return;
  json::object& s = spec->get_object();
  if (const json::value* c = s.if_contains("color"); c == nullptr || c->is_null()) s["color"] = "blue";
}

bool isInteger(const json::value& v) { return v.is_int64() || v.is_uint64(); }

}  // namespace

ResourceSpec gadgetResourceSpec() {
  ResourceSpec s;
  s.group = kGroup;
  s.version = kVersion;
  s.kind = "Gadget";
  s.plural = "gadgets";
  s.singular = "gadget";
  s.shortNames = {"gd"};
  s.subresources = {"status"};
  s.tracksGeneration = true;
  s.schemaName = "com.example.samples.v1alpha1.Gadget";
  std::error_code ec;
  json::value all = json::parse(kSchemas, ec);
  if (!ec && all.is_object()) {
    for (auto& kv : all.get_object()) {
      if (kv.key() == s.schemaName) {
        s.schema = kv.value().get_object();
      } else {
        s.definitions[kv.key()] = kv.value();
      }
    }
  }
  return s;
}

void GadgetStrategy::prepareForCreate(json::object& obj) const {
  obj.erase("status");  // written by the controller, through the status subresource
  defaultSpec(obj);
}

void GadgetStrategy::prepareForUpdate(json::object& obj, const json::object& old) const {
  (void)old;
  defaultSpec(obj);
}

FieldErrors GadgetStrategy::validate(const json::object& obj) const {
  FieldErrors errs;
  const json::value* spec = obj.if_contains("spec");
  if (spec == nullptr || spec->is_null()) {
    errs.push_back(requiredField("spec"));
    return errs;
  }
  if (!spec->is_object()) {
    errs.push_back(invalidField("spec", *spec, "must be an object"));
    return errs;
  }
  const json::object& s = spec->get_object();
  const json::value* size = s.if_contains("size");
  if (size == nullptr || size->is_null()) {
    errs.push_back(requiredField("spec.size"));
  } else if (!isInteger(*size) || *int64Field(s, "size") < 1 || *int64Field(s, "size") > 100) {
    errs.push_back(invalidField("spec.size", *size, "must be between 1 and 100, inclusive"));
  }
  if (const json::value* color = s.if_contains("color"); color != nullptr && !color->is_null()) {
    const bool known = color->is_string() && std::find(kColors.begin(), kColors.end(),
                                                       std::string(color->get_string())) != kColors.end();
    if (!known) errs.push_back(notSupportedField("spec.color", *color, kColors));
  }
  if (const json::array* parts = arrayField(s, "parts")) {
    std::set<std::string> seen;
    for (std::size_t i = 0; i < parts->size(); ++i) {
      const std::string path = "spec.parts[" + std::to_string(i) + "]";
      const json::value& p = (*parts)[i];
      if (!p.is_object()) {
        errs.push_back(invalidField(path, p, "must be an object"));
        continue;
      }
      std::string_view name = stringField(p.get_object(), "", "name");
      if (name.empty()) {
        errs.push_back(requiredField(path + ".name"));
      } else if (!seen.insert(std::string(name)).second) {
        errs.push_back(duplicateField(path + ".name", json::value(name)));
      }
      if (const json::value* count = p.get_object().if_contains("count"); count != nullptr && !count->is_null()) {
        if (!isInteger(*count) || *int64Field(p.get_object(), "count") < 0)
          errs.push_back(invalidField(path + ".count", *count, "must be greater than or equal to 0"));
      }
    }
  }
  return errs;
}

FieldErrors GadgetStrategy::validateStatusUpdate(const json::object& obj, const json::object& old) const {
  (void)old;
  FieldErrors errs;
  if (const json::value* phase = field(obj, "status", "phase"); phase != nullptr && !phase->is_null()) {
    const bool known = phase->is_string() && std::find(kPhases.begin(), kPhases.end(),
                                                       std::string(phase->get_string())) != kPhases.end();
    if (!known) errs.push_back(notSupportedField("status.phase", *phase, kPhases));
  }
  return errs;
}

std::vector<TableColumn> GadgetStrategy::tableColumns() const {
  return {{"Name", "string", "name", "Name must be unique within a namespace.", 0},
          {"Size", "integer", "", "Size of the gadget, from 1 to 100.", 0},
          {"Color", "string", "", "Color of the gadget.", 0},
          {"Phase", "string", "", "Pending until the controller has seen the current spec, then Ready.", 0},
          {"Parts", "integer", "", "How many kinds of part the gadget has.", 1},
          {"Age", "date", "", "CreationTimestamp is a timestamp representing the server time when this object was created.",
           0}};
}

std::vector<json::value> GadgetStrategy::tableRow(const json::object& obj, TimePoint now) const {
  json::value size = nullptr;
  if (auto n = int64Field(obj, "spec", "size")) size = *n;
  const json::array* parts = arrayField(obj, "spec", "parts");
  return {json::value(nameOf(obj)),
          size,
          json::value(stringField(obj, "", "spec", "color")),
          json::value(stringField(obj, "", "status", "phase")),
          json::value(static_cast<std::int64_t>(parts != nullptr ? parts->size() : 0)),
          json::value(ageOf(obj, now))};
}

std::vector<std::string> GadgetStrategy::selectableFieldNames() const { return {"spec.color"}; }

void GadgetStrategy::selectableFields(const json::object& obj, SelectableFields& out) const {
  out.emplace_back("spec.color", std::string(stringField(obj, "", "spec", "color")));
}

}  // namespace apiserver::plugins::sample
