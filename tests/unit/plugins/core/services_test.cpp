#include "core/resources/services.h"
#include "test_support.h"

#include <gtest/gtest.h>

namespace apiserver::plugins::core {
namespace {

using testing::cells;
using testing::columnNames;
using testing::hasError;
using testing::obj;
using testing::render;

json::object created(std::string_view text) {
  json::object svc = obj(text);
  serviceStrategy()->prepareForCreate(svc);
  return svc;
}

TEST(ServiceDefaults, ClusterIpService) {
  json::object svc = created(R"({"metadata":{"name":"web"},"spec":{"selector":{"app":"web"},
    "ports":[{"port":80},{"name":"dns","port":53,"protocol":"UDP","targetPort":"dns"}]},
    "status":{"loadBalancer":{"ingress":[{"ip":"1.2.3.4"}]}}})");
  EXPECT_EQ(svc.at("spec"), json::parse(R"({"selector":{"app":"web"},
    "ports":[{"port":80,"protocol":"TCP","targetPort":80},
             {"name":"dns","port":53,"protocol":"UDP","targetPort":"dns"}],
    "sessionAffinity":"None","type":"ClusterIP","internalTrafficPolicy":"Cluster",
    "ipFamilyPolicy":"SingleStack","ipFamilies":["IPv4"]})"));
  EXPECT_EQ(svc.at("status"), json::parse(R"({"loadBalancer":{}})"));
}

