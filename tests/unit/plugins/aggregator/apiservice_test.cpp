// APIService: kube's apiregistration validation and wording, defaulting, the Table, the typed
// view, base64 as Go decodes it, kube-aware version order and the local priorities.
#include "aggregator/apiservice.h"

#include "fakes.h"

#include <gtest/gtest.h>

namespace apiserver::plugins::aggregator {
namespace {

using testing::obj;

std::string render(const FieldErrors& errs) {
  std::string s;
  for (const auto& e : errs) s += e.str() + "\n";
  return s;
}

json::object remote(std::string_view extraSpec = "") {
  return obj(std::string(R"({"metadata":{"name":"v1alpha1.samples.example.com"},"spec":{"group":"samples.example.com",)"
                         R"("version":"v1alpha1","groupPriorityMinimum":1000,"versionPriority":15,)"
                         R"("service":{"namespace":"default","name":"sample-api","port":8443})") +
             std::string(extraSpec) + "}}");
}

TEST(ApiServiceStrategy, AValidRemoteAndLocalApiServicePass) {
  ApiServiceStrategy s;
  EXPECT_EQ(render(s.validate(remote())), "");
  EXPECT_EQ(render(s.validate(obj(R"({"metadata":{"name":"v1."},"spec":{"group":"","version":"v1",)"
                                  R"("groupPriorityMinimum":18000,"versionPriority":1}})"))),
            "");
}

TEST(ApiServiceStrategy, ValidationIsWordedAsKubes) {
  struct Case {
    std::string name;
    std::string object;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"name must be version.group",
       R"({"metadata":{"name":"v1.wrong"},"spec":{"group":"right","version":"v1","groupPriorityMinimum":1,"versionPriority":1}})",
       "metadata.name: Invalid value: \"v1.wrong\": must be `spec.version+\".\"+spec.group`: \"v1.right\"\n"},
      {"only v1 may have an empty group",
       R"({"metadata":{"name":"v2."},"spec":{"group":"","version":"v2","groupPriorityMinimum":1,"versionPriority":1}})",
       "spec.group: Required value: only v1 may have an empty group and it better be legacy kube\n"},
      {"group is a DNS subdomain",
       R"({"metadata":{"name":"v1.Bad_Group"},"spec":{"group":"Bad_Group","version":"v1","groupPriorityMinimum":1,"versionPriority":1}})",
       "spec.group: Invalid value: \"Bad_Group\": a lowercase RFC 1123 subdomain must consist of lower case "
       "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
       "'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')\n"},
      {"version is a DNS-1035 label",
       R"({"metadata":{"name":"1v.g"},"spec":{"group":"g","version":"1v","groupPriorityMinimum":1,"versionPriority":1}})",
       "spec.version: Invalid value: \"1v\": a DNS-1035 label must consist of lower case alphanumeric characters or "
       "'-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
       "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')\n"},
      {"priorities in range",
       R"({"metadata":{"name":"v1.g"},"spec":{"group":"g","version":"v1","groupPriorityMinimum":20001,"versionPriority":0}})",
       "spec.groupPriorityMinimum: Invalid value: 20001: must be positive and less than 20000\n"
       "spec.versionPriority: Invalid value: 0: must be positive and less than 1000\n"},
      {"local APIServices have no TLS settings",
       R"({"metadata":{"name":"v1.g"},"spec":{"group":"g","version":"v1","groupPriorityMinimum":1,"versionPriority":1,)"
       R"("caBundle":"aGVsbG8=","insecureSkipTLSVerify":true}})",
       "spec.caBundle: Invalid value: \"5 bytes\": local APIServices may not have a caBundle\n"
       "spec.insecureSkipTLSVerify: Invalid value: true: local APIServices may not have insecureSkipTLSVerify\n"},
      {"a service needs namespace and name",
       R"({"metadata":{"name":"v1.g"},"spec":{"group":"g","version":"v1","groupPriorityMinimum":1,"versionPriority":1,)"
       R"("service":{"port":70000}}})",
       "spec.service.namespace: Required value\nspec.service.name: Required value\n"
       "spec.service.port: Invalid value: 70000: port is not valid: must be between 1 and 65535, inclusive\n"},
      {"insecure with a caBundle",
       R"({"metadata":{"name":"v1.g"},"spec":{"group":"g","version":"v1","groupPriorityMinimum":1,"versionPriority":1,)"
       R"("insecureSkipTLSVerify":true,"caBundle":"aGVsbG8=","service":{"namespace":"n","name":"s"}}})",
       "spec.insecureSkipTLSVerify: Invalid value: true: may not be true if caBundle is present\n"},
  };
  ApiServiceStrategy s;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(render(s.validate(obj(c.object))), c.want);
  }
}

