#include "aggregator/admission.h"

#include "aggregator/apiservice.h"

namespace apiserver::plugins::aggregator {

bool ApiServiceAdmission::concerns(const AdmissionAttributes& a) {
  return a.resource != nullptr && a.resource->group == kGroup && a.resource->plural == "apiservices" &&
         a.subresource.empty() && a.operation != Operation::Delete && a.object != nullptr;
}

Result<void> ApiServiceAdmission::admit(AdmissionAttributes& a) {
  if (!concerns(a)) return {};
  const ApiServiceView v = viewOf(*a.object);
  if (v.caBundleError)
    return ApiError::badRequest("APIService in version \"v1\" cannot be handled as a APIService: " + *v.caBundleError);
  return {};
}

std::set<std::string> ApiServiceAdmission::localGroups() const {
  std::set<std::string> groups = registry_->observedLocalGroups();
  for (const auto& r : client_->resources()) groups.insert(r.group);
  return groups;
}

Result<void> ApiServiceAdmission::validate(const AdmissionAttributes& a) {
  if (!concerns(a)) return {};
  const ApiServiceView v = viewOf(*a.object);
  if (!v.service) return {};
  if (localGroups().count(v.group) == 0) return {};
  const std::string shown = v.group.empty() ? "the core group" : "group \"" + v.group + "\"";
  return ApiError::invalid(
      {kGroup, "APIService"}, v.name,
      {forbiddenField("spec.service", shown + " is served by this server itself; its versions cannot be delegated to "
                                                  "a service")});
}

}  // namespace apiserver::plugins::aggregator
