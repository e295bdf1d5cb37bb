#include "aggregator/discovery.h"

#include "aggregator/apiservice.h"

#include <algorithm>
#include <map>
#include <vector>

namespace apiserver::plugins::aggregator {

namespace {

/// kApiRegistrationPriority puts the aggregator's own group first (kube: 20001, above the
/// highest priority an APIService may have).
constexpr std::int64_t kApiRegistrationPriority = 20001;

/// availableVersions lists a remote group's available versions in preference order.
std::vector<const RemoteVersion*> availableVersions(const Snapshot& s, const std::string& group) {
  std::vector<const RemoteVersion*> out;
  for (const auto& [key, v] : s.remote)
    if (v->group == group && v->available) out.push_back(v.get());
  std::sort(out.begin(), out.end(), [](const RemoteVersion* a, const RemoteVersion* b) {
    if (a->versionPriority != b->versionPriority) return a->versionPriority > b->versionPriority;
    return compareKubeVersions(a->version, b->version) > 0;
  });
  return out;
}

std::int64_t priorityOf(const Snapshot& s, const std::string& group, const json::object* entry) {
  if (group == kGroup) return kApiRegistrationPriority;
  if (auto it = s.groupPriority.find(group); it != s.groupPriority.end()) return it->second;
  // A local group without an APIService (yet): the priority kube would give its first version.
  std::string version;
  if (entry != nullptr) {
    if (const json::array* versions = arrayField(*entry, "versions"); versions != nullptr && !versions->empty() &&
                                                                      (*versions)[0].is_object())
      version = std::string(stringField((*versions)[0].get_object(), "", "version"));
  }
  return localPriority(group, version).group;
}

/// Entry is one group of a merged list with what orders it.
struct Entry {
  std::string name;
  std::int64_t priority = 0;
  json::value doc;
};

void sortEntries(std::vector<Entry>& entries) {
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    if (a.priority != b.priority) return a.priority > b.priority;
    return a.name < b.name;
  });
}

json::object versionRef(const std::string& group, const std::string& version) {
  return {{"groupVersion", group + "/" + version}, {"version", version}};
}

std::string nameOfEntry(const json::object& e, bool aggregated) {
  return std::string(aggregated ? stringField(e, "", "metadata", "name") : stringField(e, "", "name"));
}

/// merge orders the local entries of `arrayKey` and adds the remote groups built by `remote`.
template <class MakeRemote>
json::object merge(const json::object& local, const Snapshot& s, const char* arrayKey, bool aggregated,
                   MakeRemote remote) {
  json::object out = local;
  std::vector<Entry> entries;
  std::set<std::string> localNames;
  if (const json::array* items = arrayField(local, arrayKey)) {
    for (const auto& item : *items) {
      if (!item.is_object()) continue;
      std::string name = nameOfEntry(item.get_object(), aggregated);
      localNames.insert(name);
      entries.push_back({name, priorityOf(s, name, &item.get_object()), item});
    }
  }
  for (const auto& group : s.remoteGroups) {
    if (localNames.count(group) != 0) continue;  // a local group stays local (admission refuses the rest)
    auto versions = availableVersions(s, group);
    if (versions.empty()) continue;  // unavailable: left out until it is back
    entries.push_back({group, priorityOf(s, group, nullptr), remote(group, versions)});
  }
  sortEntries(entries);
  json::array merged;
  merged.reserve(entries.size());
  for (auto& e : entries) merged.push_back(std::move(e.doc));
  out[arrayKey] = std::move(merged);
  return out;
}

}  // namespace

json::object mergeGroupList(const json::object& local, const Snapshot& snapshot) {
  return merge(local, snapshot, "groups", false, [](const std::string& group, const std::vector<const RemoteVersion*>& vs) {
    json::array versions;
    for (const auto* v : vs) versions.push_back(versionRef(group, v->version));
    json::object g{{"name", group}, {"versions", versions}, {"preferredVersion", versions[0]}};
    return json::value(std::move(g));
  });
}

json::object mergeGroupDiscoveryList(const json::object& local, const Snapshot& snapshot) {
  return merge(local, snapshot, "items", true, [](const std::string& group, const std::vector<const RemoteVersion*>& vs) {
    json::array versions;
    for (const auto* v : vs)
      versions.push_back(json::object{{"version", v->version}, {"resources", v->resources}, {"freshness", "Current"}});
    return json::value(json::object{{"metadata", json::object{{"name", group}}}, {"versions", std::move(versions)}});
  });
}

