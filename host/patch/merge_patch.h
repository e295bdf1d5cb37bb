#pragma once

#include <apiserver/result.h>

#include <boost/json/value.hpp>

#include <string_view>

/// @file merge_patch.h
/// RFC 7386 JSON Merge Patch (application/merge-patch+json) as kube-apiserver applies it
/// (evanphx/json-patch v4's MergePatch in handlers/patch.go).

namespace apiserver::patch {

namespace json = boost::json;

/// applyMergePatch applies `patch` to a copy of `doc` (RFC 7386): `null` members delete, objects
/// merge recursively, anything else replaces; a patch that is not an object replaces the whole
/// document. Where RFC 7386 leaves room, kube's library is followed: an object value that
/// replaces a non-object (or is added) loses its `null` members at every depth, including inside
/// the objects of an array it carries, while `null` array elements stay; an array that replaces
/// an object is taken as is. Keys keep the document's order; new keys follow in patch order.
/// Never fails (the Result is for symmetry with the other engines).
Result<json::value> applyMergePatch(const json::value& doc, const json::value& patch);

/// applyMergePatchBody decodes a request body and applies it as kube does: a body that is not
/// JSON, or is `null`, a string, a number or a boolean, fails with 400 BadRequest
/// "Invalid JSON Patch". An array body yields that array (nulls pruned inside its objects), which
/// the caller then fails to decode into an object, as kube does.
Result<json::value> applyMergePatchBody(const json::value& doc, std::string_view body);

}  // namespace apiserver::patch
