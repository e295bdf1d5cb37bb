#include "tls/cert_pool.h"

#include "tls/openssl_util.h"

#include <fstream>
#include <sstream>

namespace apiserver::tls {

using namespace detail;

namespace {

std::string nameEntries(X509_NAME* name, int nid, std::vector<std::string>* all) {
  std::string first;
  for (int i = X509_NAME_get_index_by_NID(name, nid, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(name, nid, i)) {
    ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    unsigned char* utf8 = nullptr;
    int n = ASN1_STRING_to_UTF8(&utf8, s);
    if (n < 0) continue;
    std::string v(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(n));
    OPENSSL_free(utf8);
    if (first.empty()) first = v;
    if (all != nullptr) all->push_back(std::move(v));
  }
  return first;
}

// goTime renders an ASN1_TIME as Go's time.Format(time.RFC3339) in UTC.
std::string goTime(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return "?";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string goTime(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

Result<CertificateSubject> subjectOf(std::string_view der) {
  X509Ptr cert = fromDer(der);
  if (!cert) return fail(ApiError::badRequest("malformed certificate: " + opensslError()));
  CertificateSubject s;
  X509_NAME* name = X509_get_subject_name(cert.get());
  s.commonName = nameEntries(name, NID_commonName, nullptr);
  nameEntries(name, NID_organizationName, &s.organizations);
  return s;
}

struct CertPool::Impl {
  StorePtr store;
  std::vector<X509Ptr> certs;
  std::string pem;
  std::string source;
};

CertPool::CertPool(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CertPool::~CertPool() = default;

Result<std::shared_ptr<const CertPool>> CertPool::fromPem(std::string_view pem, std::string source) {
  auto impl = std::make_unique<Impl>();
  impl->source = std::move(source);
  impl->store.reset(X509_STORE_new());
  BioPtr bio = memBio(pem);
  ERR_clear_error();
  for (;;) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) {
      unsigned long e = ERR_peek_last_error();
      if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
        ERR_clear_error();  // the end of the bundle
        break;
      }
      return fail(ApiError::badRequest(impl->source + ": malformed certificate: " + opensslError()));
    }
    if (X509_STORE_add_cert(impl->store.get(), cert.get()) != 1) {
      // A duplicate in the bundle is harmless.
      ERR_clear_error();
    }
    impl->pem += toPem(cert.get());
    impl->certs.push_back(std::move(cert));
  }
  if (impl->certs.empty())
    return fail(ApiError::badRequest(impl->source + ": no certificate found (expected PEM \"CERTIFICATE\" blocks)"));
  return std::shared_ptr<const CertPool>(new CertPool(std::move(impl)));
}

Result<std::shared_ptr<const CertPool>> CertPool::fromFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(ApiError::badRequest("open " + file.string() + ": no such file or not readable"));
  std::ostringstream ss;
  ss << in.rdbuf();
  return fromPem(ss.str(), file.string());
}

std::shared_ptr<const CertPool> CertPool::merge(const CertPool& a, const CertPool& b) {
  auto merged = fromPem(a.pem() + b.pem(), a.source() + ", " + b.source());
  return merged ? *merged : nullptr;
}

Result<void> CertPool::verifyClient(const std::vector<std::string>& chainDer, std::optional<std::time_t> at) const {
  if (chainDer.empty()) return fail(ApiError::unauthorized("x509: no certificate"));
  X509Ptr leaf = fromDer(chainDer.front());
  if (!leaf) return fail(ApiError::unauthorized("x509: malformed certificate"));
  StackX509Ptr untrusted(sk_X509_new_null());
  for (std::size_t i = 1; i < chainDer.size(); ++i)
    if (X509Ptr c = fromDer(chainDer[i])) sk_X509_push(untrusted.get(), c.release());
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), impl_->store.get(), leaf.get(), untrusted.get()) != 1)
    return fail(ApiError::internal("x509: " + opensslError()));
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
  if (at) X509_STORE_CTX_set_time(ctx.get(), 0, *at);
  if (X509_verify_cert(ctx.get()) == 1) return {};
  ERR_clear_error();
  const int err = X509_STORE_CTX_get_error(ctx.get());
  X509* bad = X509_STORE_CTX_get_current_cert(ctx.get());
  if (bad == nullptr) bad = leaf.get();
  std::string msg;
  switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID: {
      const std::time_t now = at.value_or(std::time(nullptr));
      msg = "x509: certificate has expired or is not yet valid: current time " + goTime(now) +
            (err == X509_V_ERR_CERT_HAS_EXPIRED ? " is after " + goTime(X509_get0_notAfter(bad))
                                                : " is before " + goTime(X509_get0_notBefore(bad)));
      break;
    }
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
      msg = "x509: certificate signed by unknown authority";
      break;
    case X509_V_ERR_INVALID_PURPOSE:
      msg = "x509: certificate specifies an incompatible key usage";
      break;
    default:
      msg = std::string("x509: ") + X509_verify_cert_error_string(err);
  }
  return fail(ApiError::unauthorized(std::move(msg)));
}

const std::string& CertPool::pem() const { return impl_->pem; }
const std::string& CertPool::source() const { return impl_->source; }
std::size_t CertPool::size() const { return impl_->certs.size(); }

}  // namespace apiserver::tls
