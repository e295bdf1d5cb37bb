// Extensions and ExtensionRegistrar: duplicates refused naming both owners, and pin() keeping a
// plugin's library loaded until the objects it made are gone.

#include "plugins/extensions.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace apiserver::plugins {
namespace {

class NullLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view m) override { messages.emplace_back(m); }
  bool enabled(LogLevel) const override { return true; }
  std::vector<std::string> messages;
};

class FixedClock final : public WallClock {
 public:
  TimePoint now() const override { return Clock::from_time_t(0); }
};

class NamedAdmission final : public AdmissionStep {
 public:
  explicit NamedAdmission(std::string n) : name_(std::move(n)) {}
  std::string_view name() const override { return name_; }

 private:
  std::string name_;
};

class NoLink final : public LinkFactory {
 public:
  Result<std::shared_ptr<Link>> create(const ConfigSection&) override {
    return std::shared_ptr<Link>();
  }
};

class NoDelegate final : public DelegateServer {
 public:
  Response serve(Request& req, Handler& next) override { return next.serve(req); }
};

class NoController final : public Controller {
 public:
  std::string_view name() const override { return "c"; }
  Result<void> start(Client&) override { return {}; }
};

ResourceSpec widgets(std::string version = "v1") {
  ResourceSpec s;
  s.group = "example.com";
  s.version = std::move(version);
  s.kind = "Widget";
  s.plural = "widgets";
  return s;
}

class ExtensionsTest : public ::testing::Test {
 protected:
  ExtensionRegistrar registrar(std::string owner, std::shared_ptr<const void> library = nullptr) {
    return ExtensionRegistrar(ext_, std::move(owner), std::move(library), logger_, clock_, nullptr);
  }
  Extensions ext_;
  NullLogger logger_;
  std::shared_ptr<const WallClock> clock_ = std::make_shared<FixedClock>();
};

::testing::AssertionResult refusedNaming(const Result<void>& r, int code,
                                         const std::vector<std::string>& parts) {
  if (r)
    return ::testing::AssertionFailure() << "accepted";
  if (r.error().code != code)
    return ::testing::AssertionFailure() << "code " << r.error().code << ": " << r.error().message;
  for (const auto& p : parts)
    if (r.error().message.find(p) == std::string::npos)
      return ::testing::AssertionFailure()
             << "message lacks \"" << p << "\": " << r.error().message;
  return ::testing::AssertionSuccess();
}

TEST_F(ExtensionsTest, ADuplicateResourceIsRefusedNamingBothOwners) {
  auto a = registrar("alpha");
  auto b = registrar("beta");
  ASSERT_TRUE(a.addResource(widgets(), std::make_shared<Strategy>()));
  auto dup = b.addResource(widgets(), std::make_shared<Strategy>());
  EXPECT_TRUE(refusedNaming(
      dup, 409,
      {"resource \"widgets.example.com\" (example.com/v1) is registered by both plugin "
       "\"alpha\" and plugin \"beta\""}));
  EXPECT_TRUE(
      refusedNaming(a.addResource(widgets(), std::make_shared<Strategy>()), 409, {"\"alpha\""}))
      << "also within one plugin";
  EXPECT_TRUE(b.addResource(widgets("v2"), std::make_shared<Strategy>()))
      << "another version is another resource";
  ResourceSpec otherGroup = widgets();
  otherGroup.group = "other.io";
  EXPECT_TRUE(b.addResource(otherGroup, std::make_shared<Strategy>()));
  ASSERT_EQ(ext_.resources.size(), 3u);
  EXPECT_EQ(ext_.resources[0].owner, "alpha");
  EXPECT_EQ(ext_.resources[1].owner, "beta");
}

