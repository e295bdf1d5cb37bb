#include "codec/protobuf_decoder.h"

#include "proto/k8s_core_v1.pb.h"
#include "proto/k8s_runtime.pb.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <fstream>
#include <iterator>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>

namespace apiserver::codec {
namespace {

namespace json = boost::json;
namespace core = k8s::io::api::core::v1;

std::string readFile(const std::string& name) {
  std::ifstream in(std::string(CODEC_TESTDATA_DIR) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing test data " << name;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string fromHex(std::string_view hex) {
  std::string out;
  int hi = -1;
  for (char c : hex) {
    int v = -1;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    }
    if (v < 0) {
      continue;  // spaces separate groups
    }
    if (hi < 0) {
      hi = v;
    } else {
      out += static_cast<char>(hi * 16 + v);
      hi = -1;
    }
  }
  return out;
}

/// envelope wraps raw object bytes the way kube's protobuf serializer does.
std::string envelope(std::string_view apiVersion, std::string_view kind, const std::string& raw) {
  k8s::io::apimachinery::pkg::runtime::Unknown u;
  u.mutable_typemeta()->set_apiversion(std::string(apiVersion));
  u.mutable_typemeta()->set_kind(std::string(kind));
  u.set_raw(raw);
  return std::string("k8s\0", 4) + u.SerializeAsString();
}

std::string decodeToString(std::string_view body) {
  auto r = decodeProtobuf(body);
  if (!r) {
    return "ERROR " + std::to_string(r.error().code) + ": " + r.error().message;
  }
  return json::serialize(*r);
}

ApiError decodeError(std::string_view body) {
  auto r = decodeProtobuf(body);
  EXPECT_FALSE(r.has_value()) << "unexpectedly decoded: " << json::serialize(*r);
  if (r) {
    return {};
  }
  return std::move(r).error();
}

// ------------------------------------------------------------------ the protocol doc's bytes

// kubectl-protocol.md 4.1: `kubectl create namespace foo`, byte for byte.
TEST(ProtobufDecoderTest, NamespaceFromProtocolDocHex) {
  const std::string body = fromHex(
      "6b387300 0a0f 0a02 7631 1209 4e616d657370616365 121b"
      " 0a13 0a03 666f6f 1200 1a00 2200 2a00 3200 3800 4200 1200 1a02 0a00"
      " 1a00 2200");
  EXPECT_EQ(decodeToString(body),
            R"({"kind":"Namespace","apiVersion":"v1","metadata":{"name":"foo"}})");
}

// kubectl-protocol.md 4.1: the `--from-literal=a=b` data fragment `12 06 0a 01 'a' 12 01 'b'`
// after a metadata with the same empty fields kubectl writes.
TEST(ProtobufDecoderTest, ConfigMapLiteralFragmentFromProtocolDoc) {
  const std::string raw =
      fromHex("0a11 0a01 78 1200 1a00 2200 2a00 3200 3800 4200") + fromHex("1206 0a01 61 1201 62");
  EXPECT_EQ(decodeToString(envelope("v1", "ConfigMap", raw)),
            R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"x"},"data":{"a":"b"}})");
}

// ------------------------------------------------------------------ captured kubectl bodies

struct Vector {
  std::string name;  ///< testdata/<name>.pb and <name>.json
  friend void PrintTo(const Vector& v, std::ostream* os) { *os << v.name; }
};

class GoldenTest : public testing::TestWithParam<Vector> {};

TEST_P(GoldenTest, DecodesToExpectedJson) {
  const std::string body = readFile(GetParam().name + ".pb");
  std::string expected = readFile(GetParam().name + ".json");
  while (!expected.empty() && (expected.back() == '\n' || expected.back() == '\r')) {
    expected.pop_back();
  }
  // Compared as text: key order (kind, apiVersion, then Go struct order) matters too.
  EXPECT_EQ(decodeToString(body), expected);
  // And the expectation itself must be valid JSON.
  boost::system::error_code ec;
  json::parse(expected, ec);
  EXPECT_FALSE(ec) << ec.message();
}

