#include "core/resources/events.h"
#include "core/resources/nodes.h"
#include "test_support.h"

#include <gtest/gtest.h>

namespace apiserver::plugins::core {
namespace {

using testing::cells;
using testing::columnNames;
using testing::hasError;
using testing::obj;
using testing::render;

TEST(NodeTable, ColumnsAndRows) {
  EXPECT_EQ(columnNames(nodeStrategy()->tableColumns()),
            (std::vector<std::string>{"Name", "Status", "Roles", "Age", "Version", "Internal-IP*",
                                      "External-IP*", "OS-Image*", "Kernel-Version*",
                                      "Container-Runtime*"}));
  struct Case {
    std::string name;
    std::string node;
    std::vector<std::string> cells;
  };
  const std::string meta = R"("name":"n1","creationTimestamp":"2024-01-01T11:00:00Z")";
  const std::vector<Case> cases = {
      {"ready control plane",
       R"({"metadata":{)" + meta +
           R"j(,"labels":{"node-role.kubernetes.io/control-plane":"","node-role.kubernetes.io/master":""}},
        "status":{"conditions":[{"type":"MemoryPressure","status":"False"},{"type":"Ready","status":"True"}],
        "addresses":[{"type":"Hostname","address":"n1"},{"type":"InternalIP","address":"192.168.1.10"}],
        "nodeInfo":{"kubeletVersion":"v1.32.0","osImage":"Debian GNU/Linux 12 (bookworm)","kernelVersion":"6.1.0",
          "containerRuntimeVersion":"containerd://1.7.0"}}})j",
       {"n1", "Ready", "control-plane,master", "60m", "v1.32.0", "192.168.1.10", "<none>",
        "Debian GNU/Linux 12 (bookworm)", "6.1.0", "containerd://1.7.0"}},
      {"not ready and cordoned with legacy role label",
       R"({"metadata":{)" + meta +
           R"(,"labels":{"kubernetes.io/role":"worker"}},"spec":{"unschedulable":true},
        "status":{"conditions":[{"type":"Ready","status":"False"}],"addresses":[{"type":"ExternalIP","address":"8.8.4.4"}]}})",
       {"n1", "NotReady,SchedulingDisabled", "worker", "60m", "", "<none>", "8.8.4.4", "<unknown>",
        "<unknown>", "<unknown>"}},
      {"no conditions yet",
       R"({"metadata":{)" + meta + R"(}})",
       {"n1", "Unknown", "<none>", "60m", "", "<none>", "<none>", "<unknown>", "<unknown>",
        "<unknown>"}},
      {"ready unknown",
       R"({"metadata":{)" + meta +
           R"(},"status":{"conditions":[{"type":"Ready","status":"Unknown"}]}})",
       {"n1", "NotReady", "<none>", "60m", "", "<none>", "<none>", "<unknown>", "<unknown>",
        "<unknown>"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(cells(nodeStrategy()->tableRow(obj(c.node), testing::now())), c.cells);
  }
}

TEST(NodeStrategy, KeepsStatusOnCreateAndDefaultsAllocatable) {
  json::object node = obj(R"({"metadata":{"name":"n1"},"spec":{"podCIDR":"10.244.1.0/24"},
    "status":{"capacity":{"cpu":"4","pods":"110"}}})");
  nodeStrategy()->prepareForCreate(node);
  EXPECT_EQ(node.at("status").at("allocatable"), json::parse(R"({"cpu":"4","pods":"110"})"));
  EXPECT_EQ(node.at("spec").at("podCIDRs"), json::parse(R"(["10.244.1.0/24"])"));
}

TEST(NodeStrategy, Validation) {
  struct Case {
    std::string name;
    std::string spec;
    std::string field;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"valid",
       R"({"podCIDR":"10.244.1.0/24","taints":[{"key":"dedicated","value":"gpu","effect":"NoSchedule"}]})",
       "", ""},
      {"taint effect", R"({"taints":[{"key":"k","effect":"Never"}]})", "spec.taints[0].effect",
       "Unsupported value: \"Never\": supported values: \"NoSchedule\", \"PreferNoSchedule\", "
       "\"NoExecute\""},
      {"taint effect missing", R"({"taints":[{"key":"k"}]})", "spec.taints[0].effect",
       "Required value"},
      {"taint key", R"({"taints":[{"key":"bad key","effect":"NoSchedule"}]})", "spec.taints[0].key",
       "name part must consist of"},
      {"duplicate taint",
       R"({"taints":[{"key":"k","effect":"NoSchedule"},{"key":"k","value":"v","effect":"NoSchedule"}]})",
       "spec.taints[1]", "Duplicate value"},
      {"pod cidr", R"({"podCIDR":"10.244.1.0"})", "spec.podCIDR", "must be a valid CIDR value"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    json::object node = obj(R"({"metadata":{"name":"n1"},"spec":)" + c.spec + "}");
    FieldErrors errs = nodeStrategy()->validate(node);
    if (c.field.empty()) {
      EXPECT_TRUE(errs.empty()) << render(errs);
    } else {
      EXPECT_TRUE(hasError(errs, c.field, c.message)) << render(errs);
    }
  }
}

