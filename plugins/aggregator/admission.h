#pragma once

#include "aggregator/registry.h"

#include <apiserver/registry.h>

#include <memory>
#include <set>
#include <string>
#include <string_view>

/// @file admission.h
/// ApiServiceAdmission: what the APIService strategy cannot say in kube's words.
/// - A spec.caBundle that is not base64 is refused before validation as kube's decoder refuses it:
///   400 `APIService in version "v1" cannot be handled as a APIService: illegal base64 data at
///   input byte N`.
/// - An APIService with a service for a group this server serves itself is refused (422,
///   spec.service Forbidden): requests for the group would otherwise be split between this server
///   and the backend. (kube does not check this; its autoregister controller fights such edits.)

namespace apiserver::plugins::aggregator {

class ApiServiceAdmission final : public AdmissionStep {
 public:
  static constexpr std::string_view kName = "aggregator.APIService";

  ApiServiceAdmission(std::shared_ptr<Client> client, std::shared_ptr<ApiServiceRegistry> registry)
      : client_(std::move(client)), registry_(std::move(registry)) {}

  // apiserver::AdmissionStep
  std::string_view name() const override { return kName; }
  Result<void> admit(AdmissionAttributes& a) override;
  Result<void> validate(const AdmissionAttributes& a) override;
  bool mayWait() const override { return false; }  // reads what this server serves only

  /// localGroups are the groups this server serves itself: its stored resources' and those its
  /// discovery has been seen to list.
  std::set<std::string> localGroups() const;

 private:
  static bool concerns(const AdmissionAttributes& a);

  std::shared_ptr<Client> client_;
  std::shared_ptr<ApiServiceRegistry> registry_;
};

}  // namespace apiserver::plugins::aggregator
