#include "storage/encryption/encryption_config.h"

#include "codec/yaml_json.h"

#include <apiserver/base64.h>
#include <apiserver/config.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <optional>
#include <sstream>

namespace apiserver::storage::encryption {

namespace {

constexpr std::string_view kApiVersion = "apiserver.config.k8s.io/v1";
constexpr std::string_view kKind = "EncryptionConfiguration";

std::string sizesText(const std::vector<std::size_t>& sizes) {  // Go's %v of []int: [16 24 32]
  std::string s = "[";
  for (std::size_t i = 0; i < sizes.size(); ++i) s += (i ? " " : "") + std::to_string(sizes[i]);
  return s + "]";
}

// parsePattern reads kube's schema.ParseGroupResource form: "secrets", "deployments.apps",
// "*.apps", "*." (every core resource), "*.*".
GroupResourcePattern parsePattern(std::string_view s) {
  auto dot = s.find('.');
  if (dot == std::string_view::npos) return {"", std::string(s)};
  return {std::string(s.substr(dot + 1)), std::string(s.substr(0, dot))};
}

bool covers(const GroupResourcePattern& wide, const GroupResourcePattern& narrow) {
  return (wide.group == "*" || wide.group == narrow.group) && (wide.resource == "*" || wide.resource == narrow.resource);
}

void readKeys(ConfigReader& r, ProviderConfig& out, const std::vector<std::size_t>& sizes) {
  auto keys = r.section("keys");
  if (!keys || !keys->value().is_array() || keys->value().get_array().empty()) {
    if (keys && !keys->value().is_array()) {
      r.error("keys", "expected a list of keys");
    } else {
      r.error("keys", "at least one keys is required");
    }
    return;
  }
  for (std::size_t i = 0; i < keys->value().get_array().size(); ++i) {
    ConfigSection ks = keys->element(i);
    ConfigReader kr(ks);
    Key key;
    auto name = kr.string("name");
    auto secret = kr.string("secret");
    if (!name || name->empty()) {
      kr.error("name", "name is a mandatory field for a key");
    } else {
      if (name->find(':') != std::string::npos) kr.error("name", "key name \"" + *name + "\" must not contain ':'");
      for (const auto& k : out.keys)
        if (k.name == *name) kr.error("name", "duplicate key name \"" + *name + "\"");
      key.name = *name;
    }
    if (!secret || secret->empty()) {
      kr.error("secret", "secret is a mandatory field for a key");
    } else if (auto bytes = base64::decode(*secret); !bytes.ok) {
      kr.error("secret", "secrets must be base64 encoded");
    } else if (std::find(sizes.begin(), sizes.end(), bytes.data.size()) == sizes.end()) {
      kr.error("secret", "secret is not of the expected length, got " +
                             std::to_string(bytes.data.size()) + ", expected one of " +
                             sizesText(sizes));
    } else {
      key.secret = std::move(bytes.data);
    }
    r.merge(kr);
    out.keys.push_back(std::move(key));
  }
}

}  // namespace

std::string_view providerName(ProviderKind kind) {
  switch (kind) {
    case ProviderKind::AesCbc: return "aescbc";
    case ProviderKind::AesGcm: return "aesgcm";
    case ProviderKind::Secretbox: return "secretbox";
    case ProviderKind::Identity: return "identity";
  }
  return "identity";
}

const ResourceRule* EncryptionConfig::ruleFor(std::string_view group, std::string_view resource) const {
  // kube's transformerFromOverrides: the exact resource, then "*.<group>", then "*.*".
  for (int pass = 0; pass < 3; ++pass) {
    for (const auto& rule : rules)
      for (const auto& p : rule.resources) {
        const bool hit = pass == 0   ? p.group == group && p.resource == resource
                         : pass == 1 ? p.group == group && p.resource == "*"
                                     : p.group == "*" && p.resource == "*";
        if (hit) return &rule;
      }
  }
  return nullptr;
}

apiserver::Result<EncryptionConfig> parseEncryptionConfig(std::string_view text, const std::string& file) {
  auto parsed = codec::configYaml(text, file);
  if (!parsed)
    return fail(configFailure({ConfigError{file, "", std::move(parsed).error()}}));
  ConfigSection root = std::move(*parsed);
  ConfigReader r(root);
  if (!root.value().is_object())
    return fail(configFailure({ConfigError{file, "", "expected an EncryptionConfiguration (a mapping)"}}));
  auto apiVersion = r.string("apiVersion");
  auto kind = r.string("kind");
  if (!apiVersion || *apiVersion != kApiVersion)
    r.error("apiVersion", "expected \"" + std::string(kApiVersion) + "\", got \"" + apiVersion.value_or("") + "\"");
  if (!kind || *kind != kKind) r.error("kind", "expected \"" + std::string(kKind) + "\", got \"" + kind.value_or("") + "\"");
  EncryptionConfig cfg;
  cfg.source = file;
  auto resources = r.section("resources");
  if (!resources || !resources->value().is_array() || resources->value().get_array().empty()) {
    r.error("resources", resources && !resources->value().is_array() ? "expected a list of resource rules"
                                                                      : "at least one resources is required");
  } else {
    struct Seen {
      GroupResourcePattern pattern;
      std::string text;  // as written
      std::string path;  // where
    };
    std::vector<Seen> seen;
    for (std::size_t i = 0; i < resources->value().get_array().size(); ++i) {
      ConfigSection rs = resources->element(i);
      ConfigReader rr(rs);
      ResourceRule rule;
      auto names = rr.stringList("resources");
      if (!names || names->empty()) {
        if (rr.ok()) rr.error("resources", "at least one " + rs.childPath("resources") + " is required");
      } else {
        for (std::size_t j = 0; j < names->size(); ++j) {
          const std::string& n = (*names)[j];
          const std::string at = "resources[" + std::to_string(j) + "]";
          if (n.empty()) {
            rr.error(at, "resource name must not be empty");
            continue;
          }
          if (std::any_of(n.begin(), n.end(), [](unsigned char c) { return std::isupper(c); })) {
            rr.error(at, "resource name should not contain any upper case characters");
            continue;
          }
          if (n == "*") {
            rr.error(at, "use '*.' to encrypt all the resources from core API group or *.* to encrypt all resources");
            continue;
          }
          GroupResourcePattern p = parsePattern(n);
          bool bad = false;
          for (const auto& s : seen) {
            if (s.pattern.group == p.group && s.pattern.resource == p.resource) {
              rr.error(at, "duplicate resource \"" + n + "\" (already listed at " + s.path + ")");
              bad = true;
              break;
            }
            if (covers(s.pattern, p)) {  // an earlier wildcard makes this entry unreachable
              rr.error(at, "resource \"" + n + "\" is masked by earlier rule \"" + s.text + "\" at " + s.path);
              bad = true;
              break;
            }
          }
          if (bad) continue;
          seen.push_back({p, n, rs.childPath(at)});
          rule.resources.push_back(std::move(p));
        }
      }
      auto providers = rr.section("providers");
      if (!providers || !providers->value().is_array() || providers->value().get_array().empty()) {
        rr.error("providers", "at least one " + rs.childPath("providers") + " is required");
      } else {
        for (std::size_t j = 0; j < providers->value().get_array().size(); ++j) {
          ConfigSection ps = providers->element(j);
          ConfigReader pr(ps);
          std::vector<std::string> given;
          if (ps.value().is_object())
            for (const auto& kv : ps.value().get_object()) given.emplace_back(kv.key());
          ProviderConfig pc;
          int count = 0;
          for (const char* name : {"aescbc", "aesgcm", "secretbox", "identity", "kms"}) {
            auto sec = pr.section(name);
            if (!sec) continue;
            ++count;
            ConfigReader kr(*sec);
            std::string n(name);
            if (n == "kms") {
              pr.error(name, "kms providers are not supported by this server; use aescbc, aesgcm or secretbox");
              (void)kr.section("name"), (void)kr.section("endpoint"), (void)kr.section("apiVersion");
              (void)kr.section("cachesize"), (void)kr.section("timeout");
            } else if (n == "identity") {
              pc.kind = ProviderKind::Identity;
            } else {
              pc.kind = n == "aescbc" ? ProviderKind::AesCbc : n == "aesgcm" ? ProviderKind::AesGcm : ProviderKind::Secretbox;
              const std::vector<std::size_t> sizes =
                  pc.kind == ProviderKind::Secretbox ? std::vector<std::size_t>{32} : std::vector<std::size_t>{16, 24, 32};
              readKeys(kr, pc, sizes);
            }
            pr.merge(kr);
          }
          if (count == 0 && pr.ok()) {
            pr.error("", "provider does not contain any of the expected providers: aescbc, aesgcm, secretbox, identity");
          } else if (count > 1) {
            pr.error("", "more than one provider specified in a single element, should split into different list elements");
          }
          rr.merge(pr);
          rule.providers.push_back(std::move(pc));
        }
      }
      r.merge(rr);
      cfg.rules.push_back(std::move(rule));
    }
  }
  if (auto done = r.finish(); !done) return fail(std::move(done).error());
  return cfg;
}

apiserver::Result<EncryptionConfig> loadEncryptionConfig(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return fail(configFailure({ConfigError{"", "", "cannot read encryption provider config " + file.string() +
                                                       " (--encryption-provider-config)"}}));
  std::ostringstream ss;
  ss << in.rdbuf();
  return parseEncryptionConfig(ss.str(), file.string());
}

}  // namespace apiserver::storage::encryption
