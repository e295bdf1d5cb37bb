#include "core/resources/pods.h"

#include "core/resources/pod_table.h"
#include "core/resources/pod_validation.h"
#include "core/schema/schemas.h"
#include "core/util/json.h"
#include "core/util/pod_qos.h"

#include <apiserver/object.h>

#include <string>
#include <string_view>

namespace apiserver::plugins::core {

namespace {

/// imageTag returns the tag of an image reference ("" when it has none), as
/// parsers.ParseImageName finds it: after the last ':' of the last path component, before '@'.
std::string_view imageTag(std::string_view image, bool& hasDigest) {
  auto at = image.find('@');
  hasDigest = at != std::string_view::npos;
  std::string_view name = image.substr(0, at);
  auto slash = name.rfind('/');
  std::string_view last = slash == std::string_view::npos ? name : name.substr(slash + 1);
  auto colon = last.rfind(':');
  if (colon == std::string_view::npos)
    return {};
  return last.substr(colon + 1);
}

/// defaultPullPolicy is SetDefaults_Container's rule: Always for ":latest" or an untagged,
/// undigested image; IfNotPresent otherwise.
std::string_view defaultPullPolicy(std::string_view image) {
  if (image.empty())
    return "IfNotPresent";
  bool hasDigest = false;
  std::string_view tag = imageTag(image, hasDigest);
  if (tag == "latest" || (tag.empty() && !hasDigest))
    return "Always";
  return "IfNotPresent";
}

void defaultHandler(json::object& handler) {
  if (json::object* get = mutableObject(handler, "httpGet")) {
    setDefault(*get, "path", "/");
    setDefault(*get, "scheme", "HTTP");
  }
  if (json::object* grpc = mutableObject(handler, "grpc"))
    setDefault(*grpc, "service", "");
}

void defaultProbe(json::object& container, std::string_view key) {
  json::object* probe = mutableObject(container, key);
  if (probe == nullptr)
    return;
  setDefault(*probe, "timeoutSeconds", 1);
  setDefault(*probe, "periodSeconds", 10);
  setDefault(*probe, "successThreshold", 1);
  setDefault(*probe, "failureThreshold", 3);
  defaultHandler(*probe);
}

void defaultContainer(json::object& c, bool hostNetwork) {
  c.reserve(c.size() + 4);  // the defaults below, added without regrowing the object
  setDefault(c, "terminationMessagePath", "/dev/termination-log");
  setDefault(c, "terminationMessagePolicy", "File");
  if (!isSet(c, "imagePullPolicy"))
    c["imagePullPolicy"] = defaultPullPolicy(stringOf(member(c, "image")));
  if (json::array* ports = mutableArray(c, "ports")) {
    for (auto& p : *ports) {
      if (!p.is_object())
        continue;
      json::object& po = p.get_object();
      setDefault(po, "protocol", "TCP");
      if (hostNetwork && !isSet(po, "hostPort") && isSet(po, "containerPort"))
        po["hostPort"] = json::value(po["containerPort"]);
    }
  }
  // Requests default to limits for every resource that has a limit but no request.
  if (json::object* resources = ensureObject(c, "resources")) {
    if (const json::object* limits = mutableObject(*resources, "limits")) {
      json::object limitsCopy = *limits;
      if (json::object* requests = ensureObject(*resources, "requests")) {
        for (const auto& kv : limitsCopy)
          if (!isSet(*requests, kv.key()))
            (*requests)[kv.key()] = kv.value();
      }
    }
  }
  for (const char* probe : {"livenessProbe", "readinessProbe", "startupProbe"})
    defaultProbe(c, probe);
  if (json::object* lifecycle = mutableObject(c, "lifecycle")) {
    for (const char* hook : {"postStart", "preStop"})
      if (json::object* h = mutableObject(*lifecycle, hook))
        defaultHandler(*h);
  }
  if (json::array* env = mutableArray(c, "env")) {
    for (auto& e : *env) {
      if (!e.is_object())
        continue;
      json::object* from = mutableObject(e.get_object(), "valueFrom");
      if (from == nullptr)
        continue;
      if (json::object* ref = mutableObject(*from, "fieldRef"))
        setDefault(*ref, "apiVersion", "v1");
    }
  }
}

/// kVolumeSources are the source fields of a volume; one without any becomes an emptyDir.
constexpr std::string_view kVolumeSources[] = {"hostPath",
                                               "emptyDir",
                                               "gcePersistentDisk",
                                               "awsElasticBlockStore",
                                               "gitRepo",
                                               "secret",
                                               "nfs",
                                               "iscsi",
                                               "glusterfs",
                                               "persistentVolumeClaim",
                                               "rbd",
                                               "flexVolume",
                                               "cinder",
                                               "cephfs",
                                               "flocker",
                                               "downwardAPI",
                                               "fc",
                                               "azureFile",
                                               "configMap",
                                               "vsphereVolume",
                                               "quobyte",
                                               "azureDisk",
                                               "photonPersistentDisk",
                                               "projected",
                                               "portworxVolume",
                                               "scaleIO",
                                               "storageos",
                                               "csi",
                                               "ephemeral",
                                               "image"};

void defaultVolume(json::object& v) {
  bool hasSource = false;
  for (auto s : kVolumeSources)
    hasSource = hasSource || isSet(v, s);
  if (!hasSource)
    v["emptyDir"] = json::object();
  for (const char* s : {"secret", "configMap", "downwardAPI", "projected"})
    if (json::object* src = mutableObject(v, s))
      setDefault(*src, "defaultMode", 420);
  if (json::object* hp = mutableObject(v, "hostPath"))
    setDefault(*hp, "type", "");
}

/// schedulingGatedCondition is the condition kube adds to a pod created with scheduling gates.
json::object schedulingGatedCondition() {
  json::object c;
  c["type"] = "PodScheduled";
  c["status"] = "False";
  c["lastProbeTime"] = nullptr;
  c["lastTransitionTime"] = nullptr;
  c["reason"] = "SchedulingGated";
  c["message"] = "Scheduling is blocked due to non-empty scheduling gates";
  return c;
}

class PodStrategy final : public Strategy {
 public:
  void prepareForCreate(json::object& obj) const override {
    defaultPod(obj);
    json::object status(obj.storage());  // the object's memory: moved in below, not copied
    status["phase"] = "Pending";
    status["qosClass"] = podQosClass(obj);
    if (const json::array* gates = arrayField(obj, "spec", "schedulingGates");
        gates != nullptr && !gates->empty())
      status["conditions"] = json::array{schedulingGatedCondition()};
    obj["status"] = std::move(status);
  }

