#pragma once

#include "config/config.h"
#include "server/http_server.h"

#include <apiserver/authorization.h>
#include <apiserver/chain.h>
#include <apiserver/registry.h>
#include <apiserver/result.h>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

/// @file secure_serving.h
/// SecureServing gathers what the secure port needs from the configuration, once, at start-up:
/// the serving certificate (the operator's, or generated into the cert dir), the client CA
/// bundles, the token file, the audit policy and log, and from them the TLS options of the HTTPS
/// listener and the "authentication", "audit" and "impersonation" link factories. It also writes
/// the admin kubeconfig once the secure port is bound.

namespace apiserver::server {

class SecureServing {
 public:
  /// create reads and checks everything; a bad file (token file, CA bundle, certificate, audit
  /// policy) is a configuration error (reason Invalid) naming the key and the problem.
  static Result<std::unique_ptr<SecureServing>> create(const config::Config& cfg, Logger& log);
  ~SecureServing();

  /// linkFactories are the host links this room offers, by name.
  std::vector<std::pair<std::string, std::shared_ptr<LinkFactory>>> linkFactories(
      std::shared_ptr<const Authorizer> authorizer) const;

  /// tlsOptions are the HTTPS listener's; null when the secure port is off.
  std::shared_ptr<const TlsServingOptions> tlsOptions() const { return tls_; }

  /// writeAdminKubeconfig writes `<dataDir>/admin.kubeconfig` for the bound secure port (rewritten
  /// on every start) and returns its path.
  Result<std::filesystem::path> writeAdminKubeconfig(std::uint16_t port) const;

  struct State;

 private:
  explicit SecureServing(std::unique_ptr<State> state);
  std::unique_ptr<State> s_;
  std::shared_ptr<const TlsServingOptions> tls_;
};

/// hostPort renders an address and port as kube logs them ("127.0.0.1:6443", "[::]:6443").
std::string hostPort(const std::string& address, std::uint16_t port);

}  // namespace apiserver::server
