#pragma once

#include "aggregator/apiservice.h"

#include <apiserver/object.h>
#include <apiserver/upstream.h>

#include <string>
#include <vector>

/// @file resolver.h
/// Where an APIService's requests go: its Service resolved to backend addresses, as kube's
/// proxy.ResolveEndpoint does with --enable-aggregator-routing (an Endpoints address and the
/// port named like the Service port), plus ExternalName Services (kube's ResolveCluster:
/// externalName and the APIService's port). The checks and their reasons and messages are kube's
/// availability controller's.

namespace apiserver::plugins::aggregator {

/// Resolution is the outcome: backends, or why there are none.
struct Resolution {
  bool ok = false;
  std::string reason;   ///< ServiceNotFound, ServicePortError, EndpointsNotFound, MissingEndpoints
  std::string message;  ///< kube's wording
  /// targets: scheme, host, port and serverName ("<service>.<namespace>.svc") set; TLS
  /// material is the caller's to add.
  std::vector<UpstreamTarget> targets;
};

/// resolveService resolves `apiService`'s spec.service. `service` and `endpoints` are the
/// objects named by it (null when absent). A Service port with appProtocol "http" is spoken to
/// in plain HTTP; anything else in HTTPS, as kube always does.
Resolution resolveService(const ApiServiceView& apiService, const json::object* service,
                          const json::object* endpoints);

}  // namespace apiserver::plugins::aggregator
