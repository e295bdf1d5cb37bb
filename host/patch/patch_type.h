#pragma once

#include <apiserver/status.h>

#include <string_view>

/// @file patch_type.h
/// PatchType: which engine a PATCH request's Content-Type selects, as kube-apiserver decides it.

namespace apiserver::patch {

/// PatchType is kube's types.PatchType.
enum class PatchType {
  Json,         ///< application/json-patch+json (RFC 6902)
  Merge,        ///< application/merge-patch+json (RFC 7386)
  Strategic,    ///< application/strategic-merge-patch+json
  Apply,        ///< application/apply-patch+yaml (server-side apply; implemented elsewhere)
  Unsupported,  ///< anything else, including application/apply-patch+cbor (feature-gated off)
};

/// patchTypeOf maps a Content-Type header to its patch type. As kube does, parameters are cut at
/// the first ';' (when it is not the first character) and the rest must match exactly.
PatchType patchTypeOf(std::string_view contentType);

/// contentTypeOf is the media type of a patch type ("" for Unsupported).
std::string_view contentTypeOf(PatchType type);

/// unsupportedPatchTypeError is kube's 415 for a PATCH with any other Content-Type:
/// "the body of the request was in an unknown format - accepted media types include:
/// application/json-patch+json, application/merge-patch+json,
/// application/strategic-merge-patch+json, application/apply-patch+yaml". `strategic` false
/// leaves strategic merge patch out of the list, as kube does for custom resources.
ApiError unsupportedPatchTypeError(bool strategic = true);

}  // namespace apiserver::patch
