#include "tls/pki.h"

#include "tls/openssl_util.h"

#include <openssl/bn.h>
#include <openssl/ec.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <fstream>
#include <random>
#include <sstream>

namespace apiserver::tls {

using namespace detail;
namespace fs = std::filesystem;

namespace {

struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct ExtFree {
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
};

std::string joinList(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}

Result<void> addExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, ExtFree> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
    return fail(ApiError::internal("certificate extension " + std::string(OBJ_nid2sn(nid)) + "=" + value + ": " +
                                   opensslError()));
  return {};
}

PkeyPtr readKey(const std::string& pem) {
  BioPtr bio = memBio(pem);
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  return key;
}

X509Ptr readCert(const std::string& pem) {
  BioPtr bio = memBio(pem);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  return cert;
}

std::time_t asnTime(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return timegm(&tm);
}

std::string normaliseIp(const std::string& ip) {
  unsigned char buf[16];
  char out[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, ip.c_str(), buf) == 1 && inet_ntop(AF_INET, buf, out, sizeof out)) return out;
  if (inet_pton(AF_INET6, ip.c_str(), buf) == 1 && inet_ntop(AF_INET6, buf, out, sizeof out)) return out;
  return ip;
}

std::string base64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

/// FileLock holds an exclusive flock on a file for its lifetime.
class FileLock {
 public:
  explicit FileLock(const fs::path& file) {
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ >= 0 && ::flock(fd_, LOCK_EX) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~FileLock() {
    if (fd_ >= 0) {
      ::flock(fd_, LOCK_UN);
      ::close(fd_);
    }
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  bool locked() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

std::optional<KeyPair> loadPair(const fs::path& dir, const std::string& base) {
  auto cert = readFile(dir / (base + ".crt"));
  auto key = readFile(dir / (base + ".key"));
  if (!cert || !key) return std::nullopt;
  return KeyPair{*cert, *key};
}

// usable tells whether a stored pair may be kept: it parses, key and certificate match, it is
// valid now and for longer than renewBefore, and (unless null) `ca` signed it.
bool usable(const std::optional<KeyPair>& pair, const KeyPair* ca, std::chrono::hours renewBefore,
            CertificateFacts* factsOut) {
  if (!pair) return false;
  auto facts = inspectCertificate(pair->certPem);
  if (!facts || !keyMatches(pair->certPem, pair->keyPem)) return false;
  const std::time_t now = std::time(nullptr);
  const auto renew = std::chrono::duration_cast<std::chrono::seconds>(renewBefore).count();
  if (facts->notBefore > now + 300 || facts->notAfter <= now + renew) return false;
  if (ca != nullptr && !isSignedBy(pair->certPem, ca->certPem)) return false;
  if (factsOut != nullptr) *factsOut = std::move(*facts);
  return true;
}

Result<void> store(const fs::path& dir, const std::string& base, const KeyPair& pair,
                   std::vector<std::string>& generated) {
  if (auto r = writeFileAtomic(dir / (base + ".key"), pair.keyPem, fs::perms::owner_read | fs::perms::owner_write); !r)
    return r;
  if (auto r = writeFileAtomic(dir / (base + ".crt"), pair.certPem,
                               fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                   fs::perms::others_read);
      !r)
    return r;
  generated.push_back((dir / (base + ".crt")).string());
  return {};
}

}  // namespace

Result<KeyPair> generateCertificate(const CertRequest& req, const KeyPair* issuer) {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return fail(ApiError::internal("generating an EC P-256 key: " + opensslError()));
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);  // v3
  std::unique_ptr<BIGNUM, BnFree> serial(BN_new());
  BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY);
  BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get()));
  const std::time_t now = std::time(nullptr);
  const std::time_t notBefore = req.notBeforeAt != 0 ? req.notBeforeAt : now - req.backdate.count();
  const std::time_t notAfter =
      req.notAfterAt != 0 ? req.notAfterAt : now + std::chrono::duration_cast<std::chrono::seconds>(req.validity).count();
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), notBefore);
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), notAfter);
  X509_NAME* name = X509_get_subject_name(cert.get());
  for (const auto& o : req.organizations)
    X509_NAME_add_entry_by_NID(name, NID_organizationName, MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(o.c_str()), -1, -1, 0);
  if (!req.commonName.empty())
    X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(req.commonName.c_str()), -1, -1, 0);
  X509_set_pubkey(cert.get(), key.get());

  X509Ptr issuerCert;
  PkeyPtr issuerKey;
  if (issuer != nullptr) {
    issuerCert = readCert(issuer->certPem);
    issuerKey = readKey(issuer->keyPem);
    if (!issuerCert || !issuerKey) return fail(ApiError::internal("the issuing CA's certificate or key is unreadable"));
    X509_set_issuer_name(cert.get(), X509_get_subject_name(issuerCert.get()));
  } else {
    X509_set_issuer_name(cert.get(), name);
  }
  X509* signer = issuerCert ? issuerCert.get() : cert.get();
  if (auto r = addExtension(cert.get(), signer, NID_basic_constraints, req.isCa ? "critical,CA:TRUE" : "critical,CA:FALSE"); !r)
    return fail(std::move(r).error());
  if (auto r = addExtension(cert.get(), signer, NID_key_usage,
                            req.isCa ? "critical,digitalSignature,keyCertSign,cRLSign" : "critical,digitalSignature");
      !r)
    return fail(std::move(r).error());
  std::vector<std::string> eku;
  if (req.serverAuth) eku.emplace_back("serverAuth");
  if (req.clientAuth) eku.emplace_back("clientAuth");
  if (!eku.empty())
    if (auto r = addExtension(cert.get(), signer, NID_ext_key_usage, joinList(eku)); !r) return fail(std::move(r).error());
  if (auto r = addExtension(cert.get(), signer, NID_subject_key_identifier, "hash"); !r) return fail(std::move(r).error());
  if (auto r = addExtension(cert.get(), signer, NID_authority_key_identifier, "keyid:always"); !r)
    return fail(std::move(r).error());
  std::vector<std::string> sans;
  for (const auto& d : req.dnsNames) sans.push_back("DNS:" + d);
  for (const auto& ip : req.ipAddresses) sans.push_back("IP:" + ip);
  if (!sans.empty())
    if (auto r = addExtension(cert.get(), signer, NID_subject_alt_name, joinList(sans)); !r) return fail(std::move(r).error());

  if (X509_sign(cert.get(), issuerKey ? issuerKey.get() : key.get(), EVP_sha256()) <= 0)
    return fail(ApiError::internal("signing the certificate: " + opensslError()));
  KeyPair out;
  out.certPem = toPem(cert.get());
  BioPtr kb(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(kb.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  out.keyPem = bioString(kb.get());
  return out;
}

Result<CertificateFacts> inspectCertificate(const std::string& certPem) {
  X509Ptr cert = readCert(certPem);
  if (!cert) return fail(ApiError::badRequest("no PEM certificate found"));
  CertificateFacts f;
  X509_NAME* name = X509_get_subject_name(cert.get());
  for (int i = -1; (i = X509_NAME_get_index_by_NID(name, NID_commonName, i)) >= 0;) {
    unsigned char* s = nullptr;
    int n = ASN1_STRING_to_UTF8(&s, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
    if (n >= 0 && f.commonName.empty()) f.commonName.assign(reinterpret_cast<char*>(s), static_cast<std::size_t>(n));
    OPENSSL_free(s);
  }
  for (int i = -1; (i = X509_NAME_get_index_by_NID(name, NID_organizationName, i)) >= 0;) {
    unsigned char* s = nullptr;
    int n = ASN1_STRING_to_UTF8(&s, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
    if (n >= 0) f.organizations.emplace_back(reinterpret_cast<char*>(s), static_cast<std::size_t>(n));
    OPENSSL_free(s);
  }
  f.notBefore = asnTime(X509_get0_notBefore(cert.get()));
  f.notAfter = asnTime(X509_get0_notAfter(cert.get()));
  f.isCa = X509_check_ca(cert.get()) > 0;
  std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> sans(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)));
  if (sans) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans.get()); ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans.get(), i);
      if (gn->type == GEN_DNS) {
        const ASN1_STRING* s = gn->d.dNSName;
        f.dnsNames.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                static_cast<std::size_t>(ASN1_STRING_length(s)));
      } else if (gn->type == GEN_IPADD) {
        const ASN1_OCTET_STRING* s = gn->d.iPAddress;
        char out[INET6_ADDRSTRLEN] = {};
        const int len = ASN1_STRING_length(s);
        if (len == 4 || len == 16)
          if (inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(s), out, sizeof out))
            f.ipAddresses.emplace_back(out);
      }
    }
  }
  ERR_clear_error();
  return f;
}

