// parseListSelectors: the labelSelector / fieldSelector handling of kube-apiserver's ListResource,
// with the Status kube answers for each failure.

#include "selection/list_selectors.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace apiserver::selection {
namespace {

FieldLabelConversion podConversion() {
  FieldLabelConversion c;
  c.fields = {"spec.nodeName",
              "spec.restartPolicy",
              "spec.schedulerName",
              "spec.serviceAccountName",
              "spec.hostNetwork",
              "status.phase",
              "status.podIP",
              "status.podIPs",
              "status.nominatedNodeName"};
  c.aliases = {{"spec.host", "spec.nodeName"}};
  return c;
}

struct Case {
  std::string name;
  std::string labelSelector;
  std::string fieldSelector;
  FieldLabelConversion conversion;
  std::optional<std::string> objectName;
  std::string wantLabels;  // str() of the result
  std::string wantFields;
  std::string error;  // Status message of the 400, "" when ok
};

TEST(ParseListSelectors, Table) {
  const std::vector<Case> cases = {
      {"nothing", "", "", podConversion(), std::nullopt, "", "", ""},
      {"kubectl -l (sec. 6.3)", "app in (x,z),tier!=db", "", podConversion(), std::nullopt,
       "app in (x,z),tier!=db", "", ""},
      {"kubectl --field-selector", "", "metadata.name=p2", podConversion(), std::nullopt, "",
       "metadata.name=p2", ""},
      {"both", "app=web", "status.phase=Running,spec.nodeName=n1", podConversion(), std::nullopt,
       "app=web", "spec.nodeName=n1,status.phase=Running", ""},
      {"alias converted", "", "spec.host=n1", podConversion(), std::nullopt, "", "spec.nodeName=n1",
       ""},
      {"labelSelector=a%20b", "a b", "", podConversion(), std::nullopt, "", "",
       "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"},
      {"fieldSelector=spec.foo=bar on pods", "", "spec.foo=bar", podConversion(), std::nullopt, "",
       "", "field label not supported: spec.foo"},
      {"fieldSelector=spec.foo=bar on configmaps", "", "spec.foo=bar",
       FieldLabelConversion::defaults(), std::nullopt, "", "",
       "\"spec.foo\" is not a known field selector: only \"metadata.name\", "
       "\"metadata.namespace\""},
      {"field parse error", "", "x", podConversion(), std::nullopt, "", "",
       "invalid selector: 'x'; can't understand 'x'"},
      {"label error reported before field error", "=foo", "x", podConversion(), std::nullopt, "",
       "", "found '=', expected: !, identifier, or 'end of string'"},
      {"field parse error before conversion", "", "spec.foo=bar,x", podConversion(), std::nullopt,
       "", "", "invalid selector: 'spec.foo=bar,x'; can't understand 'x'"},
      {"named watch without field selector", "", "", podConversion(), "web", "",
       "metadata.name=web", ""},
      {"named watch with matching field selector", "", "metadata.name=web", podConversion(), "web",
       "", "metadata.name=web", ""},
      {"named watch with other name", "", "metadata.name=db", podConversion(), "web", "", "",
       "fieldSelector metadata.name doesn't match requested name"},
      {"named watch with other field only", "", "status.phase=Running", podConversion(), "web", "",
       "", "fieldSelector metadata.name doesn't match requested name"},
      {"named watch with dropped term", "", "=", podConversion(), "web", "", "metadata.name=web",
       ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::optional<std::string_view> name;
    if (c.objectName)
      name = *c.objectName;
    auto r = parseListSelectors(c.labelSelector, c.fieldSelector, c.conversion, name);
    if (c.error.empty()) {
      ASSERT_TRUE(r) << r.error().message;
      EXPECT_EQ(r->labels.str(), c.wantLabels);
      EXPECT_EQ(r->fields.str(), c.wantFields);
    } else {
      ASSERT_FALSE(r);
      const ApiError& e = r.error();
      EXPECT_EQ(e.code, 400);
      EXPECT_EQ(e.reason, "BadRequest");
      EXPECT_EQ(e.message, c.error);
      EXPECT_FALSE(e.details.has_value());
    }
  }
}

TEST(ParseListSelectors, StatusBody) {
  auto r = parseListSelectors("x in (a", "", FieldLabelConversion::defaults());
  ASSERT_FALSE(r);
  EXPECT_EQ(boost::json::serialize(r.error().toJson()),
            R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)"
            R"("message":"unable to parse requirement: found '', expected: ',' or ')'",)"
            R"("reason":"BadRequest","code":400})");
}

}  // namespace
}  // namespace apiserver::selection
