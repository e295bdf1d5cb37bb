#include "core/resources/configmaps.h"

#include "core/schema/schemas.h"
#include "core/util/json.h"
#include "core/util/table.h"
#include "core/util/validation.h"

#include <apiserver/object.h>

namespace apiserver::plugins::core {

namespace {

class ConfigMapStrategy final : public Strategy {
 public:
  FieldErrors validate(const json::object& obj) const override {
    FieldErrors errs;
    std::size_t total = 0;
    const json::object* data = validateStringMap(obj.if_contains("data"), "data", errs);
    const json::object* binary = nullptr;
    if (const json::value* b = obj.if_contains("binaryData"); b != nullptr && !b->is_null()) {
      if (b->is_object()) {
        binary = &b->get_object();
      } else {
        errs.push_back(
            invalidField("binaryData", *b, "must be a map of string keys to base64 values"));
      }
    }
    if (data != nullptr) {
      validateConfigKeys(*data, "data", errs);
      for (const auto& kv : *data) {
        if (binary != nullptr && binary->if_contains(kv.key()) != nullptr)
          errs.push_back(invalidField(keyPath("data", kv.key()), json::value(kv.key()),
                                      "duplicate of key present in binaryData"));
        total += stringOf(&kv.value()).size();
      }
    }
    if (binary != nullptr) {
      validateConfigKeys(*binary, "binaryData", errs);
      total += validateBase64Values(*binary, "binaryData", errs);
    }
    // kube reports the size at the root path, which renders as "[]".
    if (total > kMaxSecretSize)
      errs.push_back(tooLongField("[]", kMaxSecretSize));
    if (const json::value* imm = obj.if_contains("immutable");
        imm != nullptr && !imm->is_null() && !imm->is_bool())
      errs.push_back(invalidField("immutable", *imm, "must be a boolean"));
    return errs;
  }

  FieldErrors validateUpdate(const json::object& obj, const json::object& old) const override {
    FieldErrors errs;
    validateImmutableWhenSet(obj, old, {"data", "binaryData"}, errs);
    FieldErrors rest = validate(obj);
    errs.insert(errs.end(), rest.begin(), rest.end());
    return errs;
  }

  std::vector<TableColumn> tableColumns() const override {
    return {nameColumn(),
            column("Data",
                   "Data contains the configuration data. Each key must consist of alphanumeric "
                   "characters, '-', '_' or '.'."),
            ageColumn()};
  }

  std::vector<json::value> tableRow(const json::object& obj, TimePoint now) const override {
    std::int64_t n = 0;
    if (const json::object* d = objectField(obj, "data"))
      n += static_cast<std::int64_t>(d->size());
    if (const json::object* b = objectField(obj, "binaryData"))
      n += static_cast<std::int64_t>(b->size());
    return {json::value(nameOf(obj)), json::value(n), json::value(ageOf(obj, now))};
  }
};

}  // namespace

ResourceSpec configMapResourceSpec() {
  ResourceSpec s;
  s.group = "";
  s.version = "v1";
  s.kind = "ConfigMap";
  s.plural = "configmaps";
  s.singular = "configmap";
  s.listKind = "ConfigMapList";
  s.scope = Scope::Namespaced;
  s.shortNames = {"cm"};
  attachSchema(s);
  return s;
}

std::shared_ptr<const Strategy> configMapStrategy() {
  return std::make_shared<const ConfigMapStrategy>();
}

}  // namespace apiserver::plugins::core
