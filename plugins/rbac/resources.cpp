#include "rbac/resources.h"

#include "rbac/rules.h"
#include "rbac/schemas.h"
#include "rbac/selector.h"

#include <apiserver/object.h>
#include <apiserver/validation.h>

#include <boost/json/serialize.hpp>

namespace apiserver::plugins::rbac {

namespace {

TableColumn nameColumn() {
  return {"Name", "string", "name",
          "Name must be unique within a namespace. Is required when creating resources, although some resources may "
          "allow a client to request the generation of an appropriate name automatically. Name is primarily intended "
          "for creation idempotence and configuration definition. Cannot be updated. More info: "
          "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
          0};
}

constexpr const char* kCreationTimestampDoc =
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not "
    "guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is "
    "represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

// goStringList renders a []string with Go's %#v, as kube's field errors print such values.
std::string goStringList(const json::value& v) {
  std::string out = "[]string{";
  if (v.is_array()) {
    bool first = true;
    for (const auto& e : v.get_array()) {
      if (!first) out += ", ";
      first = false;
      out += json::serialize(e);
    }
  }
  return out + "}";
}

std::size_t arraySize(const json::object& o, std::string_view key) {
  const auto* a = arrayField(o, key);
  return a != nullptr ? a->size() : 0;
}

/// RoleStrategy serves Role and ClusterRole.
class RoleStrategy final : public Strategy {
 public:
  explicit RoleStrategy(bool cluster) : cluster_(cluster) {}

  FieldErrors validate(const json::object& obj) const override {
    FieldErrors errs;
    if (const auto* rules = obj.if_contains("rules"); rules != nullptr && rules->is_array())
      for (std::size_t i = 0; i < rules->get_array().size(); ++i) {
        FieldErrors e = validatePolicyRule(rules->get_array()[i], !cluster_, "rules[" + std::to_string(i) + "]");
        errs.insert(errs.end(), e.begin(), e.end());
      }
    if (const auto* agg = obj.if_contains("aggregationRule"); cluster_ && agg != nullptr && !agg->is_null()) {
      const json::array* selectors = agg->is_object() ? arrayField(agg->get_object(), "clusterRoleSelectors") : nullptr;
      if (selectors == nullptr || selectors->empty())
        errs.push_back(requiredField("aggregationRule.clusterRoleSelectors",
                                     "at least one clusterRoleSelector required if aggregationRule is non-nil"));
      if (selectors != nullptr)
        for (std::size_t i = 0; i < selectors->size(); ++i) {
          FieldErrors e = validateLabelSelector((*selectors)[i],
                                                "aggregationRule.clusterRoleSelectors[" + std::to_string(i) + "]");
          errs.insert(errs.end(), e.begin(), e.end());
        }
    }
    return errs;
  }

  std::vector<TableColumn> tableColumns() const override {
    return {nameColumn(), {"Created At", "date", "", kCreationTimestampDoc, 0}};
  }
  std::vector<json::value> tableRow(const json::object& obj, TimePoint) const override {
    // kube prints the creation time itself (RFC 3339, UTC), not an age.
    std::string created;
    if (auto t = parseTime(creationTimestampOf(obj))) created = formatTime(*t);
    return {json::value(nameOf(obj)), json::value(created)};
  }

