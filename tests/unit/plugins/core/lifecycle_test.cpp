#include "core/admission/namespace_lifecycle.h"
#include "core/controllers/system_namespaces.h"
#include "core/resources/namespaces.h"
#include "core/resources/nodes.h"
#include "core/resources/pods.h"
#include "test_support.h"

#include <gtest/gtest.h>

namespace apiserver::plugins::core {
namespace {

using testing::FakeClient;
using testing::obj;

class LifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_->put("namespaces",
                 obj(R"({"metadata":{"name":"active"},"status":{"phase":"Active"}})"));
    client_->put("namespaces",
                 obj(R"({"metadata":{"name":"leaving"},"status":{"phase":"Terminating"}})"));
  }

  Result<void> run(const ResourceSpec& spec, Operation op, std::string_view ns,
                   std::string_view name) {
    json::object o = obj(R"({"metadata":{}})");
    o["metadata"].as_object()["name"] = name;
    AdmissionAttributes a;
    a.operation = op;
    a.resource = &spec;
    a.namespace_ = ns;
    a.name = name;
    a.object = op == Operation::Delete ? nullptr : &o;
    return step_.admit(a);
  }

  std::shared_ptr<FakeClient> client_ = std::make_shared<FakeClient>();
  NamespaceLifecycle step_{client_};
  ResourceSpec pods_ = podResourceSpec();
  ResourceSpec nodes_ = nodeResourceSpec();
  ResourceSpec namespaces_ = namespaceResourceSpec();
};

TEST_F(LifecycleTest, Decisions) {
  struct Case {
    std::string name;
    const ResourceSpec* resource;
    Operation op;
    std::string ns;
    std::string object;
    int code;  // 0 = admitted
    std::string message;
  };
  const std::vector<Case> cases = {
      {"create in an active namespace", &pods_, Operation::Create, "active", "p", 0, ""},
      {"create in a missing namespace", &pods_, Operation::Create, "foo", "p", 404,
       "namespaces \"foo\" not found"},
      {"create in a terminating namespace", &pods_, Operation::Create, "leaving", "p", 403,
       "pods \"p\" is forbidden: unable to create new content in namespace leaving because it is "
       "being terminated"},
      {"update in a terminating namespace", &pods_, Operation::Update, "leaving", "p", 0, ""},
      {"delete in a missing namespace", &pods_, Operation::Delete, "foo", "p", 0, ""},
      {"cluster-scoped create", &nodes_, Operation::Create, "", "n1", 0, ""},
      {"delete an ordinary namespace", &namespaces_, Operation::Delete, "", "active", 0, ""},
      {"delete default", &namespaces_, Operation::Delete, "", "default", 403,
       "namespaces \"default\" is forbidden: this namespace may not be deleted"},
      {"delete kube-system", &namespaces_, Operation::Delete, "", "kube-system", 403,
       "namespaces \"kube-system\" is forbidden: this namespace may not be deleted"},
      {"delete kube-node-lease", &namespaces_, Operation::Delete, "", "kube-node-lease", 0, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = run(*c.resource, c.op, c.ns, c.object);
    if (c.code == 0) {
      EXPECT_TRUE(r) << r.error().message;
      continue;
    }
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, c.code);
    EXPECT_EQ(r.error().message, c.message);
  }
}

TEST_F(LifecycleTest, ErrorDetails) {
  auto missing = run(pods_, Operation::Create, "foo", "p");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().reason, "NotFound");
  EXPECT_EQ(missing.error().details->kind, "namespaces");
  EXPECT_EQ(missing.error().details->name, "foo");

  auto terminating = run(pods_, Operation::Create, "leaving", "p");
  ASSERT_FALSE(terminating);
  EXPECT_EQ(terminating.error().reason, "Forbidden");
  ASSERT_EQ(terminating.error().details->causes.size(), 1u);
  EXPECT_EQ(terminating.error().details->causes[0].reason, "NamespaceTerminating");
  EXPECT_EQ(terminating.error().details->causes[0].field, "metadata.namespace");
}

TEST_F(LifecycleTest, StorageIsAskedOnlyWhenTheCacheMayBeBehind) {
  // Active in the watch cache: no consistent read.
  EXPECT_TRUE(run(pods_, Operation::Create, "active", "p"));
  EXPECT_EQ(client_->getCalls, 0);
  // Created a moment ago and not in the cache yet: storage has it.
  client_->put("namespaces", obj(R"({"metadata":{"name":"fresh"},"status":{"phase":"Active"}})"));
  client_->lagging("namespaces", "/fresh", std::nullopt);
  EXPECT_TRUE(run(pods_, Operation::Create, "fresh", "p"));
  EXPECT_EQ(client_->getCalls, 1);
  // Terminating in storage, Active in the cache: trusted until a delete of it is admitted here.
  client_->put("namespaces", obj(R"({"metadata":{"name":"fresh"},"status":{"phase":"Terminating"}})"));
  client_->lagging("namespaces", "/fresh",
                   obj(R"({"metadata":{"name":"fresh"},"status":{"phase":"Active"}})"));
  EXPECT_TRUE(run(pods_, Operation::Create, "fresh", "p"));
  EXPECT_EQ(client_->getCalls, 1);
  ASSERT_TRUE(run(namespaces_, Operation::Delete, "", "fresh"));
  auto r = run(pods_, Operation::Create, "fresh", "p");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 403);
  EXPECT_EQ(client_->getCalls, 2);
}

TEST_F(LifecycleTest, ClientErrorsPassThrough) {
  client_->failWith = ApiError::serviceUnavailable("not started");
  auto r = run(pods_, Operation::Create, "active", "p");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 503);
  // Cluster-scoped objects never ask.
  EXPECT_TRUE(run(nodes_, Operation::Create, "", "n1"));
}

TEST(SystemNamespaces, CreatesMissingNamespacesOnce) {
  FakeClient client;
  client.put("namespaces", obj(R"({"metadata":{"name":"default"},"status":{"phase":"Active"}})"));
  SystemNamespaces controller;
  EXPECT_EQ(controller.name(), "SystemNamespaces");
  ASSERT_TRUE(controller.start(client));
  EXPECT_EQ(client.count("namespaces"), 4u);
  for (const char* ns : {"default", "kube-system", "kube-public", "kube-node-lease"})
    EXPECT_TRUE(client.get({"", "namespaces"}, "", ns)) << ns;
  // Running again finds them all and is fine.
  EXPECT_TRUE(controller.start(client));
  EXPECT_EQ(client.count("namespaces"), 4u);
}

TEST(SystemNamespaces, OtherFailuresStopStartUp) {
  FakeClient client;
  client.failWith = ApiError::internal("disk on fire");
  SystemNamespaces controller;
  auto r = controller.start(client);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 500);
}

}  // namespace
}  // namespace apiserver::plugins::core