  void prepareForUpdate(json::object& obj, const json::object& old) const override {
    (void)old;
    defaultPod(obj);
  }

  FieldErrors validate(const json::object& obj) const override { return validatePod(obj); }

  FieldErrors validateUpdate(const json::object& obj, const json::object& old) const override {
    return validatePodUpdate(obj, old);
  }

  FieldErrors validateStatusUpdate(const json::object& obj,
                                   const json::object& old) const override {
    return validatePodStatusUpdate(obj, old);
  }

  std::vector<TableColumn> tableColumns() const override { return podTableColumns(); }

  std::vector<json::value> tableRow(const json::object& obj, TimePoint now) const override {
    return podTableRow(obj, now);
  }

  std::vector<std::string> selectableFieldNames() const override {
    return {"spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.podIPs",
            "status.nominatedNodeName"};
  }

  void selectableFields(const json::object& obj, SelectableFields& out) const override {
    auto spec = [&obj](std::string_view key) {
      return std::string(stringField(obj, "", "spec", key));
    };
    out.emplace_back("spec.nodeName", spec("nodeName"));
    out.emplace_back("spec.restartPolicy", spec("restartPolicy"));
    out.emplace_back("spec.schedulerName", spec("schedulerName"));
    out.emplace_back("spec.serviceAccountName", spec("serviceAccountName"));
    out.emplace_back("spec.hostNetwork",
                     boolOf(field(obj, "spec", "hostNetwork")) ? "true" : "false");
    out.emplace_back("status.phase", std::string(stringField(obj, "", "status", "phase")));
    std::string podIps;
    if (const json::array* ips = arrayField(obj, "status", "podIPs")) {
      for (const auto& ip : *ips) {
        const json::object* io = objectOf(&ip);
        if (io == nullptr)
          continue;
        if (!podIps.empty())
          podIps += ",";
        podIps += stringOf(member(*io, "ip"));
      }
    }
    std::string podIp = podIps.substr(0, podIps.find(','));
    if (podIp.empty())
      podIp = stringField(obj, "", "status", "podIP");
    if (podIps.empty())
      podIps = podIp;
    out.emplace_back("status.podIP", podIp);
    out.emplace_back("status.podIPs", podIps);
    out.emplace_back("status.nominatedNodeName",
                     std::string(stringField(obj, "", "status", "nominatedNodeName")));
  }
};

}  // namespace

void defaultPod(json::object& pod) {
  json::object* spec = ensureObject(pod, "spec");
  if (spec == nullptr)
    return;
  spec->reserve(spec->size() + 7);  // the defaults below, added without regrowing the object
  // v1 conversion keeps the deprecated serviceAccount in step with serviceAccountName.
  if (!isSet(*spec, "serviceAccountName") && !stringOf(member(*spec, "serviceAccount")).empty())
    (*spec)["serviceAccountName"] = json::value((*spec)["serviceAccount"]);
  if (!stringOf(member(*spec, "serviceAccountName")).empty())
    (*spec)["serviceAccount"] = json::value((*spec)["serviceAccountName"]);

  setDefault(*spec, "dnsPolicy", "ClusterFirst");
  setDefault(*spec, "restartPolicy", "Always");
  setDefault(*spec, "terminationGracePeriodSeconds", 30);
  setDefault(*spec, "securityContext", json::object());
  setDefault(*spec, "schedulerName", "default-scheduler");
  setDefault(*spec, "enableServiceLinks", true);
  const bool hostNetwork = boolOf(member(*spec, "hostNetwork"));
  for (const char* list : {"containers", "initContainers"}) {
    json::array* containers = mutableArray(*spec, list);
    if (containers == nullptr)
      continue;
    for (auto& c : *containers)
      if (c.is_object())
        defaultContainer(c.get_object(), hostNetwork);
  }
  if (json::array* volumes = mutableArray(*spec, "volumes")) {
    for (auto& v : *volumes)
      if (v.is_object())
        defaultVolume(v.get_object());
  }
}

ResourceSpec podResourceSpec() {
  ResourceSpec s;
  s.group = "";
  s.version = "v1";
  s.kind = "Pod";
  s.plural = "pods";
  s.singular = "pod";
  s.listKind = "PodList";
  s.scope = Scope::Namespaced;
  s.shortNames = {"po"};
  s.categories = {"all"};
  s.subresources = {"status"};
  s.nameRule = NameRule::Dns1123Subdomain;
  s.returnDeletedObject = true;
  attachSchema(s);
  return s;
}

std::shared_ptr<const Strategy> podStrategy() {
  return std::make_shared<const PodStrategy>();
}

}  // namespace apiserver::plugins::core
