#include "core/admission/allocation_pool.h"
#include "core/admission/service_allocator.h"
#include "core/resources/services.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

namespace apiserver::plugins::core {
namespace {

using testing::FakeClient;
using testing::FakeClock;
using testing::obj;

std::uint32_t ip(const char* s) {
  return *parseIpv4(s);
}

TEST(ClusterIpPool, RangeAndChoice) {
  ClusterIpPool pool(*parseIpv4Cidr("10.96.0.0/12"));
  // Dynamic allocation starts above the static band of 256 addresses.
  EXPECT_EQ(formatIpv4(*pool.next({})), "10.96.1.1");
  EXPECT_EQ(formatIpv4(*pool.next({ip("10.96.1.1"), ip("10.96.1.2")})), "10.96.1.3");

  struct Case {
    std::string name;
    std::string ip;
    std::string why;
  };
  const std::vector<Case> cases = {
      {"first address (kubernetes service) may be requested", "10.96.0.1", ""},
      {"static band", "10.96.0.10", ""},
      {"last usable", "10.111.255.254", ""},
      {"network address", "10.96.0.0",
       "the provided IP (10.96.0.0) is not in the valid range. The range of valid IPs is "
       "10.96.0.0/12"},
      {"broadcast address", "10.111.255.255", "is not in the valid range"},
      {"outside", "10.0.0.1", "the provided IP (10.0.0.1) is not in the valid range"},
      {"taken", "10.96.0.20", "provided IP is already allocated"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::string why = pool.check(ip(c.ip.c_str()), {ip("10.96.0.20")});
    if (c.why.empty()) {
      EXPECT_EQ(why, "");
    } else {
      EXPECT_NE(why.find(c.why), std::string::npos) << why;
    }
  }
}

TEST(ClusterIpPool, NeverHandsOutNetworkOrFirstAddress) {
  ClusterIpPool pool(*parseIpv4Cidr("10.0.0.0/29"));  // usable .1 - .6, .1 kept
  std::set<std::uint32_t> used;
  std::vector<std::string> got;
  while (auto next = pool.next(used)) {
    got.push_back(formatIpv4(*next));
    used.insert(*next);
  }
  EXPECT_EQ(got,
            (std::vector<std::string>{"10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"}));
}

TEST(ClusterIpPool, FallsBackToTheStaticBand) {
  ClusterIpPool pool(*parseIpv4Cidr("10.0.0.0/24"));  // 254 usable, band 16: dynamic .17-.254
  std::set<std::uint32_t> used;
  for (std::uint32_t i = 17; i <= 254; ++i)
    used.insert(ip("10.0.0.0") + i);
  EXPECT_EQ(formatIpv4(*pool.next(used)), "10.0.0.2");
}

TEST(NodePortPool, RangeAndChoice) {
  NodePortPool pool(30000, 32767);
  EXPECT_EQ(*pool.next({}), 30086);  // above the static band of 86 ports
  EXPECT_EQ(pool.check(30000, {}), "");
  EXPECT_EQ(pool.check(80, {}),
            "provided port is not in the valid range. The range of valid ports is 30000-32767");
  EXPECT_EQ(pool.check(30080, {30080}), "provided port is already allocated");
  std::set<std::int64_t> all;
  for (std::int64_t p = 30000; p <= 32767; ++p)
    all.insert(p);
  EXPECT_FALSE(pool.next(all).has_value());
}

/// AllocatorFixture wires a ServiceAllocator to a fake client and clock.
class AllocatorTest : public ::testing::Test {
 protected:
  std::shared_ptr<FakeClient> client_ = std::make_shared<FakeClient>();
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>(testing::now());
  ServiceAllocator allocator_{client_, clock_};
  ResourceSpec services_ = serviceResourceSpec();

  /// admit runs the step on a service; it returns the (mutated) object or the error.
  Result<json::object> admit(std::string_view text, Operation op = Operation::Create,
                             const json::object* old = nullptr, bool dryRun = false) {
    json::object svc = obj(text);
    AdmissionAttributes a;
    a.operation = op;
    a.resource = &services_;
    a.namespace_ = "default";
    a.name = nameOf(svc);
    a.object = &svc;
    a.oldObject = old;
    a.dryRun = dryRun;
    auto r = allocator_.admit(a);
    if (!r)
      return r.error();
    return svc;
  }

  /// store puts an admitted service into the fake storage, as the host would.
  void store(const json::object& svc) { client_->put("services", svc); }
};

std::string svcJson(const std::string& name, const std::string& spec) {
  return R"({"metadata":{"name":")" + name + R"(","namespace":"default"},"spec":)" + spec + "}";
}

TEST_F(AllocatorTest, AllocatesFreeClusterIps) {
  auto a = admit(svcJson("a", R"({"ports":[{"port":80}]})"));
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->at("spec").at("clusterIP"), "10.96.1.1");
  EXPECT_EQ(a->at("spec").at("clusterIPs"), json::array{"10.96.1.1"});
  store(*a);
  auto b = admit(svcJson("b", R"({"ports":[{"port":80}]})"));
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->at("spec").at("clusterIP"), "10.96.1.2");
}

TEST_F(AllocatorTest, PendingAllocationsAreReservedUntilStoredOrExpired) {
  auto a = admit(svcJson("a", R"({"ports":[{"port":80}]})"));
  auto b = admit(svcJson("b", R"({"ports":[{"port":80}]})"));  // a is not stored yet
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->at("spec").at("clusterIP"), b->at("spec").at("clusterIP"));

