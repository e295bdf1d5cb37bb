// Content negotiation: Accept (JSON, YAML, Table, 406), includeObject, and request bodies by
// Content-Type (JSON, YAML, 415, 400).

#include "endpoints/negotiation.h"
#include "server_test_util.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace apiserver::endpoints {
namespace {

namespace json = boost::json;
using servertest::FakeHeaders;
using servertest::makeRequest;

constexpr const char* kKubectlGet =
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/"
    "json;as=Table;v=v1beta1;g=meta.k8s.io,"
    "application/json";

struct AcceptCase {
  std::string name;
  std::string accept;  // "-": no header
  std::string query;
  int code;  // 0: negotiated
  Format format;
  IncludeObject include;
};

void PrintTo(const AcceptCase& c, std::ostream* os) {
  *os << c.name;
}

class Accept : public ::testing::TestWithParam<AcceptCase> {};

TEST_P(Accept, Negotiates) {
  const AcceptCase& c = GetParam();
  FakeHeaders h;
  if (c.accept != "-")
    h.fields.emplace_back("Accept", c.accept);
  Request req = makeRequest("GET", "/api/v1/pods" + c.query, &h);
  auto out = negotiateOutput(req);
  if (c.code != 0) {
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, c.code) << out.error().message;
    if (c.code == 406) {
      EXPECT_EQ(out.error().reason, "NotAcceptable");
      EXPECT_EQ(out.error().message,
                "only the following media types are accepted: application/json, application/yaml, "
                "application/json;as=Table;v=v1;g=meta.k8s.io");
    }
    return;
  }
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(static_cast<int>(out->format), static_cast<int>(c.format));
  EXPECT_EQ(static_cast<int>(out->include), static_cast<int>(c.include));
}

constexpr auto J = Format::Json;
constexpr auto Y = Format::Yaml;
constexpr auto T = Format::Table;
constexpr auto M = IncludeObject::Metadata;

INSTANTIATE_TEST_SUITE_P(
    Negotiation, Accept,
    ::testing::Values(
        AcceptCase{"NoHeader", "-", "", 0, J, M}, AcceptCase{"Empty", "", "", 0, J, M},
        AcceptCase{"Blank", "   ", "", 0, J, M},
        AcceptCase{"Json", "application/json", "", 0, J, M},
        AcceptCase{"JsonWithCharset", "application/json; charset=utf-8", "", 0, J, M},
        AcceptCase{"Yaml", "application/yaml", "", 0, Y, M},
        AcceptCase{"CaseInsensitiveType", "Application/JSON", "", 0, J, M},
        AcceptCase{"KubectlGet", kKubectlGet, "", 0, T, M},
        AcceptCase{"TableV1beta1", "application/json;as=Table;v=v1beta1;g=meta.k8s.io", "", 0, T,
                   M},
        AcceptCase{"TableWithSpaces", "application/json ; as=Table ; g=meta.k8s.io ; v=v1", "", 0,
                   T, M},
        AcceptCase{"TableUnknownVersionFallsBack",
                   "application/json;as=Table;v=v2;g=meta.k8s.io, application/json", "", 0, J, M},
        AcceptCase{"TableWithoutGroupIsNotOffered", "application/json;as=Table", "", 406, J, M},
        AcceptCase{"PartialObjectMetadataNotOffered",
                   "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1", "", 406, J, M},
        AcceptCase{
            "PartialObjectMetadataThenJson",
            "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json", "",
            0, J, M},
        AcceptCase{"ProtobufThenJson", "application/vnd.kubernetes.protobuf,application/json", "",
                   0, J, M},
        AcceptCase{"ProtobufOnly", "application/vnd.kubernetes.protobuf", "", 406, J, M},
        AcceptCase{"HtmlOnly", "text/html", "", 406, J, M},
        AcceptCase{"Anything", "*/*", "", 0, J, M},
        AcceptCase{"AnyApplication", "application/*", "", 0, J, M},
        AcceptCase{"JsonThenAnything", "application/json, */*", "", 0, J, M},
        AcceptCase{"TableThenAnything", "application/json;as=Table;v=v1;g=meta.k8s.io, */*", "", 0,
                   T, M},
        AcceptCase{"IncludeNone", kKubectlGet, "?includeObject=None", 0, T, IncludeObject::None},
        AcceptCase{"IncludeObject", kKubectlGet, "?includeObject=Object", 0, T,
                   IncludeObject::Object},
        AcceptCase{"IncludeMetadata", kKubectlGet, "?includeObject=Metadata", 0, T, M},
        AcceptCase{"IncludeEmpty", kKubectlGet, "?includeObject=", 0, T, M},
        AcceptCase{"IncludeBogus", kKubectlGet, "?includeObject=Everything", 400, J, M}),
    [](const ::testing::TestParamInfo<AcceptCase>& info) { return info.param.name; });

