#include "core/resources/pods.h"
#include "test_support.h"

#include <gtest/gtest.h>

namespace apiserver::plugins::core {
namespace {

using testing::cells;
using testing::columnNames;
using testing::hasError;
using testing::obj;
using testing::render;

constexpr const char* kMinimalPod = R"({"metadata":{"name":"web","namespace":"default",
  "creationTimestamp":"2024-01-01T11:55:00Z"},
  "spec":{"containers":[{"name":"web","image":"nginx"}]}})";

json::object created(json::object pod) {
  podStrategy()->prepareForCreate(pod);
  return pod;
}

json::object created(std::string_view text) {
  return created(obj(text));
}

TEST(PodDefaults, MinimalPodGetsKubeDefaultsAndPendingStatus) {
  json::object pod = created(kMinimalPod);
  const json::object& spec = pod["spec"].as_object();
  EXPECT_EQ(spec.at("restartPolicy"), "Always");
  EXPECT_EQ(spec.at("dnsPolicy"), "ClusterFirst");
  EXPECT_EQ(spec.at("schedulerName"), "default-scheduler");
  EXPECT_EQ(spec.at("terminationGracePeriodSeconds"), 30);
  EXPECT_EQ(spec.at("enableServiceLinks"), true);
  EXPECT_EQ(spec.at("securityContext"), json::object());
  const json::object& c = spec.at("containers").as_array()[0].as_object();
  EXPECT_EQ(c.at("imagePullPolicy"), "Always");
  EXPECT_EQ(c.at("terminationMessagePath"), "/dev/termination-log");
  EXPECT_EQ(c.at("terminationMessagePolicy"), "File");
  EXPECT_EQ(c.at("resources"), json::object());
  EXPECT_EQ(pod.at("status"), obj(R"({"phase":"Pending","qosClass":"BestEffort"})"));
}

TEST(PodDefaults, ExplicitValuesAreKeptAndClientStatusIsReplaced) {
  json::object pod = created(R"({"metadata":{"name":"p"},"spec":{"restartPolicy":"Never",
    "dnsPolicy":"Default","terminationGracePeriodSeconds":5,"schedulerName":"mine",
    "enableServiceLinks":false,"containers":[{"name":"c","image":"busybox","imagePullPolicy":"Never"}]},
    "status":{"phase":"Running","podIP":"1.2.3.4"}})");
  const json::object& spec = pod["spec"].as_object();
  EXPECT_EQ(spec.at("restartPolicy"), "Never");
  EXPECT_EQ(spec.at("dnsPolicy"), "Default");
  EXPECT_EQ(spec.at("terminationGracePeriodSeconds"), 5);
  EXPECT_EQ(spec.at("schedulerName"), "mine");
  EXPECT_EQ(spec.at("enableServiceLinks"), false);
  EXPECT_EQ(spec.at("containers").as_array()[0].at("imagePullPolicy"), "Never");
  EXPECT_EQ(pod.at("status"), obj(R"({"phase":"Pending","qosClass":"BestEffort"})"));
}

