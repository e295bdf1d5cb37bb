#pragma once

#include <apiserver/status.h>

#include <string>
#include <utility>

/// @file errors.h
/// The error shapes kube-apiserver's PATCH handler (k8s.io/apiserver/pkg/endpoints/handlers/
/// patch.go) answers with, beyond the common ones ApiError already constructs.

namespace apiserver::patch {

/// kPatchInvalidMessage is what errors.NewGenericServerResponse(422, ...) says: kube wraps a
/// failed JSON patch and a list-of-lists strategic merge patch into it and drops the library's
/// own text.
inline constexpr const char* kPatchInvalidMessage =
    "the server rejected our request due to an error in our request";

/// patchInvalidError is kube's 422 for a patch that could not be applied: reason Invalid, the
/// generic message, and an empty `details` object (NewGenericServerResponse always sets one).
inline ApiError patchInvalidError() {
  return ApiError{422, "Invalid", kPatchInvalidMessage, ApiError::Details{}};
}

/// unknownError is how kube answers an error that is not an API status (responsewriters'
/// ErrorToAPIStatus): 500, no reason ("Unknown"), the error text as the message, no details.
/// kubectl prints it as "Error from server: <message>". Most strategic-merge-patch failures
/// ("map: ... does not contain declared merge key: name") reach the client this way.
inline ApiError unknownError(std::string message) {
  return ApiError{500, "", std::move(message), std::nullopt};
}

/// panicError stands for a Go runtime panic inside kube's patch code (e.g. comparing two maps
/// with ==). kube answers those with a plain-text 500 from its panic filter; we return an
/// InternalError naming the runtime error.
inline ApiError panicError(const std::string& what) {
  return ApiError::internal("runtime error: " + what);
}

}  // namespace apiserver::patch
