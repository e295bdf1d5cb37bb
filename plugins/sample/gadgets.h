#pragma once

#include <apiserver/schema.h>
#include <apiserver/strategy.h>

#include <memory>

/// @file gadgets.h
/// Gadget (samples.example.com/v1alpha1): the sample plugin's one resource. Namespaced, with a
/// spec (size, color, parts), a status subresource (phase, observedGeneration), Table columns, a
/// field selector on spec.color, the short name `gd`, and an OpenAPI schema, so that kubectl's
/// explain, strategic merge patch and server-side apply work on it like on a built-in kind.

namespace apiserver::plugins::sample {

/// kGroup and kVersion are the sample API group version.
inline constexpr const char* kGroup = "samples.example.com";
inline constexpr const char* kVersion = "v1alpha1";

/// gadgetResourceSpec describes the gadgets resource, schema included.
ResourceSpec gadgetResourceSpec();

/// GadgetStrategy holds Gadget's defaulting (spec.color: blue), validation (spec.size 1..100,
/// spec.color red|green|blue, parts unique by name with count >= 0, status.phase
/// Pending|Ready), Table columns (Name, Size, Color, Phase, Age) and the spec.color field
/// selector.
class GadgetStrategy final : public Strategy {
 public:
  void prepareForCreate(json::object& obj) const override;
  void prepareForUpdate(json::object& obj, const json::object& old) const override;
  FieldErrors validate(const json::object& obj) const override;
  FieldErrors validateStatusUpdate(const json::object& obj, const json::object& old) const override;
  std::vector<TableColumn> tableColumns() const override;
  std::vector<json::value> tableRow(const json::object& obj, TimePoint now) const override;
  std::vector<std::string> selectableFieldNames() const override;
  void selectableFields(const json::object& obj, SelectableFields& out) const override;
};

}  // namespace apiserver::plugins::sample
