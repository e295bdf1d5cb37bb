// The YAML configuration: parsing, every kind of mistake with its location, defaults, completion.

#include "config/config.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace apiserver::config {
namespace {

namespace fs = std::filesystem;

const fs::path kBase = "/etc/apiserver";

Result<Config> parse(std::string_view yaml) {
  return parseConfig(yaml, "f.yaml", kBase);
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto nl = s.find('\n', start);
    out.push_back(s.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos)
      break;
    start = nl + 1;
  }
  return out;
}

std::vector<std::string> linkNames(const Config& c) {
  std::vector<std::string> out;
  for (const auto& l : c.handlerChain)
    out.push_back(l.name);
  return out;
}

TEST(Config, AFullGoodFile) {
  auto c = parse(R"(serving:
  bindAddress: 0.0.0.0
  insecurePort: 6443
  workerThreads: 8
  streamThreads: 2
  ioUring: false
  maxRequestsInFlight: 10
  maxMutatingRequestsInFlight: "5"
  requestTimeout: 1m30s
  minRequestTimeout: 300
  maxRequestBodyBytes: 4096
  shutdownGracePeriod: 500ms
storage:
  backend: memory
  prefix: /custom/
  watchCacheSize: 500
plugins:
  directory: plugins
  enabled:
    - core
    - name: extra
      file: lib/extra.so
      config:
        anything: [1, 2]
handlerChain:
  - panic-recovery
  - name: request-log
    config:
      level: debug
logging:
  level: debug
)");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->source, "f.yaml");
  EXPECT_EQ(c->serving.bindAddress, "0.0.0.0");
  EXPECT_EQ(c->serving.insecurePort, 6443);
  EXPECT_EQ(c->serving.workerThreads, 8);
  EXPECT_EQ(c->serving.streamThreads, 2);
  EXPECT_FALSE(c->serving.ioUring);
  EXPECT_EQ(c->serving.maxRequestsInFlight, 10);
  EXPECT_EQ(c->serving.maxMutatingRequestsInFlight, 5) << "quoted numbers read the same";
  EXPECT_EQ(c->serving.requestTimeout, std::chrono::milliseconds(90000));
  EXPECT_EQ(c->serving.minRequestTimeout, std::chrono::milliseconds(300000))
      << "a bare number is seconds";
  EXPECT_EQ(c->serving.maxRequestBodyBytes, 4096);
  EXPECT_EQ(c->serving.shutdownGracePeriod, std::chrono::milliseconds(500));
  EXPECT_EQ(c->storage.backend, "memory");
  EXPECT_EQ(c->storage.prefix, "/custom") << "a trailing slash is dropped";
  EXPECT_EQ(c->storage.watchCacheSize, 500);
  EXPECT_EQ(c->pluginDirectory, kBase / "plugins") << "relative to the file's directory";
  ASSERT_EQ(c->plugins.size(), 2u);
  EXPECT_EQ(c->plugins[0].name, "core");
  EXPECT_TRUE(c->plugins[0].file.empty());
  EXPECT_EQ(c->plugins[1].name, "extra");
  EXPECT_EQ(c->plugins[1].file, kBase / "lib/extra.so");
  EXPECT_EQ(c->plugins[1].config.path(), "plugins.enabled[1].config");
  ASSERT_TRUE(c->plugins[1].config.value().is_object());
  EXPECT_EQ(c->plugins[1].config.where("plugins.enabled[1].config.anything"), "f.yaml:24:9");
  EXPECT_EQ(c->plugins[1].where, "f.yaml:21:7");
  EXPECT_EQ(linkNames(*c), (std::vector<std::string>{"panic-recovery", "request-log"}));
  EXPECT_EQ(c->handlerChain[1].config.path(), "handlerChain[1].config");
  EXPECT_EQ(c->logLevel, "debug");
}

