#include "aggregator/apiservice.h"

#include <apiserver/base64.h>
#include <apiserver/validation.h>

#include <boost/json/parse.hpp>

#include <cctype>
#include <map>
#include <utility>

namespace apiserver::plugins::aggregator {

namespace {

constexpr const char* kSchemaPrefix = "io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.";

/// kSchemas are the OpenAPI v3 schemas of APIService and its parts, as kube publishes them.
constexpr const char* kSchemas = R"json({
  "APIService": {
    "description": "APIService represents a server for a particular GroupVersion. Name must be \"version.group\".",
    "type": "object",
    "properties": {
      "apiVersion": {"type": "string", "description": "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values."},
      "kind": {"type": "string", "description": "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. In CamelCase."},
      "metadata": {"default": {}, "allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}], "description": "Standard object's metadata."},
      "spec": {"default": {}, "allOf": [{"$ref": "#/components/schemas/io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIServiceSpec"}], "description": "Spec contains information for locating and communicating with a server"},
      "status": {"default": {}, "allOf": [{"$ref": "#/components/schemas/io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIServiceStatus"}], "description": "Status contains derived information about an API server"}
    }
  },
  "APIServiceSpec": {
    "description": "APIServiceSpec contains information for locating and communicating with a server. Only https is supported, though you are able to disable certificate verification.",
    "type": "object",
    "required": ["groupPriorityMinimum", "versionPriority"],
    "properties": {
      "caBundle": {"type": "string", "format": "byte", "x-kubernetes-list-type": "atomic", "description": "CABundle is a PEM encoded CA bundle which will be used to validate an API server's serving certificate. If unspecified, system trust roots on the apiserver are used."},
      "group": {"type": "string", "description": "Group is the API group name this server hosts"},
      "groupPriorityMinimum": {"type": "integer", "format": "int32", "default": 0, "description": "GroupPriorityMinimum is the priority this group should have at least. Higher priority means that the group is preferred by clients over lower priority ones. Note that other versions of this group might specify even higher GroupPriorityMinimum values such that the whole group gets a higher priority. The primary sort is based on GroupPriorityMinimum, ordered highest number to lowest (20 before 10). The secondary sort is based on the alphabetical comparison of the name of the object.  (v1.bar before v1.foo) We'd recommend something like: *.k8s.io (except extensions) at 18000 and PaaSes (OpenShift, Deis) are recommended to be in the 2000s"},
      "insecureSkipTLSVerify": {"type": "boolean", "description": "InsecureSkipTLSVerify disables TLS certificate verification when communicating with this server. This is strongly discouraged.  You should use the CABundle instead."},
      "service": {"allOf": [{"$ref": "#/components/schemas/io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.ServiceReference"}], "description": "Service is a reference to the service for this API server.  It must communicate on port 443. If the Service is nil, that means the handling for the API groupversion is handled locally on this server. The call will simply delegate to the normal handler chain to be fulfilled."},
      "version": {"type": "string", "description": "Version is the API version this server hosts.  For example, \"v1\""},
      "versionPriority": {"type": "integer", "format": "int32", "default": 0, "description": "VersionPriority controls the ordering of this API version inside of its group.  Must be greater than zero. The primary sort is based on VersionPriority, ordered highest to lowest (20 before 10). Since it's inside of a group, the number can be small, probably in the 10s. In case of equal version priorities, the version string will be used to compute the order inside a group. If the version string is \"kube-like\", it will sort above non \"kube-like\" version strings, which are ordered lexicographically. \"Kube-like\" versions start with a \"v\", then are followed by a number (the major version), then optionally the string \"alpha\" or \"beta\" and another number (the minor version). These are sorted first by GA > beta > alpha (where GA is a version with no suffix such as beta or alpha), and then by comparing major version, then minor version. An example sorted list of versions: v10, v2, v1, v11beta2, v10beta3, v3beta1, v12alpha1, v11alpha2, foo1, foo10."}
    }
  },
  "ServiceReference": {
    "description": "ServiceReference holds a reference to Service.legacy.k8s.io",
    "type": "object",
    "properties": {
      "name": {"type": "string", "description": "Name is the name of the service"},
      "namespace": {"type": "string", "description": "Namespace is the namespace of the service"},
      "port": {"type": "integer", "format": "int32", "description": "If specified, the port on the service that hosting webhook. Default to 443 for backward compatibility. `port` should be a valid port number (1-65535, inclusive)."}
    }
  },
  "APIServiceStatus": {
    "description": "APIServiceStatus contains derived information about an API server",
    "type": "object",
    "properties": {
      "conditions": {
        "type": "array",
        "description": "Current service state of apiService.",
        "items": {"default": {}, "allOf": [{"$ref": "#/components/schemas/io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIServiceCondition"}]},
        "x-kubernetes-list-map-keys": ["type"],
        "x-kubernetes-list-type": "map",
        "x-kubernetes-patch-merge-key": "type",
        "x-kubernetes-patch-strategy": "merge"
      }
    }
  },
  "APIServiceCondition": {
    "description": "APIServiceCondition describes the state of an APIService at a particular point",
    "type": "object",
    "required": ["type", "status"],
    "properties": {
      "lastTransitionTime": {"type": "string", "format": "date-time", "description": "Last time the condition transitioned from one status to another."},
      "message": {"type": "string", "description": "Human-readable message indicating details about last transition."},
      "reason": {"type": "string", "description": "Unique, one-word, CamelCase reason for the condition's last transition."},
      "status": {"type": "string", "default": "", "description": "Status is the status of the condition. Can be True, False, Unknown."},
      "type": {"type": "string", "default": "", "description": "Type is the type of the condition."}
    }
  }
})json";

void defaultPort(json::object& obj) {
  json::value* spec = obj.if_contains("spec");
  if (spec == nullptr || !spec->is_object()) return;
  json::value* svc = spec->get_object().if_contains("service");
  if (svc == nullptr || !svc->is_object()) return;
  json::object& s = svc->get_object();
  if (const json::value* p = s.if_contains("port"); p == nullptr || p->is_null()) s["port"] = 443;
}

struct KubeVersion {
  bool ok = false;
  int major = 0;
  int type = 2;  // 0 alpha, 1 beta, 2 GA
  int minor = 0;
};

KubeVersion parseKubeVersion(std::string_view v) {
  KubeVersion out;
  if (v.size() < 2 || v[0] != 'v') return out;
  std::size_t i = 1;
  auto number = [&](int& n) {
    std::size_t start = i;
    n = 0;
    while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i])) != 0 && i - start < 9) n = n * 10 + (v[i++] - '0');
    return i > start;
  };
  if (!number(out.major)) return out;
  if (i == v.size()) {
    out.ok = true;
    return out;
  }
  std::string_view rest = v.substr(i);
  if (rest.starts_with("alpha")) {
    out.type = 0;
    i += 5;
  } else if (rest.starts_with("beta")) {
    out.type = 1;
    i += 4;
  } else {
    return out;
  }
  if (!number(out.minor) || i != v.size()) return out;
  out.ok = true;
  return out;
}

}  // namespace

