// resolveService: a Service and its Endpoints to backend addresses (kube's aggregator routing),
// ExternalName Services, and kube's reasons and messages when there is nothing to route to.
#include "aggregator/resolver.h"

#include "fakes.h"

#include <gtest/gtest.h>

namespace apiserver::plugins::aggregator {
namespace {

using testing::obj;

ApiServiceView apiService(std::int64_t port = 443) {
  ApiServiceView v;
  v.name = "v1.g";
  v.group = "g";
  v.version = "v1";
  v.service = ServiceReference{"ns", "api", port};
  return v;
}

const json::object kService = obj(R"({"metadata":{"name":"api","namespace":"ns"},"spec":{"type":"ClusterIP",)"
                                  R"("ports":[{"name":"https","port":443,"targetPort":8443},)"
                                  R"({"name":"plain","port":80,"appProtocol":"http"}]}})");

TEST(ResolveService, EndpointsAddressesWithThePortNamedLikeTheServicePort) {
  auto eps = obj(R"({"subsets":[{"addresses":[{"ip":"10.0.0.1"},{"ip":"10.0.0.2"}],)"
                 R"("notReadyAddresses":[{"ip":"10.0.0.9"}],)"
                 R"("ports":[{"name":"https","port":8443},{"name":"plain","port":8080}]},)"
                 R"({"addresses":[{"ip":"10.0.1.1"}],"ports":[{"name":"other","port":9999}]}]})");
  Resolution r = resolveService(apiService(), &kService, &eps);
  ASSERT_TRUE(r.ok) << r.message;
  ASSERT_EQ(r.targets.size(), 2u);
  EXPECT_EQ(r.targets[0].url(), "https://10.0.0.1:8443");
  EXPECT_EQ(r.targets[1].url(), "https://10.0.0.2:8443");
  EXPECT_EQ(r.targets[0].serverName, "api.ns.svc");

  // appProtocol http: plain HTTP to the backend.
  r = resolveService(apiService(80), &kService, &eps);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.targets[0].url(), "http://10.0.0.1:8080");
}

TEST(ResolveService, ExternalNameIsTheNameAndTheApiServicePort) {
  auto svc = obj(R"({"spec":{"type":"ExternalName","externalName":"127.0.0.1",)"
                 R"("ports":[{"name":"http","port":38080,"appProtocol":"http"}]}})");
  Resolution r = resolveService(apiService(38080), &svc, nullptr);
  ASSERT_TRUE(r.ok) << r.message;
  ASSERT_EQ(r.targets.size(), 1u);
  EXPECT_EQ(r.targets[0].url(), "http://127.0.0.1:38080");
  r = resolveService(apiService(9443), &svc, nullptr);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.targets[0].url(), "https://127.0.0.1:9443");
}

TEST(ResolveService, ReasonsAndMessagesAreKubes) {
  struct Case {
    std::string name;
    const json::object* service;
    std::optional<json::object> endpoints;
    std::int64_t port;
    std::string reason;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"no service", nullptr, std::nullopt, 443, "ServiceNotFound", "service/api in \"ns\" is not present"},
      {"no such port", &kService, std::nullopt, 8000, "ServicePortError",
       "service/api in \"ns\" is not listening on port 8000"},
      {"no endpoints", &kService, std::nullopt, 443, "EndpointsNotFound",
       "cannot find endpoints for service/api in \"ns\""},
      {"no address with the port's name", &kService,
       obj(R"({"subsets":[{"addresses":[{"ip":"10.0.0.1"}],"ports":[{"name":"other","port":1}]}]})"), 443,
       "MissingEndpoints", "endpoints for service/api in \"ns\" have no addresses with port name \"https\""},
      {"only not-ready addresses", &kService,
       obj(R"({"subsets":[{"notReadyAddresses":[{"ip":"10.0.0.1"}],"ports":[{"name":"https","port":1}]}]})"), 443,
       "MissingEndpoints", "endpoints for service/api in \"ns\" have no addresses with port name \"https\""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Resolution r = resolveService(apiService(c.port), c.service, c.endpoints ? &*c.endpoints : nullptr);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.reason, c.reason);
    EXPECT_EQ(r.message, c.message);
    EXPECT_TRUE(r.targets.empty());
  }
}

}  // namespace
}  // namespace apiserver::plugins::aggregator