TEST(Config, DefaultsWhenSectionsAreAbsent) {
  for (const char* yaml : {"", "{}", "# only a comment\n", "serving: {}\nstorage:\n"}) {
    SCOPED_TRACE(yaml);
    auto c = parse(yaml);
    ASSERT_TRUE(c) << c.error().message;
    const ServingConfig def;
    EXPECT_EQ(c->serving.bindAddress, def.bindAddress);
    EXPECT_EQ(c->serving.insecurePort, -1);
    EXPECT_EQ(c->serving.securePort, 6443);
    EXPECT_EQ(c->serving.requestTimeout, std::chrono::seconds(60));
    EXPECT_TRUE(c->serving.ioUring);
    EXPECT_EQ(c->storage.backend, "sqlite");
    EXPECT_EQ(c->storage.prefix, "/registry");
    EXPECT_EQ(c->storage.watchCacheSize, 10000);
    EXPECT_TRUE(c->pluginDirectory.empty());
    ASSERT_EQ(c->plugins.size(), 2u) << "the core and rbac plugins by default";
    EXPECT_EQ(c->plugins[0].name, "core");
    EXPECT_EQ(c->plugins[0].config.path(), "plugins.enabled[0].config");
    EXPECT_EQ(c->plugins[1].name, "rbac");
    EXPECT_EQ(c->plugins[1].config.path(), "plugins.enabled[1].config");
    EXPECT_EQ(linkNames(*c), (std::vector<std::string>{"panic-recovery", "request-info", "request-log",
                                                       "max-in-flight", "timeout", "authentication", "audit",
                                                       "impersonation", "authorization"}));
    EXPECT_EQ(c->logLevel, "info");
  }
}

TEST(Config, TheEmbeddedDefaultParses) {
  auto c = embeddedDefaultConfig();
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_FALSE(c->plugins.empty());
  EXPECT_FALSE(c->handlerChain.empty());
  EXPECT_EQ(c->storage.prefix, "/registry");
}

struct BadCase {
  std::string name;
  std::string yaml;
  std::string
      error;  // the first line: "f.yaml:L:C: key.path: message" (a prefix when it ends in "...")
  std::size_t count = 1;  // how many problems are reported
};

void PrintTo(const BadCase& c, std::ostream* os) {
  *os << c.name;
}

class ConfigErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(ConfigErrors, NamesFileLineColumnKeyPathAndWhatWasExpected) {
  const BadCase& c = GetParam();
  auto r = parse(c.yaml);
  ASSERT_FALSE(r) << "accepted:\n" << c.yaml;
  EXPECT_EQ(r.error().code, 422);
  EXPECT_EQ(r.error().reason, "Invalid");
  auto got = lines(r.error().message);
  ASSERT_EQ(got.size(), c.count) << r.error().message;
  const bool prefix = c.error.size() > 3 && c.error.compare(c.error.size() - 3, 3, "...") == 0;
  if (prefix) {
    const std::string want = c.error.substr(0, c.error.size() - 3);
    EXPECT_EQ(got[0].substr(0, want.size()), want) << got[0];
  } else {
    EXPECT_EQ(got[0], c.error);
  }
  ASSERT_TRUE(r.error().details.has_value());
  EXPECT_EQ(r.error().details->causes.size(), c.count);
}

