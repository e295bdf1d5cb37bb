#include "server/discovery.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace apiserver::server {

namespace json = boost::json;

namespace {

constexpr std::string_view kAggregatedV2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
constexpr std::string_view kAggregatedV2Beta1 =
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

std::string singularOf(const ResourceSpec& s) {
  if (!s.singular.empty()) return s.singular;
  std::string out = s.kind;
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

json::object responseKind(const ResourceSpec& s) { return {{"group", s.group}, {"version", s.version}, {"kind", s.kind}}; }

// One group version's resources, sorted by name.
struct GroupVersion {
  std::string group;
  std::string version;
  std::vector<const DiscoveredResource*> resources;
};

json::object legacyResourceList(const GroupVersion& gv) {
  json::array resources;
  auto sorted = gv.resources;
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->spec->plural < b->spec->plural; });
  for (const auto* r : sorted) {
    const auto& s = *r->spec;
    json::object o{{"name", s.plural},
                   {"singularName", singularOf(s)},
                   {"namespaced", s.scope == Scope::Namespaced},
                   {"kind", s.kind},
                   {"verbs", strings(r->verbs)}};
    if (!s.shortNames.empty()) o["shortNames"] = strings(s.shortNames);
    if (!s.categories.empty()) o["categories"] = strings(s.categories);
    resources.push_back(std::move(o));
    if (!r->statusVerbs.empty())
      resources.push_back(json::object{{"name", s.plural + "/status"},
                                       {"singularName", ""},
                                       {"namespaced", s.scope == Scope::Namespaced},
                                       {"kind", s.kind},
                                       {"verbs", strings(r->statusVerbs)}});
  }
  std::string gvs = gv.group.empty() ? gv.version : gv.group + "/" + gv.version;
  return {{"kind", "APIResourceList"}, {"apiVersion", "v1"}, {"groupVersion", gvs}, {"resources", std::move(resources)}};
}

json::object aggregatedVersion(const GroupVersion& gv) {
  json::array resources;
  auto sorted = gv.resources;
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->spec->plural < b->spec->plural; });
  for (const auto* r : sorted) {
    const auto& s = *r->spec;
    json::object o{{"resource", s.plural},
                   {"responseKind", responseKind(s)},
                   {"scope", s.scope == Scope::Namespaced ? "Namespaced" : "Cluster"},
                   {"singularResource", singularOf(s)},
                   {"verbs", strings(r->verbs)}};
    if (!s.shortNames.empty()) o["shortNames"] = strings(s.shortNames);
    if (!s.categories.empty()) o["categories"] = strings(s.categories);
    if (!r->statusVerbs.empty())
      o["subresources"] = json::array{
          json::object{{"subresource", "status"}, {"responseKind", responseKind(s)}, {"verbs", strings(r->statusVerbs)}}};
    resources.push_back(std::move(o));
  }
  return {{"version", gv.version}, {"resources", std::move(resources)}, {"freshness", "Current"}};
}

json::object groupVersionRef(const std::string& group, const std::string& version) {
  return {{"groupVersion", group + "/" + version}, {"version", version}};
}

}  // namespace