TEST(NodeStrategy, UpdateRules) {
  json::object old = obj(
      R"({"metadata":{"name":"n1"},"spec":{"podCIDRs":["10.244.1.0/24"],"providerID":"aws:///i-1"}})");
  json::object cordoned = old;
  cordoned["spec"].as_object()["unschedulable"] = true;
  EXPECT_TRUE(nodeStrategy()->validateUpdate(cordoned, old).empty());

  json::object moved = old;
  moved["spec"].as_object()["podCIDRs"] = json::parse(R"(["10.244.2.0/24"])");
  moved["spec"].as_object()["providerID"] = "aws:///i-2";
  FieldErrors errs = nodeStrategy()->validateUpdate(moved, old);
  EXPECT_TRUE(hasError(errs, "spec.podCIDRs",
                       "Forbidden: node updates may not change podCIDR except from \"\" to valid"))
      << render(errs);
  EXPECT_TRUE(
      hasError(errs, "spec.providerID",
               "Forbidden: node updates may not change providerID except from \"\" to valid"))
      << render(errs);

  json::object fresh = obj(R"({"metadata":{"name":"n1"}})");
  EXPECT_TRUE(nodeStrategy()->validateUpdate(old, fresh).empty())
      << "setting them the first time is fine";
}

TEST(NodeStrategy, SelectableFields) {
  EXPECT_EQ(nodeStrategy()->selectableFieldNames(), std::vector<std::string>{"spec.unschedulable"});
  EXPECT_EQ(testing::fields(*nodeStrategy(), obj(R"({"spec":{"unschedulable":true}})"))
                .at("spec.unschedulable"),
            "true");
  EXPECT_EQ(testing::fields(*nodeStrategy(), obj(R"({"spec":{}})")).at("spec.unschedulable"),
            "false");
}

TEST(EventTable, ColumnsAndRows) {
  EXPECT_EQ(columnNames(eventStrategy()->tableColumns()),
            (std::vector<std::string>{"Last Seen", "Type", "Reason", "Object", "Subobject*",
                                      "Source*", "Message", "First Seen*", "Count*", "Name*"}));
  EXPECT_EQ(eventStrategy()->tableColumns().back().format, "name");
  struct Case {
    std::string name;
    std::string event;
    std::vector<std::string> cells;
  };
  const std::vector<Case> cases = {
      {"legacy event",
       R"({"metadata":{"name":"web.17a"},"type":"Normal","reason":"Scheduled","message":"  Successfully assigned default/web to n1 ",
        "involvedObject":{"kind":"Pod","name":"web","namespace":"default","fieldPath":"spec.containers{web}"},
        "source":{"component":"default-scheduler"},"firstTimestamp":"2024-01-01T11:50:00Z",
        "lastTimestamp":"2024-01-01T11:58:00Z","count":3})",
       {"2m", "Normal", "Scheduled", "pod/web", "spec.containers{web}", "default-scheduler",
        "Successfully assigned default/web to n1", "10m", "3", "web.17a"}},
      {"new-style event with series",
       R"({"metadata":{"name":"e2"},"type":"Warning","reason":"BackOff","message":"Back-off restarting",
        "involvedObject":{"kind":"Pod","name":"web"},"reportingComponent":"kubelet","reportingInstance":"n1",
        "eventTime":"2024-01-01T11:00:00.123456Z","series":{"count":7,"lastObservedTime":"2024-01-01T11:59:00.000000Z"}})",
       {"60s", "Warning", "BackOff", "pod/web", "", "kubelet, n1", "Back-off restarting", "60m",
        "7", "e2"}},
      {"singleton without count or name",
       R"({"metadata":{"name":"e3"},"type":"Normal","reason":"Started","involvedObject":{"kind":"Node"},
        "source":{"component":"kubelet","host":"n1"},"firstTimestamp":"2024-01-01T11:59:50Z"})",
       {"10s", "Normal", "Started", "node", "", "kubelet, n1", "", "10s", "1", "e3"}},
      {"no times",
       R"({"metadata":{"name":"e4"},"involvedObject":{"kind":"Pod","name":"p"}})",
       {"<unknown>", "", "", "pod/p", "", "", "", "<unknown>", "1", "e4"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(cells(eventStrategy()->tableRow(obj(c.event), testing::now())), c.cells);
  }
}

