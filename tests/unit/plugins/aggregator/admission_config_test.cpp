// The APIService admission step (a caBundle that is not base64; a local group delegated) and the
// plugin's configuration section.
#include "aggregator/admission.h"
#include "aggregator/apiservice.h"
#include "aggregator/config.h"

#include "fakes.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace apiserver::plugins::aggregator {
namespace {

using testing::MemoryClient;
using testing::obj;

class AdmissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ResourceSpec core;
    core.version = "v1";
    core.plural = "pods";
    client_->specs = {core, spec_};
    registry_->noteLocalGroups({"authorization.k8s.io"});
  }
  AdmissionAttributes attrs(json::object& o, Operation op = Operation::Create) {
    AdmissionAttributes a;
    a.operation = op;
    a.resource = &spec_;
    a.object = &o;
    return a;
  }

  ResourceSpec spec_ = apiServiceResourceSpec();
  std::shared_ptr<MemoryClient> client_ = std::make_shared<MemoryClient>();
  std::shared_ptr<ApiServiceRegistry> registry_ = std::make_shared<ApiServiceRegistry>();
  ApiServiceAdmission admission_{client_, registry_};
};

TEST_F(AdmissionTest, ACaBundleThatIsNotBase64IsABadRequestAsKubesDecoderSays) {
  auto o = obj(R"({"metadata":{"name":"v1.g"},"spec":{"group":"g","version":"v1","caBundle":"abc!"}})");
  auto a = attrs(o);
  auto r = admission_.admit(a);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 400);
  EXPECT_EQ(r.error().reason, "BadRequest");
  EXPECT_EQ(r.error().message,
            "APIService in version \"v1\" cannot be handled as a APIService: illegal base64 data at input byte 3");
  auto good = obj(R"({"metadata":{"name":"v1.g"},"spec":{"group":"g","version":"v1","caBundle":"aGVsbG8="}})");
  auto b = attrs(good);
  EXPECT_TRUE(admission_.admit(b));
  // The status subresource is not its business.
  a.subresource = "status";
  EXPECT_TRUE(admission_.admit(a));
}

TEST_F(AdmissionTest, ALocalGroupCannotBeDelegated) {
  for (std::string group : {"", "apiregistration.k8s.io", "authorization.k8s.io"}) {
    SCOPED_TRACE(group);
    auto o = obj(R"({"metadata":{"name":"v1.x"},"spec":{"version":"v1","service":{"namespace":"n","name":"s"}}})");
    o["spec"].as_object()["group"] = group;
    o["metadata"].as_object()["name"] = "v1." + group;
    auto r = admission_.validate(attrs(o, Operation::Update));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, 422);
    const std::string shown = group.empty() ? "the core group" : "group \"" + group + "\"";
    EXPECT_EQ(r.error().message, "APIService.apiregistration.k8s.io \"v1." + group +
                                     "\" is invalid: spec.service: Forbidden: " + shown +
                                     " is served by this server itself; its versions cannot be delegated to a service");
  }
  auto remote = obj(R"({"metadata":{"name":"v1.samples.example.com"},"spec":{"group":"samples.example.com",)"
                    R"("version":"v1","service":{"namespace":"n","name":"s"}}})");
  EXPECT_TRUE(admission_.validate(attrs(remote)));
  auto local = obj(R"({"metadata":{"name":"v1.apiregistration.k8s.io"},"spec":{"group":"apiregistration.k8s.io","version":"v1"}})");
  EXPECT_TRUE(admission_.validate(attrs(local)));
  EXPECT_EQ(admission_.localGroups(), (std::set<std::string>{"", "apiregistration.k8s.io", "authorization.k8s.io"}));
}

// ---- config

Result<AggregatorConfig> decode(const std::string& json) {
  return decodeConfig(ConfigSection(boost::json::parse(json), "plugins.enabled[1].config", nullptr));
}

TEST(AggregatorConfig, DefaultsAndValues) {
  auto d = decode("null");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->availabilityCheckInterval, std::chrono::seconds(10));
  EXPECT_EQ(d->discoveryTimeout, std::chrono::seconds(5));
  EXPECT_EQ(d->connectTimeout, std::chrono::seconds(5));
  EXPECT_EQ(d->responseHeaderTimeout, std::chrono::seconds(60));
  EXPECT_TRUE(d->proxyClientCertPem.empty());
  auto v = decode(R"({"availabilityCheckInterval":"2s","discoveryTimeout":"1500ms","connectTimeout":"1s",)"
                  R"("responseHeaderTimeout":"1m"})");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->availabilityCheckInterval, std::chrono::seconds(2));
  EXPECT_EQ(v->discoveryTimeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(v->responseHeaderTimeout, std::chrono::minutes(1));
}

TEST(AggregatorConfig, EveryProblemIsReportedWithItsKey) {
  auto r = decode(R"({"availabilityCheckInterval":"soon","connectTimeout":"0s","proxyClientCertFile":"/x.crt","colour":1})");
  ASSERT_FALSE(r);
  const std::string& m = r.error().message;
  EXPECT_NE(m.find("plugins.enabled[1].config.availabilityCheckInterval: expected a duration such as 60s, 5m or 1h, got "
                   "\"soon\""),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("plugins.enabled[1].config.connectTimeout: must be greater than 0"), std::string::npos) << m;
  EXPECT_NE(m.find("plugins.enabled[1].config.proxyClientKeyFile: proxyClientCertFile and proxyClientKeyFile must be "
                   "given together"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("plugins.enabled[1].config.colour: unknown key"), std::string::npos) << m;
}

TEST(AggregatorConfig, TheClientCertificateFilesAreRead) {
  const std::string dir = ::testing::TempDir();
  const std::string cert = dir + "/agg-proxy.crt";
  const std::string key = dir + "/agg-proxy.key";
  std::ofstream(cert) << "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  std::ofstream(key) << "not pem";
  auto r = decode(R"({"proxyClientCertFile":")" + cert + R"(","proxyClientKeyFile":")" + key + R"("})");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("proxyClientKeyFile: \"" + key + "\" holds no PEM block"), std::string::npos)
      << r.error().message;
  std::ofstream(key) << "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n";
  r = decode(R"({"proxyClientCertFile":")" + cert + R"(","proxyClientKeyFile":")" + key + R"("})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_NE(r->proxyClientCertPem.find("BEGIN CERTIFICATE"), std::string::npos);
  std::remove(cert.c_str());
  std::remove(key.c_str());
}

}  // namespace
}  // namespace apiserver::plugins::aggregator
