// The "testing" plugin: a resource with no rules (widgets.testing.example.com) and links that
// misbehave on request, so that integration tests can drive the host's panic recovery, timeout
// and max-in-flight handling, plus a test-only authentication link (test.authn).
#include <apiserver/plugin.h>

#include <chrono>
#include <stdexcept>
#include <thread>

namespace {

using namespace apiserver;

// test.misbehave: X-Test-Throw makes it throw; X-Test-Sleep-Ms makes it sleep before `next`.
class Misbehave final : public Link {
 public:
  Response handle(Request& req, Handler& next) override {
    if (req.header("X-Test-Throw")) throw std::runtime_error("test.misbehave was asked to throw");
    if (auto ms = req.header("X-Test-Sleep-Ms")) {
      auto n = ConfigReader::parseInteger(*ms);
      if (n && *n > 0) std::this_thread::sleep_for(std::chrono::milliseconds(*n));
    }
    return next.serve(req);
  }
};

class MisbehaveFactory final : public LinkFactory {
 public:
  Result<std::shared_ptr<Link>> create(const ConfigSection& config) override {
    ConfigReader r(config);
    if (auto done = r.finish(); !done) return fail(std::move(done).error());
    return std::shared_ptr<Link>(std::make_shared<Misbehave>());
  }
};

// test.authn — TEST ONLY, never in a real configuration: believes X-Test-User (and the
// comma-separated X-Test-Group) and makes that the request's user, so that integration tests can
// drive authorization without TLS. A request without X-Test-User keeps the user it has.
class TestAuthn final : public Link {
 public:
  Response handle(Request& req, Handler& next) override {
    if (auto name = req.header("X-Test-User")) {
      req.user = UserInfo{};
      req.user.name = std::string(*name);
      if (auto groups = req.header("X-Test-Group")) {
        std::string_view rest = *groups;
        while (!rest.empty()) {
          auto comma = rest.find(',');
          if (comma != 0) req.user.groups.emplace_back(rest.substr(0, comma));
          if (comma == std::string_view::npos) break;
          rest.remove_prefix(comma + 1);
        }
      }
    }
    return next.serve(req);
  }
};

class TestAuthnFactory final : public LinkFactory {
 public:
  Result<std::shared_ptr<Link>> create(const ConfigSection& config) override {
    ConfigReader r(config);
    if (auto done = r.finish(); !done) return fail(std::move(done).error());
    return std::shared_ptr<Link>(std::make_shared<TestAuthn>());
  }
};

class Widgets final : public Strategy {};

class TestingPlugin final : public Plugin {
 public:
  Result<void> registerWith(Registrar& registrar, const ConfigSection& config) override {
    ConfigReader r(config);
    const bool widgets = r.boolean("widgets").value_or(true);
    if (auto done = r.finish(); !done) return done;
    if (auto x = registrar.addLink("test.misbehave", std::make_shared<MisbehaveFactory>()); !x) return x;
    if (auto x = registrar.addLink("test.authn", std::make_shared<TestAuthnFactory>()); !x) return x;
    if (!widgets) return {};
    ResourceSpec spec;
    spec.group = "testing.example.com";
    spec.version = "v1";
    spec.kind = "Widget";
    spec.plural = "widgets";
    spec.shortNames = {"wd"};
    spec.subresources = {"status"};
    spec.tracksGeneration = true;
    return registrar.addResource(std::move(spec), std::make_shared<Widgets>());
  }
};

}  // namespace

APISERVER_PLUGIN(TestingPlugin, "testing")