INSTANTIATE_TEST_SUITE_P(
    Config, ConfigErrors,
    ::testing::Values(
        BadCase{"UnknownTopLevelKey", "serving: {}\nbogus: 1\n",
                "f.yaml:2:1: bogus: unknown key; expected one of: audit, authentication, "
                "authorization, handlerChain, logging, plugins, serving, storage"},
        BadCase{"UnknownServingKey", "serving:\n  bindAddress: 1.2.3.4\n  port: 80\n",
                "f.yaml:3:3: serving.port: unknown key; expected one of: bindAddress, "
                "blockingThreads, certDir, insecureBindAddress, insecurePort..."},
        BadCase{"SectionNotAMapping", "serving: 5\n", "f.yaml:1:1: serving: expected a mapping"},
        BadCase{"SectionIsAList", "storage:\n  - memory\n",
                "f.yaml:1:1: storage: expected a mapping"},
        BadCase{"PortOutOfRange", "serving:\n  insecurePort: 70000\n",
                "f.yaml:2:3: serving.insecurePort: must be between -1 and 65535, got 70000"},
        BadCase{"PortNegative", "serving:\n  insecurePort: -2\n",
                "f.yaml:2:3: serving.insecurePort: must be between -1 and 65535, got -2"},
        BadCase{"PortNotANumber", "serving:\n  insecurePort: http\n",
                "f.yaml:2:3: serving.insecurePort: expected an integer, got \"http\""},
        BadCase{"PortAFraction", "serving:\n  insecurePort: 80.5\n",
                "f.yaml:2:3: serving.insecurePort: expected an integer, got \"80.5\""},
        BadCase{"PortAList", "serving:\n  insecurePort: [80]\n",
                "f.yaml:2:3: serving.insecurePort: expected an integer"},
        BadCase{"WorkerThreadsTooMany", "serving:\n  workerThreads: 5000\n",
                "f.yaml:2:3: serving.workerThreads: must be between 0 and 1024, got 5000"},
        BadCase{"StreamThreadsNegative", "serving:\n  streamThreads: -1\n",
                "f.yaml:2:3: serving.streamThreads: must be between 0 and 1024, got -1"},
        BadCase{"IoUringNotABoolean", "serving:\n  ioUring: maybe\n",
                "f.yaml:2:3: serving.ioUring: expected a boolean (true or false), got \"maybe\""},
        BadCase{"InFlightNegative", "serving:\n  maxRequestsInFlight: -5\n",
                "f.yaml:2:3: serving.maxRequestsInFlight: must be between 0 and..."},
        BadCase{
            "BodyLimitTooSmall", "serving:\n  maxRequestBodyBytes: 10\n",
            "f.yaml:2:3: serving.maxRequestBodyBytes: must be between 1024 and 4294967296, got 10"},
        BadCase{"DurationWithAnUnknownUnit", "serving:\n  requestTimeout: 5x\n",
                "f.yaml:2:3: serving.requestTimeout: expected a duration such as 60s, 5m or 1h, "
                "got \"5x\""},
        BadCase{"DurationNegative", "serving:\n  shutdownGracePeriod: -5s\n",
                "f.yaml:2:3: serving.shutdownGracePeriod: expected a duration such as 60s, 5m or "
                "1h, got \"-5s\""},
        BadCase{"DurationAMapping", "serving:\n  requestTimeout: {s: 5}\n",
                "f.yaml:2:3: serving.requestTimeout: expected a duration such as 60s, 5m or 1h"},
        BadCase{"RequestTimeoutZero", "serving:\n  requestTimeout: 0s\n",
                "f.yaml:2:3: serving.requestTimeout: must be greater than 0"},
        BadCase{"MinRequestTimeoutUnderASecond", "serving:\n  minRequestTimeout: 500ms\n",
                "f.yaml:2:3: serving.minRequestTimeout: must be at least 1s"},
        BadCase{"BindAddressAList", "serving:\n  bindAddress: [a, b]\n",
                "f.yaml:2:3: serving.bindAddress: expected a string"},
        BadCase{"UnknownBackend", "storage:\n  backend: nosql\n",
                "f.yaml:2:3: storage.backend: unsupported value \"nosql\"; expected one of "
                "\"memory\"..."},
        BadCase{"PrefixNotAbsolute", "storage:\n  prefix: registry\n",
                "f.yaml:2:3: storage.prefix: must start with '/'"},
        BadCase{"WatchCacheTooSmall", "storage:\n  watchCacheSize: 5\n",
                "f.yaml:2:3: storage.watchCacheSize: must be between 100 and 10000000, got 5"},
        BadCase{"UnknownStorageKey", "storage:\n  backnd: memory\n",
                "f.yaml:2:3: storage.backnd: unknown key; expected one of: backend..."},
        BadCase{"UnknownLogLevel", "logging:\n  level: loud\n",
                "f.yaml:2:3: logging.level: unsupported value \"loud\"; expected one of \"trace\", "
                "\"debug\", "
                "\"info\", \"warn\", \"error\""},
        BadCase{"UnknownLoggingKey", "logging:\n  format: json\n",
                "f.yaml:2:3: logging.format: unknown key; expected one of: level"},
        BadCase{"HandlerChainNotAList", "handlerChain: panic-recovery\n",
                "f.yaml:1:1: handlerChain: expected a list"},
        BadCase{"HandlerChainEntryWithoutName", "handlerChain:\n  - config: {}\n",
                "f.yaml:2:5: handlerChain[0].name: required: the name of the entry"},
        BadCase{"HandlerChainEmptyName", "handlerChain:\n  - panic-recovery\n  - \"\"\n",
                "f.yaml:3:5: handlerChain[1]: must not be empty"},
        BadCase{"HandlerChainUnknownKey", "handlerChain:\n  - name: timeout\n    timeout: 5s\n",
                "f.yaml:3:5: handlerChain[0].timeout: unknown key; expected one of: config, name"},
        BadCase{"HandlerChainEntryAList", "handlerChain:\n  - [a]\n",
                "f.yaml:2:5: handlerChain[0]: expected a mapping", 2},
        BadCase{"PluginsNotAMapping", "plugins: [core]\n",
                "f.yaml:1:1: plugins: expected a mapping"},
        BadCase{"PluginEnabledNotAList", "plugins:\n  enabled: core\n",
                "f.yaml:2:3: plugins.enabled: expected a list"},
        BadCase{"PluginUnknownKey", "plugins:\n  enabled:\n    - name: core\n      version: 2\n",
                "f.yaml:4:7: plugins.enabled[0].version: unknown key; expected one of: config, "
                "file, name"},
        BadCase{"PluginDirectoryNotAString", "plugins:\n  directory: [a]\n",
                "f.yaml:2:3: plugins.directory: expected a string"},
        BadCase{"NameNotAString", "handlerChain:\n  - name: {a: b}\n",
                "f.yaml:2:5: handlerChain[0].name: expected a string", 2}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return info.param.name; });

