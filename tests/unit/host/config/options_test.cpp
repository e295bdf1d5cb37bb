// Command-line flags: parsing, overriding the YAML file, and errors that name the flag.

#include "options/options.h"
#include "config/config.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace apiserver::options {
namespace {

namespace fs = std::filesystem;

Result<Options> parseArgs(std::vector<std::string> args) {
  args.insert(args.begin(), "apiserver-host");
  std::vector<const char*> argv;
  for (const auto& a : args)
    argv.push_back(a.c_str());
  return parse(static_cast<int>(argv.size()), argv.data());
}

config::Config yamlConfig(std::string_view yaml) {
  auto c = config::parseConfig(yaml, "f.yaml", "/etc/apiserver");
  EXPECT_TRUE(c) << c.error().message;
  return c ? *c : config::Config{};
}

TEST(Options, ParsesEveryFlag) {
  auto o = parseArgs({"--config=/etc/a.yaml", "--plugin-dir", "/p", "--bind-address=0.0.0.0",
                      "--insecure-port=0", "--worker-threads=4", "--stream-threads=3",
                      "--io-uring=false", "--blocking-threads=8", "--storage-backend=memory",
                      "--etcd-prefix=/kube", "--max-requests-inflight=7",
                      "--max-mutating-requests-inflight=3", "--request-timeout=30s",
                      "--min-request-timeout=120", "--log-level=warn"});
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_FALSE(o->help);
  EXPECT_FALSE(o->version);
  EXPECT_EQ(o->configFile, "/etc/a.yaml");
  EXPECT_EQ(o->pluginDir, "/p");
  EXPECT_EQ(o->bindAddress, "0.0.0.0");
  EXPECT_EQ(o->insecurePort, 0);
  EXPECT_EQ(o->workerThreads, 4);
  EXPECT_EQ(o->streamThreads, 3);
  EXPECT_EQ(o->ioUring, "false");
  EXPECT_EQ(o->blockingThreads, 8);
  EXPECT_EQ(o->storageBackend, "memory");
  EXPECT_EQ(o->etcdPrefix, "/kube");
  EXPECT_EQ(o->maxRequestsInflight, 7);
  EXPECT_EQ(o->maxMutatingRequestsInflight, 3);
  EXPECT_EQ(o->requestTimeout, "30s");
  EXPECT_EQ(o->minRequestTimeout, 120);
  EXPECT_EQ(o->logLevel, "warn");
}

TEST(Options, NoFlagsLeaveEverythingUnset) {
  auto o = parseArgs({});
  ASSERT_TRUE(o);
  EXPECT_FALSE(o->configFile || o->pluginDir || o->bindAddress || o->insecurePort ||
               o->workerThreads || o->storageBackend || o->etcdPrefix || o->maxRequestsInflight ||
               o->maxMutatingRequestsInflight || o->requestTimeout || o->minRequestTimeout ||
               o->logLevel);
  auto h = parseArgs({"-h"});
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->help);
  auto v = parseArgs({"--version"});
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->version);
}

