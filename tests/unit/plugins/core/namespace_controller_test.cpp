#include "core/controllers/namespace_controller.h"
#include "core/resources/configmaps.h"
#include "core/resources/namespaces.h"
#include "test_support.h"

#include <gtest/gtest.h>

namespace apiserver::plugins::core {
namespace {

using testing::FakeClient;
using testing::NullLogger;
using testing::obj;

TEST(NamespaceStrategy, HoldsDeletionWhileSpecFinalizersRemain) {
  auto s = namespaceStrategy();
  EXPECT_TRUE(s->holdsDeletion(obj(R"({"spec":{"finalizers":["kubernetes"]}})")));
  EXPECT_FALSE(s->holdsDeletion(obj(R"({"spec":{"finalizers":[]}})")));
  EXPECT_FALSE(s->holdsDeletion(obj(R"({"spec":{}})")));
  json::object ns = obj(R"({"status":{"phase":"Active"}})");
  s->prepareForDelete(ns);
  EXPECT_EQ(ns.at("status").at("phase"), "Terminating");
  auto spec = namespaceResourceSpec();
  EXPECT_NE(std::find(spec.subresources.begin(), spec.subresources.end(), "finalize"), spec.subresources.end());
}

TEST(NamespaceController, EmptiesTheNamespaceThenFinalizes) {
  FakeClient client;
  NullLogger log;
  client.specs = {namespaceResourceSpec(), configMapResourceSpec()};
  client.put("namespaces",
             obj(R"({"metadata":{"name":"doomed","deletionTimestamp":"2026-01-01T00:00:00Z"},)"
                 R"("spec":{"finalizers":["kubernetes"]},"status":{"phase":"Terminating"}})"));
  client.put("configmaps", obj(R"({"metadata":{"name":"a","namespace":"doomed"}})"));
  client.put("configmaps", obj(R"({"metadata":{"name":"b","namespace":"other"}})"));

  EXPECT_TRUE(NamespaceController::cleanUp(client, "doomed", log));
  EXPECT_EQ(client.count("configmaps"), 1u);  // only the other namespace's object is left
  EXPECT_EQ(client.lastSubresource, "finalize");
  auto ns = client.get({"", "namespaces"}, "", "doomed");
  ASSERT_TRUE(ns);
  EXPECT_EQ(ns->at("spec").at("finalizers"), json::array());
}

TEST(NamespaceController, RetriesWhileObjectsRemain) {
  FakeClient client;
  NullLogger log;
  client.specs = {configMapResourceSpec()};
  client.failWith = ApiError::serviceUnavailable("storage is down");
  EXPECT_FALSE(NamespaceController::cleanUp(client, "doomed", log));
}

}  // namespace
}  // namespace apiserver::plugins::core
