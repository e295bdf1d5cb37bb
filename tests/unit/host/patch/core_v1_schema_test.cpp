// The strategic merge patch engine against the generated core/v1 schema
// (plugins/core/schema/core_v1_openapi.json), when that file is present at configure time.

#include "patch/strategic_merge_patch.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace apiserver::patch {
namespace {

namespace json = boost::json;

#ifdef APISERVER_CORE_V1_OPENAPI
std::optional<schema::SchemaSet> loadPodSchema() {
  std::ifstream in(APISERVER_CORE_V1_OPENAPI);
  if (!in)
    return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  json::parse_options options;
  options.max_depth = 1000;
  boost::system::error_code ec;
  json::value doc = json::parse(text.str(), ec, {}, options);
  if (ec)
    return std::nullopt;
  auto set = schema::SchemaSet::fromDocument(doc, "io.k8s.api.core.v1.Pod");
  if (!set)
    return std::nullopt;
  return std::move(*set);
}
#endif

TEST(CoreV1SchemaTest, KubectlApplyScenarioAgainstTheRealPod) {
#ifndef APISERVER_CORE_V1_OPENAPI
  GTEST_SKIP() << "plugins/core/schema/core_v1_openapi.json was not there at configure time";
#else
  auto set = loadPodSchema();
  ASSERT_TRUE(set.has_value()) << "cannot load " << APISERVER_CORE_V1_OPENAPI;
  schema::SchemaNode pod = set->root();
  ASSERT_EQ(pod.field("spec").field("containers").patchMergeKey(), "name");

  const json::value live = json::parse(R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "app1", "namespace": "default", "labels": {"app": "app1", "tier": "web"},
      "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}\n"},
      "finalizers": ["a", "b"]},
    "spec": {
      "containers": [
        {"name": "c1", "image": "nginx:1", "ports": [{"containerPort": 80, "protocol": "TCP"}]},
        {"name": "c2", "image": "busybox"}],
      "volumes": [{"name": "data", "emptyDir": {}}],
      "tolerations": [{"key": "k", "operator": "Exists"}]}})");
  const json::value patch = json::parse(R"({
    "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"x\":1}\n"},
                 "labels": {"tier": null}, "finalizers": ["c"]},
    "spec": {"$setElementOrder/containers": [{"name": "c1"}],
             "containers": [{"image": "nginx:2", "name": "c1",
                             "ports": [{"containerPort": 443, "protocol": "TCP"}]},
                            {"$patch": "delete", "name": "c2"}],
             "volumes": [{"$retainKeys": ["hostPath", "name"], "emptyDir": null,
                          "hostPath": {"path": "/data"}, "name": "data"}],
             "tolerations": [{"key": "other", "operator": "Exists"}]}})");
  auto out = applyStrategicMergePatch(live, patch, pod);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, json::parse(R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "app1", "namespace": "default", "labels": {"app": "app1"},
      "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"x\":1}\n"},
      "finalizers": ["c", "a", "b"]},
    "spec": {
      "containers": [{"name": "c1", "image": "nginx:2", "ports": [
        {"containerPort": 443, "protocol": "TCP"}, {"containerPort": 80, "protocol": "TCP"}]}],
      "volumes": [{"name": "data", "hostPath": {"path": "/data"}}],
      "tolerations": [{"key": "other", "operator": "Exists"}]}})"))
      << json::serialize(*out);
#endif
}

}  // namespace
}  // namespace apiserver::patch