 private:
  bool cluster_;
};

FieldErrors validateSubject(const json::value& v, bool namespaced, const std::string& path) {
  FieldErrors errs;
  if (!v.is_object()) {
    errs.push_back(invalidField(path, v, "must be a subject"));
    return errs;
  }
  const Subject s = subjectFromJson(v.get_object());
  if (s.name.empty()) errs.push_back(requiredField(path + ".name"));
  if (s.kind == "ServiceAccount") {
    if (!s.name.empty())
      for (const auto& msg : validation::isDns1123Subdomain(s.name))
        errs.push_back(invalidField(path + ".name", json::value(s.name), msg));
    if (!s.apiGroup.empty()) errs.push_back(notSupportedField(path + ".apiGroup", json::value(s.apiGroup), {""}));
    if (!namespaced && s.namespace_.empty()) errs.push_back(requiredField(path + ".namespace"));
  } else if (s.kind == "User" || s.kind == "Group") {
    if (s.apiGroup != kGroupName)
      errs.push_back(notSupportedField(path + ".apiGroup", json::value(s.apiGroup), {std::string(kGroupName)}));
  } else {
    errs.push_back(notSupportedField(path + ".kind", json::value(s.kind), {"ServiceAccount", "User", "Group"}));
  }
  return errs;
}

/// BindingStrategy serves RoleBinding and ClusterRoleBinding.
class BindingStrategy final : public Strategy {
 public:
  explicit BindingStrategy(bool cluster) : cluster_(cluster) {}

  void prepareForCreate(json::object& obj) const override { defaultBinding(obj); }
  void prepareForUpdate(json::object& obj, const json::object&) const override { defaultBinding(obj); }

  FieldErrors validate(const json::object& obj) const override {
    FieldErrors errs;
    const RoleRef ref = roleRefOf(obj);
    if (ref.apiGroup != kGroupName)
      errs.push_back(notSupportedField("roleRef.apiGroup", json::value(ref.apiGroup), {std::string(kGroupName)}));
    if (cluster_) {
      if (ref.kind != "ClusterRole") errs.push_back(notSupportedField("roleRef.kind", json::value(ref.kind), {"ClusterRole"}));
    } else if (ref.kind != "Role" && ref.kind != "ClusterRole") {
      errs.push_back(notSupportedField("roleRef.kind", json::value(ref.kind), {"Role", "ClusterRole"}));
    }
    if (ref.name.empty()) {
      errs.push_back(requiredField("roleRef.name"));
    } else {
      for (const auto& msg : validation::isValidPathSegmentName(ref.name))
        errs.push_back(invalidField("roleRef.name", json::value(ref.name), msg));
    }
    if (const auto* subjects = obj.if_contains("subjects"); subjects != nullptr && subjects->is_array())
      for (std::size_t i = 0; i < subjects->get_array().size(); ++i) {
        FieldErrors e = validateSubject(subjects->get_array()[i], !cluster_, "subjects[" + std::to_string(i) + "]");
        errs.insert(errs.end(), e.begin(), e.end());
      }
    return errs;
  }

  FieldErrors validateUpdate(const json::object& obj, const json::object& old) const override {
    FieldErrors errs = validate(obj);
    const RoleRef ref = roleRefOf(obj);
    if (!(ref == roleRefOf(old))) {
      FieldError e = invalidField("roleRef", json::value(nullptr), "cannot change roleRef");
      e.badValueText = "rbac.RoleRef{APIGroup:" + json::serialize(json::value(ref.apiGroup)) +
                       ", Kind:" + json::serialize(json::value(ref.kind)) +
                       ", Name:" + json::serialize(json::value(ref.name)) + "}";
      errs.push_back(std::move(e));
    }
    return errs;
  }

  std::vector<TableColumn> tableColumns() const override {
    return {nameColumn(),
            {"Role", "string", "",
             "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the "
             "RoleRef cannot be resolved, the Authorizer must return an error.",
             0},
            {"Age", "string", "", kCreationTimestampDoc, 0},
            {"Users", "string", "", "Users in the roleBinding", 1},
            {"Groups", "string", "", "Groups in the roleBinding", 1},
            {"ServiceAccounts", "string", "", "ServiceAccounts in the roleBinding", 1}};
  }
  std::vector<json::value> tableRow(const json::object& obj, TimePoint now) const override {
    const RoleRef ref = roleRefOf(obj);
    std::string users, groups, sas;
    auto add = [](std::string& list, const std::string& s) { list += (list.empty() ? "" : ", ") + s; };
    for (const auto& s : subjectsOf(obj)) {
      if (s.kind == "User") add(users, s.name);
      else if (s.kind == "Group") add(groups, s.name);
      else if (s.kind == "ServiceAccount") add(sas, s.namespace_ + "/" + s.name);
    }
    return {json::value(nameOf(obj)), json::value(ref.kind + "/" + ref.name), json::value(ageOf(obj, now)),
            json::value(users),       json::value(groups),                    json::value(sas)};
  }

