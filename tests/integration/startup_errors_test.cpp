// Start-up failures: each bad configuration and each broken plugin stops the host with a
// precise message and its exit code (2: configuration, 3: plugin), never a crash.
#include "host_process.h"

#include <gtest/gtest.h>

#include <fstream>

namespace apiserver::testing {
namespace {

constexpr int kExitConfig = 2;
constexpr int kExitPlugin = 3;

// The testing plugin brings no authorizer: the configurations name the built-in AlwaysAllow (the
// default, RBAC, comes with the rbac plugin). Appended last, so the line numbers above stay.
const std::string kAlwaysAllow = "authorization:\n  modes: [AlwaysAllow]\n";

std::string configWith(const std::string& plugins, const std::string& extra = {}) {
  return "plugins:\n  directory: " + testPluginDir().string() + "\n  enabled:\n" + plugins + extra + kAlwaysAllow;
}

RunResult runWithConfig(const TempDir& dir, const std::string& yaml, std::vector<std::string> extra = {}) {
  auto file = dir.write("apiserver.yaml", yaml);
  std::vector<std::string> args{"--config", file.string(), "--insecure-port", "0"};
  args.insert(args.end(), extra.begin(), extra.end());
  return runToExit(args);
}

struct Case {
  std::string name;
  std::string yaml;
  std::vector<std::string> flags;
  int exitCode;
  std::vector<std::string> messages;  // each must appear in the output
};

class StartupErrorTest : public ::testing::TestWithParam<Case> {};

TEST_P(StartupErrorTest, FailsWithMessage) {
  const Case& c = GetParam();
  TempDir dir;
  auto r = runWithConfig(dir, c.yaml, c.flags);
  EXPECT_EQ(r.exitCode, c.exitCode) << r.output;
  for (const auto& m : c.messages) EXPECT_NE(r.output.find(m), std::string::npos) << "missing \"" << m << "\" in:\n" << r.output;
  EXPECT_EQ(r.output.find("Serving"), std::string::npos) << r.output;
}

const std::string kTesting = "    - name: testing\n";

INSTANTIATE_TEST_SUITE_P(
    Config, StartupErrorTest,
    ::testing::Values(
        Case{"UnknownTopLevelKey", configWith(kTesting, "servng:\n  insecurePort: 1\n"), {}, kExitConfig,
             {"apiserver.yaml:5:1: servng: unknown key; expected one of:"}},
        Case{"UnknownNestedKey", "serving:\n  bindAdress: 127.0.0.1\n" + configWith(kTesting), {}, kExitConfig,
             {"apiserver.yaml:2:3: serving.bindAdress: unknown key"}},
        Case{"WrongType", "serving:\n  insecurePort: eighty\n" + configWith(kTesting), {}, kExitConfig,
             {"apiserver.yaml:2:3: serving.insecurePort: expected an integer, got \"eighty\""}},
        Case{"OutOfRange", "serving:\n  insecurePort: 70000\n" + configWith(kTesting), {}, kExitConfig,
             {"serving.insecurePort: must be between -1 and 65535, got 70000"}},
        Case{"BadEnum", "storage:\n  backend: floppy\n" + configWith(kTesting), {}, kExitConfig,
             {"apiserver.yaml:2:3: storage.backend: unsupported value \"floppy\"; expected one of \"memory\""}},
        Case{"BadDuration", "serving:\n  requestTimeout: soon\n" + configWith(kTesting), {}, kExitConfig,
             {"serving.requestTimeout: expected a duration such as 60s, 5m or 1h, got \"soon\""}},
        Case{"AllErrorsAtOnce", "serving:\n  insecurePort: x\n  workerThreads: y\n" + configWith(kTesting), {},
             kExitConfig, {"serving.insecurePort: expected an integer", "serving.workerThreads: expected an integer"}},
        Case{"MalformedYaml", "serving: [\n", {}, kExitConfig, {"invalid YAML", "apiserver.yaml"}},
        Case{"PluginConfigError", configWith("    - name: testing\n      config:\n        widgets: maybe\n"), {},
             kExitConfig, {"apiserver.yaml:6:9: plugins.enabled[0].config.widgets: expected a boolean (true or false), got \"maybe\""}},
        Case{"PluginConfigUnknownKey", configWith("    - name: testing\n      config:\n        gadgets: true\n"), {},
             kExitConfig, {"plugins.enabled[0].config.gadgets: unknown key; expected one of: widgets"}},
        Case{"UnknownLink", configWith(kTesting, "handlerChain:\n  - panic-recovery\n  - rate-limit\n"), {},
             kExitConfig, {"unknown handler-chain link \"rate-limit\"; available:", "apiserver.yaml:7:5"}},
        Case{"LinkConfigUnknownKey", configWith(kTesting, "handlerChain:\n  - name: request-log\n    config:\n      lvl: info\n"),
             {}, kExitConfig, {"handlerChain[0].config.lvl: unknown key; expected one of: level"}},
        Case{"BadFlagValue", configWith(kTesting), {"--max-requests-inflight", "-1"}, kExitConfig,
             {"--max-requests-inflight: can not be negative value"}},
        Case{"UnknownFlag", configWith(kTesting), {"--no-such-flag"}, kExitConfig, {"no-such-flag", "--help"}},
        Case{"NoPlugins", "plugins:\n  enabled: []\n", {}, kExitConfig, {"plugins.enabled: no plugins are enabled"}}),
    [](const auto& info) { return info.param.name; });

INSTANTIATE_TEST_SUITE_P(
    Plugins, StartupErrorTest,
    ::testing::Values(
        Case{"MissingFile", configWith("    - name: nosuch\n"), {}, kExitPlugin,
             {"plugin \"nosuch\" (", "nosuch.so): file not found"}},
        Case{"NotAPlugin", configWith("    - name: not_a_plugin\n"), {}, kExitPlugin,
             {"not_a_plugin.so): not an apiserver-host plugin: it exports no \"apiserver_plugin\" descriptor"}},
        Case{"VersionMismatch", configWith("    - name: bad_version\n"), {}, kExitPlugin,
             {"bad_version.so): built against plugin-api version ", ", but this host provides plugin-api version "}},
        Case{"SignatureMismatch", configWith("    - name: bad_signature\n"), {}, kExitPlugin,
             {"built with an incompatible toolchain (\"compiler=clang-99;cxx11abi=0;boost=100000\")"}},
        Case{"RegistrationFails", configWith("    - name: fails_registration\n"), {}, kExitPlugin,
             {"plugin \"fails_registration\"", "failed to register", "the widget database is missing"}},
        Case{"RegistrationThrows", configWith("    - name: throws_registration\n"), {}, kExitPlugin,
             {"plugin \"throws_registration\"", "registerWith threw: registration exploded"}},
        Case{"DuplicateLinkName", configWith("    - name: duplicate_link\n"), {}, kExitPlugin,
             {"handler-chain link \"timeout\" is registered by both the host and plugin \"duplicate_link\""}},
        Case{"EnabledTwice", configWith(kTesting + kTesting), {}, kExitConfig, {"plugin \"testing\" is enabled twice"}},
        Case{"WrongNameInFile", configWith("    - name: renamed\n      file: " + (testPluginDir() / "testing.so").string() + "\n"),
             {}, kExitPlugin, {"the library is plugin \"testing\", not \"renamed\""}}),
    [](const auto& info) { return info.param.name; });

TEST(StartupErrors, CorruptLibrary) {
  TempDir dir;
  std::filesystem::create_directory(dir.path() / "plugins");
  std::ofstream(dir.path() / "plugins" / "corrupt.so") << "this is not an ELF file at all";
  auto r = runWithConfig(dir, "plugins:\n  directory: " + (dir.path() / "plugins").string() + "\n  enabled:\n    - corrupt\n");
  EXPECT_EQ(r.exitCode, kExitPlugin) << r.output;
  EXPECT_NE(r.output.find("corrupt.so): cannot be loaded as a shared library:"), std::string::npos) << r.output;
}

TEST(StartupErrors, HelpAndVersion) {
  auto help = runToExit({"--help"});
  EXPECT_EQ(help.exitCode, 0);
  EXPECT_NE(help.output.find("--insecure-port"), std::string::npos);
  EXPECT_NE(help.output.find("--max-requests-inflight"), std::string::npos);
  auto version = runToExit({"--version"});
  EXPECT_EQ(version.exitCode, 0);
  EXPECT_NE(version.output.find("apiserver-host"), std::string::npos);
}

}  // namespace
}  // namespace apiserver::testing
