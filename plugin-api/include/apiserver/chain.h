#pragma once

#include <apiserver/config.h>
#include <apiserver/request.h>
#include <apiserver/result.h>

#include <memory>

/// @file chain.h
/// The handler chain (links that every request passes) and the server chain (servers that each
/// handle the paths they own and delegate the rest).

namespace apiserver {

/// Handler answers a request. Implementations must be thread-safe: one handler serves many
/// requests at once.
class Handler {
 public:
  virtual ~Handler() = default;
  virtual Response serve(Request& req) = 0;
};

/// Link is one element of the handler chain (kube's WithX(handler) decorators). It may answer
/// the request itself (e.g. 429) or call `next`, and may act before and after it. Thread-safe.
/// Links must not throw; the panic-recovery link turns anything that escapes into a 500.
class Link {
 public:
  virtual ~Link() = default;
  virtual Response handle(Request& req, Handler& next) = 0;
};

/// LinkFactory makes a Link from its `config` section of the YAML `handlerChain` entry. It is
/// registered under a dotted name ("core.filters.example") that the YAML refers to.
class LinkFactory {
 public:
  virtual ~LinkFactory() = default;
  /// create validates the section (reporting each bad key with its location) and builds the link.
  virtual Result<std::shared_ptr<Link>> create(const ConfigSection& config) = 0;
};

/// DelegateServer is a server in the server chain, in front of the host's resource server (kube's
/// aggregator sits there). It serves the paths it owns and passes any other request to `next`.
/// Thread-safe.
class DelegateServer {
 public:
  virtual ~DelegateServer() = default;
  virtual Response serve(Request& req, Handler& next) = 0;
};

}  // namespace apiserver