bool isSignedBy(const std::string& certPem, const std::string& issuerPem) {
  X509Ptr cert = readCert(certPem);
  X509Ptr issuer = readCert(issuerPem);
  if (!cert || !issuer) return false;
  EVP_PKEY* key = X509_get0_pubkey(issuer.get());
  const bool ok = key != nullptr &&
                  X509_NAME_cmp(X509_get_issuer_name(cert.get()), X509_get_subject_name(issuer.get())) == 0 &&
                  X509_verify(cert.get(), key) == 1;
  ERR_clear_error();
  return ok;
}

bool keyMatches(const std::string& certPem, const std::string& keyPem) {
  X509Ptr cert = readCert(certPem);
  PkeyPtr key = readKey(keyPem);
  if (!cert || !key) return false;
  const bool ok = X509_check_private_key(cert.get(), key.get()) == 1;
  ERR_clear_error();
  return ok;
}

Result<Pki> ensurePki(const PkiOptions& o) {
  std::error_code ec;
  const bool created = fs::create_directories(o.certDir, ec);
  if (ec) return fail(ApiError::internal("creating the cert dir " + o.certDir.string() + ": " + ec.message()));
  if (created) fs::permissions(o.certDir, fs::perms::owner_all, ec);
  FileLock lock(o.certDir / ".lock");
  if (!lock.locked()) return fail(ApiError::internal("locking " + (o.certDir / ".lock").string()));

  Pki pki;
  auto ca = loadPair(o.certDir, "ca");
  CertificateFacts caFacts;
  bool newCa = false;
  if (!usable(ca, nullptr, o.renewBefore, &caFacts) || !caFacts.isCa) {
    CertRequest r;
    r.commonName = "apiserver-host-ca@" + std::to_string(std::time(nullptr));
    r.isCa = true;
    r.validity = std::chrono::hours(24 * 365 * 10);
    auto made = generateCertificate(r, nullptr);
    if (!made) return fail(std::move(made).error());
    ca = std::move(*made);
    if (auto w = store(o.certDir, "ca", *ca, pki.generated); !w) return fail(std::move(w).error());
    newCa = true;
  }
  pki.ca = *ca;

  if (o.generateServing) {
    auto serving = loadPair(o.certDir, "apiserver");
    CertificateFacts facts;
    bool keep = !newCa && usable(serving, &pki.ca, o.renewBefore, &facts);
    if (keep) {
      for (const auto& d : o.dnsNames)
        keep = keep && std::find(facts.dnsNames.begin(), facts.dnsNames.end(), d) != facts.dnsNames.end();
      for (const auto& ip : o.ipAddresses)
        keep = keep &&
               std::find(facts.ipAddresses.begin(), facts.ipAddresses.end(), normaliseIp(ip)) != facts.ipAddresses.end();
    }
    if (!keep) {
      CertRequest r;
      r.commonName = "apiserver-host";
      r.dnsNames = o.dnsNames;
      r.ipAddresses = o.ipAddresses;
      r.serverAuth = true;
      auto made = generateCertificate(r, &pki.ca);
      if (!made) return fail(std::move(made).error());
      serving = std::move(*made);
      if (auto w = store(o.certDir, "apiserver", *serving, pki.generated); !w) return fail(std::move(w).error());
    }
    pki.serving = *serving;
  }

  auto admin = loadPair(o.certDir, "admin");
  CertificateFacts adminFacts;
  bool keepAdmin = !newCa && usable(admin, &pki.ca, o.renewBefore, &adminFacts) && adminFacts.commonName == o.adminUser &&
                   std::find(adminFacts.organizations.begin(), adminFacts.organizations.end(), o.adminGroup) !=
                       adminFacts.organizations.end();
  if (!keepAdmin) {
    CertRequest r;
    r.commonName = o.adminUser;
    r.organizations = {o.adminGroup};
    r.clientAuth = true;
    auto made = generateCertificate(r, &pki.ca);
    if (!made) return fail(std::move(made).error());
    admin = std::move(*made);
    if (auto w = store(o.certDir, "admin", *admin, pki.generated); !w) return fail(std::move(w).error());
  }
  pki.admin = *admin;
  return pki;
}

