/// @file plugin.cpp
/// The aggregator plugin's entry point: apiregistration.k8s.io/v1 APIService, its admission, the
/// proxy in front of the host's server, and the availability controller (kube-aggregator).

#include "aggregator/admission.h"
#include "aggregator/apiservice.h"
#include "aggregator/available_controller.h"
#include "aggregator/config.h"
#include "aggregator/proxy_handler.h"
#include "aggregator/registry.h"

#include <apiserver/plugin.h>

#include <exception>
#include <memory>

namespace apiserver::plugins::aggregator {

/// AggregatorPlugin registers everything the aggregator is; see docs/configuration.md for its
/// configuration keys.
class AggregatorPlugin final : public Plugin {
 public:
  // apiserver::Plugin
  Result<void> registerWith(Registrar& registrar, const ConfigSection& config) override {
    try {
      auto cfg = decodeConfig(config);
      if (!cfg) return std::move(cfg).error();
      auto upstream = registrar.upstreamClient();
      if (!upstream) return ApiError::internal("the host offers no upstream client; the aggregator cannot proxy");
      auto registry = std::make_shared<ApiServiceRegistry>();
      if (auto r = registrar.addResource(apiServiceResourceSpec(), std::make_shared<ApiServiceStrategy>()); !r) return r;
      if (auto r = registrar.addAdmission(std::make_shared<ApiServiceAdmission>(registrar.client(), registry)); !r)
        return r;
      ProxyOptions po;
      po.connectTimeout = cfg->connectTimeout;
      po.responseHeaderTimeout = cfg->responseHeaderTimeout;
      po.clientCertPem = cfg->proxyClientCertPem;
      po.clientKeyPem = cfg->proxyClientKeyPem;
      if (auto r = registrar.addDelegate("aggregator.proxy",
                                         std::make_shared<ProxyHandler>(registry, upstream, std::move(po), registrar.logger()));
          !r)
        return r;
      return registrar.addController(
          std::make_shared<AvailableController>(registry, upstream, std::move(*cfg), registrar.logger(), registrar.clock()));
    } catch (const std::exception& e) {
      return ApiError::internal(std::string("aggregator plugin registration failed: ") + e.what());
    }
  }
};

}  // namespace apiserver::plugins::aggregator

APISERVER_PLUGIN(apiserver::plugins::aggregator::AggregatorPlugin, "aggregator")