TEST(ApiServiceStrategy, CreateClearsStatusAndDefaultsThePort) {
  ApiServiceStrategy s;
  auto o = obj(R"({"metadata":{"name":"v1.g"},"spec":{"group":"g","version":"v1","service":{"namespace":"n","name":"s"}},)"
               R"("status":{"conditions":[{"type":"Available","status":"True"}]}})");
  s.prepareForCreate(o);
  EXPECT_EQ(o.if_contains("status"), nullptr);
  EXPECT_EQ(*int64Field(o, "spec", "service", "port"), 443);
  auto local = obj(R"({"spec":{"group":"g","version":"v1"}})");
  s.prepareForUpdate(local, local);
  EXPECT_EQ(field(local, "spec", "service"), nullptr);
}

TEST(ApiServiceStrategy, StatusConditionsMustBeTrueFalseOrUnknown) {
  ApiServiceStrategy s;
  auto o = obj(R"({"status":{"conditions":[{"type":"Available","status":"Maybe"},{"type":"X","status":"Unknown"}]}})");
  EXPECT_EQ(render(s.validateStatusUpdate(o, o)),
            "status.conditions[0].status: Unsupported value: \"Maybe\": supported values: \"True\", \"False\", "
            "\"Unknown\"\n");
}

TEST(ApiServiceStrategy, TableIsKubes) {
  ApiServiceStrategy s;
  std::vector<std::string> names;
  for (const auto& c : s.tableColumns()) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"Name", "Service", "Available", "Age"}));
  const auto now = *parseTime("2024-01-01T12:00:00Z");
  auto row = [&](const std::string& json) {
    std::vector<std::string> out;
    for (const auto& c : s.tableRow(obj(json), now)) out.emplace_back(c.get_string());
    return out;
  };
  EXPECT_EQ(row(R"({"metadata":{"name":"v1.","creationTimestamp":"2024-01-01T11:00:00Z"},"spec":{"version":"v1"},)"
                R"("status":{"conditions":[{"type":"Available","status":"True","reason":"Local"}]}})"),
            (std::vector<std::string>{"v1.", "Local", "True", "60m"}));
  EXPECT_EQ(row(R"({"metadata":{"name":"v1.g","creationTimestamp":"2024-01-01T11:59:00Z"},)"
                R"("spec":{"service":{"namespace":"ns","name":"api"}},)"
                R"("status":{"conditions":[{"type":"Available","status":"False","reason":"MissingEndpoints"}]}})"),
            (std::vector<std::string>{"v1.g", "ns/api", "False (MissingEndpoints)", "60s"}));
  EXPECT_EQ(row(R"({"metadata":{"name":"v1.g","creationTimestamp":"2024-01-01T12:00:00Z"},"spec":{}})")[2], "Unknown");
  EXPECT_EQ(row(R"({"metadata":{"name":"v1.g"},"status":{"conditions":[{"type":"Available","status":"False"}]}})")[2],
            "False");
}

TEST(ApiServiceView, ReadsTheTypedFields) {
  json::object o = remote(R"(,"insecureSkipTLSVerify":false,"caBundle":"aGVsbG8=")");
  o["status"] = obj(R"({"conditions":[{"type":"Available","status":"False","reason":"Failed","message":"m"}]})");
  const ApiServiceView v = viewOf(o);
  EXPECT_EQ(v.name, "v1alpha1.samples.example.com");
  EXPECT_EQ(v.group, "samples.example.com");
  EXPECT_EQ(v.version, "v1alpha1");
  EXPECT_EQ(v.groupPriorityMinimum, 1000);
  EXPECT_EQ(v.versionPriority, 15);
  ASSERT_TRUE(v.service);
  EXPECT_EQ(v.service->namespace_, "default");
  EXPECT_EQ(v.service->port, 8443);
  EXPECT_EQ(v.caBundle, "hello");
  ASSERT_TRUE(v.available);
  EXPECT_EQ(v.available->reason, "Failed");
  const ApiServiceView bad = viewOf(obj(R"({"spec":{"caBundle":"aGVs!G8="}})"));
  EXPECT_EQ(bad.caBundleError, "illegal base64 data at input byte 4");
}

TEST(KubeVersions, SortAsKubeDocumentsThem) {
  // The example list from APIServiceSpec.versionPriority's documentation.
  std::vector<std::string> v = {"foo10", "v1", "v11alpha2", "v3beta1", "v2", "v12alpha1", "foo1", "v10beta3",
                                "v11beta2", "v10"};
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return compareKubeVersions(a, b) > 0; });
  EXPECT_EQ(v, (std::vector<std::string>{"v10", "v2", "v1", "v11beta2", "v10beta3", "v3beta1", "v12alpha1", "v11alpha2",
                                         "foo1", "foo10"}));
}

TEST(LocalPriority, KubesTableThenTheCustomGroupDefault) {
  EXPECT_EQ(localPriority("", "v1").group, 18000);
  EXPECT_EQ(localPriority("", "v1").version, 1);
  EXPECT_EQ(localPriority("apps", "v1").group, 17800);
  EXPECT_EQ(localPriority("samples.example.com", "v1alpha1").group, 1000);
  EXPECT_EQ(localPriority("samples.example.com", "v1alpha1").version, 100);
}

}  // namespace
}  // namespace apiserver::plugins::aggregator
