#pragma once

#include <apiserver/result.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

/// @file encryption_config.h
/// kube's EncryptionConfiguration (apiserver.config.k8s.io/v1), the file named by
/// `--encryption-provider-config`: which resources are encrypted at rest, and with which
/// providers and keys. Parsed and validated as kube-apiserver does at start-up; every problem is
/// reported as "file:line:col: field.path: message".

namespace apiserver::storage::encryption {

/// ProviderKind is one of the providers this server implements (kube's kms is not one).
enum class ProviderKind { AesCbc, AesGcm, Secretbox, Identity };

/// providerName is the name in the file and in the stored prefix ("aescbc").
std::string_view providerName(ProviderKind kind);

/// Key is one named key of a provider; `secret` holds the decoded key bytes.
struct Key {
  std::string name;
  std::string secret;
};

/// ProviderConfig is one entry of a resource rule's providers list.
struct ProviderConfig {
  ProviderKind kind = ProviderKind::Identity;
  std::vector<Key> keys;  ///< empty for identity
};

/// GroupResourcePattern is one entry of a rule's resources: a group and a resource, either of
/// which may be "*" ("secrets" is {"", "secrets"}, "*.apps" {"apps", "*"}, "*.*" {"*", "*"}).
struct GroupResourcePattern {
  std::string group;
  std::string resource;
  bool matches(std::string_view g, std::string_view r) const {
    return (group == "*" || group == g) && (resource == "*" || resource == r);
  }
};

/// ResourceRule is one entry of the configuration's resources: what is encrypted, and how. The
/// first provider writes; every provider (and every key) reads.
struct ResourceRule {
  std::vector<GroupResourcePattern> resources;
  std::vector<ProviderConfig> providers;
};

/// EncryptionConfig is a parsed, validated configuration.
struct EncryptionConfig {
  std::string source;  ///< the file it came from
  std::vector<ResourceRule> rules;

  /// ruleFor finds the rule for a resource as kube does: the exact group/resource first, then
  /// "*.<group>", then "*.*". Null when the resource is not encrypted.
  const ResourceRule* ruleFor(std::string_view group, std::string_view resource) const;
};

/// parseEncryptionConfig parses and validates a configuration's YAML (or JSON) text; `file`
/// names it in messages. Errors are ApiErrors with reason "Invalid", one line per problem.
apiserver::Result<EncryptionConfig> parseEncryptionConfig(std::string_view text, const std::string& file);

/// loadEncryptionConfig reads and parses a file.
apiserver::Result<EncryptionConfig> loadEncryptionConfig(const std::filesystem::path& file);

}  // namespace apiserver::storage::encryption