TEST(Options, ParseErrorsNameTheFlag) {
  struct Case {
    std::string name;
    std::vector<std::string> args;
    std::string mentions;
  };
  const std::vector<Case> cases = {
      {"unknown flag", {"--bogus=1"}, "--bogus"},
      {"not a number", {"--insecure-port=http"}, "--insecure-port"},
      {"number too large for the type",
       {"--worker-threads=99999999999999999999999"},
       "--worker-threads"},
      {"missing value", {"--config"}, "--config"},
      {"given twice", {"--insecure-port=1", "--insecure-port=2"}, "--insecure-port"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto o = parseArgs(c.args);
    ASSERT_FALSE(o);
    EXPECT_EQ(o.error().code, 400);
    EXPECT_NE(o.error().message.find(c.mentions), std::string::npos) << o.error().message;
    EXPECT_NE(o.error().message.find("(see --help)"), std::string::npos) << o.error().message;
  }
}

TEST(Options, APositionalArgumentIsRefused) {
  auto o = parseArgs({"my.yaml"});
  ASSERT_FALSE(o);
  EXPECT_NE(o.error().message.find("my.yaml"), std::string::npos) << o.error().message;
}

TEST(Options, FlagsOverrideTheFile) {
  config::Config c = yamlConfig(R"(serving:
  bindAddress: 10.0.0.1
  insecurePort: 1234
  workerThreads: 2
  maxRequestsInFlight: 50
  requestTimeout: 10s
storage:
  prefix: /from-file
  etcd:
    createsPerTxn: 8
logging:
  level: error
)");
  EXPECT_EQ(c.storage.etcd.createsPerTxn, 8);
  Options o;
  o.insecurePort = 9999;
  o.etcdCreatesPerTxn = 1;
  o.requestTimeout = "2m";
  o.minRequestTimeout = 60;
  o.etcdPrefix = "/from-flag";
  o.logLevel = "debug";
  o.pluginDir = "/plugins";
  o.ioUring = "false";
  ASSERT_TRUE(applyTo(o, c));
  EXPECT_FALSE(c.serving.ioUring);
  EXPECT_EQ(c.serving.insecurePort, 9999);
  EXPECT_EQ(c.serving.requestTimeout, std::chrono::minutes(2));
  EXPECT_EQ(c.serving.minRequestTimeout, std::chrono::seconds(60))
      << "--min-request-timeout is in seconds";
  EXPECT_EQ(c.storage.prefix, "/from-flag");
  EXPECT_EQ(c.storage.etcd.createsPerTxn, 1);
  o.etcdPrefix = "/with-slash//";
  ASSERT_TRUE(applyTo(o, c));
  EXPECT_EQ(c.storage.prefix, "/with-slash") << "trailing slashes go, as in storage.prefix";
  EXPECT_EQ(c.logLevel, "debug");
  EXPECT_EQ(c.pluginDirectory, fs::path("/plugins"));
  // Flags not given leave the file's values alone.
  EXPECT_EQ(c.serving.bindAddress, "10.0.0.1");
  EXPECT_EQ(c.serving.workerThreads, 2);
  EXPECT_EQ(c.serving.maxRequestsInFlight, 50);
}

TEST(Options, ApplyErrorsNameTheFlag) {
  struct Case {
    std::string name;
    std::function<void(Options&)> set;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"port", [](Options& o) { o.insecurePort = 70000; },
       "--insecure-port: must be between 0 and 65535, or -1 (off)"},
      {"threads", [](Options& o) { o.workerThreads = -1; },
       "--worker-threads: must be between 0 and 1024"},
      {"streamThreads", [](Options& o) { o.streamThreads = 1025; },
       "--stream-threads: must be between 0 and 1024"},
      {"ioUring", [](Options& o) { o.ioUring = "sometimes"; },
       "--io-uring: expected true or false, got \"sometimes\""},
      {"blocking", [](Options& o) { o.blockingThreads = 5000; },
       "--blocking-threads: must be between 0 and 4096"},
      {"backend", [](Options& o) { o.storageBackend = "nosql"; },
       "--storage-backend: unsupported backend \"nosql\"; expected one of memory..."},
      {"prefix", [](Options& o) { o.etcdPrefix = "registry"; },
       "--etcd-prefix: must start with '/'"},
      {"creates per txn", [](Options& o) { o.etcdCreatesPerTxn = 0; },
       "--etcd-creates-per-txn: expected a number from 1 to 128, got 0"},
      {"creates per txn above etcd's limit", [](Options& o) { o.etcdCreatesPerTxn = 129; },
       "--etcd-creates-per-txn: expected a number from 1 to 128, got 129"},
      {"in flight", [](Options& o) { o.maxRequestsInflight = -1; },
       "--max-requests-inflight: can not be negative value"},
      {"mutating in flight", [](Options& o) { o.maxMutatingRequestsInflight = -1; },
       "--max-mutating-requests-inflight: can not be negative value"},
      {"request timeout", [](Options& o) { o.requestTimeout = "soon"; },
       "--request-timeout: expected a positive duration such as 60s or 1m, got \"soon\""},
      {"request timeout zero", [](Options& o) { o.requestTimeout = "0s"; },
       "--request-timeout: expected..."},
      {"min request timeout", [](Options& o) { o.minRequestTimeout = 0; },
       "--min-request-timeout: must be a positive number of seconds"},
      {"log level", [](Options& o) { o.logLevel = "loud"; },
       "--log-level: expected one of trace, debug, info, warn, error, got \"loud\""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    config::Config cfg = yamlConfig("");
    Options o;
    c.set(o);
    auto r = applyTo(o, cfg);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, 422);
    const bool prefix = c.error.size() > 3 && c.error.compare(c.error.size() - 3, 3, "...") == 0;
    if (prefix) {
      EXPECT_EQ(r.error().message.rfind(c.error.substr(0, c.error.size() - 3), 0), 0u)
          << r.error().message;
    } else {
      EXPECT_EQ(r.error().message, c.error);
    }
  }
}

