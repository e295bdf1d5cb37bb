#pragma once

#include <apiserver/object.h>
#include <apiserver/schema.h>
#include <apiserver/strategy.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// @file apiservice.h
/// APIService (apiregistration.k8s.io/v1): its ResourceSpec and schema, its strategy (kube's
/// apiregistration validation, defaulting and Table columns), and a typed view of the object for
/// the proxy and the availability controller.

namespace apiserver::plugins::aggregator {

inline constexpr const char* kGroup = "apiregistration.k8s.io";
inline constexpr const char* kVersion = "v1";
/// kAutomanagedLabel marks the APIServices this server creates for its own groups (kube's
/// autoregister label; "onstart": created at start, then left alone).
inline constexpr const char* kAutomanagedLabel = "kube-aggregator.kubernetes.io/automanaged";

/// apiServicesResource is apiservices.apiregistration.k8s.io.
GroupResource apiServicesResource();

/// apiServiceResourceSpec describes the apiservices resource (cluster-scoped, status
/// subresource), schema included.
ResourceSpec apiServiceResourceSpec();

/// ServiceReference is spec.service.
struct ServiceReference {
  std::string namespace_;
  std::string name;
  std::int64_t port = 443;
};

/// ApiServiceCondition is one status condition.
struct ApiServiceCondition {
  std::string type;
  std::string status;  ///< True, False or Unknown
  std::string reason;
  std::string message;
  std::string lastTransitionTime;
};

/// ApiServiceView is the typed view of an APIService object.
struct ApiServiceView {
  std::string name;
  std::string group;
  std::string version;
  std::int64_t groupPriorityMinimum = 0;
  std::int64_t versionPriority = 0;
  std::optional<ServiceReference> service;  ///< none: a Local APIService
  bool insecureSkipTlsVerify = false;
  std::string caBundle;             ///< decoded (PEM)
  std::optional<std::string> caBundleError;  ///< the base64 was malformed
  std::optional<ApiServiceCondition> available;  ///< the Available condition, if any
};

/// viewOf reads an APIService object (tolerating missing or wrongly typed fields).
ApiServiceView viewOf(const json::object& obj);

/// groupVersionKey is "group/version" ("/v1" for the core group).
inline std::string groupVersionKey(std::string_view group, std::string_view version) {
  return std::string(group) + "/" + std::string(version);
}

/// compareKubeVersions orders version strings as kube's version.CompareKubeAwareVersionStrings:
/// GA above beta above alpha, higher numbers first, then anything else alphabetically. Returns
/// > 0 when `a` sorts before `b` (is "greater").
int compareKubeVersions(std::string_view a, std::string_view b);

/// Priority is an APIService's groupPriorityMinimum and versionPriority.
struct Priority {
  std::int64_t group = 1000;
  std::int64_t version = 100;
};

/// localPriority is the priority kube-apiserver gives the APIService of one of its own group
/// versions (kube's apiVersionPriorities); group versions kube does not know get 1000/100, as
/// kube's CRD registration gives custom groups.
Priority localPriority(std::string_view group, std::string_view version);

/// ApiServiceStrategy holds kube's apiregistration rules: spec.service.port defaults to 443,
/// status is cleared on create, ValidateAPIService / ValidateAPIServiceStatus, and the Table
/// columns Name, Service, Available, Age.
class ApiServiceStrategy final : public Strategy {
 public:
  void prepareForCreate(json::object& obj) const override;
  void prepareForUpdate(json::object& obj, const json::object& old) const override;
  FieldErrors validate(const json::object& obj) const override;
  FieldErrors validateStatusUpdate(const json::object& obj, const json::object& old) const override;
  std::vector<TableColumn> tableColumns() const override;
  std::vector<json::value> tableRow(const json::object& obj, TimePoint now) const override;
};

/// availableCell renders the Available column as kube does: "True", "False (Reason)",
/// "Unknown".
std::string availableCell(const json::object& obj);

}  // namespace apiserver::plugins::aggregator
