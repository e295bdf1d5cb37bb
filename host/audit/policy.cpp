#include "audit/policy.h"

#include "codec/yaml_json.h"

#include <boost/json.hpp>

#include <fstream>
#include <set>
#include <sstream>

namespace apiserver::audit {

namespace json = boost::json;

const char* levelName(Level l) {
  switch (l) {
    case Level::None: return "None";
    case Level::Metadata: return "Metadata";
    case Level::Request: return "Request";
    case Level::RequestResponse: return "RequestResponse";
  }
  return "None";
}

const char* stageName(Stage s) {
  switch (s) {
    case Stage::RequestReceived: return "RequestReceived";
    case Stage::ResponseStarted: return "ResponseStarted";
    case Stage::ResponseComplete: return "ResponseComplete";
    case Stage::Panic: return "Panic";
  }
  return "ResponseComplete";
}

namespace {

/// Reader walks the decoded document, collecting every problem with its field path.
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  void error(const std::string& path, const std::string& what) {
    errors_.push_back(source_ + ": " + (path.empty() ? "" : path + ": ") + what);
  }
  bool failed() const { return !errors_.empty(); }
  std::string message() const {
    std::string m;
    for (const auto& e : errors_) m += (m.empty() ? "" : "\n") + e;
    return m;
  }

  // checkKeys reports keys of `o` not in `known`.
  void checkKeys(const json::object& o, const std::string& path, std::initializer_list<std::string_view> known) {
    for (const auto& [k, v] : o) {
      bool ok = false;
      for (auto n : known) ok = ok || n == k;
      if (!ok) error(join(path, k), "unknown field \"" + std::string(k) + "\"");
    }
  }

  std::vector<std::string> strings(const json::object& o, std::string_view key, const std::string& path) {
    std::vector<std::string> out;
    const auto* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return out;
    if (!v->is_array()) {
      error(join(path, key), "expected a list of strings");
      return out;
    }
    for (std::size_t i = 0; i < v->get_array().size(); ++i) {
      const auto& e = v->get_array()[i];
      if (!e.is_string()) {
        error(join(path, key) + "[" + std::to_string(i) + "]", "expected a string");
        continue;
      }
      out.emplace_back(e.get_string());
    }
    return out;
  }

  std::optional<std::string> string(const json::object& o, std::string_view key, const std::string& path) {
    const auto* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    if (!v->is_string()) {
      error(join(path, key), "expected a string");
      return std::nullopt;
    }
    return std::string(v->get_string());
  }

  std::optional<bool> boolean(const json::object& o, std::string_view key, const std::string& path) {
    const auto* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    if (!v->is_bool()) {
      error(join(path, key), "expected true or false");
      return std::nullopt;
    }
    return v->get_bool();
  }

  std::vector<Stage> stages(const json::object& o, const std::string& path) {
    std::vector<Stage> out;
    auto names = strings(o, "omitStages", path);
    for (std::size_t i = 0; i < names.size(); ++i) {
      const std::string& n = names[i];
      if (n == "RequestReceived") {
        out.push_back(Stage::RequestReceived);
      } else if (n == "ResponseStarted") {
        out.push_back(Stage::ResponseStarted);
      } else if (n == "ResponseComplete") {
        out.push_back(Stage::ResponseComplete);
      } else if (n == "Panic") {
        out.push_back(Stage::Panic);
      } else {
        error(join(path, "omitStages") + "[" + std::to_string(i) + "]",
              "Unsupported value: \"" + n +
                  "\": supported values: \"RequestReceived\", \"ResponseStarted\", \"ResponseComplete\", \"Panic\"");
      }
    }
    return out;
  }

  static std::string join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }

 private:
  std::string source_;
  std::vector<std::string> errors_;
};

