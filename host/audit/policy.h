#pragma once

#include <apiserver/request.h>
#include <apiserver/result.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// @file policy.h
/// The audit policy (audit.k8s.io/v1 Policy) and its evaluation, exactly as kube's
/// k8s.io/apiserver/pkg/audit/policy RuleEvaluator: the first rule that matches a request gives
/// its level; no match is level None.

namespace apiserver::audit {

/// Level is how much of a request an event records.
enum class Level { None, Metadata, Request, RequestResponse };

/// Stage is a point in a request's life at which an event is written.
enum class Stage { RequestReceived, ResponseStarted, ResponseComplete, Panic };

const char* levelName(Level l);
const char* stageName(Stage s);

/// GroupResources is one `resources` entry of a rule.
struct GroupResources {
  std::string group;                       ///< "" is the core group
  std::vector<std::string> resources;      ///< "pods", "pods/log", "*/status", "pods/*", "*"; empty: all
  std::vector<std::string> resourceNames;  ///< empty: all
};

/// PolicyRule is one rule; an empty list matches anything.
struct PolicyRule {
  Level level = Level::None;
  std::vector<std::string> users;
  std::vector<std::string> userGroups;
  std::vector<std::string> verbs;
  std::vector<GroupResources> resources;
  std::vector<std::string> namespaces;  ///< "" matches cluster-scoped resources
  std::vector<std::string> nonResourceURLs;
  std::vector<Stage> omitStages;
  std::optional<bool> omitManagedFields;
};

/// Policy is the whole policy.
struct Policy {
  std::vector<PolicyRule> rules;
  std::vector<Stage> omitStages;
  bool omitManagedFields = false;
};

/// RuleDecision is what the policy says about one request.
struct RuleDecision {
  Level level = Level::None;
  std::vector<Stage> omitStages;  ///< the policy's and the rule's
  bool omitManagedFields = false;
  bool omits(Stage s) const {
    for (auto o : omitStages)
      if (o == s) return true;
    return false;
  }
};

/// parsePolicy reads a Policy (YAML or JSON). Unknown fields, invalid levels or stages, rules
/// mixing resources and nonResourceURLs, and a policy without rules fail with every problem,
/// each as `<source>: <field path>: <what>`.
Result<Policy> parsePolicy(std::string_view text, const std::string& source);

/// loadPolicy reads a policy file.
Result<Policy> loadPolicy(const std::filesystem::path& file);

/// evaluate applies the policy to a request: its user (null before authentication), its
/// RequestInfo and its path.
RuleDecision evaluate(const Policy& policy, const UserInfo* user, const RequestInfo& info, std::string_view path);

}  // namespace apiserver::audit
