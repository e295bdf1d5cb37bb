#pragma once

#include <apiserver/result.h>

#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// @file cert_pool.h
/// CertPool: a bundle of trusted CA certificates, and the verification of a client's certificate
/// chain against it (Go's x509.Certificate.Verify with ExtKeyUsageClientAuth, as kube's x509 and
/// request-header authenticators call it). No OpenSSL types in this header.

namespace apiserver::tls {

/// CertificateSubject is what the authenticators read from a certificate's subject.
struct CertificateSubject {
  std::string commonName;                  ///< CN (the user name for kube's x509 authenticator)
  std::vector<std::string> organizations;  ///< O, in order (the groups)
};

/// subjectOf reads the subject of a DER-encoded certificate.
Result<CertificateSubject> subjectOf(std::string_view der);

/// CertPool is an immutable set of trusted CA certificates. Thread-safe.
class CertPool {
 public:
  /// fromPem reads every certificate of a PEM bundle; `source` names it in messages. A bundle
  /// without a certificate, or with a malformed one, fails.
  static Result<std::shared_ptr<const CertPool>> fromPem(std::string_view pem, std::string source);
  /// fromFile reads a PEM bundle file.
  static Result<std::shared_ptr<const CertPool>> fromFile(const std::filesystem::path& file);
  /// merge is a pool holding the certificates of both.
  static std::shared_ptr<const CertPool> merge(const CertPool& a, const CertPool& b);

  ~CertPool();
  CertPool(const CertPool&) = delete;
  CertPool& operator=(const CertPool&) = delete;

  /// verifyClient verifies `chainDer` (the leaf first, then any intermediates the client sent,
  /// untrusted) for client authentication, at `at` (default: now). Failures are worded as Go's
  /// x509 errors: "x509: certificate signed by unknown authority", "x509: certificate has expired
  /// or is not yet valid: ...", "x509: certificate specifies an incompatible key usage".
  Result<void> verifyClient(const std::vector<std::string>& chainDer,
                            std::optional<std::time_t> at = std::nullopt) const;

  /// pem is the bundle as PEM (for the acceptable-CA list a TLS server sends).
  const std::string& pem() const;
  /// source names where the bundle came from.
  const std::string& source() const;
  /// size is the number of certificates.
  std::size_t size() const;

  struct Impl;

 private:
  explicit CertPool(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace apiserver::tls
