// The "impersonation" link: kube's k8s.io/apiserver/pkg/endpoints/filters/impersonation.go.
#include "authentication/authenticators.h"

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <cctype>

namespace apiserver::authentication {

namespace {

constexpr std::string_view kUserHeader = "Impersonate-User";
constexpr std::string_view kGroupHeader = "Impersonate-Group";
constexpr std::string_view kUidHeader = "Impersonate-Uid";
constexpr std::string_view kExtraPrefix = "Impersonate-Extra-";
constexpr std::string_view kServiceAccountPrefix = "system:serviceaccount:";

using boost::beast::iequals;  // ASCII, inline (the C locale's tolower, without a call per byte)

/// Impersonation is one thing the request asks to act as (kube's ObjectReference list).
struct Impersonation {
  enum class Kind { User, ServiceAccount, Group, UserExtra, Uid } kind;
  std::string name;
  std::string namespace_;  ///< ServiceAccount
  std::string extraKey;    ///< UserExtra
};

std::string describe(const std::vector<Impersonation>& list) {
  std::string s = "[";
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& r = list[i];
    const char* kind = r.kind == Impersonation::Kind::Group       ? "Group"
                       : r.kind == Impersonation::Kind::UserExtra ? "UserExtra"
                       : r.kind == Impersonation::Kind::Uid       ? "UID"
                                                                  : "User";
    s += (i ? " " : "") + std::string("{") + kind + " " + r.name + (r.extraKey.empty() ? "" : " " + r.extraKey) + "}";
  }
  return s + "]";
}

class ImpersonationLink final : public Link {
 public:
  ImpersonationLink(std::shared_ptr<const Authorizer> authorizer, Logger& log)
      : authorizer_(std::move(authorizer)), log_(log) {}

  Response handle(Request& req, Handler& next) override {
    if (req.headers == nullptr) return next.serve(req);
    std::vector<Impersonation> wanted;
    bool hasUser = false, hasGroups = false, hasExtra = false, hasUid = false;
    if (auto u = req.header(kUserHeader); u && !u->empty()) {
      hasUser = true;
      std::string_view name = *u;
      // system:serviceaccount:<namespace>:<name>
      if (name.starts_with(kServiceAccountPrefix)) {
        std::string_view rest = name.substr(kServiceAccountPrefix.size());
        auto colon = rest.find(':');
        if (colon != std::string_view::npos && colon > 0 && colon + 1 < rest.size() &&
            rest.find(':', colon + 1) == std::string_view::npos) {
          wanted.push_back({Impersonation::Kind::ServiceAccount, std::string(rest.substr(colon + 1)),
                            std::string(rest.substr(0, colon)), {}});
        } else {
          wanted.push_back({Impersonation::Kind::User, std::string(name), {}, {}});
        }
      } else {
        wanted.push_back({Impersonation::Kind::User, std::string(name), {}, {}});
      }
    }
    req.headers->forEach([&](std::string_view name, std::string_view value) {
      if (iequals(name, kGroupHeader)) {
        hasGroups = true;
        wanted.push_back({Impersonation::Kind::Group, std::string(value), {}, {}});
      }
    });
    req.headers->forEach([&](std::string_view name, std::string_view value) {
      if (name.size() <= kExtraPrefix.size() || !iequals(name.substr(0, kExtraPrefix.size()), kExtraPrefix)) return;
      hasExtra = true;
      std::string key(name.substr(kExtraPrefix.size()));
      for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      wanted.push_back({Impersonation::Kind::UserExtra, std::string(value), {}, unescapeExtraKey(key)});
    });
    if (auto uid = req.header(kUidHeader); uid && !uid->empty()) {
      hasUid = true;
      wanted.push_back({Impersonation::Kind::Uid, std::string(*uid), {}, {}});
    }
    if (wanted.empty()) return next.serve(req);
    if ((hasGroups || hasExtra || hasUid) && !hasUser)
      return Response::error(ApiError::internal("requested " + describe(wanted) + " without impersonating a user"));

    // Groups given are the whole truth (system:authenticated included); a service account
    // without them gets its fixed groups.
    UserInfo as;
    for (const auto& w : wanted) {
      AuthorizationAttributes a;
      a.user = &req.user;
      a.verb = "impersonate";
      a.isResourceRequest = true;
      a.apiVersion = "v1";
      a.path = req.path;
      a.name = w.name;
      switch (w.kind) {
        case Impersonation::Kind::ServiceAccount:
          a.resource = "serviceaccounts";
          a.namespace_ = w.namespace_;
          as.name = std::string(kServiceAccountPrefix) + w.namespace_ + ":" + w.name;
          if (!hasGroups) as.groups = {"system:serviceaccounts", "system:serviceaccounts:" + w.namespace_};
          break;
        case Impersonation::Kind::User:
          a.resource = "users";
          as.name = w.name;
          break;
        case Impersonation::Kind::Group:
          a.resource = "groups";
          as.groups.push_back(w.name);
          break;
        case Impersonation::Kind::UserExtra:
          a.apiGroup = "authentication.k8s.io";
          a.resource = "userextras";
          a.subresource = w.extraKey;
          as.extra[w.extraKey].push_back(w.name);
          break;
        case Impersonation::Kind::Uid:
          a.apiGroup = "authentication.k8s.io";
          a.resource = "uids";
          as.uid = w.name;
          break;
      }
      const AuthorizationDecision d = authorizer_->authorize(a);
      if (!d.allowed()) {
        if (log_.enabled(LogLevel::Debug))
          log_.debug("impersonation refused: " + req.user.name + " as " + w.name + ": " + d.reason + d.error);
        return Response::error(forbidden(a, d.reason));
      }
    }
    if (as.name != kAnonymousUser) {
      // A non-anonymous user is in system:authenticated unless the groups given say otherwise.
      const bool given = std::any_of(as.groups.begin(), as.groups.end(), [](const std::string& g) {
        return g == kAllAuthenticated || g == kAllUnauthenticated;
      });
      if (!given) as.groups.emplace_back(kAllAuthenticated);
    } else if (std::find(as.groups.begin(), as.groups.end(), kAllUnauthenticated) == as.groups.end()) {
      as.groups.emplace_back(kAllUnauthenticated);
    }
    if (log_.enabled(LogLevel::Debug)) log_.debug(req.user.name + " is impersonating " + as.name);
    req.user = std::move(as);
    return next.serve(req);
  }

 private:
  std::shared_ptr<const Authorizer> authorizer_;
  Logger& log_;
};

}  // namespace

std::shared_ptr<LinkFactory> impersonationLink(std::shared_ptr<const Authorizer> authorizer, Logger& log) {
  class Factory final : public LinkFactory {
   public:
    Factory(std::shared_ptr<const Authorizer> a, Logger& log) : authorizer_(std::move(a)), log_(log) {}
    Result<std::shared_ptr<Link>> create(const ConfigSection& config) override {
      ConfigReader r(config);
      if (auto done = r.finish(); !done) return fail(std::move(done).error());
      return std::shared_ptr<Link>(std::make_shared<ImpersonationLink>(authorizer_, log_));
    }

   private:
    std::shared_ptr<const Authorizer> authorizer_;
    Logger& log_;
  };
  return std::make_shared<Factory>(std::move(authorizer), log);
}

}  // namespace apiserver::authentication
