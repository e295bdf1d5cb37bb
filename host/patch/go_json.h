#pragma once

#include <apiserver/result.h>

#include <boost/json/value.hpp>

#include <cstddef>
#include <string>
#include <string_view>

/// @file go_json.h
/// The pieces of Go's encoding/json and fmt that kube-apiserver's patch errors are made of, so
/// that the text a client sees is what kube sends: Go's JSON syntax-error wording, the reflect type
/// names of decoded values, `%v`/`%s` formatting and `==` on interface values. Internal to the
/// patch library; exposed for its tests.

namespace apiserver::patch::detail {

namespace json = boost::json;

/// kMaxJsonDepth is the deepest nesting a patch body may have. Go allows 10000; we stop at 1000
/// because the engines recurse along the patch (see README.md).
inline constexpr std::size_t kMaxJsonDepth = 1000;

/// goSyntaxError returns the message Go's json.Unmarshal gives for the malformed `text`
/// ("invalid character 'x' looking for beginning of value", "unexpected end of JSON input",
/// ...), or "" when Go's scanner accepts it.
std::string goSyntaxError(std::string_view text);

/// parseJson parses `text` as Go's json.Unmarshal into interface{} would accept it; on failure
/// the error is Go's message (or, where only Boost.JSON refuses, e.g. invalid UTF-8, a message
/// of the same shape).
Result<json::value, std::string> parseJson(std::string_view text);

/// goTypeName is reflect.TypeOf(v).String() for a value decoded the way kube decodes patches
/// (integers as int64, other numbers as float64): "map[string]interface {}", "[]interface {}",
/// "string", "int64", "float64", "bool", or "<nil>" for null.
std::string_view goTypeName(const json::value& v);

/// goJsonKind is how Go's json.UnmarshalTypeError names a JSON value: "object", "array",
/// "string", "number", "bool" (and "null").
std::string_view goJsonKind(const json::value& v);

/// goFormatV is fmt's `%v` of a decoded value: maps as `map[k:v ...]` with sorted keys, slices
/// as `[a b]`, strings bare, null as `<nil>`, float64 as strconv's shortest 'g' form.
std::string goFormatV(const json::value& v);
/// goFormatS is fmt's `%s` of a decoded value: strings bare, other scalars as `%!s(int64=1)`,
/// containers element by element.
std::string goFormatS(const json::value& v);

/// GoEquality is the outcome of Go's `==` on two interface values.
enum class GoEquality {
  NotEqual,
  Equal,
  /// Uncomparable: both hold maps, or both hold slices; Go panics ("comparing uncomparable
  /// type ...").
  Uncomparable,
};
/// goEqual is Go's `==` on two decoded values: different dynamic types are unequal (int64 1 is
/// not float64 1), null equals null.
GoEquality goEqual(const json::value& a, const json::value& b);

/// isGoInteger tells whether kube's decoder would hold `v` as int64 (not float64).
bool isGoInteger(const json::value& v);

}  // namespace apiserver::patch::detail
