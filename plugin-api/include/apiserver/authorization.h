#pragma once

#include <apiserver/request.h>
#include <apiserver/status.h>

#include <string>
#include <string_view>
#include <vector>

/// @file authorization.h
/// Authorizer: decides whether a user may perform an action (kube's authorizer.Authorizer and
/// authorizer.RuleResolver), and the attributes it decides on. The host runs the authorizers that
/// `--authorization-mode` (`authorization.modes`) names, in order: the first Allow or Deny wins,
/// and members of system:masters are always allowed. Plugins offer authorizers with
/// Registrar::addAuthorizer and ask the server's own with Registrar::authorizer().

namespace apiserver {

/// kSystemPrivilegedGroup is the group whose members every request is allowed for (kube's
/// user.SystemPrivilegedGroup).
inline constexpr std::string_view kSystemPrivilegedGroup = "system:masters";

/// AuthorizationAttributes describe one action (kube's authorizer.Attributes). The views must
/// stay valid while authorize() runs.
struct AuthorizationAttributes {
  const UserInfo* user = nullptr;  ///< who asks; null counts as a user without name or groups
  /// verb: get list watch create update patch delete deletecollection for resource requests (or a
  /// special verb: impersonate, bind, escalate, use), the lower-case HTTP method for paths.
  std::string_view verb;
  bool isResourceRequest = false;
  std::string_view path;  ///< the URL path (what non-resource rules match)
  std::string_view namespace_;
  std::string_view apiGroup;    ///< "" for the core group, "*" for all (access reviews)
  std::string_view apiVersion;  ///< "*" when any version is meant
  std::string_view resource;    ///< "pods"
  std::string_view subresource; ///< "log"
  std::string_view name;        ///< object name, if the action names one

  /// fromRequest takes the attributes of an HTTP request: its resolved RequestInfo and user.
  static AuthorizationAttributes fromRequest(const Request& req) {
    AuthorizationAttributes a;
    a.user = &req.user;
    a.verb = req.info.verb;
    a.isResourceRequest = req.info.isResourceRequest;
    a.path = req.path;
    a.namespace_ = req.info.namespace_;
    a.apiGroup = req.info.apiGroup;
    a.apiVersion = req.info.apiVersion;
    a.resource = req.info.resource;
    a.subresource = req.info.subresource;
    a.name = req.info.name;
    return a;
  }
};

/// Decision is an authorizer's answer. NoOpinion passes the question to the next authorizer;
/// a request nobody allows is denied.
enum class Decision { Allow, Deny, NoOpinion };

/// AuthorizationDecision is a decision with its explanation.
struct AuthorizationDecision {
  Decision decision = Decision::NoOpinion;
  std::string reason;  ///< why ("RBAC: allowed by ..."); appended to a 403's message
  std::string error;   ///< an evaluation error (kube's err); a request not allowed with one is a 500
  bool allowed() const { return decision == Decision::Allow; }
};

/// ResourceRule / NonResourceRule are what a subject may do (authorization.k8s.io/v1's
/// ResourceRule and NonResourceRule), for SelfSubjectRulesReview.
struct ResourceRule {
  std::vector<std::string> verbs;
  std::vector<std::string> apiGroups;
  std::vector<std::string> resources;
  std::vector<std::string> resourceNames;
};
struct NonResourceRule {
  std::vector<std::string> verbs;
  std::vector<std::string> nonResourceURLs;
};

/// SubjectRules is everything one authorizer knows a user may do in a namespace (kube's
/// RuleResolver.RulesFor).
struct SubjectRules {
  std::vector<ResourceRule> resourceRules;
  std::vector<NonResourceRule> nonResourceRules;
  bool incomplete = false;  ///< the authorizer cannot list everything it would allow
  std::string error;        ///< an evaluation error; the rules may then be incomplete
};

/// Authorizer decides on actions. Thread-safe; authorize() is on every request's path and must
/// be fast (no I/O, no lock held across anything slow).
class Authorizer {
 public:
  virtual ~Authorizer() = default;
  virtual AuthorizationDecision authorize(const AuthorizationAttributes& attrs) const = 0;
  /// rulesFor lists what `user` may do in namespace `ns` ("" for cluster-wide rules only). The
  /// default says that this authorizer cannot list its rules.
  virtual SubjectRules rulesFor(const UserInfo& user, std::string_view ns) const {
    (void)user;
    (void)ns;
    SubjectRules r;
    r.incomplete = true;
    return r;
  }
};

/// forbidden is the 403 kube's authorization filter answers for `attrs` (responsewriters.Forbidden):
/// `pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace
/// "default"`, followed by ": <reason>" when there is one.
inline ApiError forbidden(const AuthorizationAttributes& attrs, std::string_view reason) {
  // kube's sanitizer escapes these three characters of the message.
  auto sanitize = [](std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
      if (c == '&') out += "&amp;";
      else if (c == '<') out += "&lt;";
      else if (c == '>') out += "&gt;";
      else out += c;
    }
    return out;
  };
  auto quote = [](std::string_view s) {  // Go's %q for the printable strings kube quotes here
    std::string out = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    return out + "\"";
  };
  const std::string user = attrs.user != nullptr ? attrs.user->name : std::string();
  std::string msg;
  if (!attrs.isResourceRequest) {
    msg = "User " + quote(user) + " cannot " + std::string(attrs.verb) + " path " + quote(attrs.path);
  } else {
    std::string resource(attrs.resource);
    if (!attrs.subresource.empty()) resource += "/" + std::string(attrs.subresource);
    msg = "User " + quote(user) + " cannot " + std::string(attrs.verb) + " resource " + quote(resource) +
          " in API group " + quote(attrs.apiGroup) +
          (attrs.namespace_.empty() ? std::string(" at the cluster scope")
                                    : " in the namespace " + quote(attrs.namespace_));
  }
  msg = sanitize(msg);
  if (!reason.empty()) msg += ": " + std::string(reason);
  const GroupResource gr{std::string(attrs.apiGroup), std::string(attrs.resource)};
  if (gr.group.empty() && gr.resource.empty()) {
    ApiError e{403, "Forbidden", "forbidden: " + msg, ApiError::Details{}};
    return e;
  }
  return ApiError::forbidden(gr, attrs.name, msg);
}

}  // namespace apiserver