TEST(ServiceDefaults, ByType) {
  struct Case {
    std::string name;
    std::string spec;
    std::string key;
    std::string want;  // JSON of spec[key]; "absent" when it must not be set
  };
  const std::vector<Case> cases = {
      {"node port traffic policy", R"({"type":"NodePort","ports":[{"port":80}]})",
       "externalTrafficPolicy", R"("Cluster")"},
      {"load balancer node ports", R"({"type":"LoadBalancer","ports":[{"port":80}]})",
       "allocateLoadBalancerNodePorts", "true"},
      {"cluster ip with external ips", R"({"externalIPs":["1.2.3.4"],"ports":[{"port":80}]})",
       "externalTrafficPolicy", R"("Cluster")"},
      {"plain cluster ip", R"({"ports":[{"port":80}]})", "externalTrafficPolicy", "absent"},
      {"external name has no families", R"({"type":"ExternalName","externalName":"example.com"})",
       "ipFamilyPolicy", "absent"},
      {"external name has no internal policy",
       R"({"type":"ExternalName","externalName":"example.com"})", "internalTrafficPolicy",
       "absent"},
      {"client ip affinity timeout", R"({"sessionAffinity":"ClientIP","ports":[{"port":80}]})",
       "sessionAffinityConfig", R"({"clientIP":{"timeoutSeconds":10800}})"},
      {"none affinity drops config",
       R"({"sessionAffinityConfig":{"clientIP":{"timeoutSeconds":5}},"ports":[{"port":80}]})",
       "sessionAffinityConfig", "absent"},
      {"headless with selector",
       R"({"clusterIP":"None","selector":{"a":"b"},"ports":[{"port":80}]})", "ipFamilies",
       R"(["IPv4"])"},
      {"headless without selector", R"({"clusterIP":"None"})", "ipFamilyPolicy",
       R"("RequireDualStack")"},
      {"headless without selector families", R"({"clusterIP":"None"})", "ipFamilies",
       R"(["IPv4","IPv6"])"},
      {"clusterIP copied to clusterIPs", R"({"clusterIP":"10.96.5.5","ports":[{"port":80}]})",
       "clusterIPs", R"(["10.96.5.5"])"},
      {"clusterIPs copied to clusterIP", R"({"clusterIPs":["10.96.5.5"],"ports":[{"port":80}]})",
       "clusterIP", R"("10.96.5.5")"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    json::object svc = created(R"({"metadata":{"name":"s"},"spec":)" + c.spec + "}");
    const json::object& spec = svc.at("spec").as_object();
    if (c.want == "absent") {
      EXPECT_FALSE(spec.contains(c.key)) << json::serialize(spec);
    } else {
      ASSERT_TRUE(spec.contains(c.key)) << json::serialize(spec);
      EXPECT_EQ(spec.at(c.key), json::parse(c.want));
    }
  }
}

TEST(ServiceValidation, Rules) {
  struct Case {
    std::string name;
    std::string spec;
    std::string field;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"valid",
       R"({"selector":{"app":"x"},"ports":[{"name":"http","port":80},{"name":"https","port":443}]})",
       "", ""},
      {"valid external name", R"({"type":"ExternalName","externalName":"db.example.com."})", "",
       ""},
      {"valid headless without ports", R"({"clusterIP":"None","selector":{"a":"b"}})", "", ""},
      {"ports required", R"({"selector":{"app":"x"}})", "spec.ports", "spec.ports: Required value"},
      {"port zero", R"({"ports":[{"port":0}]})", "spec.ports[0].port",
       "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"},
      {"port too big", R"({"ports":[{"port":65536}]})", "spec.ports[0].port",
       "must be between 1 and 65535, inclusive"},
      {"protocol", R"({"ports":[{"port":80,"protocol":"HTTP"}]})", "spec.ports[0].protocol",
       "Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\""},
      {"names required with several ports", R"({"ports":[{"port":80},{"name":"b","port":81}]})",
       "spec.ports[0].name", "spec.ports[0].name: Required value"},
      {"duplicate names", R"({"ports":[{"name":"a","port":80},{"name":"a","port":81}]})",
       "spec.ports[1].name", "Duplicate value: \"a\""},
      {"name not a label", R"({"ports":[{"name":"Http","port":80}]})", "spec.ports[0].name",
       "a lowercase RFC 1123 label must consist of"},
      {"duplicate port", R"({"ports":[{"name":"a","port":80},{"name":"b","port":80}]})",
       "spec.ports[1]", "Duplicate value: {\"port\":80,\"protocol\":\"TCP\"}"},
      {"bad target port", R"({"ports":[{"port":80,"targetPort":70000}]})",
       "spec.ports[0].targetPort", "must be between 1 and 65535, inclusive"},
      {"bad target port name", R"({"ports":[{"port":80,"targetPort":"web--port"}]})",
       "spec.ports[0].targetPort", "must not contain consecutive hyphens"},
      {"type", R"({"type":"Ingress","ports":[{"port":80}]})", "spec.type",
       "spec.type: Unsupported value: \"Ingress\": supported values: \"ClusterIP\", "
       "\"ExternalName\", \"LoadBalancer\", \"NodePort\""},
      {"external name required", R"({"type":"ExternalName"})", "spec.externalName",
       "spec.externalName: Required value"},
      {"external name invalid", R"({"type":"ExternalName","externalName":"not_a_host"})",
       "spec.externalName", "a lowercase RFC 1123 subdomain"},
      {"external name with cluster ip",
       R"({"type":"ExternalName","externalName":"a.b","clusterIP":"10.96.1.1"})", "spec.clusterIPs",
       "Forbidden: may not be set for ExternalName services"},
      {"node port on cluster ip", R"({"ports":[{"port":80,"nodePort":30001}]})",
       "spec.ports[0].nodePort", "Forbidden: may not be used when `type` is 'ClusterIP'"},
      {"headless node port", R"({"type":"NodePort","clusterIP":"None","ports":[{"port":80}]})",
       "spec.clusterIPs[0]", "may not be set to 'None' for NodePort services"},
      {"invalid cluster ip", R"({"clusterIP":"10.96.0.300","ports":[{"port":80}]})",
       "spec.clusterIPs[0]", "must be a valid IP address"},
      {"cluster ip mismatch",
       R"({"clusterIP":"10.96.0.5","clusterIPs":["10.96.0.6"],"ports":[{"port":80}]})",
       "spec.clusterIPs", "first value must match `clusterIP`"},
      {"session affinity", R"({"sessionAffinity":"Sticky","ports":[{"port":80}]})",
       "spec.sessionAffinity", "supported values: \"ClientIP\", \"None\""},
      {"selector label value", R"({"selector":{"app":"-bad-"},"ports":[{"port":80}]})",
       "spec.selector", "a valid label must be an empty string or consist of"},
      {"external ip", R"({"externalIPs":["127.0.0.1"],"ports":[{"port":80}]})",
       "spec.externalIPs[0]", "may not be in the loopback range"},
      {"traffic policy on cluster ip", R"({"externalTrafficPolicy":"Local","ports":[{"port":80}]})",
       "spec.externalTrafficPolicy", "may only be set for externally-accessible services"},
      {"ip family policy", R"({"ipFamilyPolicy":"Both","ports":[{"port":80}]})",
       "spec.ipFamilyPolicy",
       "supported values: \"PreferDualStack\", \"RequireDualStack\", \"SingleStack\""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    json::object svc = created(R"({"metadata":{"name":"s"},"spec":)" + c.spec + "}");
    FieldErrors errs = serviceStrategy()->validate(svc);
    if (c.field.empty()) {
      EXPECT_TRUE(errs.empty()) << render(errs);
    } else {
      EXPECT_TRUE(hasError(errs, c.field, c.message)) << "got:\n" << render(errs);
    }
  }
}

TEST(ServiceUpdate, ClusterIpIsImmutableButKeptWhenOmitted) {
  json::object old = created(R"({"metadata":{"name":"s"},"spec":{"ports":[{"port":80}]}})");
  old["spec"].as_object()["clusterIP"] = "10.96.1.7";
  old["spec"].as_object()["clusterIPs"] = json::array{"10.96.1.7"};

  // Changing it is refused, as kube words it.
  json::object changed = old;
  changed["spec"].as_object()["clusterIP"] = "10.96.1.8";
  changed["spec"].as_object()["clusterIPs"] = json::array{"10.96.1.8"};
  serviceStrategy()->prepareForUpdate(changed, old);
  FieldErrors errs = serviceStrategy()->validateUpdate(changed, old);
  EXPECT_TRUE(
      hasError(errs, "spec.clusterIPs[0]", "Invalid value: \"10.96.1.8\": may not change once set"))
      << render(errs);

  // Leaving it out (kubectl replace of a manifest without it) keeps the allocated one.
  json::object omitted = old;
  omitted["spec"].as_object().erase("clusterIP");
  omitted["spec"].as_object().erase("clusterIPs");
  serviceStrategy()->prepareForUpdate(omitted, old);
  EXPECT_EQ(omitted["spec"].at("clusterIP"), "10.96.1.7");
  EXPECT_EQ(omitted["spec"].at("clusterIPs"), json::array{"10.96.1.7"});
  EXPECT_TRUE(serviceStrategy()->validateUpdate(omitted, old).empty());
}

TEST(ServiceUpdate, NodePortsAreKeptWhenOmittedAndDroppedWithTheType) {
  json::object old = created(R"({"metadata":{"name":"s"},"spec":{"type":"NodePort",
    "ports":[{"name":"http","port":80,"nodePort":30080},{"name":"https","port":443,"nodePort":30443}]}})");
  old["spec"].as_object()["clusterIP"] = "10.96.1.7";
  old["spec"].as_object()["clusterIPs"] = json::array{"10.96.1.7"};

  json::object omitted = old;
  for (auto& p : omitted["spec"].as_object()["ports"].as_array())
    p.as_object().erase("nodePort");
  serviceStrategy()->prepareForUpdate(omitted, old);
  EXPECT_EQ(omitted["spec"].at("ports").as_array()[0].at("nodePort"), 30080);
  EXPECT_EQ(omitted["spec"].at("ports").as_array()[1].at("nodePort"), 30443);

  json::object toClusterIp = old;
  toClusterIp["spec"].as_object()["type"] = "ClusterIP";
  serviceStrategy()->prepareForUpdate(toClusterIp, old);
  EXPECT_FALSE(toClusterIp["spec"].at("ports").as_array()[0].as_object().contains("nodePort"));
  EXPECT_TRUE(serviceStrategy()->validateUpdate(toClusterIp, old).empty())
      << render(serviceStrategy()->validateUpdate(toClusterIp, old));

  json::object toExternal = old;
  toExternal["spec"].as_object()["type"] = "ExternalName";
  toExternal["spec"].as_object()["externalName"] = "example.com";
  serviceStrategy()->prepareForUpdate(toExternal, old);
  EXPECT_FALSE(toExternal["spec"].as_object().contains("clusterIP"));
  EXPECT_FALSE(toExternal["spec"].as_object().contains("ipFamilies"));
  EXPECT_TRUE(serviceStrategy()->validateUpdate(toExternal, old).empty())
      << render(serviceStrategy()->validateUpdate(toExternal, old));
}

