#include "core/resources/namespaces.h"
#include "test_support.h"

#include <gtest/gtest.h>

namespace apiserver::plugins::core {
namespace {

using testing::cells;
using testing::columnNames;
using testing::hasError;
using testing::obj;
using testing::render;

TEST(NamespaceStrategy, CreateSetsActivePhaseFinalizerAndNameLabel) {
  struct Case {
    std::string name;
    std::string input;
    std::string wantSpec;
  };
  const std::vector<Case> cases = {
      {"empty spec", R"({"metadata":{"name":"team-a"}})", R"({"finalizers":["kubernetes"]})"},
      {"kubernetes already there",
       R"({"metadata":{"name":"team-a"},"spec":{"finalizers":["kubernetes"]}})",
       R"({"finalizers":["kubernetes"]})"},
      {"other finalizer kept",
       R"({"metadata":{"name":"team-a"},"spec":{"finalizers":["example.com/x"]}})",
       R"({"finalizers":["example.com/x","kubernetes"]})"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    json::object ns = obj(c.input);
    ns["status"] = obj(R"({"phase":"Terminating"})");
    namespaceStrategy()->prepareForCreate(ns);
    EXPECT_EQ(ns.at("status"), json::parse(R"({"phase":"Active"})"));
    EXPECT_EQ(ns.at("spec"), json::parse(c.wantSpec));
    EXPECT_EQ(ns.at("metadata").at("labels").at("kubernetes.io/metadata.name"), "team-a");
    EXPECT_TRUE(namespaceStrategy()->validate(ns).empty())
        << render(namespaceStrategy()->validate(ns));
  }
}

TEST(NamespaceStrategy, UpdateKeepsFinalizersAndForcesTheNameLabel) {
  json::object old = obj(R"({"metadata":{"name":"a","labels":{"kubernetes.io/metadata.name":"a"}},
    "spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}})");
  json::object ns =
      obj(R"({"metadata":{"name":"a","labels":{"kubernetes.io/metadata.name":"b","x":"y"}},
    "spec":{"finalizers":[]}})");
  namespaceStrategy()->prepareForUpdate(ns, old);
  EXPECT_EQ(ns.at("spec"), json::parse(R"({"finalizers":["kubernetes"]})"));
  EXPECT_EQ(ns.at("metadata").at("labels"),
            json::parse(R"({"kubernetes.io/metadata.name":"a","x":"y"})"));
}

TEST(NamespaceStrategy, Validation) {
  struct Case {
    std::string name;
    std::string finalizers;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"standard", R"(["kubernetes","orphan","foregroundDeletion"])", ""},
      {"qualified", R"(["example.com/cleanup"])", ""},
      {"unqualified", R"(["cleanup"])",
       "spec.finalizers: Invalid value: \"cleanup\": name is neither a standard finalizer name nor "
       "is it fully qualified"},
      {"not a qualified name", R"(["example.com/-bad"])",
       "spec.finalizers: Invalid value: \"example.com/-bad\": name part must consist of"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    json::object ns =
        obj(R"({"metadata":{"name":"a"},"spec":{"finalizers":)" + c.finalizers + "}}");
    FieldErrors errs = namespaceStrategy()->validate(ns);
    if (c.message.empty()) {
      EXPECT_TRUE(errs.empty()) << render(errs);
    } else {
      EXPECT_TRUE(hasError(errs, "spec.finalizers", c.message)) << render(errs);
    }
  }
}

TEST(NamespaceStrategy, StatusUpdate) {
  struct Case {
    std::string name;
    std::string ns;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"active", R"({"metadata":{"name":"a"},"status":{"phase":"Active"}})", ""},
      {"terminating without deletion",
       R"({"metadata":{"name":"a"},"status":{"phase":"Terminating"}})",
       "status.Phase: Invalid value: \"Terminating\": may only be 'Active' if `deletionTimestamp` "
       "is empty"},
      {"terminating while deleting",
       R"({"metadata":{"name":"a","deletionTimestamp":"2024-01-01T00:00:00Z"},"status":{"phase":"Terminating"}})",
       ""},
      {"active while deleting",
       R"({"metadata":{"name":"a","deletionTimestamp":"2024-01-01T00:00:00Z"},"status":{"phase":"Active"}})",
       "may only be 'Terminating' if `deletionTimestamp` is not empty"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    json::object ns = obj(c.ns);
    FieldErrors errs = namespaceStrategy()->validateStatusUpdate(ns, ns);
    if (c.message.empty()) {
      EXPECT_TRUE(errs.empty()) << render(errs);
    } else {
      EXPECT_TRUE(hasError(errs, "status.Phase", c.message)) << render(errs);
    }
  }
}

TEST(NamespaceStrategy, TableAndFields) {
  EXPECT_EQ(columnNames(namespaceStrategy()->tableColumns()),
            (std::vector<std::string>{"Name", "Status", "Age"}));
  json::object ns =
      obj(R"({"metadata":{"name":"kube-system","creationTimestamp":"2023-12-30T12:00:00Z"},
    "status":{"phase":"Active"}})");
  EXPECT_EQ(cells(namespaceStrategy()->tableRow(ns, testing::now())),
            (std::vector<std::string>{"kube-system", "Active", "2d"}));
  EXPECT_EQ(
      testing::fields(*namespaceStrategy(), ns),
      (std::map<std::string, std::string>{{"status.phase", "Active"}, {"name", "kube-system"}}));
}

TEST(NamespaceSpec, Resource) {
  ResourceSpec s = namespaceResourceSpec();
  EXPECT_EQ(s.scope, Scope::Cluster);
  EXPECT_EQ(s.nameRule, NameRule::Dns1123Label);
  EXPECT_TRUE(s.returnDeletedObject);
  EXPECT_EQ(s.shortNames, std::vector<std::string>{"ns"});
  EXPECT_EQ(s.subresources, (std::vector<std::string>{"status", "finalize"}));
}

}  // namespace
}  // namespace apiserver::plugins::core