TEST(PodDefaults, ImagePullPolicyFollowsTheTag) {
  struct Case {
    std::string name;
    std::string image;
    std::string policy;
  };
  const std::vector<Case> cases = {
      {"no tag", "nginx", "Always"},
      {"latest", "nginx:latest", "Always"},
      {"versioned", "nginx:1.25", "IfNotPresent"},
      {"registry port, no tag", "localhost:5000/nginx", "Always"},
      {"registry port and tag", "localhost:5000/team/nginx:v1", "IfNotPresent"},
      {"digest only", "nginx@sha256:0123456789abcdef", "IfNotPresent"},
      {"tag and digest", "nginx:latest@sha256:0123456789abcdef", "Always"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    json::object pod = obj(R"({"spec":{"containers":[{"name":"c"}]}})");
    pod["spec"].as_object()["containers"].as_array()[0].as_object()["image"] = c.image;
    defaultPod(pod);
    EXPECT_EQ(pod["spec"].as_object()["containers"].as_array()[0].at("imagePullPolicy"),
              c.policy.c_str());
  }
}

TEST(PodDefaults, PortsProbesVolumesAndHostNetwork) {
  json::object pod = created(R"({"spec":{"hostNetwork":true,
    "containers":[{"name":"c","image":"x:1","ports":[{"containerPort":8080}],
      "livenessProbe":{"httpGet":{"port":8080}},
      "env":[{"name":"NODE","valueFrom":{"fieldRef":{"fieldPath":"spec.nodeName"}}}]}],
    "volumes":[{"name":"scratch"},{"name":"cfg","configMap":{"name":"cfg"}}]}})");
  const json::object& c = pod["spec"].as_object()["containers"].as_array()[0].as_object();
  EXPECT_EQ(c.at("ports"),
            json::parse(R"([{"containerPort":8080,"protocol":"TCP","hostPort":8080}])"));
  EXPECT_EQ(c.at("livenessProbe"),
            json::parse(R"({"httpGet":{"port":8080,"path":"/","scheme":"HTTP"},
    "timeoutSeconds":1,"periodSeconds":10,"successThreshold":1,"failureThreshold":3})"));
  EXPECT_EQ(c.at("env").as_array()[0].at("valueFrom").at("fieldRef").at("apiVersion"), "v1");
  EXPECT_EQ(pod["spec"].at("volumes"), json::parse(R"([{"name":"scratch","emptyDir":{}},
    {"name":"cfg","configMap":{"name":"cfg","defaultMode":420}}])"));
}

TEST(PodDefaults, QosClass) {
  struct Case {
    std::string name;
    std::string resources;  // JSON of the container's resources
    std::string initResources;
    std::string qos;
  };
  const std::vector<Case> cases = {
      {"nothing", "{}", "", "BestEffort"},
      {"requests only", R"({"requests":{"cpu":"100m"}})", "", "Burstable"},
      {"limits only (requests default to them)", R"({"limits":{"cpu":"1","memory":"1Gi"}})", "",
       "Guaranteed"},
      {"equal in different units", R"({"requests":{"cpu":"1","memory":"1024Mi"},
         "limits":{"cpu":"1000m","memory":"1Gi"}})",
       "", "Guaranteed"},
      {"requests below limits", R"({"requests":{"cpu":"500m","memory":"1Gi"},
         "limits":{"cpu":"1","memory":"1Gi"}})",
       "", "Burstable"},
      {"memory limit missing", R"({"limits":{"cpu":"1"}})", "", "Burstable"},
      {"only other resources", R"({"limits":{"ephemeral-storage":"1Gi"}})", "", "BestEffort"},
      {"init container without limits", R"({"limits":{"cpu":"1","memory":"1Gi"}})", "{}",
       "Burstable"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::string text =
        R"({"spec":{"containers":[{"name":"a","image":"x","resources":)" + c.resources + "}]";
    if (!c.initResources.empty())
      text += R"(,"initContainers":[{"name":"i","image":"x","resources":)" + c.initResources + "}]";
    text += "}}";
    EXPECT_EQ(created(text)["status"].at("qosClass"), c.qos.c_str());
  }
}

TEST(PodDefaults, SchedulingGatesAddTheGatedCondition) {
  json::object pod = created(R"({"spec":{"schedulingGates":[{"name":"wait"}],
    "containers":[{"name":"c","image":"x"}]}})");
  const json::array& conditions = pod["status"].at("conditions").as_array();
  ASSERT_EQ(conditions.size(), 1u);
  EXPECT_EQ(conditions[0].at("reason"), "SchedulingGated");
  EXPECT_EQ(conditions[0].at("status"), "False");
}