GroupResource apiServicesResource() { return {kGroup, "apiservices"}; }

ResourceSpec apiServiceResourceSpec() {
  ResourceSpec s;
  s.group = kGroup;
  s.version = kVersion;
  s.kind = "APIService";
  s.plural = "apiservices";
  s.singular = "apiservice";
  s.scope = Scope::Cluster;
  s.subresources = {"status"};
  s.nameRule = NameRule::PathSegment;  // the name must be version.group, checked in validate()
  s.schemaName = std::string(kSchemaPrefix) + "APIService";
  std::error_code ec;
  json::value all = json::parse(kSchemas, ec);
  if (!ec && all.is_object()) {
    for (auto& kv : all.get_object()) {
      const std::string name = kSchemaPrefix + std::string(kv.key());
      if (name == s.schemaName) {
        s.schema = kv.value().get_object();
      } else {
        s.definitions[name] = kv.value();
      }
    }
  }
  return s;
}

ApiServiceView viewOf(const json::object& obj) {
  ApiServiceView v;
  v.name = std::string(nameOf(obj));
  v.group = std::string(stringField(obj, "", "spec", "group"));
  v.version = std::string(stringField(obj, "", "spec", "version"));
  v.groupPriorityMinimum = int64Field(obj, "spec", "groupPriorityMinimum").value_or(0);
  v.versionPriority = int64Field(obj, "spec", "versionPriority").value_or(0);
  if (const json::object* svc = objectField(obj, "spec", "service")) {
    ServiceReference ref;
    ref.namespace_ = std::string(stringField(*svc, "", "namespace"));
    ref.name = std::string(stringField(*svc, "", "name"));
    ref.port = int64Field(*svc, "port").value_or(443);
    v.service = std::move(ref);
  }
  if (const json::value* b = field(obj, "spec", "insecureSkipTLSVerify"); b != nullptr && b->is_bool())
    v.insecureSkipTlsVerify = b->get_bool();
  if (std::string_view ca = stringField(obj, "", "spec", "caBundle"); !ca.empty()) {
    if (base64::Decoded decoded = base64::decode(ca); decoded.ok) {
      v.caBundle = std::move(decoded.data);
    } else {
      v.caBundleError = decoded.error();
    }
  }
  if (const json::array* conds = arrayField(obj, "status", "conditions")) {
    for (const auto& c : *conds) {
      if (!c.is_object() || stringField(c.get_object(), "", "type") != "Available") continue;
      const json::object& co = c.get_object();
      v.available = ApiServiceCondition{"Available", std::string(stringField(co, "", "status")),
                                        std::string(stringField(co, "", "reason")),
                                        std::string(stringField(co, "", "message")),
                                        std::string(stringField(co, "", "lastTransitionTime"))};
    }
  }
  return v;
}

