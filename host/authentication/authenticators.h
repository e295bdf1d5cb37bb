#pragma once

#include "authentication/token_file.h"

#include <apiserver/authorization.h>
#include <apiserver/chain.h>
#include <apiserver/registry.h>
#include <apiserver/request.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace apiserver::audit {
class Auditor;
}

/// @file authenticators.h
/// Authentication (kube's k8s.io/apiserver/pkg/authentication): the request-header, x509 client
/// certificate and static token authenticators, the "authentication" link that asks them in
/// kube's order, and the "impersonation" link.

namespace apiserver::authentication {

/// The names of the host's client CA bundles (PeerCertificate::verifiedBy).
inline constexpr std::string_view kClientCaBundle = "client-ca";
inline constexpr std::string_view kRequestHeaderCaBundle = "requestheader-client-ca";

/// Well-known users and groups (kube's k8s.io/apiserver/pkg/authentication/user).
inline constexpr std::string_view kAnonymousUser = "system:anonymous";
inline constexpr std::string_view kUnsecuredUser = "system:unsecured";
inline constexpr std::string_view kAllAuthenticated = "system:authenticated";
inline constexpr std::string_view kAllUnauthenticated = "system:unauthenticated";

/// AuthResult is one authenticator's answer (kube's (response, ok, err)).
struct AuthResult {
  enum class Outcome { NoOpinion, Authenticated, Failed };
  Outcome outcome = Outcome::NoOpinion;
  UserInfo user;      ///< when Authenticated
  std::string error;  ///< when Failed: why (for the log, never the client)

  static AuthResult noOpinion() { return {}; }
  static AuthResult authenticated(UserInfo u) { return {Outcome::Authenticated, std::move(u), {}}; }
  static AuthResult failed(std::string why) { return {Outcome::Failed, {}, std::move(why)}; }
};

/// Authenticator finds who a request comes from. Thread-safe.
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  virtual std::string_view name() const = 0;
  virtual AuthResult authenticate(const Request& req) const = 0;
};

/// RequestHeaderOptions configure the request-header authenticator.
struct RequestHeaderOptions {
  std::vector<std::string> allowedNames;  ///< CNs the proxy's certificate may have; empty: any
  std::vector<std::string> usernameHeaders;
  std::vector<std::string> groupHeaders;
  std::vector<std::string> extraHeadersPrefix;
};

/// requestHeader believes the user named in headers when the client certificate verified against
/// the request-header CA bundle (and its CN is allowed): the first non-empty username header, every
/// value of the group headers, and extra values from the prefixed headers (the rest of the name,
/// lower-cased and %-unescaped, is the key). No certificate or no username: no opinion.
std::unique_ptr<Authenticator> requestHeader(RequestHeaderOptions options);

/// x509 authenticates a client certificate that verified against the client CA bundle: the CN is
/// the user, each O a group. A certificate that did not verify fails; one without CN has no
/// opinion.
std::unique_ptr<Authenticator> x509();

/// bearerToken authenticates `Authorization: Bearer <token>` against the token file; an unknown
/// token fails ("invalid bearer token").
std::unique_ptr<Authenticator> bearerToken(std::shared_ptr<const TokenFile> tokens);

/// AuthenticationOptions configure the authentication link.
struct AuthenticationOptions {
  std::vector<std::shared_ptr<const Authenticator>> authenticators;  ///< asked in order
  bool anonymous = true;  ///< a request no authenticator has an opinion on is system:anonymous
};

/// authenticationLink is the "authentication" link (kube's WithAuthentication): the insecure
/// port's requests are system:unsecured (in system:masters); otherwise the first authenticator
/// that authenticates wins, every authenticated user joins system:authenticated, a request none
/// has an opinion on is anonymous (if allowed), and anything else is 401 Unauthorized (audited
/// as a failed authentication when `auditor` is set).
std::shared_ptr<LinkFactory> authenticationLink(AuthenticationOptions options,
                                                std::shared_ptr<audit::Auditor> auditor, Logger& log);

/// authenticate runs the authenticators as the link does (for tests): the user, or why not.
Result<UserInfo> authenticate(const AuthenticationOptions& options, const Request& req, std::string* why);

/// unescapeExtraKey decodes a %-escaped extra key of a header name (kube's url.PathUnescape),
/// leaving a malformed one as it is.
std::string unescapeExtraKey(std::string_view key);

/// impersonationLink is the "impersonation" link (kube's WithImpersonation): Impersonate-User,
/// Impersonate-Group, Impersonate-Uid and Impersonate-Extra-<key> make the request act as another
/// user, once `authorizer` allows the requester the verb impersonate on each (users, groups,
/// serviceaccounts, uids, userextras/<key>); otherwise 403 in kube's words.
std::shared_ptr<LinkFactory> impersonationLink(std::shared_ptr<const Authorizer> authorizer, Logger& log);

}  // namespace apiserver::authentication
