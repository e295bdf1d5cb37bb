#include "core/util/validation.h"

#include "core/util/ip.h"
#include "core/util/json.h"

#include <apiserver/base64.h>

#include <algorithm>

namespace apiserver::plugins::core {

namespace {

constexpr const char* kRedacted = "<secret contents redacted>";

bool isLowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool isConfigKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

}  // namespace

std::string inclusiveRangeError(std::int64_t lo, std::int64_t hi) {
  return "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", inclusive";
}

std::vector<std::string> isValidPortNum(std::int64_t port) {
  if (port >= 1 && port <= 65535)
    return {};
  return {inclusiveRangeError(1, 65535)};
}

std::vector<std::string> isValidPortName(std::string_view name) {
  std::vector<std::string> errs;
  if (name.size() > 15)
    errs.push_back(validation::maxLenError(15));
  bool charset = !name.empty();
  bool hasLetter = false;
  for (char c : name) {
    if (!isLowerAlnum(c) && c != '-')
      charset = false;
    if (c >= 'a' && c <= 'z')
      hasLetter = true;
  }
  if (!charset)
    errs.emplace_back("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  if (!hasLetter)
    errs.emplace_back("must contain at least one letter (a-z)");
  if (name.find("--") != std::string_view::npos)
    errs.emplace_back("must not contain consecutive hyphens");
  if (!name.empty() && (name.front() == '-' || name.back() == '-'))
    errs.emplace_back("must not begin or end with a hyphen");
  return errs;
}

std::vector<std::string> isConfigMapKey(std::string_view key) {
  std::vector<std::string> errs;
  if (key.size() > validation::kDns1123SubdomainMaxLength)
    errs.push_back(validation::maxLenError(validation::kDns1123SubdomainMaxLength));
  bool ok = !key.empty() && std::all_of(key.begin(), key.end(), isConfigKeyChar);
  if (!ok)
    errs.emplace_back(
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
        "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
        "'[-._a-zA-Z0-9]+')");
  if (key == ".") {
    errs.emplace_back("must not be '.'");
  } else if (key == "..") {
    errs.emplace_back("must not be '..'");
  } else if (key.substr(0, 2) == "..") {
    errs.emplace_back("must not start with '..'");
  }
  return errs;
}

void validateIp(std::string_view ip, const std::string& field, FieldErrors& out) {
  if (!isValidIp(ip))
    out.push_back(invalidField(field, json::value(ip), kInvalidIpMessage));
}

void validateNonSpecialIp(std::string_view ip, const std::string& field, FieldErrors& out) {
  const char* why = nullptr;
  if (isUnspecifiedIp(ip)) {
    why = "may not be unspecified (0.0.0.0)";
  } else if (isLoopbackIp(ip)) {
    why = "may not be in the loopback range (127.0.0.0/8, ::1/128)";
  } else if (isLinkLocalMulticastIp(ip)) {
    why = "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)";
  } else if (isLinkLocalUnicastIp(ip)) {
    why = "may not be in the link-local range (169.254.0.0/16, fe80::/10)";
  }
  if (why != nullptr)
    out.push_back(invalidField(field, json::value(ip), why));
}

void validateDns1123Label(std::string_view value, std::string_view parent, std::string_view key,
                          FieldErrors& out) {
  if (auto problems = validation::isDns1123Label(value); !problems.empty())
    validation::addInvalid(out, childPath(parent, key), value, problems);
}

void validateDns1123Subdomain(std::string_view value, const std::string& field, FieldErrors& out) {
  validation::addInvalid(out, field, value, validation::isDns1123Subdomain(value));
}

void validateQualifiedName(std::string_view value, const std::string& field, FieldErrors& out) {
  validation::addInvalid(out, field, value, validation::isQualifiedName(value));
}

void validateProtocol(const json::value* protocol, std::string_view parent, std::string_view key,
                      FieldErrors& out) {
  std::string_view p = stringOf(protocol);
  if (p.empty()) {
    if (protocol != nullptr && !protocol->is_null() && !protocol->is_string()) {
      out.push_back(notSupportedField(childPath(parent, key), *protocol, kSupportedPortProtocols));
      return;
    }
    out.push_back(requiredField(childPath(parent, key)));
    return;
  }
  if (std::find(kSupportedPortProtocols.begin(), kSupportedPortProtocols.end(), p) ==
      kSupportedPortProtocols.end())
    out.push_back(
        notSupportedField(childPath(parent, key), json::value(p), kSupportedPortProtocols));
}

void validatePortNumOrName(const json::value& port, const std::string& field, FieldErrors& out) {
  if (auto n = int64Of(&port)) {
    for (auto& m : isValidPortNum(*n))
      out.push_back(invalidField(field, json::value(*n), m));
    return;
  }
  if (port.is_string()) {
    std::string_view name = port.get_string();
    for (auto& m : isValidPortName(name))
      out.push_back(invalidField(field, json::value(name), m));
    return;
  }
  out.push_back(invalidField(field, port, "must be an integer or a string"));
}

void validateImmutableField(const json::value* newValue, const json::value* oldValue,
                            const std::string& field, FieldErrors& out) {
  static const json::value kNull;
  const json::value& n = newValue != nullptr ? *newValue : kNull;
  const json::value& o = oldValue != nullptr ? *oldValue : kNull;
  if (!semanticEqual(n, o))
    out.push_back(invalidField(field, n, "field is immutable"));
}

const json::object* validateStringMap(const json::value* map, const std::string& field,
                                      FieldErrors& out) {
  if (map == nullptr || map->is_null())
    return nullptr;
  if (!map->is_object()) {
    out.push_back(invalidField(field, *map, "must be a map of string keys to string values"));
    return nullptr;
  }
  for (const auto& kv : map->get_object())
    if (!kv.value().is_string())
      out.push_back(invalidField(keyPath(field, kv.key()), kv.value(), "must be a string"));
  return &map->get_object();
}

void validateConfigKeys(const json::object& map, const std::string& field, FieldErrors& out) {
  for (const auto& kv : map) {
    std::string_view key = kv.key();
    for (auto& m : isConfigMapKey(key))
      out.push_back(invalidField(keyPath(field, key), json::value(key), m));
  }
}

std::size_t validateBase64Values(const json::object& map, const std::string& field,
                                 FieldErrors& out) {
  std::size_t total = 0;
  for (const auto& kv : map) {
    if (kv.value().is_null())
      continue;
    if (!kv.value().is_string()) {
      out.push_back(invalidField(keyPath(field, kv.key()), json::value(kRedacted),
                                 "must be a base64-encoded string"));
      continue;
    }
    base64::Decoded d = base64::decode(kv.value().get_string());
    if (!d.ok) {
      out.push_back(invalidField(keyPath(field, kv.key()), json::value(kRedacted), d.error()));
      continue;
    }
    total += d.data.size();
  }
  return total;
}

void validateImmutableWhenSet(const json::object& obj, const json::object& old,
                              const std::vector<std::string>& fields, FieldErrors& out) {
  if (!boolOf(old.if_contains("immutable")))
    return;
  static constexpr const char* kWhy = "field is immutable when `immutable` is set";
  if (!boolOf(obj.if_contains("immutable")))
    out.push_back(forbiddenField("immutable", kWhy));
  static const json::value kNull;
  for (const auto& f : fields) {
    const json::value* n = obj.if_contains(f);
    const json::value* o = old.if_contains(f);
    if (!semanticEqual(n != nullptr ? *n : kNull, o != nullptr ? *o : kNull))
      out.push_back(forbiddenField(f, kWhy));
  }
}

}  // namespace apiserver::plugins::core
