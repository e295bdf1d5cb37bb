#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

/// @file go_json.h
/// The pieces of Go's encoding/json, strconv and fmt that server-side apply's wire forms are made
/// of: the JSON inside FieldsV1 keys (`k:{"name":"c"}`, `v:"x"`), the last-applied annotation
/// kube writes (json.Marshal of a map: sorted keys), `%q` and `%v` in conflict paths. Internal
/// to the apply library; exposed for its tests.

namespace apiserver::apply::detail {

namespace json = boost::json;

/// appendGoString appends `s` as Go's json.Marshal writes a string: quoted, with `<`, `>`, `&`,
/// U+2028 and U+2029 escaped as \u00XX / \u20XX, control characters as \n, \r, \t, \b, \f or
/// \u00XX, and invalid UTF-8 replaced by \ufffd.
void appendGoString(std::string& out, std::string_view s);

/// goMarshal is json.Marshal of a decoded value: objects with their keys sorted (Go marshals
/// map[string]interface{} in key order), compact, strings as appendGoString writes them,
/// integers as integers and floats as Go formats float64 ('f' form, exponent form beyond 1e21
/// and below 1e-6).
std::string goMarshal(const json::value& v);

/// goFormatFloat is how encoding/json writes a float64.
std::string goFormatFloat(double f);

/// goQuote is strconv.Quote (fmt's %q): a double-quoted Go string literal.
std::string goQuote(std::string_view s);

/// goFormatV is fmt's %v of a decoded value (maps as `map[k:v]` with sorted keys, slices as
/// `[a b]`, strings bare, null as `<nil>`), for error texts.
std::string goFormatV(const json::value& v);

/// smdToString is structured-merge-diff's value.ToString, used in human-readable paths: strings
/// quoted with %q, numbers and booleans as %v, null as `null`, lists as `[a,b]`.
std::string smdToString(const json::value& v);

/// isInteger tells whether a JSON number is held as an integer (Go decodes it into int64).
inline bool isInteger(const json::value& v) {
  return v.is_int64() || v.is_uint64();
}

}  // namespace apiserver::apply::detail
