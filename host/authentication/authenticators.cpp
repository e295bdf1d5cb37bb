#include "authentication/authenticators.h"

#include "audit/auditor.h"
#include "server/http_text.h"

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <cctype>

namespace apiserver::authentication {

namespace {

using boost::beast::iequals;  // ASCII, inline (the C locale's tolower, without a call per byte)

bool istartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

/// unescapeExtraKey is kube's: %-decoding (url.PathUnescape), the key as it is when malformed.
std::string unescapeExtraKey(std::string_view key) {
  std::string out;
  for (std::size_t i = 0; i < key.size(); ++i) {
    if (key[i] != '%') {
      out.push_back(key[i]);
      continue;
    }
    if (i + 2 >= key.size() || hexValue(key[i + 1]) < 0 || hexValue(key[i + 2]) < 0) return std::string(key);
    out.push_back(static_cast<char>(hexValue(key[i + 1]) * 16 + hexValue(key[i + 2])));
    i += 2;
  }
  return out;
}

namespace {

// ---- request header

class RequestHeader final : public Authenticator {
 public:
  explicit RequestHeader(RequestHeaderOptions o) : o_(std::move(o)) {}
  std::string_view name() const override { return "requestheader"; }

  AuthResult authenticate(const Request& req) const override {
    const PeerCertificate* cert = req.connection ? req.connection->peerCertificate.get() : nullptr;
    if (cert == nullptr) return AuthResult::noOpinion();
    if (!cert->trustedBy(kRequestHeaderCaBundle)) {
      auto it = cert->verifyErrors.find(std::string(kRequestHeaderCaBundle));
      return AuthResult::failed(it != cert->verifyErrors.end() ? it->second : "x509: certificate signed by unknown authority");
    }
    if (!o_.allowedNames.empty() &&
        std::find(o_.allowedNames.begin(), o_.allowedNames.end(), cert->commonName) == o_.allowedNames.end())
      return AuthResult::failed("x509: subject with cn=" + cert->commonName + " is not in the allowed list");
    UserInfo u;
    for (const auto& h : o_.usernameHeaders) {
      if (auto v = req.header(h); v && !v->empty()) {
        u.name = std::string(*v);
        break;
      }
    }
    if (u.name.empty()) return AuthResult::noOpinion();
    if (req.headers != nullptr) {
      for (const auto& h : o_.groupHeaders)
        req.headers->forEach([&](std::string_view name, std::string_view value) {
          if (iequals(name, h) && !value.empty()) u.groups.emplace_back(value);
        });
      for (const auto& prefix : o_.extraHeadersPrefix)
        req.headers->forEach([&](std::string_view name, std::string_view value) {
          if (!istartsWith(name, prefix)) return;
          u.extra[unescapeExtraKey(lower(name.substr(prefix.size())))].emplace_back(value);
        });
    }
    return AuthResult::authenticated(std::move(u));
  }

 private:
  RequestHeaderOptions o_;
};

// ---- x509 client certificates

class X509 final : public Authenticator {
 public:
  std::string_view name() const override { return "x509"; }
  AuthResult authenticate(const Request& req) const override {
    const PeerCertificate* cert = req.connection ? req.connection->peerCertificate.get() : nullptr;
    if (cert == nullptr) return AuthResult::noOpinion();
    if (!cert->trustedBy(kClientCaBundle)) {
      auto it = cert->verifyErrors.find(std::string(kClientCaBundle));
      return AuthResult::failed("verifying certificate " + describe(*cert) + " failed: " +
                                (it != cert->verifyErrors.end() ? it->second : "no client CA is configured"));
    }
    if (cert->commonName.empty()) return AuthResult::noOpinion();
    UserInfo u;
    u.name = cert->commonName;
    u.groups = cert->organizations;
    return AuthResult::authenticated(std::move(u));
  }

 private:
  static std::string describe(const PeerCertificate& c) {
    std::string s = "CN=" + c.commonName;
    for (const auto& o : c.organizations) s += ",O=" + o;
    return s;
  }
};

// ---- bearer tokens

class BearerToken final : public Authenticator {
 public:
  explicit BearerToken(std::shared_ptr<const TokenFile> tokens) : tokens_(std::move(tokens)) {}
  std::string_view name() const override { return "bearertoken"; }
  AuthResult authenticate(const Request& req) const override {
    auto auth = req.header("Authorization");
    if (!auth) return AuthResult::noOpinion();
    const std::string_view a = server::trimOws(*auth);
    // kube: strings.SplitN(auth, " ", 3): the scheme, the token, and anything after is ignored.
    const auto space = a.find(' ');
    if (space == std::string_view::npos || !iequals(a.substr(0, space), "bearer")) return AuthResult::noOpinion();
    std::string_view token = a.substr(space + 1);
    token = token.substr(0, token.find(' '));
    if (token.empty()) return AuthResult::noOpinion();
    const UserInfo* u = tokens_->find(token);
    if (u == nullptr) return AuthResult::failed("invalid bearer token");
    return AuthResult::authenticated(*u);
  }

