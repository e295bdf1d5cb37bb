#include "aggregator/config.h"

#include <fstream>
#include <sstream>

namespace apiserver::plugins::aggregator {

namespace {

/// readPem reads a PEM file; an error message otherwise.
std::optional<std::string> readPem(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read \"" + path + "\"";
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string data = ss.str();
  if (data.find("-----BEGIN ") == std::string::npos) {
    error = "\"" + path + "\" holds no PEM block";
    return std::nullopt;
  }
  return data;
}

}  // namespace

Result<AggregatorConfig> decodeConfig(const ConfigSection& section) {
  AggregatorConfig cfg;
  ConfigReader r(section);
  auto positive = [&](const char* key, std::chrono::milliseconds& out) {
    if (auto d = r.duration(key)) {
      if (d->count() <= 0)
        r.error(key, "must be greater than 0");
      else
        out = *d;
    }
  };
  positive("availabilityCheckInterval", cfg.availabilityCheckInterval);
  positive("discoveryTimeout", cfg.discoveryTimeout);
  positive("connectTimeout", cfg.connectTimeout);
  positive("responseHeaderTimeout", cfg.responseHeaderTimeout);
  cfg.proxyClientCertFile = r.string("proxyClientCertFile").value_or("");
  cfg.proxyClientKeyFile = r.string("proxyClientKeyFile").value_or("");
  if (cfg.proxyClientCertFile.empty() != cfg.proxyClientKeyFile.empty()) {
    r.error(cfg.proxyClientCertFile.empty() ? "proxyClientCertFile" : "proxyClientKeyFile",
            "proxyClientCertFile and proxyClientKeyFile must be given together");
  } else if (!cfg.proxyClientCertFile.empty()) {
    std::string error;
    if (auto pem = readPem(cfg.proxyClientCertFile, error))
      cfg.proxyClientCertPem = std::move(*pem);
    else
      r.error("proxyClientCertFile", error);
    if (auto pem = readPem(cfg.proxyClientKeyFile, error))
      cfg.proxyClientKeyPem = std::move(*pem);
    else
      r.error("proxyClientKeyFile", error);
  }
  if (auto done = r.finish(); !done) return fail(std::move(done).error());
  return cfg;
}

}  // namespace apiserver::plugins::aggregator
