#pragma once

#include "config/config.h"

#include <apiserver/result.h>

#include <cstdint>
#include <memory>

/// @file generic_api_server.h
/// GenericApiServer: the server built from a CompletedConfig — plugins loaded, stores over the
/// storage backend, the handler chain from the YAML, the server chain (delegates, then the
/// resource server, then 404) and the HTTP listener — and its run/shutdown lifecycle.

namespace apiserver::server {

/// ExitCode values main returns.
enum ExitCode : int { kExitOk = 0, kExitRuntime = 1, kExitConfig = 2, kExitPlugin = 3 };

class GenericApiServer {
 public:
  /// create loads the plugins and builds everything; nothing listens yet. Plugin failures are
  /// ApiErrors with reason "PluginLoadFailed".
  static Result<std::unique_ptr<GenericApiServer>> create(const config::CompletedConfig& config);
  ~GenericApiServer();
  GenericApiServer(const GenericApiServer&) = delete;
  GenericApiServer& operator=(const GenericApiServer&) = delete;

  /// run starts serving, waits for SIGINT or SIGTERM, shuts down gracefully and returns the exit
  /// code.
  int run();

 private:
  struct Impl;
  explicit GenericApiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// runMain is main's whole body: options, config, server, run.
int runMain(int argc, const char* const* argv);

}  // namespace apiserver::server
