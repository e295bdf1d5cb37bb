#include "core/config.h"
#include "core/admission/namespace_lifecycle.h"
#include "core/admission/service_allocator.h"
#include "core/registration.h"
#include "core/resources/catalog.h"
#include "test_support.h"

#include <gtest/gtest.h>

namespace apiserver::plugins::core {
namespace {

using testing::FakeRegistrar;

/// section makes a ConfigSection at "plugins.enabled[0].config" from JSON text.
ConfigSection section(std::string_view text) {
  auto locations = std::make_shared<ConfigLocations>();
  (*locations)["plugins.enabled[0].config"] = "apiserver.yaml:10:5";
  (*locations)["plugins.enabled[0].config.resources[1]"] = "apiserver.yaml:11:22";
  return ConfigSection(text.empty() ? json::value() : json::parse(text),
                       "plugins.enabled[0].config", locations);
}

const std::vector<std::string> kAll = {"namespaces", "pods",       "services",
                                       "endpoints",  "configmaps", "secrets",
                                       "nodes",      "events",     "serviceaccounts"};

TEST(CoreConfig, Decoding) {
  struct Case {
    std::string name;
    std::string yaml;  // the section as JSON ("" = absent)
    std::vector<std::string> resources;
    std::vector<std::string> errors;  // expected ConfigError::str() substrings, in order
  };
  const std::vector<Case> cases = {
      {"absent section", "", kAll, {}},
      {"empty mapping", "{}", kAll, {}},
      {"subset keeps catalog order",
       R"({"resources":["pods","namespaces"]})",
       {"namespaces", "pods"},
       {}},
      {"cluster-scoped only", R"({"resources":["nodes"]})", {"nodes"}, {}},
      {"nothing", R"({"resources":[]})", {}, {}},
      {"unknown resource",
       R"({"resources":["namespaces","podz"]})",
       {},
       {"apiserver.yaml:11:22: plugins.enabled[0].config.resources[1]: unsupported resource "
        "\"podz\"; "
        "expected one of \"namespaces\", \"pods\", \"services\", \"endpoints\", \"configmaps\", "
        "\"secrets\", \"nodes\", \"events\", \"serviceaccounts\""}},
      {"duplicate",
       R"({"resources":["namespaces","namespaces"]})",
       {},
       {"plugins.enabled[0].config.resources[1]: resource \"namespaces\" is listed more than "
        "once"}},
      {"namespaces disabled",
       R"({"resources":["pods","nodes","secrets"]})",
       {},
       {"plugins.enabled[0].config.resources: \"namespaces\" must be enabled while namespaced "
        "resources are (pods, secrets)"}},
      {"unknown key",
       R"({"resources":["namespaces"],"extra":true})",
       {},
       {"plugins.enabled[0].config.extra: unknown key; expected one of: resources"}},
      {"not a list",
       R"({"resources":"pods"})",
       {},
       {"plugins.enabled[0].config.resources: expected a list of strings"}},
      {"not a mapping", R"(["pods"])", {}, {"plugins.enabled[0].config: expected a mapping"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = decodeConfig(section(c.yaml));
    if (c.errors.empty()) {
      ASSERT_TRUE(r) << r.error().message;
      EXPECT_EQ(r->resources, c.resources);
      continue;
    }
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, 422);
    for (const auto& e : c.errors)
      EXPECT_NE(r.error().message.find(e), std::string::npos) << r.error().message;
  }
}

TEST(CoreRegistration, RegistersEverythingByDefault) {
  FakeRegistrar registrar;
  auto config = decodeConfig(section(""));
  ASSERT_TRUE(config);
  ASSERT_TRUE(registerCore(registrar, *config));
  std::vector<std::string> plurals;
  for (const auto& [spec, strategy] : registrar.resources) {
    plurals.push_back(spec.plural);
    EXPECT_TRUE(strategy != nullptr);
    EXPECT_EQ(spec.group, "");
    EXPECT_EQ(spec.version, "v1");
    EXPECT_EQ(spec.schemaName, "io.k8s.api.core.v1." + spec.kind);
    EXPECT_EQ(spec.schema.at("x-kubernetes-group-version-kind").as_array()[0].at("kind"),
              spec.kind.c_str());
    EXPECT_FALSE(strategy->tableColumns().empty()) << spec.plural;
  }
  EXPECT_EQ(plurals, kAll);
  ASSERT_EQ(registrar.admission.size(), 2u);
  EXPECT_EQ(registrar.admission[0]->name(), "NamespaceLifecycle");
  EXPECT_EQ(registrar.admission[1]->name(), "ServiceAllocator");
  ASSERT_EQ(registrar.controllers.size(), 2u);
  EXPECT_EQ(registrar.controllers[0]->name(), "SystemNamespaces");
  EXPECT_EQ(registrar.controllers[1]->name(), "NamespaceController");
}

TEST(CoreRegistration, FollowsTheConfiguration) {
  struct Case {
    std::string name;
    std::string yaml;
    std::vector<std::string> admission;
    std::size_t controllers;
  };
  const std::vector<Case> cases = {
      {"no services", R"({"resources":["namespaces","pods"]})", {"NamespaceLifecycle"}, 2},
      {"nodes only", R"({"resources":["nodes"]})", {}, 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    FakeRegistrar registrar;
    auto config = decodeConfig(section(c.yaml));
    ASSERT_TRUE(config) << config.error().message;
    ASSERT_TRUE(registerCore(registrar, *config));
    std::vector<std::string> admission;
    for (const auto& a : registrar.admission)
      admission.emplace_back(a->name());
    EXPECT_EQ(admission, c.admission);
    EXPECT_EQ(registrar.controllers.size(), c.controllers);
  }
}

TEST(CoreRegistration, StopsAtTheFirstRefusal) {
  FakeRegistrar registrar;
  registrar.refuse = "services";
  auto config = decodeConfig(section(""));
  ASSERT_TRUE(config);
  auto r = registerCore(registrar, *config);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("refused services"), std::string::npos);
  EXPECT_EQ(registrar.resources.size(), 2u);  // namespaces, pods
}

TEST(CoreCatalog, ShortNamesAndScopes) {
  struct Case {
    std::string plural;
    std::string kind;
    Scope scope;
    std::vector<std::string> shortNames;
  };
  const std::vector<Case> cases = {
      {"namespaces", "Namespace", Scope::Cluster, {"ns"}},
      {"pods", "Pod", Scope::Namespaced, {"po"}},
      {"services", "Service", Scope::Namespaced, {"svc"}},
      {"endpoints", "Endpoints", Scope::Namespaced, {"ep"}},
      {"configmaps", "ConfigMap", Scope::Namespaced, {"cm"}},
      {"secrets", "Secret", Scope::Namespaced, {}},
      {"nodes", "Node", Scope::Cluster, {"no"}},
      {"events", "Event", Scope::Namespaced, {"ev"}},
      {"serviceaccounts", "ServiceAccount", Scope::Namespaced, {"sa"}},
  };
  ASSERT_EQ(coreResources().size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].plural);
    ResourceSpec s = coreResources()[i].spec();
    EXPECT_EQ(s.plural, cases[i].plural);
    EXPECT_EQ(s.kind, cases[i].kind);
    EXPECT_EQ(s.scope, cases[i].scope);
    EXPECT_EQ(s.shortNames, cases[i].shortNames);
    EXPECT_EQ(s.listKind, cases[i].kind + "List");
  }
}

}  // namespace
}  // namespace apiserver::plugins::core
