// Client certificate chains verified as Go's x509 Verify with ExtKeyUsageClientAuth: good,
// expired, not yet valid, wrongly signed, self-signed, wrong key usage, intermediates.

#include "tls/cert_pool.h"
#include "tls/openssl_util.h"
#include "tls/pki.h"

#include <gtest/gtest.h>

#include <ctime>

namespace apiserver::tls {
namespace {

std::string der(const std::string& pem) {
  detail::BioPtr bio = detail::memBio(pem);
  detail::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  return cert ? detail::toDer(cert.get()) : std::string();
}

KeyPair makeCa(const std::string& cn, const KeyPair* parent = nullptr) {
  CertRequest r;
  r.commonName = cn;
  r.isCa = true;
  auto ca = generateCertificate(r, parent);
  EXPECT_TRUE(ca) << ca.error().message;
  return *ca;
}

KeyPair makeClient(const KeyPair* issuer, const std::string& cn = "alice",
                   std::vector<std::string> orgs = {"dev", "ops"}) {
  CertRequest r;
  r.commonName = cn;
  r.organizations = std::move(orgs);
  r.clientAuth = true;
  auto c = generateCertificate(r, issuer);
  EXPECT_TRUE(c) << c.error().message;
  return *c;
}

std::shared_ptr<const CertPool> pool(const KeyPair& ca) {
  auto p = CertPool::fromPem(ca.certPem, "ca.crt");
  EXPECT_TRUE(p) << p.error().message;
  return *p;
}

TEST(CertPool, VerifiesAClientCertificateOfItsCa) {
  auto ca = makeCa("test-ca");
  auto client = makeClient(&ca);
  auto r = pool(ca)->verifyClient({der(client.certPem)});
  EXPECT_TRUE(r) << r.error().message;
  auto subject = subjectOf(der(client.certPem));
  ASSERT_TRUE(subject);
  EXPECT_EQ(subject->commonName, "alice");
  EXPECT_EQ(subject->organizations, (std::vector<std::string>{"dev", "ops"}));
}

TEST(CertPool, RefusesAnExpiredCertificate) {
  auto ca = makeCa("test-ca");
  CertRequest r;
  r.commonName = "old";
  r.clientAuth = true;
  r.notBeforeAt = std::time(nullptr) - 3 * 86400;
  r.notAfterAt = std::time(nullptr) - 86400;
  auto expired = generateCertificate(r, &ca);
  ASSERT_TRUE(expired);
  auto v = pool(ca)->verifyClient({der(expired->certPem)});
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, 401);
  EXPECT_EQ(v.error().message.rfind("x509: certificate has expired or is not yet valid: current time ", 0), 0u)
      << v.error().message;
  EXPECT_NE(v.error().message.find(" is after "), std::string::npos) << v.error().message;
}

TEST(CertPool, RefusesACertificateNotYetValid) {
  auto ca = makeCa("test-ca");
  CertRequest r;
  r.commonName = "future";
  r.clientAuth = true;
  r.notBeforeAt = std::time(nullptr) + 86400;
  r.notAfterAt = std::time(nullptr) + 2 * 86400;
  auto future = generateCertificate(r, &ca);
  ASSERT_TRUE(future);
  auto v = pool(ca)->verifyClient({der(future->certPem)});
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message.find(" is before "), std::string::npos) << v.error().message;
}

TEST(CertPool, RefusesAWronglySignedCertificate) {
  auto ca = makeCa("test-ca");
  auto other = makeCa("other-ca");
  auto client = makeClient(&other);
  auto v = pool(ca)->verifyClient({der(client.certPem)});
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().message, "x509: certificate signed by unknown authority");
}

TEST(CertPool, RefusesASelfSignedCertificate) {
  auto ca = makeCa("test-ca");
  auto self = makeClient(nullptr, "mallory", {"system:masters"});
  auto v = pool(ca)->verifyClient({der(self.certPem)});
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().message, "x509: certificate signed by unknown authority");
}

TEST(CertPool, RefusesACertificateForServersOnly) {
  auto ca = makeCa("test-ca");
  CertRequest r;
  r.commonName = "server";
  r.serverAuth = true;
  auto server = generateCertificate(r, &ca);
  ASSERT_TRUE(server);
  auto v = pool(ca)->verifyClient({der(server->certPem)});
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().message, "x509: certificate specifies an incompatible key usage");
}

TEST(CertPool, UsesTheIntermediatesTheClientSends) {
  auto root = makeCa("root");
  auto intermediate = makeCa("intermediate", &root);
  auto client = makeClient(&intermediate);
  auto p = pool(root);
  EXPECT_TRUE(p->verifyClient({der(client.certPem), der(intermediate.certPem)}));
  auto alone = p->verifyClient({der(client.certPem)});
  ASSERT_FALSE(alone);
  EXPECT_EQ(alone.error().message, "x509: certificate signed by unknown authority");
}

TEST(CertPool, VerifiesAtAGivenTime) {
  auto ca = makeCa("test-ca");
  auto client = makeClient(&ca);
  const std::time_t inTwoYears = std::time(nullptr) + 2 * 365 * 86400;
  EXPECT_FALSE(pool(ca)->verifyClient({der(client.certPem)}, inTwoYears));
}

TEST(CertPool, ReadsBundlesAndRefusesGarbage) {
  auto a = makeCa("a");
  auto b = makeCa("b");
  auto both = CertPool::fromPem(a.certPem + "\n" + b.certPem, "bundle.crt");
  ASSERT_TRUE(both) << both.error().message;
  EXPECT_EQ((*both)->size(), 2u);
  EXPECT_TRUE((*both)->verifyClient({der(makeClient(&b).certPem)}));
  auto merged = CertPool::merge(*pool(a), *pool(b));
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->size(), 2u);

  auto empty = CertPool::fromPem("", "empty.crt");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().message, "empty.crt: no certificate found (expected PEM \"CERTIFICATE\" blocks)");
  auto broken = CertPool::fromPem("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n", "bad.crt");
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().message.rfind("bad.crt: malformed certificate", 0), 0u) << broken.error().message;
  auto missing = CertPool::fromFile("/nonexistent/ca.crt");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "open /nonexistent/ca.crt: no such file or not readable");
}

}  // namespace
}  // namespace apiserver::tls