TEST(PodValidation, Rules) {
  struct Case {
    std::string name;
    std::string spec;     // JSON of spec (defaulted before validation)
    std::string field;    // expected error field ("" = valid)
    std::string message;  // expected substring of "<field>: <message>"
  };
  const std::vector<Case> cases = {
      {"valid",
       R"({"containers":[{"name":"web","image":"nginx","ports":[{"name":"http","containerPort":80}]}]})",
       "", ""},
      {"no containers", R"({"containers":[]})", "spec.containers",
       "spec.containers: Required value"},
      {"containers missing", R"({})", "spec.containers", "Required value"},
      {"container without name", R"({"containers":[{"image":"nginx"}]})", "spec.containers[0].name",
       "spec.containers[0].name: Required value"},
      {"container name not a label", R"({"containers":[{"name":"Web_1","image":"nginx"}]})",
       "spec.containers[0].name",
       "Invalid value: \"Web_1\": a lowercase RFC 1123 label must consist of lower case "
       "alphanumeric characters"},
      {"duplicate across init containers",
       R"({"containers":[{"name":"a","image":"x"}],"initContainers":[{"name":"a","image":"x"}]})",
       "spec.initContainers[0].name", "Duplicate value: \"a\""},
      {"duplicate containers",
       R"({"containers":[{"name":"a","image":"x"},{"name":"a","image":"y"}]})",
       "spec.containers[1].name", "Duplicate value: \"a\""},
      {"no image", R"({"containers":[{"name":"a"}]})", "spec.containers[0].image",
       "spec.containers[0].image: Required value"},
      {"image with spaces", R"({"containers":[{"name":"a","image":" nginx"}]})",
       "spec.containers[0].image", "must not have leading or trailing whitespace"},
      {"port out of range",
       R"({"containers":[{"name":"a","image":"x","ports":[{"containerPort":70000}]}]})",
       "spec.containers[0].ports[0].containerPort",
       "Invalid value: 70000: must be between 1 and 65535, inclusive"},
      {"port missing", R"({"containers":[{"name":"a","image":"x","ports":[{"name":"http"}]}]})",
       "spec.containers[0].ports[0].containerPort", "Required value"},
      {"bad protocol",
       R"({"containers":[{"name":"a","image":"x","ports":[{"containerPort":80,"protocol":"HTTP"}]}]})",
       "spec.containers[0].ports[0].protocol",
       "Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\""},
      {"port name too long",
       R"({"containers":[{"name":"a","image":"x","ports":[{"containerPort":80,"name":"a-very-long-port-name"}]}]})",
       "spec.containers[0].ports[0].name", "must be no more than 15 characters"},
      {"port name without letter",
       R"({"containers":[{"name":"a","image":"x","ports":[{"containerPort":80,"name":"123"}]}]})",
       "spec.containers[0].ports[0].name", "must contain at least one letter (a-z)"},
      {"duplicate port names",
       R"({"containers":[{"name":"a","image":"x","ports":[{"containerPort":80,"name":"http"},{"containerPort":81,"name":"http"}]}]})",
       "spec.containers[0].ports[1].name", "Duplicate value: \"http\""},
      {"restart policy", R"({"restartPolicy":"Sometimes","containers":[{"name":"a","image":"x"}]})",
       "spec.restartPolicy",
       "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", "
       "\"OnFailure\", \"Never\""},
      {"dns policy", R"({"dnsPolicy":"Google","containers":[{"name":"a","image":"x"}]})",
       "spec.dnsPolicy", "Unsupported value: \"Google\""},
      {"pull policy", R"({"containers":[{"name":"a","image":"x","imagePullPolicy":"Sometimes"}]})",
       "spec.containers[0].imagePullPolicy",
       "supported values: \"Always\", \"IfNotPresent\", \"Never\""},
      {"mount of unknown volume",
       R"({"containers":[{"name":"a","image":"x","volumeMounts":[{"name":"data","mountPath":"/d"}]}]})",
       "spec.containers[0].volumeMounts[0].name", "Not found: \"data\""},
      {"mount without path",
       R"({"volumes":[{"name":"data"}],"containers":[{"name":"a","image":"x","volumeMounts":[{"name":"data"}]}]})",
       "spec.containers[0].volumeMounts[0].mountPath", "Required value"},
      {"duplicate volumes",
       R"({"volumes":[{"name":"v"},{"name":"v"}],"containers":[{"name":"a","image":"x"}]})",
       "spec.volumes[1].name", "Duplicate value: \"v\""},
      {"request above limit",
       R"({"containers":[{"name":"a","image":"x","resources":{"requests":{"cpu":"2"},"limits":{"cpu":"1"}}}]})",
       "spec.containers[0].resources.requests",
       "spec.containers[0].resources.requests: Invalid value: \"2\": must be less than or equal to "
       "cpu limit of 1"},
      {"negative quantity",
       R"({"containers":[{"name":"a","image":"x","resources":{"requests":{"memory":"-1Gi"}}}]})",
       "spec.containers[0].resources.requests[memory]", "must be greater than or equal to 0"},
      {"not a quantity",
       R"({"containers":[{"name":"a","image":"x","resources":{"limits":{"cpu":"lots"}}}]})",
       "spec.containers[0].resources.limits[cpu]", "quantities must match the regular expression"},
      {"non-standard resource",
       R"({"containers":[{"name":"a","image":"x","resources":{"limits":{"gpu":"1"}}}]})",
       "spec.containers[0].resources.limits[gpu]", "must be a standard resource for containers"},
      {"active deadline", R"({"activeDeadlineSeconds":0,"containers":[{"name":"a","image":"x"}]})",
       "spec.activeDeadlineSeconds", "must be between 1 and 2147483647, inclusive"},
      {"restart policy on a regular container",
       R"({"containers":[{"name":"a","image":"x","restartPolicy":"Always"}]})",
       "spec.containers[0].restartPolicy", "Forbidden: may not be set for non-init containers"},
      {"init restart policy",
       R"({"containers":[{"name":"a","image":"x"}],"initContainers":[{"name":"i","image":"x","restartPolicy":"Never"}]})",
       "spec.initContainers[0].restartPolicy", "supported values: \"Always\""},
      {"host port differs on host network",
       R"({"hostNetwork":true,"containers":[{"name":"a","image":"x","ports":[{"containerPort":80,"hostPort":81}]}]})",
       "spec.containers[0].ports[0].hostPort",
       "must match `containerPort` when `hostNetwork` is true"},
      {"toleration effect",
       R"({"tolerations":[{"key":"k","operator":"Exists","effect":"Sometimes"}],"containers":[{"name":"a","image":"x"}]})",
       "spec.tolerations[0].effect",
       "supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    json::object pod;
    pod["metadata"] = obj(R"({"name":"p","namespace":"default"})");
    pod["spec"] = obj(c.spec);
    podStrategy()->prepareForCreate(pod);
    FieldErrors errs = podStrategy()->validate(pod);
    if (c.field.empty()) {
      EXPECT_TRUE(errs.empty()) << render(errs);
    } else {
      EXPECT_TRUE(hasError(errs, c.field, c.message)) << "got:\n" << render(errs);
    }
  }
}

TEST(PodValidation, Update) {
  const std::string base = R"({"metadata":{"name":"p","namespace":"default"},"spec":{
    "activeDeadlineSeconds":100,"terminationGracePeriodSeconds":-1,
    "tolerations":[{"key":"k","operator":"Exists","effect":"NoExecute","tolerationSeconds":10}],
    "containers":[{"name":"a","image":"nginx:1"}],"initContainers":[{"name":"i","image":"busybox:1"}]}})";
  struct Case {
    std::string name;
    std::function<void(json::object& spec)> change;
    std::string field;
    std::string message;
  };
  auto container = [](json::object& spec, const char* list) -> json::object& {
    return spec[list].as_array()[0].as_object();
  };
  const std::vector<Case> cases = {
      {"image change", [&](json::object& s) { container(s, "containers")["image"] = "nginx:2"; },
       "", ""},
      {"init image change",
       [&](json::object& s) { container(s, "initContainers")["image"] = "busybox:2"; }, "", ""},
      {"lower deadline", [](json::object& s) { s["activeDeadlineSeconds"] = 50; }, "", ""},
      {"add toleration",
       [](json::object& s) {
         s["tolerations"].as_array().push_back(obj(R"({"key":"x","operator":"Exists"})"));
       },
       "", ""},
      {"change toleration seconds",
       [](json::object& s) {
         s["tolerations"].as_array()[0].as_object()["tolerationSeconds"] = 20;
       },
       "", ""},
      {"grace period from negative to 1",
       [](json::object& s) { s["terminationGracePeriodSeconds"] = 1; }, "", ""},
      {"restart policy", [](json::object& s) { s["restartPolicy"] = "Never"; }, "spec",
       "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
       "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
       "additions "
       "to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if "
       "it was "
       "previously negative)\n"},
      {"grace period to 60", [](json::object& s) { s["terminationGracePeriodSeconds"] = 60; },
       "spec", "pod updates may not change fields other than"},
      {"container port",
       [&](json::object& s) {
         container(s, "containers")["ports"] = json::parse(R"([{"containerPort":80}])");
       },
       "spec", "pod updates may not change fields other than"},
      {"add container",
       [](json::object& s) {
         s["containers"].as_array().push_back(obj(R"({"name":"b","image":"x"})"));
       },
       "spec.containers", "Forbidden: pod updates may not add or remove containers"},
      {"raise deadline", [](json::object& s) { s["activeDeadlineSeconds"] = 200; },
       "spec.activeDeadlineSeconds",
       "Invalid value: 200: must be less than or equal to previous value"},
      {"remove deadline", [](json::object& s) { s.erase("activeDeadlineSeconds"); },
       "spec.activeDeadlineSeconds", "must not update from a positive integer to nil value"},
      {"remove toleration", [](json::object& s) { s["tolerations"] = json::array(); },
       "spec.tolerations", "existing toleration can not be modified except its tolerationSeconds"},
      {"empty image", [&](json::object& s) { container(s, "containers")["image"] = ""; },
       "spec.containers[0].image", "Required value"},
  };
  json::object old = created(base);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    json::object pod = old;
    c.change(pod["spec"].as_object());
    podStrategy()->prepareForUpdate(pod, old);
    FieldErrors errs = podStrategy()->validateUpdate(pod, old);
    if (c.field.empty()) {
      EXPECT_TRUE(errs.empty()) << render(errs);
    } else {
      EXPECT_TRUE(hasError(errs, c.field, c.message)) << "got:\n" << render(errs);
    }
  }
}