std::shared_ptr<const Discovery> Discovery::build(const std::vector<DiscoveredResource>& resources) {
  // Group versions in registration order, core first.
  std::vector<GroupVersion> gvs;
  for (const auto& r : resources) {
    auto it = std::find_if(gvs.begin(), gvs.end(),
                           [&](const GroupVersion& g) { return g.group == r.spec->group && g.version == r.spec->version; });
    if (it == gvs.end()) {
      gvs.push_back({r.spec->group, r.spec->version, {}});
      it = std::prev(gvs.end());
    }
    it->resources.push_back(&r);
  }
  std::stable_sort(gvs.begin(), gvs.end(), [](const GroupVersion& a, const GroupVersion& b) {
    if (a.group.empty() != b.group.empty()) return a.group.empty();
    return a.group < b.group;
  });

  auto out = std::make_shared<Discovery>();
  auto bytes = [](const json::value& v) { return makeBytes(json::serialize(v)); };
  auto aggregatedList = [](json::array items, const char* apiVersion) {
    return json::object{{"kind", "APIGroupDiscoveryList"},
                        {"apiVersion", apiVersion},
                        {"metadata", json::object()},
                        {"items", std::move(items)}};
  };

  // Core group: /api and /api/<v>.
  json::array coreVersions;
  json::array coreAggregated;
  json::array groups;
  json::array groupsAggregated;
  for (std::size_t i = 0; i < gvs.size(); ++i) {
    const auto& gv = gvs[i];
    if (gv.group.empty()) {
      coreVersions.emplace_back(gv.version);
      out->docs_["/api/" + gv.version].legacy = bytes(legacyResourceList(gv));
      continue;
    }
    out->docs_["/apis/" + gv.group + "/" + gv.version].legacy = bytes(legacyResourceList(gv));
  }
  if (std::any_of(gvs.begin(), gvs.end(), [](const GroupVersion& g) { return g.group.empty(); })) {
    json::array versions;
    for (const auto& gv : gvs)
      if (gv.group.empty()) versions.push_back(aggregatedVersion(gv));
    coreAggregated.push_back(json::object{{"metadata", json::object{{"name", ""}}}, {"versions", std::move(versions)}});
  }
  // Named groups: /apis and /apis/<g>.
  for (std::size_t i = 0; i < gvs.size(); ++i) {
    const std::string& g = gvs[i].group;
    if (g.empty() || (i > 0 && gvs[i - 1].group == g)) continue;
    json::array versions;
    json::array aggVersions;
    for (std::size_t j = i; j < gvs.size() && gvs[j].group == g; ++j) {
      versions.push_back(groupVersionRef(g, gvs[j].version));
      aggVersions.push_back(aggregatedVersion(gvs[j]));
    }
    json::object group{{"name", g}, {"versions", versions}, {"preferredVersion", versions[0]}};
    json::object groupDoc{{"kind", "APIGroup"}, {"apiVersion", "v1"}, {"name", g}, {"versions", versions},
                          {"preferredVersion", versions[0]}};
    out->docs_["/apis/" + g].legacy = bytes(groupDoc);
    groups.push_back(std::move(group));
    groupsAggregated.push_back(json::object{{"metadata", json::object{{"name", g}}}, {"versions", std::move(aggVersions)}});
  }

  Doc api;
  api.legacy = bytes(json::object{{"kind", "APIVersions"}, {"versions", coreVersions}});
  api.aggregated = bytes(aggregatedList(coreAggregated, "apidiscovery.k8s.io/v2"));
  api.aggregatedBeta = bytes(aggregatedList(coreAggregated, "apidiscovery.k8s.io/v2beta1"));
  out->docs_["/api"] = std::move(api);
  Doc apis;
  apis.legacy = bytes(json::object{{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}});
  apis.aggregated = bytes(aggregatedList(groupsAggregated, "apidiscovery.k8s.io/v2"));
  apis.aggregatedBeta = bytes(aggregatedList(groupsAggregated, "apidiscovery.k8s.io/v2beta1"));
  out->docs_["/apis"] = std::move(apis);
  return out;
}

std::optional<Response> Discovery::serve(const Request& req) const {
  std::string_view path = req.path;
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  auto it = docs_.find(path);
  if (it == docs_.end()) return std::nullopt;
  const Doc& doc = it->second;
  Response r;
  r.headers.emplace_back("Vary", "Accept");
  if (doc.aggregated) {
    // The first acceptable media range wins: aggregated v2, v2beta1, or plain JSON.
    std::string_view accept = req.header("Accept").value_or("");
    while (!accept.empty()) {
      auto comma = accept.find(',');
      std::string_view range = accept.substr(0, comma);
      accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
      bool isV2 = range.find("as=APIGroupDiscoveryList") != std::string_view::npos &&
                  range.find("g=apidiscovery.k8s.io") != std::string_view::npos;
      if (isV2 && range.find("v=v2beta1") != std::string_view::npos) {
        r.contentType = std::string(kAggregatedV2Beta1);
        r.body.push_back(doc.aggregatedBeta);
        return r;
      }
      if (isV2 && range.find("v=v2") != std::string_view::npos) {
        r.contentType = std::string(kAggregatedV2);
        r.body.push_back(doc.aggregated);
        return r;
      }
      if (range.find("application/json") != std::string_view::npos || range.find("*/*") != std::string_view::npos) break;
    }
  }
  r.body.push_back(doc.legacy);
  return r;
}

}  // namespace apiserver::server