TEST_F(ExtensionsTest, IncompleteResourcesAreRefused) {
  auto a = registrar("alpha");
  for (auto edit : std::vector<std::function<void(ResourceSpec&)>>{
           [](ResourceSpec& s) { s.version.clear(); }, [](ResourceSpec& s) { s.kind.clear(); },
           [](ResourceSpec& s) { s.plural.clear(); }}) {
    ResourceSpec s = widgets();
    edit(s);
    EXPECT_TRUE(
        refusedNaming(a.addResource(s, std::make_shared<Strategy>()), 422, {"plugin \"alpha\""}));
  }
  EXPECT_TRUE(
      refusedNaming(a.addResource(widgets(), nullptr), 422, {"without a strategy", "\"alpha\""}));
  EXPECT_TRUE(ext_.resources.empty());
}

TEST_F(ExtensionsTest, DuplicateLinksAdmissionStepsAndDelegates) {
  ext_.links.emplace("panic-recovery",
                     Owned<LinkFactory>{std::make_shared<NoLink>(), ""});  // the host's
  auto a = registrar("alpha");
  auto b = registrar("beta");

  ASSERT_TRUE(a.addLink("alpha.audit", std::make_shared<NoLink>()));
  EXPECT_TRUE(refusedNaming(
      b.addLink("alpha.audit", std::make_shared<NoLink>()), 409,
      {"handler-chain link \"alpha.audit\" is registered by both plugin \"alpha\" and plugin "
       "\"beta\""}));
  EXPECT_TRUE(refusedNaming(b.addLink("panic-recovery", std::make_shared<NoLink>()), 409,
                            {"registered by both the host and plugin \"beta\""}));
  EXPECT_TRUE(refusedNaming(b.addLink("", std::make_shared<NoLink>()), 422, {"\"beta\""}));
  EXPECT_TRUE(refusedNaming(b.addLink("x", nullptr), 422, {"\"beta\""}));

  ASSERT_TRUE(a.addAdmission(std::make_shared<NamedAdmission>("quota")));
  EXPECT_TRUE(refusedNaming(
      b.addAdmission(std::make_shared<NamedAdmission>("quota")), 409,
      {"admission step \"quota\" is registered by both plugin \"alpha\" and plugin \"beta\""}));
  EXPECT_TRUE(b.addAdmission(std::make_shared<NamedAdmission>("limits")));
  EXPECT_TRUE(refusedNaming(b.addAdmission(nullptr), 422, {"\"beta\""}));

  ASSERT_TRUE(a.addDelegate("aggregator", std::make_shared<NoDelegate>()));
  EXPECT_TRUE(refusedNaming(
      b.addDelegate("aggregator", std::make_shared<NoDelegate>()), 409,
      {"delegate server \"aggregator\" is registered by both plugin \"alpha\" and plugin "
       "\"beta\""}));
  EXPECT_TRUE(refusedNaming(b.addDelegate("", std::make_shared<NoDelegate>()), 422, {"\"beta\""}));

  EXPECT_TRUE(a.addController(std::make_shared<NoController>()));
  EXPECT_TRUE(refusedNaming(a.addController(nullptr), 422, {"\"alpha\""}));

  EXPECT_EQ(ext_.links.size(), 2u);
  EXPECT_EQ(ext_.links.at("alpha.audit").owner, "alpha");
  ASSERT_EQ(ext_.admission.size(), 2u);
  EXPECT_EQ(ext_.admission[1].owner, "beta");
  ASSERT_EQ(ext_.delegates.size(), 1u);
  EXPECT_EQ(ext_.delegates[0].first, "aggregator");
  EXPECT_EQ(ext_.controllers.size(), 1u);
}

TEST_F(ExtensionsTest, TheRegistrarHandsOutTheHostServices) {
  auto a = registrar("alpha");
  EXPECT_EQ(&a.logger(), &logger_);
  EXPECT_EQ(a.clock(), clock_);
  EXPECT_EQ(a.client(), nullptr);
}

// ---------------------------------------------------------------- pin

// Records the order in which the fake library and plugin objects die.
struct DeathLog {
  std::vector<std::string> order;
};

// Stands for the boost::dll::shared_library handle the loader passes to a registrar.
struct FakeLibrary {
  explicit FakeLibrary(std::shared_ptr<DeathLog> l) : log(std::move(l)) {}
  FakeLibrary(const FakeLibrary&) = delete;
  FakeLibrary& operator=(const FakeLibrary&) = delete;
  ~FakeLibrary() { log->order.push_back("library"); }
  std::shared_ptr<DeathLog> log;
};