INSTANTIATE_TEST_SUITE_P(
    KubectlCaptures, GoldenTest,
    testing::Values(
        Vector{"kubectl_create_namespace"}, Vector{"kubectl_create_configmap_literal"},
        Vector{"kubectl_create_configmap_files"}, Vector{"kubectl_create_secret_generic"},
        Vector{"kubectl_create_secret_basic_auth"}, Vector{"kubectl_create_secret_tls"},
        Vector{"kubectl_create_secret_docker_registry"}, Vector{"kubectl_create_serviceaccount"},
        Vector{"kubectl_create_service_clusterip"}, Vector{"kubectl_create_service_headless"},
        Vector{"kubectl_create_service_nodeport"}, Vector{"kubectl_create_service_loadbalancer"},
        Vector{"kubectl_create_service_externalname"}, Vector{"kubectl_create_quota"}),
    [](const testing::TestParamInfo<Vector>& info) { return info.param.name; });

// protoc --encode output (testdata/encode_textproto.sh), independent of the generated C++.
INSTANTIATE_TEST_SUITE_P(ProtocEncoded, GoldenTest,
                         testing::Values(Vector{"textproto_configmap_meta"},
                                         Vector{"textproto_service_full"},
                                         Vector{"textproto_endpoints"}, Vector{"textproto_pod"}),
                         [](const testing::TestParamInfo<Vector>& info) {
                           return info.param.name;
                         });

TEST(ProtobufDecoderTest, CapturedNamespaceMatchesProtocolDoc) {
  EXPECT_EQ(readFile("kubectl_create_namespace.pb"),
            fromHex("6b387300 0a0f 0a02 7631 1209 4e616d657370616365 121b"
                    " 0a13 0a03 666f6f 1200 1a00 2200 2a00 3200 3800 4200 1200 1a02 0a00"
                    " 1a00 2200"));
}

// ------------------------------------------------------------------ rules, via generated messages

TEST(ProtobufDecoderTest, PointerScalarsKeptWhenZeroValueScalarsDropped) {
  core::ServiceAccount sa;
  sa.mutable_metadata()->set_name("sa");
  sa.mutable_metadata()->set_generation(0);    // value field, zero: dropped
  sa.set_automountserviceaccounttoken(false);  // *bool: kept
  sa.add_imagepullsecrets()->set_name("");     // list items always kept
  sa.add_secrets()->set_name("tok");
  EXPECT_EQ(decodeToString(envelope("v1", "ServiceAccount", sa.SerializeAsString())),
            R"({"kind":"ServiceAccount","apiVersion":"v1","metadata":{"name":"sa"},)"
            R"("secrets":[{"name":"tok"}],"imagePullSecrets":[{}],)"
            R"("automountServiceAccountToken":false})");
}

TEST(ProtobufDecoderTest, UnsetPointerStaysAbsent) {
  core::ConfigMap cm;
  cm.mutable_metadata()->set_name("c");
  EXPECT_EQ(decodeToString(envelope("v1", "ConfigMap", cm.SerializeAsString())),
            R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c"}})");
  cm.set_immutable(true);
  EXPECT_EQ(decodeToString(envelope("v1", "ConfigMap", cm.SerializeAsString())),
            R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c"},"immutable":true})");
}

TEST(ProtobufDecoderTest, TimesAndBytes) {
  core::Secret s;
  s.mutable_metadata()->set_name("s");
  s.mutable_metadata()->mutable_creationtimestamp()->set_seconds(-62135596800);  // Go zero time
  s.mutable_metadata()->mutable_deletiontimestamp()->set_seconds(253402300799);  // max
  (*s.mutable_data())["bin"] = std::string("\x00\x01\xff", 3);
  (*s.mutable_data())["empty"] = "";
  (*s.mutable_stringdata())["plain"] = "text";
  EXPECT_EQ(decodeToString(envelope("v1", "Secret", s.SerializeAsString())),
            R"({"kind":"Secret","apiVersion":"v1","metadata":{"name":"s",)"
            R"("deletionTimestamp":"9999-12-31T23:59:59Z"},)"
            R"("data":{"bin":"AAH/","empty":""},"stringData":{"plain":"text"}})");
}

