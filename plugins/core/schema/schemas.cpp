#include "core/schema/schemas.h"

#include <boost/json/array.hpp>

#include <string_view>
#include <utility>

namespace apiserver::plugins::core {

namespace json = boost::json;

namespace {

constexpr std::string_view kConventions =
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md";

std::string conventions(std::string_view anchor) {
  return std::string(kConventions) + "#" + std::string(anchor);
}

/// scalar is a property of a scalar type.
json::object scalar(std::string_view type, std::string description, std::string_view format = {}) {
  json::object p;
  p["type"] = type;
  if (!format.empty())
    p["format"] = format;
  p["description"] = std::move(description);
  return p;
}

/// openObject is an object property whose fields are not described yet.
json::object openObject(std::string description) {
  json::object p;
  p["type"] = "object";
  p["description"] = std::move(description);
  p["x-kubernetes-preserve-unknown-fields"] = true;
  return p;
}

/// stringMap is a map of strings (labels, ConfigMap.data).
json::object stringMap(std::string description, std::string_view format = {}) {
  json::object items;
  items["type"] = "string";
  if (!format.empty())
    items["format"] = format;
  json::object p;
  p["type"] = "object";
  p["additionalProperties"] = std::move(items);
  p["description"] = std::move(description);
  return p;
}

/// objectList is an atomic list of objects whose fields are not described yet.
json::object objectList(std::string description) {
  json::object items;
  items["type"] = "object";
  items["x-kubernetes-preserve-unknown-fields"] = true;
  json::object p;
  p["type"] = "array";
  p["items"] = std::move(items);
  p["description"] = std::move(description);
  p["x-kubernetes-list-type"] = "atomic";
  return p;
}

/// kindSchema assembles a kind's schema with the TypeMeta and ObjectMeta properties every kind
/// has, plus `properties`.
json::object kindSchema(std::string_view kind, std::string description, json::object properties,
                        json::array required = {}) {
  properties["apiVersion"] =
      scalar("string",
             "APIVersion defines the versioned schema of this representation of an object. Servers "
             "should convert recognized schemas to the latest internal value, and may reject "
             "unrecognized values. More info: " +
                 conventions("resources"));
  properties["kind"] = scalar(
      "string",
      "Kind is a string value representing the REST resource this object represents. Servers "
      "may infer this from the endpoint the client submits requests to. Cannot be updated. In "
      "CamelCase. More info: " +
          conventions("types-kinds"));
  json::object meta =
      openObject("Standard object's metadata. More info: " + conventions("metadata"));
  meta["default"] = json::object();
  properties["metadata"] = std::move(meta);

  json::object gvk;
  gvk["group"] = "";
  gvk["version"] = "v1";
  gvk["kind"] = kind;
  json::object s;
  s["type"] = "object";
  s["description"] = std::move(description);
  s["properties"] = std::move(properties);
  if (!required.empty())
    s["required"] = std::move(required);
  s["x-kubernetes-group-version-kind"] = json::array{std::move(gvk)};
  return s;
}

/// specAndStatus adds the usual spec/status pair.
json::object specAndStatus(std::string specDescription, std::string statusDescription) {
  json::object p;
  json::object spec = openObject(std::move(specDescription));
  spec["default"] = json::object();
  json::object status = openObject(std::move(statusDescription));
  status["default"] = json::object();
  p["spec"] = std::move(spec);
  p["status"] = std::move(status);
  return p;
}

}  // namespace

std::string schemaName(const std::string& kind) {
  return "io.k8s.api.core.v1." + kind;
}

json::object namespaceSchema() {
  return kindSchema(
      "Namespace", "Namespace provides a scope for Names. Use of multiple namespaces is optional.",
      specAndStatus("Spec defines the behavior of the Namespace. More info: " +
                        conventions("spec-and-status"),
                    "Status describes the current status of a Namespace. More info: " +
                        conventions("spec-and-status")));
}

json::object podSchema() {
  return kindSchema(
      "Pod",
      "Pod is a collection of containers that can run on a host. This resource is created by "
      "clients and scheduled onto hosts.",
      specAndStatus("Specification of the desired behavior of the pod. More info: " +
                        conventions("spec-and-status"),
                    "Most recently observed status of the pod. This data may not be up to date. "
                    "Populated by the system. Read-only. More info: " +
                        conventions("spec-and-status")));
}

json::object serviceSchema() {
  return kindSchema(
      "Service",
      "Service is a named abstraction of software service (for example, mysql) consisting of "
      "local port (for example 3306) that the proxy listens on, and the selector that "
      "determines which pods will answer requests sent through the proxy.",
      specAndStatus("Spec defines the behavior of a service. " + conventions("spec-and-status"),
                    "Most recently observed status of the service. Populated by the system. "
                    "Read-only. More info: " +
                        conventions("spec-and-status")));
}

json::object endpointsSchema() {
  json::object p;
  p["subsets"] = objectList(
      "The set of all endpoints is the union of all subsets. Addresses are placed into subsets "
      "according to the IPs they share. A single address with multiple ports, some of which are "
      "ready and some of which are not (because they come from different containers) will "
      "result in the address being displayed in different subsets for the different ports. No "
      "address will appear in both Addresses and NotReadyAddresses in the same subset. Sets of "
      "addresses and ports that comprise a service.");
  return kindSchema(
      "Endpoints",
      "Endpoints is a collection of endpoints that implement the actual service. Example:\n\n"
      "\t Name: \"mysvc\",\n\t Subsets: [\n\t   {\n\t     Addresses: [{\"ip\": \"10.10.1.1\"}, "
      "{\"ip\": \"10.10.2.2\"}],\n\t     Ports: [{\"name\": \"a\", \"port\": 8675}, {\"name\": "
      "\"b\", \"port\": 309}]\n\t   },\n\t   {\n\t     Addresses: [{\"ip\": \"10.10.3.3\"}],\n\t "
      "    Ports: [{\"name\": \"a\", \"port\": 93}, {\"name\": \"b\", \"port\": 76}]\n\t   "
      "},\n\t]",
      std::move(p));
}

json::object configMapSchema() {
  json::object p;
  p["binaryData"] = stringMap(
      "BinaryData contains the binary data. Each key must consist of alphanumeric characters, "
      "'-', '_' or '.'. BinaryData can contain byte sequences that are not in the UTF-8 range. "
      "The keys stored in BinaryData must not overlap with the ones in the Data field, this is "
      "enforced during validation process. Using this field will require 1.10+ apiserver and "
      "kubelet.",
      "byte");
  p["data"] = stringMap(
      "Data contains the configuration data. Each key must consist of alphanumeric characters, "
      "'-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The "
      "keys stored in Data must not overlap with the keys in the BinaryData field, this is "
      "enforced during validation process.");
  p["immutable"] = scalar(
      "boolean",
      "Immutable, if set to true, ensures that data stored in the ConfigMap cannot be updated "
      "(only object metadata can be modified). If not set to true, the field can be modified at "
      "any time. Defaulted to nil.");
  return kindSchema("ConfigMap", "ConfigMap holds configuration data for pods to consume.",
                    std::move(p));
}

json::object secretSchema() {
  json::object p;
  p["data"] = stringMap(
      "Data contains the secret data. Each key must consist of alphanumeric characters, '-', "
      "'_' or '.'. The serialized form of the secret data is a base64 encoded string, "
      "representing the arbitrary (possibly non-string) data value here. Described in "
      "https://tools.ietf.org/html/rfc4648#section-4",
      "byte");
  p["immutable"] = scalar(
      "boolean",
      "Immutable, if set to true, ensures that data stored in the Secret cannot be updated (only "
      "object metadata can be modified). If not set to true, the field can be modified at any "
      "time. Defaulted to nil.");
  p["stringData"] = stringMap(
      "stringData allows specifying non-binary secret data in string form. It is provided as a "
      "write-only input field for convenience. All keys and values are merged into the data "
      "field on write, overwriting any existing values. The stringData field is never output "
      "when reading from the API.");
  p["type"] = scalar("string",
                     "Used to facilitate programmatic handling of secret data. More info: "
                     "https://kubernetes.io/docs/concepts/configuration/secret/#secret-types");
  return kindSchema("Secret",
                    "Secret holds secret data of a certain type. The total bytes of the values in "
                    "the Data field must be less than MaxSecretSize bytes.",
                    std::move(p));
}

json::object nodeSchema() {
  return kindSchema(
      "Node",
      "Node is a worker node in Kubernetes. Each node will have a unique identifier in the cache "
      "(i.e. in etcd).",
      specAndStatus("Spec defines the behavior of a node. " + conventions("spec-and-status"),
                    "Most recently observed status of the node. Populated by the system. "
                    "Read-only. More info: " +
                        conventions("spec-and-status")));
}

json::object eventSchema() {
  json::object p;
  p["action"] = scalar("string", "What action was taken/failed regarding to the Regarding object.");
  p["count"] = scalar("integer", "The number of times this event has occurred.", "int32");
  p["eventTime"] = scalar("string", "Time when this Event was first observed.", "date-time");
  p["firstTimestamp"] =
      scalar("string",
             "The time at which the event was first recorded. (Time of server receipt is in "
             "TypeMeta.)",
             "date-time");
  json::object involved = openObject("The object that this event is about.");
  involved["default"] = json::object();
  p["involvedObject"] = std::move(involved);
  p["lastTimestamp"] =
      scalar("string", "The time at which the most recent occurrence of this event was recorded.",
             "date-time");
  p["message"] = scalar("string", "A human-readable description of the status of this operation.");
  p["reason"] =
      scalar("string",
             "This should be a short, machine understandable string that gives the reason for the "
             "transition into the object's current status.");
  p["related"] = openObject("Optional secondary object for more complex actions.");
  p["reportingComponent"] = scalar(
      "string", "Name of the controller that emitted this Event, e.g. `kubernetes.io/kubelet`.");
  p["reportingInstance"] = scalar("string", "ID of the controller instance, e.g. `kubelet-xyzf`.");
  p["series"] = openObject(
      "Data about the Event series this event represents or nil if it's a singleton Event.");
  json::object source = openObject(
      "The component reporting this event. Should be a short machine understandable string.");
  source["default"] = json::object();
  p["source"] = std::move(source);
  p["type"] = scalar(
      "string", "Type of this event (Normal, Warning), new types could be added in the future");
  return kindSchema(
      "Event",
      "Event is a report of an event somewhere in the cluster.  Events have a limited retention "
      "time and triggers and messages may evolve with time.  Event consumers should not rely on "
      "the timing of an event with a given Reason reflecting a consistent underlying trigger, or "
      "the continued existence of events with that Reason.  Events should be treated as "
      "informative, best-effort, supplemental data.",
      std::move(p), json::array{"metadata", "involvedObject"});
}

json::object serviceAccountSchema() {
  json::object p;
  p["automountServiceAccountToken"] =
      scalar("boolean",
             "AutomountServiceAccountToken indicates whether pods running as this service account "
             "should have an API token automatically mounted. Can be overridden at the pod level.");
  p["imagePullSecrets"] = objectList(
      "ImagePullSecrets is a list of references to secrets in the same namespace to use for "
      "pulling any images in pods that reference this ServiceAccount. ImagePullSecrets are "
      "distinct from Secrets because Secrets can be mounted in the pod, but ImagePullSecrets are "
      "only accessed by the kubelet. More info: "
      "https://kubernetes.io/docs/concepts/containers/images/"
      "#specifying-imagepullsecrets-on-a-pod");
  json::object secrets = objectList(
      "Secrets is a list of the secrets in the same namespace that pods running using this "
      "ServiceAccount are allowed to use. Pods are only limited to this list if this service "
      "account has a \"kubernetes.io/enforce-mountable-secrets\" annotation set to \"true\". The "
      "\"kubernetes.io/enforce-mountable-secrets\" annotation is deprecated since v1.32. Prefer "
      "separate namespaces to isolate access to mounted secrets. This field should not be used "
      "to find auto-generated service account token secrets for use outside of pods. Instead, "
      "tokens can be requested directly using the TokenRequest API, or service account token "
      "secrets can be manually created. More info: "
      "https://kubernetes.io/docs/concepts/configuration/secret");
  secrets.erase("x-kubernetes-list-type");
  secrets["x-kubernetes-patch-merge-key"] = "name";
  secrets["x-kubernetes-patch-strategy"] = "merge";
  p["secrets"] = std::move(secrets);
  return kindSchema(
      "ServiceAccount",
      "ServiceAccount binds together: * a name, understood by users, and perhaps by peripheral "
      "systems, for an identity * a principal that can be authenticated and authorized * a set "
      "of secrets",
      std::move(p));
}

}  // namespace apiserver::plugins::core