PolicyRule readRule(Reader& r, const json::object& o, const std::string& path) {
  r.checkKeys(o, path, {"level", "users", "userGroups", "verbs", "resources", "namespaces", "nonResourceURLs",
                        "omitStages", "omitManagedFields"});
  PolicyRule rule;
  auto level = r.string(o, "level", path);
  if (!level) {
    r.error(Reader::join(path, "level"), "Required value");
  } else if (*level == "None") {
    rule.level = Level::None;
  } else if (*level == "Metadata") {
    rule.level = Level::Metadata;
  } else if (*level == "Request") {
    rule.level = Level::Request;
  } else if (*level == "RequestResponse") {
    rule.level = Level::RequestResponse;
  } else {
    r.error(Reader::join(path, "level"), "Unsupported value: \"" + *level +
                                             "\": supported values: \"None\", \"Metadata\", \"Request\", "
                                             "\"RequestResponse\"");
  }
  rule.users = r.strings(o, "users", path);
  rule.userGroups = r.strings(o, "userGroups", path);
  rule.verbs = r.strings(o, "verbs", path);
  rule.namespaces = r.strings(o, "namespaces", path);
  rule.nonResourceURLs = r.strings(o, "nonResourceURLs", path);
  rule.omitStages = r.stages(o, path);
  rule.omitManagedFields = r.boolean(o, "omitManagedFields", path);
  if (const auto* res = o.if_contains("resources"); res != nullptr && !res->is_null()) {
    if (!res->is_array()) {
      r.error(Reader::join(path, "resources"), "expected a list of {group, resources, resourceNames}");
    } else {
      for (std::size_t i = 0; i < res->get_array().size(); ++i) {
        const std::string p = Reader::join(path, "resources") + "[" + std::to_string(i) + "]";
        const auto& e = res->get_array()[i];
        if (!e.is_object()) {
          r.error(p, "expected a mapping with group, resources and resourceNames");
          continue;
        }
        r.checkKeys(e.get_object(), p, {"group", "resources", "resourceNames"});
        GroupResources gr;
        gr.group = r.string(e.get_object(), "group", p).value_or("");
        gr.resources = r.strings(e.get_object(), "resources", p);
        gr.resourceNames = r.strings(e.get_object(), "resourceNames", p);
        for (std::size_t j = 0; j < gr.resources.size(); ++j) {
          const auto& x = gr.resources[j];
          if (x.empty() || (x.find('/') != std::string::npos && x.find('/') != x.rfind('/')))
            r.error(p + ".resources[" + std::to_string(j) + "]",
                    "Invalid value: \"" + x + "\": resource or resource/subresource expected");
          if (x.starts_with("*/") && !gr.resourceNames.empty())
            r.error(p + ".resourceNames", "Invalid value: using resourceNames with */subresource is not allowed");
        }
        rule.resources.push_back(std::move(gr));
      }
    }
  }
  if (!rule.nonResourceURLs.empty() && (!rule.resources.empty() || !rule.namespaces.empty()))
    r.error(Reader::join(path, "nonResourceURLs"),
            "Invalid value: rules cannot apply to both regular resources and non-resource URLs");
  for (std::size_t i = 0; i < rule.nonResourceURLs.size(); ++i) {
    const auto& u = rule.nonResourceURLs[i];
    const std::string p = Reader::join(path, "nonResourceURLs") + "[" + std::to_string(i) + "]";
    if (u.empty() || (u != "*" && u.front() != '/'))
      r.error(p, "Invalid value: \"" + u + "\": non-resource URLs must start with \"/\" (or be \"*\")");
    else if (auto star = u.find('*'); star != std::string::npos && star != u.size() - 1)
      r.error(p, "Invalid value: \"" + u + "\": \"*\" may only end a non-resource URL");
  }
  return rule;
}

bool has(const std::vector<std::string>& list, std::string_view s) {
  for (const auto& x : list)
    if (x == s) return true;
  return false;
}

// pathMatches is kube's: "*", an exact match, or a prefix ending in "*".
bool pathMatches(std::string_view path, std::string_view spec) {
  if (spec == "*" || spec == path) return true;
  if (spec.ends_with('*')) {
    std::string_view prefix = spec;
    while (!prefix.empty() && prefix.back() == '*') prefix.remove_suffix(1);
    return path.starts_with(prefix);
  }
  return false;
}

