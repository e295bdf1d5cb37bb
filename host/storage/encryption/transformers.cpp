#include "storage/encryption/transformers.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sodium.h>

#include <memory>

namespace apiserver::storage::encryption {

namespace {

ApiError cryptoError(std::string message) { return ApiError::internal(std::move(message)); }

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

const EVP_CIPHER* aesCbcCipher(std::size_t keySize) {
  return keySize == 16 ? EVP_aes_128_cbc() : keySize == 24 ? EVP_aes_192_cbc() : EVP_aes_256_cbc();
}
const EVP_CIPHER* aesGcmCipher(std::size_t keySize) {
  return keySize == 16 ? EVP_aes_128_gcm() : keySize == 24 ? EVP_aes_192_gcm() : EVP_aes_256_gcm();
}

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

apiserver::Result<std::string> randomBytes(std::size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(bytes(out), static_cast<int>(n)) != 1) return fail(cryptoError("unable to read random bytes"));
  return out;
}

/// AesCbc is kube's aes.NewCBCTransformer.
class AesCbc final : public Transformer {
 public:
  explicit AesCbc(std::string key) : key_(std::move(key)) {}

  apiserver::Result<std::string> toStorage(std::string_view value, std::string_view) const override {
    constexpr std::size_t kBlock = 16;
    auto iv = randomBytes(kBlock);
    if (!iv) return iv;
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    std::string out = *iv;
    out.resize(kBlock + value.size() + kBlock);
    int n = 0;
    int tail = 0;
    if (!ctx || EVP_EncryptInit_ex(ctx.get(), aesCbcCipher(key_.size()), nullptr, bytes(key_), bytes(*iv)) != 1 ||
        EVP_EncryptUpdate(ctx.get(), bytes(out) + kBlock, &n, bytes(value), static_cast<int>(value.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), bytes(out) + kBlock + n, &tail) != 1)
      return fail(cryptoError("AES-CBC encryption failed"));
    out.resize(kBlock + static_cast<std::size_t>(n + tail));
    return out;
  }

  apiserver::Result<std::string> fromStorage(std::string_view stored, std::string_view) const override {
    constexpr std::size_t kBlock = 16;
    if (stored.size() < kBlock) return fail(cryptoError("the stored data was shorter than the required size"));
    std::string_view iv = stored.substr(0, kBlock);
    std::string_view data = stored.substr(kBlock);
    if (data.size() % kBlock != 0) return fail(cryptoError("the stored data is not a multiple of the block size"));
    if (data.empty()) return fail(cryptoError("invalid PKCS7 data (empty or not padded)"));
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    std::string out(data.size() + kBlock, '\0');
    int n = 0;
    int tail = 0;
    if (!ctx || EVP_DecryptInit_ex(ctx.get(), aesCbcCipher(key_.size()), nullptr, bytes(key_), bytes(iv)) != 1 ||
        EVP_DecryptUpdate(ctx.get(), bytes(out), &n, bytes(data), static_cast<int>(data.size())) != 1 ||
        EVP_DecryptFinal_ex(ctx.get(), bytes(out) + n, &tail) != 1)
      return fail(cryptoError("invalid padding on input"));
    out.resize(static_cast<std::size_t>(n + tail));
    return out;
  }

 private:
  std::string key_;
};

/// AesGcm is kube's aes.NewGCMTransformer: a random 12-byte nonce per write, the storage key as
/// additional data.
class AesGcm final : public Transformer {
 public:
  explicit AesGcm(std::string key) : key_(std::move(key)) {}

