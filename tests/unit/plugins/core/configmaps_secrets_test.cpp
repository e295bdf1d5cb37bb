#include "core/resources/configmaps.h"
#include "core/resources/secrets.h"
#include "core/util/validation.h"
#include "test_support.h"

#include <gtest/gtest.h>

namespace apiserver::plugins::core {
namespace {

using testing::cells;
using testing::columnNames;
using testing::hasError;
using testing::obj;
using testing::render;

struct Case {
  std::string name;
  std::string object;   // JSON of the object's fields besides metadata
  std::string field;    // expected error field ("" = valid)
  std::string message;  // expected substring of "<field>: <message>"
};

void runCases(const Strategy& strategy, const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    json::object o = obj(c.object);
    o["metadata"] = obj(R"({"name":"x","namespace":"default"})");
    strategy.prepareForCreate(o);
    FieldErrors errs = strategy.validate(o);
    if (c.field.empty()) {
      EXPECT_TRUE(errs.empty()) << render(errs);
    } else {
      EXPECT_TRUE(hasError(errs, c.field, c.message)) << "got:\n" << render(errs);
    }
  }
}

TEST(ConfigMapValidation, Rules) {
  std::string big(kMaxSecretSize / 2 + 1, 'a');
  runCases(
      *configMapStrategy(),
      {
          {"valid",
           R"({"data":{"app.properties":"x=1","KEY_NAME":"v","key-name":""},"binaryData":{"logo.png":"iVBORw0K"}})",
           "", ""},
          {"bad key", R"({"data":{"bad key":"v"}})", "data[bad key]",
           "data[bad key]: Invalid value: \"bad key\": a valid config key must consist of "
           "alphanumeric "
           "characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex "
           "used "
           "for validation is '[-._a-zA-Z0-9]+')"},
          {"dot dot key", R"({"data":{"..data":"v"}})", "data[..data]", "must not start with '..'"},
          {"dot key", R"({"binaryData":{".":"AA=="}})", "binaryData[.]", "must not be '.'"},
          {"empty key", R"({"data":{"":"v"}})", "data[]", "a valid config key must consist of"},
          {"key in both", R"({"data":{"k":"v"},"binaryData":{"k":"AA=="}})", "data[k]",
           "Invalid value: \"k\": duplicate of key present in binaryData"},
          {"binary not base64", R"({"binaryData":{"k":"not base64!"}})", "binaryData[k]",
           "illegal base64 data at input byte 3"},
          {"too big", R"({"data":{"a":")" + big + R"(","b":")" + big + R"("}})", "[]",
           "[]: Too long: must have at most 1048576 bytes"},
          {"non-string value", R"({"data":{"n":1}})", "data[n]", "must be a string"},
      });
}

TEST(ConfigMapValidation, Immutable) {
  auto s = configMapStrategy();
  json::object old = obj(R"({"metadata":{"name":"x"},"data":{"a":"1"},"immutable":true})");
  struct UpdateCase {
    std::string name;
    std::string object;
    std::vector<std::string> fields;  // expected Forbidden fields
  };
  const std::vector<UpdateCase> cases = {
      {"labels only",
       R"({"metadata":{"name":"x","labels":{"a":"b"}},"data":{"a":"1"},"immutable":true})",
       {}},
      {"data change", R"({"metadata":{"name":"x"},"data":{"a":"2"},"immutable":true})", {"data"}},
      {"binary data added",
       R"({"metadata":{"name":"x"},"data":{"a":"1"},"binaryData":{"b":"AA=="},"immutable":true})",
       {"binaryData"}},
      {"unset immutable", R"({"metadata":{"name":"x"},"data":{"a":"1"}})", {"immutable"}},
      {"both", R"({"metadata":{"name":"x"},"data":{},"immutable":false})", {"immutable", "data"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    FieldErrors errs = s->validateUpdate(obj(c.object), old);
    std::vector<std::string> got;
    for (const auto& e : errs) {
      got.push_back(e.field);
      EXPECT_EQ(e.body(), "Forbidden: field is immutable when `immutable` is set");
    }
    EXPECT_EQ(got, c.fields) << render(errs);
  }
  // A mutable config map may change freely.
  json::object mutableOld = obj(R"({"metadata":{"name":"x"},"data":{"a":"1"}})");
  EXPECT_TRUE(
      s->validateUpdate(obj(R"({"metadata":{"name":"x"},"data":{"a":"2"},"immutable":true})"),
                        mutableOld)
          .empty());
}

TEST(ConfigMapTable, Row) {
  EXPECT_EQ(columnNames(configMapStrategy()->tableColumns()),
            (std::vector<std::string>{"Name", "Data", "Age"}));
  json::object cm = obj(R"({"metadata":{"name":"cfg","creationTimestamp":"2024-01-01T09:00:00Z"},
    "data":{"a":"1","b":"2"},"binaryData":{"c":"AA=="}})");
  auto row = configMapStrategy()->tableRow(cm, testing::now());
  EXPECT_EQ(cells(row), (std::vector<std::string>{"cfg", "3", "3h"}));
  EXPECT_TRUE(row[1].is_int64());
}

TEST(SecretDefaults, TypeAndStringData) {
  json::object s = obj(R"({"metadata":{"name":"s"},"data":{"a":"b2xk","keep":"eA=="},
    "stringData":{"a":"new","user":"admin"}})");
  secretStrategy()->prepareForCreate(s);
  EXPECT_EQ(s.at("type"), "Opaque");
  EXPECT_FALSE(s.contains("stringData"));
  EXPECT_EQ(s.at("data"), json::parse(R"({"a":"bmV3","keep":"eA==","user":"YWRtaW4="})"));

  json::object typed = obj(
      R"({"metadata":{"name":"s"},"type":"kubernetes.io/tls","stringData":{"tls.crt":"c","tls.key":"k"}})");
  json::object old = typed;
  secretStrategy()->prepareForUpdate(typed, old);
  EXPECT_EQ(typed.at("type"), "kubernetes.io/tls");
  EXPECT_EQ(typed.at("data"), json::parse(R"({"tls.crt":"Yw==","tls.key":"aw=="})"));
}

TEST(SecretValidation, Rules) {
  std::string big(699052, 'A');  // valid base64 of 524289 bytes: two of them exceed 1 MiB
  runCases(
      *secretStrategy(),
      {
          {"valid opaque", R"({"data":{"password":"c2VjcmV0"}})", "", ""},
          {"newlines are ignored as in Go", R"({"data":{"k":"c2Vj\ncmV0"}})", "", ""},
          {"bad base64", R"({"data":{"k":"abc$"}})", "data[k]",
           "data[k]: Invalid value: \"<secret contents redacted>\": illegal base64 data at input "
           "byte 3"},
          {"missing padding", R"({"data":{"k":"YWJjZA"}})", "data[k]",
           "illegal base64 data at input byte 4"},
          {"bad key", R"({"data":{"a/b":"eA=="}})", "data[a/b]",
           "a valid config key must consist of"},
          {"stringData with bad key", R"({"stringData":{"a b":"x"}})", "data[a b]",
           "a valid config key"},
          {"too big", R"({"data":{"a":")" + big + R"(","b":")" + big + R"("}})", "data",
           "data: Too long: must have at most 1048576 bytes"},
          {"tls ok", R"({"type":"kubernetes.io/tls","data":{"tls.crt":"eA==","tls.key":"eA=="}})",
           "", ""},
          {"tls without key", R"({"type":"kubernetes.io/tls","data":{"tls.crt":"eA=="}})",
           "data[tls.key]", "data[tls.key]: Required value"},
          {"tls without cert", R"({"type":"kubernetes.io/tls","data":{"tls.key":"eA=="}})",
           "data[tls.crt]", "Required value"},
          {"dockerconfigjson missing", R"({"type":"kubernetes.io/dockerconfigjson","data":{}})",
           "data[.dockerconfigjson]", "data[.dockerconfigjson]: Required value"},
          {"dockerconfigjson not json",
           R"({"type":"kubernetes.io/dockerconfigjson","data":{".dockerconfigjson":"bm9wZQ=="}})",
           "data[.dockerconfigjson]", "Invalid value: \"<secret contents redacted>\""},
          {"dockerconfigjson ok",
           R"({"type":"kubernetes.io/dockerconfigjson","data":{".dockerconfigjson":"eyJhdXRocyI6e319"}})",
           "", ""},
          {"service account token", R"({"type":"kubernetes.io/service-account-token"})",
           "metadata.annotations[kubernetes.io/service-account.name]", "Required value"},
          {"basic auth", R"({"type":"kubernetes.io/basic-auth","data":{}})", "data[username]",
           "Required value"},
          {"basic auth password only",
           R"({"type":"kubernetes.io/basic-auth","data":{"password":"eA=="}})", "", ""},
          {"ssh auth", R"({"type":"kubernetes.io/ssh-auth","data":{"ssh-privatekey":""}})",
           "data[ssh-privatekey]", "Required value"},
      });
}

TEST(SecretValidation, TypeAndImmutable) {
  auto s = secretStrategy();
  json::object old =
      obj(R"({"metadata":{"name":"s"},"type":"Opaque","data":{"a":"eA=="},"immutable":true})");
  json::object retyped = obj(R"({"metadata":{"name":"s"},"type":"kubernetes.io/tls",
    "data":{"a":"eA==","tls.crt":"eA==","tls.key":"eA=="},"immutable":true})");
  FieldErrors errs = s->validateUpdate(retyped, old);
  EXPECT_TRUE(
      hasError(errs, "type", "type: Invalid value: \"kubernetes.io/tls\": field is immutable"))
      << render(errs);
  EXPECT_TRUE(hasError(errs, "data", "data: Forbidden: field is immutable when `immutable` is set"))
      << render(errs);
  json::object same = old;
  EXPECT_TRUE(s->validateUpdate(same, old).empty());
}

TEST(SecretTableAndFields, RowAndTypeSelector) {
  EXPECT_EQ(columnNames(secretStrategy()->tableColumns()),
            (std::vector<std::string>{"Name", "Type", "Data", "Age"}));
  json::object s = obj(R"({"metadata":{"name":"tls","creationTimestamp":"2024-01-01T11:59:30Z"},
    "type":"kubernetes.io/tls","data":{"tls.crt":"eA==","tls.key":"eA=="}})");
  EXPECT_EQ(cells(secretStrategy()->tableRow(s, testing::now())),
            (std::vector<std::string>{"tls", "kubernetes.io/tls", "2", "30s"}));
  EXPECT_EQ(secretStrategy()->selectableFieldNames(), std::vector<std::string>{"type"});
  EXPECT_EQ(testing::fields(*secretStrategy(), s),
            (std::map<std::string, std::string>{{"type", "kubernetes.io/tls"}}));
}

}  // namespace
}  // namespace apiserver::plugins::core
