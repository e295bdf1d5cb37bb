#pragma once

#include <apiserver/config.h>
#include <apiserver/result.h>

#include <chrono>
#include <string>

/// @file config.h
/// The aggregator plugin's `config:` section.

namespace apiserver::plugins::aggregator {

/// AggregatorConfig is the decoded section. Every key is optional.
struct AggregatorConfig {
  /// availabilityCheckInterval: how often each remote APIService's discovery document is
  /// probed (it is also probed at once when the APIService, its Service or Endpoints change, and
  /// when a proxied request fails to reach the backend).
  std::chrono::milliseconds availabilityCheckInterval{10000};
  /// discoveryTimeout bounds one probe (connect, TLS handshake and answer), as kube's 5 s.
  std::chrono::milliseconds discoveryTimeout{5000};
  /// connectTimeout bounds connecting (and the TLS handshake) to a backend for a proxied
  /// request; past it the request is answered 503.
  std::chrono::milliseconds connectTimeout{5000};
  /// responseHeaderTimeout bounds the wait for a backend's response headers (a request's own
  /// deadline, from serving.requestTimeout or ?timeout=, applies as well).
  std::chrono::milliseconds responseHeaderTimeout{60000};
  /// proxyClientCertFile / proxyClientKeyFile: the client certificate (PEM) the proxy presents
  /// to backends (kube's --proxy-client-cert-file / --proxy-client-key-file). Both or neither.
  std::string proxyClientCertFile;
  std::string proxyClientKeyFile;
  /// The contents of those files, read at start.
  std::string proxyClientCertPem;
  std::string proxyClientKeyPem;
};

/// decodeConfig reads the section, reporting every problem with its location; the certificate
/// files are read (and must hold PEM) here.
Result<AggregatorConfig> decodeConfig(const ConfigSection& section);

}  // namespace apiserver::plugins::aggregator
