#include "core/resources/namespaces.h"

#include "core/schema/schemas.h"
#include "core/util/json.h"
#include "core/util/table.h"
#include "core/util/validation.h"

#include <apiserver/object.h>

namespace apiserver::plugins::core {

namespace {

constexpr std::string_view kFinalizerKubernetes = "kubernetes";
constexpr std::string_view kMetadataNameLabel = "kubernetes.io/metadata.name";

/// setNameLabel is kube's SetDefaults_Namespace / Canonicalize: the label always holds the name.
void setNameLabel(json::object& ns) {
  std::string name(nameOf(ns));
  if (name.empty())
    return;
  json::object* labels = ensureObject(metadata(ns), "labels");
  if (labels != nullptr)
    (*labels)[kMetadataNameLabel] = name;
}

/// isStandardFinalizer: the finalizer names kube accepts without a domain prefix.
bool isStandardFinalizer(std::string_view f) {
  return f == "kubernetes" || f == "orphan" || f == "foregroundDeletion";
}

class NamespaceStrategy final : public Strategy {
 public:
  void prepareForCreate(json::object& obj) const override {
    json::object status;
    status["phase"] = "Active";
    obj["status"] = std::move(status);
    setNameLabel(obj);
    json::object* spec = ensureObject(obj, "spec");
    if (spec == nullptr)
      return;
    json::value& finalizers = (*spec)["finalizers"];
    if (!finalizers.is_array())
      finalizers = json::array();
    bool hasKube = false;
    for (const auto& f : finalizers.get_array())
      hasKube = hasKube || stringOf(&f) == kFinalizerKubernetes;
    if (!hasKube)
      finalizers.get_array().emplace_back(kFinalizerKubernetes);
  }

  void prepareForUpdate(json::object& obj, const json::object& old) const override {
    // spec.finalizers changes only through the finalize subresource.
    json::object* spec = ensureObject(obj, "spec");
    if (spec != nullptr) {
      if (const json::value* f = field(old, "spec", "finalizers"); f != nullptr) {
        (*spec)["finalizers"] = *f;
      } else {
        spec->erase("finalizers");
      }
    }
    setNameLabel(obj);
  }

  FieldErrors validate(const json::object& obj) const override {
    FieldErrors errs;
    const json::array* finalizers = arrayField(obj, "spec", "finalizers");
    if (finalizers == nullptr)
      return errs;
    for (const auto& f : *finalizers) {
      std::string_view name = stringOf(&f);
      std::size_t before = errs.size();
      validateQualifiedName(name, "spec.finalizers", errs);
      if (errs.size() == before && name.find('/') == std::string_view::npos &&
          !isStandardFinalizer(name))
        errs.push_back(invalidField("spec.finalizers", json::value(name),
                                    "name is neither a standard finalizer name nor is it fully "
                                    "qualified"));
    }
    return errs;
  }

  FieldErrors validateStatusUpdate(const json::object& obj,
                                   const json::object& old) const override {
    (void)old;
    FieldErrors errs;
    std::string_view phase = stringField(obj, "", "status", "phase");
    const bool deleting = field(obj, "metadata", "deletionTimestamp") != nullptr &&
                          !field(obj, "metadata", "deletionTimestamp")->is_null();
    if (!deleting && phase != "Active") {
      errs.push_back(invalidField("status.Phase", json::value(phase),
                                  "may only be 'Active' if `deletionTimestamp` is empty"));
    } else if (deleting && phase != "Terminating") {
      errs.push_back(invalidField("status.Phase", json::value(phase),
                                  "may only be 'Terminating' if `deletionTimestamp` is not empty"));
    }
    return errs;
  }

  // A namespace stays, Terminating, until the namespace controller has emptied it and removed
  // its spec.finalizers through the finalize subresource.
  bool holdsDeletion(const json::object& obj) const override {
    const json::array* finalizers = arrayField(obj, "spec", "finalizers");
    return finalizers != nullptr && !finalizers->empty();
  }

  void prepareForDelete(json::object& obj) const override {
    json::object* status = ensureObject(obj, "status");
    if (status != nullptr) (*status)["phase"] = "Terminating";
  }

  std::vector<TableColumn> tableColumns() const override {
    return {nameColumn(), column("Status", "The status of the namespace"), ageColumn()};
  }

  std::vector<json::value> tableRow(const json::object& obj, TimePoint now) const override {
    return {json::value(nameOf(obj)), json::value(stringField(obj, "", "status", "phase")),
            json::value(ageOf(obj, now))};
  }

  std::vector<std::string> selectableFieldNames() const override {
    return {"status.phase", "name"};
  }

  void selectableFields(const json::object& obj, SelectableFields& out) const override {
    out.emplace_back("status.phase", std::string(stringField(obj, "", "status", "phase")));
    out.emplace_back("name", std::string(nameOf(obj)));
  }
};

}  // namespace

ResourceSpec namespaceResourceSpec() {
  ResourceSpec s;
  s.group = "";
  s.version = "v1";
  s.kind = "Namespace";
  s.plural = "namespaces";
  s.singular = "namespace";
  s.listKind = "NamespaceList";
  s.scope = Scope::Cluster;
  s.shortNames = {"ns"};
  s.subresources = {"status", "finalize"};
  s.nameRule = NameRule::Dns1123Label;
  s.returnDeletedObject = true;
  attachSchema(s);
  return s;
}

std::shared_ptr<const Strategy> namespaceStrategy() {
  return std::make_shared<const NamespaceStrategy>();
}

}  // namespace apiserver::plugins::core