TEST(AcceptQuality, QualityValuesOrderTheRanges) {
  struct Case {
    std::string accept;
    Format want;
  };
  for (const auto& c : std::vector<Case>{{"application/yaml;q=0.5, application/json", J},
                                         {"application/yaml;q=0, application/json;q=0.1", J},
                                         {"application/json;q=0.2, application/yaml;q=0.9", Y}}) {
    SCOPED_TRACE(c.accept);
    FakeHeaders h;
    h.fields.emplace_back("Accept", c.accept);
    auto out = negotiateOutput(makeRequest("GET", "/api/v1/pods", &h));
    ASSERT_TRUE(out);
    EXPECT_EQ(static_cast<int>(out->format), static_cast<int>(c.want));
  }
}

TEST(IncludeObject, BogusValueMessage) {
  auto out = negotiateOutput(makeRequest("GET", "/api/v1/pods?includeObject=All"));
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().reason, "BadRequest");
  EXPECT_EQ(out.error().message,
            "includeObject: Unsupported value: \"All\": supported values: \"Metadata\", \"None\", "
            "\"Object\"");
}

// ---------------------------------------------------------------- bodies

struct BodyCase {
  std::string name;
  std::string contentType;  // "-": no header
  std::string body;
  int code;              // 0: decoded
  std::string wantJson;  // the decoded object, or a substring of the error message
};

void PrintTo(const BodyCase& c, std::ostream* os) {
  *os << c.name;
}

class Body : public ::testing::TestWithParam<BodyCase> {};

TEST_P(Body, Decodes) {
  const BodyCase& c = GetParam();
  FakeHeaders h;
  if (c.contentType != "-")
    h.fields.emplace_back("Content-Type", c.contentType);
  Request req = makeRequest("POST", "/api/v1/namespaces/ns/pods", &h);
  req.body = c.body;
  auto obj = decodeBody(req);
  if (c.code != 0) {
    ASSERT_FALSE(obj);
    EXPECT_EQ(obj.error().code, c.code) << obj.error().message;
    EXPECT_NE(obj.error().message.find(c.wantJson), std::string::npos) << obj.error().message;
    return;
  }
  ASSERT_TRUE(obj) << obj.error().message;
  EXPECT_EQ(json::value(*obj), json::parse(c.wantJson)) << json::serialize(*obj);
}