  // Once the reservations expire (a and b were never stored), the addresses are free again.
  clock_->advance(std::chrono::seconds(61));
  auto c = admit(svcJson("c", R"({"ports":[{"port":80}]})"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->at("spec").at("clusterIP"), "10.96.1.1");
}

TEST_F(AllocatorTest, DryRunReservesNothing) {
  auto a = admit(svcJson("a", R"({"ports":[{"port":80}]})"), Operation::Create, nullptr, true);
  auto b = admit(svcJson("b", R"({"ports":[{"port":80}]})"));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->at("spec").at("clusterIP"), "10.96.1.1");
  EXPECT_EQ(b->at("spec").at("clusterIP"), "10.96.1.1");
}

TEST_F(AllocatorTest, RequestedClusterIp) {
  store(obj(svcJson("dns", R"({"clusterIP":"10.96.0.10","clusterIPs":["10.96.0.10"]})")));
  struct Case {
    std::string name;
    std::string spec;
    std::string wantIp;   // "" when an error is expected
    std::string message;  // expected full message of the 422
  };
  const std::vector<Case> cases = {
      {"free", R"({"clusterIP":"10.96.0.11","ports":[{"port":53}]})", "10.96.0.11", ""},
      {"only clusterIPs given", R"({"clusterIPs":["10.96.0.12"],"ports":[{"port":53}]})",
       "10.96.0.12", ""},
      {"taken", R"({"clusterIP":"10.96.0.10","ports":[{"port":53}]})", "",
       "Service \"b\" is invalid: spec.clusterIPs: Invalid value: [\"10.96.0.10\"]: failed to "
       "allocate IP "
       "10.96.0.10: provided IP is already allocated"},
      {"outside the range", R"({"clusterIP":"10.0.0.1","ports":[{"port":53}]})", "",
       "Service \"b\" is invalid: spec.clusterIPs: Invalid value: [\"10.0.0.1\"]: failed to "
       "allocate IP 10.0.0.1: "
       "the provided IP (10.0.0.1) is not in the valid range. The range of valid IPs is "
       "10.96.0.0/12"},
      {"ipv6", R"({"clusterIP":"fd00::1","ports":[{"port":53}]})", "",
       "Service \"b\" is invalid: spec.clusterIPs[0]: Invalid value: [\"fd00::1\"]: IPv6 is not "
       "configured on this cluster"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = admit(svcJson("b", c.spec));
    if (c.wantIp.empty()) {
      ASSERT_FALSE(r);
      EXPECT_EQ(r.error().code, 422);
      EXPECT_EQ(r.error().reason, "Invalid");
      EXPECT_EQ(r.error().message, c.message);
    } else {
      ASSERT_TRUE(r) << r.error().message;
      EXPECT_EQ(r->at("spec").at("clusterIP"), c.wantIp.c_str());
      EXPECT_EQ(r->at("spec").at("clusterIPs"), json::array{json::value(c.wantIp)});
    }
  }
}

TEST_F(AllocatorTest, HeadlessAndExternalNameGetNothing) {
  auto headless = admit(svcJson("h", R"({"clusterIP":"None","selector":{"a":"b"}})"));
  ASSERT_TRUE(headless);
  EXPECT_EQ(headless->at("spec").at("clusterIP"), "None");
  EXPECT_EQ(headless->at("spec").at("clusterIPs"), json::array{"None"});
  auto external = admit(svcJson("e", R"({"type":"ExternalName","externalName":"example.com"})"));
  ASSERT_TRUE(external);
  EXPECT_FALSE(external->at("spec").as_object().contains("clusterIP"));
  EXPECT_EQ(client_->listCalls, 0) << "nothing to allocate, no need to list";
}

TEST_F(AllocatorTest, NodePorts) {
  store(obj(svcJson(
      "taken",
      R"({"type":"NodePort","clusterIPs":["10.96.0.50"],"ports":[{"port":80,"nodePort":30080}]})")));
  struct Case {
    std::string name;
    std::string spec;
    std::vector<std::int64_t> want;  // node ports per port; empty when an error is expected
    std::string message;
  };
  const std::vector<Case> cases = {
      {"allocated",
       R"({"type":"NodePort","ports":[{"name":"a","port":80},{"name":"b","port":443}]})",
       {30086, 30087},
       ""},
      {"requested", R"({"type":"NodePort","ports":[{"port":80,"nodePort":30081}]})", {30081}, ""},
      {"same port number shares the node port",
       R"({"type":"NodePort","ports":[{"name":"dns","port":53,"protocol":"UDP"},{"name":"dns-tcp","port":53,"protocol":"TCP","nodePort":30053}]})",
       {30053, 30053},
       ""},
      {"load balancer", R"({"type":"LoadBalancer","ports":[{"port":80}]})", {30086}, ""},
      {"load balancer without node ports",
       R"({"type":"LoadBalancer","allocateLoadBalancerNodePorts":false,"ports":[{"port":80}]})",
       {0},
       ""},
      {"taken",
       R"({"type":"NodePort","ports":[{"port":80,"nodePort":30080}]})",
       {},
       "Service \"s\" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is "
       "already allocated"},
      {"out of range",
       R"({"type":"NodePort","ports":[{"port":80,"nodePort":8080}]})",
       {},
       "Service \"s\" is invalid: spec.ports[0].nodePort: Invalid value: 8080: provided port is "
       "not in the valid "
       "range. The range of valid ports is 30000-32767"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = admit(svcJson("s", c.spec), Operation::Create, nullptr, /*dryRun=*/true);
    if (c.want.empty()) {
      ASSERT_FALSE(r);
      EXPECT_EQ(r.error().message, c.message);
      continue;
    }
    ASSERT_TRUE(r) << r.error().message;
    std::vector<std::int64_t> got;
    for (const auto& p : r->at("spec").at("ports").as_array())
      got.push_back(p.as_object().contains("nodePort") ? p.at("nodePort").as_int64() : 0);
    EXPECT_EQ(got, c.want);
  }
}

TEST_F(AllocatorTest, HealthCheckNodePortForLocalTraffic) {
  auto r = admit(svcJson(
      "lb", R"({"type":"LoadBalancer","externalTrafficPolicy":"Local","ports":[{"port":80}]})"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->at("spec").at("ports").as_array()[0].at("nodePort"), 30086);
  EXPECT_EQ(r->at("spec").at("healthCheckNodePort"), 30087);
}

TEST_F(AllocatorTest, UpdatesKeepTheirValuesAndAllocateWhatIsNew) {
  auto created = admit(svcJson("s", R"({"type":"NodePort","ports":[{"name":"a","port":80}]})"));
  ASSERT_TRUE(created);
  store(*created);

  // An unchanged update conflicts with nothing (the service's own values are not "used").
  json::object old = *created;
  auto same = admit(json::serialize(old), Operation::Update, &old);
  ASSERT_TRUE(same) << same.error().message;
  EXPECT_EQ(same->at("spec"), old.at("spec"));

  // A manifest without the allocated values gets them back, and a new port gets a new one.
  json::object replaced = obj(svcJson(
      "s", R"({"type":"NodePort","ports":[{"name":"a","port":80},{"name":"b","port":81}]})"));
  auto r = admit(json::serialize(replaced), Operation::Update, &old);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->at("spec").at("clusterIP"), old.at("spec").at("clusterIP"));
  EXPECT_EQ(r->at("spec").at("ports").as_array()[0].at("nodePort"), 30086);
  EXPECT_EQ(r->at("spec").at("ports").as_array()[1].at("nodePort"), 30087);

  // ExternalName -> ClusterIP allocates a cluster IP.
  json::object external = obj(svcJson("x", R"({"type":"ExternalName","externalName":"a.b"})"));
  store(external);
  auto toClusterIp = admit(svcJson("x", R"({"type":"ClusterIP","ports":[{"port":80}]})"),
                           Operation::Update, &external);
  ASSERT_TRUE(toClusterIp) << toClusterIp.error().message;
  EXPECT_EQ(toClusterIp->at("spec").at("clusterIP"), "10.96.1.2");
}

TEST_F(AllocatorTest, IgnoresOtherResourcesAndSubresources) {
  ResourceSpec pods;
  pods.group = "";
  pods.plural = "pods";
  json::object o = obj(svcJson("s", R"({"ports":[{"port":80}]})"));
  AdmissionAttributes a;
  a.resource = &pods;
  a.object = &o;
  EXPECT_TRUE(allocator_.admit(a));
  EXPECT_FALSE(o.at("spec").as_object().contains("clusterIP"));
  a.resource = &services_;
  a.subresource = "status";
  EXPECT_TRUE(allocator_.admit(a));
  EXPECT_FALSE(o.at("spec").as_object().contains("clusterIP"));
}

TEST_F(AllocatorTest, ClientFailureIsReturned) {
  client_->failWith = ApiError::serviceUnavailable("not started");
  auto r = admit(svcJson("s", R"({"ports":[{"port":80}]})"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 503);
}

TEST_F(AllocatorTest, ConcurrentCreatesGetDistinctIps) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  std::vector<std::vector<std::string>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t, &got] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string name = "s" + std::to_string(t) + "-" + std::to_string(i);
        auto r = admit(svcJson(name, R"({"type":"NodePort","ports":[{"port":80}]})"));
        if (!r)
          continue;
        got[t].push_back(
            std::string(r->at("spec").at("clusterIP").as_string()) + " " +
            std::to_string(r->at("spec").at("ports").as_array()[0].at("nodePort").as_int64()));
        if (i % 2 == 0)
          store(*r);  // half reach storage, half stay pending
      }
    });
  }
  for (auto& th : threads)
    th.join();
  std::set<std::string> ips;
  std::set<std::string> ports;
  std::size_t total = 0;
  for (const auto& v : got) {
    for (const auto& s : v) {
      ips.insert(s.substr(0, s.find(' ')));
      ports.insert(s.substr(s.find(' ') + 1));
      ++total;
    }
  }
  EXPECT_EQ(total, static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_EQ(ips.size(), total);
  EXPECT_EQ(ports.size(), total);
}

}  // namespace
}  // namespace apiserver::plugins::core