TEST(Options, EveryBadFlagIsReportedAtOnce) {
  config::Config cfg = yamlConfig("");
  Options o;
  o.insecurePort = -2;
  o.logLevel = "x";
  o.requestTimeout = "x";
  auto r = applyTo(o, cfg);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("--insecure-port"), std::string::npos);
  EXPECT_NE(r.error().message.find("--log-level"), std::string::npos);
  EXPECT_NE(r.error().message.find("--request-timeout"), std::string::npos);
  ASSERT_TRUE(r.error().details.has_value());
  EXPECT_EQ(r.error().details->causes.size(), 3u);
  EXPECT_EQ(std::count(r.error().message.begin(), r.error().message.end(), '\n'), 2);
}

TEST(Options, AMalformedRequestTimeoutIsAnErrorNotAnException) {
  config::Config cfg = yamlConfig("");
  Options o;
  o.requestTimeout = ".";
  bool threw = false;
  try {
    EXPECT_FALSE(applyTo(o, cfg));
  } catch (const std::exception&) {
    threw = true;
  }
  EXPECT_FALSE(threw) << "applyTo threw";
}

TEST(Options, LoadConfigReadsTheFileThenAppliesTheFlags) {
  const fs::path file =
      fs::temp_directory_path() / ("options_test_" + std::to_string(::getpid()) + ".yaml");
  {
    std::ofstream out(file);
    out << "serving:\n  insecurePort: 1111\n  bindAddress: 10.1.1.1\n";
  }
  auto o = parseArgs({"--config=" + file.string(), "--insecure-port=2222"});
  ASSERT_TRUE(o);
  auto c = loadConfig(*o);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->serving.insecurePort, 2222);
  EXPECT_EQ(c->serving.bindAddress, "10.1.1.1");
  EXPECT_EQ(c->source, file.string());

  auto bad = parseArgs({"--config=" + file.string(), "--log-level=nope"});
  ASSERT_TRUE(bad);
  EXPECT_FALSE(loadConfig(*bad));

  auto embedded = loadConfig(Options{});
  ASSERT_TRUE(embedded) << embedded.error().message;
  fs::remove(file);
}

TEST(Options, UsageListsTheFlags) {
  const std::string u = usage();
  for (const char* flag :
       {"--config", "--plugin-dir", "--bind-address", "--insecure-port", "--worker-threads",
        "--stream-threads", "--storage-backend", "--etcd-prefix", "--max-requests-inflight",
        "--max-mutating-requests-inflight", "--request-timeout", "--min-request-timeout",
        "--log-level", "--help", "--version"})
    EXPECT_NE(u.find(flag), std::string::npos) << flag;
}

}  // namespace
}  // namespace apiserver::options

namespace apiserver::options {
namespace {

TEST(Options, SecureServingAuthenticationAndAuditFlags) {
  auto o = parseArgs({"--secure-port=0", "--cert-dir=/srv/pki", "--tls-cert-file=/srv/tls.crt",
                      "--tls-private-key-file=/srv/tls.key", "--tls-min-version=VersionTLS13",
                      "--anonymous-auth=false", "--token-auth-file=/srv/tokens.csv", "--client-ca-file=/srv/ca.crt",
                      "--requestheader-client-ca-file=/srv/proxy-ca.crt", "--requestheader-allowed-names=front-proxy",
                      "--requestheader-username-headers=X-Remote-User,X-User",
                      "--requestheader-username-headers=X-Third", "--requestheader-group-headers=X-Remote-Group",
                      "--requestheader-extra-headers-prefix=X-Remote-Extra-", "--audit-policy-file=/srv/policy.yaml",
                      "--audit-log-path=-", "--audit-log-maxsize=10", "--audit-log-maxbackup=3",
                      "--audit-log-maxage=7", "--insecure-port=-1", "--insecure-bind-address=::1"});
  ASSERT_TRUE(o) << o.error().message;
  config::Config c = yamlConfig("");
  ASSERT_TRUE(applyTo(*o, c));
  EXPECT_EQ(c.serving.securePort, 0);
  EXPECT_EQ(c.serving.insecurePort, -1);
  EXPECT_EQ(c.serving.insecureBindAddress, "::1");
  EXPECT_EQ(c.serving.certDir, "/srv/pki");
  EXPECT_EQ(c.serving.tlsCertFile, "/srv/tls.crt");
  EXPECT_EQ(c.serving.tlsPrivateKeyFile, "/srv/tls.key");
  EXPECT_EQ(c.serving.tlsMinVersion, "VersionTLS13");
  EXPECT_FALSE(c.authentication.anonymous);
  EXPECT_EQ(c.authentication.tokenAuthFile, "/srv/tokens.csv");
  EXPECT_EQ(c.authentication.clientCAFile, "/srv/ca.crt");
  const auto& rh = c.authentication.requestHeader;
  EXPECT_EQ(rh.clientCAFile, "/srv/proxy-ca.crt");
  EXPECT_EQ(rh.allowedNames, (std::vector<std::string>{"front-proxy"}));
  EXPECT_EQ(rh.usernameHeaders, (std::vector<std::string>{"X-Remote-User", "X-User", "X-Third"}));
  EXPECT_EQ(rh.groupHeaders, (std::vector<std::string>{"X-Remote-Group"}));
  EXPECT_EQ(rh.extraHeadersPrefix, (std::vector<std::string>{"X-Remote-Extra-"}));
  EXPECT_EQ(c.audit.policyFile, "/srv/policy.yaml");
  EXPECT_EQ(c.audit.logPath, "-");
  EXPECT_EQ(c.audit.logMaxSize, 10);
  EXPECT_EQ(c.audit.logMaxBackup, 3);
  EXPECT_EQ(c.audit.logMaxAge, 7);

  auto bare = parseArgs({"--anonymous-auth"});
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->anonymousAuth, "true");

