#pragma once

#include <apiserver/result.h>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

/// @file go_json.h
/// Go's encoding/json, fmt and `==` over decoded JSON values, the pieces kube-apiserver's error
/// texts and wire forms are made of: Go's JSON syntax-error wording, the reflect type names of
/// decoded values, `%v` / `%s` formatting, `==` on interface values, json.Marshal and Go's float
/// formatting; also structured-merge-diff's value.ToString, which is built on them.
///
/// The value model is kube's decoder (apimachinery's util/json, sigs.k8s.io/json): a JSON number
/// is int64 when it fits, otherwise float64. Boost.JSON holds a number in [2^63, 2^64) as uint64;
/// everything here treats such a value as the float64 Go would hold, except goMarshal (see there).

namespace apiserver::golang {

namespace json = boost::json;

/// kMaxJsonDepth is the deepest nesting parseJson accepts. Go allows 10000; we stop at 1000
/// because the patch engines recurse along the document (see host/patch/README.md).
inline constexpr std::size_t kMaxJsonDepth = 1000;

// --- decoding ---

/// goSyntaxError returns the message Go's json.Unmarshal gives for the malformed `text`
/// ("invalid character 'x' looking for beginning of value", "unexpected end of JSON input",
/// ...), or "" when Go's scanner accepts it.
std::string goSyntaxError(std::string_view text);

/// parseJson parses `text` as Go's json.Unmarshal into interface{} would accept it; on failure
/// the error is Go's message (or, where only Boost.JSON refuses, e.g. invalid UTF-8, a message
/// of the same shape).
Result<json::value, std::string> parseJson(std::string_view text);

// --- types ---

/// isGoInteger tells whether kube's decoder would hold `v` as int64 (not float64).
bool isGoInteger(const json::value& v);

/// goTypeName is reflect.TypeOf(v).String() for a decoded value: "map[string]interface {}",
/// "[]interface {}", "string", "int64", "float64", "bool", or "<nil>" for null.
std::string_view goTypeName(const json::value& v);

/// goJsonKind is how Go's json.UnmarshalTypeError names a JSON value: "object", "array",
/// "string", "number", "bool" (and "null").
std::string_view goJsonKind(const json::value& v);

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

/// sortedMembers lists the members of `o` in Go's order of map keys (bytewise, as sort.Strings,
/// fmt and encoding/json order them).
std::vector<const json::key_value_pair*> sortedMembers(const json::object& o);

// --- fmt ---

/// goFormatV is fmt's `%v` of a decoded value: maps as `map[k:v ...]` with sorted keys, slices
/// as `[a b]`, strings bare, null as `<nil>`, float64 as goFormatFloatV.
std::string goFormatV(const json::value& v);

/// goFormatS is fmt's `%s` of a decoded value: strings bare, other scalars as `%!s(int64=1)`,
/// containers element by element.
std::string goFormatS(const json::value& v);

/// goFormatFloatV is fmt's `%v` of a float64: strconv.FormatFloat(f, 'g', -1, 64), the shortest
/// digits that round-trip, in %e form when the decimal exponent is < -4 or >= 6 ("1e+06",
/// "1.5e-05"), otherwise in %f form.
std::string goFormatFloatV(double f);

// --- encoding/json ---

/// goFormatFloat is how encoding/json writes a float64: strconv's shortest 'f' form, or the 'e'
/// form below 1e-6 and from 1e21 on, with a one-digit negative exponent cleaned up ("1e-7",
/// "1e+21").
std::string goFormatFloat(double f);

/// appendGoString appends `s` as Go's json.Marshal writes a string: quoted, with `<`, `>`, `&`,
/// U+2028 and U+2029 escaped as \u00XX / \u20XX, control characters as \n, \r, \t, \b, \f or
/// \u00XX, and invalid UTF-8 replaced by \ufffd.
void appendGoString(std::string& out, std::string_view s);

/// goMarshal is json.Marshal of a decoded value: objects with their keys sorted (Go marshals
/// map[string]interface{} in key order), compact, strings as appendGoString writes them,
/// integers as integers and floats as goFormatFloat. A uint64 (beyond int64) is written with
/// its exact digits, as Boost.JSON holds it.
std::string goMarshal(const json::value& v);
/// appendGoMarshal appends goMarshal(v) to `out`.
void appendGoMarshal(std::string& out, const json::value& v);

// --- structured-merge-diff ---

/// smdToString is structured-merge-diff's value.ToString, used in human-readable field paths:
/// strings quoted with %q, numbers and booleans as %v, null as `null`, lists as `[a,b]`, maps as
/// `k=v` pairs (in key order) with no separator.
std::string smdToString(const json::value& v);

}  // namespace apiserver::golang
