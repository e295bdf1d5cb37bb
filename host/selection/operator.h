#pragma once

#include <string_view>

/// @file operator.h
/// Operator: the relation of a selector requirement (k8s.io/apimachinery/pkg/selection).

namespace apiserver::selection {

/// Operator is kube's selection.Operator. Label selectors use all of them; field selectors use
/// only Equals and NotEquals.
enum class Operator {
  kIn,            ///< "in": the key exists and its value is one of the values
  kNotIn,         ///< "notin": the key is missing or its value is none of the values
  kEquals,        ///< "=": the key exists with that value (for fields: the value is that)
  kDoubleEquals,  ///< "==": as Equals, printed back as "=="
  kNotEquals,     ///< "!=": the key is missing or has another value
  kExists,        ///< "exists": the key exists (written as the bare key)
  kDoesNotExist,  ///< "!": the key is missing (written as "!key")
  kGreaterThan,   ///< "gt": the value, as an integer, is greater (written as "key>n")
  kLessThan,      ///< "lt": the value, as an integer, is less (written as "key<n")
};

/// operatorName is the operator's selection.Operator string ("in", "notin", "=", "==", "!=",
/// "exists", "!", "gt", "lt").
constexpr std::string_view operatorName(Operator op) noexcept {
  switch (op) {
    case Operator::kIn:
      return "in";
    case Operator::kNotIn:
      return "notin";
    case Operator::kEquals:
      return "=";
    case Operator::kDoubleEquals:
      return "==";
    case Operator::kNotEquals:
      return "!=";
    case Operator::kExists:
      return "exists";
    case Operator::kDoesNotExist:
      return "!";
    case Operator::kGreaterThan:
      return "gt";
    case Operator::kLessThan:
      return "lt";
  }
  return "";
}

}  // namespace apiserver::selection