  Options bad;
  bad.securePort = -2;
  bad.tlsMinVersion = "VersionTLS11";
  bad.anonymousAuth = "maybe";
  bad.auditLogMaxbackup = -1;
  auto r = applyTo(bad, c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("--secure-port: must be between 0 and 65535, or -1 (off)"), std::string::npos);
  EXPECT_NE(r.error().message.find("--tls-min-version: expected VersionTLS12 or VersionTLS13, got \"VersionTLS11\""),
            std::string::npos);
  EXPECT_NE(r.error().message.find("--anonymous-auth: expected true or false, got \"maybe\""), std::string::npos);
  EXPECT_NE(r.error().message.find("--audit-log-maxbackup: can not be negative value"), std::string::npos);
}

TEST(Options, ServingIsCheckedAsAWhole) {
  auto check = [](const std::string& yaml) {
    auto c = config::parseConfig(yaml, "f.yaml", "/etc/apiserver");
    EXPECT_TRUE(c) << c.error().message;
    return config::complete(std::move(*c), "/opt/apiserver/bin/apiserver-host");
  };
  auto ok = check("storage:\n  dataDir: /var/lib/apiserver\n");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ((*ok)->serving.certDir, "/var/lib/apiserver/pki");

  auto exposed = check("serving:\n  insecurePort: 8080\n  insecureBindAddress: 0.0.0.0\n");
  ASSERT_FALSE(exposed);
  EXPECT_NE(exposed.error().message.find("serving.insecureBindAddress: \"0.0.0.0\" is not a loopback address"),
            std::string::npos)
      << exposed.error().message;
  EXPECT_TRUE(check("serving:\n  insecurePort: 8080\n  insecureBindAddress: 127.0.0.2\n"));
  EXPECT_TRUE(check("serving:\n  insecurePort: 8080\n  insecureBindAddress: \"::1\"\n"));
  EXPECT_TRUE(check("serving:\n  insecureBindAddress: 0.0.0.0\n")) << "the insecure port is off";

  auto off = check("serving:\n  securePort: -1\n");
  ASSERT_FALSE(off);
  EXPECT_NE(off.error().message.find("serving: both ports are off"), std::string::npos) << off.error().message;

  auto half = check("serving:\n  tlsCertFile: tls.crt\n");
  ASSERT_FALSE(half);
  EXPECT_NE(half.error().message.find("serving.tlsPrivateKeyFile: serving.tlsCertFile (--tls-cert-file) and "
                                      "serving.tlsPrivateKeyFile (--tls-private-key-file) go together"),
            std::string::npos)
      << half.error().message;
}

TEST(Options, AnEmptyEtcdFileFlagUnsetsTheFile) {
  config::Config c = yamlConfig(R"(storage:
  etcd:
    cafile: ca.pem
    certfile: ""
)");
  EXPECT_EQ(c.storage.etcd.caFile, fs::path("/etc/apiserver/ca.pem"));
  EXPECT_TRUE(c.storage.etcd.certFile.empty()) << "an empty YAML path is unset, not the config's directory";
  Options o;
  o.etcdCaFile = "";
  o.etcdKeyFile = "";
  ASSERT_TRUE(applyTo(o, c));
  EXPECT_TRUE(c.storage.etcd.caFile.empty());
  EXPECT_TRUE(c.storage.etcd.keyFile.empty());
}

}  // namespace
}  // namespace apiserver::options