TEST(ProtobufDecoderTest, PreEpochTime) {
  core::Namespace ns;
  ns.mutable_metadata()->set_name("n");
  ns.mutable_metadata()->mutable_creationtimestamp()->set_seconds(-1);
  EXPECT_EQ(decodeToString(envelope("v1", "Namespace", ns.SerializeAsString())),
            R"({"kind":"Namespace","apiVersion":"v1","metadata":{"name":"n",)"
            R"("creationTimestamp":"1969-12-31T23:59:59Z"}})");
}

TEST(ProtobufDecoderTest, NamespaceStatusWithConditionIsKept) {
  core::Namespace ns;
  ns.mutable_metadata()->set_name("n");
  ns.mutable_spec()->add_finalizers("kubernetes");
  ns.mutable_status()->set_phase("Terminating");
  auto* c = ns.mutable_status()->add_conditions();
  c->set_type("NamespaceDeletionContentFailure");
  c->set_status("False");
  c->mutable_lasttransitiontime();  // empty Time: zero, omitted
  EXPECT_EQ(decodeToString(envelope("v1", "Namespace", ns.SerializeAsString())),
            R"({"kind":"Namespace","apiVersion":"v1","metadata":{"name":"n"},)"
            R"("spec":{"finalizers":["kubernetes"]},"status":{"phase":"Terminating",)"
            R"("conditions":[{"type":"NamespaceDeletionContentFailure","status":"False"}]}})");
}

TEST(ProtobufDecoderTest, QuotaScopeSelectorPointerKeptEmpty) {
  core::ResourceQuota q;
  q.mutable_metadata()->set_name("q");
  q.mutable_spec()->mutable_scopeselector();
  (*q.mutable_status()->mutable_used())["pods"].set_string("0");
  EXPECT_EQ(decodeToString(envelope("v1", "ResourceQuota", q.SerializeAsString())),
            R"({"kind":"ResourceQuota","apiVersion":"v1","metadata":{"name":"q"},)"
            R"("spec":{"scopeSelector":{}},"status":{"used":{"pods":"0"}}})");
}

TEST(ProtobufDecoderTest, EnvelopeContentTypeIsIgnoredLikeKube) {
  k8s::io::apimachinery::pkg::runtime::Unknown u;
  u.mutable_typemeta()->set_apiversion("v1");
  u.mutable_typemeta()->set_kind("Namespace");
  u.set_contenttype("application/vnd.kubernetes.protobuf");
  EXPECT_EQ(decodeToString(std::string("k8s\0", 4) + u.SerializeAsString()),
            R"({"kind":"Namespace","apiVersion":"v1"})");
}

TEST(ProtobufDecoderTest, SupportedKinds) {
  EXPECT_TRUE(supportsProtobufKind("v1", "ConfigMap"));
  EXPECT_TRUE(supportsProtobufKind("v1", "Pod"));
  EXPECT_FALSE(supportsProtobufKind("apps/v1", "Deployment"));
  EXPECT_FALSE(supportsProtobufKind("v1", "configmap"));
  EXPECT_TRUE(supportsProtobufKind("rbac.authorization.k8s.io/v1", "ClusterRole"));
  EXPECT_TRUE(supportsProtobufKind("authorization.k8s.io/v1", "SelfSubjectAccessReview"));
  EXPECT_TRUE(supportsProtobufKind("authentication.k8s.io/v1", "SelfSubjectReview"));
  EXPECT_EQ(supportedProtobufKinds().size(), 17u);
}