std::string kubeconfigYaml(const std::string& clusterName, const std::string& serverUrl, const std::string& caPem,
                           const KubeconfigUser& user) {
  const std::string context = user.name + "@" + clusterName;
  std::ostringstream y;
  y << "# Written by apiserver-host at start-up; it is rewritten on every start (copy it to keep\n"
    << "# changes). The credential is a client certificate of the host's CA (cert dir: ca.crt).\n"
    << "apiVersion: v1\n"
    << "kind: Config\n"
    << "clusters:\n"
    << "- name: " << clusterName << "\n"
    << "  cluster:\n"
    << "    server: " << serverUrl << "\n"
    << "    certificate-authority-data: " << base64(caPem) << "\n"
    << "users:\n"
    << "- name: " << user.name << "\n"
    << "  user:\n"
    << "    client-certificate-data: " << base64(user.clientCertificate.certPem) << "\n"
    << "    client-key-data: " << base64(user.clientCertificate.keyPem) << "\n"
    << "contexts:\n"
    << "- name: " << context << "\n"
    << "  context:\n"
    << "    cluster: " << clusterName << "\n"
    << "    user: " << user.name << "\n"
    << "current-context: " << context << "\n"
    << "preferences: {}\n";
  return y.str();
}

Result<void> writeFileAtomic(const fs::path& file, const std::string& content, fs::perms mode) {
  std::random_device rd;
  const fs::path tmp = file.parent_path() / ("." + file.filename().string() + ".tmp-" + std::to_string(rd()));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd < 0) return fail(ApiError::internal("writing " + file.string() + ": " + std::strerror(errno)));
  std::size_t off = 0;
  bool ok = true;
  while (off < content.size()) {
    const ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n <= 0) {
      ok = false;
      break;
    }
    off += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (ok) ok = ::rename(tmp.c_str(), file.c_str()) == 0;
  if (!ok) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    return fail(ApiError::internal("writing " + file.string() + ": " + why));
  }
  return {};
}

Result<std::string> readFile(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(ApiError::badRequest("open " + file.string() + ": no such file or not readable"));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace apiserver::tls
