// The generated PKI: first start generates, later starts reuse, and what is missing, expired,
// signed by another CA or short of a SAN is generated anew; the admin kubeconfig.

#include "tls/pki.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <random>

namespace apiserver::tls {
namespace {

namespace fs = std::filesystem;

class PkiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("pki-test-" + std::to_string(std::random_device{}()));
    opts_.certDir = dir_ / "pki";
    opts_.dnsNames = {"localhost", "api.example.com"};
    opts_.ipAddresses = {"127.0.0.1", "::1"};
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  Pki ensure() {
    auto p = ensurePki(opts_);
    EXPECT_TRUE(p) << p.error().message;
    return p ? *p : Pki{};
  }
  fs::path dir_;
  PkiOptions opts_;
};

TEST_F(PkiTest, FirstStartGeneratesLaterStartsReuse) {
  Pki first = ensure();
  EXPECT_EQ(first.generated.size(), 3u);
  for (const char* f : {"ca.crt", "ca.key", "apiserver.crt", "apiserver.key", "admin.crt", "admin.key"})
    EXPECT_TRUE(fs::exists(opts_.certDir / f)) << f;
  struct stat st {};
  ASSERT_EQ(::stat((opts_.certDir / "ca.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(opts_.certDir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  auto serving = inspectCertificate(first.serving.certPem);
  ASSERT_TRUE(serving);
  EXPECT_EQ(serving->dnsNames, (std::vector<std::string>{"localhost", "api.example.com"}));
  EXPECT_EQ(serving->ipAddresses, (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_FALSE(serving->isCa);
  EXPECT_TRUE(isSignedBy(first.serving.certPem, first.ca.certPem));
  auto admin = inspectCertificate(first.admin.certPem);
  ASSERT_TRUE(admin);
  EXPECT_EQ(admin->commonName, "kubernetes-admin");
  EXPECT_EQ(admin->organizations, (std::vector<std::string>{"system:masters"}));
  auto ca = inspectCertificate(first.ca.certPem);
  ASSERT_TRUE(ca);
  EXPECT_TRUE(ca->isCa);
  EXPECT_GT(ca->notAfter - std::time(nullptr), 9 * 365 * 86400);

  Pki second = ensure();
  EXPECT_TRUE(second.generated.empty());
  EXPECT_EQ(second.ca.certPem, first.ca.certPem);
  EXPECT_EQ(second.serving.certPem, first.serving.certPem);
  EXPECT_EQ(second.admin.keyPem, first.admin.keyPem);
}

TEST_F(PkiTest, ANewSanRenewsTheServingCertificateOnly) {
  Pki first = ensure();
  opts_.ipAddresses.push_back("10.0.0.7");
  Pki second = ensure();
  EXPECT_EQ(second.generated, (std::vector<std::string>{(opts_.certDir / "apiserver.crt").string()}));
  EXPECT_EQ(second.ca.certPem, first.ca.certPem);
  EXPECT_EQ(second.admin.certPem, first.admin.certPem);
  auto facts = inspectCertificate(second.serving.certPem);
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->ipAddresses.back(), "10.0.0.7");
}

TEST_F(PkiTest, AnExpiredCertificateIsReplaced) {
  Pki first = ensure();
  CertRequest r;
  r.commonName = "kubernetes-admin";
  r.organizations = {"system:masters"};
  r.clientAuth = true;
  r.notBeforeAt = std::time(nullptr) - 2 * 86400;
  r.notAfterAt = std::time(nullptr) - 60;
  auto expired = generateCertificate(r, &first.ca);
  ASSERT_TRUE(expired);
  ASSERT_TRUE(writeFileAtomic(opts_.certDir / "admin.crt", expired->certPem, fs::perms::owner_read | fs::perms::owner_write));
  ASSERT_TRUE(writeFileAtomic(opts_.certDir / "admin.key", expired->keyPem, fs::perms::owner_read | fs::perms::owner_write));
  Pki second = ensure();
  EXPECT_EQ(second.generated, (std::vector<std::string>{(opts_.certDir / "admin.crt").string()}));
  auto facts = inspectCertificate(second.admin.certPem);
  ASSERT_TRUE(facts);
  EXPECT_GT(facts->notAfter, std::time(nullptr) + 300 * 86400);
}

TEST_F(PkiTest, ANewCaRenewsEverything) {
  Pki first = ensure();
  fs::remove(opts_.certDir / "ca.key");
  Pki second = ensure();
  EXPECT_EQ(second.generated.size(), 3u);
  EXPECT_NE(second.ca.certPem, first.ca.certPem);
  EXPECT_TRUE(isSignedBy(second.serving.certPem, second.ca.certPem));
  EXPECT_TRUE(isSignedBy(second.admin.certPem, second.ca.certPem));
  EXPECT_FALSE(isSignedBy(second.admin.certPem, first.ca.certPem));
}

TEST_F(PkiTest, WithTheOperatorsServingCertificateNoneIsGenerated) {
  opts_.generateServing = false;
  Pki p = ensure();
  EXPECT_TRUE(p.serving.certPem.empty());
  EXPECT_FALSE(fs::exists(opts_.certDir / "apiserver.crt"));
  EXPECT_FALSE(p.admin.certPem.empty());
}

TEST_F(PkiTest, MismatchedKeyIsDetected) {
  Pki p = ensure();
  EXPECT_TRUE(keyMatches(p.admin.certPem, p.admin.keyPem));
  EXPECT_FALSE(keyMatches(p.admin.certPem, p.ca.keyPem));
}

TEST(Kubeconfig, EmbedsTheCaAndTheCredential) {
  KubeconfigUser u{"admin", KeyPair{"-----CERT-----\n", "-----KEY-----\n"}};
  const std::string y = kubeconfigYaml("apiserver-host", "https://127.0.0.1:6443", "-----CA-----\n", u);
  EXPECT_NE(y.find("    server: https://127.0.0.1:6443\n"), std::string::npos) << y;
  EXPECT_NE(y.find("    certificate-authority-data: LS0tLS1DQS0tLS0tCg==\n"), std::string::npos) << y;
  EXPECT_NE(y.find("    client-certificate-data: LS0tLS1DRVJULS0tLS0K\n"), std::string::npos) << y;
  EXPECT_NE(y.find("    client-key-data: LS0tLS1LRVktLS0tLQo=\n"), std::string::npos) << y;
  EXPECT_NE(y.find("current-context: admin@apiserver-host\n"), std::string::npos) << y;
}

}  // namespace
}  // namespace apiserver::tls
