// Discovery merging: the local documents with the available remote group versions, ordered by
// priority as kube-aggregator orders them; the /openapi/v3 index; APIResourceList conversion.
#include "aggregator/discovery.h"

#include "fakes.h"

#include <gtest/gtest.h>

namespace apiserver::plugins::aggregator {
namespace {

using testing::obj;

std::shared_ptr<RemoteVersion> remote(std::string group, std::string version, std::int64_t gp, std::int64_t vp,
                                      bool available = true) {
  auto v = std::make_shared<RemoteVersion>();
  v->apiServiceName = version + "." + group;
  v->group = std::move(group);
  v->version = std::move(version);
  v->groupPriorityMinimum = gp;
  v->versionPriority = vp;
  v->available = available;
  v->resources = json::array{json::object{{"resource", "things"}}};
  v->openapiPath = "/openapi/v3/apis/" + v->group + "/" + v->version + "?hash=ABC";
  return v;
}

Snapshot snapshot(std::vector<std::shared_ptr<RemoteVersion>> remotes, std::map<std::string, std::int64_t> local = {}) {
  Snapshot s;
  s.groupPriority = std::move(local);
  for (auto& r : remotes) {
    s.remoteGroups.insert(r->group);
    auto& gp = s.groupPriority[r->group];
    gp = std::max(gp, r->groupPriorityMinimum);
    s.remote[r->group + "/" + r->version] = r;
  }
  return s;
}

const json::object kLocalList = obj(R"({"kind":"APIGroupList","apiVersion":"v1","groups":[)"
                                    R"({"name":"apiregistration.k8s.io","versions":[{"groupVersion":"apiregistration.k8s.io/v1","version":"v1"}]},)"
                                    R"({"name":"zeta.example.com","versions":[{"groupVersion":"zeta.example.com/v1","version":"v1"}]}]})");

std::vector<std::string> names(const json::object& list, const char* key) {
  std::vector<std::string> out;
  for (const auto& g : list.at(key).get_array())
    out.emplace_back(key == std::string("groups") ? stringField(g.get_object(), "", "name")
                                                  : stringField(g.get_object(), "", "metadata", "name"));
  return out;
}

TEST(MergeGroupList, OrdersByPriorityWithApiRegistrationFirst) {
  Snapshot s = snapshot({remote("high.example.com", "v1", 17000, 15), remote("low.example.com", "v1", 500, 15),
                         remote("down.example.com", "v1", 9000, 15, /*available=*/false)},
                        {{"apiregistration.k8s.io", 18000}, {"zeta.example.com", 1000}});
  json::object merged = mergeGroupList(kLocalList, s);
  EXPECT_EQ(names(merged, "groups"),
            (std::vector<std::string>{"apiregistration.k8s.io", "high.example.com", "zeta.example.com", "low.example.com"}));
  EXPECT_EQ(merged.at("kind"), "APIGroupList");
  const auto& high = merged.at("groups").get_array()[1].get_object();
  EXPECT_EQ(json::serialize(high), R"({"name":"high.example.com","versions":[{"groupVersion":"high.example.com/v1",)"
                                   R"("version":"v1"}],"preferredVersion":{"groupVersion":"high.example.com/v1",)"
                                   R"("version":"v1"}})");
}

TEST(MergeGroupList, VersionsByVersionPriorityThenKubeOrder) {
  Snapshot s = snapshot({remote("g.example.com", "v1beta1", 1000, 10), remote("g.example.com", "v1", 1000, 10),
                         remote("g.example.com", "v2alpha1", 1000, 20)});
  json::object merged = mergeGroupList(obj(R"({"groups":[]})"), s);
  const auto& g = merged.at("groups").get_array()[0].get_object();
  std::vector<std::string> versions;
  for (const auto& v : g.at("versions").get_array()) versions.emplace_back(v.at("version").get_string());
  EXPECT_EQ(versions, (std::vector<std::string>{"v2alpha1", "v1", "v1beta1"}));
  EXPECT_EQ(g.at("preferredVersion").at("version"), "v2alpha1");
}

TEST(MergeGroupDiscoveryList, RemoteVersionsCarryTheirResources) {
  Snapshot s = snapshot({remote("samples.example.com", "v1alpha1", 1000, 15)}, {{"zeta.example.com", 1000}});
  json::object local = obj(R"({"kind":"APIGroupDiscoveryList","apiVersion":"apidiscovery.k8s.io/v2","metadata":{},)"
                           R"("items":[{"metadata":{"name":"zeta.example.com"},"versions":[]}]})");
  json::object merged = mergeGroupDiscoveryList(local, s);
  EXPECT_EQ(names(merged, "items"), (std::vector<std::string>{"samples.example.com", "zeta.example.com"}));
  EXPECT_EQ(json::serialize(merged.at("items").get_array()[0]),
            R"({"metadata":{"name":"samples.example.com"},"versions":[{"version":"v1alpha1",)"
            R"("resources":[{"resource":"things"}],"freshness":"Current"}]})");
}

TEST(MergeGroupList, UnavailableGroupsAreLeftOutAndLocalGroupsStayLocal) {
  Snapshot s = snapshot({remote("zeta.example.com", "v9", 1000, 15), remote("down.example.com", "v1", 1000, 15, false)});
  json::object merged = mergeGroupList(kLocalList, s);
  EXPECT_EQ(names(merged, "groups"), (std::vector<std::string>{"apiregistration.k8s.io", "zeta.example.com"}));
  EXPECT_EQ(merged.at("groups").get_array()[1].at("versions").get_array().size(), 1u);
  EXPECT_FALSE(remoteGroup(s, "down.example.com"));
  auto g = remoteGroup(s, "zeta.example.com");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->at("kind"), "APIGroup");
}

TEST(MergeOpenApiIndex, AddsAvailableRemoteDocuments) {
  Snapshot s = snapshot({remote("samples.example.com", "v1alpha1", 1000, 15), remote("down.example.com", "v1", 1, 1, false)});
  json::object merged = mergeOpenApiIndex(obj(R"({"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=1"}}})"), s);
  EXPECT_EQ(json::serialize(merged),
            R"({"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=1"},"apis/samples.example.com/v1alpha1":)"
            R"({"serverRelativeURL":"/openapi/v3/apis/samples.example.com/v1alpha1?hash=ABC"}}})");
  EXPECT_EQ(openApiPathFromIndex(merged, "samples.example.com", "v1alpha1"),
            "/openapi/v3/apis/samples.example.com/v1alpha1?hash=ABC");
  EXPECT_EQ(openApiPathFromIndex(merged, "nope", "v1"), "");
}

TEST(ResourcesFromList, ConvertsAsKubesDiscoveryManager) {
  auto list = obj(R"({"kind":"APIResourceList","groupVersion":"samples.example.com/v1alpha1","resources":[)"
                  R"({"name":"gadgets/status","singularName":"","namespaced":true,"kind":"Gadget","verbs":["get","patch","update"]},)"
                  R"({"name":"gadgets","singularName":"gadget","namespaced":true,"kind":"Gadget","verbs":["get","list"],)"
                  R"("shortNames":["gd"],"categories":[]},)"
                  R"({"name":"scales","singularName":"scale","namespaced":false,"kind":"Scale","group":"autoscaling",)"
                  R"("version":"v1","verbs":["get"]}]})");
  json::array out = resourcesFromList(list, "samples.example.com", "v1alpha1");
  EXPECT_EQ(json::serialize(out),
            R"([{"resource":"gadgets","responseKind":{"group":"samples.example.com","version":"v1alpha1","kind":"Gadget"},)"
            R"("scope":"Namespaced","singularResource":"gadget","verbs":["get","list"],"shortNames":["gd"],)"
            R"("subresources":[{"subresource":"status","responseKind":{"group":"samples.example.com","version":"v1alpha1",)"
            R"("kind":"Gadget"},"verbs":["get","patch","update"]}]},)"
            R"({"resource":"scales","responseKind":{"group":"autoscaling","version":"v1","kind":"Scale"},"scope":"Cluster",)"
            R"("singularResource":"scale","verbs":["get"]}])");
}

TEST(GroupNames, ReadsBothForms) {
  EXPECT_EQ(groupNames(kLocalList), (std::set<std::string>{"apiregistration.k8s.io", "zeta.example.com"}));
  EXPECT_EQ(groupNames(obj(R"({"items":[{"metadata":{"name":"a"}},{"metadata":{"name":""}}]})")),
            (std::set<std::string>{"a", ""}));
}

}  // namespace
}  // namespace apiserver::plugins::aggregator
