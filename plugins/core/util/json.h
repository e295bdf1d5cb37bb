#pragma once

#include <apiserver/object.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

/// @file json.h
/// Small helpers for reading and mutating objects in their unstructured (JSON) form, on top of
/// the read-only accessors of apiserver/object.h. None of them throws.

namespace apiserver::plugins::core {

/// isSet reports whether obj has `key` with a non-null value.
bool isSet(const json::object& obj, std::string_view key);

/// setDefault stores `value` at obj[key] when the key is missing or null (kube's "default if
/// unset"); it returns true when it did. The value is made in obj's memory (a value made
/// elsewhere would be copied into it).
template <class T>
bool setDefault(json::object& obj, std::string_view key, T&& value) {
  if (isSet(obj, key))
    return false;
  obj[key] = json::value(std::forward<T>(value), obj.storage());
  return true;
}

/// ensureObject returns obj[key] as an object, creating an empty one when the key is missing or
/// null. It returns nullptr when the key holds something other than an object (left untouched).
json::object* ensureObject(json::object& obj, std::string_view key);

/// mutableObject returns obj[key] when it is an object, else nullptr.
json::object* mutableObject(json::object& obj, std::string_view key);

/// mutableArray returns obj[key] when it is an array, else nullptr.
json::array* mutableArray(json::object& obj, std::string_view key);

/// stringOf returns the string `v` holds, or `fallback` when v is null or not a string.
std::string_view stringOf(const json::value* v, std::string_view fallback = {});

/// int64Of returns the integer `v` holds (integral doubles accepted), or nullopt.
std::optional<std::int64_t> int64Of(const json::value* v);

/// boolOf returns the boolean `v` holds, or `fallback`.
bool boolOf(const json::value* v, bool fallback = false);

/// objectOf returns `v` as an object, or nullptr.
const json::object* objectOf(const json::value* v);

/// arrayOf returns `v` as an array, or nullptr.
const json::array* arrayOf(const json::value* v);

/// isEmptyValue reports whether v is missing, null, "", an empty array or an empty object: the
/// values Go's omitempty drops and kube's semantic equality treats as unset.
bool isEmptyValue(const json::value* v);

/// semanticEqual compares two values as kube's apiequality.Semantic.DeepEqual compares the typed
/// objects they decode to: object keys whose values are empty (see isEmptyValue) count as
/// absent, and integral doubles equal the integers they hold.
bool semanticEqual(const json::value& a, const json::value& b);

/// indexPath renders a list element's field path: indexPath("spec.ports", 2) is
/// "spec.ports[2]".
std::string indexPath(std::string_view base, std::size_t index);

/// keyPath renders a map entry's field path: keyPath("data", "a.b") is "data[a.b]".
std::string keyPath(std::string_view base, std::string_view key);

/// childPath renders a child field path: childPath("spec", "ports") is "spec.ports".
std::string childPath(std::string_view base, std::string_view child);

}  // namespace apiserver::plugins::core