 private:
  std::shared_ptr<const TokenFile> tokens_;
};

// addAuthenticated is kube's AuthenticatedGroupAdder.
void addAuthenticated(UserInfo& u) {
  if (u.name == kAnonymousUser) return;
  for (const auto& g : u.groups)
    if (g == kAllAuthenticated || g == kAllUnauthenticated) return;
  u.groups.emplace_back(kAllAuthenticated);
}

const UserInfo& unsecuredUser() {
  static const UserInfo u{std::string(kUnsecuredUser), "", {std::string(kSystemPrivilegedGroup), std::string(kAllAuthenticated)}, {}};
  return u;
}

const UserInfo& anonymousUser() {
  static const UserInfo u{std::string(kAnonymousUser), "", {std::string(kAllUnauthenticated)}, {}};
  return u;
}

class AuthenticationLink final : public Link {
 public:
  AuthenticationLink(AuthenticationOptions o, std::shared_ptr<audit::Auditor> auditor, Logger& log)
      : o_(std::move(o)), auditor_(std::move(auditor)), log_(log) {}

  Response handle(Request& req, Handler& next) override {
    if (req.connection && req.connection->insecure) {
      req.user = unsecuredUser();
      return next.serve(req);
    }
    std::string why;
    auto user = authenticate(o_, req, &why);
    if (!user) {
      log_.info("Unable to authenticate the request from " + req.remoteAddress + " (" + req.method + " " + req.path +
                "): " + why);
      if (auditor_) auditor_->failedAuthentication(req, 401);
      return Response::error(ApiError::unauthorized());
    }
    req.user = std::move(*user);
    return next.serve(req);
  }

 private:
  AuthenticationOptions o_;
  std::shared_ptr<audit::Auditor> auditor_;
  Logger& log_;
};

}  // namespace

std::unique_ptr<Authenticator> requestHeader(RequestHeaderOptions options) {
  return std::make_unique<RequestHeader>(std::move(options));
}
std::unique_ptr<Authenticator> x509() { return std::make_unique<X509>(); }
std::unique_ptr<Authenticator> bearerToken(std::shared_ptr<const TokenFile> tokens) {
  return std::make_unique<BearerToken>(std::move(tokens));
}

Result<UserInfo> authenticate(const AuthenticationOptions& o, const Request& req, std::string* why) {
  std::string errors;
  for (const auto& a : o.authenticators) {
    AuthResult r = a->authenticate(req);
    if (r.outcome == AuthResult::Outcome::Authenticated) {
      addAuthenticated(r.user);
      return std::move(r.user);
    }
    if (r.outcome == AuthResult::Outcome::Failed)
      errors += (errors.empty() ? "" : ", ") + std::string(a->name()) + ": " + r.error;
  }
  if (errors.empty() && o.anonymous) return anonymousUser();
  if (why != nullptr) *why = errors.empty() ? "no credentials, and anonymous requests are disabled" : errors;
  return fail(ApiError::unauthorized());
}

std::shared_ptr<LinkFactory> authenticationLink(AuthenticationOptions options, std::shared_ptr<audit::Auditor> auditor,
                                                Logger& log) {
  class Factory final : public LinkFactory {
   public:
    Factory(AuthenticationOptions o, std::shared_ptr<audit::Auditor> a, Logger& log)
        : o_(std::move(o)), auditor_(std::move(a)), log_(log) {}
    Result<std::shared_ptr<Link>> create(const ConfigSection& config) override {
      ConfigReader r(config);
      if (auto done = r.finish(); !done) return fail(std::move(done).error());
      return std::shared_ptr<Link>(std::make_shared<AuthenticationLink>(o_, auditor_, log_));
    }

   private:
    AuthenticationOptions o_;
    std::shared_ptr<audit::Auditor> auditor_;
    Logger& log_;
  };
  return std::make_shared<Factory>(std::move(options), std::move(auditor), log);
}

}  // namespace apiserver::authentication