  apiserver::Result<std::string> toStorage(std::string_view value, std::string_view context) const override {
    constexpr std::size_t kNonce = 12;
    constexpr std::size_t kTag = 16;
    auto nonce = randomBytes(kNonce);
    if (!nonce) return nonce;
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    std::string out = *nonce;
    out.resize(kNonce + value.size() + kTag);
    int n = 0;
    int tail = 0;
    if (!ctx || EVP_EncryptInit_ex(ctx.get(), aesGcmCipher(key_.size()), nullptr, nullptr, nullptr) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonce), nullptr) != 1 ||
        EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, bytes(key_), bytes(*nonce)) != 1 ||
        (!context.empty() &&
         EVP_EncryptUpdate(ctx.get(), nullptr, &n, bytes(context), static_cast<int>(context.size())) != 1) ||
        EVP_EncryptUpdate(ctx.get(), bytes(out) + kNonce, &n, bytes(value), static_cast<int>(value.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), bytes(out) + kNonce + n, &tail) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTag),
                            bytes(out) + kNonce + n + tail) != 1)
      return fail(cryptoError("AES-GCM encryption failed"));
    return out;
  }

  apiserver::Result<std::string> fromStorage(std::string_view stored, std::string_view context) const override {
    constexpr std::size_t kNonce = 12;
    constexpr std::size_t kTag = 16;
    if (stored.size() < kNonce + kTag) return fail(cryptoError("the stored data was shorter than the required size"));
    std::string_view nonce = stored.substr(0, kNonce);
    std::string_view data = stored.substr(kNonce, stored.size() - kNonce - kTag);
    std::string tag(stored.substr(stored.size() - kTag));
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    std::string out(data.size() + kTag, '\0');
    int n = 0;
    int tail = 0;
    if (!ctx || EVP_DecryptInit_ex(ctx.get(), aesGcmCipher(key_.size()), nullptr, nullptr, nullptr) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonce), nullptr) != 1 ||
        EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, bytes(key_), bytes(nonce)) != 1 ||
        (!context.empty() &&
         EVP_DecryptUpdate(ctx.get(), nullptr, &n, bytes(context), static_cast<int>(context.size())) != 1) ||
        EVP_DecryptUpdate(ctx.get(), bytes(out), &n, bytes(data), static_cast<int>(data.size())) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTag), bytes(tag)) != 1 ||
        EVP_DecryptFinal_ex(ctx.get(), bytes(out) + n, &tail) != 1)
      return fail(cryptoError("cipher: message authentication failed"));
    out.resize(static_cast<std::size_t>(n + tail));
    return out;
  }

 private:
  std::string key_;
};

/// Secretbox is kube's secretbox.NewSecretboxTransformer (NaCl secretbox: XSalsa20-Poly1305).
class Secretbox final : public Transformer {
 public:
  explicit Secretbox(std::string key) : key_(std::move(key)) {}

  apiserver::Result<std::string> toStorage(std::string_view value, std::string_view) const override {
    std::string out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + value.size(), '\0');
    randombytes_buf(out.data(), crypto_secretbox_NONCEBYTES);
    if (crypto_secretbox_easy(bytes(out) + crypto_secretbox_NONCEBYTES, bytes(value), value.size(), bytes(out),
                              bytes(key_)) != 0)
      return fail(cryptoError("secretbox encryption failed"));
    return out;
  }

  apiserver::Result<std::string> fromStorage(std::string_view stored, std::string_view) const override {
    if (stored.size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
      return fail(cryptoError("the stored data was shorter than the required size"));
    std::string_view box = stored.substr(crypto_secretbox_NONCEBYTES);
    std::string out(box.size() - crypto_secretbox_MACBYTES, '\0');
    if (crypto_secretbox_open_easy(bytes(out), bytes(box), box.size(), bytes(stored), bytes(key_)) != 0)
      return fail(cryptoError("output array was not large enough for encryption"));
    return out;
  }

 private:
  std::string key_;
};

class Identity final : public Transformer {
 public:
  apiserver::Result<std::string> toStorage(std::string_view value, std::string_view) const override { return std::string(value); }
  apiserver::Result<std::string> fromStorage(std::string_view stored, std::string_view) const override {
    if (stored.substr(0, kEncryptedPrefix.size()) == kEncryptedPrefix)
      return fail(cryptoError("identity transformer tried to read encrypted data"));
    return std::string(stored);
  }
};

}  // namespace