std::optional<json::object> remoteGroup(const Snapshot& snapshot, const std::string& group) {
  auto vs = availableVersions(snapshot, group);
  if (vs.empty()) return std::nullopt;
  json::array versions;
  for (const auto* v : vs) versions.push_back(versionRef(group, v->version));
  return json::object{{"kind", "APIGroup"}, {"apiVersion", "v1"}, {"name", group}, {"versions", versions},
                      {"preferredVersion", versions[0]}};
}

json::object mergeOpenApiIndex(const json::object& local, const Snapshot& snapshot) {
  json::object out = local;
  json::value& paths = out["paths"];
  if (!paths.is_object()) paths = json::object();
  for (const auto& [key, v] : snapshot.remote) {
    if (!v->available || v->openapiPath.empty()) continue;
    paths.get_object()["apis/" + v->group + "/" + v->version] = json::object{{"serverRelativeURL", v->openapiPath}};
  }
  return out;
}

std::set<std::string> groupNames(const json::object& list) {
  std::set<std::string> out;
  const bool aggregated = list.if_contains("items") != nullptr;
  if (const json::array* items = arrayField(list, aggregated ? "items" : "groups"))
    for (const auto& item : *items)
      if (item.is_object()) out.insert(nameOfEntry(item.get_object(), aggregated));
  return out;
}

json::array resourcesFromList(const json::object& list, std::string_view group, std::string_view version) {
  const json::array* resources = arrayField(list, "resources");
  if (resources == nullptr) return {};
  auto kindRef = [&](const json::object& r) {
    // An empty group or version means the list's own (kube's APIResource convention).
    std::string_view g = stringField(r, "", "group");
    std::string_view v = stringField(r, "", "version");
    return json::object{{"group", g.empty() ? group : g},
                        {"version", v.empty() ? version : v},
                        {"kind", stringField(r, "", "kind")}};
  };
  std::vector<json::object> out;
  std::map<std::string, std::size_t> index;
  // Resources first, so that subresources find their parent whatever the order.
  for (const auto& rv : *resources) {
    if (!rv.is_object()) continue;
    const json::object& r = rv.get_object();
    std::string name(stringField(r, "", "name"));
    if (name.empty() || name.find('/') != std::string::npos) continue;
    const bool namespaced = r.if_contains("namespaced") && r.at("namespaced").is_bool() && r.at("namespaced").get_bool();
    json::object d{{"resource", name},
                   {"responseKind", kindRef(r)},
                   {"scope", namespaced ? "Namespaced" : "Cluster"},
                   {"singularResource", stringField(r, "", "singularName")},
                   {"verbs", r.if_contains("verbs") ? r.at("verbs") : json::value(json::array())}};
    for (const char* k : {"shortNames", "categories"})
      if (const json::value* x = r.if_contains(k); x != nullptr && x->is_array() && !x->get_array().empty()) d[k] = *x;
    index[name] = out.size();
    out.push_back(std::move(d));
  }
  for (const auto& rv : *resources) {
    if (!rv.is_object()) continue;
    const json::object& r = rv.get_object();
    std::string name(stringField(r, "", "name"));
    auto slash = name.find('/');
    if (slash == std::string::npos) continue;
    auto parent = index.find(name.substr(0, slash));
    if (parent == index.end()) continue;
    json::value& subs = out[parent->second]["subresources"];
    if (!subs.is_array()) subs = json::array();
    subs.get_array().push_back(json::object{{"subresource", name.substr(slash + 1)},
                                            {"responseKind", kindRef(r)},
                                            {"verbs", r.if_contains("verbs") ? r.at("verbs") : json::value(json::array())}});
  }
  json::array arr;
  for (auto& o : out) arr.push_back(std::move(o));
  return arr;
}

std::string openApiPathFromIndex(const json::object& index, std::string_view group, std::string_view version) {
  const std::string key = "apis/" + std::string(group) + "/" + std::string(version);
  const json::object* paths = objectField(index, "paths");
  if (paths == nullptr) return {};
  const json::value* entry = paths->if_contains(key);
  if (entry == nullptr || !entry->is_object()) return {};
  return std::string(stringField(entry->get_object(), "", "serverRelativeURL"));
}

}  // namespace apiserver::plugins::aggregator