TEST(PodValidation, UpdateDiffNamesTheChangedField) {
  json::object old = created(kMinimalPod);
  json::object pod = old;
  pod["spec"].as_object()["restartPolicy"] = "Never";
  FieldErrors errs = podStrategy()->validateUpdate(pod, old);
  ASSERT_EQ(errs.size(), 1u) << render(errs);
  EXPECT_NE(errs[0].detail.find("- \trestartPolicy: \"Always\""), std::string::npos)
      << errs[0].detail;
  EXPECT_NE(errs[0].detail.find("+ \trestartPolicy: \"Never\""), std::string::npos)
      << errs[0].detail;
}

TEST(PodValidation, StatusUpdate) {
  json::object old = created(kMinimalPod);
  json::object pod = old;
  pod["status"] =
      obj(R"({"phase":"Running","podIP":"10.0.0.1","podIPs":[{"ip":"10.0.0.1"},{"ip":"nope"}]})");
  FieldErrors errs = podStrategy()->validateStatusUpdate(pod, old);
  EXPECT_TRUE(hasError(errs, "status.podIPs[1]", "must be a valid IP address")) << render(errs);
  pod["status"] = obj(R"({"phase":"Running","podIP":"10.0.0.1","podIPs":[{"ip":"10.0.0.1"}]})");
  EXPECT_TRUE(podStrategy()->validateStatusUpdate(pod, old).empty());
}

