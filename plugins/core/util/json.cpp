#include "core/util/json.h"

#include <charconv>
#include <initializer_list>

namespace apiserver::plugins::core {

bool isSet(const json::object& obj, std::string_view key) {
  const json::value* v = member(obj, key);
  return v != nullptr && !v->is_null();
}

json::object* ensureObject(json::object& obj, std::string_view key) {
  json::value& v = obj[key];
  if (v.is_null())
    v.emplace_object();  // in obj's memory
  return v.is_object() ? &v.get_object() : nullptr;
}

json::object* mutableObject(json::object& obj, std::string_view key) {
  json::value* v = member(obj, key);
  return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

json::array* mutableArray(json::object& obj, std::string_view key) {
  json::value* v = member(obj, key);
  return v != nullptr && v->is_array() ? &v->get_array() : nullptr;
}

std::string_view stringOf(const json::value* v, std::string_view fallback) {
  if (v == nullptr || !v->is_string())
    return fallback;
  return v->get_string();
}

std::optional<std::int64_t> int64Of(const json::value* v) {
  if (v == nullptr)
    return std::nullopt;
  if (v->is_int64())
    return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_double()) {
    double d = v->get_double();
    if (d >= -9.2e18 && d <= 9.2e18 && d == static_cast<double>(static_cast<std::int64_t>(d)))
      return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

bool boolOf(const json::value* v, bool fallback) {
  if (v == nullptr || !v->is_bool())
    return fallback;
  return v->get_bool();
}

const json::object* objectOf(const json::value* v) {
  return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

const json::array* arrayOf(const json::value* v) {
  return v != nullptr && v->is_array() ? &v->get_array() : nullptr;
}

bool isEmptyValue(const json::value* v) {
  if (v == nullptr || v->is_null())
    return true;
  if (v->is_string())
    return v->get_string().empty();
  if (v->is_array())
    return v->get_array().empty();
  if (v->is_object()) {
    for (const auto& kv : v->get_object())
      if (!isEmptyValue(&kv.value()))
        return false;
    return true;
  }
  return false;
}

bool semanticEqual(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) {
    auto ia = int64Of(&a);
    auto ib = int64Of(&b);
    if (ia && ib)
      return *ia == *ib;
    return a == b;
  }
  if (isEmptyValue(&a) && isEmptyValue(&b)) {
    // "" and an empty list are not the same type, but both are "unset" only when the types
    // agree or one of them is null.
    return a.kind() == b.kind() || a.is_null() || b.is_null() || (a.is_object() && b.is_object());
  }
  if (a.kind() != b.kind())
    return false;
  if (a.is_object()) {
    const auto& oa = a.get_object();
    const auto& ob = b.get_object();
    for (const auto& kv : oa) {
      const json::value* other = ob.if_contains(kv.key());
      if (other == nullptr) {
        if (!isEmptyValue(&kv.value()))
          return false;
        continue;
      }
      if (!semanticEqual(kv.value(), *other))
        return false;
    }
    for (const auto& kv : ob)
      if (oa.if_contains(kv.key()) == nullptr && !isEmptyValue(&kv.value()))
        return false;
    return true;
  }
  if (a.is_array()) {
    const auto& aa = a.get_array();
    const auto& ab = b.get_array();
    if (aa.size() != ab.size())
      return false;
    for (std::size_t i = 0; i < aa.size(); ++i)
      if (!semanticEqual(aa[i], ab[i]))
        return false;
    return true;
  }
  return a == b;
}

namespace {

/// joinPath is base, then each of `pieces`, in one allocation.
std::string joinPath(std::string_view base, std::initializer_list<std::string_view> pieces) {
  std::size_t n = base.size();
  for (auto p : pieces)
    n += p.size();
  std::string out;
  out.reserve(n);
  out.append(base);
  for (auto p : pieces)
    out.append(p);
  return out;
}

}  // namespace

std::string indexPath(std::string_view base, std::size_t index) {
  char digits[24];
  const char* end = std::to_chars(digits, digits + sizeof digits, index).ptr;
  return joinPath(base,
                  {"[", std::string_view(digits, static_cast<std::size_t>(end - digits)), "]"});
}

std::string keyPath(std::string_view base, std::string_view key) {
  return joinPath(base, {"[", key, "]"});
}

std::string childPath(std::string_view base, std::string_view child) {
  if (base.empty())
    return std::string(child);
  return joinPath(base, {".", child});
}

}  // namespace apiserver::plugins::core
