#include "core/resources/pod_table.h"

#include "core/util/json.h"
#include "core/util/table.h"

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace apiserver::plugins::core {

namespace {

bool isRestartableInit(const json::object* container) {
  return container != nullptr && stringOf(container->if_contains("restartPolicy")) == "Always";
}

bool hasCondition(const json::object& pod, std::string_view type) {
  const json::array* conditions = arrayField(pod, "status", "conditions");
  if (conditions == nullptr)
    return false;
  for (const auto& c : *conditions) {
    const json::object* co = objectOf(&c);
    if (co != nullptr && stringOf(co->if_contains("type")) == type &&
        stringOf(co->if_contains("status")) == "True")
      return true;
  }
  return false;
}

/// finishedAt returns lastState.terminated.finishedAt of a container status, if any.
std::optional<TimePoint> lastTerminationTime(const json::object& status) {
  const json::object* terminated = objectField(status, "lastState", "terminated");
  if (terminated == nullptr)
    return std::nullopt;
  return parseTime(stringOf(terminated->if_contains("finishedAt")));
}

std::int64_t intAt(const json::object* o, std::string_view key) {
  if (o == nullptr)
    return 0;
  return int64Of(o->if_contains(key)).value_or(0);
}

/// terminatedReason renders a terminated state without a reason ("Signal:9", "ExitCode:1").
std::string terminatedReason(const json::object& terminated, std::string_view prefix) {
  std::int64_t signal = intAt(&terminated, "signal");
  if (signal != 0)
    return std::string(prefix) + "Signal:" + std::to_string(signal);
  return std::string(prefix) + "ExitCode:" + std::to_string(intAt(&terminated, "exitCode"));
}

}  // namespace

std::vector<TableColumn> podTableColumns() {
  return {
      nameColumn(),
      column("Ready", "The aggregate readiness state of this pod for accepting traffic."),
      column("Status", "The aggregate status of the containers in this pod."),
      column("Restarts",
             "The number of times the containers in this pod have been restarted and when the "
             "last container in this pod has restarted."),
      ageColumn(),
      column("IP",
             "podIP address allocated to the pod. Routable at least within the cluster. Empty if "
             "not yet allocated.",
             1),
      column("Node",
             "NodeName indicates in which node this pod is scheduled. If empty, this pod is a "
             "candidate for scheduling by the scheduler defined in schedulerName. Once this "
             "field is set, the kubelet for this node becomes responsible for the lifecycle of "
             "this pod. This field should not be used to express a desire for the pod to be "
             "scheduled on a specific node. "
             "https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename",
             1),
      column("Nominated Node",
             "nominatedNodeName is set only when this pod preempts other pods on the node, but "
             "it cannot schedule right away as preemption victims receive their graceful "
             "termination periods. This field does not guarantee that the pod will be scheduled "
             "on this node. Scheduler may decide to place the pod elsewhere if other nodes "
             "become available sooner. Scheduler may also decide to give the resources on this "
             "node to a higher priority pod that is created after preemption. As a result, this "
             "field may be different than PodSpec.nodeName when the pod is scheduled.",
             1),
      column("Readiness Gates",
             "If specified, all readiness gates will be evaluated for pod readiness. A pod is "
             "ready when all its containers are ready AND all conditions specified in the "
             "readiness gates have status equal to \"True\" More info: "
             "https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates",
             1),
  };
}

std::vector<json::value> podTableRow(const json::object& pod, TimePoint now) {
  std::int64_t restarts = 0;
  std::int64_t restartableInitRestarts = 0;
  const json::array* containers = arrayField(pod, "spec", "containers");
  const json::array* initContainers = arrayField(pod, "spec", "initContainers");
  std::size_t totalContainers = containers != nullptr ? containers->size() : 0;
  std::size_t readyContainers = 0;
  std::optional<TimePoint> lastRestart;
  std::optional<TimePoint> lastRestartableInitRestart;
  auto later = [](std::optional<TimePoint>& slot, std::optional<TimePoint> t) {
    if (t && (!slot || *slot < *t))
      slot = t;
  };

  std::string_view phase = stringField(pod, "", "status", "phase");
  std::string reason(phase);
  if (std::string_view r = stringField(pod, "", "status", "reason"); !r.empty())
    reason = r;

  if (const json::array* conditions = arrayField(pod, "status", "conditions")) {
    for (const auto& c : *conditions) {
      const json::object* co = objectOf(&c);
      if (co != nullptr && stringOf(co->if_contains("type")) == "PodScheduled" &&
          stringOf(co->if_contains("reason")) == "SchedulingGated")
        reason = "SchedulingGated";
    }
  }

  std::map<std::string, const json::object*, std::less<>> initByName;
  if (initContainers != nullptr) {
    for (const auto& c : *initContainers) {
      const json::object* co = objectOf(&c);
      if (co == nullptr)
        continue;
      initByName[std::string(stringOf(co->if_contains("name")))] = co;
      if (isRestartableInit(co))
        ++totalContainers;
    }
  }
  const std::size_t initCount = initContainers != nullptr ? initContainers->size() : 0;

  bool initializing = false;
  if (const json::array* statuses = arrayField(pod, "status", "initContainerStatuses")) {
    for (std::size_t i = 0; i < statuses->size(); ++i) {
      const json::object* cs = objectOf(&(*statuses)[i]);
      if (cs == nullptr)
        continue;
      std::int64_t count = intAt(cs, "restartCount");
      restarts += count;
      later(lastRestart, lastTerminationTime(*cs));
      auto it = initByName.find(stringOf(cs->if_contains("name")));
      const bool restartable = it != initByName.end() && isRestartableInit(it->second);
      if (restartable) {
        restartableInitRestarts += count;
        later(lastRestartableInitRestart, lastTerminationTime(*cs));
      }
      const json::object* terminated = objectField(*cs, "state", "terminated");
      const json::object* waiting = objectField(*cs, "state", "waiting");
      if (terminated != nullptr && intAt(terminated, "exitCode") == 0)
        continue;
      if (restartable && boolOf(cs->if_contains("started"))) {
        if (boolOf(cs->if_contains("ready")))
          ++readyContainers;
        continue;
      }
      if (terminated != nullptr) {
        std::string_view r = stringOf(terminated->if_contains("reason"));
        reason = r.empty() ? terminatedReason(*terminated, "Init:") : "Init:" + std::string(r);
      } else if (waiting != nullptr && !stringOf(waiting->if_contains("reason")).empty() &&
                 stringOf(waiting->if_contains("reason")) != "PodInitializing") {
        reason = "Init:" + std::string(stringOf(waiting->if_contains("reason")));
      } else {
        reason = "Init:" + std::to_string(i) + "/" + std::to_string(initCount);
      }
      initializing = true;
      break;
    }
  }

  if (!initializing || hasCondition(pod, "Initialized")) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    bool hasRunning = false;
    if (const json::array* statuses = arrayField(pod, "status", "containerStatuses")) {
      for (std::size_t k = statuses->size(); k-- > 0;) {
        const json::object* cs = objectOf(&(*statuses)[k]);
        if (cs == nullptr)
          continue;
        restarts += intAt(cs, "restartCount");
        later(lastRestart, lastTerminationTime(*cs));
        const json::object* waiting = objectField(*cs, "state", "waiting");
        const json::object* terminated = objectField(*cs, "state", "terminated");
        const json::object* running = objectField(*cs, "state", "running");
        if (waiting != nullptr && !stringOf(waiting->if_contains("reason")).empty()) {
          reason = stringOf(waiting->if_contains("reason"));
        } else if (terminated != nullptr && !stringOf(terminated->if_contains("reason")).empty()) {
          reason = stringOf(terminated->if_contains("reason"));
        } else if (terminated != nullptr) {
          reason = terminatedReason(*terminated, "");
        } else if (boolOf(cs->if_contains("ready")) && running != nullptr) {
          hasRunning = true;
          ++readyContainers;
        }
      }
    }
    // A pod whose last container completed but that still has a running one is Running (or
    // NotReady while the pod is not ready).
    if (reason == "Completed" && hasRunning)
      reason = hasCondition(pod, "Ready") ? "Running" : "NotReady";
  }

  const json::value* deletion = field(pod, "metadata", "deletionTimestamp");
  const bool deleting = deletion != nullptr && !deletion->is_null();
  if (deleting && stringField(pod, "", "status", "reason") == "NodeLost") {
    reason = "Unknown";
  } else if (deleting && phase != "Succeeded" && phase != "Failed") {
    reason = "Terminating";
  }

  std::string restartsText = std::to_string(restarts);
  if (restarts != 0 && lastRestart) {
    restartsText +=
        " (" + humanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - *lastRestart)) +
        " ago)";
  }

  std::string podIp;
  if (const json::array* ips = arrayField(pod, "status", "podIPs");
      ips != nullptr && !ips->empty()) {
    if (const json::object* first = objectOf(&(*ips)[0]))
      podIp = stringOf(first->if_contains("ip"));
  } else {
    podIp = stringField(pod, "", "status", "podIP");
  }

  std::string readinessGates = "<none>";
  if (const json::array* gates = arrayField(pod, "spec", "readinessGates");
      gates != nullptr && !gates->empty()) {
    std::size_t trueConditions = 0;
    const json::array* conditions = arrayField(pod, "status", "conditions");
    for (const auto& g : *gates) {
      std::string_view type =
          stringOf(objectOf(&g) ? objectOf(&g)->if_contains("conditionType") : nullptr);
      if (conditions == nullptr)
        continue;
      for (const auto& c : *conditions) {
        const json::object* co = objectOf(&c);
        if (co == nullptr || stringOf(co->if_contains("type")) != type)
          continue;
        if (stringOf(co->if_contains("status")) == "True")
          ++trueConditions;
        break;
      }
    }
    readinessGates = std::to_string(trueConditions) + "/" + std::to_string(gates->size());
  }

  return {json::value(nameOf(pod)),
          json::value(std::to_string(readyContainers) + "/" + std::to_string(totalContainers)),
          json::value(reason),
          json::value(restartsText),
          json::value(ageOf(pod, now)),
          json::value(orNone(podIp)),
          json::value(orNone(stringField(pod, "", "spec", "nodeName"))),
          json::value(orNone(stringField(pod, "", "status", "nominatedNodeName"))),
          json::value(readinessGates)};
}

}  // namespace apiserver::plugins::core
