#include "core/resources/pod_validation.h"

#include "core/util/json.h"
#include "core/util/quantity.h"
#include "core/util/validation.h"

#include <apiserver/object.h>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace apiserver::plugins::core {

namespace {

constexpr std::int64_t kMaxInt32 = 2147483647;

const std::vector<std::string> kRestartPolicies = {"Always", "OnFailure", "Never"};
const std::vector<std::string> kDnsPolicies = {"ClusterFirstWithHostNet", "ClusterFirst", "Default",
                                               "None"};
const std::vector<std::string> kPullPolicies = {"Always", "IfNotPresent", "Never"};
/// kInitRestartPolicies: an init container may only be a sidecar ("Always").
const std::vector<std::string> kInitRestartPolicies = {"Always"};
const std::vector<std::string> kTerminationMessagePolicies = {"File", "FallbackToLogsOnError"};
const std::vector<std::string> kTaintEffects = {"NoSchedule", "PreferNoSchedule", "NoExecute"};
const std::vector<std::string> kTolerationOperators = {"Exists", "Equal"};

bool contains(const std::vector<std::string>& list, std::string_view v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

/// checkEnum reports Required for an empty value and NotSupported for one outside `allowed`.
/// The field's path (`parent`.`key`) is built only for an error.
void checkEnum(const json::object& o, std::string_view key, std::string_view parent,
               const std::vector<std::string>& allowed, bool required, FieldErrors& out) {
  const json::value* v = member(o, key);
  std::string_view s = stringOf(v);
  if (s.empty()) {
    if (v != nullptr && !v->is_null() && !v->is_string()) {
      out.push_back(notSupportedField(childPath(parent, key), *v, allowed));
    } else if (required) {
      out.push_back(requiredField(childPath(parent, key)));
    }
    return;
  }
  if (!contains(allowed, s))
    out.push_back(notSupportedField(childPath(parent, key), json::value(s), allowed));
}

bool isStandardContainerResource(std::string_view name) {
  return name == "cpu" || name == "memory" || name == "ephemeral-storage" ||
         name.substr(0, 10) == "hugepages-";
}

/// isNativeResource: an unprefixed name or one in the kubernetes.io domain.
bool isNativeResource(std::string_view name) {
  return name.find('/') == std::string_view::npos ||
         name.find("kubernetes.io/") != std::string_view::npos;
}

/// overcommitAllowed: native resources other than hugepages may request less than their limit.
bool overcommitAllowed(std::string_view name) {
  return isNativeResource(name) && name.substr(0, 10) != "hugepages-";
}

void validateResourceName(std::string_view name, const std::string& path, FieldErrors& out) {
  std::size_t before = out.size();
  validateQualifiedName(name, path, out);
  if (out.size() != before)
    return;
  if (name.find('/') == std::string_view::npos) {
    if (!isStandardContainerResource(name))
      out.push_back(
          invalidField(path, json::value(name), "must be a standard resource for containers"));
  } else if (!isNativeResource(name) && name.substr(0, 9) == "requests.") {
    out.push_back(
        invalidField(path, json::value(name), "doesn't follow extended resource name standard"));
  }
}

void validateResources(const json::object& container, const std::string& path, FieldErrors& out) {
  const json::object* resources = objectField(container, "resources");
  if (resources == nullptr)
    return;
  const json::object* limits = objectField(*resources, "limits");
  const json::object* requests = objectField(*resources, "requests");
  if (limits == nullptr && requests == nullptr)
    return;  // nothing to check (and no paths to build)
  const std::string limPath = childPath(path, "resources.limits");
  const std::string reqPath = childPath(path, "resources.requests");
  auto checkList = [&out](const json::object* list, const std::string& listPath) {
    if (list == nullptr)
      return;
    for (const auto& kv : *list) {
      std::string p = keyPath(listPath, kv.key());
      validateResourceName(kv.key(), p, out);
      auto q = quantityOf(kv.value());
      if (!q) {
        out.push_back(invalidField(p, kv.value(), kQuantityFormatError));
      } else if (q->isNegative()) {
        out.push_back(invalidField(p, json::value(quantityText(kv.value())),
                                   "must be greater than or equal to 0"));
      }
    }
  };
  checkList(limits, limPath);
  checkList(requests, reqPath);
  if (requests == nullptr)
    return;
  for (const auto& kv : *requests) {
    auto req = quantityOf(kv.value());
    const json::value* limV = limits != nullptr ? member(*limits, kv.key()) : nullptr;
    if (!req)
      continue;
    if (limV == nullptr) {
      if (!overcommitAllowed(kv.key()))
        out.push_back(requiredField(limPath, "Limit must be set for non overcommitable resources"));
      continue;
    }
    auto lim = quantityOf(*limV);
    if (!lim)
      continue;
    std::string reqText = quantityText(kv.value());
    std::string msgTail = std::string(kv.key()) + " limit of " + quantityText(*limV);
    if (*req != *lim && !overcommitAllowed(kv.key())) {
      out.push_back(invalidField(reqPath, json::value(reqText), "must be equal to " + msgTail));
    } else if (*req > *lim) {
      out.push_back(
          invalidField(reqPath, json::value(reqText), "must be less than or equal to " + msgTail));
    }
  }
}

void validateContainerPorts(const json::object& container, const std::string& path,
                            bool hostNetwork, FieldErrors& out) {
  const json::array* ports = arrayField(container, "ports");
  if (ports == nullptr)
    return;
  std::set<std::string, std::less<>> names;
  const std::string portsPath = childPath(path, "ports");
  for (std::size_t i = 0; i < ports->size(); ++i) {
    const std::string p = indexPath(portsPath, i);
    const json::object* port = objectOf(&(*ports)[i]);
    if (port == nullptr) {
      out.push_back(invalidField(p, (*ports)[i], "must be an object"));
      continue;
    }
    std::string_view name = stringOf(member(*port, "name"));
    if (!name.empty()) {
      auto msgs = isValidPortName(name);
      if (!msgs.empty()) {
        for (auto& m : msgs)
          out.push_back(invalidField(childPath(p, "name"), json::value(name), m));
      } else if (names.count(name) != 0) {
        out.push_back(duplicateField(childPath(p, "name"), json::value(name)));
      } else {
        names.emplace(name);
      }
    }
    auto containerPort = int64Of(member(*port, "containerPort"));
    if (!containerPort || *containerPort == 0) {
      out.push_back(requiredField(childPath(p, "containerPort")));
    } else {
      for (auto& m : isValidPortNum(*containerPort))
        out.push_back(invalidField(childPath(p, "containerPort"), json::value(*containerPort), m));
    }
    auto hostPort = int64Of(member(*port, "hostPort"));
    if (hostPort && *hostPort != 0) {
      for (auto& m : isValidPortNum(*hostPort))
        out.push_back(invalidField(childPath(p, "hostPort"), json::value(*hostPort), m));
    }
    if (hostNetwork && containerPort && hostPort && *hostPort != *containerPort)
      out.push_back(invalidField(childPath(p, "hostPort"), json::value(*hostPort),
                                 "must match `containerPort` when `hostNetwork` is true"));
    validateProtocol(member(*port, "protocol"), p, "protocol", out);
  }
}

void validateVolumeMounts(const json::object& container, const std::string& path,
                          const std::set<std::string, std::less<>>& volumes, FieldErrors& out) {
  const json::array* mounts = arrayField(container, "volumeMounts");
  if (mounts == nullptr)
    return;
  std::set<std::string, std::less<>> mountPaths;
  for (std::size_t i = 0; i < mounts->size(); ++i) {
    const std::string p = indexPath(childPath(path, "volumeMounts"), i);
    const json::object* m = objectOf(&(*mounts)[i]);
    if (m == nullptr)
      continue;
    std::string_view name = stringOf(member(*m, "name"));
    if (name.empty()) {
      out.push_back(requiredField(childPath(p, "name")));
    } else if (volumes.count(name) == 0) {
      out.push_back({FieldError::Type::NotFound, childPath(p, "name"), json::value(name), {}});
    }
    std::string_view mountPath = stringOf(member(*m, "mountPath"));
    if (mountPath.empty()) {
      out.push_back(requiredField(childPath(p, "mountPath")));
    } else if (mountPaths.count(mountPath) != 0) {
      out.push_back(
          invalidField(childPath(p, "mountPath"), json::value(mountPath), "must be unique"));
    } else {
      mountPaths.emplace(mountPath);
    }
  }
}

void validateEnv(const json::object& container, const std::string& path, FieldErrors& out) {
  const json::array* env = arrayField(container, "env");
  if (env == nullptr)
    return;
  for (std::size_t i = 0; i < env->size(); ++i) {
    const json::object* e = objectOf(&(*env)[i]);
    if (e == nullptr)
      continue;
    std::string_view name = stringOf(member(*e, "name"));
    const std::string p = childPath(indexPath(childPath(path, "env"), i), "name");
    if (name.empty()) {
      out.push_back(requiredField(p));
    } else if (name.find('=') != std::string_view::npos ||
               std::any_of(name.begin(), name.end(), [](char c) { return c < ' ' || c > '~'; })) {
      out.push_back(invalidField(p, json::value(name),
                                 "a valid environment variable name must consist only of "
                                 "printable ASCII characters other than '='"));
    }
  }
}

/// validateContainers checks containers or initContainers; `names` collects the names seen so
/// far so that duplicates across both lists are found.
void validateContainers(const json::object& spec, std::string_view list, bool init,
                        const std::set<std::string, std::less<>>& volumes,
                        std::set<std::string, std::less<>>& names, FieldErrors& out) {
  const std::string listPath = childPath("spec", list);
  const json::value* v = member(spec, list);
  const json::array* containers = arrayOf(v);
  if (containers == nullptr || containers->empty()) {
    if (!init) {
      if (v != nullptr && !v->is_null() && !v->is_array()) {
        out.push_back(invalidField(listPath, *v, "must be a list of containers"));
      } else {
        out.push_back(requiredField(listPath));
      }
    }
    return;
  }
  const bool hostNetwork = boolOf(member(spec, "hostNetwork"));
  for (std::size_t i = 0; i < containers->size(); ++i) {
    const std::string p = indexPath(listPath, i);
    const json::object* c = objectOf(&(*containers)[i]);
    if (c == nullptr) {
      out.push_back(invalidField(p, (*containers)[i], "must be an object"));
      continue;
    }
    std::string_view name = stringOf(member(*c, "name"));
    if (name.empty()) {
      out.push_back(requiredField(childPath(p, "name")));
    } else {
      validateDns1123Label(name, p, "name", out);
      if (names.count(name) != 0) {
        out.push_back(duplicateField(childPath(p, "name"), json::value(name)));
      } else {
        names.emplace(name);
      }
    }
    std::string_view image = stringOf(member(*c, "image"));
    if (image.empty()) {
      out.push_back(requiredField(childPath(p, "image")));
    } else if (image.front() == ' ' || image.back() == ' ' || image.front() == '\t' ||
               image.back() == '\t' || image.front() == '\n' || image.back() == '\n') {
      out.push_back(invalidField(childPath(p, "image"), json::value(image),
                                 "must not have leading or trailing whitespace"));
    }
    checkEnum(*c, "imagePullPolicy", p, kPullPolicies, true, out);
    checkEnum(*c, "terminationMessagePolicy", p, kTerminationMessagePolicies, true, out);
    if (init) {
      checkEnum(*c, "restartPolicy", p, kInitRestartPolicies, false, out);
    } else if (isSet(*c, "restartPolicy")) {
      out.push_back(
          forbiddenField(childPath(p, "restartPolicy"), "may not be set for non-init containers"));
    }
    validateContainerPorts(*c, p, hostNetwork, out);
    validateVolumeMounts(*c, p, volumes, out);
    validateEnv(*c, p, out);
    validateResources(*c, p, out);
  }
}

std::set<std::string, std::less<>> validateVolumes(const json::object& spec, FieldErrors& out) {
  std::set<std::string, std::less<>> names;
  const json::array* volumes = arrayField(spec, "volumes");
  if (volumes == nullptr)
    return names;
  for (std::size_t i = 0; i < volumes->size(); ++i) {
    const std::string p = indexPath("spec.volumes", i);
    const json::object* v = objectOf(&(*volumes)[i]);
    if (v == nullptr)
      continue;
    std::string_view name = stringOf(member(*v, "name"));
    if (name.empty()) {
      out.push_back(requiredField(childPath(p, "name")));
      continue;
    }
    validateDns1123Label(name, p, "name", out);
    if (names.count(name) != 0) {
      out.push_back(duplicateField(childPath(p, "name"), json::value(name)));
    } else {
      names.emplace(name);
    }
  }
  return names;
}

void validateTolerations(const json::array* tolerations, FieldErrors& out) {
  if (tolerations == nullptr)
    return;
  for (std::size_t i = 0; i < tolerations->size(); ++i) {
    const std::string p = indexPath("spec.tolerations", i);
    const json::object* t = objectOf(&(*tolerations)[i]);
    if (t == nullptr)
      continue;
    std::string_view key = stringOf(member(*t, "key"));
    std::string_view op = stringOf(member(*t, "operator"));
    if (!key.empty())
      validateQualifiedName(key, childPath(p, "key"), out);
    if (key.empty() && op != "Exists")
      out.push_back(invalidField(childPath(p, "operator"), json::value(op),
                                 "operator must be Exists when `key` is empty, which means "
                                 "\"match all values and all keys\""));
    if (isSet(*t, "tolerationSeconds") && stringOf(member(*t, "effect")) != "NoExecute")
      out.push_back(invalidField(childPath(p, "effect"),
                                 json::value(stringOf(member(*t, "effect"))),
                                 "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    if (op.empty() || op == "Equal") {
      validation::addInvalid(out, childPath(p, "value"), stringOf(member(*t, "value")),
                             validation::isValidLabelValue(stringOf(member(*t, "value"))));
    } else if (op == "Exists") {
      if (!stringOf(member(*t, "value")).empty())
        out.push_back(invalidField(childPath(p, "operator"), *member(*t, "value"),
                                   "value must be empty when `operator` is 'Exists'"));
    } else {
      out.push_back(
          notSupportedField(childPath(p, "operator"), json::value(op), kTolerationOperators));
    }
    checkEnum(*t, "effect", p, kTaintEffects, false, out);
  }
}

/// specDiff renders the top-level spec fields that differ, in the spirit of the cmp.Diff text
/// kube appends to its "pod updates may not change fields" message.
std::string specDiff(const json::object& oldSpec, const json::object& newSpec) {
  std::set<std::string> keys;
  for (const auto& kv : oldSpec)
    keys.emplace(kv.key());
  for (const auto& kv : newSpec)
    keys.emplace(kv.key());
  static const json::value kNull;
  std::string diff = "  core.PodSpec{\n";
  for (const auto& k : keys) {
    const json::value* o = member(oldSpec, k);
    const json::value* n = member(newSpec, k);
    if (semanticEqual(o != nullptr ? *o : kNull, n != nullptr ? *n : kNull))
      continue;
    if (o != nullptr && !isEmptyValue(o))
      diff += "- \t" + k + ": " + json::serialize(*o) + ",\n";
    if (n != nullptr && !isEmptyValue(n))
      diff += "+ \t" + k + ": " + json::serialize(*n) + ",\n";
  }
  diff += "  }\n";
  return diff;
}

/// tolerationEqualIgnoringSeconds compares two tolerations except tolerationSeconds.
bool tolerationEqualIgnoringSeconds(const json::value& a, const json::value& b) {
  const json::object* ao = objectOf(&a);
  const json::object* bo = objectOf(&b);
  if (ao == nullptr || bo == nullptr)
    return semanticEqual(a, b);
  json::object ac = *ao;
  json::object bc = *bo;
  ac.erase("tolerationSeconds");
  bc.erase("tolerationSeconds");
  return semanticEqual(json::value(std::move(ac)), json::value(std::move(bc)));
}

}  // namespace

FieldErrors validatePod(const json::object& pod) {
  FieldErrors errs;
  static const json::object kEmpty;
  const json::object* specPtr = objectField(pod, "spec");
  const json::object& spec = specPtr != nullptr ? *specPtr : kEmpty;

  auto volumes = validateVolumes(spec, errs);
  std::set<std::string, std::less<>> names;
  validateContainers(spec, "containers", false, volumes, names, errs);
  validateContainers(spec, "initContainers", true, volumes, names, errs);

  checkEnum(spec, "restartPolicy", "spec", kRestartPolicies, true, errs);
  checkEnum(spec, "dnsPolicy", "spec", kDnsPolicies, true, errs);
  if (const json::value* ads = member(spec, "activeDeadlineSeconds");
      ads != nullptr && !ads->is_null()) {
    auto v = int64Of(ads);
    if (!v || *v < 1 || *v > kMaxInt32)
      errs.push_back(
          invalidField("spec.activeDeadlineSeconds", *ads, inclusiveRangeError(1, kMaxInt32)));
  }
  if (std::string_view node = stringOf(member(spec, "nodeName")); !node.empty())
    validateDns1123Subdomain(node, "spec.nodeName", errs);
  if (std::string_view sa = stringOf(member(spec, "serviceAccountName")); !sa.empty())
    validateDns1123Subdomain(sa, "spec.serviceAccountName", errs);
  validateTolerations(arrayField(spec, "tolerations"), errs);
  return errs;
}

FieldErrors validatePodUpdate(const json::object& pod, const json::object& old) {
  FieldErrors errs = validatePod(pod);
  static const json::object kEmpty;
  const json::object* newSpecPtr = objectField(pod, "spec");
  const json::object* oldSpecPtr = objectField(old, "spec");
  const json::object& newSpec = newSpecPtr != nullptr ? *newSpecPtr : kEmpty;
  const json::object& oldSpec = oldSpecPtr != nullptr ? *oldSpecPtr : kEmpty;

  // Containers may not be added or removed; past that, only their images may change.
  json::object munged = newSpec;
  for (const char* list : {"containers", "initContainers"}) {
    const json::array* n = arrayField(newSpec, list);
    const json::array* o = arrayField(oldSpec, list);
    std::size_t nSize = n != nullptr ? n->size() : 0;
    std::size_t oSize = o != nullptr ? o->size() : 0;
    if (nSize != oSize) {
      errs.push_back(
          forbiddenField(childPath("spec", list), "pod updates may not add or remove containers"));
      return errs;
    }
    json::array* m = mutableArray(munged, list);
    if (m == nullptr || o == nullptr)
      continue;
    for (std::size_t i = 0; i < m->size(); ++i) {
      if (!(*m)[i].is_object())
        continue;
      const json::object* oc = objectOf(&(*o)[i]);
      const json::value* oldImage = oc != nullptr ? member(*oc, "image") : nullptr;
      if (oldImage != nullptr) {
        (*m)[i].get_object()["image"] = *oldImage;
      } else {
        (*m)[i].get_object().erase("image");
      }
    }
  }

  // activeDeadlineSeconds may be set, or lowered, but not raised or removed.
  const json::value* newAds = member(newSpec, "activeDeadlineSeconds");
  const json::value* oldAds = member(oldSpec, "activeDeadlineSeconds");
  const bool newSet = newAds != nullptr && !newAds->is_null();
  const bool oldSet = oldAds != nullptr && !oldAds->is_null();
  if (newSet) {
    auto nv = int64Of(newAds);
    if (!nv || *nv < 0 || *nv > kMaxInt32) {
      errs.push_back(
          invalidField("spec.activeDeadlineSeconds", *newAds, inclusiveRangeError(0, kMaxInt32)));
      return errs;
    }
    if (oldSet && int64Of(oldAds).value_or(0) < *nv) {
      errs.push_back(invalidField("spec.activeDeadlineSeconds", *newAds,
                                  "must be less than or equal to previous value"));
      return errs;
    }
  } else if (oldSet) {
    errs.push_back(invalidField("spec.activeDeadlineSeconds", json::value("null"),
                                "must not update from a positive integer to nil value"));
  }
  if (oldSet) {
    munged["activeDeadlineSeconds"] = *oldAds;
  } else {
    munged.erase("activeDeadlineSeconds");
  }

  // Tolerations may only be added (an existing one may change its tolerationSeconds).
  const json::array* oldTolerations = arrayField(oldSpec, "tolerations");
  const json::array* newTolerations = arrayField(newSpec, "tolerations");
  if (oldTolerations != nullptr) {
    for (const auto& ot : *oldTolerations) {
      bool found = false;
      if (newTolerations != nullptr)
        for (const auto& nt : *newTolerations)
          found = found || tolerationEqualIgnoringSeconds(ot, nt);
      if (!found) {
        errs.push_back(forbiddenField("spec.tolerations",
                                      "existing toleration can not be modified except its "
                                      "tolerationSeconds"));
        break;
      }
    }
  }
  for (const char* key : {"tolerations", "schedulingGates"}) {
    if (const json::value* o = member(oldSpec, key)) {
      munged[key] = *o;
    } else {
      munged.erase(key);
    }
  }

  // terminationGracePeriodSeconds may go from a negative value to 1.
  auto oldGrace = int64Of(member(oldSpec, "terminationGracePeriodSeconds"));
  auto newGrace = int64Of(member(newSpec, "terminationGracePeriodSeconds"));
  if (oldGrace && *oldGrace < 0 && newGrace && *newGrace == 1)
    munged["terminationGracePeriodSeconds"] = *oldGrace;

  if (!semanticEqual(json::value(munged), json::value(oldSpec))) {
    errs.push_back(forbiddenField(
        "spec",
        "pod updates may not change fields other than `spec.containers[*].image`,"
        "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
        "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be "
        "set to 1 if it was previously negative)\n" +
            specDiff(oldSpec, munged)));
  }
  return errs;
}

FieldErrors validatePodStatusUpdate(const json::object& pod, const json::object& old) {
  (void)old;
  FieldErrors errs;
  std::string_view phase = stringField(pod, "", "status", "phase");
  static const std::vector<std::string> kPhases = {"Pending", "Running", "Succeeded", "Failed",
                                                   "Unknown"};
  if (!phase.empty() && !contains(kPhases, phase))
    errs.push_back(notSupportedField("status.phase", json::value(phase), kPhases));
  if (std::string_view ip = stringField(pod, "", "status", "podIP"); !ip.empty())
    validateIp(ip, "status.podIP", errs);
  if (const json::array* ips = arrayField(pod, "status", "podIPs")) {
    std::set<std::string, std::less<>> seen;
    for (std::size_t i = 0; i < ips->size(); ++i) {
      const json::object* o = objectOf(&(*ips)[i]);
      std::string_view ip = o != nullptr ? stringOf(member(*o, "ip")) : std::string_view{};
      const std::string p = indexPath("status.podIPs", i);
      validateIp(ip, p, errs);
      if (seen.count(ip) != 0)
        errs.push_back(duplicateField(p, json::value(ip)));
      seen.emplace(ip);
    }
  }
  if (std::string_view nn = stringField(pod, "", "status", "nominatedNodeName"); !nn.empty())
    validateDns1123Subdomain(nn, "status.nominatedNodeName", errs);
  return errs;
}

}  // namespace apiserver::plugins::core