INSTANTIATE_TEST_SUITE_P(
    Negotiation, Body,
    ::testing::Values(
        BodyCase{"JsonWithoutContentType", "-", R"({"kind":"Pod"})", 0, R"({"kind":"Pod"})"},
        BodyCase{"Json", "application/json", R"({"a":[1,2.5,true,null]})", 0,
                 R"({"a":[1,2.5,true,null]})"},
        BodyCase{"JsonWithCharset", "application/json; charset=utf-8", R"({"a":"b"})", 0,
                 R"({"a":"b"})"},
        BodyCase{"JsonUpperCase", "Application/Json", R"({"a":"b"})", 0, R"({"a":"b"})"},
        BodyCase{"EmptyContentTypeIsJson", "", R"({"a":"b"})", 0, R"({"a":"b"})"},
        BodyCase{"Yaml", "application/yaml",
                 "kind: Pod\nmetadata:\n  name: web\nspec:\n  replicas: 3\n  enabled: yes\n", 0,
                 R"({"kind":"Pod","metadata":{"name":"web"},"spec":{"replicas":3,"enabled":true}})"},
        BodyCase{"YamlThatIsJson", "application/yaml", R"({"kind": "Pod", "n": 1})", 0,
                 R"({"kind":"Pod","n":1})"},
        BodyCase{"UnsupportedType", "text/plain", "kind: Pod", 415,
                 "the body of the request was in an unknown format - accepted media types include: "
                 "application/json, "
                 "application/yaml, application/vnd.kubernetes.protobuf"},
        BodyCase{"PatchTypeIsNotABody", "application/merge-patch+json", "{}", 415,
                 "unknown format"},
        BodyCase{"FormIsNotABody", "application/x-www-form-urlencoded", "a=b", 415,
                 "unknown format"},
        BodyCase{"EmptyBody", "application/json", "", 400, "the request body is empty"},
        BodyCase{"BrokenJson", "application/json", R"({"a":)", 400,
                 "couldn't get version/kind; json parse error"},
        BodyCase{"TrailingGarbage", "application/json", R"({"a":1} x)", 400, "json parse error"},
        BodyCase{"JsonArray", "application/json", "[1,2]", 400, "must be a JSON object"},
        BodyCase{"JsonString", "application/json", R"("pod")", 400, "must be a JSON object"},
        BodyCase{"InvalidUtf8", "application/json", "{\"a\":\"\xff\xfe\"}", 400,
                 "json parse error"},
        BodyCase{"BrokenYaml", "application/yaml", "a: [1, 2\nb: c\n", 400,
                 "error converting YAML to JSON: yaml: line"},
        BodyCase{"YamlScalar", "application/yaml", "just a string", 400, "must be a JSON object"},
        BodyCase{"YamlList", "application/yaml", "- a\n- b\n", 400, "must be a JSON object"},
        BodyCase{"BrokenProtobuf", "application/vnd.kubernetes.protobuf", "not protobuf", 400, ""}),
    [](const ::testing::TestParamInfo<BodyCase>& info) { return info.param.name; });

TEST(Encode, JsonAndYaml) {
  json::value v = json::parse(R"({"kind":"Pod","metadata":{"name":"web"},"n":1,"s":"true"})");
  Response j = encode(201, v, Output{Format::Json, IncludeObject::Metadata});
  EXPECT_EQ(j.status, 201);
  EXPECT_EQ(j.contentType, "application/json");
  ASSERT_EQ(j.body.size(), 1u);
  EXPECT_EQ(json::parse(*j.body[0]), v);

  Response y = encode(200, v, Output{Format::Yaml, IncludeObject::Metadata});
  EXPECT_EQ(y.contentType, "application/yaml");
  ASSERT_EQ(y.body.size(), 1u);
  EXPECT_NE(y.body[0]->find("kind: Pod"), std::string::npos) << *y.body[0];
  EXPECT_NE(y.body[0]->find("s: \"true\""), std::string::npos)
      << "a string that reads as a bool is quoted";
}

TEST(MediaTypeOf, StripsParametersAndSpace) {
  EXPECT_EQ(mediaTypeOf("application/json"), "application/json");
  EXPECT_EQ(mediaTypeOf("application/json; charset=utf-8"), "application/json");
  EXPECT_EQ(mediaTypeOf("  application/yaml ;x=y"), "application/yaml");
  EXPECT_EQ(mediaTypeOf(""), "");
}

}  // namespace
}  // namespace apiserver::endpoints
