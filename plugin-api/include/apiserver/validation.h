#pragma once

#include <apiserver/status.h>

#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <vector>

/// @file validation.h
/// Name and label checks worded as k8s.io/apimachinery/pkg/util/validation words them. Each
/// isX returns the list of problems (empty when valid).

namespace apiserver::validation {

namespace detail {
inline bool lowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
inline bool alnum(char c) { return lowerAlnum(c) || (c >= 'A' && c <= 'Z'); }
inline bool label1123(std::string_view s) {
  if (s.empty() || !lowerAlnum(s.front()) || !lowerAlnum(s.back())) return false;
  for (char c : s)
    if (!lowerAlnum(c) && c != '-') return false;
  return true;
}
inline bool qualifiedNamePart(std::string_view s) {
  if (s.empty() || !alnum(s.front()) || !alnum(s.back())) return false;
  for (char c : s)
    if (!alnum(c) && c != '-' && c != '_' && c != '.') return false;
  return true;
}
}  // namespace detail

inline constexpr std::size_t kDns1123LabelMaxLength = 63;
inline constexpr std::size_t kDns1123SubdomainMaxLength = 253;
inline constexpr std::size_t kLabelValueMaxLength = 63;
inline constexpr std::size_t kTotalAnnotationSizeLimit = 256 * 1024;

inline std::string maxLenError(std::size_t n) {
  return "must be no more than " + std::to_string(n) + " characters";
}

/// isDns1123Label: namespace names, container names, port names.
inline std::vector<std::string> isDns1123Label(std::string_view s) {
  std::vector<std::string> errs;
  if (s.size() > kDns1123LabelMaxLength) errs.push_back(maxLenError(kDns1123LabelMaxLength));
  if (!detail::label1123(s))
    errs.push_back(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
        "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
        "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
  return errs;
}

/// isDns1123Subdomain: most object names.
inline std::vector<std::string> isDns1123Subdomain(std::string_view s) {
  std::vector<std::string> errs;
  if (s.size() > kDns1123SubdomainMaxLength) errs.push_back(maxLenError(kDns1123SubdomainMaxLength));
  bool ok = !s.empty();
  std::size_t start = 0;
  while (ok && start <= s.size()) {
    std::size_t dot = s.find('.', start);
    std::string_view part = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    ok = detail::label1123(part);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (!ok)
    errs.push_back(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
        "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
        "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  return errs;
}

/// isDns1035Label: service names.
inline std::vector<std::string> isDns1035Label(std::string_view s) {
  std::vector<std::string> errs;
  if (s.size() > kDns1123LabelMaxLength) errs.push_back(maxLenError(kDns1123LabelMaxLength));
  if (!detail::label1123(s) || !(s.front() >= 'a' && s.front() <= 'z'))
    errs.push_back(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
        "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
        "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')");
  return errs;
}

/// isValidPathSegmentName: what any name must be to fit in a URL.
inline std::vector<std::string> isValidPathSegmentName(std::string_view s) {
  std::vector<std::string> errs;
  if (s == "." || s == "..") errs.push_back("may not be '" + std::string(s) + "'");
  if (s.find('/') != std::string_view::npos) errs.push_back("may not contain '/'");
  if (s.find('%') != std::string_view::npos) errs.push_back("may not contain '%'");
  return errs;
}

/// isQualifiedName: label and annotation keys ("example.com/name").
inline std::vector<std::string> isQualifiedName(std::string_view s) {
  std::vector<std::string> errs;
  static constexpr const char* kFmt =
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
      "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
      "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  std::string_view name = s;
  auto slash = s.find('/');
  if (slash != std::string_view::npos) {
    if (s.find('/', slash + 1) != std::string_view::npos) {
      errs.push_back(
          "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start "
          "and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
          "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS "
          "subdomain prefix and '/' (e.g. 'example.com/MyName')");
      return errs;
    }
    std::string_view prefix = s.substr(0, slash);
    name = s.substr(slash + 1);
    if (prefix.empty()) {
      errs.push_back("prefix part must be non-empty");
    } else {
      for (auto& e : isDns1123Subdomain(prefix)) errs.push_back("prefix part " + e);
    }
  }
  if (name.empty()) {
    errs.push_back("name part must be non-empty");
  } else if (name.size() > kLabelValueMaxLength) {
    errs.push_back("name part " + maxLenError(kLabelValueMaxLength));
  }
  if (!detail::qualifiedNamePart(name)) errs.push_back(kFmt);  // kube reports an empty name twice too
  return errs;
}

/// isValidLabelValue: label values (empty allowed).
inline std::vector<std::string> isValidLabelValue(std::string_view s) {
  std::vector<std::string> errs;
  if (s.size() > kLabelValueMaxLength) errs.push_back(maxLenError(kLabelValueMaxLength));
  if (!s.empty() && !detail::qualifiedNamePart(s))
    errs.push_back(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
        "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
        "'my_value',  or '12345', regex used for validation is "
        "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
  return errs;
}

/// addInvalid appends one Invalid field error per message.
inline void addInvalid(FieldErrors& out, const std::string& field, std::string_view value,
                       const std::vector<std::string>& messages) {
  for (const auto& m : messages) out.push_back(invalidField(field, boost::json::value(value), m));
}

/// validateLabels checks a labels map (keys and values) at `field` ("metadata.labels").
inline void validateLabels(const boost::json::value* labels, const std::string& field, FieldErrors& out) {
  if (labels == nullptr || labels->is_null()) return;
  if (!labels->is_object()) {
    out.push_back(invalidField(field, *labels, "must be a map of string keys to string values"));
    return;
  }
  for (const auto& kv : labels->get_object()) {
    std::string key(kv.key());
    addInvalid(out, field, key, isQualifiedName(key));
    if (!kv.value().is_string()) {
      out.push_back(invalidField(field + "[" + key + "]", kv.value(), "must be a string"));
      continue;
    }
    addInvalid(out, field, kv.value().get_string(), isValidLabelValue(kv.value().get_string()));
  }
}

/// validateAnnotations checks annotation keys, string values and the total size limit.
inline void validateAnnotations(const boost::json::value* annotations, const std::string& field,
                                FieldErrors& out) {
  if (annotations == nullptr || annotations->is_null()) return;
  if (!annotations->is_object()) {
    out.push_back(invalidField(field, *annotations, "must be a map of string keys to string values"));
    return;
  }
  std::size_t total = 0;
  for (const auto& kv : annotations->get_object()) {
    std::string key(kv.key());
    // kube lower-cases annotation keys before checking them
    std::string lower = key;
    for (auto& c : lower)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    addInvalid(out, field, key, isQualifiedName(lower));
    if (!kv.value().is_string()) {
      out.push_back(invalidField(field + "[" + key + "]", kv.value(), "must be a string"));
      continue;
    }
    total += key.size() + kv.value().get_string().size();
  }
  if (total > kTotalAnnotationSizeLimit) out.push_back(tooLongField(field, kTotalAnnotationSizeLimit));
}

}  // namespace apiserver::validation