std::shared_ptr<const Transformer> makeAesCbc(std::string key) { return std::make_shared<AesCbc>(std::move(key)); }
std::shared_ptr<const Transformer> makeAesGcm(std::string key) { return std::make_shared<AesGcm>(std::move(key)); }
std::shared_ptr<const Transformer> makeSecretbox(std::string key) {
  // libsodium must be initialised once before use; repeated calls are cheap and thread-safe.
  if (sodium_init() < 0) return nullptr;
  return std::make_shared<Secretbox>(std::move(key));
}
std::shared_ptr<const Transformer> makeIdentity() {
  static const auto identity = std::make_shared<const Identity>();
  return identity;
}

apiserver::Result<std::string> PrefixTransformers::toStorage(std::string_view value, std::string_view context) const {
  if (entries_.empty()) return fail(cryptoError("no encryption provider is available"));
  const Entry& e = entries_.front();
  auto out = e.transformer->toStorage(value, context);
  if (!out) return out;
  if (e.prefix.empty()) return out;
  return e.prefix + *out;
}

apiserver::Result<std::string> PrefixTransformers::fromStorage(std::string_view stored, std::string_view context) const {
  std::vector<std::string> errors;
  for (const auto& e : entries_) {
    if (stored.substr(0, e.prefix.size()) != e.prefix) continue;
    auto out = e.transformer->fromStorage(stored.substr(e.prefix.size()), context);
    // An identity entry listed before the encrypting ones (to move away from encryption) must
    // let the encrypted values through to the entries after it.
    if (!out && e.prefix.empty()) {
      errors.push_back(out.error().details && !out.error().details->causes.empty()
                           ? out.error().details->causes.front().message
                           : out.error().message);
      continue;
    }
    return out;
  }
  if (!errors.empty()) return fail(ApiError::internal(errors.front()));
  return fail(ApiError::internal("no matching prefix found"));
}

bool PrefixTransformers::stale(std::string_view stored) const {
  if (entries_.empty()) return false;
  const std::string& writer = entries_.front().prefix;
  // Identity writes: anything encrypted is stale. Otherwise: anything not under the first key.
  if (writer.empty()) return stored.starts_with(kEncryptedPrefix);
  return !stored.starts_with(writer);
}

namespace {

/// Unavailable stands for a key whose cipher could not be set up: it refuses to write or read,
/// so that a failure never lets writes fall through to the next provider (maybe identity).
class Unavailable final : public Transformer {
 public:
  explicit Unavailable(std::string why) : why_(std::move(why)) {}
  apiserver::Result<std::string> toStorage(std::string_view, std::string_view) const override {
    return fail(cryptoError(why_));
  }
  apiserver::Result<std::string> fromStorage(std::string_view, std::string_view) const override {
    return fail(cryptoError(why_));
  }

 private:
  std::string why_;
};

}  // namespace

std::shared_ptr<const PrefixTransformers> transformerFor(const ResourceRule& rule) {
  std::vector<PrefixTransformers::Entry> entries;
  for (const auto& p : rule.providers) {
    if (p.kind == ProviderKind::Identity) {
      entries.push_back({"", makeIdentity()});
      continue;
    }
    for (const auto& k : p.keys) {
      std::string prefix = std::string(kEncryptedPrefix) + std::string(providerName(p.kind)) + ":v1:" + k.name + ":";
      std::shared_ptr<const Transformer> t = p.kind == ProviderKind::AesCbc   ? makeAesCbc(k.secret)
                                             : p.kind == ProviderKind::AesGcm ? makeAesGcm(k.secret)
                                                                              : makeSecretbox(k.secret);
      if (!t) t = std::make_shared<Unavailable>(std::string(providerName(p.kind)) + " key " + k.name + " is unavailable");
      entries.push_back({std::move(prefix), std::move(t)});
    }
  }
  return std::make_shared<const PrefixTransformers>(std::move(entries));
}

}  // namespace apiserver::storage::encryption
