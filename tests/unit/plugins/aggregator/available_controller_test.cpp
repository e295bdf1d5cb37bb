// AvailableController: Local APIServices at start, the Available condition as kube's
// availability controllers set it (reasons, messages, transitions), the checks against the
// backend, and the snapshot the proxy reads.
#include "aggregator/available_controller.h"

#include "fakes.h"

#include <apiserver/base64.h>
#include <gtest/gtest.h>

namespace apiserver::plugins::aggregator {
namespace {

using testing::eventually;
using testing::FakeUpstream;
using testing::FixedClock;
using testing::MemoryClient;
using testing::NullLogger;
using testing::obj;

constexpr const char* kDiscovery =
    R"({"kind":"APIResourceList","apiVersion":"v1","groupVersion":"samples.example.com/v1alpha1","resources":[)"
    R"({"name":"gadgets","singularName":"gadget","namespaced":true,"kind":"Gadget","verbs":["get","list"]}]})";
constexpr const char* kIndex =
    R"({"paths":{"apis/samples.example.com/v1alpha1":{"serverRelativeURL":"/openapi/v3/apis/samples.example.com/v1alpha1?hash=X"}}})";

ResourceSpec spec(std::string group, std::string version, std::string plural) {
  ResourceSpec s;
  s.group = std::move(group);
  s.version = std::move(version);
  s.plural = std::move(plural);
  return s;
}

json::object remoteApiService(std::string_view service = "sample-api") {
  auto o = obj(R"({"metadata":{"name":"v1alpha1.samples.example.com"},"spec":{"group":"samples.example.com",)"
               R"("version":"v1alpha1","groupPriorityMinimum":1000,"versionPriority":15,)"
               R"("service":{"namespace":"default","port":8443}}})");
  o["spec"].as_object()["service"].as_object()["name"] = service;
  return o;
}

class AvailableControllerTest : public ::testing::Test {
 protected:
  AvailableControllerTest() {
    client_.specs = {spec("", "v1", "services"), spec("", "v1", "endpoints"),
                     spec("apiregistration.k8s.io", "v1", "apiservices")};
  }
  static AggregatorConfig fastConfig() {
    AggregatorConfig c;  // the controller copies it: set before it is built
    c.availabilityCheckInterval = std::chrono::milliseconds(100);
    c.discoveryTimeout = std::chrono::milliseconds(500);
    return c;
  }
  ~AvailableControllerTest() override { controller_.stop(); }

  Result<Response> respond(const FakeUpstream::Call& c) {
    if (!backendUp_) return ApiError::serviceUnavailable("dial tcp 127.0.0.1:8443: connect: connection refused");
    if (c.target == "/openapi/v3") return testing::ok(kIndex);
    if (c.target == "/apis/samples.example.com/v1alpha1") return testing::ok(kDiscovery);
    return Response::bytes(404, "text/plain", "not found");
  }

  ApiServiceCondition condition(const std::string& name) {
    auto o = client_.find("apiservices", "", name);
    if (!o) return {};
    auto v = viewOf(*o);
    return v.available.value_or(ApiServiceCondition{});
  }
  bool conditionIs(const std::string& name, const std::string& status, const std::string& reason) {
    return eventually([&] {
      auto c = condition(name);
      return c.status == status && c.reason == reason;
    });
  }
  const RemoteVersion* remote() {
    snapshot_ = registry_->snapshot();
    return snapshot_->find("samples.example.com", "v1alpha1");
  }

