#pragma once

#include "schema/schema.h"

#include <boost/json/object.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// @file validate.h
/// What kube's decoder does to a request body on its way into a typed object, expressed over a
/// kind's schema: fields the schema does not define are dropped (and reported for
/// fieldValidation), values of the wrong JSON type are refused, duplicate keys are found.

namespace apiserver::schema {

/// FieldValidation is the fieldValidation parameter: what to do with unknown and duplicate
/// fields in a request body.
enum class FieldValidation {
  Ignore,  ///< drop them silently
  Warn,    ///< drop them and send a Warning header per field (the default)
  Strict,  ///< refuse the request with 400
};

/// decodeFields does to a decoded body, in one walk over it, what decoding it into kube's Go
/// types does. A value whose JSON type the schema does not allow refuses the body: the result is
/// Go's json error for the first one ("json: cannot unmarshal string into Go struct field
/// PodSpec.spec.activeDeadlineSeconds of type int64"; null is allowed anywhere, it leaves the
/// zero value), and `obj` is then left partly pruned. Otherwise (nullopt) every field the schema
/// does not define has been removed from `obj` and its path ("spec.containers[0].foo") appended
/// to `unknown`, and empty lists and maps of optional fields removed (Go's omitempty). Where the
/// schema says nothing, or preserves unknown fields, nothing is checked or dropped.
std::optional<std::string> decodeFields(json::object& obj, const SchemaNode& root,
                                        std::vector<std::string>& unknown);

/// duplicateFields returns the paths of keys that appear more than once in one object of the
/// JSON text ("metadata.name"), in document order. Malformed JSON yields what was found so far.
std::vector<std::string> duplicateFields(std::string_view jsonText);

/// parseFindingDuplicates is boost::json::parse (the value takes its memory from `sp`) that, when
/// `duplicates` is not nullptr, also appends what duplicateFields would find. The parse counts
/// the keys it reads; only a text whose objects end up with fewer members (a repeated key: the
/// last one is kept) is read a second time, by duplicateFields. Nothing is appended when the text
/// does not parse.
json::value parseFindingDuplicates(std::string_view text, boost::system::error_code& ec,
                                   json::storage_ptr sp, const json::parse_options& options,
                                   std::vector<std::string>* duplicates);

}  // namespace apiserver::schema