int compareKubeVersions(std::string_view a, std::string_view b) {
  if (a == b) return 0;
  const KubeVersion va = parseKubeVersion(a);
  const KubeVersion vb = parseKubeVersion(b);
  if (!va.ok && !vb.ok) return b.compare(a) > 0 ? 1 : -1;
  if (!va.ok) return -1;
  if (!vb.ok) return 1;
  if (va.type != vb.type) return va.type - vb.type;
  if (va.major != vb.major) return va.major - vb.major;
  return va.minor - vb.minor;
}

Priority localPriority(std::string_view group, std::string_view version) {
  static const std::map<std::pair<std::string_view, std::string_view>, Priority> kPriorities = {
      {{"", "v1"}, {18000, 1}},
      {{"apiregistration.k8s.io", "v1"}, {18000, 15}},
      {{"apps", "v1"}, {17800, 15}},
      {{"events.k8s.io", "v1"}, {17750, 15}},
      {{"authentication.k8s.io", "v1"}, {17700, 15}},
      {{"authorization.k8s.io", "v1"}, {17600, 15}},
      {{"autoscaling", "v1"}, {17500, 15}},
      {{"autoscaling", "v2"}, {17500, 30}},
      {{"batch", "v1"}, {17400, 15}},
      {{"certificates.k8s.io", "v1"}, {17300, 15}},
      {{"networking.k8s.io", "v1"}, {17200, 15}},
      {{"policy", "v1"}, {17100, 15}},
      {{"rbac.authorization.k8s.io", "v1"}, {17000, 15}},
      {{"storage.k8s.io", "v1"}, {16800, 15}},
      {{"apiextensions.k8s.io", "v1"}, {16700, 15}},
      {{"admissionregistration.k8s.io", "v1"}, {16700, 15}},
      {{"scheduling.k8s.io", "v1"}, {16600, 15}},
      {{"coordination.k8s.io", "v1"}, {16500, 15}},
      {{"node.k8s.io", "v1"}, {16300, 15}},
      {{"discovery.k8s.io", "v1"}, {16200, 15}},
      {{"flowcontrol.apiserver.k8s.io", "v1"}, {16100, 21}},
  };
  if (auto it = kPriorities.find({group, version}); it != kPriorities.end()) return it->second;
  return {};
}

void ApiServiceStrategy::prepareForCreate(json::object& obj) const {
  obj.erase("status");
  defaultPort(obj);
}

void ApiServiceStrategy::prepareForUpdate(json::object& obj, const json::object& old) const {
  (void)old;
  defaultPort(obj);
}