class LoggedStrategy final : public Strategy {
 public:
  LoggedStrategy(std::shared_ptr<DeathLog> log, std::string name)
      : log_(std::move(log)), name_(std::move(name)) {}
  ~LoggedStrategy() override { log_->order.push_back(name_); }

 private:
  std::shared_ptr<DeathLog> log_;
  std::string name_;
};

TEST(Pin, TheObjectDiesBeforeTheLibrary) {
  auto log = std::make_shared<DeathLog>();
  std::weak_ptr<const void> libraryAlive;
  {
    std::shared_ptr<const void> library = std::make_shared<FakeLibrary>(log);
    libraryAlive = library;
    std::shared_ptr<Strategy> pinned =
        pin(std::shared_ptr<Strategy>(std::make_shared<LoggedStrategy>(log, "object")), library);
    library.reset();
    EXPECT_FALSE(libraryAlive.expired()) << "the pinned object keeps the library";
    std::shared_ptr<Strategy> copy = pinned;
    pinned.reset();
    EXPECT_FALSE(libraryAlive.expired());
    EXPECT_TRUE(log->order.empty());
  }
  EXPECT_TRUE(libraryAlive.expired());
  EXPECT_EQ(log->order, (std::vector<std::string>{"object", "library"}));
}

TEST(Pin, ThePinnedPointerIsTheObject) {
  auto log = std::make_shared<DeathLog>();
  auto obj = std::make_shared<LoggedStrategy>(log, "object");
  Strategy* raw = obj.get();
  auto pinned = pin(std::shared_ptr<Strategy>(obj), std::make_shared<FakeLibrary>(log));
  EXPECT_EQ(pinned.get(), raw);
  obj.reset();
  pinned.reset();
  EXPECT_EQ(log->order, (std::vector<std::string>{"object", "library"}));
}

TEST(Pin, NullInputsPassThrough) {
  auto obj = std::make_shared<Strategy>();
  EXPECT_EQ(pin(obj, nullptr), obj) << "without a library there is nothing to pin";
  EXPECT_EQ(pin(std::shared_ptr<Strategy>(), std::make_shared<int>(1)), nullptr);
}

TEST(Pin, EverythingARegistrarKeepsPinsTheLibrary) {
  auto log = std::make_shared<DeathLog>();
  std::weak_ptr<const void> libraryAlive;
  {
    Extensions ext;
    NullLogger logger;
    {
      std::shared_ptr<const void> library = std::make_shared<FakeLibrary>(log);
      libraryAlive = library;
      ExtensionRegistrar r(ext, "alpha", library, logger, std::make_shared<FixedClock>(), nullptr);
      ASSERT_TRUE(r.addResource(widgets(), std::make_shared<LoggedStrategy>(log, "strategy")));
      ASSERT_TRUE(r.addLink("alpha.link", std::make_shared<NoLink>()));
      ASSERT_TRUE(r.addAdmission(std::make_shared<NamedAdmission>("step")));
      ASSERT_TRUE(r.addController(std::make_shared<NoController>()));
      ASSERT_TRUE(r.addDelegate("d", std::make_shared<NoDelegate>()));
    }
    EXPECT_FALSE(libraryAlive.expired())
        << "the registrar is gone, the registrations keep the library";
    auto keepStrategy = ext.resources[0].strategy;
    ext.resources.clear();
    ext.links.clear();
    ext.admission.clear();
    ext.controllers.clear();
    ext.delegates.clear();
    EXPECT_FALSE(libraryAlive.expired()) << "a copy of a registered object keeps it too";
    EXPECT_TRUE(log->order.empty());
  }
  EXPECT_TRUE(libraryAlive.expired());
  EXPECT_EQ(log->order, (std::vector<std::string>{"strategy", "library"}));
}

}  // namespace
}  // namespace apiserver::plugins
