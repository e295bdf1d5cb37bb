#pragma once

#include "storage/encryption/encryption_config.h"

#include <apiserver/result.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

/// @file transformers.h
/// Value transformers of kube's k8s.io/apiserver/pkg/storage/value: what turns an object's bytes
/// into what the backend stores and back. Stored values carry kube's prefix
/// "k8s:enc:<provider>:v1:<key name>:" followed by the provider's output, byte for byte what
/// kube-apiserver writes:
///   aescbc     16-byte IV, AES-CBC ciphertext with PKCS#7 padding
///   aesgcm     12-byte nonce, AES-GCM ciphertext, 16-byte tag; the storage key is the
///              additional authenticated data
///   secretbox  24-byte nonce, XSalsa20-Poly1305 (NaCl secretbox: tag, then ciphertext)
///   identity   the value as it is, without a prefix

namespace apiserver::storage::encryption {

/// Transformer turns values to and from their stored form. `context` is the storage key.
/// Thread-safe.
class Transformer {
 public:
  virtual ~Transformer() = default;
  virtual apiserver::Result<std::string> toStorage(std::string_view value, std::string_view context) const = 0;
  virtual apiserver::Result<std::string> fromStorage(std::string_view stored, std::string_view context) const = 0;
  /// stale tells whether `stored` was written by another transformer than the one that writes
  /// now (kube's `stale` result of TransformFromStorage): rewriting it changes the stored bytes.
  virtual bool stale(std::string_view /*stored*/) const { return false; }
};

/// kEncryptedPrefix starts every encrypted value ("k8s:enc:").
inline constexpr std::string_view kEncryptedPrefix = "k8s:enc:";

/// makeAesCbc / makeAesGcm / makeSecretbox make one key's transformer, without the prefix. The
/// key must have a valid size (16, 24 or 32 bytes for AES; 32 for secretbox).
std::shared_ptr<const Transformer> makeAesCbc(std::string key);
std::shared_ptr<const Transformer> makeAesGcm(std::string key);
std::shared_ptr<const Transformer> makeSecretbox(std::string key);
/// makeIdentity stores values as they are; it refuses to read values that are encrypted.
std::shared_ptr<const Transformer> makeIdentity();

/// PrefixTransformers is kube's prefixTransformers: the first entry writes (with its prefix),
/// reading picks the entry whose prefix the stored value starts with (an identity entry, which
/// has none, reads what is not encrypted).
class PrefixTransformers final : public Transformer {
 public:
  struct Entry {
    std::string prefix;  ///< "k8s:enc:aescbc:v1:key1:", or "" for identity
    std::shared_ptr<const Transformer> transformer;
  };
  explicit PrefixTransformers(std::vector<Entry> entries) : entries_(std::move(entries)) {}

  apiserver::Result<std::string> toStorage(std::string_view value, std::string_view context) const override;
  apiserver::Result<std::string> fromStorage(std::string_view stored, std::string_view context) const override;
  bool stale(std::string_view stored) const override;
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

/// transformerFor builds the transformer of one resource rule: every key of every provider, in
/// the configuration's order.
std::shared_ptr<const PrefixTransformers> transformerFor(const ResourceRule& rule);

}  // namespace apiserver::storage::encryption
