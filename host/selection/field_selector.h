#pragma once

#include "selection/operator.h"
#include "selection/set.h"

#include <apiserver/result.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// @file field_selector.h
/// FieldSelector: kube's fields.Selector (k8s.io/apimachinery/pkg/fields/selector.go) with the
/// same term splitting, value escaping, canonical String() and error texts, plus the field-label
/// check kube-apiserver applies per resource (scheme.ConvertFieldLabel). Parse once per request;
/// matches() never allocates.

namespace apiserver::selection {

/// FieldRequirement is one term: `field=value` (op Equals; "==" is the same) or `field!=value`
/// (op NotEquals). The value is unescaped.
struct FieldRequirement {
  std::string field;                ///< the field label, verbatim ("spec.nodeName")
  Operator op = Operator::kEquals;  ///< kEquals or kNotEquals
  std::string value;                ///< the unescaped value

  friend bool operator==(const FieldRequirement&, const FieldRequirement&) = default;
};

/// escapeFieldValue is kube's fields.EscapeValue: `\` -> `\\`, `,` -> `\,`, `=` -> `\=`.
std::string escapeFieldValue(std::string_view value);

/// unescapeFieldValue is kube's fields.UnescapeValue. Fails with 400 BadRequest:
/// "invalid field selector: invalid escape sequence: \x" for an unknown or trailing escape, and
/// "invalid field selector: unescaped character in value: 61" for a bare `=` (Go prints the rune
/// as a number).
Result<std::string> unescapeFieldValue(std::string_view value);

/// UnsupportedFieldWording: kube-apiserver words a refused field label in one of two ways.
enum class UnsupportedFieldWording {
  /// "field label not supported: spec.foo" — kinds with a registered field-label conversion
  /// (core/v1 pods, nodes, replicationcontrollers, events, namespaces, secrets, services; several
  /// kinds of other groups, e.g. batch jobs; every custom resource).
  kFieldLabelNotSupported,
  /// `"spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace"` —
  /// runtime.DefaultMetaV1FieldSelectorConversion, for kinds without one (configmaps,
  /// serviceaccounts, deployments, ...).
  kNotAKnownFieldSelector,
};

/// FieldLabelConversion is what a resource accepts in a field selector (kube's field label
/// conversion function for its kind).
struct FieldLabelConversion {
  /// fields are the accepted field labels besides metadata.name/metadata.namespace.
  std::vector<std::string> fields;
  /// aliases rename deprecated labels to the canonical one ({"spec.host", "spec.nodeName"}).
  std::vector<std::pair<std::string, std::string>> aliases;
  /// wording of the refusal of any other label.
  UnsupportedFieldWording wording = UnsupportedFieldWording::kFieldLabelNotSupported;
  /// metadataName: metadata.name is accepted (it is for every built-in kind).
  bool metadataName = true;
  /// metadataNamespace: metadata.namespace is accepted. kube refuses it for nodes, namespaces and
  /// cluster-scoped custom resources.
  bool metadataNamespace = true;

  /// defaults is runtime.DefaultMetaV1FieldSelectorConversion: metadata.name and
  /// metadata.namespace only, refused with the "is not a known field selector" wording.
  static FieldLabelConversion defaults() {
    FieldLabelConversion c;
    c.wording = UnsupportedFieldWording::kNotAKnownFieldSelector;
    return c;
  }
};

/// FieldSelector is a conjunction of field terms (kube's andTerm of hasTerm/notHasTerm). A
/// default-constructed selector matches everything. Immutable once built: const members are safe
/// to call from any number of threads.
class FieldSelector {
 public:
  /// FieldSelector() matches everything (kube's fields.Everything()).
  FieldSelector() = default;

  /// parse is kube's fields.ParseSelector: terms split on unescaped commas and sorted as text,
  /// empty terms skipped, each split at its first "!=", "==" or "=" (the field is taken
  /// verbatim, the value is unescaped), and terms with an empty field and value dropped. Fails
  /// with 400 BadRequest, e.g. "invalid selector: 'x=a,b'; can't understand 'b'".
  static Result<FieldSelector> parse(std::string_view text);

  /// oneTermEqual selects `field=value` (kube's fields.OneTermEqualSelector).
  static FieldSelector oneTermEqual(std::string field, std::string value);

  /// empty tells whether the selector matches everything.
  bool empty() const noexcept { return requirements_.empty(); }
  /// matches tells whether every term holds for `fields`; a field that is not present compares
  /// as "" (kube's fields.Set.Get). Never allocates.
  bool matches(const Fields& fields) const noexcept;
  /// str is kube's String(): terms in parse order as `field=value` / `field!=value`, values
  /// escaped, joined by ",".
  std::string str() const;
  /// requirements are the terms, in kube's order (sorted by their text as written).
  const std::vector<FieldRequirement>& requirements() const noexcept { return requirements_; }
  /// exactValue is kube's RequiresExactMatch: the value of the first `field=value` /
  /// `field==value` term on `field` (for the metadata.name / metadata.namespace shortcuts).
  std::optional<std::string_view> exactValue(std::string_view field) const noexcept;

  /// transform is kube's Selector.Transform: `fn(field, value)` returns the new field and value
  /// or an error; a term that becomes an empty field with an empty value is dropped.
  Result<FieldSelector> transform(
      const std::function<Result<std::pair<std::string, std::string>>(
          const std::string& field, const std::string& value)>& fn) const;

  /// convert applies a resource's field label conversion (what kube-apiserver's LIST/WATCH
  /// handler does through scheme.ConvertFieldLabel): aliases renamed, anything else refused with
  /// 400 BadRequest worded as kube does ("field label not supported: spec.foo"). The first
  /// refused term in the selector's order is the one named.
  Result<FieldSelector> convert(const FieldLabelConversion& conversion) const;

  /// checkSupported refuses (400 BadRequest, kube's wording) a field not in `allowed`;
  /// metadata.name and metadata.namespace are allowed too. For aliases or kinds that refuse
  /// metadata.namespace, use convert() with a FieldLabelConversion.
  Result<void> checkSupported(
      const std::vector<std::string>& allowed,
      UnsupportedFieldWording wording = UnsupportedFieldWording::kFieldLabelNotSupported) const;

 private:
  std::vector<FieldRequirement> requirements_;
};

}  // namespace apiserver::selection
