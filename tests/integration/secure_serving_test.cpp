// The secure port of the real binary: start-up errors of its configuration, the generated PKI
// and admin kubeconfig, HTTPS with bearer tokens and client certificates, a plain HTTP request
// on the TLS port, handshakes that never finish, and the insecure port beside it.
#include "host_process.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

namespace apiserver::testing {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
namespace json = boost::json;
using tcp = net::ip::tcp;

std::string coreConfig(const std::string& extra = {}) {
  return "plugins:\n  directory: " + pluginDir().string() +
         "\n  enabled: [core]\nstorage:\n  backend: memory\nauthorization:\n  modes: [AlwaysAllow]\n" + extra;
}

std::string readAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// TlsResult is an HTTPS exchange's outcome.
struct TlsResult {
  int status = 0;
  std::string body;
  std::string auditId;
  std::string error;  ///< the handshake or I/O failed
};

/// httpsGet sends one GET over TLS (server certificate verified against `caPem` when given),
/// with an optional client certificate and extra headers.
TlsResult httpsGet(std::uint16_t port, const std::string& target, const std::string& caPem = {},
                   const std::string& certPem = {}, const std::string& keyPem = {},
                   const std::map<std::string, std::string>& headers = {}) {
  TlsResult out;
  try {
    net::io_context ioc;
    ssl::context ctx(ssl::context::tls_client);
    if (!caPem.empty()) {
      ctx.add_certificate_authority(net::buffer(caPem));
      ctx.set_verify_mode(ssl::verify_peer);
    } else {
      ctx.set_verify_mode(ssl::verify_none);
    }
    if (!certPem.empty()) {
      ctx.use_certificate_chain(net::buffer(certPem));
      ctx.use_private_key(net::buffer(keyPem), ssl::context::pem);
    }
    beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
    beast::get_lowest_layer(stream).connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    if (!caPem.empty()) stream.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
    stream.handshake(ssl::stream_base::client);
    http::request<http::empty_body> req(http::verb::get, target, 11);
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [k, v] : headers) req.set(k, v);
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    out.status = res.result_int();
    out.body = res.body();
    out.auditId = std::string(res["Audit-Id"]);
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  return out;
}

std::string generate(const TempDir& dir, const std::string& name, const std::string& args) {
  const std::string cmd = "cd " + dir.path().string() + " && " + args + " >" + name + ".out 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd << "\n" << readAll(dir.path() / (name + ".out"));
  return readAll(dir.path() / name);
}

/// Certs makes a client CA and client certificates with the openssl command, as an operator would.
struct Certs {
  TempDir dir;
  std::string caPem;
  Certs() {
    caPem = generate(dir, "ca.crt",
                     "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt "
                     "-subj /CN=client-ca -days 30");
    generate(dir, "other.crt",
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key -out other.crt "
             "-subj /CN=other-ca -days 30");
  }
  /// client makes `name`.crt/.key for CN/O, signed by `ca` ("ca", "other", or "" for self-signed),
  /// valid for `days` (negative: already expired).
  std::pair<std::string, std::string> client(const std::string& name, const std::string& subject, const std::string& ca,
                                             int days = 30) {
    if (ca.empty()) {
      generate(dir, name + ".crt",
               "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + name + ".key -out " +
                   name + ".crt -subj " + subject + " -days " + std::to_string(days));
    } else {
      generate(dir, name + ".csr",
               "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + name + ".key -out " + name +
                   ".csr -subj " + subject);
      generate(dir, name + ".crt",
               "openssl x509 -req -in " + name + ".csr -CA " + ca + ".crt -CAkey " + ca + ".key -CAcreateserial -out " +
                   name + ".crt -days " + std::to_string(days));
    }
    return {readAll(dir.path() / (name + ".crt")), readAll(dir.path() / (name + ".key"))};
  }
};

// ---- start-up errors

TEST(SecureServingStartup, AMalformedTokenFileNamesItsLine) {
  TempDir dir;
  auto tokens = dir.write("tokens.csv", "t1,alice,1,\"dev,ops\"\nt2,bob\nt3,carol,3\n");
  auto cfg = dir.write("apiserver.yaml", coreConfig());
  auto r = runToExit({"--config", cfg.string(), "--secure-port", "0", "--token-auth-file", tokens.string()});
  EXPECT_EQ(r.exitCode, 2) << r.output;
  EXPECT_NE(r.output.find("apiserver-host: invalid configuration:\nauthentication.tokenAuthFile: token file '" +
                          tokens.string() +
                          "' line 2: must have at least 3 columns (token, user name, user uid), found 2"),
            std::string::npos)
      << r.output;
}

TEST(SecureServingStartup, ConfigurationMistakes) {
  TempDir dir;
  auto cfg = dir.write("apiserver.yaml", coreConfig());
  auto policy = dir.write("policy.yaml", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Loud\n");
  struct Case {
    std::vector<std::string> args;
    std::string want;
  };
  const std::vector<Case> cases = {
      {{"--insecure-port", "0", "--insecure-bind-address", "0.0.0.0"},
       "serving.insecureBindAddress: \"0.0.0.0\" is not a loopback address"},
      {{"--tls-cert-file", "/nonexistent.crt"}, "go together: give both, or neither"},
      {{"--tls-cert-file", "/nonexistent.crt", "--tls-private-key-file", "/nonexistent.key"},
       "serving.tlsCertFile: open /nonexistent.crt: no such file or not readable"},
      {{"--client-ca-file", "/nonexistent-ca.crt"},
       "authentication.clientCAFile: open /nonexistent-ca.crt: no such file or not readable"},
      {{"--audit-policy-file", policy.string(), "--audit-log-path", (dir.path() / "audit.log").string()},
       "audit.policyFile: " + policy.string() + ": rules[0].level: Unsupported value: \"Loud\""},
      {{"--secure-port", "-1", "--insecure-port", "-1"}, "serving: both ports are off"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args{"--config", cfg.string()};
    args.insert(args.end(), c.args.begin(), c.args.end());
    if (std::find(args.begin(), args.end(), "--secure-port") == args.end()) args.insert(args.end(), {"--secure-port", "0"});
    auto r = runToExit(args);
    EXPECT_EQ(r.exitCode, 2) << c.want << "\n" << r.output;
    EXPECT_NE(r.output.find(c.want), std::string::npos) << r.output;
  }
}

// ---- the running secure port

class SecureServingTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    certs_ = new Certs();
    auto tokens = certs_->dir.write("tokens.csv", "good-token,alice,uid-a,\"dev,ops\"\n");
    auto clientCa = certs_->dir.path() / "ca.crt";
    host_ = new HostProcess(coreConfig("serving:\n  tlsHandshakeTimeout: 1s\n"),
                            {"--secure-port", "0", "--insecure-port", "0", "--anonymous-auth=false",
                             "--token-auth-file", tokens.string(), "--client-ca-file", clientCa.string()});
    caPem_ = readAll(host_->dir() / "data" / "pki" / "ca.crt");
  }
  static void TearDownTestSuite() {
    delete host_;
    host_ = nullptr;
    delete certs_;
    certs_ = nullptr;
  }
  static HostProcess* host_;
  static Certs* certs_;
  static std::string caPem_;
};
HostProcess* SecureServingTest::host_ = nullptr;
Certs* SecureServingTest::certs_ = nullptr;
std::string SecureServingTest::caPem_;

TEST_F(SecureServingTest, BothPortsAreLogged) {
  ASSERT_NE(host_->securePort(), 0);
  ASSERT_NE(host_->port(), 0);
  EXPECT_NE(host_->output().find("Serving securely on 127.0.0.1:" + std::to_string(host_->securePort())),
            std::string::npos);
  EXPECT_NE(host_->output().find("Serving insecurely on 127.0.0.1:" + std::to_string(host_->port())),
            std::string::npos);
}

TEST_F(SecureServingTest, TheGeneratedCertificateVerifiesFor127001) {
  auto r = httpsGet(host_->securePort(), "/version", caPem_);
  EXPECT_EQ(r.error, "") << "the server certificate must verify against ca.crt with IP SAN 127.0.0.1";
  EXPECT_EQ(r.status, 401) << "anonymous requests are off";
  auto st = json::parse(r.body).as_object();
  EXPECT_EQ(st["reason"], "Unauthorized");
  EXPECT_EQ(st["message"], "Unauthorized");
  EXPECT_EQ(r.auditId.size(), 36u) << "every response carries an Audit-Id";
}

TEST_F(SecureServingTest, TheAdminKubeconfigsCertificateIsTheSuperuser) {
  const std::string kc = readAll(host_->dir() / "data" / "admin.kubeconfig");
  EXPECT_NE(kc.find("server: https://127.0.0.1:" + std::to_string(host_->securePort())), std::string::npos) << kc;
  auto admin = httpsGet(host_->securePort(), "/api/v1/namespaces/default/pods", caPem_,
                        readAll(host_->dir() / "data" / "pki" / "admin.crt"),
                        readAll(host_->dir() / "data" / "pki" / "admin.key"));
  EXPECT_EQ(admin.status, 200) << admin.error << admin.body;
}

TEST_F(SecureServingTest, BearerTokens) {
  auto good = httpsGet(host_->securePort(), "/api/v1/namespaces", caPem_, {}, {},
                       {{"Authorization", "Bearer good-token"}});
  EXPECT_EQ(good.status, 200) << good.body;
  auto bad = httpsGet(host_->securePort(), "/api/v1/namespaces", caPem_, {}, {}, {{"Authorization", "Bearer bad"}});
  EXPECT_EQ(bad.status, 401);
  EXPECT_NE(host_->output().find("Unable to authenticate the request"), std::string::npos);
  auto echoed = httpsGet(host_->securePort(), "/version", caPem_, {}, {},
                         {{"Authorization", "Bearer good-token"}, {"Audit-ID", "my-own-id"}});
  EXPECT_EQ(echoed.auditId, "my-own-id");
}

TEST_F(SecureServingTest, ClientCertificates) {
  auto [goodCert, goodKey] = certs_->client("carol", "/CN=carol/O=devs", "ca");
  auto good = httpsGet(host_->securePort(), "/api/v1/namespaces", caPem_, goodCert, goodKey);
  EXPECT_EQ(good.status, 200) << good.error << good.body;

  for (const auto& [name, subject, ca, days] :
       std::vector<std::tuple<std::string, std::string, std::string, int>>{
           {"expired", "/CN=old/O=system:masters", "ca", -1},
           {"wrongly-signed", "/CN=eve/O=system:masters", "other", 30},
           {"self-signed", "/CN=mallory/O=system:masters", "", 30}}) {
    SCOPED_TRACE(name);
    auto [cert, key] = certs_->client(name, subject, ca, days);
    auto r = httpsGet(host_->securePort(), "/api/v1/namespaces", caPem_, cert, key);
    EXPECT_EQ(r.error, "") << "the handshake succeeds; authentication refuses";
    EXPECT_EQ(r.status, 401) << r.body;
  }
  const std::string log = host_->output();
  EXPECT_NE(log.find("x509: certificate has expired or is not yet valid"), std::string::npos) << log;
  EXPECT_NE(log.find("CN=eve,O=system:masters failed: x509: certificate signed by unknown authority"),
            std::string::npos);
  EXPECT_NE(log.find("CN=mallory,O=system:masters failed: x509: certificate signed by unknown authority"),
            std::string::npos);
}

TEST_F(SecureServingTest, PlainHttpOnTheTlsPortIsToldSo) {
  HttpClient c(host_->securePort());
  EXPECT_EQ(c.raw("GET /version HTTP/1.1\r\nHost: x\r\n\r\n"),
            "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n");
}

TEST_F(SecureServingTest, AHandshakeThatNeverFinishesTimesOutAndHoldsNothing) {
  // Connections that never say anything, and one that stops in the middle of its ClientHello.
  std::vector<int> fds;
  for (int i = 0; i < 40; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(host_->securePort());
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    fds.push_back(fd);
  }
  const unsigned char partialHello[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00};
  ASSERT_EQ(::send(fds.back(), partialHello, sizeof partialHello, 0), static_cast<ssize_t>(sizeof partialHello));
  // Others are served meanwhile, on both ports.
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(httpsGet(host_->securePort(), "/healthz", caPem_, {}, {}, {{"Authorization", "Bearer good-token"}}).status,
            200);
  EXPECT_EQ(HttpClient(host_->port()).get("/healthz").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(900));
  // Each stalled connection is closed by the server after the 1 s handshake timeout.
  for (int fd : fds) {
    char b;
    EXPECT_EQ(::recv(fd, &b, 1, 0), 0) << "the server closed it (not our 5 s receive timeout)";
    ::close(fd);
  }
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(900));
  EXPECT_LT(waited, std::chrono::seconds(4));
}

