#pragma once

#include "audit/log_backend.h"
#include "audit/policy.h"

#include <apiserver/chain.h>
#include <apiserver/registry.h>

#include <boost/json/object.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

/// @file auditor.h
/// The audit link (kube's WithAudit) and the Auditor behind it: the policy decides each
/// request's level, and audit.k8s.io/v1 Events go to the log backend at the stages kube writes
/// them — RequestReceived, ResponseStarted (long-running requests only) and ResponseComplete —
/// unless the policy omits them. Metadata-level events never carry a request or response body;
/// Request adds the request body; RequestResponse the response body too.

namespace apiserver::audit {

/// Auditor writes a request's events. Thread-safe.
class Auditor {
 public:
  Auditor(Policy policy, std::unique_ptr<LogBackend> backend, Logger& log);

  const Policy& policy() const { return policy_; }

  /// handle is the audit link: the policy's decision on the authenticated request, the
  /// RequestReceived event, the request, then the response's events. A response still pending or
  /// streaming gets its ResponseComplete event when it ends.
  Response handle(Request& req, Handler& next);

  /// failedAuthentication writes the event of a request that failed authentication (kube's
  /// WithFailedAuthenticationAudit): the policy is asked without a user; the event has stage
  /// ResponseStarted, the response code and "Authentication failed, ...".
  void failedAuthentication(const Request& req, int code);

  /// write sends one event to the backend (errors are logged, at most once a minute).
  void write(const boost::json::object& event);

 private:
  Policy policy_;
  std::unique_ptr<LogBackend> backend_;
  Logger& log_;
  std::atomic<std::int64_t> lastErrorLog_{0};
};

/// auditLink is the "audit" handler-chain link. A null auditor (no policy or no log) passes every
/// request on untouched.
std::shared_ptr<LinkFactory> auditLink(std::shared_ptr<Auditor> auditor);

/// microTime renders a time as kube's metav1.MicroTime: RFC 3339 in UTC with microseconds.
std::string microTime(std::chrono::system_clock::time_point t);

/// sourceIps is kube's utilnet.SourceIPs: X-Forwarded-For's addresses, X-Real-Ip unless already
/// listed, then the connection's peer unless it is the last one listed.
std::vector<std::string> sourceIps(const Request& req);

/// userJson renders a UserInfo as audit's authentication.k8s.io/v1 UserInfo.
boost::json::object userJson(const UserInfo& user);

}  // namespace apiserver::audit