bool matchesResource(const PolicyRule& r, const RequestInfo& info) {
  if (!info.isResourceRequest) return false;
  if (!r.namespaces.empty() && !has(r.namespaces, info.namespace_)) return false;
  if (r.resources.empty()) return true;
  const std::string combined = info.subresource.empty() ? info.resource : info.resource + "/" + info.subresource;
  for (const auto& gr : r.resources) {
    if (gr.group != info.apiGroup) continue;
    if (gr.resources.empty()) return true;
    for (const auto& res : gr.resources) {
      if (!gr.resourceNames.empty() && !has(gr.resourceNames, info.name)) continue;
      if (res == combined || res == "*") return true;
      if (!info.subresource.empty() && res.starts_with("*/") && info.subresource == std::string_view(res).substr(2))
        return true;
      if (res.ends_with("/*") && info.resource == std::string_view(res).substr(0, res.size() - 2)) return true;
    }
  }
  return false;
}

bool ruleMatches(const PolicyRule& r, const UserInfo* user, const RequestInfo& info, std::string_view path) {
  if (!r.users.empty() && (user == nullptr || !has(r.users, user->name))) return false;
  if (!r.userGroups.empty()) {
    if (user == nullptr) return false;
    bool matched = false;
    for (const auto& g : user->groups) matched = matched || has(r.userGroups, g);
    if (!matched) return false;
  }
  if (!r.verbs.empty() && !has(r.verbs, info.verb)) return false;
  if (!r.namespaces.empty() || !r.resources.empty()) return matchesResource(r, info);
  if (!r.nonResourceURLs.empty()) {
    if (info.isResourceRequest) return false;
    for (const auto& spec : r.nonResourceURLs)
      if (pathMatches(path, spec)) return true;
    return false;
  }
  return true;
}

}  // namespace

Result<Policy> parsePolicy(std::string_view text, const std::string& source) {
  codec::YamlToJsonOptions yo;
  yo.file = source;
  auto doc = codec::yamlToJson(text, yo);
  if (!doc) return fail(ApiError::badRequest(source + ": " + doc.error().message));
  Reader r(source);
  if (!doc->is_object()) {
    r.error("", "expected an audit.k8s.io/v1 Policy");
    return fail(ApiError::badRequest(r.message()));
  }
  const auto& o = doc->get_object();
  r.checkKeys(o, "", {"apiVersion", "kind", "metadata", "rules", "omitStages", "omitManagedFields"});
  auto apiVersion = r.string(o, "apiVersion", "");
  if (!apiVersion || (*apiVersion != "audit.k8s.io/v1" && *apiVersion != "audit.k8s.io/v1beta1"))
    r.error("apiVersion", "expected audit.k8s.io/v1, got \"" + apiVersion.value_or("") + "\"");
  auto kind = r.string(o, "kind", "");
  if (!kind || *kind != "Policy") r.error("kind", "expected Policy, got \"" + kind.value_or("") + "\"");
  Policy p;
  p.omitStages = r.stages(o, "");
  p.omitManagedFields = r.boolean(o, "omitManagedFields", "").value_or(false);
  const auto* rules = o.if_contains("rules");
  if (rules != nullptr && !rules->is_null() && !rules->is_array()) r.error("rules", "expected a list of rules");
  if (rules != nullptr && rules->is_array()) {
    for (std::size_t i = 0; i < rules->get_array().size(); ++i) {
      const std::string path = "rules[" + std::to_string(i) + "]";
      const auto& e = rules->get_array()[i];
      if (!e.is_object()) {
        r.error(path, "expected a mapping");
        continue;
      }
      p.rules.push_back(readRule(r, e.get_object(), path));
    }
  }
  if (!r.failed() && p.rules.empty()) r.error("rules", "loaded illegal policy with 0 rules");
  if (r.failed()) return fail(ApiError::badRequest(r.message()));
  return p;
}

Result<Policy> loadPolicy(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(ApiError::badRequest("open " + file.string() + ": no such file or not readable"));
  std::ostringstream ss;
  ss << in.rdbuf();
  return parsePolicy(ss.str(), file.string());
}

RuleDecision evaluate(const Policy& policy, const UserInfo* user, const RequestInfo& info, std::string_view path) {
  RuleDecision d;
  for (const auto& rule : policy.rules) {
    if (!ruleMatches(rule, user, info, path)) continue;
    d.level = rule.level;
    d.omitStages = policy.omitStages;
    for (auto s : rule.omitStages)
      if (!d.omits(s)) d.omitStages.push_back(s);
    d.omitManagedFields = rule.omitManagedFields.value_or(policy.omitManagedFields);
    return d;
  }
  d.omitStages = policy.omitStages;
  return d;
}

}  // namespace apiserver::audit
