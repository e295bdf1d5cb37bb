#pragma once

// Small Strategies, a fixed clock and a recording admission step for the registry Store tests.

#include "registry/store.h"

#include <apiserver/object.h>
#include <apiserver/registry.h>
#include <apiserver/strategy.h>

#include <boost/json/parse.hpp>

#include <mutex>
#include <string>
#include <vector>

namespace apiserver::registry::registrytest {

namespace json = boost::json;

/// FixedClock always answers the same time: 2024-01-02T03:04:05Z.
class FixedClock final : public WallClock {
 public:
  TimePoint now() const override { return Clock::from_time_t(1704164645); }
};
inline constexpr const char* kFixedTime = "2024-01-02T03:04:05Z";

/// WidgetStrategy: spec.color is required, spec.size must be a non-negative integer,
/// spec.shape is immutable, status is cleared on create, spec.color is a selectable field.
class WidgetStrategy final : public Strategy {
 public:
  bool unconditionalUpdate = true;
  bool createOnUpdate = false;

  void prepareForCreate(json::object& obj) const override { obj.erase("status"); }
  FieldErrors validate(const json::object& obj) const override {
    FieldErrors errs;
    if (stringField(obj, "", "spec", "color").empty())
      errs.push_back(requiredField("spec.color"));
    if (const auto* size = field(obj, "spec", "size");
        size != nullptr && !(size->is_int64() && size->get_int64() >= 0))
      errs.push_back(invalidField("spec.size", *size, "must be a non-negative integer"));
    return errs;
  }
  FieldErrors validateUpdate(const json::object& obj, const json::object& old) const override {
    FieldErrors errs = validate(obj);
    if (stringField(obj, "", "spec", "shape") != stringField(old, "", "spec", "shape"))
      errs.push_back(invalidField("spec.shape", json::value(stringField(obj, "", "spec", "shape")),
                                  "field is immutable"));
    return errs;
  }
  FieldErrors validateStatusUpdate(const json::object& obj, const json::object&) const override {
    FieldErrors errs;
    if (const auto* p = field(obj, "status", "phase"); p != nullptr && !p->is_string())
      errs.push_back(invalidField("status.phase", *p, "must be a string"));
    return errs;
  }
  bool allowCreateOnUpdate() const override { return createOnUpdate; }
  bool allowUnconditionalUpdate() const override { return unconditionalUpdate; }
  std::vector<std::string> selectableFieldNames() const override { return {"spec.color"}; }
  void selectableFields(const json::object& obj, SelectableFields& out) const override {
    out.emplace_back("spec.color", std::string(stringField(obj, "", "spec", "color")));
  }
};

inline ResourceSpec widgetSpec() {
  ResourceSpec s;
  s.group = "example.com";
  s.version = "v1";
  s.kind = "Widget";
  s.plural = "widgets";
  s.scope = Scope::Namespaced;
  s.subresources = {"status"};
  s.tracksGeneration = true;  // like a custom resource or an apps/v1 kind
  return s;
}

inline ResourceSpec gadgetSpec() {
  ResourceSpec s;
  s.version = "v1";
  s.kind = "Gadget";
  s.plural = "gadgets";
  s.scope = Scope::Cluster;
  return s;
}

/// widget builds a Widget body.
inline json::object widget(std::string_view name, std::string_view color = "red",
                           std::string_view ns = {}) {
  json::object meta{{"name", name}};
  if (!ns.empty())
    meta["namespace"] = ns;
  return json::object{{"apiVersion", "example.com/v1"},
                      {"kind", "Widget"},
                      {"metadata", std::move(meta)},
                      {"spec", json::object{{"color", color}}}};
}

/// RecordingAdmission records every call and can refuse or mutate.
class RecordingAdmission final : public AdmissionStep {
 public:
  struct Call {
    std::string phase;  // "admit" or "validate"
    Operation operation;
    std::string namespace_;
    std::string name;
    std::string subresource;
    bool hasObject;
    bool hasOld;
    bool dryRun;
    std::string user;
    std::string objectColor;
  };

  std::string_view name() const override { return "recorder"; }
  Result<void> admit(AdmissionAttributes& a) override {
    record("admit", a);
    if (refuseAdmit)
      return fail(ApiError::forbidden({"example.com", "widgets"}, a.name, "refused by admit"));
    if (addLabel && a.object != nullptr) {
      json::value& labels = metadata(*a.object)["labels"];
      if (!labels.is_object())
        labels = json::object();
      labels.get_object()["admitted"] = "yes";
    }
    return {};
  }
  Result<void> validate(const AdmissionAttributes& a) override {
    record("validate", a);
    if (refuseValidate)
      return fail(ApiError::forbidden({"example.com", "widgets"}, a.name, "refused by validate"));
    return {};
  }
  std::vector<Call> calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  void clear() {
    std::lock_guard lock(mu_);
    calls_.clear();
  }

  bool refuseAdmit = false;
  bool refuseValidate = false;
  bool addLabel = false;

 private:
  void record(const char* phase, const AdmissionAttributes& a) {
    std::lock_guard lock(mu_);
    calls_.push_back({phase, a.operation, std::string(a.namespace_), std::string(a.name),
                      std::string(a.subresource), a.object != nullptr, a.oldObject != nullptr,
                      a.dryRun, a.user != nullptr ? a.user->name : std::string(),
                      a.object != nullptr ? std::string(stringField(*a.object, "", "spec", "color"))
                                          : std::string()});
  }
  std::mutex mu_;
  std::vector<Call> calls_;
};

}  // namespace apiserver::registry::registrytest