TEST(EventStrategy, Validation) {
  struct Case {
    std::string name;
    std::string event;
    std::string field;
    std::string message;
  };
  const std::string meta = R"("metadata":{"name":"e","namespace":"team"})";
  const std::vector<Case> cases = {
      {"legacy ok",
       "{" + meta +
           R"(,"involvedObject":{"kind":"Pod","name":"p","namespace":"team"},"reason":"X"})",
       "", ""},
      {"involved object required", "{" + meta + "}", "involvedObject",
       "involvedObject: Required value"},
      {"namespace mismatch",
       "{" + meta + R"(,"involvedObject":{"kind":"Pod","name":"p","namespace":"other"}})",
       "involvedObject.namespace",
       "involvedObject.namespace: Invalid value: \"other\": does not match event.namespace"},
      {"cluster-scoped object from another namespace",
       "{" + meta + R"(,"involvedObject":{"kind":"Node","name":"n"}})", "involvedObject.namespace",
       "does not match event.namespace"},
      {"cluster-scoped object in default",
       R"({"metadata":{"name":"e","namespace":"default"},"involvedObject":{"kind":"Node","name":"n"}})",
       "", ""},
      {"new-style needs reporting fields",
       "{" + meta + R"(,"involvedObject":{"kind":"Pod","name":"p","namespace":"team"},
        "eventTime":"2024-01-01T00:00:00.000000Z"})",
       "reportingComponent", "reportingComponent: Required value"},
      {"new-style needs action",
       "{" + meta + R"(,"involvedObject":{"kind":"Pod","name":"p","namespace":"team"},
        "eventTime":"2024-01-01T00:00:00.000000Z","reportingComponent":"kubelet","reportingInstance":"n1","reason":"X"})",
       "action", "action: Required value"},
      {"new-style ok",
       "{" + meta + R"(,"involvedObject":{"kind":"Pod","name":"p","namespace":"team"},
        "eventTime":"2024-01-01T00:00:00.000000Z","reportingComponent":"example.com/ctl","reportingInstance":"n1",
        "action":"Act","reason":"X"})",
       "", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    FieldErrors errs = eventStrategy()->validate(obj(c.event));
    if (c.field.empty()) {
      EXPECT_TRUE(errs.empty()) << render(errs);
    } else {
      EXPECT_TRUE(hasError(errs, c.field, c.message)) << render(errs);
    }
  }
}

TEST(EventStrategy, SelectableFields) {
  json::object ev = obj(R"({"metadata":{"name":"e"},"type":"Warning","reason":"Failed",
    "reportingComponent":"kubelet","involvedObject":{"kind":"Pod","namespace":"default","name":"web",
    "uid":"u-1","apiVersion":"v1","resourceVersion":"42","fieldPath":"spec.containers{web}"}})");
  std::map<std::string, std::string> want = {{"involvedObject.kind", "Pod"},
                                             {"involvedObject.namespace", "default"},
                                             {"involvedObject.name", "web"},
                                             {"involvedObject.uid", "u-1"},
                                             {"involvedObject.apiVersion", "v1"},
                                             {"involvedObject.resourceVersion", "42"},
                                             {"involvedObject.fieldPath", "spec.containers{web}"},
                                             {"reason", "Failed"},
                                             {"reportingComponent", "kubelet"},
                                             {"source", "kubelet"},
                                             {"type", "Warning"}};
  EXPECT_EQ(testing::fields(*eventStrategy(), ev), want);
  std::vector<std::string> names = eventStrategy()->selectableFieldNames();
  EXPECT_EQ(names.size(), want.size());
  for (const auto& [k, v] : want)
    EXPECT_NE(std::find(names.begin(), names.end(), k), names.end()) << k;
}

}  // namespace
}  // namespace apiserver::plugins::core