TEST(Config, InvalidYamlIsOneError) {
  auto r = parse("serving:\n  bindAddress: [unclosed\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 422);
  EXPECT_EQ(r.error().message.rfind("invalid YAML: f.yaml: line ", 0), 0u) << r.error().message;
}

TEST(Config, EtcdCreatesPerTxnIsFromOneToEtcdsTxnLimit) {
  auto d = parse("storage:\n  backend: etcd3\n");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->storage.etcd.createsPerTxn, 64);
  auto one = parse("storage:\n  etcd:\n    createsPerTxn: 1\n");
  ASSERT_TRUE(one) << one.error().message;
  EXPECT_EQ(one->storage.etcd.createsPerTxn, 1);
  for (const char* bad : {"0", "129", "many"}) {
    auto r = parse(std::string("storage:\n  etcd:\n    createsPerTxn: ") + bad + "\n");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().message.rfind("f.yaml:3:5: storage.etcd.createsPerTxn: ", 0), 0u)
        << r.error().message;
  }
}

TEST(Config, EveryProblemIsReportedAtOnce) {
  auto r = parse(R"(serving:
  insecurePort: 99999
  requestTimeout: soon
storage:
  backend: nosql
  extra: 1
logging:
  level: loud
handlerChain:
  - name: timeout
    bogus: true
typo: 1
)");
  ASSERT_FALSE(r);
  auto got = lines(r.error().message);
  ASSERT_EQ(got.size(), 7u) << r.error().message;
  auto has = [&](std::string_view start) {
    for (const auto& l : got)
      if (l.rfind(start, 0) == 0)
        return true;
    return false;
  };
  EXPECT_TRUE(has("f.yaml:2:3: serving.insecurePort: "));
  EXPECT_TRUE(has("f.yaml:3:3: serving.requestTimeout: "));
  EXPECT_TRUE(has("f.yaml:5:3: storage.backend: "));
  EXPECT_TRUE(has("f.yaml:6:3: storage.extra: unknown key"));
  EXPECT_TRUE(has("f.yaml:8:3: logging.level: "));
  EXPECT_TRUE(has("f.yaml:11:5: handlerChain[0].bogus: unknown key"));
  EXPECT_TRUE(has("f.yaml:12:1: typo: unknown key"));
  ASSERT_TRUE(r.error().details.has_value());
  EXPECT_EQ(r.error().details->causes.size(), 7u);
  for (const auto& cause : r.error().details->causes)
    EXPECT_FALSE(cause.field.empty());
}

TEST(Config, AMalformedDurationIsAnErrorNotAnException) {
  for (const char* bad : {".", ".s", "..m", "1.2.3s", "99999999999999999999h"}) {
    SCOPED_TRACE(bad);
    bool threw = false;
    std::optional<std::chrono::milliseconds> d;
    try {
      d = ConfigReader::parseDuration(bad);
    } catch (const std::exception&) {
      threw = true;
    }
    EXPECT_FALSE(threw) << "parseDuration threw";
    EXPECT_FALSE(d.has_value()) << d->count() << "ms";
    threw = false;
    try {
      auto r = parse(std::string("serving:\n  requestTimeout: \"") + bad + "\"\n");
      EXPECT_FALSE(r);
    } catch (const std::exception&) {
      threw = true;
    }
    EXPECT_FALSE(threw) << "parseConfig threw";
  }
}

