// Encryption at rest: the providers (byte-compatible with kube's: vectors made with Python's
// cryptography package), the prefix chain and key rotation, EncryptionConfiguration parsing and
// its errors, and the storage decorator over a real backend.
#include "storage/encryption/encrypted_storage.h"
#include "storage/encryption/encryption_config.h"
#include "storage/encryption/transformers.h"
#include "storage/memory/memory_storage.h"
#include "storage_test_util.h"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>

namespace apiserver::storage::encryption {
namespace {

std::string key32() {
  std::string k;
  for (int i = 0; i < 32; ++i) k += static_cast<char>(i);
  return k;
}

std::string unhex(std::string_view h) {
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) out += static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16));
  return out;
}

constexpr std::string_view kPlain = R"({"kind":"Secret","data":{"a":"Yg=="}})";
constexpr std::string_view kKey = "/registry/secrets/default/s1";

TEST(Providers, DecryptWhatKubesCiphersWrite) {
  // AES-256-CBC: IV then ciphertext with PKCS#7 padding.
  auto cbc = makeAesCbc(key32());
  auto plain = cbc->fromStorage(unhex("01010101010101010101010101010101ad41a31e53cedce5947d79b688ca5e684254fde79b1b5b88cb38"
                                      "bd726b71849abbd32f70a599e0c25b21f582135d826f"),
                                kKey);
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_EQ(*plain, kPlain);
  // AES-256-GCM: nonce, ciphertext, tag; the storage key is the additional data.
  auto gcm = makeAesGcm(key32());
  const std::string sealed = unhex(
      "020202020202020202020202e00a72d2d7bd1361e9d6c79b411cae3130cbcb0de0355acb397cb0214d4910a5edc5fa1f62c1f5376239fac"
      "59bace6867ccadd594a");
  plain = gcm->fromStorage(sealed, kKey);
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_EQ(*plain, kPlain);
  // The same bytes under another key path do not authenticate.
  EXPECT_FALSE(gcm->fromStorage(sealed, "/registry/secrets/default/s2"));
}

TEST(Providers, RoundTripsAndLayout) {
  struct P {
    const char* name;
    std::shared_ptr<const Transformer> t;
    std::size_t overhead;  // bytes added for kPlain
  };
  const std::size_t padded = (kPlain.size() / 16 + 1) * 16;
  for (const auto& p : {P{"aescbc", makeAesCbc(key32()), 16 + padded - kPlain.size()},
                        P{"aesgcm-16", makeAesGcm(key32().substr(0, 16)), 12 + 16},
                        P{"aesgcm-24", makeAesGcm(key32().substr(0, 24)), 12 + 16},
                        P{"secretbox", makeSecretbox(key32()), 24 + 16}}) {
    auto a = p.t->toStorage(kPlain, kKey);
    auto b = p.t->toStorage(kPlain, kKey);
    ASSERT_TRUE(a && b) << p.name;
    EXPECT_EQ(a->size(), kPlain.size() + p.overhead) << p.name;
    EXPECT_NE(*a, *b) << p.name << ": a fresh IV/nonce per write";
    EXPECT_EQ(a->find("Secret"), std::string::npos) << p.name;
    auto back = p.t->fromStorage(*a, kKey);
    ASSERT_TRUE(back) << p.name << ": " << back.error().message;
    EXPECT_EQ(*back, kPlain) << p.name;
    std::string tampered = *a;
    tampered.back() = static_cast<char>(tampered.back() ^ 0x55);
    auto bad = p.t->fromStorage(tampered, kKey);
    EXPECT_TRUE(!bad || *bad != kPlain) << p.name;
    EXPECT_FALSE(p.t->fromStorage("short", kKey)) << p.name;
  }
  auto empty = makeAesCbc(key32())->toStorage("", kKey);
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->size(), 32u);  // a whole block of padding
}

apiserver::Result<EncryptionConfig> parse(std::string_view yaml) { return parseEncryptionConfig(yaml, "enc.yaml"); }

const char* kKey1 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";  // bytes 0..31
const char* kKey2 = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";  // bytes 32..63

std::string config(const std::string& providers, const std::string& resources = "[secrets]") {
  return "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: " +
         resources + "\n    providers:\n" + providers;
}
std::string provider(const std::string& kind, const std::vector<std::pair<std::string, std::string>>& keys) {
  std::string s = "      - " + kind + ":\n          keys:\n";
  for (const auto& [n, k] : keys) s += "            - name: " + n + "\n              secret: " + k + "\n";
  return s;
}
const std::string kIdentity = "      - identity: {}\n";

