#include "core/resources/endpoints.h"
#include "core/resources/serviceaccounts.h"
#include "test_support.h"

#include <gtest/gtest.h>

namespace apiserver::plugins::core {
namespace {

using testing::cells;
using testing::columnNames;
using testing::hasError;
using testing::obj;
using testing::render;

TEST(EndpointsTable, FormatsLikeKube) {
  EXPECT_EQ(columnNames(endpointsStrategy()->tableColumns()),
            (std::vector<std::string>{"Name", "Endpoints", "Age"}));
  struct Case {
    std::string name;
    std::string subsets;
    std::string cell;
  };
  const std::vector<Case> cases = {
      {"none", "[]", "<none>"},
      {"two", R"([{"addresses":[{"ip":"10.0.0.1"},{"ip":"10.0.0.2"}],"ports":[{"port":80}]}])",
       "10.0.0.1:80,10.0.0.2:80"},
      {"five addresses",
       R"([{"addresses":[{"ip":"10.0.0.1"},{"ip":"10.0.0.2"},{"ip":"10.0.0.3"},{"ip":"10.0.0.4"},{"ip":"10.0.0.5"}],
        "ports":[{"port":80}]}])",
       "10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 2 more..."},
      {"two ports",
       R"([{"addresses":[{"ip":"10.0.0.1"},{"ip":"10.0.0.2"}],"ports":[{"name":"a","port":80},{"name":"b","port":443}]}])",
       "10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more..."},
      {"headless without ports", R"([{"addresses":[{"ip":"10.0.0.1"}]}])", "10.0.0.1"},
      {"ipv6", R"([{"addresses":[{"ip":"fd00::1"}],"ports":[{"port":80}]}])", "[fd00::1]:80"},
      {"only not-ready addresses",
       R"([{"notReadyAddresses":[{"ip":"10.0.0.1"}],"ports":[{"port":80}]}])", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    json::object ep =
        obj(R"({"metadata":{"name":"web","creationTimestamp":"2024-01-01T11:59:00Z"},"subsets":)" +
            c.subsets + "}");
    EXPECT_EQ(cells(endpointsStrategy()->tableRow(ep, testing::now())),
              (std::vector<std::string>{"web", c.cell, "60s"}));
  }
}

TEST(EndpointsStrategy, DefaultsAndValidation) {
  json::object ep = obj(
      R"({"metadata":{"name":"web"},"subsets":[{"addresses":[{"ip":"10.0.0.1"}],"ports":[{"port":80}]}]})");
  endpointsStrategy()->prepareForCreate(ep);
  EXPECT_EQ(ep.at("subsets").as_array()[0].at("ports").as_array()[0].at("protocol"), "TCP");
  EXPECT_TRUE(endpointsStrategy()->validate(ep).empty())
      << render(endpointsStrategy()->validate(ep));

  struct Case {
    std::string name;
    std::string subsets;
    std::string field;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"no addresses", R"([{"ports":[{"port":80}]}])", "subsets[0]",
       "subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`"},
      {"bad ip", R"([{"addresses":[{"ip":"10.0.0"}]}])", "subsets[0].addresses[0].ip",
       "Invalid value: \"10.0.0\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"},
      {"loopback", R"([{"notReadyAddresses":[{"ip":"127.0.0.1"}]}])",
       "subsets[0].notReadyAddresses[0].ip",
       "may not be in the loopback range (127.0.0.0/8, ::1/128)"},
      {"port names required",
       R"([{"addresses":[{"ip":"10.0.0.1"}],"ports":[{"port":80},{"port":81}]}])",
       "subsets[0].ports[0].name", "Required value"},
      {"port number", R"([{"addresses":[{"ip":"10.0.0.1"}],"ports":[{"port":0}]}])",
       "subsets[0].ports[0].port", "must be between 1 and 65535, inclusive"},
      {"protocol", R"([{"addresses":[{"ip":"10.0.0.1"}],"ports":[{"port":80,"protocol":"ICMP"}]}])",
       "subsets[0].ports[0].protocol", "Unsupported value: \"ICMP\""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    json::object o = obj(R"({"metadata":{"name":"web"},"subsets":)" + c.subsets + "}");
    endpointsStrategy()->prepareForCreate(o);
    FieldErrors errs = endpointsStrategy()->validate(o);
    EXPECT_TRUE(hasError(errs, c.field, c.message)) << render(errs);
  }
}

TEST(ServiceAccountStrategy, TableAndValidation) {
  EXPECT_EQ(columnNames(serviceAccountStrategy()->tableColumns()),
            (std::vector<std::string>{"Name", "Secrets", "Age"}));
  json::object sa =
      obj(R"({"metadata":{"name":"builder","creationTimestamp":"2024-01-01T11:00:00Z"},
    "secrets":[{"name":"builder-token"}]})");
  auto row = serviceAccountStrategy()->tableRow(sa, testing::now());
  EXPECT_EQ(cells(row), (std::vector<std::string>{"builder", "1", "60m"}));
  EXPECT_TRUE(row[1].is_int64());
  EXPECT_TRUE(serviceAccountStrategy()->validate(sa).empty());
  FieldErrors errs = serviceAccountStrategy()->validate(
      obj(R"({"secrets":[{}],"imagePullSecrets":[{"name":"Bad_Name"}]})"));
  EXPECT_TRUE(hasError(errs, "secrets[0].name", "Required value")) << render(errs);
  EXPECT_TRUE(hasError(errs, "imagePullSecrets[0].name", "a lowercase RFC 1123 subdomain"))
      << render(errs);
}

}  // namespace
}  // namespace apiserver::plugins::core