TEST(ProtobufDecoderTest, KubectlAuthWhoamiBody) {
  // `kubectl auth whoami` sends an empty SelfSubjectReview: metadata {creationTimestamp: {}},
  // status {userInfo: {}} (Go structs held by value are always written).
  EXPECT_EQ(decodeToString(envelope("authentication.k8s.io/v1", "SelfSubjectReview", fromHex("0a02 4200 1202 0a00"))),
            R"({"kind":"SelfSubjectReview","apiVersion":"authentication.k8s.io/v1"})");
  // A client that fills userInfo in gets it decoded (the server answers its own anyway).
  EXPECT_EQ(decodeToString(envelope("authentication.k8s.io/v1", "SelfSubjectReview", fromHex("1207 0a05 0a03 626f62"))),
            R"({"kind":"SelfSubjectReview","apiVersion":"authentication.k8s.io/v1","status":{"userInfo":{"username":"bob"}}})");
}

// ------------------------------------------------------------------ malformed input: 400s

TEST(ProtobufDecoderErrorsTest, EmptyBody) {
  auto e = decodeError("");
  EXPECT_EQ(e.code, 400);
  EXPECT_EQ(e.reason, "BadRequest");
  EXPECT_EQ(e.message, "empty data: the protobuf request body is empty");
}

TEST(ProtobufDecoderErrorsTest, MissingMagic) {
  for (std::string_view body : {std::string_view("{\"kind\":\"Namespace\"}"),
                                std::string_view("k8s"), std::string_view("k8s\x01xyz", 7)}) {
    auto e = decodeError(body);
    EXPECT_EQ(e.code, 400);
    EXPECT_EQ(e.message,
              "provided data does not appear to be a protobuf message, expected prefix "
              "[107 56 115 0]");
  }
}

TEST(ProtobufDecoderErrorsTest, PrefixOnly) {
  auto e = decodeError(std::string_view("k8s\0", 4));
  EXPECT_EQ(e.code, 400);
  EXPECT_EQ(e.message, "empty body: nothing follows the protobuf prefix");
}

TEST(ProtobufDecoderErrorsTest, TruncatedEnvelope) {
  const std::string body = readFile("kubectl_create_namespace.pb");
  // Every strict prefix that cuts inside a length-delimited field must fail cleanly.
  int failures = 0;
  for (std::size_t n = 5; n < body.size(); ++n) {
    auto r = decodeProtobuf(std::string_view(body).substr(0, n));
    if (!r) {
      ++failures;
      EXPECT_EQ(r.error().code, 400) << "n=" << n;
      EXPECT_FALSE(r.error().message.empty());
    }
  }
  EXPECT_GT(failures, 40);
  auto e = decodeError(std::string_view(body).substr(0, 20));
  EXPECT_EQ(e.message,
            "cannot parse the protobuf envelope (runtime.Unknown, 16 bytes after the prefix): "
            "truncated or malformed message");
}

TEST(ProtobufDecoderErrorsTest, GarbageRaw) {
  // A well-formed envelope whose raw object is garbage (a field-0 tag).
  auto e = decodeError(envelope("v1", "ConfigMap", std::string("\x00\xff\xff\xff", 4)));
  EXPECT_EQ(e.code, 400);
  EXPECT_EQ(e.message,
            "protobuf v1/ConfigMap: cannot parse the object (4 bytes): truncated or malformed "
            "message");
  // Raw whose length runs past the end.
  e = decodeError(envelope("v1", "ConfigMap", fromHex("0a7f 0a01")));
  EXPECT_EQ(e.code, 400);
}

TEST(ProtobufDecoderErrorsTest, GarbageEnvelope) {
  auto e = decodeError(std::string("k8s\0", 4) + std::string("\xff\xff\xff\xff\xff", 5));
  EXPECT_EQ(e.code, 400);
  EXPECT_NE(e.message.find("cannot parse the protobuf envelope"), std::string::npos);
}