std::shared_ptr<const PrefixTransformers> transformerOf(const std::string& yaml) {
  auto c = parse(yaml);
  EXPECT_TRUE(c) << (c ? "" : c.error().message);
  if (!c) return nullptr;
  const ResourceRule* rule = c->ruleFor("", "secrets");
  EXPECT_NE(rule, nullptr);
  return rule != nullptr ? transformerFor(*rule) : nullptr;
}

TEST(PrefixChain, FirstKeyWritesEveryKeyReads) {
  auto old = transformerOf(config(provider("aescbc", {{"key1", kKey1}})));
  auto rotated = transformerOf(config(provider("aescbc", {{"key2", kKey2}, {"key1", kKey1}})));
  auto written = old->toStorage(kPlain, kKey);
  ASSERT_TRUE(written);
  EXPECT_EQ(written->rfind("k8s:enc:aescbc:v1:key1:", 0), 0u);
  auto read = rotated->fromStorage(*written, kKey);
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(*read, kPlain);
  auto rewritten = rotated->toStorage(kPlain, kKey);
  ASSERT_TRUE(rewritten);
  EXPECT_EQ(rewritten->rfind("k8s:enc:aescbc:v1:key2:", 0), 0u);
  // Once key1 is gone, what it wrote cannot be read.
  auto dropped = transformerOf(config(provider("aescbc", {{"key2", kKey2}})));
  auto lost = dropped->fromStorage(*written, kKey);
  ASSERT_FALSE(lost);
  EXPECT_NE(lost.error().message.find("no matching prefix found"), std::string::npos);
}

TEST(PrefixChain, ProvidersMixAndIdentity) {
  auto gcm = transformerOf(config(provider("aesgcm", {{"g", kKey1}}) + provider("secretbox", {{"s", kKey2}}) + kIdentity));
  auto written = gcm->toStorage(kPlain, kKey);
  ASSERT_TRUE(written);
  EXPECT_EQ(written->rfind("k8s:enc:aesgcm:v1:g:", 0), 0u);
  // Plain values written before encryption are still read through identity.
  auto plain = gcm->fromStorage(kPlain, kKey);
  ASSERT_TRUE(plain);
  EXPECT_EQ(*plain, kPlain);
  // Identity first (moving away from encryption) writes plain and still reads the encrypted.
  auto decrypting = transformerOf(config(kIdentity + provider("aesgcm", {{"g", kKey1}})));
  auto out = decrypting->toStorage(kPlain, kKey);
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, kPlain);
  auto back = decrypting->fromStorage(*written, kKey);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, kPlain);
  // Identity alone refuses encrypted data.
  auto identityOnly = transformerOf(config(kIdentity));
  auto refused = identityOnly->fromStorage(*written, kKey);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("identity transformer tried to read encrypted data"), std::string::npos);
}

struct BadConfig {
  std::string name;
  std::string yaml;
  std::string message;  // must appear
};

class ConfigErrors : public ::testing::TestWithParam<BadConfig> {};

TEST_P(ConfigErrors, NameTheFileAndTheProblem) {
  auto c = parse(GetParam().yaml);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().reason, "Invalid");
  EXPECT_NE(c.error().message.find("enc.yaml"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find(GetParam().message), std::string::npos) << c.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Kube, ConfigErrors,
    ::testing::Values(
        BadConfig{"NotYaml", "resources: [", "invalid YAML"},
        BadConfig{"WrongKind", "apiVersion: v1\nkind: Config\nresources: []\n",
                  "apiVersion: expected \"apiserver.config.k8s.io/v1\", got \"v1\""},
        BadConfig{"NoResources", "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n",
                  "resources: at least one resources is required"},
        BadConfig{"NoProviders",
                  "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n",
                  "resources[0].providers: at least one resources[0].providers is required"},
        BadConfig{"ShortKey", config(provider("aescbc", {{"k", "c2hvcnQ="}})),
                  "enc.yaml:9:15: resources[0].providers[0].aescbc.keys[0].secret: secret is not of the expected "
                  "length, got 5, expected one of [16 24 32]"},
        BadConfig{"SecretboxNeeds32", config(provider("secretbox", {{"k", "AAECAwQFBgcICQoLDA0ODw=="}})),
                  "secretbox.keys[0].secret: secret is not of the expected length, got 16, expected one of [32]"},
        BadConfig{"NotBase64", config(provider("aesgcm", {{"k", "not base64!"}})),
                  "aesgcm.keys[0].secret: secrets must be base64 encoded"},
        BadConfig{"MissingKeyName", config("      - aescbc:\n          keys:\n            - secret: " + std::string(kKey1) + "\n"),
                  "aescbc.keys[0].name: name is a mandatory field for a key"},
        BadConfig{"DuplicateKeyName", config(provider("aescbc", {{"k", kKey1}, {"k", kKey2}})),
                  "aescbc.keys[1].name: duplicate key name \"k\""},
        BadConfig{"NoKeys", config("      - aesgcm:\n          keys: []\n"),
                  "resources[0].providers[0].aesgcm.keys: at least one keys is required"},
        BadConfig{"TwoProvidersInOne", config("      - identity: {}\n        aescbc:\n          keys:\n            - name: k\n"
                                              "              secret: " + std::string(kKey1) + "\n"),
                  "more than one provider specified in a single element"},
        BadConfig{"Kms", config("      - kms:\n          name: x\n"), "kms providers are not supported"},
        BadConfig{"UnknownProviderKey", config("      - aesctr:\n          keys: []\n"), "aesctr: unknown key"},
        BadConfig{"UpperCase", config(kIdentity, "[Secrets]"), "resource name should not contain any upper case characters"},
        BadConfig{"BareStar", config(kIdentity, "['*']"), "use '*.' to encrypt all the resources from core API group"},
        BadConfig{"MaskedByWildcard", config(kIdentity, "['*.*', secrets]"), "resource \"secrets\" is masked by earlier rule \"*.*\""},
        BadConfig{"Duplicate", config(kIdentity, "[secrets, secrets]"), "duplicate resource \"secrets\""}),
    [](const auto& info) { return info.param.name; });

