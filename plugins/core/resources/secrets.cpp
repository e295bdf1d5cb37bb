#include "core/resources/secrets.h"

#include "core/schema/schemas.h"
#include "core/util/json.h"
#include "core/util/table.h"
#include "core/util/validation.h"

#include <apiserver/base64.h>
#include <apiserver/object.h>

#include <boost/json/parse.hpp>

#include <system_error>

namespace apiserver::plugins::core {

namespace {

constexpr const char* kRedacted = "<secret contents redacted>";

/// mergeStringData is kube's v1 Secret conversion: stringData entries overwrite data entries
/// (base64-encoded), and stringData itself is never stored.
void mergeStringData(json::object& secret) {
  setDefault(secret, "type", "Opaque");
  const json::value* sd = secret.if_contains("stringData");
  if (sd == nullptr)
    return;
  if (sd->is_object() && !sd->get_object().empty()) {
    json::object stringData = sd->get_object();
    if (json::object* data = ensureObject(secret, "data")) {
      for (const auto& kv : stringData)
        if (kv.value().is_string())
          (*data)[kv.key()] = base64::encode(kv.value().get_string());
    }
  }
  secret.stable_erase("stringData");
}

/// decodedValue returns the decoded data[key], if present and valid.
std::optional<std::string> decodedValue(const json::object* data, std::string_view key) {
  if (data == nullptr)
    return std::nullopt;
  const json::value* v = data->if_contains(key);
  if (v == nullptr || !v->is_string())
    return std::nullopt;
  base64::Decoded d = base64::decode(v->get_string());
  if (!d.ok)
    return std::nullopt;
  return d.data;
}

/// validateJsonKey requires data[key] and checks that it holds a JSON object.
void validateJsonKey(const json::object* data, std::string_view key, FieldErrors& out) {
  if (data == nullptr || data->if_contains(key) == nullptr) {
    out.push_back(requiredField(keyPath("data", key)));
    return;
  }
  auto bytes = decodedValue(data, key);
  if (!bytes)
    return;  // already reported as bad base64
  std::error_code ec;
  json::value parsed = json::parse(*bytes, ec);
  if (ec) {
    out.push_back(invalidField(keyPath("data", key), json::value(kRedacted), ec.message()));
  } else if (!parsed.is_object()) {
    out.push_back(invalidField(keyPath("data", key), json::value(kRedacted),
                               "json: cannot unmarshal " +
                                   std::string(parsed.is_array() ? "array" : "value") +
                                   " into Go value of type map[string]interface {}"));
  }
}

FieldErrors validateSecret(const json::object& obj) {
  FieldErrors errs;
  const json::object* data = nullptr;
  if (const json::value* d = obj.if_contains("data"); d != nullptr && !d->is_null()) {
    if (d->is_object()) {
      data = &d->get_object();
    } else {
      errs.push_back(invalidField("data", json::value(kRedacted),
                                  "must be a map of string keys to base64 values"));
    }
  }
  if (data != nullptr) {
    validateConfigKeys(*data, "data", errs);
    std::size_t total = validateBase64Values(*data, "data", errs);
    if (total > kMaxSecretSize)
      errs.push_back(tooLongField("data", kMaxSecretSize));
  }
  auto has = [data](std::string_view key) {
    return data != nullptr && data->if_contains(key) != nullptr;
  };
  std::string_view type = stringOf(obj.if_contains("type"));
  if (type == "kubernetes.io/service-account-token") {
    if (stringField(obj, "", "metadata", "annotations", "kubernetes.io/service-account.name")
            .empty())
      errs.push_back(requiredField("metadata.annotations[kubernetes.io/service-account.name]"));
  } else if (type == "kubernetes.io/dockercfg") {
    validateJsonKey(data, ".dockercfg", errs);
  } else if (type == "kubernetes.io/dockerconfigjson") {
    validateJsonKey(data, ".dockerconfigjson", errs);
  } else if (type == "kubernetes.io/basic-auth") {
    if (!has("username") && !has("password")) {
      errs.push_back(requiredField("data[username]"));
      errs.push_back(requiredField("data[password]"));
    }
  } else if (type == "kubernetes.io/ssh-auth") {
    auto key = decodedValue(data, "ssh-privatekey");
    if (!key || key->empty())
      errs.push_back(requiredField("data[ssh-privatekey]"));
  } else if (type == "kubernetes.io/tls") {
    if (!has("tls.crt"))
      errs.push_back(requiredField("data[tls.crt]"));
    if (!has("tls.key"))
      errs.push_back(requiredField("data[tls.key]"));
  }
  if (const json::value* imm = obj.if_contains("immutable");
      imm != nullptr && !imm->is_null() && !imm->is_bool())
    errs.push_back(invalidField("immutable", *imm, "must be a boolean"));
  return errs;
}

class SecretStrategy final : public Strategy {
 public:
  void prepareForCreate(json::object& obj) const override { mergeStringData(obj); }

  void prepareForUpdate(json::object& obj, const json::object& old) const override {
    (void)old;
    mergeStringData(obj);
  }

  FieldErrors validate(const json::object& obj) const override { return validateSecret(obj); }

  FieldErrors validateUpdate(const json::object& obj, const json::object& old) const override {
    FieldErrors errs;
    validateImmutableField(obj.if_contains("type"), old.if_contains("type"), "type", errs);
    validateImmutableWhenSet(obj, old, {"data"}, errs);
    FieldErrors rest = validateSecret(obj);
    errs.insert(errs.end(), rest.begin(), rest.end());
    return errs;
  }

  std::vector<TableColumn> tableColumns() const override {
    return {nameColumn(),
            column("Type", "Used to facilitate programmatic handling of secret data."),
            column("Data", "Data contains the secret data."), ageColumn()};
  }

  std::vector<json::value> tableRow(const json::object& obj, TimePoint now) const override {
    const json::object* data = objectField(obj, "data");
    return {json::value(nameOf(obj)), json::value(stringOf(obj.if_contains("type"))),
            json::value(static_cast<std::int64_t>(data != nullptr ? data->size() : 0)),
            json::value(ageOf(obj, now))};
  }

  std::vector<std::string> selectableFieldNames() const override { return {"type"}; }

  void selectableFields(const json::object& obj, SelectableFields& out) const override {
    out.emplace_back("type", std::string(stringOf(obj.if_contains("type"))));
  }
};

}  // namespace

ResourceSpec secretResourceSpec() {
  ResourceSpec s;
  s.group = "";
  s.version = "v1";
  s.kind = "Secret";
  s.plural = "secrets";
  s.singular = "secret";
  s.listKind = "SecretList";
  s.scope = Scope::Namespaced;
  attachSchema(s);
  return s;
}

std::shared_ptr<const Strategy> secretStrategy() {
  return std::make_shared<const SecretStrategy>();
}

}  // namespace apiserver::plugins::core
