// Rule matching and rule comparison, table-driven from kube's tests:
// plugin/pkg/auth/authorizer/rbac/rbac_test.go (TestRuleMatches) and
// pkg/registry/rbac/validation/policy_comparator_test.go (the Covers cases).
#include "test_support.h"

#include "rbac/rules.h"

#include <gtest/gtest.h>

namespace apiserver::plugins::rbac {
namespace {

using testing::newRule;
using testing::pathRequest;
using testing::resourceRequest;
using testing::user;

struct MatchCase {
  std::string verb, group, resource, subresource, path;
  bool resourceRequest;
  bool expected;
};

MatchCase res(std::string verb, std::string group, std::string resource, bool expected, std::string sub = "") {
  return {std::move(verb), std::move(group), std::move(resource), std::move(sub), "", true, expected};
}
MatchCase url(std::string verb, std::string path, bool expected) {
  return {std::move(verb), "", "", "", std::move(path), false, expected};
}

void expectMatches(const PolicyRule& rule, const std::vector<MatchCase>& cases, const std::string& name) {
  for (const auto& c : cases) {
    testing::Attrs a = c.resourceRequest ? resourceRequest(user("u"), c.verb, c.resource, c.subresource, "ns", c.group)
                                         : pathRequest(user("u"), c.verb, c.path);
    EXPECT_EQ(ruleAllows(a.view(), rule), c.expected)
        << name << ": " << c.verb << " " << c.group << "/" << c.resource << "/" << c.subresource << " " << c.path;
  }
}

TEST(RuleMatches, StarVerbExactMatchOther) {
  PolicyRule r{{"*"}, {"group1"}, {"resource1"}, {}, {}};
  expectMatches(r,
                {res("verb1", "group1", "resource1", true), res("verb1", "group2", "resource1", false),
                 res("verb1", "group1", "resource2", false), res("verb1", "group2", "resource2", false),
                 res("verb2", "group1", "resource1", true), res("verb2", "group2", "resource1", false),
                 res("verb2", "group1", "resource2", false), res("verb2", "group2", "resource2", false)},
                "star verb");
}

TEST(RuleMatches, StarGroupExactMatchOther) {
  PolicyRule r{{"verb1"}, {"*"}, {"resource1"}, {}, {}};
  expectMatches(r,
                {res("verb1", "group1", "resource1", true), res("verb1", "group2", "resource1", true),
                 res("verb1", "group1", "resource2", false), res("verb1", "group2", "resource2", false),
                 res("verb2", "group1", "resource1", false), res("verb2", "group2", "resource1", false)},
                "star group");
}

TEST(RuleMatches, StarResourceExactMatchOther) {
  PolicyRule r{{"verb1"}, {"group1"}, {"*"}, {}, {}};
  expectMatches(r,
                {res("verb1", "group1", "resource1", true), res("verb1", "group2", "resource1", false),
                 res("verb1", "group1", "resource2", true), res("verb1", "group2", "resource2", false),
                 res("verb2", "group1", "resource1", false)},
                "star resource");
}

TEST(RuleMatches, TupleExpansion) {
  PolicyRule r{{"verb1", "verb2"}, {"group1", "group2"}, {"resource1", "resource2"}, {}, {}};
  std::vector<MatchCase> cases;
  for (const char* v : {"verb1", "verb2"})
    for (const char* g : {"group1", "group2"})
      for (const char* rs : {"resource1", "resource2"}) cases.push_back(res(v, g, rs, true));
  cases.push_back(res("verb3", "group1", "resource1", false));
  expectMatches(r, cases, "tuple expansion");
}

TEST(RuleMatches, SubresourceExpansion) {
  PolicyRule r{{"*"}, {"*"}, {"resource1/subresource1"}, {}, {}};
  expectMatches(r,
                {res("verb1", "group1", "resource1", true, "subresource1"),
                 res("verb1", "group1", "resource1", false, "subresource2"),
                 res("verb1", "group1", "resource2", false, "subresource1"),
                 res("verb1", "group1", "resource1", false)},
                "subresource expansion");
}

TEST(RuleMatches, StarNonResource) {
  PolicyRule r{{"verb1"}, {}, {}, {}, {"*"}};
  expectMatches(r,
                {url("verb1", "/foo", true), url("verb1", "/foo/bar", true), url("verb1", "/foo/baz/one", true),
                 url("verb2", "/foo", false), url("verb2", "/foo/bar", false)},
                "star nonresource");
}

TEST(RuleMatches, StarNonResourceSubpath) {
  PolicyRule r{{"verb1"}, {}, {}, {}, {"/foo/*"}};
  expectMatches(r,
                {url("verb1", "/foo", false), url("verb1", "/foo/bar", true), url("verb1", "/foo/baz", true),
                 url("verb1", "/foo/bar/one", true), url("verb1", "/foo/baz/one", true), url("verb2", "/foo/bar", false)},
                "star nonresource subpath");
}

TEST(RuleMatches, StarVerbExactNonResource) {
  PolicyRule r{{"*"}, {}, {}, {}, {"/foo", "/foo/bar/one"}};
  expectMatches(r,
                {url("verb1", "/foo", true), url("verb1", "/foo/bar", false), url("verb1", "/foo/baz", false),
                 url("verb1", "/foo/bar/one", true), url("verb1", "/foo/baz/one", false), url("verb2", "/foo", true),
                 url("verb2", "/foo/bar/one", true)},
                "star verb exact nonresource");
}

TEST(RuleMatches, ResourceNamesRestrictByName) {
  PolicyRule r{{"get"}, {""}, {"configmaps"}, {"cm1"}, {}};
  auto named = resourceRequest(user("u"), "get", "configmaps", "", "ns", "", "cm1");
  auto other = resourceRequest(user("u"), "get", "configmaps", "", "ns", "", "cm2");
  auto unnamed = resourceRequest(user("u"), "get", "configmaps", "", "ns", "", "");
  EXPECT_TRUE(ruleAllows(named.view(), r));
  EXPECT_FALSE(ruleAllows(other.view(), r));
  EXPECT_FALSE(ruleAllows(unnamed.view(), r));  // a list is not limited to the names
}

TEST(RuleMatches, ResourceRulesNeverMatchPathsAndBack) {
  PolicyRule resources{{"*"}, {"*"}, {"*"}, {}, {}};
  PolicyRule paths{{"*"}, {}, {}, {}, {"*"}};
  auto pods = resourceRequest(user("u"), "get", "pods", "", "ns");
  auto healthz = pathRequest(user("u"), "get", "/healthz");
  EXPECT_TRUE(ruleAllows(pods.view(), resources));
  EXPECT_FALSE(ruleAllows(healthz.view(), resources));
  EXPECT_TRUE(ruleAllows(healthz.view(), paths));
  EXPECT_FALSE(ruleAllows(pods.view(), paths));
}

TEST(AppliesToUser, SubjectKinds) {
  UserInfo alice = user("alice", "devs,system:authenticated");
  UserInfo sa = user("system:serviceaccount:ns1:builder");
  EXPECT_TRUE(appliesToUser(alice, {"User", std::string(kGroupName), "alice", ""}, ""));
  EXPECT_FALSE(appliesToUser(alice, {"User", std::string(kGroupName), "bob", ""}, ""));
  EXPECT_TRUE(appliesToUser(alice, {"Group", std::string(kGroupName), "devs", ""}, ""));
  EXPECT_FALSE(appliesToUser(alice, {"Group", std::string(kGroupName), "ops", ""}, ""));
  // A service account subject defaults to the binding's namespace.
  EXPECT_TRUE(appliesToUser(sa, {"ServiceAccount", "", "builder", ""}, "ns1"));
  EXPECT_FALSE(appliesToUser(sa, {"ServiceAccount", "", "builder", ""}, "ns2"));
  EXPECT_TRUE(appliesToUser(sa, {"ServiceAccount", "", "builder", "ns1"}, "ns2"));
  EXPECT_FALSE(appliesToUser(sa, {"ServiceAccount", "", "builder", ""}, ""));  // cluster binding without namespace
  EXPECT_FALSE(appliesToUser(sa, {"ServiceAccount", "", "build", "ns1"}, ""));
  EXPECT_FALSE(appliesToUser(user("system:serviceaccount:ns1:builder-x"), {"ServiceAccount", "", "builder", "ns1"}, ""));
  EXPECT_FALSE(appliesToUser(alice, {"Robot", "", "alice", ""}, ""));
  EXPECT_EQ(serviceAccountUsername("ns1", "builder"), "system:serviceaccount:ns1:builder");
}

// ---------------------------------------------------------------- Covers (policy_comparator_test.go)

struct CoversCase {
  std::string name;
  std::vector<PolicyRule> owner;
  std::vector<PolicyRule> servant;
  bool covered;
  std::vector<PolicyRule> uncovered;
};

class CoversTest : public ::testing::TestWithParam<CoversCase> {};

TEST_P(CoversTest, Kube) {
  const auto& c = GetParam();
  auto [ok, missing] = covers(c.owner, c.servant);
  EXPECT_EQ(ok, c.covered);
  EXPECT_EQ(missing.size(), c.uncovered.size());
  for (const auto& u : c.uncovered)
    EXPECT_NE(std::find(missing.begin(), missing.end(), u), missing.end()) << compactString(u);
}

PolicyRule r(std::vector<std::string> verbs, std::vector<std::string> groups, std::vector<std::string> resources,
             std::vector<std::string> names = {}, std::vector<std::string> urls = {}) {
  return {std::move(verbs), std::move(groups), std::move(resources), std::move(names), std::move(urls)};
}

INSTANTIATE_TEST_SUITE_P(
    PolicyComparator, CoversTest,
    ::testing::Values(
        CoversCase{"ExactMatch", {r({"get"}, {"v1"}, {"builds"})}, {r({"get"}, {"v1"}, {"builds"})}, true, {}},
        CoversCase{"SubresourceWildcard", {r({"get"}, {"v1"}, {"*/scale"})}, {r({"get"}, {"v1"}, {"foo/scale"})}, true, {}},
        CoversCase{"MultipleRulesCoveringSingleRule",
                   {r({"delete"}, {"v1"}, {"deployments"}), r({"delete"}, {"v1"}, {"builds"}),
                    r({"update"}, {"v1"}, {"builds", "deployments"})},
                   {r({"delete", "update"}, {"v1"}, {"builds", "deployments"})},
                   true,
                   {}},
        CoversCase{"MultipleAPIGroupsCoveringSingleRule",
                   {r({"delete"}, {"group1"}, {"deployments"}), r({"delete"}, {"group1"}, {"builds"}),
                    r({"update"}, {"group1"}, {"builds", "deployments"}), r({"delete"}, {"group2"}, {"deployments"}),
                    r({"delete"}, {"group2"}, {"builds"}), r({"update"}, {"group2"}, {"builds", "deployments"})},
                   {r({"delete", "update"}, {"group1", "group2"}, {"builds", "deployments"})},
                   true,
                   {}},
        CoversCase{"SingleAPIGroupsCoveringMultiple",
                   {r({"delete", "update"}, {"group1", "group2"}, {"builds", "deployments"})},
                   {r({"delete"}, {"group1"}, {"deployments"}), r({"delete"}, {"group1"}, {"builds"}),
                    r({"update"}, {"group1"}, {"builds", "deployments"}), r({"delete"}, {"group2"}, {"deployments"}),
                    r({"delete"}, {"group2"}, {"builds"}), r({"update"}, {"group2"}, {"builds", "deployments"})},
                   true,
                   {}},
        CoversCase{"MultipleRulesMissingSingleVerbResourceCombination",
                   {r({"delete", "update"}, {"v1"}, {"builds", "deployments"}), r({"delete"}, {"v1"}, {"pods"})},
                   {r({"delete", "update"}, {"v1"}, {"builds", "deployments", "pods"})},
                   false,
                   {r({"update"}, {"v1"}, {"pods"})}},
        CoversCase{"APIGroupStarCoveringMultiple", {r({"get"}, {"*"}, {"roles"})},
                   {r({"get"}, {"group1", "group2"}, {"roles"})}, true, {}},
        CoversCase{"EnumerationNotCoveringAPIGroupStar", {r({"get"}, {"dummy-group"}, {"roles"})},
                   {r({"get"}, {"*"}, {"roles"})}, false, {r({"get"}, {"*"}, {"roles"})}},
        CoversCase{"APIGroupStarCoveringStar", {r({"get"}, {"*"}, {"roles"})}, {r({"get"}, {"*"}, {"roles"})}, true, {}},
        CoversCase{"VerbStarCoveringMultiple", {r({"*"}, {"v1"}, {"roles"})}, {r({"watch", "list"}, {"v1"}, {"roles"})},
                   true, {}},
        CoversCase{"EnumerationNotCoveringVerbStar", {r({"get", "list", "watch", "create", "update", "delete", "exec"}, {"v1"}, {"roles"})},
                   {r({"*"}, {"v1"}, {"roles"})}, false, {r({"*"}, {"v1"}, {"roles"})}},
        CoversCase{"VerbStarCoveringStar", {r({"*"}, {"v1"}, {"roles"})}, {r({"*"}, {"v1"}, {"roles"})}, true, {}},
        CoversCase{"ResourceStarCoveringMultiple", {r({"get"}, {"v1"}, {"*"})}, {r({"get"}, {"v1"}, {"resourcegroup:deployments"})},
                   true, {}},
        CoversCase{"EnumerationNotCoveringResourceStar", {r({"get"}, {"v1"}, {"roles", "resourcegroup:deployments"})},
                   {r({"get"}, {"v1"}, {"*"})}, false, {r({"get"}, {"v1"}, {"*"})}},
        CoversCase{"ResourceStarCoveringStar", {r({"get"}, {"v1"}, {"*"})}, {r({"get"}, {"v1"}, {"*"})}, true, {}},
        CoversCase{"ResourceNameEmptyCoveringMultiple", {r({"get"}, {"v1"}, {"pods"}, {})},
                   {r({"get"}, {"v1"}, {"pods"}, {"foo", "bar"})}, true, {}},
        CoversCase{"EnumerationNotCoveringResourceNameEmpty", {r({"get"}, {"v1"}, {"pods"}, {"foo", "bar"})},
                   {r({"get"}, {"v1"}, {"pods"}, {})}, false, {r({"get"}, {"v1"}, {"pods"})}},
        CoversCase{"NonResourceURLs", {r({"get"}, {}, {}, {}, {"/apis"})}, {r({"get"}, {}, {}, {}, {"/apis"})}, true, {}},
        CoversCase{"NonResourceURLsStar", {r({"get"}, {}, {}, {}, {"*"})},
                   {r({"get"}, {}, {}, {}, {"/apis", "/apis/v1", "/"})}, true, {}},
        CoversCase{"NonResourceURLsStarAfterPrefixDoesntCover", {r({"get"}, {}, {}, {}, {"/apis/*"})},
                   {r({"get"}, {}, {}, {}, {"/apis", "/apis/v1"})}, false, {r({"get"}, {}, {}, {}, {"/apis"})}},
        CoversCase{"NonResourceURLsStarAfterPrefix", {r({"get"}, {}, {}, {}, {"/apis/*"})},
                   {r({"get"}, {}, {}, {}, {"/apis/v1", "/apis/v1/foo"})}, true, {}},
        CoversCase{"NonResourceURLsWithOtherFields", {r({"get"}, {""}, {"builds"}, {}, {"/apis"})},
                   {r({"get"}, {}, {}, {}, {"/apis"})}, true, {}},
        CoversCase{"NonResourceURLsWithOtherFieldsFailure", {r({"get"}, {""}, {"builds"})},
                   {r({"get"}, {}, {}, {}, {"/apis"})}, false, {r({"get"}, {}, {}, {}, {"/apis"})}}),
    [](const auto& info) { return info.param.name; });

TEST(CompactRules, MergesVerbsOfSimpleRules) {
  auto compacted = compactRules({r({"get"}, {""}, {"pods"}), r({"list"}, {""}, {"pods"}), r({"get"}, {""}, {"secrets"}),
                                 r({"get"}, {}, {}, {}, {"/healthz"}), r({"get"}, {""}, {"pods"}, {"a"})});
  ASSERT_EQ(compacted.size(), 4u);
  EXPECT_EQ(compactString(compacted[0]), R"({NonResourceURLs:["/healthz"], Verbs:["get"]})");
  EXPECT_EQ(compactString(compacted[1]), R"({APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]})");
  EXPECT_EQ(compactString(compacted[2]), R"({APIGroups:[""], Resources:["secrets"], Verbs:["get"]})");
  EXPECT_EQ(compactString(compacted[3]), R"({APIGroups:[""], Resources:["pods"], ResourceNames:["a"], Verbs:["get"]})");
}

TEST(BreakdownRule, OneOfEach) {
  auto parts = breakdownRule(r({"get", "list"}, {"", "apps"}, {"pods"}, {"a", "b"}, {}));
  EXPECT_EQ(parts.size(), 8u);
  auto urls = breakdownRule(r({"get", "post"}, {}, {}, {}, {"/a", "/b"}));
  EXPECT_EQ(urls.size(), 4u);
}

TEST(RuleJson, RoundTrip) {
  PolicyRule rule = newRule("get,list", ",apps", "pods,deployments", "");
  rule.resourceNames = {"x"};
  EXPECT_EQ(ruleFromJson(ruleToJson(rule)), rule);
  auto o = ruleToJson(PolicyRule{{"get"}, {}, {}, {}, {"/healthz"}});
  EXPECT_FALSE(o.contains("apiGroups"));
  EXPECT_TRUE(o.contains("verbs"));
}

}  // namespace
}  // namespace apiserver::plugins::rbac
