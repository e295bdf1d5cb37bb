#include "rbac/access_reviews.h"

#include "rbac/schemas.h"

#include <boost/json/serialize.hpp>

namespace apiserver::plugins::rbac {

namespace {

constexpr std::string_view kAuthorizationGroup = "authorization.k8s.io";
constexpr std::string_view kAuthenticationGroup = "authentication.k8s.io";

json::array toArray(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

std::vector<std::string> strings(const json::object* o, std::string_view key) {
  std::vector<std::string> out;
  if (o != nullptr)
    if (const auto* a = arrayField(*o, key))
      for (const auto& v : *a)
        if (v.is_string()) out.emplace_back(v.get_string());
  return out;
}

/// metadataEmpty tells whether metadata holds nothing but what clients send for an empty one
/// (creationTimestamp: null, managedFields, and for local reviews the namespace).
bool metadataEmpty(const json::object& obj, bool allowNamespace) {
  const json::object* m = objectField(obj, "metadata");
  if (m == nullptr) return true;
  for (const auto& kv : *m) {
    if (kv.value().is_null() || kv.key() == "managedFields") continue;
    if (allowNamespace && kv.key() == "namespace") continue;
    if (kv.value().is_string() && kv.value().get_string().empty()) continue;
    if (kv.value().is_object() && kv.value().get_object().empty()) continue;
    if (kv.value().is_array() && kv.value().get_array().empty()) continue;
    return false;
  }
  return true;
}

/// validateSpec is kube's ValidateSubjectAccessReviewSpec / ValidateSelfSubjectAccessReviewSpec.
FieldErrors validateSpec(const json::object& obj, bool self) {
  FieldErrors errs;
  const json::object* spec = objectField(obj, "spec");
  const json::value* resource = spec != nullptr ? spec->if_contains("resourceAttributes") : nullptr;
  const json::value* nonResource = spec != nullptr ? spec->if_contains("nonResourceAttributes") : nullptr;
  if (resource != nullptr && resource->is_null()) resource = nullptr;
  if (nonResource != nullptr && nonResource->is_null()) nonResource = nullptr;
  if (resource != nullptr && nonResource != nullptr)
    errs.push_back(invalidField("spec.nonResourceAttributes", *nonResource,
                                "cannot be specified in combination with resourceAttributes"));
  if (resource == nullptr && nonResource == nullptr)
    errs.push_back(invalidField("spec.resourceAttributes", nullptr,
                                "exactly one of nonResourceAttributes or resourceAttributes must be specified"));
  if (!self) {
    std::string_view user = spec != nullptr ? stringField(*spec, "", "user") : std::string_view();
    if (user.empty() && strings(spec, "groups").empty())
      errs.push_back(invalidField("spec.user", json::value(user), "at least one of user or group must be specified"));
  }
  return errs;
}

struct Attributes {
  UserInfo user;  // the subject (SubjectAccessReview) or a copy of the caller
  std::string verb, ns, group, version, resource, subresource, name, path;
  bool resourceRequest = false;

  AuthorizationAttributes view() const {
    AuthorizationAttributes a;
    a.user = &user;
    a.verb = verb;
    a.isResourceRequest = resourceRequest;
    a.path = path;
    a.namespace_ = ns;
    a.apiGroup = group;
    a.apiVersion = version;
    a.resource = resource;
    a.subresource = subresource;
    a.name = name;
    return a;
  }
};

/// attributesOf is kube's ResourceAttributesFrom / NonResourceAttributesFrom.
Attributes attributesOf(const json::object& spec, UserInfo user) {
  Attributes a;
  a.user = std::move(user);
  if (const json::object* r = objectField(spec, "resourceAttributes")) {
    a.resourceRequest = true;
    a.verb = stringField(*r, "", "verb");
    a.ns = stringField(*r, "", "namespace");
    a.group = stringField(*r, "", "group");
    a.version = stringField(*r, "", "version");
    if (a.version.empty()) a.version = "*";  // matchAllVersionIfEmpty
    a.resource = stringField(*r, "", "resource");
    a.subresource = stringField(*r, "", "subresource");
    a.name = stringField(*r, "", "name");
  } else if (const json::object* n = objectField(spec, "nonResourceAttributes")) {
    a.path = stringField(*n, "", "path");
    a.verb = stringField(*n, "", "verb");
  }
  return a;
}

/// userOfSpec is the user a SubjectAccessReview asks about.
UserInfo userOfSpec(const json::object& spec) {
  UserInfo u;
  u.name = stringField(spec, "", "user");
  u.uid = stringField(spec, "", "uid");
  u.groups = strings(&spec, "groups");
  if (const json::object* extra = objectField(spec, "extra"))
    for (const auto& kv : *extra)
      if (kv.value().is_array())
        for (const auto& v : kv.value().get_array())
          if (v.is_string()) u.extra[std::string(kv.key())].emplace_back(v.get_string());
  return u;
}

/// answer fills status from the authorizer's decision, as kube's REST storages do.
json::object answer(json::object obj, const AuthorizationDecision& d) {
  json::object status;
  status["allowed"] = d.decision == Decision::Allow;
  if (d.decision == Decision::Deny) status["denied"] = true;
  if (!d.reason.empty()) status["reason"] = d.reason;
  if (!d.error.empty()) status["evaluationError"] = d.error;
  obj["status"] = std::move(status);
  if (!obj.contains("metadata")) obj["metadata"] = json::object{{"creationTimestamp", nullptr}};
  return obj;
}

ApiError invalid(std::string_view kind, const FieldErrors& errs) {
  return ApiError::invalid({std::string(kAuthorizationGroup), std::string(kind)}, "", errs);
}

FieldError metadataNotEmpty(const json::object& obj, const char* detail) {
  const json::value* m = obj.if_contains("metadata");
  return invalidField("metadata", m != nullptr ? *m : json::value(), detail);
}

class SubjectAccessReviews final : public Creater {
 public:
  explicit SubjectAccessReviews(std::shared_ptr<const Authorizer> a) : authorizer_(std::move(a)) {}
  Result<json::object> create(const CreateContext&, json::object obj) const override {
    FieldErrors errs = validateSpec(obj, false);
    if (!metadataEmpty(obj, false)) errs.push_back(metadataNotEmpty(obj, "must be empty"));
    if (!errs.empty()) return fail(invalid("SubjectAccessReview", errs));
    const json::object& spec = *objectField(obj, "spec");
    Attributes attrs = attributesOf(spec, userOfSpec(spec));
    return answer(std::move(obj), authorizer_->authorize(attrs.view()));
  }

 private:
  std::shared_ptr<const Authorizer> authorizer_;
};

class SelfSubjectAccessReviews final : public Creater {
 public:
  explicit SelfSubjectAccessReviews(std::shared_ptr<const Authorizer> a) : authorizer_(std::move(a)) {}
  Result<json::object> create(const CreateContext& ctx, json::object obj) const override {
    FieldErrors errs = validateSpec(obj, true);
    if (!metadataEmpty(obj, false)) errs.push_back(metadataNotEmpty(obj, "must be empty"));
    if (!errs.empty()) return fail(invalid("SelfSubjectAccessReview", errs));
    if (ctx.user == nullptr) return fail(ApiError::badRequest("no user present on request"));
    Attributes attrs = attributesOf(*objectField(obj, "spec"), *ctx.user);
    return answer(std::move(obj), authorizer_->authorize(attrs.view()));
  }

 private:
  std::shared_ptr<const Authorizer> authorizer_;
};

class LocalSubjectAccessReviews final : public Creater {
 public:
  explicit LocalSubjectAccessReviews(std::shared_ptr<const Authorizer> a) : authorizer_(std::move(a)) {}
  Result<json::object> create(const CreateContext& ctx, json::object obj) const override {
    if (ctx.namespace_.empty())
      return fail(ApiError::badRequest("namespace is required on this type: " + std::string(ctx.namespace_)));
    FieldErrors errs = validateSpec(obj, false);
    if (!metadataEmpty(obj, true)) errs.push_back(metadataNotEmpty(obj, "must be empty except for namespace"));
    const json::object* spec = objectField(obj, "spec");
    if (const json::object* r = spec != nullptr ? objectField(*spec, "resourceAttributes") : nullptr) {
      std::string_view ns = stringField(*r, "", "namespace");
      if (ns != namespaceOf(obj))
        errs.push_back(invalidField("spec.resourceAttributes.namespace", json::value(ns), "must match metadata.namespace"));
    }
    if (const json::value* n = spec != nullptr ? spec->if_contains("nonResourceAttributes") : nullptr;
        n != nullptr && !n->is_null())
      errs.push_back(invalidField("spec.nonResourceAttributes", *n, "disallowed on this kind of request"));
    if (!errs.empty()) return fail(invalid("LocalSubjectAccessReview", errs));
    Attributes attrs = attributesOf(*spec, userOfSpec(*spec));
    return answer(std::move(obj), authorizer_->authorize(attrs.view()));
  }

 private:
  std::shared_ptr<const Authorizer> authorizer_;
};

class SelfSubjectRulesReviews final : public Creater {
 public:
  explicit SelfSubjectRulesReviews(std::shared_ptr<const Authorizer> a) : authorizer_(std::move(a)) {}
  Result<json::object> create(const CreateContext& ctx, json::object obj) const override {
    if (ctx.user == nullptr) return fail(ApiError::badRequest("no user present on request"));
    std::string_view ns = stringField(obj, "", "spec", "namespace");
    if (ns.empty()) return fail(ApiError::badRequest("no namespace on request"));
    SubjectRules rules = authorizer_->rulesFor(*ctx.user, ns);
    json::array resourceRules;
    for (const auto& r : rules.resourceRules) {
      json::object o{{"verbs", toArray(r.verbs)}};
      if (!r.apiGroups.empty()) o["apiGroups"] = toArray(r.apiGroups);
      if (!r.resources.empty()) o["resources"] = toArray(r.resources);
      if (!r.resourceNames.empty()) o["resourceNames"] = toArray(r.resourceNames);
      resourceRules.push_back(std::move(o));
    }
    json::array nonResourceRules;
    for (const auto& r : rules.nonResourceRules) {
      json::object o{{"verbs", toArray(r.verbs)}};
      if (!r.nonResourceURLs.empty()) o["nonResourceURLs"] = toArray(r.nonResourceURLs);
      nonResourceRules.push_back(std::move(o));
    }
    json::object status{{"resourceRules", std::move(resourceRules)},
                        {"nonResourceRules", std::move(nonResourceRules)},
                        {"incomplete", rules.incomplete}};
    if (!rules.error.empty()) status["evaluationError"] = rules.error;
    // kube answers a fresh object: the spec is not echoed.
    return json::object{{"metadata", json::object{{"creationTimestamp", nullptr}}},
                        {"spec", json::object()},
                        {"status", std::move(status)}};
  }

 private:
  std::shared_ptr<const Authorizer> authorizer_;
};

/// SelfSubjectReviews is kube's authentication.k8s.io/v1 SelfSubjectReview (`kubectl auth
/// whoami`): the user the server authenticated, after impersonation, as it sees them.
class SelfSubjectReviews final : public Creater {
 public:
  Result<json::object> create(const CreateContext& ctx, json::object) const override {
    if (ctx.user == nullptr) return fail(ApiError::badRequest("no user present on request"));
    json::object userInfo{{"username", ctx.user->name}};
    if (!ctx.user->uid.empty()) userInfo["uid"] = ctx.user->uid;
    if (!ctx.user->groups.empty()) userInfo["groups"] = toArray(ctx.user->groups);
    if (!ctx.user->extra.empty()) {
      json::object extra;
      for (const auto& [key, values] : ctx.user->extra) extra[key] = toArray(values);
      userInfo["extra"] = std::move(extra);
    }
    return json::object{{"metadata", json::object{{"creationTimestamp", formatTime(Clock::now())}}},
                        {"status", json::object{{"userInfo", std::move(userInfo)}}}};
  }
};

/// reviewSpec is the ResourceSpec of a review kind of `group`/v1 (authorization.k8s.io unless
/// named), with that group's schema.
ResourceSpec reviewSpec(std::string kind, std::string plural, Scope scope,
                        std::string_view group = kAuthorizationGroup) {
  ResourceSpec s;
  s.group = std::string(group);
  s.version = "v1";
  s.kind = std::move(kind);
  s.plural = std::move(plural);
  s.scope = scope;
  if (group == kAuthenticationGroup)
    attachAuthenticationSchema(s);
  else
    attachAuthorizationSchema(s);
  return s;
}

}  // namespace

std::shared_ptr<const Creater> subjectAccessReviews(std::shared_ptr<const Authorizer> a) {
  return std::make_shared<SubjectAccessReviews>(std::move(a));
}
std::shared_ptr<const Creater> selfSubjectAccessReviews(std::shared_ptr<const Authorizer> a) {
  return std::make_shared<SelfSubjectAccessReviews>(std::move(a));
}
std::shared_ptr<const Creater> localSubjectAccessReviews(std::shared_ptr<const Authorizer> a) {
  return std::make_shared<LocalSubjectAccessReviews>(std::move(a));
}
std::shared_ptr<const Creater> selfSubjectRulesReviews(std::shared_ptr<const Authorizer> a) {
  return std::make_shared<SelfSubjectRulesReviews>(std::move(a));
}
std::shared_ptr<const Creater> selfSubjectReviews() { return std::make_shared<SelfSubjectReviews>(); }

Result<void> registerAccessReviews(Registrar& r, std::shared_ptr<const Authorizer> a) {
  if (auto x = r.addVirtualResource(reviewSpec("LocalSubjectAccessReview", "localsubjectaccessreviews", Scope::Namespaced),
                                    localSubjectAccessReviews(a));
      !x)
    return x;
  if (auto x = r.addVirtualResource(reviewSpec("SelfSubjectAccessReview", "selfsubjectaccessreviews", Scope::Cluster),
                                    selfSubjectAccessReviews(a));
      !x)
    return x;
  if (auto x = r.addVirtualResource(reviewSpec("SelfSubjectRulesReview", "selfsubjectrulesreviews", Scope::Cluster),
                                    selfSubjectRulesReviews(a));
      !x)
    return x;
  if (auto x = r.addVirtualResource(reviewSpec("SubjectAccessReview", "subjectaccessreviews", Scope::Cluster),
                                    subjectAccessReviews(std::move(a)));
      !x)
    return x;
  return r.addVirtualResource(
      reviewSpec("SelfSubjectReview", "selfsubjectreviews", Scope::Cluster, kAuthenticationGroup),
      selfSubjectReviews());
}

}  // namespace apiserver::plugins::rbac
