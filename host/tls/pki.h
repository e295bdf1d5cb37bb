#pragma once

#include <apiserver/result.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

/// @file pki.h
/// The host's own PKI: certificates generated on the first start (a CA, a serving certificate,
/// an admin client certificate), kept in the cert dir and reused afterwards, and the admin
/// kubeconfig that embeds them. Keys are EC P-256; certificates are signed with SHA-256.

namespace apiserver::tls {

/// KeyPair is a certificate and its private key, both PEM.
struct KeyPair {
  std::string certPem;
  std::string keyPem;
};

/// CertRequest describes a certificate to generate.
struct CertRequest {
  std::string commonName;
  std::vector<std::string> organizations;
  std::vector<std::string> dnsNames;     ///< subjectAltName DNS entries
  std::vector<std::string> ipAddresses;  ///< subjectAltName IP entries
  bool isCa = false;                     ///< basicConstraints CA:TRUE, keyCertSign
  bool serverAuth = false;               ///< extKeyUsage serverAuth
  bool clientAuth = false;               ///< extKeyUsage clientAuth
  std::chrono::hours validity{24 * 365};
  /// notBefore is backdated by this much, for clocks slightly behind ours.
  std::chrono::seconds backdate{3600};
  /// notBeforeAt/notAfterAt, when set (tests), replace the validity window.
  std::time_t notBeforeAt = 0;
  std::time_t notAfterAt = 0;
};

/// generateCertificate makes a new key and a certificate for it, signed by `issuer` (self-signed
/// when null).
Result<KeyPair> generateCertificate(const CertRequest& request, const KeyPair* issuer);

/// CertificateFacts is what the PKI checks about an existing certificate.
struct CertificateFacts {
  std::string commonName;
  std::vector<std::string> organizations;
  std::vector<std::string> dnsNames;
  std::vector<std::string> ipAddresses;  ///< normalised text form ("127.0.0.1", "::1")
  std::time_t notBefore = 0;
  std::time_t notAfter = 0;
  bool isCa = false;
};

/// inspectCertificate reads the first certificate of a PEM text.
Result<CertificateFacts> inspectCertificate(const std::string& certPem);

/// isSignedBy tells whether `certPem`'s first certificate carries a valid signature of
/// `issuerPem`'s key.
bool isSignedBy(const std::string& certPem, const std::string& issuerPem);

/// keyMatches tells whether the private key belongs to the certificate.
bool keyMatches(const std::string& certPem, const std::string& keyPem);

/// PkiOptions say where the host's PKI lives and what the serving certificate must cover.
struct PkiOptions {
  std::filesystem::path certDir;
  bool generateServing = true;           ///< false: the operator provides the serving certificate
  std::vector<std::string> dnsNames;     ///< the serving certificate's DNS SANs
  std::vector<std::string> ipAddresses;  ///< the serving certificate's IP SANs
  std::string adminUser = "kubernetes-admin";
  std::string adminGroup = "system:masters";
  /// renewBefore: a certificate that expires within this is generated anew.
  std::chrono::hours renewBefore{24};
};

/// Pki is the loaded (or newly generated) material.
struct Pki {
  KeyPair ca;       ///< the host's CA: signs the generated serving and admin certificates
  KeyPair serving;  ///< empty when the operator provides the serving certificate
  KeyPair admin;    ///< the admin client certificate (CN adminUser, O adminGroup)
  std::vector<std::string> generated;  ///< the files written by this call, for the log
};

/// ensurePki loads ca.crt/ca.key, apiserver.crt/apiserver.key and admin.crt/admin.key from the
/// cert dir and generates what is missing, unreadable, expired (or within renewBefore of it),
/// not signed by the current CA, or (the serving certificate) missing a wanted SAN. A new CA
/// renews both certificates. Runs under an exclusive lock on `<certDir>/.lock`, so that hosts
/// sharing a cert dir never see half-written files; files are written atomically, keys 0600.
Result<Pki> ensurePki(const PkiOptions& options);

/// KubeconfigUser is the credential of a kubeconfig user entry.
struct KubeconfigUser {
  std::string name;
  KeyPair clientCertificate;
};

/// kubeconfigYaml renders a kubeconfig with one cluster, one user and one context, its CA and
/// credentials embedded as *-data fields.
std::string kubeconfigYaml(const std::string& clusterName, const std::string& serverUrl,
                           const std::string& caPem, const KubeconfigUser& user);

/// writeFileAtomic writes `content` to a temporary file next to `file` with `mode`, then renames
/// it over `file`.
Result<void> writeFileAtomic(const std::filesystem::path& file, const std::string& content,
                             std::filesystem::perms mode);

/// readFile reads a whole file.
Result<std::string> readFile(const std::filesystem::path& file);

}  // namespace apiserver::tls
