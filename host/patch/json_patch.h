#pragma once

#include <apiserver/result.h>

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// @file json_patch.h
/// RFC 6902 JSON Patch (application/json-patch+json) with RFC 6901 pointers, answering errors as
/// kube-apiserver does (it uses evanphx/json-patch v4 in handlers/patch.go):
///  - a body that does not decode as a list of operation objects: 400 BadRequest with Go's
///    json.Unmarshal text ("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
///  - more than 10000 operations: 413 "Request entity too large: The allowed maximum operations
///    in a JSON patch is 10000, got N";
///  - an operation that does not apply (missing path, failed test, ...): 422 Invalid with kube's
///    generic message "the server rejected our request due to an error in our request" (kube
///    drops the library's text). The precise reason, naming the operation's index and path, is
///    kept in JsonPatchError for logs and tests.

namespace apiserver::patch {

namespace json = boost::json;

/// JsonPatchError says which operation failed and why.
struct JsonPatchError {
  std::size_t index = 0;  ///< 0-based position of the failing operation in the patch
  std::string op;         ///< its "op" ("unknown" when absent or not a string)
  std::string path;       ///< its "path" as written ("" when absent)
  /// message is the reason, worded after evanphx/json-patch ("remove operation does not apply:
  /// doc is missing path: \"/a/b\"", "testing value /a failed: test failed", ...).
  std::string message;

  /// str is "json patch operation <index> (<op> <path>): <message>".
  std::string str() const;
  /// toApiError is what kube answers: 422 Invalid, the generic message, empty details.
  ApiError toApiError() const;
};

/// JsonPatch is a decoded JSON Patch document: its operations, in order. Immutable once built;
/// const members are safe from any number of threads.
class JsonPatch {
 public:
  /// kMaxOperations is kube's maxJSONPatchOperations.
  static constexpr std::size_t kMaxOperations = 10000;

  /// parse decodes a request body. Fails with 400 BadRequest (Go's decode message) when it is
  /// not JSON or not a list of objects, and with 413 when it has more than kMaxOperations
  /// operations. `null` is an empty patch, as in kube.
  static Result<JsonPatch> parse(std::string_view body);
  /// fromValue is parse for an already decoded body.
  static Result<JsonPatch> fromValue(const json::value& patch);

  /// size is the number of operations.
  std::size_t size() const noexcept { return operations_.size(); }
  /// operations are the operation objects (a `null` entry stays null and fails when applied).
  const json::array& operations() const noexcept { return operations_; }

  /// apply runs the operations in order on `doc` and returns the result; on the first failing
  /// operation nothing of the partial result is returned.
  Result<json::value, JsonPatchError> apply(json::value doc) const;

 private:
  json::array operations_;
};

/// applyJsonPatch decodes `patchBody` and applies it to a copy of `doc`, with kube's errors
/// (400/413 from decoding, 422 from applying).
Result<json::value> applyJsonPatch(const json::value& doc, std::string_view patchBody);

/// parseJsonPointer splits an RFC 6901 pointer into its unescaped reference tokens ("" gives no
/// tokens: the whole document). nullopt when it is malformed: not starting with '/', or a '~'
/// not followed by '0' or '1'.
std::optional<std::vector<std::string>> parseJsonPointer(std::string_view pointer);

}  // namespace apiserver::patch