TEST(Config, WildcardsResolveAsKube) {
  auto c = parse(
      "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n"
      "  - resources: [secrets, deployments.apps]\n    providers: [{identity: {}}]\n"
      "  - resources: ['*.batch']\n    providers: [{identity: {}}]\n"
      "  - resources: ['*.']\n    providers: [{identity: {}}]\n");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->ruleFor("", "secrets"), &c->rules[0]);
  EXPECT_EQ(c->ruleFor("apps", "deployments"), &c->rules[0]);
  EXPECT_EQ(c->ruleFor("apps", "replicasets"), nullptr);
  EXPECT_EQ(c->ruleFor("batch", "jobs"), &c->rules[1]);
  EXPECT_EQ(c->ruleFor("", "configmaps"), &c->rules[2]);
  auto all = parse(config(kIdentity, "['*.*']"));
  ASSERT_TRUE(all);
  EXPECT_NE(all->ruleFor("rbac.authorization.k8s.io", "roles"), nullptr);
}

TEST(Config, ReadingAMissingFileSaysWhich) {
  auto c = loadEncryptionConfig("/nonexistent/enc.yaml");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("cannot read encryption provider config /nonexistent/enc.yaml"), std::string::npos);
}

// ---------------------------------------------------------------- the decorator

class EncryptedStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = parse(config(provider("aescbc", {{"key1", kKey1}})));
    ASSERT_TRUE(c);
    cfg_ = *c;
    rules_ = rulesFor(cfg_, {{"", "secrets"}, {"", "configmaps"}, {"", "apps"}, {"apps", "deployments"}}, "/registry",
                      &encrypted_);
    store_ = std::make_shared<EncryptedStorage>(inner_, rules_);
  }
  std::string raw(const std::string& key) {
    auto kv = inner_->get(key);
    return kv ? *kv->value : std::string();
  }

  EncryptionConfig cfg_;
  std::vector<PrefixRule> rules_;
  std::vector<std::string> encrypted_;
  std::shared_ptr<MemoryStorage> inner_ = std::make_shared<MemoryStorage>();
  std::shared_ptr<EncryptedStorage> store_;
};

TEST_F(EncryptedStorageTest, WritesWaitAsTheBackendsDo) {
  // The memory backend's writes never wait, so the server runs them on its I/O threads.
  EXPECT_FALSE(inner_->writesWait());
  EXPECT_FALSE(store_->writesWait());
}