TEST(ProtobufDecoderErrorsTest, UnknownKind) {
  // The real `kubectl create deployment` body (apps/v1 has no schema here).
  auto e = decodeError(readFile("kubectl_create_deployment.pb"));
  EXPECT_EQ(e.code, 400);
  EXPECT_EQ(e.reason, "BadRequest");
  EXPECT_EQ(e.message,
            "no kind \"Deployment\" is registered for version \"apps/v1\" in the protobuf decoder "
            "(supported: v1/ConfigMap, v1/Endpoints, v1/Namespace, v1/Pod, v1/ResourceQuota, "
            "v1/Secret, v1/Service, v1/ServiceAccount, rbac.authorization.k8s.io/v1/ClusterRole, "
            "rbac.authorization.k8s.io/v1/ClusterRoleBinding, rbac.authorization.k8s.io/v1/Role, "
            "rbac.authorization.k8s.io/v1/RoleBinding, authorization.k8s.io/v1/LocalSubjectAccessReview, "
            "authorization.k8s.io/v1/SelfSubjectAccessReview, authorization.k8s.io/v1/SelfSubjectRulesReview, "
            "authorization.k8s.io/v1/SubjectAccessReview, authentication.k8s.io/v1/SelfSubjectReview); "
            "send the object as application/json");
  e = decodeError(envelope("v2", "Namespace", ""));
  EXPECT_EQ(e.code, 400);
}

TEST(ProtobufDecoderErrorsTest, MissingKindOrVersion) {
  auto e = decodeError(envelope("v1", "", ""));
  EXPECT_EQ(e.message,
            "Object 'Kind' is missing in protobuf envelope {apiVersion: \"v1\", kind: \"\"}");
  e = decodeError(envelope("", "Namespace", ""));
  EXPECT_EQ(e.message,
            "Object 'apiVersion' is missing in protobuf envelope {apiVersion: \"\", kind: "
            "\"Namespace\"}");
}

TEST(ProtobufDecoderErrorsTest, ContentEncodingRejected) {
  k8s::io::apimachinery::pkg::runtime::Unknown u;
  u.mutable_typemeta()->set_apiversion("v1");
  u.mutable_typemeta()->set_kind("Namespace");
  u.set_contentencoding("gzip");
  auto e = decodeError(std::string("k8s\0", 4) + u.SerializeAsString());
  EXPECT_EQ(e.message, "unsupported contentEncoding \"gzip\" in protobuf envelope for Namespace");
}

TEST(ProtobufDecoderErrorsTest, FieldOutsideSchemaIsRejectedNotDropped) {
  core::Container c;
  c.set_name("c");
  // Container.restartPolicyRules (25) is newer than this schema: append it by hand.
  // restartPolicyRules: [{action: "Restart"}]
  const std::string containerField = fromHex("ca01 09 0a07 52657374617274");
  core::Pod withExtra;
  withExtra.mutable_metadata()->set_name("p");
  std::string container = c.SerializeAsString() + containerField;
  std::string spec =
      fromHex("12") + std::string(1, static_cast<char>(container.size())) + container;
  std::string podRaw = withExtra.SerializeAsString() + fromHex("12") +
                       std::string(1, static_cast<char>(spec.size())) + spec;
  auto e = decodeError(envelope("v1", "Pod", podRaw));
  EXPECT_EQ(e.code, 400);
  EXPECT_EQ(e.message,
            "protobuf v1/Pod: field number 25 of k8s.io.api.core.v1.Container (at "
            "spec.containers[0]) is not supported by this server's protobuf decoder; send the "
            "object as application/json");
}

TEST(ProtobufDecoderTest, ZeroValuedUnknownFieldsAreIgnored) {
  // Clients before 1.25 always write ObjectMeta.clusterName (15), usually as "": a zero value
  // carries nothing (it would be omitted from the JSON), so it must not fail the request.
  std::string meta = fromHex("0a03 666f6f") + fromHex("7a00");  // name "foo", clusterName ""
  std::string raw = fromHex("0a") + std::string(1, static_cast<char>(meta.size())) + meta;
  EXPECT_EQ(decodeToString(envelope("v1", "Namespace", raw)),
            R"({"kind":"Namespace","apiVersion":"v1","metadata":{"name":"foo"}})");
  // A varint 0 in an unknown number is equally empty.
  EXPECT_EQ(decodeToString(envelope("v1", "Namespace", raw + fromHex("f80700"))),
            R"({"kind":"Namespace","apiVersion":"v1","metadata":{"name":"foo"}})");
  // A set clusterName would be lost: rejected.
  meta = fromHex("0a03 666f6f") + fromHex("7a01 78");
  raw = fromHex("0a") + std::string(1, static_cast<char>(meta.size())) + meta;
  auto e = decodeError(envelope("v1", "Namespace", raw));
  EXPECT_EQ(e.message,
            "protobuf v1/Namespace: field number 15 of k8s.io.apimachinery.pkg.apis.meta.v1."
            "ObjectMeta (at metadata) is not supported by this server's protobuf decoder; send "
            "the object as application/json");
}