TEST(Config, AMissingClosingQuoteIsAnError) {
  auto r = parse("serving:\n  bindAddress: \"0.0.0.0\n  insecurePort: 9090\nbogus: 1\n");
  EXPECT_FALSE(r) << "bindAddress = [" << r->serving.bindAddress
                  << "], insecurePort = " << r->serving.insecurePort;
}

TEST(Config, Durations) {
  struct Case {
    std::string text;
    std::optional<std::int64_t> ms;
  };
  const std::vector<Case> cases = {
      {"60s", 60000},
      {"1m30s", 90000},
      {"500ms", 500},
      {"1h", 3600000},
      {"90", 90000},
      {"1.5s", 1500},
      {"0", 0},
      {"0s", 0},
      {"2h3m4s", 7384000},
      {"", std::nullopt},
      {"5x", std::nullopt},
      {"s", std::nullopt},
      {"-5s", std::nullopt},
      {"5 s", std::nullopt},
      {"1d", std::nullopt},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto d = ConfigReader::parseDuration(c.text);
    ASSERT_EQ(d.has_value(), c.ms.has_value());
    if (d) {
      EXPECT_EQ(d->count(), *c.ms);
    }
  }
}

TEST(Config, PathsInTheFileAreRelativeToIt) {
  auto c = parse(
      "plugins:\n  directory: /abs/plugins\n  enabled:\n    - name: a\n      file: /abs/a.so\n");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->pluginDirectory, fs::path("/abs/plugins"));
  EXPECT_EQ(c->plugins[0].file, fs::path("/abs/a.so"));
}

TEST(Config, ExplicitlyEmptyListsAreRefusedByComplete) {
  auto noPlugins = parse("plugins:\n  enabled: []\n");
  ASSERT_TRUE(noPlugins) << noPlugins.error().message;
  EXPECT_TRUE(noPlugins->plugins.empty());
  auto done = complete(*noPlugins, "/opt/apiserver/bin/apiserver-host");
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().message,
            "f.yaml: plugins.enabled: no plugins are enabled; the server would serve nothing");

  auto noLinks = parse("handlerChain: []\n");
  ASSERT_TRUE(noLinks);
  auto done2 = complete(*noLinks, "/opt/apiserver/bin/apiserver-host");
  ASSERT_FALSE(done2);
  EXPECT_EQ(done2.error().message,
            "f.yaml: handlerChain: must name at least one link (e.g. panic-recovery)");
}

TEST(Config, CompleteFillsDerivedValues) {
  auto c = parse("");
  ASSERT_TRUE(c);
  auto done = complete(*c, "/opt/apiserver/bin/apiserver-host");
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_GE((*done)->serving.workerThreads, 2);
  EXPECT_EQ((*done)->pluginDirectory, fs::path("/opt/apiserver/plugins"))
      << "build/bin -> build/plugins";

  auto explicitDir = parse("serving:\n  workerThreads: 3\nplugins:\n  directory: /p\n");
  ASSERT_TRUE(explicitDir);
  auto done2 = complete(*explicitDir, "/opt/apiserver/bin/apiserver-host");
  ASSERT_TRUE(done2);
  EXPECT_EQ((*done2)->serving.workerThreads, 3);
  EXPECT_EQ((*done2)->pluginDirectory, fs::path("/p"));
}

TEST(Config, LoadConfigFileReadsRelativeToTheFile) {
  const fs::path dir = fs::temp_directory_path() / ("config_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path file = dir / "server.yaml";
  {
    std::ofstream out(file);
    out << "plugins:\n  directory: plugs\nserving:\n  insecurePort: nope\n";
  }
  auto bad = loadConfigFile(file);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            file.string() + ":4:3: serving.insecurePort: expected an integer, got \"nope\"");
  {
    std::ofstream out(file);
    out << "plugins:\n  directory: plugs\n";
  }
  auto good = loadConfigFile(file);
  ASSERT_TRUE(good) << good.error().message;
  EXPECT_EQ(good->pluginDirectory, dir / "plugs");

  auto missing = loadConfigFile(dir / "missing.yaml");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("cannot read config file"), std::string::npos);
  EXPECT_NE(missing.error().message.find("missing.yaml"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace apiserver::config