FieldErrors ApiServiceStrategy::validate(const json::object& obj) const {
  FieldErrors errs;
  const ApiServiceView v = viewOf(obj);
  const std::string required = v.version + "." + v.group;
  // kube: ValidateObjectMeta with a name function that wants exactly version.group.
  if (auto path = validation::isValidPathSegmentName(v.name); !path.empty()) {
    validation::addInvalid(errs, "metadata.name", v.name, path);
  } else if (v.name != required) {
    errs.push_back(invalidField("metadata.name", json::value(v.name),
                                "must be `spec.version+\".\"+spec.group`: \"" + required + "\""));
  }
  if (v.group.empty() && v.version != "v1")
    errs.push_back(requiredField("spec.group", "only v1 may have an empty group and it better be legacy kube"));
  if (!v.group.empty()) validation::addInvalid(errs, "spec.group", v.group, validation::isDns1123Subdomain(v.group));
  validation::addInvalid(errs, "spec.version", v.version, validation::isDns1035Label(v.version));
  if (v.groupPriorityMinimum <= 0 || v.groupPriorityMinimum > 20000)
    errs.push_back(invalidField("spec.groupPriorityMinimum", json::value(v.groupPriorityMinimum),
                                "must be positive and less than 20000"));
  if (v.versionPriority <= 0 || v.versionPriority > 1000)
    errs.push_back(invalidField("spec.versionPriority", json::value(v.versionPriority),
                                "must be positive and less than 1000"));
  const std::string_view caBundle = stringField(obj, "", "spec", "caBundle");
  if (!v.service) {
    if (!caBundle.empty()) {
      const std::size_t bytes = v.caBundleError ? caBundle.size() : v.caBundle.size();
      errs.push_back(invalidField("spec.caBundle", json::value(std::to_string(bytes) + " bytes"),
                                  "local APIServices may not have a caBundle"));
    }
    if (v.insecureSkipTlsVerify)
      errs.push_back(invalidField("spec.insecureSkipTLSVerify", json::value(true),
                                  "local APIServices may not have insecureSkipTLSVerify"));
    return errs;
  }
  if (v.service->namespace_.empty()) errs.push_back(requiredField("spec.service.namespace"));
  if (v.service->name.empty()) errs.push_back(requiredField("spec.service.name"));
  if (v.service->port < 1 || v.service->port > 65535)
    errs.push_back(invalidField("spec.service.port", json::value(v.service->port),
                                "port is not valid: must be between 1 and 65535, inclusive"));
  if (v.insecureSkipTlsVerify && !caBundle.empty())
    errs.push_back(invalidField("spec.insecureSkipTLSVerify", json::value(true), "may not be true if caBundle is present"));
  return errs;
}

FieldErrors ApiServiceStrategy::validateStatusUpdate(const json::object& obj, const json::object& old) const {
  (void)old;
  FieldErrors errs;
  if (const json::array* conds = arrayField(obj, "status", "conditions")) {
    for (std::size_t i = 0; i < conds->size(); ++i) {
      if (!(*conds)[i].is_object()) continue;
      const json::value* status = (*conds)[i].get_object().if_contains("status");
      const bool ok = status != nullptr && status->is_string() &&
                      (status->get_string() == "True" || status->get_string() == "False" ||
                       status->get_string() == "Unknown");
      if (!ok)
        errs.push_back(notSupportedField("status.conditions[" + std::to_string(i) + "].status",
                                         status != nullptr ? *status : json::value(""), {"True", "False", "Unknown"}));
    }
  }
  return errs;
}

std::vector<TableColumn> ApiServiceStrategy::tableColumns() const {
  return {{"Name", "string", "name",
           "Name must be unique within a namespace. Is required when creating resources, although some resources may "
           "allow a client to request the generation of an appropriate name automatically. Name is primarily intended "
           "for creation idempotence and configuration definition. Cannot be updated. More info: "
           "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
           0},
          {"Service", "string", "", "The reference to the service that hosts this API endpoint.", 0},
          {"Available", "string", "", "Whether this service is available.", 0},
          {"Age", "string", "",
           "CreationTimestamp is a timestamp representing the server time when this object was created. It is not "
           "guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It "
           "is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More "
           "info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
           0}};
}

std::string availableCell(const json::object& obj) {
  const ApiServiceView v = viewOf(obj);
  if (!v.available) return "Unknown";
  if (v.available->status == "True") return "True";
  if (!v.available->reason.empty()) return v.available->status + " (" + v.available->reason + ")";
  return v.available->status;
}

std::vector<json::value> ApiServiceStrategy::tableRow(const json::object& obj, TimePoint now) const {
  std::string service = "Local";
  if (const json::object* svc = objectField(obj, "spec", "service"))
    service = std::string(stringField(*svc, "", "namespace")) + "/" + std::string(stringField(*svc, "", "name"));
  return {json::value(nameOf(obj)), json::value(service), json::value(availableCell(obj)), json::value(ageOf(obj, now))};
}

}  // namespace apiserver::plugins::aggregator