TEST(ProtobufDecoderErrorsTest, InvalidUtf8String) {
  core::ConfigMap cm;
  cm.mutable_metadata()->set_name("c");
  (*cm.mutable_data())["k"] = std::string("\xc3\x28", 2);
  auto e = decodeError(envelope("v1", "ConfigMap", cm.SerializePartialAsString()));
  EXPECT_EQ(e.code, 400);
  EXPECT_EQ(e.message,
            "protobuf v1/ConfigMap: invalid UTF-8 in string at data[\"k\"] (binary data belongs "
            "in a bytes field such as binaryData)");
}

TEST(ProtobufDecoderErrorsTest, TimeOutOfRange) {
  core::Namespace ns;
  ns.mutable_metadata()->mutable_creationtimestamp()->set_seconds(253402300800);
  auto e = decodeError(envelope("v1", "Namespace", ns.SerializeAsString()));
  EXPECT_EQ(e.message,
            "protobuf v1/Namespace: time out of range at metadata.creationTimestamp (seconds "
            "253402300800, nanos 0)");
}

TEST(ProtobufDecoderErrorsTest, BadFieldsV1Json) {
  core::ConfigMap cm;
  auto* mf = cm.mutable_metadata()->add_managedfields();
  mf->mutable_fieldsv1()->set_raw("{not json");
  auto e = decodeError(envelope("v1", "ConfigMap", cm.SerializeAsString()));
  EXPECT_EQ(e.code, 400);
  EXPECT_NE(e.message.find("fieldsV1 at metadata.managedFields[0].fieldsV1 is not valid JSON"),
            std::string::npos)
      << e.message;
}

TEST(ProtobufDecoderErrorsTest, RandomBytesNeverCrash) {
  // Deterministic pseudo-random bodies after a valid prefix and envelope head.
  std::uint32_t x = 12345;
  for (int i = 0; i < 2000; ++i) {
    std::string raw;
    const int n = static_cast<int>(x % 64);
    for (int k = 0; k < n; ++k) {
      x = x * 1664525u + 1013904223u;
      raw += static_cast<char>(x >> 24);
    }
    x = x * 1664525u + 1013904223u;
    (void)decodeProtobuf(envelope("v1", (i % 2) ? "Pod" : "Service", raw));
    (void)decodeProtobuf(std::string("k8s\0", 4) + raw);
  }
  SUCCEED();
}

TEST(ProtobufDecoderErrorsTest, MutatedCapturesNeverCrash) {
  // Every byte of real kubectl bodies replaced by a few values, and every truncation: each
  // result is a value or a 400, never a crash (run under -DAPISERVER_SANITIZE=ON).
  for (const char* name :
       {"kubectl_create_configmap_files.pb", "kubectl_create_service_nodeport.pb",
        "kubectl_create_quota.pb", "textproto_pod.pb"}) {
    const std::string original = readFile(name);
    for (std::size_t i = 0; i < original.size(); ++i) {
      for (unsigned char v : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
        std::string body = original;
        body[i] = static_cast<char>(v);
        auto r = decodeProtobuf(body);
        if (!r) {
          EXPECT_EQ(r.error().code, 400) << name << " byte " << i;
        }
      }
      auto r = decodeProtobuf(std::string_view(original).substr(0, i));
      if (!r) {
        EXPECT_EQ(r.error().code, 400) << name << " cut " << i;
      }
    }
  }
}

}  // namespace
}  // namespace apiserver::codec