TEST(ServiceTable, ColumnsAndRows) {
  EXPECT_EQ(columnNames(serviceStrategy()->tableColumns()),
            (std::vector<std::string>{"Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age",
                                      "Selector*"}));
  struct Case {
    std::string name;
    std::string spec;
    std::string status;
    std::vector<std::string> cells;
  };
  const std::vector<Case> cases = {
      {"cluster ip",
       R"({"type":"ClusterIP","clusterIP":"10.96.1.2","clusterIPs":["10.96.1.2"],
        "selector":{"tier":"web","app":"x"},"ports":[{"port":80,"protocol":"TCP"},{"port":53,"protocol":"UDP"}]})",
       "{}",
       {"s", "ClusterIP", "10.96.1.2", "<none>", "80/TCP,53/UDP", "5m", "app=x,tier=web"}},
      {"node port",
       R"({"type":"NodePort","clusterIPs":["10.96.1.3"],"ports":[{"port":80,"nodePort":30080,"protocol":"TCP"}]})",
       "{}",
       {"s", "NodePort", "10.96.1.3", "<none>", "80:30080/TCP", "5m", "<none>"}},
      {"pending load balancer",
       R"({"type":"LoadBalancer","clusterIPs":["10.96.1.4"],"ports":[{"port":443,"nodePort":31443,"protocol":"TCP"}]})",
       R"({"loadBalancer":{}})",
       {"s", "LoadBalancer", "10.96.1.4", "<pending>", "443:31443/TCP", "5m", "<none>"}},
      {"load balancer with ingress and external ips",
       R"({"type":"LoadBalancer","clusterIPs":["10.96.1.4"],"externalIPs":["9.9.9.9"],"ports":[{"port":80,"nodePort":30001,"protocol":"TCP"}]})",
       R"({"loadBalancer":{"ingress":[{"ip":"5.6.7.8"},{"hostname":"lb.example.com"}]}})",
       {"s", "LoadBalancer", "10.96.1.4", "5.6.7.8,lb.example.com,9.9.9.9", "80:30001/TCP", "5m",
        "<none>"}},
      {"external name",
       R"({"type":"ExternalName","externalName":"db.example.com"})",
       "{}",
       {"s", "ExternalName", "<none>", "db.example.com", "<none>", "5m", "<none>"}},
      {"headless",
       R"({"type":"ClusterIP","clusterIP":"None","clusterIPs":["None"],"externalIPs":["1.1.1.1"]})",
       "{}",
       {"s", "ClusterIP", "None", "1.1.1.1", "<none>", "5m", "<none>"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    json::object svc =
        obj(R"({"metadata":{"name":"s","creationTimestamp":"2024-01-01T11:55:00Z"},"spec":)" +
            c.spec + R"(,"status":)" + c.status + "}");
    EXPECT_EQ(cells(serviceStrategy()->tableRow(svc, testing::now())), c.cells);
  }
}

TEST(ServiceSpec, Resource) {
  ResourceSpec s = serviceResourceSpec();
  EXPECT_EQ(s.kind, "Service");
  EXPECT_EQ(s.nameRule, NameRule::Dns1035Label);
  EXPECT_EQ(s.shortNames, std::vector<std::string>{"svc"});
  EXPECT_EQ(s.categories, std::vector<std::string>{"all"});
  EXPECT_EQ(s.subresources, std::vector<std::string>{"status"});
  EXPECT_FALSE(s.returnDeletedObject);
}

}  // namespace
}  // namespace apiserver::plugins::core
