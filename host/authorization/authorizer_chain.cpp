#include "authorization/authorizer_chain.h"

#include <algorithm>

namespace apiserver::authorization {

namespace {

class AlwaysAllow final : public Authorizer {
 public:
  AuthorizationDecision authorize(const AuthorizationAttributes&) const override { return {Decision::Allow, {}, {}}; }
  SubjectRules rulesFor(const UserInfo&, std::string_view) const override {
    SubjectRules r;
    r.resourceRules.push_back({{"*"}, {"*"}, {"*"}, {}});
    r.nonResourceRules.push_back({{"*"}, {"*"}});
    return r;
  }
};

class AlwaysDeny final : public Authorizer {
 public:
  AuthorizationDecision authorize(const AuthorizationAttributes&) const override {
    return {Decision::NoOpinion, "Everything is forbidden.", {}};
  }
  SubjectRules rulesFor(const UserInfo&, std::string_view) const override { return {}; }
};

bool privileged(const AuthorizationAttributes& attrs) {
  if (attrs.user == nullptr) return false;
  const auto& groups = attrs.user->groups;
  return std::find(groups.begin(), groups.end(), kSystemPrivilegedGroup) != groups.end();
}

// aggregate words several errors as kube's utilerrors.NewAggregate does.
std::string aggregate(const std::vector<std::string>& errors) {
  if (errors.empty()) return {};
  if (errors.size() == 1) return errors.front();
  std::string out = "[";
  for (std::size_t i = 0; i < errors.size(); ++i) out += (i ? ", " : "") + errors[i];
  return out + "]";
}

}  // namespace

std::shared_ptr<const Authorizer> alwaysAllow() {
  static const auto a = std::make_shared<const AlwaysAllow>();
  return a;
}

std::shared_ptr<const Authorizer> alwaysDeny() {
  static const auto a = std::make_shared<const AlwaysDeny>();
  return a;
}

AuthorizationDecision AuthorizerChain::authorize(const AuthorizationAttributes& attrs) const {
  if (privileged(attrs)) return {Decision::Allow, {}, {}};
  std::vector<std::string> reasons;
  std::vector<std::string> errors;
  for (const auto& e : entries_) {
    AuthorizationDecision d = e.authorizer->authorize(attrs);
    if (d.decision != Decision::NoOpinion) return d;
    if (!d.reason.empty()) reasons.push_back(std::move(d.reason));
    if (!d.error.empty()) errors.push_back(std::move(d.error));
  }
  AuthorizationDecision out;
  for (std::size_t i = 0; i < reasons.size(); ++i) out.reason += (i ? "\n" : "") + reasons[i];
  out.error = aggregate(errors);
  return out;
}

SubjectRules AuthorizerChain::rulesFor(const UserInfo& user, std::string_view ns) const {
  SubjectRules out;
  std::vector<std::string> errors;
  for (const auto& e : entries_) {
    SubjectRules r = e.authorizer->rulesFor(user, ns);
    out.incomplete = out.incomplete || r.incomplete;
    if (!r.error.empty()) errors.push_back(std::move(r.error));
    for (auto& rule : r.resourceRules) out.resourceRules.push_back(std::move(rule));
    for (auto& rule : r.nonResourceRules) out.nonResourceRules.push_back(std::move(rule));
  }
  out.error = aggregate(errors);
  return out;
}

Result<std::shared_ptr<const AuthorizerChain>> buildChain(
    const std::vector<std::string>& modes, const std::map<std::string, std::shared_ptr<const Authorizer>>& registered) {
  auto available = [&] {
    std::string list = std::string(kModeAlwaysAllow) + ", " + std::string(kModeAlwaysDeny);
    for (const auto& [name, a] : registered) list += ", " + name;
    return list;
  };
  std::vector<AuthorizerChain::Entry> entries;
  for (const auto& mode : modes) {
    for (const auto& e : entries)
      if (e.mode == mode)
        return fail(ApiError{422, "Invalid", "authorization mode \"" + mode + "\" is specified more than once", {}});
    std::shared_ptr<const Authorizer> a;
    if (mode == kModeAlwaysAllow) {
      a = alwaysAllow();
    } else if (mode == kModeAlwaysDeny) {
      a = alwaysDeny();
    } else if (auto it = registered.find(mode); it != registered.end()) {
      a = it->second;
    } else {
      std::string hint = mode == "RBAC" ? " (the rbac plugin provides it: enable it under plugins.enabled)" : "";
      return fail(ApiError{422, "Invalid",
                           "unknown authorization mode \"" + mode + "\"" + hint + "; available: " + available(), {}});
    }
    entries.push_back({mode, std::move(a)});
  }
  if (entries.empty())
    return fail(ApiError{422, "Invalid", "at least one authorization mode must be given; available: " + available(), {}});
  return std::make_shared<const AuthorizerChain>(std::move(entries));
}

AuthorizationDecision ServerAuthorizer::authorize(const AuthorizationAttributes& attrs) const {
  auto t = target_.load();
  if (!t) return {Decision::NoOpinion, "the server's authorizer is not configured yet", {}};
  return t->authorize(attrs);
}

SubjectRules ServerAuthorizer::rulesFor(const UserInfo& user, std::string_view ns) const {
  auto t = target_.load();
  if (!t) {
    SubjectRules r;
    r.incomplete = true;
    r.error = "the server's authorizer is not configured yet";
    return r;
  }
  return t->rulesFor(user, ns);
}

}  // namespace apiserver::authorization
