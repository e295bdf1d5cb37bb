#pragma once

#include "selection/operator.h"
#include "selection/set.h"

#include <apiserver/result.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// @file label_selector.h
/// LabelSelector: kube's labels.Selector (k8s.io/apimachinery/pkg/labels/selector.go) with the
/// same lexer, parser, canonical String() and error texts. Parse once per request; matches()
/// runs for every object and every watch event and never allocates.

namespace apiserver::selection {

/// LabelRequirement is one term of a label selector (kube's labels.Requirement): a key, an
/// operator and its values. Values are kept sorted (bytewise) so that matching can search them.
class LabelRequirement {
 public:
  /// create is kube's labels.NewRequirement: it checks the key (a qualified name), the number of
  /// values the operator takes, integer values for gt/lt and every value (a label value). `path`
  /// is the field path of the requirement for messages ("" as kube's nil path: errors then name
  /// "key" and "values[i][key]"). Fails with 400 BadRequest carrying kube's aggregated text, e.g.
  /// `values[0][app]: Invalid value: "-x": a valid label must be ...`.
  static Result<LabelRequirement> create(std::string key, Operator op,
                                         std::vector<std::string> values,
                                         std::string_view path = {});

  /// key is the label key.
  const std::string& key() const noexcept { return key_; }
  /// op is the operator.
  Operator op() const noexcept { return op_; }
  /// values are the values, sorted; empty for exists/!; one value for =, ==, !=, gt, lt.
  const std::vector<std::string>& values() const noexcept { return values_; }

  /// matches is kube's Requirement.Matches: in/=/== need the key with one of the values;
  /// notin/!= match when the key is missing or has another value; gt/lt compare as int64 and
  /// fail when the label value is not an integer. Never allocates.
  bool matches(const Labels& labels) const noexcept;

  /// str is kube's Requirement.String() ("x in (a,b)", "!x", "x!=y", "x>1").
  std::string str() const;

 private:
  friend class LabelSelector;
  friend class LabelSelectorParser;
  LabelRequirement(std::string key, Operator op, std::vector<std::string> values);
  bool hasValue(std::string_view value) const noexcept;

  std::string key_;
  Operator op_ = Operator::kExists;
  std::vector<std::string> values_;
  std::int64_t number_ = 0;  // gt/lt: the value as an integer (validated at creation)
};

/// LabelSelector is a conjunction of requirements sorted by key (kube's internalSelector), or
/// the selector that matches nothing (kube's labels.Nothing()). A default-constructed selector
/// matches everything. Immutable once built: const members are safe to call from any number of
/// threads.
class LabelSelector {
 public:
  /// LabelSelector() matches everything (kube's labels.Everything()).
  LabelSelector() = default;

  /// parse is kube's labels.Parse:
  ///   <selector>    ::= <requirement> | <requirement> "," <selector>
  ///   <requirement> ::= [!] KEY [ <set-based> | <exact-match> ]
  ///   <set-based>   ::= "" | ("in" | "notin") "(" VALUE {"," VALUE} ")"
  ///   <exact-match> ::= ("=" | "==" | "!=" | ">" | "<") VALUE
  /// Whitespace (' ', '\t', '\r', '\n') separates tokens. Fails with 400 BadRequest whose message
  /// is kube's parse error text, e.g. "unable to parse requirement: found 'b', expected: in,
  /// notin, =, ==, !=, gt, lt" — exactly the message kube-apiserver puts in the Status.
  static Result<LabelSelector> parse(std::string_view text);

  /// everything matches every object.
  static LabelSelector everything() { return {}; }
  /// nothing matches no object (kube's labels.Nothing(), the selector of a nil
  /// metav1.LabelSelector).
  static LabelSelector nothing();
  /// fromRequirements builds a selector from checked requirements (kube's Selector.Add), e.g. for
  /// a metav1.LabelSelector's matchLabels and matchExpressions.
  static LabelSelector fromRequirements(std::vector<LabelRequirement> requirements);
  /// fromSet selects objects carrying every label of `set` with the same value (kube's
  /// SelectorFromValidatedSet; the labels are not checked).
  static LabelSelector fromSet(const Labels& set);

  /// empty tells whether the selector matches everything (no requirements). nothing() is not
  /// empty.
  bool empty() const noexcept { return requirements_.empty() && !nothing_; }
  /// selectable is false only for nothing() (kube's Requirements() second result).
  bool selectable() const noexcept { return !nothing_; }
  /// matches tells whether every requirement matches `labels`. Never allocates.
  bool matches(const Labels& labels) const noexcept;
  /// str is kube's String(): the requirements, sorted by key, joined by ",". "" for everything and
  /// nothing.
  std::string str() const;
  /// requirements are the terms, sorted by key (stable for equal keys).
  const std::vector<LabelRequirement>& requirements() const noexcept { return requirements_; }
  /// requiresExactMatch is kube's RequiresExactMatch: the value pinned for `key` by the first
  /// requirement on that key when it is =, == or in with a single value.
  std::optional<std::string_view> requiresExactMatch(std::string_view key) const noexcept;

 private:
  friend class LabelSelectorParser;
  std::vector<LabelRequirement> requirements_;
  bool nothing_ = false;
};

}  // namespace apiserver::selection