TEST_F(SecureServingTest, TheInsecurePortIsTheSuperuserOverPlainHttp) {
  auto r = HttpClient(host_->port()).get("/api/v1/namespaces", {{"Authorization", "Bearer bad"}});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("audit-id").size(), 36u);
}

TEST(SecureServingRestart, CertificatesAreReusedAndTheKubeconfigFollowsThePort) {
  TempDir dir;
  auto cfg = dir.write("apiserver.yaml", coreConfig());
  std::string ca, admin;
  {
    HostProcess first(readAll(cfg), {"--secure-port", "0", "--insecure-port", "-1", "--data-dir",
                                     (dir.path() / "data").string()});
    EXPECT_NE(first.output().find("generated " + (dir.path() / "data" / "pki" / "ca.crt").string()), std::string::npos)
        << first.output();
    ca = readAll(dir.path() / "data" / "pki" / "ca.crt");
    admin = readAll(dir.path() / "data" / "pki" / "admin.crt");
  }
  HostProcess second(readAll(cfg), {"--secure-port", "0", "--insecure-port", "-1", "--data-dir",
                                    (dir.path() / "data").string()});
  EXPECT_EQ(second.output().find("generated "), std::string::npos) << second.output();
  EXPECT_EQ(readAll(dir.path() / "data" / "pki" / "ca.crt"), ca);
  EXPECT_EQ(readAll(dir.path() / "data" / "pki" / "admin.crt"), admin);
  const std::string kc = readAll(dir.path() / "data" / "admin.kubeconfig");
  EXPECT_NE(kc.find("server: https://127.0.0.1:" + std::to_string(second.securePort()) + "\n"), std::string::npos) << kc;
  auto r = httpsGet(second.securePort(), "/api/v1/namespaces", ca, admin,
                    readAll(dir.path() / "data" / "pki" / "admin.key"));
  EXPECT_EQ(r.status, 200) << r.error << r.body;
}

}  // namespace
}  // namespace apiserver::testing
