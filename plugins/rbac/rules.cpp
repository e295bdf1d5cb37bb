#include "rbac/rules.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

namespace apiserver::plugins::rbac {

namespace {

std::vector<std::string> strings(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  if (const auto* a = arrayField(o, key))
    for (const auto& v : *a)
      if (v.is_string()) out.emplace_back(v.get_string());
  return out;
}

json::array toArray(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

bool has(const std::vector<std::string>& set, std::string_view e) {
  return std::find(set.begin(), set.end(), e) != set.end();
}

bool hasAll(const std::vector<std::string>& set, const std::vector<std::string>& contains) {
  return std::all_of(contains.begin(), contains.end(), [&](const std::string& e) { return has(set, e); });
}

bool resourceCoversAll(const std::vector<std::string>& setResources, const std::vector<std::string>& coversResources) {
  if (has(setResources, "*") || hasAll(setResources, coversResources)) return true;
  for (const auto& path : coversResources) {
    if (has(setResources, path)) continue;
    auto slash = path.find('/');
    if (slash == std::string::npos) return false;
    if (!has(setResources, "*/" + path.substr(slash + 1))) return false;
  }
  return true;
}

bool nonResourceURLCovers(std::string_view ownerPath, std::string_view subPath) {
  if (ownerPath == subPath) return true;
  if (ownerPath.empty() || ownerPath.back() != '*') return false;
  std::string_view stem = ownerPath;
  while (!stem.empty() && stem.back() == '*') stem.remove_suffix(1);
  return subPath.substr(0, stem.size()) == stem;
}

bool nonResourceURLsCoversAll(const std::vector<std::string>& set, const std::vector<std::string>& coversUrls) {
  return std::all_of(coversUrls.begin(), coversUrls.end(), [&](const std::string& path) {
    return std::any_of(set.begin(), set.end(), [&](const std::string& owner) { return nonResourceURLCovers(owner, path); });
  });
}

// goQuote renders a string as Go's strconv.Quote does for the ASCII RBAC names use.
std::string goQuote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

}  // namespace

// ------------------------------------------------------------------ JSON forms

PolicyRule ruleFromJson(const json::object& o) {
  return {strings(o, "verbs"), strings(o, "apiGroups"), strings(o, "resources"), strings(o, "resourceNames"),
          strings(o, "nonResourceURLs")};
}

json::object ruleToJson(const PolicyRule& r) {
  json::object o;
  o["verbs"] = toArray(r.verbs);
  if (!r.apiGroups.empty()) o["apiGroups"] = toArray(r.apiGroups);
  if (!r.resources.empty()) o["resources"] = toArray(r.resources);
  if (!r.resourceNames.empty()) o["resourceNames"] = toArray(r.resourceNames);
  if (!r.nonResourceURLs.empty()) o["nonResourceURLs"] = toArray(r.nonResourceURLs);
  return o;
}

std::vector<PolicyRule> rulesOf(const json::object& role) {
  std::vector<PolicyRule> out;
  if (const auto* a = arrayField(role, "rules"))
    for (const auto& v : *a)
      if (v.is_object()) out.push_back(ruleFromJson(v.get_object()));
  return out;
}

json::array rulesToJson(const std::vector<PolicyRule>& rules) {
  json::array a;
  for (const auto& r : rules) a.push_back(ruleToJson(r));
  return a;
}

Subject subjectFromJson(const json::object& o) {
  return {std::string(stringField(o, "", "kind")), std::string(stringField(o, "", "apiGroup")),
          std::string(stringField(o, "", "name")), std::string(stringField(o, "", "namespace"))};
}

json::object subjectToJson(const Subject& s) {
  json::object o;
  o["kind"] = s.kind;
  if (!s.apiGroup.empty()) o["apiGroup"] = s.apiGroup;
  o["name"] = s.name;
  if (!s.namespace_.empty()) o["namespace"] = s.namespace_;
  return o;
}

std::vector<Subject> subjectsOf(const json::object& binding) {
  std::vector<Subject> out;
  if (const auto* a = arrayField(binding, "subjects"))
    for (const auto& v : *a)
      if (v.is_object()) out.push_back(subjectFromJson(v.get_object()));
  return out;
}

RoleRef roleRefOf(const json::object& binding) {
  return {std::string(stringField(binding, "", "roleRef", "apiGroup")),
          std::string(stringField(binding, "", "roleRef", "kind")), std::string(stringField(binding, "", "roleRef", "name"))};
}

json::object roleRefToJson(const RoleRef& r) { return {{"apiGroup", r.apiGroup}, {"kind", r.kind}, {"name", r.name}}; }

// ------------------------------------------------------------------ matching a request

bool verbMatches(const PolicyRule& rule, std::string_view verb) {
  for (const auto& v : rule.verbs)
    if (v == kVerbAll || v == verb) return true;
  return false;
}

bool apiGroupMatches(const PolicyRule& rule, std::string_view group) {
  for (const auto& g : rule.apiGroups)
    if (g == "*" || g == group) return true;
  return false;
}

bool resourceMatches(const PolicyRule& rule, std::string_view combinedResource, std::string_view subresource) {
  for (const auto& r : rule.resources) {
    if (r == "*" || r == combinedResource) return true;
    if (subresource.empty()) continue;
    // "*/<subresource>" matches that subresource of every resource.
    if (r.size() == subresource.size() + 2 && r.compare(0, 2, "*/") == 0 &&
        std::string_view(r).substr(2) == subresource)
      return true;
  }
  return false;
}

bool resourceNameMatches(const PolicyRule& rule, std::string_view name) {
  if (rule.resourceNames.empty()) return true;
  return has(rule.resourceNames, name);
}

bool nonResourceURLMatches(const PolicyRule& rule, std::string_view path) {
  for (const auto& u : rule.nonResourceURLs) {
    if (u == "*" || u == path) return true;
    if (!u.empty() && u.back() == '*') {
      std::string_view stem = u;
      while (!stem.empty() && stem.back() == '*') stem.remove_suffix(1);
      if (path.substr(0, stem.size()) == stem) return true;
    }
  }
  return false;
}

bool ruleAllows(const AuthorizationAttributes& attrs, const PolicyRule& rule) {
  if (attrs.isResourceRequest) {
    if (!verbMatches(rule, attrs.verb) || !apiGroupMatches(rule, attrs.apiGroup)) return false;
    if (attrs.subresource.empty()) {
      if (!resourceMatches(rule, attrs.resource, {})) return false;
    } else {
      std::string combined;
      combined.reserve(attrs.resource.size() + 1 + attrs.subresource.size());
      combined.append(attrs.resource).append("/").append(attrs.subresource);
      if (!resourceMatches(rule, combined, attrs.subresource)) return false;
    }
    return resourceNameMatches(rule, attrs.name);
  }
  return verbMatches(rule, attrs.verb) && nonResourceURLMatches(rule, attrs.path);
}

std::string serviceAccountUsername(std::string_view ns, std::string_view name) {
  std::string out(kServiceAccountUsernamePrefix);
  out.append(ns).append(":").append(name);
  return out;
}

bool appliesToUser(const UserInfo& user, const Subject& subject, std::string_view bindingNamespace) {
  if (subject.kind == "User") return user.name == subject.name;
  if (subject.kind == "Group") return has(user.groups, subject.name);
  if (subject.kind == "ServiceAccount") {
    std::string_view ns = subject.namespace_.empty() ? bindingNamespace : std::string_view(subject.namespace_);
    if (ns.empty()) return false;
    // serviceaccount.MatchesUsername without building the name.
    std::string_view u = user.name;
    if (u.substr(0, kServiceAccountUsernamePrefix.size()) != kServiceAccountUsernamePrefix) return false;
    u.remove_prefix(kServiceAccountUsernamePrefix.size());
    if (u.substr(0, ns.size()) != ns) return false;
    u.remove_prefix(ns.size());
    if (u.empty() || u.front() != ':') return false;
    u.remove_prefix(1);
    return u == subject.name;
  }
  return false;
}

// ------------------------------------------------------------------ comparing rules

std::vector<PolicyRule> breakdownRule(const PolicyRule& rule) {
  std::vector<PolicyRule> out;
  for (const auto& group : rule.apiGroups)
    for (const auto& resource : rule.resources)
      for (const auto& verb : rule.verbs) {
        if (!rule.resourceNames.empty()) {
          for (const auto& name : rule.resourceNames) out.push_back({{verb}, {group}, {resource}, {name}, {}});
        } else {
          out.push_back({{verb}, {group}, {resource}, {}, {}});
        }
      }
  // Non-resource URLs are unique because they only combine with verbs.
  for (const auto& url : rule.nonResourceURLs)
    for (const auto& verb : rule.verbs) out.push_back({{verb}, {}, {}, {}, {url}});
  return out;
}

bool ruleCovers(const PolicyRule& owner, const PolicyRule& sub) {
  const bool verbs = has(owner.verbs, kVerbAll) || hasAll(owner.verbs, sub.verbs);
  const bool groups = has(owner.apiGroups, "*") || hasAll(owner.apiGroups, sub.apiGroups);
  const bool resources = resourceCoversAll(owner.resources, sub.resources);
  const bool urls = nonResourceURLsCoversAll(owner.nonResourceURLs, sub.nonResourceURLs);
  bool names = false;
  if (sub.resourceNames.empty()) {
    names = owner.resourceNames.empty();
  } else {
    names = owner.resourceNames.empty() || hasAll(owner.resourceNames, sub.resourceNames);
  }
  return verbs && groups && resources && names && urls;
}

std::pair<bool, std::vector<PolicyRule>> covers(const std::vector<PolicyRule>& owner,
                                                const std::vector<PolicyRule>& servant) {
  std::vector<PolicyRule> uncovered;
  for (const auto& s : servant)
    for (auto& sub : breakdownRule(s)) {
      const bool covered =
          std::any_of(owner.begin(), owner.end(), [&](const PolicyRule& o) { return ruleCovers(o, sub); });
      if (!covered) uncovered.push_back(std::move(sub));
    }
  return {uncovered.empty(), std::move(uncovered)};
}

std::vector<PolicyRule> compactRules(const std::vector<PolicyRule>& rules) {
  // A "simple" rule has one group, one resource, at most one name, verbs, and nothing else;
  // simple rules of the same group/resource/name are merged into one with every verb.
  std::vector<PolicyRule> compacted;
  std::map<std::tuple<std::string, std::string, bool, std::string>, PolicyRule> simple;
  std::vector<std::tuple<std::string, std::string, bool, std::string>> order;
  for (const auto& r : rules) {
    const bool isSimple = r.resourceNames.size() <= 1 && r.nonResourceURLs.empty() && r.apiGroups.size() == 1 &&
                          r.resources.size() == 1;
    if (!isSimple) {
      compacted.push_back(r);
      continue;
    }
    auto key = std::make_tuple(r.apiGroups[0], r.resources[0], !r.resourceNames.empty(),
                               r.resourceNames.empty() ? std::string() : r.resourceNames[0]);
    auto it = simple.find(key);
    if (it == simple.end()) {
      simple.emplace(key, r);
      order.push_back(key);
      continue;
    }
    for (const auto& v : r.verbs)
      if (!has(it->second.verbs, v)) it->second.verbs.push_back(v);
  }
  for (const auto& k : order) compacted.push_back(simple.at(k));
  return compacted;
}

std::string goQuoteList(const std::vector<std::string>& list) {
  std::string out = "[";
  for (std::size_t i = 0; i < list.size(); ++i) out += (i ? " " : "") + goQuote(list[i]);
  return out + "]";
}

std::string compactString(const PolicyRule& r) {
  std::vector<std::string> parts;
  if (!r.apiGroups.empty()) parts.push_back("APIGroups:" + goQuoteList(r.apiGroups));
  if (!r.resources.empty()) parts.push_back("Resources:" + goQuoteList(r.resources));
  if (!r.nonResourceURLs.empty()) parts.push_back("NonResourceURLs:" + goQuoteList(r.nonResourceURLs));
  if (!r.resourceNames.empty()) parts.push_back("ResourceNames:" + goQuoteList(r.resourceNames));
  if (!r.verbs.empty()) parts.push_back("Verbs:" + goQuoteList(r.verbs));
  std::string out = "{";
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
  return out + "}";
}

}  // namespace apiserver::plugins::rbac
