#pragma once

#include <apiserver/request.h>

/// @file request_info.h
/// resolveRequestInfo derives kube's RequestInfo (verb, group, version, namespace, resource,
/// subresource, name) from a request's method, path and query, exactly as
/// k8s.io/apiserver/pkg/endpoints/request.RequestInfoFactory does.

namespace apiserver::server {

RequestInfo resolveRequestInfo(const Request& req);

/// ensureRequestInfo fills req.info unless a link already did.
inline void ensureRequestInfo(Request& req) {
  if (!req.info.resolved) req.info = resolveRequestInfo(req);
}

/// isLongRunning: watches and streaming subresources, which neither count against the
/// in-flight limits nor get the request timeout.
bool isLongRunning(const RequestInfo& info);

/// isMutating: verbs that change state (for max-in-flight's second limit).
bool isMutating(const RequestInfo& info);

}  // namespace apiserver::server
