#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

/// @file test_pki.h
/// A throw-away certificate authority for TLS tests: an EC P-256 CA, and leaf certificates it
/// signs (server or client, with DNS and IP SANs), all as PEM strings.

namespace apiserver::testing {

class TestPki {
 public:
  /// CertAndKey is one issued certificate and its private key (PEM).
  struct CertAndKey {
    std::string certPem;
    std::string keyPem;
  };

  explicit TestPki(const std::string& caName = "test-ca") {
    caKey_.reset(EVP_EC_gen("prime256v1"));
    caCert_.reset(makeCert(caName, caKey_.get(), nullptr, nullptr, {}, true, false));
  }

  const std::string caPem() const { return pem(caCert_.get()); }

  /// issue signs a leaf certificate: `sans` entries are "DNS:name" or "IP:1.2.3.4".
  CertAndKey issue(const std::string& cn, const std::vector<std::string>& sans, bool client = false) const {
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("prime256v1"), EVP_PKEY_free);
    std::unique_ptr<X509, decltype(&X509_free)> cert(makeCert(cn, key.get(), caCert_.get(), caKey_.get(), sans, false, client),
                                                     X509_free);
    return {pem(cert.get()), keyPem(key.get())};
  }

 private:
  static X509* makeCert(const std::string& cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuerKey,
                        const std::vector<std::string>& sans, bool ca, bool client) {
    X509* x = X509_new();
    X509_set_version(x, 2);
    static long serial = 1;
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
    X509_set_pubkey(x, key);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509_set_issuer_name(x, issuer != nullptr ? X509_get_subject_name(issuer) : name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : x, x, nullptr, nullptr, 0);
    auto ext = [&](int nid, const std::string& value) {
      X509_EXTENSION* e = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
      if (e == nullptr) throw std::runtime_error("bad extension " + value);
      X509_add_ext(x, e, -1);
      X509_EXTENSION_free(e);
    };
    if (ca) {
      ext(NID_basic_constraints, "critical,CA:TRUE");
      ext(NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
      ext(NID_basic_constraints, "critical,CA:FALSE");
      ext(NID_key_usage, "critical,digitalSignature,keyEncipherment");
      ext(NID_ext_key_usage, client ? "clientAuth" : "serverAuth");
      if (!sans.empty()) {
        std::string list;
        for (const auto& s : sans) list += (list.empty() ? "" : ",") + s;
        ext(NID_subject_alt_name, list);
      }
    }
    X509_sign(x, issuerKey != nullptr ? issuerKey : key, EVP_sha256());
    return x;
  }

  static std::string fromBio(BIO* bio) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    std::string s(data, static_cast<std::size_t>(n));
    BIO_free(bio);
    return s;
  }
  static std::string pem(X509* x) {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, x);
    return fromBio(bio);
  }
  static std::string keyPem(EVP_PKEY* k) {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, k, nullptr, nullptr, 0, nullptr, nullptr);
    return fromBio(bio);
  }

  struct KeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
  };
  struct CertFree {
    void operator()(X509* x) const { X509_free(x); }
  };
  std::unique_ptr<EVP_PKEY, KeyFree> caKey_;
  std::unique_ptr<X509, CertFree> caCert_;
};

}  // namespace apiserver::testing