TEST_F(EncryptedStorageTest, ValuesOfAnOlderKeyAreStale) {
  ASSERT_TRUE(store_->create("/registry/secrets/default/old", std::string(kPlain)));
  ASSERT_TRUE(store_->create("/registry/configmaps/default/c1", std::string(kPlain)));
  EXPECT_FALSE(store_->get("/registry/secrets/default/old")->stale);
  // Rotate: key2 writes, key1 still reads.
  auto rotated = parse(config(provider("aescbc", {{"key2", kKey2}, {"key1", kKey1}})));
  ASSERT_TRUE(rotated);
  auto store = std::make_shared<EncryptedStorage>(inner_, rulesFor(*rotated, {{"", "secrets"}, {"", "configmaps"}},
                                                                   "/registry", nullptr));
  auto old = store->get("/registry/secrets/default/old");
  ASSERT_TRUE(old);
  EXPECT_EQ(*old->value, kPlain);
  EXPECT_TRUE(old->stale);
  ASSERT_TRUE(store->update("/registry/secrets/default/old", std::string(kPlain), old->modRevision));
  EXPECT_FALSE(store->get("/registry/secrets/default/old")->stale);
  EXPECT_EQ(raw("/registry/secrets/default/old").rfind("k8s:enc:aescbc:v1:key2:", 0), 0u);
  EXPECT_FALSE(store->get("/registry/configmaps/default/c1")->stale) << "not encrypted at all";
}

TEST_F(EncryptedStorageTest, ListedResourcesAreCiphertextBelowAndPlainAbove) {
  EXPECT_EQ(encrypted_, std::vector<std::string>{"secrets"});
  ASSERT_TRUE(store_->create("/registry/secrets/default/s1", std::string(kPlain)));
  ASSERT_TRUE(store_->create("/registry/configmaps/default/c1", std::string(kPlain)));
  EXPECT_EQ(raw("/registry/secrets/default/s1").rfind("k8s:enc:aescbc:v1:key1:", 0), 0u);
  EXPECT_EQ(raw("/registry/configmaps/default/c1"), kPlain);
  auto got = store_->get("/registry/secrets/default/s1");
  ASSERT_TRUE(got);
  EXPECT_EQ(*got->value, kPlain);
  auto cur = inner_->get("/registry/secrets/default/s1");
  ASSERT_TRUE(store_->update("/registry/secrets/default/s1", R"({"v":2})", cur->modRevision));
  EXPECT_EQ(raw("/registry/secrets/default/s1").rfind("k8s:enc:", 0), 0u);
  auto list = store_->list("/registry/", {});
  ASSERT_TRUE(list);
  ASSERT_EQ(list->items.size(), 2u);
  for (const auto& kv : list->items) EXPECT_EQ(kv.value->rfind("k8s:enc:", 0), std::string::npos) << kv.key;
  auto removed = store_->remove("/registry/secrets/default/s1", 0);
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed->previous.value, R"({"v":2})");
}

TEST_F(EncryptedStorageTest, LongestPrefixDecides) {
  // A core resource "apps" must not capture the apps group's deployments (not encrypted here).
  ASSERT_TRUE(store_->create("/registry/apps/deployments/ns/d", "{}"));
  EXPECT_EQ(raw("/registry/apps/deployments/ns/d"), "{}");
}

TEST_F(EncryptedStorageTest, WatchEventsArriveDecrypted) {
  std::mutex mu;
  std::vector<Event> seen;
  auto w = store_->watch("/registry/secrets/", *store_->currentRevision(), [&](WatchNotification&& n) {
    std::lock_guard lock(mu);
    for (auto& e : n.events) seen.push_back(std::move(e));
  });
  ASSERT_TRUE(w) << w.error().message;
  ASSERT_TRUE(store_->create("/registry/secrets/default/s1", R"({"a":1})"));
  auto cur = inner_->get("/registry/secrets/default/s1");
  ASSERT_TRUE(store_->update("/registry/secrets/default/s1", R"({"a":2})", cur->modRevision));
  ASSERT_TRUE(store_->remove("/registry/secrets/default/s1", 0));
  for (int i = 0; i < 200; ++i) {
    {
      std::lock_guard lock(mu);
      if (seen.size() >= 3) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::lock_guard lock(mu);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(*seen[0].value, R"({"a":1})");
  EXPECT_EQ(*seen[1].value, R"({"a":2})");
  EXPECT_EQ(*seen[1].previous, R"({"a":1})");
  EXPECT_EQ(*seen[2].previous, R"({"a":2})");
}

TEST_F(EncryptedStorageTest, UndecryptableValuesAreInternalErrors) {
  ASSERT_TRUE(inner_->create("/registry/secrets/default/bad", "k8s:enc:aescbc:v1:other:xxxxxxxxxxxxxxxxxxxxxxxxxxxx"));
  auto got = store_->get("/registry/secrets/default/bad");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::Internal);
  EXPECT_NE(got.error().message.find("no matching prefix found"), std::string::npos) << got.error().message;
  EXPECT_FALSE(store_->list("/registry/secrets/", {}));
}

}  // namespace
}  // namespace apiserver::storage::encryption