  std::atomic<bool> backendUp_{true};
  MemoryClient client_;
  NullLogger log_;
  AggregatorConfig config_ = fastConfig();
  std::shared_ptr<ApiServiceRegistry> registry_ = std::make_shared<ApiServiceRegistry>();
  std::shared_ptr<FakeUpstream> upstream_ =
      std::make_shared<FakeUpstream>([this](const FakeUpstream::Call& c) { return respond(c); });
  std::shared_ptr<const Snapshot> snapshot_;
  AvailableController controller_{registry_, upstream_, config_, log_, std::make_shared<FixedClock>()};
};

TEST_F(AvailableControllerTest, LocalApiServicesAreCreatedAtStartAndAlwaysAvailable) {
  ASSERT_TRUE(controller_.start(client_));
  auto core = client_.find("apiservices", "", "v1.");
  ASSERT_TRUE(core);
  EXPECT_EQ(json::serialize(core->at("spec")),
            R"({"group":"","version":"v1","groupPriorityMinimum":18000,"versionPriority":1})");
  EXPECT_EQ(stringField(*core, "", "metadata", "labels", kAutomanagedLabel), "onstart");
  ASSERT_TRUE(client_.find("apiservices", "", "v1.apiregistration.k8s.io"));
  EXPECT_TRUE(conditionIs("v1.", "True", "Local"));
  EXPECT_EQ(condition("v1.").message, "Local APIServices are always available");
  EXPECT_EQ(condition("v1.").lastTransitionTime, "2024-01-01T12:00:00Z");
  // Their priorities order discovery.
  EXPECT_TRUE(eventually([&] { return registry_->snapshot()->groupPriority.count("") == 1; }));
  EXPECT_EQ(registry_->snapshot()->groupPriority.at("apiregistration.k8s.io"), 18000);
}

TEST_F(AvailableControllerTest, AMissingServiceIsReportedAndTheBackendNeverAsked) {
  client_.put("apiservices", remoteApiService("nope"));
  ASSERT_TRUE(controller_.start(client_));
  ASSERT_TRUE(conditionIs("v1alpha1.samples.example.com", "False", "ServiceNotFound"));
  EXPECT_EQ(condition("v1alpha1.samples.example.com").message, "service/nope in \"default\" is not present");
  ASSERT_TRUE(eventually([&] { return remote() != nullptr; }));
  EXPECT_FALSE(remote()->available);
  EXPECT_TRUE(upstream_->calls().empty());
}

TEST_F(AvailableControllerTest, AnAnsweringBackendIsAvailableAndItsDiscoveryPublished) {
  client_.put("services", obj(R"({"metadata":{"name":"sample-api","namespace":"default"},"spec":{"type":"ClusterIP",)"
                              R"("ports":[{"name":"https","port":8443}]}})"));
  client_.put("endpoints", obj(R"({"metadata":{"name":"sample-api","namespace":"default"},)"
                               R"("subsets":[{"addresses":[{"ip":"10.1.2.3"}],"ports":[{"name":"https","port":9443}]}]})"));
  auto as = remoteApiService();
  as["spec"].as_object()["caBundle"] = base64::encode("-----BEGIN CERTIFICATE-----");
  client_.put("apiservices", as);
  ASSERT_TRUE(controller_.start(client_));
  ASSERT_TRUE(conditionIs("v1alpha1.samples.example.com", "True", "Passed"));
  EXPECT_EQ(condition("v1alpha1.samples.example.com").message, "all checks passed");
  ASSERT_TRUE(eventually([&] { return remote() != nullptr && remote()->available && !remote()->resources.empty(); }));
  const RemoteVersion* v = remote();
  ASSERT_EQ(v->targets.size(), 1u);
  EXPECT_EQ(v->targets[0].url(), "https://10.1.2.3:9443");
  EXPECT_EQ(v->targets[0].serverName, "sample-api.default.svc");
  EXPECT_EQ(v->targets[0].caBundlePem, "-----BEGIN CERTIFICATE-----");
  EXPECT_EQ(json::serialize(v->resources[0].at("resource")), R"("gadgets")");
  EXPECT_EQ(v->openapiPath, "/openapi/v3/apis/samples.example.com/v1alpha1?hash=X");
  EXPECT_TRUE(snapshot_->remoteGroups.count("samples.example.com"));

  // The check identifies itself as kube's does.
  auto calls = upstream_->calls();
  ASSERT_FALSE(calls.empty());
  bool sawCheck = false;
  for (const auto& c : calls) {
    if (c.target != "/apis/samples.example.com/v1alpha1") continue;
    sawCheck = true;
    EXPECT_EQ(c.options.setHeaders[0], (std::pair<std::string, std::string>{"X-Remote-User", "system:kube-aggregator"}));
    EXPECT_EQ(c.options.setHeaders[1], (std::pair<std::string, std::string>{"X-Remote-Group", "system:masters"}));
    EXPECT_EQ(c.options.connectTimeout, std::chrono::milliseconds(500));
  }
  EXPECT_TRUE(sawCheck);
}

TEST_F(AvailableControllerTest, ABackendThatGoesAwayAndComesBack) {
  client_.put("services", obj(R"({"metadata":{"name":"sample-api","namespace":"default"},)"
                              R"("spec":{"type":"ExternalName","externalName":"127.0.0.1"}})"));
  client_.put("apiservices", remoteApiService());
  ASSERT_TRUE(controller_.start(client_));
  ASSERT_TRUE(conditionIs("v1alpha1.samples.example.com", "True", "Passed"));
  const std::string since = condition("v1alpha1.samples.example.com").lastTransitionTime;

  backendUp_ = false;
  ASSERT_TRUE(conditionIs("v1alpha1.samples.example.com", "False", "FailedDiscoveryCheck"));
  EXPECT_EQ(condition("v1alpha1.samples.example.com").message,
            "failing or missing response from https://127.0.0.1:8443/apis/samples.example.com/v1alpha1: Get "
            "\"https://127.0.0.1:8443/apis/samples.example.com/v1alpha1\": dial tcp 127.0.0.1:8443: connect: connection "
            "refused");
  EXPECT_TRUE(eventually([&] { return remote() != nullptr && !remote()->available; }));

  backendUp_ = true;
  registry_->requestCheck("v1alpha1.samples.example.com");
  ASSERT_TRUE(conditionIs("v1alpha1.samples.example.com", "True", "Passed"));
  EXPECT_TRUE(eventually([&] { return remote() != nullptr && remote()->available; }));
  EXPECT_EQ(since, "2024-01-01T12:00:00Z");
}

TEST_F(AvailableControllerTest, AServiceThatAppearsLaterIsPickedUp) {
  client_.put("apiservices", remoteApiService());
  ASSERT_TRUE(controller_.start(client_));
  ASSERT_TRUE(conditionIs("v1alpha1.samples.example.com", "False", "ServiceNotFound"));
  client_.put("services", obj(R"({"metadata":{"name":"sample-api","namespace":"default"},"spec":{"type":"ClusterIP",)"
                              R"("ports":[{"name":"https","port":8443}]}})"));
  ASSERT_TRUE(conditionIs("v1alpha1.samples.example.com", "False", "EndpointsNotFound"));
  client_.put("endpoints", obj(R"({"metadata":{"name":"sample-api","namespace":"default"},)"
                               R"("subsets":[{"addresses":[{"ip":"10.1.2.3"}],"ports":[{"name":"other","port":1}]}]})"));
  ASSERT_TRUE(conditionIs("v1alpha1.samples.example.com", "False", "MissingEndpoints"));
  client_.put("endpoints", obj(R"({"metadata":{"name":"sample-api","namespace":"default"},)"
                               R"("subsets":[{"addresses":[{"ip":"10.1.2.3"}],"ports":[{"name":"https","port":1}]}]})"));
  ASSERT_TRUE(conditionIs("v1alpha1.samples.example.com", "True", "Passed"));
  client_.erase("apiservices", "", "v1alpha1.samples.example.com");
  EXPECT_TRUE(eventually([&] { return remote() == nullptr; }));
}

TEST(WithCondition, TheTransitionTimeMovesOnlyWithTheStatus) {
  auto o = obj(R"({"metadata":{"name":"x"},"status":{"conditions":[{"type":"Other","status":"True"},)"
               R"({"type":"Available","status":"False","reason":"A","message":"m","lastTransitionTime":"T0"}]}})");
  EXPECT_FALSE(AvailableController::withCondition(o, "False", "A", "m", "T1"));
  auto same = AvailableController::withCondition(o, "False", "B", "m2", "T1");
  ASSERT_TRUE(same);
  EXPECT_EQ(json::serialize(same->at("status")),
            R"({"conditions":[{"type":"Other","status":"True"},{"type":"Available","status":"False","reason":"B",)"
            R"("message":"m2","lastTransitionTime":"T0"}]})");
  auto flipped = AvailableController::withCondition(o, "True", "Passed", "all checks passed", "T1");
  ASSERT_TRUE(flipped);
  EXPECT_EQ(flipped->at("status").at("conditions").as_array()[1].at("lastTransitionTime"), "T1");
  auto fresh = AvailableController::withCondition(obj(R"({"metadata":{"name":"x"}})"), "True", "Local", "l", "T2");
  EXPECT_EQ(json::serialize(fresh->at("status")),
            R"({"conditions":[{"type":"Available","status":"True","lastTransitionTime":"T2","reason":"Local","message":"l"}]})");
}

}  // namespace
}  // namespace apiserver::plugins::aggregator
