#include "core/resources/serviceaccounts.h"

#include "core/schema/schemas.h"
#include "core/util/json.h"
#include "core/util/table.h"
#include "core/util/validation.h"

#include <apiserver/object.h>

namespace apiserver::plugins::core {

namespace {

class ServiceAccountStrategy final : public Strategy {
 public:
  FieldErrors validate(const json::object& obj) const override {
    FieldErrors errs;
    for (const char* list : {"secrets", "imagePullSecrets"}) {
      const json::value* v = obj.if_contains(list);
      if (v == nullptr || v->is_null())
        continue;
      if (!v->is_array()) {
        errs.push_back(invalidField(list, *v, "must be a list of object references"));
        continue;
      }
      const json::array& refs = v->get_array();
      for (std::size_t i = 0; i < refs.size(); ++i) {
        const json::object* ref = objectOf(&refs[i]);
        std::string_view name = ref != nullptr ? stringOf(ref->if_contains("name")) : "";
        const std::string p = childPath(indexPath(list, i), "name");
        if (name.empty()) {
          errs.push_back(requiredField(p));
        } else {
          validateDns1123Subdomain(name, p, errs);
        }
      }
    }
    if (const json::value* a = obj.if_contains("automountServiceAccountToken");
        a != nullptr && !a->is_null() && !a->is_bool())
      errs.push_back(invalidField("automountServiceAccountToken", *a, "must be a boolean"));
    return errs;
  }

  std::vector<TableColumn> tableColumns() const override {
    return {nameColumn(),
            column("Secrets",
                   "Secrets is a list of the secrets in the same namespace that pods running "
                   "using this ServiceAccount are allowed to use."),
            ageColumn()};
  }

  std::vector<json::value> tableRow(const json::object& obj, TimePoint now) const override {
    const json::array* secrets = arrayField(obj, "secrets");
    return {json::value(nameOf(obj)),
            json::value(static_cast<std::int64_t>(secrets != nullptr ? secrets->size() : 0)),
            json::value(ageOf(obj, now))};
  }
};

}  // namespace

ResourceSpec serviceAccountResourceSpec() {
  ResourceSpec s;
  s.group = "";
  s.version = "v1";
  s.kind = "ServiceAccount";
  s.plural = "serviceaccounts";
  s.singular = "serviceaccount";
  s.listKind = "ServiceAccountList";
  s.scope = Scope::Namespaced;
  s.shortNames = {"sa"};
  attachSchema(s);
  return s;
}

std::shared_ptr<const Strategy> serviceAccountStrategy() {
  return std::make_shared<const ServiceAccountStrategy>();
}

}  // namespace apiserver::plugins::core