 private:
  bool cluster_;
};

ResourceSpec spec(std::string kind, std::string plural, Scope scope) {
  ResourceSpec s;
  s.group = std::string(kGroupName);
  s.version = "v1";
  s.kind = std::move(kind);
  s.plural = std::move(plural);
  s.scope = scope;
  // kube's ValidateRBACName: any name that is a valid path segment.
  s.nameRule = NameRule::PathSegment;
  attachRbacSchema(s);
  return s;
}

}  // namespace

FieldErrors validatePolicyRule(const json::value& v, bool namespaced, const std::string& path) {
  FieldErrors errs;
  if (!v.is_object()) {
    errs.push_back(invalidField(path, v, "must be a policy rule"));
    return errs;
  }
  const json::object& rule = v.get_object();
  if (arraySize(rule, "verbs") == 0) errs.push_back(requiredField(path + ".verbs", "verbs must contain at least one value"));
  if (arraySize(rule, "nonResourceURLs") > 0) {
    const json::value& urls = rule.at("nonResourceURLs");
    if (namespaced) {
      FieldError e = invalidField(path + ".nonResourceURLs", urls, "namespaced rules cannot apply to non-resource URLs");
      e.badValueText = goStringList(urls);
      errs.push_back(std::move(e));
    }
    if (arraySize(rule, "apiGroups") > 0 || arraySize(rule, "resources") > 0 || arraySize(rule, "resourceNames") > 0) {
      FieldError e = invalidField(path + ".nonResourceURLs", urls,
                                  "rules cannot apply to both regular resources and non-resource URLs");
      e.badValueText = goStringList(urls);
      errs.push_back(std::move(e));
    }
    return errs;
  }
  if (arraySize(rule, "apiGroups") == 0)
    errs.push_back(requiredField(path + ".apiGroups", "resource rules must supply at least one api group"));
  if (arraySize(rule, "resources") == 0)
    errs.push_back(requiredField(path + ".resources", "resource rules must supply at least one resource"));
  return errs;
}

void defaultBinding(json::object& binding) {
  if (auto* ref = binding.if_contains("roleRef"); ref != nullptr && ref->is_object()) {
    auto& r = ref->get_object();
    if (stringField(r, "", "apiGroup").empty()) r["apiGroup"] = kGroupName;
  }
  if (auto* subjects = binding.if_contains("subjects"); subjects != nullptr && subjects->is_array())
    for (auto& v : subjects->get_array()) {
      if (!v.is_object()) continue;
      auto& s = v.get_object();
      if (!stringField(s, "", "apiGroup").empty()) continue;
      std::string_view kind = stringField(s, "", "kind");
      if (kind == "User" || kind == "Group") s["apiGroup"] = kGroupName;
    }
}

ResourceSpec roleSpec() { return spec("Role", "roles", Scope::Namespaced); }
ResourceSpec clusterRoleSpec() { return spec("ClusterRole", "clusterroles", Scope::Cluster); }
ResourceSpec roleBindingSpec() { return spec("RoleBinding", "rolebindings", Scope::Namespaced); }
ResourceSpec clusterRoleBindingSpec() { return spec("ClusterRoleBinding", "clusterrolebindings", Scope::Cluster); }

std::shared_ptr<const Strategy> roleStrategy() { return std::make_shared<RoleStrategy>(false); }
std::shared_ptr<const Strategy> clusterRoleStrategy() { return std::make_shared<RoleStrategy>(true); }
std::shared_ptr<const Strategy> roleBindingStrategy() { return std::make_shared<BindingStrategy>(false); }
std::shared_ptr<const Strategy> clusterRoleBindingStrategy() { return std::make_shared<BindingStrategy>(true); }

}  // namespace apiserver::plugins::rbac
