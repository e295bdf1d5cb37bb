// resolveRequestInfo, table-driven with the cases of kube's
// k8s.io/apiserver/pkg/endpoints/request/requestinfo_test.go (TestGetAPIRequestInfo,
// TestGetNonAPIRequestInfo, TestSelectorParsing), plus isLongRunning / isMutating.

#include "server/request_info.h"
#include "server_test_util.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace apiserver::server {
namespace {

using servertest::makeRequest;

struct Case {
  std::string method;
  std::string url;
  std::string verb;
  std::string prefix;
  std::string group;
  std::string version;
  std::string namespace_;
  std::string resource;
  std::string subresource;
  std::string name;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.method << " " << c.url;
}

class ResourceRequests : public ::testing::TestWithParam<Case> {};

TEST_P(ResourceRequests, Resolve) {
  const Case& c = GetParam();
  Request req = makeRequest(c.method, c.url);
  RequestInfo info = resolveRequestInfo(req);
  EXPECT_TRUE(info.resolved);
  EXPECT_TRUE(info.isResourceRequest);
  EXPECT_EQ(info.verb, c.verb);
  EXPECT_EQ(info.apiPrefix, c.prefix);
  EXPECT_EQ(info.apiGroup, c.group);
  EXPECT_EQ(info.apiVersion, c.version);
  EXPECT_EQ(info.namespace_, c.namespace_);
  EXPECT_EQ(info.resource, c.resource);
  EXPECT_EQ(info.subresource, c.subresource);
  EXPECT_EQ(info.name, c.name);
}

// kube's successCases (the expectedAPIPrefix column there says "api" for /apis paths too, but
// the test never checks it; we do, with the right value).
const std::vector<Case> kKubeCases = {
    // resource paths
    {"GET", "/api/v1/namespaces", "list", "api", "", "v1", "", "namespaces", "", ""},
    {"GET", "/api/v1/namespaces/other", "get", "api", "", "v1", "other", "namespaces", "", "other"},
    {"GET", "/api/v1/namespaces/other/pods", "list", "api", "", "v1", "other", "pods", "", ""},
    {"GET", "/api/v1/namespaces/other/pods/foo", "get", "api", "", "v1", "other", "pods", "",
     "foo"},
    {"HEAD", "/api/v1/namespaces/other/pods/foo", "get", "api", "", "v1", "other", "pods", "",
     "foo"},
    {"GET", "/api/v1/pods", "list", "api", "", "v1", "", "pods", "", ""},
    {"HEAD", "/api/v1/pods", "list", "api", "", "v1", "", "pods", "", ""},
    // special verbs
    {"GET", "/api/v1/watch/pods", "watch", "api", "", "v1", "", "pods", "", ""},
    {"GET", "/api/v1/pods?watch=true", "watch", "api", "", "v1", "", "pods", "", ""},
    {"GET", "/api/v1/pods?watch=false", "list", "api", "", "v1", "", "pods", "", ""},
    {"GET", "/api/v1/watch/namespaces/other/pods", "watch", "api", "", "v1", "other", "pods", "",
     ""},
    {"GET", "/api/v1/namespaces/other/pods?watch=1", "watch", "api", "", "v1", "other", "pods", "",
     ""},
    {"GET", "/api/v1/namespaces/other/pods?watch=0", "list", "api", "", "v1", "other", "pods", "",
     ""},
    // subresource identification
    {"GET", "/api/v1/namespaces/other/pods/foo/status", "get", "api", "", "v1", "other", "pods",
     "status", "foo"},
    {"GET", "/api/v1/namespaces/other/pods/foo/proxy/subpath", "get", "api", "", "v1", "other",
     "pods", "proxy", "foo"},
    {"PUT", "/api/v1/namespaces/other/finalize", "update", "api", "", "v1", "other", "namespaces",
     "finalize", "other"},
    {"PUT", "/api/v1/namespaces/other/status", "update", "api", "", "v1", "other", "namespaces",
     "status", "other"},
    // verb identification
    {"PATCH", "/api/v1/namespaces/other/pods/foo", "patch", "api", "", "v1", "other", "pods", "",
     "foo"},
    {"DELETE", "/api/v1/namespaces/other/pods/foo", "delete", "api", "", "v1", "other", "pods", "",
     "foo"},
    {"POST", "/api/v1/namespaces/other/pods", "create", "api", "", "v1", "other", "pods", "", ""},
    // deletecollection verb identification
    {"DELETE", "/api/v1/nodes", "deletecollection", "api", "", "v1", "", "nodes", "", ""},
    {"DELETE", "/api/v1/namespaces", "deletecollection", "api", "", "v1", "", "namespaces", "", ""},
    {"DELETE", "/api/v1/namespaces/other/pods", "deletecollection", "api", "", "v1", "other",
     "pods", "", ""},
    {"DELETE", "/apis/extensions/v1/namespaces/other/pods", "deletecollection", "apis",
     "extensions", "v1", "other", "pods", "", ""},
    // api group identification
    {"POST", "/apis/extensions/v1/namespaces/other/pods", "create", "apis", "extensions", "v1",
     "other", "pods", "", ""},
    // api version identification
    {"POST", "/apis/extensions/v1beta3/namespaces/other/pods", "create", "apis", "extensions",
     "v1beta3", "other", "pods", "", ""},
};

// Further cases: group paths, the watch query forms, unusual methods.
const std::vector<Case> kMoreCases = {
    {"GET", "/apis/apps/v1/namespaces/ns/deployments/web/scale", "get", "apis", "apps", "v1", "ns",
     "deployments", "scale", "web"},
    {"PUT", "/apis/apps/v1/namespaces/ns/deployments/web/status", "update", "apis", "apps", "v1",
     "ns", "deployments", "status", "web"},
    {"GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles/admin", "get", "apis",
     "rbac.authorization.k8s.io", "v1", "", "clusterroles", "", "admin"},
    {"GET", "/apis/batch/v1/jobs?watch=true", "watch", "apis", "batch", "v1", "", "jobs", "", ""},
    {"GET", "/apis/batch/v1/watch/namespaces/ns/jobs/j", "watch", "apis", "batch", "v1", "ns",
     "jobs", "", "j"},
    {"GET", "/api/v1/pods?watch=", "watch", "api", "", "v1", "", "pods", "", ""},
    {"GET", "/api/v1/pods?watch=FALSE", "list", "api", "", "v1", "", "pods", "", ""},
    {"GET", "/api/v1/pods/?limit=500", "list", "api", "", "v1", "", "pods", "", ""},
    {"GET", "/api/v1/namespaces/other/pods/foo?watch=true", "get", "api", "", "v1", "other", "pods",
     "", "foo"},
    {"DELETE", "/api/v1/namespaces/other", "delete", "api", "", "v1", "other", "namespaces", "",
     "other"},
    {"OPTIONS", "/api/v1/pods", "", "api", "", "v1", "", "pods", "", ""},
    {"POST", "/api/v1/namespaces/ns/pods/p/eviction", "create", "api", "", "v1", "ns", "pods",
     "eviction", "p"},
};

INSTANTIATE_TEST_SUITE_P(Kube, ResourceRequests, ::testing::ValuesIn(kKubeCases));
INSTANTIATE_TEST_SUITE_P(More, ResourceRequests, ::testing::ValuesIn(kMoreCases));

const std::vector<Case> kProxyCases = {
    {"GET", "/api/v1/proxy/namespaces/other/pods/foo", "proxy", "api", "", "v1", "other", "pods",
     "", "foo"},
    {"GET", "/api/v1/proxy/namespaces/other/pods/foo/subpath/not/a/subresource", "proxy", "api", "",
     "v1", "other", "pods", "", "foo"},
};
INSTANTIATE_TEST_SUITE_P(KubeProxyVerb, ResourceRequests,
                         ::testing::ValuesIn(kProxyCases));

TEST(RequestInfo, NonResourceRequests) {
  // kube's errorCases and TestGetNonAPIRequestInfo's negative cases.
  for (const char* url :
       {"/", "", "/api", "/apis", "/api/version", "/api/version/", "/apis/group/version/",
        "/apis/extensions/v1beta1", "/apis/extensions/v1beta1/", "/badprefix/version/resource",
        "/not-api/version/resource", "/apis/version/resource", "/healthz", "/openapi/v3",
        "/version"}) {
    SCOPED_TRACE(url);
    RequestInfo info = resolveRequestInfo(makeRequest("GET", url));
    EXPECT_TRUE(info.resolved);
    EXPECT_FALSE(info.isResourceRequest);
    EXPECT_EQ(info.verb, "get") << "a non-resource request's verb is the lower-cased method";
  }
  EXPECT_EQ(resolveRequestInfo(makeRequest("POST", "/healthz")).verb, "post");
  // TestGetNonAPIRequestInfo's positive cases.
  for (const char* url : {"/api/version/resource", "/apis/group/version/resource/name/subresource",
                          "/api/version/resource/name/subresource", "/apis/batch/v1/job",
                          "/apis/batch/v1/job/foo", "/apis/batch/v1/job/foo/scale"}) {
    SCOPED_TRACE(url);
    EXPECT_TRUE(resolveRequestInfo(makeRequest("GET", url)).isResourceRequest);
  }
}

TEST(RequestInfo, SelectorsDoNotChangeOtherRequests) {
  // From kube's TestSelectorParsing: the cases whose expectations hold without the name rule.
  struct Sel {
    std::string method;
    std::string url;
    std::string verb;
    std::string name;
  };
  for (const auto& c : std::vector<Sel>{
           {"GET", "/apis/group/version/resource", "list", ""},
           {"GET", "/apis/group/version/resource?fieldSelector=foo=bar&labelSelector=baz=qux",
            "list", ""},
           {"DELETE", "/apis/group/version/resource?fieldSelector=foo=bar&labelSelector=baz=qux",
            "deletecollection", ""},
           {"GET", "/apis/group/version/resource/name?fieldSelector=foo=bar&labelSelector=foo=bar",
            "get", "name"},
           {"GET",
            "/apis/group/version/watch/"
            "resource?fieldSelector=metadata.name=foo&labelSelector=foo=bar",
            "watch", ""},
           {"GET",
            "/apis/group/version/watch/resource/"
            "name?fieldSelector=metadata.name=foo&labelSelector=foo=bar",
            "watch", "name"},
           {"GET", "/apis/group/version/resource?fieldSelector=metadata.name=name1,foo", "list",
            ""},
           {"GET", "/apis/group/version/resource?fieldSelector=metadata.name=name1,foo&watch=true",
            "watch", ""},
       }) {
    SCOPED_TRACE(c.method + " " + c.url);
    RequestInfo info = resolveRequestInfo(makeRequest(c.method, c.url));
    EXPECT_EQ(info.verb, c.verb);
    EXPECT_EQ(info.name, c.name);
  }
}

TEST(RequestInfo, AFieldSelectorOnMetadataNameNamesTheObject) {
  struct Sel {
    std::string url;
    std::string verb;
    std::string name;
  };
  for (const auto& c : std::vector<Sel>{
           {"/apis/group/version/resource?fieldSelector=metadata.name=name1", "list", "name1"},
           {"/apis/group/version/resource?watch=true&fieldSelector=metadata.name=name1", "watch",
            "name1"},
           {"/api/v1/namespaces/ns/"
            "pods?fieldSelector=metadata.name%3Dweb&resourceVersion=0&watch=true",
            "watch", "web"},
           {"/apis/group/version/"
            "resource?fieldSelector=metadata.name=foo&fieldSelector=metadata.name=bar",
            "list", "foo"},
           {"/apis/group/version/resource?fieldSelector=metadata.name==x%2Fy", "list",
            ""},  // not a path segment
       }) {
    SCOPED_TRACE(c.url);
    RequestInfo info = resolveRequestInfo(makeRequest("GET", c.url));
    EXPECT_EQ(info.verb, c.verb);
    EXPECT_EQ(info.name, c.name);
  }
}

TEST(RequestInfo, EnsureRequestInfoKeepsWhatALinkSet) {
  Request req = makeRequest("GET", "/api/v1/pods");
  req.info.resolved = true;
  req.info.verb = "custom";
  ensureRequestInfo(req);
  EXPECT_EQ(req.info.verb, "custom");
  Request fresh = makeRequest("GET", "/api/v1/pods");
  ensureRequestInfo(fresh);
  EXPECT_EQ(fresh.info.verb, "list");
}

TEST(RequestInfo, LongRunningAndMutating) {
  struct LR {
    std::string method;
    std::string url;
    bool longRunning;
    bool mutating;
  };
  for (const auto& c : std::vector<LR>{
           {"GET", "/api/v1/pods?watch=true", true, false},
           {"GET", "/api/v1/watch/pods", true, false},
           {"GET", "/api/v1/namespaces/ns/pods/p/log", true, false},
           {"POST", "/api/v1/namespaces/ns/pods/p/exec", true, true},
           {"GET", "/api/v1/namespaces/ns/pods/p/attach", true, false},
           {"GET", "/api/v1/namespaces/ns/pods/p/portforward", true, false},
           {"GET", "/api/v1/namespaces/ns/services/s/proxy/x", true, false},
           {"GET", "/api/v1/pods", false, false},
           {"GET", "/api/v1/namespaces/ns/pods/p", false, false},
           {"POST", "/api/v1/namespaces/ns/pods", false, true},
           {"PUT", "/api/v1/namespaces/ns/pods/p", false, true},
           {"PATCH", "/api/v1/namespaces/ns/pods/p", false, true},
           {"DELETE", "/api/v1/namespaces/ns/pods/p", false, true},
           {"DELETE", "/api/v1/namespaces/ns/pods", false, true},
           {"POST", "/some/non-resource", false, true},
           {"GET", "/healthz", false, false},
       }) {
    SCOPED_TRACE(c.method + " " + c.url);
    RequestInfo info = resolveRequestInfo(makeRequest(c.method, c.url));
    EXPECT_EQ(isLongRunning(info), c.longRunning);
    EXPECT_EQ(isMutating(info), c.mutating);
  }
}

}  // namespace
}  // namespace apiserver::server
