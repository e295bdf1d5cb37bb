#include "rbac/selector.h"

#include <apiserver/validation.h>

#include <algorithm>

namespace apiserver::plugins::rbac {

FieldErrors validateLabelSelector(const json::value& selector, const std::string& path) {
  FieldErrors errs;
  if (!selector.is_object()) {
    errs.push_back(invalidField(path, selector, "must be a label selector (matchLabels, matchExpressions)"));
    return errs;
  }
  const json::object& s = selector.get_object();
  validation::validateLabels(s.if_contains("matchLabels"), path + ".matchLabels", errs);
  if (const auto* exprs = s.if_contains("matchExpressions")) {
    if (!exprs->is_array()) {
      errs.push_back(invalidField(path + ".matchExpressions", *exprs, "must be a list"));
      return errs;
    }
    for (std::size_t i = 0; i < exprs->get_array().size(); ++i) {
      const std::string at = path + ".matchExpressions[" + std::to_string(i) + "]";
      const auto& e = exprs->get_array()[i];
      if (!e.is_object()) {
        errs.push_back(invalidField(at, e, "must be a label selector requirement"));
        continue;
      }
      const json::object& r = e.get_object();
      std::string_view op = stringField(r, "", "operator");
      const json::array* values = arrayField(r, "values");
      const std::size_t n = values != nullptr ? values->size() : 0;
      if (op == "In" || op == "NotIn") {
        if (n == 0) errs.push_back(requiredField(at + ".values", "must be specified when `operator` is 'In' or 'NotIn'"));
      } else if (op == "Exists" || op == "DoesNotExist") {
        if (n > 0)
          errs.push_back(forbiddenField(at + ".values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      } else {
        errs.push_back(invalidField(at + ".operator", json::value(op), "not a valid selector operator"));
      }
      std::string_view key = stringField(r, "", "key");
      for (const auto& msg : validation::isQualifiedName(key)) errs.push_back(invalidField(at + ".key", json::value(key), msg));
    }
  }
  return errs;
}

bool selectorMatches(const json::object& selector, const json::object* labels) {
  auto label = [&](std::string_view k) -> const json::value* { return labels != nullptr ? labels->if_contains(k) : nullptr; };
  if (const auto* ml = objectField(selector, "matchLabels")) {
    for (const auto& kv : *ml) {
      const json::value* v = label(kv.key());
      if (v == nullptr || !v->is_string() || !kv.value().is_string() || v->get_string() != kv.value().get_string())
        return false;
    }
  }
  if (const auto* exprs = arrayField(selector, "matchExpressions")) {
    for (const auto& e : *exprs) {
      if (!e.is_object()) return false;
      const json::object& r = e.get_object();
      std::string_view op = stringField(r, "", "operator");
      const json::value* v = label(stringField(r, "", "key"));
      auto inValues = [&] {
        if (v == nullptr || !v->is_string()) return false;
        if (const auto* values = arrayField(r, "values"))
          return std::any_of(values->begin(), values->end(),
                             [&](const json::value& x) { return x.is_string() && x.get_string() == v->get_string(); });
        return false;
      };
      if (op == "In") {
        if (!inValues()) return false;
      } else if (op == "NotIn") {
        if (inValues()) return false;
      } else if (op == "Exists") {
        if (v == nullptr) return false;
      } else if (op == "DoesNotExist") {
        if (v != nullptr) return false;
      } else {
        return false;
      }
    }
  }
  return true;
}

}  // namespace apiserver::plugins::rbac