TEST(PodTable, Columns) {
  EXPECT_EQ(columnNames(podStrategy()->tableColumns()),
            (std::vector<std::string>{"Name", "Ready", "Status", "Restarts", "Age", "IP*", "Node*",
                                      "Nominated Node*", "Readiness Gates*"}));
  EXPECT_EQ(podStrategy()->tableColumns()[0].format, "name");
}

TEST(PodTable, Rows) {
  struct Case {
    std::string name;
    std::string pod;
    std::vector<std::string> cells;
  };
  const std::string meta = R"("metadata":{"name":"web","creationTimestamp":"2024-01-01T11:55:00Z")";
  const std::vector<Case> cases = {
      {"running and ready",
       "{" + meta + R"(},"spec":{"nodeName":"node-1","containers":[{"name":"web"}]},
        "status":{"phase":"Running","podIP":"10.244.0.5","podIPs":[{"ip":"10.244.0.5"}],
        "containerStatuses":[{"name":"web","ready":true,"restartCount":0,"state":{"running":{"startedAt":"2024-01-01T11:55:10Z"}}}]}})",
       {"web", "1/1", "Running", "0", "5m", "10.244.0.5", "node-1", "<none>", "<none>"}},
      {"crash loop with restarts",
       "{" + meta + R"(},"spec":{"containers":[{"name":"web"}]},
        "status":{"phase":"Running","containerStatuses":[{"name":"web","ready":false,"restartCount":4,
          "state":{"waiting":{"reason":"CrashLoopBackOff"}},
          "lastState":{"terminated":{"exitCode":1,"reason":"Error","finishedAt":"2024-01-01T11:58:00Z"}}}]}})",
       {"web", "0/1", "CrashLoopBackOff", "4 (2m ago)", "5m", "<none>", "<none>", "<none>",
        "<none>"}},
      {"terminating",
       R"({"metadata":{"name":"web","creationTimestamp":"2024-01-01T11:55:00Z","deletionTimestamp":"2024-01-01T11:59:00Z"},
        "spec":{"containers":[{"name":"web"}]},
        "status":{"phase":"Running","containerStatuses":[{"name":"web","ready":true,"state":{"running":{}}}]}})",
       {"web", "1/1", "Terminating", "0", "5m", "<none>", "<none>", "<none>", "<none>"}},
      {"first init container running",
       "{" + meta + R"(},"spec":{"initContainers":[{"name":"init"}],"containers":[{"name":"web"}]},
        "status":{"phase":"Pending","initContainerStatuses":[{"name":"init","ready":false,"restartCount":0,"state":{"running":{}}}],
        "containerStatuses":[{"name":"web","ready":false,"restartCount":0,"state":{"waiting":{"reason":"PodInitializing"}}}]}})",
       {"web", "0/1", "Init:0/1", "0", "5m", "<none>", "<none>", "<none>", "<none>"}},
      {"init container crash looping",
       "{" + meta + R"(},"spec":{"initContainers":[{"name":"init"}],"containers":[{"name":"web"}]},
        "status":{"phase":"Pending","initContainerStatuses":[{"name":"init","restartCount":2,"state":{"waiting":{"reason":"CrashLoopBackOff"}}}]}})",
       {"web", "0/1", "Init:CrashLoopBackOff", "2", "5m", "<none>", "<none>", "<none>", "<none>"}},
      {"init container failed without reason",
       "{" + meta + R"(},"spec":{"initContainers":[{"name":"init"}],"containers":[{"name":"web"}]},
        "status":{"phase":"Pending","initContainerStatuses":[{"name":"init","state":{"terminated":{"exitCode":3}}}]}})",
       {"web", "0/1", "Init:ExitCode:3", "0", "5m", "<none>", "<none>", "<none>", "<none>"}},
      {"completed",
       "{" + meta + R"(},"spec":{"containers":[{"name":"job"}]},
        "status":{"phase":"Succeeded","containerStatuses":[{"name":"job","ready":false,"restartCount":0,
          "state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}})",
       {"web", "0/1", "Completed", "0", "5m", "<none>", "<none>", "<none>", "<none>"}},
      {"killed by signal",
       "{" + meta + R"(},"spec":{"containers":[{"name":"web"}]},
        "status":{"phase":"Failed","containerStatuses":[{"name":"web","state":{"terminated":{"exitCode":137,"signal":9}}}]}})",
       {"web", "0/1", "Signal:9", "0", "5m", "<none>", "<none>", "<none>", "<none>"}},
      {"completed sidecar but still running, not ready",
       "{" + meta + R"(},"spec":{"containers":[{"name":"a"},{"name":"b"}]},
        "status":{"phase":"Running","containerStatuses":[
          {"name":"a","ready":true,"state":{"running":{}}},
          {"name":"b","ready":false,"state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}})",
       {"web", "1/2", "NotReady", "0", "5m", "<none>", "<none>", "<none>", "<none>"}},
      {"restartable init container counts as a container",
       "{" + meta +
           R"(},"spec":{"initContainers":[{"name":"proxy","restartPolicy":"Always"}],"containers":[{"name":"web"}]},
        "status":{"phase":"Running","conditions":[{"type":"Initialized","status":"True"},{"type":"Ready","status":"True"}],
          "initContainerStatuses":[{"name":"proxy","ready":true,"started":true,"restartCount":1,"state":{"running":{}}}],
          "containerStatuses":[{"name":"web","ready":true,"state":{"running":{}}}]}})",
       {"web", "2/2", "Running", "1", "5m", "<none>", "<none>", "<none>", "<none>"}},
      {"pending without status and readiness gates",
       "{" + meta + R"(},"spec":{"containers":[{"name":"web"}],
          "readinessGates":[{"conditionType":"a.io/x"},{"conditionType":"a.io/y"}]},
        "status":{"phase":"Pending","nominatedNodeName":"node-2","conditions":[{"type":"a.io/x","status":"True"}]}})",
       {"web", "0/1", "Pending", "0", "5m", "<none>", "<none>", "node-2", "1/2"}},
      {"scheduling gated",
       "{" + meta + R"(},"spec":{"containers":[{"name":"web"}]},
        "status":{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False","reason":"SchedulingGated"}]}})",
       {"web", "0/1", "SchedulingGated", "0", "5m", "<none>", "<none>", "<none>", "<none>"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    json::object pod = obj(c.pod);
    auto row = podStrategy()->tableRow(pod, testing::now());
    EXPECT_EQ(cells(row), c.cells);
    EXPECT_EQ(row.size(), podStrategy()->tableColumns().size());
  }
}

TEST(PodFields, Selectable) {
  json::object pod = created(R"({"metadata":{"name":"p"},"spec":{"nodeName":"n1",
    "serviceAccountName":"builder","containers":[{"name":"c","image":"x"}]}})");
  pod["status"] = obj(R"({"phase":"Running","podIPs":[{"ip":"10.0.0.1"},{"ip":"fd00::1"}],
    "nominatedNodeName":"n2"})");
  std::map<std::string, std::string> want = {{"spec.nodeName", "n1"},
                                             {"spec.restartPolicy", "Always"},
                                             {"spec.schedulerName", "default-scheduler"},
                                             {"spec.serviceAccountName", "builder"},
                                             {"spec.hostNetwork", "false"},
                                             {"status.phase", "Running"},
                                             {"status.podIP", "10.0.0.1"},
                                             {"status.podIPs", "10.0.0.1,fd00::1"},
                                             {"status.nominatedNodeName", "n2"}};
  EXPECT_EQ(testing::fields(*podStrategy(), pod), want);
  std::vector<std::string> names = podStrategy()->selectableFieldNames();
  for (const auto& [k, v] : want)
    EXPECT_NE(std::find(names.begin(), names.end(), k), names.end()) << k;
}

TEST(PodSpec, Resource) {
  ResourceSpec s = podResourceSpec();
  EXPECT_EQ(s.kind, "Pod");
  EXPECT_EQ(s.plural, "pods");
  EXPECT_EQ(s.scope, Scope::Namespaced);
  EXPECT_EQ(s.shortNames, std::vector<std::string>{"po"});
  EXPECT_EQ(s.categories, std::vector<std::string>{"all"});
  EXPECT_EQ(s.subresources, std::vector<std::string>{"status"});
  EXPECT_TRUE(s.returnDeletedObject);
  EXPECT_EQ(s.schemaName, "io.k8s.api.core.v1.Pod");
  EXPECT_EQ(s.schema.at("x-kubernetes-group-version-kind"),
            json::parse(R"([{"group":"","version":"v1","kind":"Pod"}])"));
  EXPECT_TRUE(s.schema.at("properties").as_object().contains("spec"));
}

}  // namespace
}  // namespace apiserver::plugins::core
