// The host with only the "testing" plugin (a Widget resource without rules, and a link that
// misbehaves on request): the generic REST machinery, the built-in links, discovery, and the
// lifecycle, through real HTTP.
#include "host_process.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <thread>

namespace apiserver::testing {
namespace {

namespace json = boost::json;

std::string testingConfig(const std::string& extra = {}) {
  return "plugins:\n  directory: " + testPluginDir().string() +
         "\n  enabled:\n    - testing\n"
         "handlerChain:\n  - panic-recovery\n  - request-info\n  - max-in-flight\n  - timeout\n  - test.misbehave\n" +
         extra + "authorization:\n  modes: [AlwaysAllow]\n";
}

json::object parse(const std::string& s) {
  auto v = json::parse(s);
  return v.as_object();
}

const std::string kWidgets = "/apis/testing.example.com/v1/namespaces/ns1/widgets";

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { host_ = new HostProcess(testingConfig(), {"--request-timeout", "2s"}); }
  static void TearDownTestSuite() {
    delete host_;
    host_ = nullptr;
  }
  HttpClient client() { return HttpClient(host_->port()); }
  static HostProcess* host_;
};
HostProcess* ServerTest::host_ = nullptr;

TEST_F(ServerTest, VersionReportsKubernetes132) {
  auto r = client().get("/version");
  ASSERT_EQ(r.status, 200);
  auto v = parse(r.body);
  EXPECT_EQ(v["major"], "1");
  EXPECT_EQ(v["minor"], "32");
  EXPECT_TRUE(v["gitVersion"].as_string().starts_with("v1.32.0"));
}

TEST_F(ServerTest, HealthEndpoints) {
  auto c = client();
  for (const char* p : {"/healthz", "/livez", "/readyz", "/readyz/ping"}) {
    auto r = c.get(p);
    EXPECT_EQ(r.status, 200) << p;
    EXPECT_EQ(r.body, "ok") << p;
  }
  auto verbose = c.get("/readyz?verbose");
  EXPECT_NE(verbose.body.find("readyz check passed"), std::string::npos) << verbose.body;
}

TEST_F(ServerTest, DiscoveryLegacyAndAggregated) {
  auto c = client();
  auto apis = c.get("/apis");
  ASSERT_EQ(apis.status, 200);
  auto groups = parse(apis.body);
  EXPECT_EQ(groups["kind"], "APIGroupList");
  EXPECT_EQ(groups["groups"].as_array()[0].as_object().at("name"), "testing.example.com");

  auto agg = c.get("/apis", {{"Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"}});
  EXPECT_EQ(agg.header("content-type"), "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
  auto list = parse(agg.body);
  auto res = list["items"].as_array()[0].as_object()["versions"].as_array()[0].as_object()["resources"].as_array()[0].as_object();
  EXPECT_EQ(res["resource"], "widgets");
  EXPECT_EQ(res["scope"], "Namespaced");
  EXPECT_EQ(res["responseKind"].as_object()["kind"], "Widget");

  auto rl = parse(c.get("/apis/testing.example.com/v1").body);
  EXPECT_EQ(rl["kind"], "APIResourceList");
  EXPECT_EQ(rl["resources"].as_array().size(), 2u);  // widgets, widgets/status
  EXPECT_EQ(c.get("/api").status, 200);
  EXPECT_EQ(c.get("/apis/nosuch.example.com/v1").status, 404);
}

TEST_F(ServerTest, OpenApiIndexAndDocument) {
  auto c = client();
  auto index = parse(c.get("/openapi/v3").body);
  auto url = index["paths"].as_object()["apis/testing.example.com/v1"].as_object()["serverRelativeURL"].as_string();
  EXPECT_TRUE(url.starts_with("/openapi/v3/apis/testing.example.com/v1?hash="));
  auto doc = parse(c.get(std::string(url)).body);
  auto patch = doc["paths"].as_object()["/apis/testing.example.com/v1/namespaces/{namespace}/widgets/{name}"]
                   .as_object()["patch"].as_object();
  EXPECT_EQ(patch["x-kubernetes-group-version-kind"].as_object()["kind"], "Widget");
  bool hasFieldValidation = false;
  for (const auto& p : patch["parameters"].as_array()) hasFieldValidation |= p.as_object().at("name") == "fieldValidation";
  EXPECT_TRUE(hasFieldValidation);
}

TEST_F(ServerTest, CreateGetUpdateDelete) {
  auto c = client();
  auto created = c.request("POST", kWidgets, R"({"apiVersion":"testing.example.com/v1","kind":"Widget","metadata":{"name":"w1","labels":{"a":"b"}},"spec":{"size":1}})");
  ASSERT_EQ(created.status, 201) << created.body;
  auto obj = parse(created.body);
  auto meta = obj["metadata"].as_object();
  EXPECT_EQ(meta["namespace"], "ns1");
  EXPECT_FALSE(meta["uid"].as_string().empty());
  EXPECT_FALSE(meta["resourceVersion"].as_string().empty());
  EXPECT_FALSE(meta["creationTimestamp"].as_string().empty());
  EXPECT_EQ(meta["generation"], 1);

  auto got = c.get(kWidgets + "/w1");
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(parse(got.body)["metadata"].as_object()["uid"], meta["uid"]);

  auto dup = c.request("POST", kWidgets, R"({"metadata":{"name":"w1"}})");
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(parse(dup.body)["reason"], "AlreadyExists");
  EXPECT_EQ(parse(dup.body)["message"], "widgets.testing.example.com \"w1\" already exists");

  // Update: the spec changes, generation goes up; a stale resourceVersion is a conflict.
  json::object upd = obj;
  upd["spec"] = json::object{{"size", 2}};
  auto updated = c.request("PUT", kWidgets + "/w1", json::serialize(upd));
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(parse(updated.body)["metadata"].as_object()["generation"], 2);
  auto stale = c.request("PUT", kWidgets + "/w1", json::serialize(upd));
  EXPECT_EQ(stale.status, 409);
  EXPECT_EQ(parse(stale.body)["reason"], "Conflict");

  auto list = parse(c.get(kWidgets).body);
  EXPECT_EQ(list["kind"], "WidgetList");
  EXPECT_EQ(list["items"].as_array().size(), 1u);

  auto del = c.request("DELETE", kWidgets + "/w1");
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(parse(del.body)["status"], "Success");
  auto gone = c.get(kWidgets + "/w1");
  EXPECT_EQ(gone.status, 404);
  auto st = parse(gone.body);
  EXPECT_EQ(st["kind"], "Status");
  EXPECT_EQ(st["reason"], "NotFound");
  EXPECT_EQ(st["message"], "widgets.testing.example.com \"w1\" not found");
}

TEST_F(ServerTest, GenerateNameAndInvalidNames) {
  auto c = client();
  auto r = c.request("POST", kWidgets, R"({"metadata":{"generateName":"gen-"}})");
  ASSERT_EQ(r.status, 201) << r.body;
  auto name = std::string(parse(r.body)["metadata"].as_object()["name"].as_string());
  EXPECT_TRUE(name.starts_with("gen-"));
  EXPECT_EQ(name.size(), 9u);

  auto bad = c.request("POST", kWidgets, R"({"metadata":{"name":"Bad_Name"}})");
  ASSERT_EQ(bad.status, 422);
  auto st = parse(bad.body);
  EXPECT_EQ(st["reason"], "Invalid");
  EXPECT_EQ(st["details"].as_object()["causes"].as_array()[0].as_object()["field"], "metadata.name");
  EXPECT_TRUE(st["message"].as_string().starts_with("Widget.testing.example.com \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\""));

  auto none = c.request("POST", kWidgets, R"({"metadata":{}})");
  EXPECT_EQ(none.status, 422);
  EXPECT_NE(none.body.find("metadata.name: Required value: name or generateName is required"), std::string::npos);
}

TEST_F(ServerTest, BadRequestsAreStatuses) {
  auto c = client();
  auto malformed = c.request("POST", kWidgets, R"({"metadata":)");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(parse(malformed.body)["reason"], "BadRequest");
  auto media = c.request("POST", kWidgets, "x", {{"Content-Type", "text/plain"}});
  EXPECT_EQ(media.status, 415);
  EXPECT_EQ(parse(media.body)["reason"], "UnsupportedMediaType");
  auto notAllowed = c.request("PUT", kWidgets, "{}");
  EXPECT_EQ(notAllowed.status, 405);
  EXPECT_EQ(parse(notAllowed.body)["reason"], "MethodNotAllowed");
  auto unknown = c.get("/no/such/path");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(parse(unknown.body)["message"], "the server could not find the requested resource");
  auto badSelector = c.get(kWidgets + "?labelSelector=a%20b");
  EXPECT_EQ(badSelector.status, 400);
  EXPECT_EQ(parse(badSelector.body)["message"], "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt");
  auto wrongKind = c.request("POST", kWidgets, R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"}})");
  EXPECT_EQ(wrongKind.status, 400);
  // Nothing of the failed writes was stored.
  EXPECT_EQ(c.get(kWidgets + "/x").status, 404);
}

TEST_F(ServerTest, OversizedBodyIs413) {
  std::string big(4 * 1024 * 1024, 'x');
  auto r = client().request("POST", kWidgets, R"({"metadata":{"name":"big"},"data":")" + big + "\"}");
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(parse(r.body)["reason"], "RequestEntityTooLarge");
  EXPECT_EQ(client().get(kWidgets + "/big").status, 404);
}

TEST_F(ServerTest, MalformedHttpGets400AndServerLivesOn) {
  auto out = client().raw("NOT-HTTP\r\n\r\n");
  EXPECT_NE(out.find("400"), std::string::npos) << out;
  EXPECT_EQ(client().get("/healthz").status, 200);
}

TEST_F(ServerTest, ResponseHeadsCarryKeepAliveAsHttpSays) {
  // Two pipelined requests per connection: the first kept open, the second closing it.
  std::string out = client().raw(
      "GET /healthz HTTP/1.1\r\nHost: x\r\nAudit-ID: a-1\r\n\r\n"
      "GET /healthz HTTP/1.1\r\nHost: x\r\nAudit-ID: a-2\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Cache-Control: no-cache, private\r\nAudit-Id: a-1\r\nContent-Length: 2\r\n\r\nok"
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Cache-Control: no-cache, private\r\nAudit-Id: a-2\r\nConnection: close\r\n"
            "Content-Length: 2\r\n\r\nok");
  // HTTP/1.0 keeps a connection only when asked to, and says so.
  out = client().raw(
      "GET /healthz HTTP/1.0\r\nAudit-ID: b-1\r\nConnection: keep-alive\r\n\r\n"
      "GET /healthz HTTP/1.0\r\nAudit-ID: b-2\r\n\r\n");
  EXPECT_EQ(out,
            "HTTP/1.0 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Cache-Control: no-cache, private\r\nAudit-Id: b-1\r\nConnection: keep-alive\r\n"
            "Content-Length: 2\r\n\r\nok"
            "HTTP/1.0 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Cache-Control: no-cache, private\r\nAudit-Id: b-2\r\nContent-Length: 2\r\n\r\nok");
  // A Status answer: its own length, the reason phrase of its code.
  out = client().raw("GET " + kWidgets + "/nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const auto headEnd = out.find("\r\n\r\n");
  ASSERT_NE(headEnd, std::string::npos) << out;
  EXPECT_EQ(out.rfind("HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n", 0), 0U)
      << out;
  const std::string body = out.substr(headEnd + 4);
  EXPECT_NE(out.find("\r\nContent-Length: " + std::to_string(body.size()) + "\r\n"),
            std::string::npos)
      << out;
  EXPECT_EQ(parse(body)["code"], 404);
}

// A LIST of many items is written many buffers per system call, as far as the socket takes
// them; a client reading slowly through a small receive buffer makes the socket fill up again
// and again. It must get every byte, in order, and the connection must serve the next request.
TEST_F(ServerTest, ALongListReadSlowlyArrivesWholeAndTheConnectionGoesOn) {
  const std::string widgets = "/apis/testing.example.com/v1/namespaces/longlist/widgets";
  auto c = client();
  const std::string filler(12000, 'x');  // 6 MB in all: more than a socket buffer takes
  constexpr int kItems = 500;            // a thousand buffers: far more than one write's 64
  for (int i = 0; i < kItems; ++i) {
    const auto name = "w" + std::to_string(1000 + i);
    ASSERT_EQ(c.request("POST", widgets,
                        R"({"metadata":{"name":")" + name + R"("},"spec":{"filler":")" + filler +
                            R"("}})")
                  .status,
              201)
        << name;
  }

  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  const int rcvbuf = 4096;
  ASSERT_EQ(::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf), 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(host_->port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
  const std::string requests = "GET " + widgets + " HTTP/1.1\r\nHost: x\r\n\r\n" +
                               "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(::send(fd, requests.data(), requests.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(requests.size()));
  std::string out;
  char buf[2048];
  for (int reads = 0;; ++reads) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0)
      break;
    out.append(buf, static_cast<std::size_t>(n));
    if (reads % 16 == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));  // a slow reader
  }
  ::close(fd);

  const auto headEnd = out.find("\r\n\r\n");
  ASSERT_NE(headEnd, std::string::npos) << out.substr(0, 300);
  ASSERT_EQ(out.rfind("HTTP/1.1 200 OK\r\n", 0), 0U) << out.substr(0, 300);
  const auto lengthAt = out.find("\r\nContent-Length: ");
  ASSERT_LT(lengthAt, headEnd);
  const std::size_t length = std::stoul(out.substr(lengthAt + 18));
  ASSERT_GE(out.size(), headEnd + 4 + length);
  auto list = parse(out.substr(headEnd + 4, length));
  const auto& items = list["items"].as_array();
  ASSERT_EQ(items.size(), static_cast<std::size_t>(kItems));
  for (int i = 0; i < kItems; ++i) {
    const auto& item = items[static_cast<std::size_t>(i)].as_object();
    EXPECT_EQ(item.at("metadata").at("name").as_string(), "w" + std::to_string(1000 + i));
    EXPECT_EQ(item.at("spec").at("filler").as_string(), filler);
  }
  // The same connection answers the next request.
  const std::string rest = out.substr(headEnd + 4 + length);
  EXPECT_EQ(rest.rfind("HTTP/1.1 200 OK\r\n", 0), 0U) << rest.substr(0, 300);
  EXPECT_TRUE(rest.ends_with("\r\n\r\nok")) << rest;
}

TEST_F(ServerTest, PanicRecoveryAnswers500) {
  auto c = client();
  auto r = c.get("/healthz", {{"X-Test-Throw", "1"}});
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(parse(r.body)["reason"], "InternalError");
  EXPECT_EQ(c.get("/healthz").status, 200);  // and the server lives on
}

TEST_F(ServerTest, TimeoutAnswers504) {
  auto r = client().get(kWidgets, {{"X-Test-Sleep-Ms", "2500"}});
  EXPECT_EQ(r.status, 504);
  auto st = parse(r.body);
  EXPECT_EQ(st["reason"], "Timeout");
  EXPECT_EQ(st["message"], "Timeout: request did not complete within requested timeout - context deadline exceeded");
  // The timeout query parameter shortens it.
  auto q = client().get(kWidgets + "?timeout=1s", {{"X-Test-Sleep-Ms", "1200"}});
  EXPECT_EQ(q.status, 504);
}

TEST_F(ServerTest, WatchStreamsEvents) {
  auto c = client();
  auto listed = parse(c.get(kWidgets).body);
  std::string rv(listed["metadata"].as_object()["resourceVersion"].as_string());
  WatchReader w(host_->port(), kWidgets + "?watch=true&resourceVersion=" + rv);
  ASSERT_EQ(w.status(), 200);
  EXPECT_EQ(w.header("transfer-encoding"), "chunked");
  auto created = c.request("POST", kWidgets, R"({"metadata":{"name":"watched"}})");
  ASSERT_EQ(created.status, 201);
  auto obj = parse(created.body);
  obj["spec"] = json::object{{"x", 1}};
  ASSERT_EQ(c.request("PUT", kWidgets + "/watched", json::serialize(obj)).status, 200);
  ASSERT_EQ(c.request("DELETE", kWidgets + "/watched").status, 200);
  std::vector<std::string> types;
  for (int i = 0; i < 3; ++i) {
    auto line = w.next();
    ASSERT_TRUE(line) << "event " << i;
    auto ev = parse(*line);
    types.emplace_back(ev["type"].as_string());
    EXPECT_EQ(ev["object"].as_object()["metadata"].as_object()["name"], "watched");
  }
  EXPECT_EQ(types, (std::vector<std::string>{"ADDED", "MODIFIED", "DELETED"}));
}

// A watch stream writes at most one batch of events per write: a watch that starts 50 changes
// behind (a replay from the history, or 50 initial events) gets every event, whole and in order.
TEST_F(ServerTest, AWatchManyEventsBehindGetsEveryOneInOrder) {
  auto c = client();
  std::string rv(
      parse(c.get(kWidgets).body)["metadata"].as_object()["resourceVersion"].as_string());
  std::vector<std::string> names;
  for (int i = 0; i < 50; ++i) {
    names.push_back((i < 10 ? "batch-0" : "batch-") + std::to_string(i));
    ASSERT_EQ(
        c.request("POST", kWidgets,
                  R"({"metadata":{"name":")" + names.back() + R"(","labels":{"batch":"yes"}}})")
            .status,
        201);
  }
  for (const std::string& from : {rv, std::string("0")}) {
    WatchReader w(host_->port(),
                  kWidgets + "?watch=true&labelSelector=batch%3Dyes&resourceVersion=" + from);
    ASSERT_EQ(w.status(), 200);
    std::vector<std::string> seen;
    for (std::size_t i = 0; i < names.size(); ++i) {
      auto line = w.next();
      ASSERT_TRUE(line) << "event " << i << " of the watch from " << from;
      auto ev = parse(*line);
      EXPECT_EQ(ev["type"], "ADDED");
      seen.emplace_back(ev["object"].as_object()["metadata"].as_object()["name"].as_string());
    }
    EXPECT_EQ(seen, names) << "the watch from " << from;
  }
  EXPECT_EQ(c.request("DELETE", kWidgets + "?labelSelector=batch%3Dyes").status, 200);
}

// Many watches on the server's I/O threads: each thread writes its woken streams a slice at a
// time, reading new requests between slices, and a stream woken again before its turn writes
// the newer events together. Every watcher still gets every change, once, in order, while the
// writes go on.
TEST_F(ServerTest, ManyWatchersEachGetEveryChangeOnceInOrder) {
  const std::string widgets = "/apis/testing.example.com/v1/namespaces/fanout/widgets";
  auto c = client();
  auto created = c.request("POST", widgets, R"({"metadata":{"name":"shared"},"spec":{"n":0}})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string rv(parse(created.body)["metadata"].as_object()["resourceVersion"].as_string());
  constexpr int kWatchers = 120;  // many slices per thread
  constexpr int kUpdates = 40;
  std::vector<std::unique_ptr<WatchReader>> watchers;
  for (int i = 0; i < kWatchers; ++i) {
    watchers.push_back(std::make_unique<WatchReader>(
        host_->port(), widgets + "?watch=true&resourceVersion=" + rv));
    ASSERT_EQ(watchers.back()->status(), 200) << i;
  }
  for (int n = 1; n <= kUpdates; ++n) {
    auto r = c.request("PATCH", widgets + "/shared", R"({"spec":{"n":)" + std::to_string(n) + "}}",
                       {{"Content-Type", "application/merge-patch+json"}});
    ASSERT_EQ(r.status, 200) << r.body;
  }
  for (int i = 0; i < kWatchers; ++i) {
    for (int n = 1; n <= kUpdates; ++n) {
      auto line = watchers[static_cast<std::size_t>(i)]->next();
      ASSERT_TRUE(line) << "watcher " << i << ", update " << n;
      auto ev = parse(*line);
      ASSERT_EQ(ev["type"], "MODIFIED") << *line;
      ASSERT_EQ(ev["object"].as_object()["spec"].as_object()["n"], n)
          << "watcher " << i << ": " << *line;
    }
  }
  ASSERT_EQ(c.request("DELETE", widgets + "/shared").status, 200);
  for (auto& w : watchers) {
    auto line = w->next();
    ASSERT_TRUE(line);
    EXPECT_EQ(parse(*line)["type"], "DELETED");
  }
}

// A watcher that stops reading while big changes go on makes its socket full: the write the
// fan-out made for it (staged with its slice's on the thread's send ring, or a sendmsg of its
// own) is taken in part, or not at all, and the rest waits for the socket. A watcher beside it
// that reads is not held up, and the slow one, once it reads, gets every change whole, once and
// in order.
void slowWatcherGetsEveryChangeWhole(std::uint16_t port, const std::string& ns) {
  const std::string widgets = "/apis/testing.example.com/v1/namespaces/" + ns + "/widgets";
  HttpClient c(port);
  auto created = c.request("POST", widgets, R"({"metadata":{"name":"big"},"spec":{"n":0}})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string rv(parse(created.body)["metadata"].as_object()["resourceVersion"].as_string());
  WatchReader slow(port, widgets + "?watch=true&resourceVersion=" + rv, {}, 4096);
  WatchReader reading(port, widgets + "?watch=true&resourceVersion=" + rv);
  ASSERT_EQ(slow.status(), 200);
  ASSERT_EQ(reading.status(), 200);
  // 30 changes of 240 KB: 7 MB, more than a loopback socket's buffers hold.
  constexpr int kUpdates = 30;
  auto filler = [](int n) { return std::string(240000, static_cast<char>('a' + n % 26)); };
  for (int n = 1; n <= kUpdates; ++n) {
    auto r =
        c.request("PATCH", widgets + "/big",
                  R"({"spec":{"n":)" + std::to_string(n) + R"(,"filler":")" + filler(n) + "\"}}",
                  {{"Content-Type", "application/merge-patch+json"}});
    ASSERT_EQ(r.status, 200) << n;
    auto line = reading.next();
    ASSERT_TRUE(line) << "the reading watcher, update " << n;
    EXPECT_EQ(parse(*line)["object"].as_object()["spec"].as_object()["n"], n);
  }
  for (int n = 1; n <= kUpdates; ++n) {
    auto line = slow.next();
    ASSERT_TRUE(line) << "the slow watcher, update " << n;
    auto ev = parse(*line);
    ASSERT_EQ(ev["type"], "MODIFIED");
    const auto& spec = ev["object"].as_object()["spec"].as_object();
    ASSERT_EQ(spec.at("n"), n);
    ASSERT_EQ(spec.at("filler").as_string(), filler(n)) << "update " << n;
  }
  EXPECT_EQ(c.request("DELETE", widgets + "/big").status, 200);
  auto last = slow.next();
  ASSERT_TRUE(last);
  EXPECT_EQ(parse(*last)["type"], "DELETED");
}

TEST_F(ServerTest, ASlowWatcherGetsEveryChangeWholeAndHoldsNobodyUp) {
  slowWatcherGetsEveryChangeWhole(host_->port(), "slowwatch");
}

TEST(ServerLifecycle, WithoutTheSendRingASlowWatcherGetsEveryChangeWhole) {
  HostProcess host(testingConfig(), {"--io-uring=false"});
  slowWatcherGetsEveryChangeWhole(host.port(), "slowwatch");
}

TEST_F(ServerTest, WatchFromZeroStartsWithAddedAndHonoursTimeout) {
  auto c = client();
  ASSERT_EQ(c.request("POST", kWidgets, R"({"metadata":{"name":"existing"}})").status, 201);
  WatchReader w(host_->port(), kWidgets + "?watch=true&resourceVersion=0&timeoutSeconds=1&fieldSelector=metadata.name%3Dexisting");
  auto first = w.next();
  ASSERT_TRUE(first);
  EXPECT_EQ(parse(*first)["type"], "ADDED");
  EXPECT_FALSE(w.next(std::chrono::milliseconds(3000)));
  EXPECT_TRUE(w.ended());
  ASSERT_EQ(c.request("DELETE", kWidgets + "/existing").status, 200);
}

TEST_F(ServerTest, WatchOfFutureRevisionTimesOut) {
  // kube's cacher waits up to 3 s for a revision it has not seen, then answers 504.
  WatchReader future(host_->port(), kWidgets + "?watch=true&resourceVersion=999999999");
  EXPECT_EQ(future.status(), 504);
}

// eventually polls `cond` for up to 10 s.
template <class Cond>
bool eventually(Cond cond) {
  for (int i = 0; i < 200; ++i) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::string dependent(const std::string& name, const std::string& ownerUid) {
  return R"({"metadata":{"name":")" + name + R"(","ownerReferences":[{"apiVersion":"testing.example.com/v1",)"
         R"("kind":"Widget","name":"owner","uid":")" + ownerUid + R"(","blockOwnerDeletion":true}]}})";
}

TEST_F(ServerTest, GarbageCollectorFollowsThePropagationPolicy) {
  auto c = client();
  for (const char* policy : {"Background", "Orphan", "Foreground"}) {
    SCOPED_TRACE(policy);
    auto owner = c.request("POST", kWidgets, R"({"metadata":{"name":"owner"}})");
    ASSERT_EQ(owner.status, 201) << owner.body;
    std::string uid(parse(owner.body)["metadata"].as_object()["uid"].as_string());
    ASSERT_EQ(c.request("POST", kWidgets, dependent("dep", uid)).status, 201);
    auto del = c.request("DELETE", kWidgets + "/owner", std::string(R"({"propagationPolicy":")") + policy + R"("})");
    ASSERT_EQ(del.status, 200) << del.body;
    ASSERT_TRUE(eventually([&] { return c.get(kWidgets + "/owner").status == 404; }));
    if (std::string(policy) == "Orphan") {
      // The dependent stays, without the reference to its owner.
      ASSERT_TRUE(eventually([&] {
        auto d = c.get(kWidgets + "/dep");
        return d.status == 200 && !parse(d.body)["metadata"].as_object().contains("ownerReferences");
      }));
      ASSERT_EQ(c.request("DELETE", kWidgets + "/dep").status, 200);
    } else {
      EXPECT_TRUE(eventually([&] { return c.get(kWidgets + "/dep").status == 404; }));
    }
  }
}

TEST_F(ServerTest, FinalizersHoldAnObjectUntilRemoved) {
  auto c = client();
  auto created = c.request("POST", kWidgets, R"({"metadata":{"name":"held","finalizers":["example.com/hold"]}})");
  ASSERT_EQ(created.status, 201) << created.body;
  auto del = c.request("DELETE", kWidgets + "/held");
  ASSERT_EQ(del.status, 200);
  auto held = c.get(kWidgets + "/held");
  ASSERT_EQ(held.status, 200);
  EXPECT_TRUE(parse(held.body)["metadata"].as_object().contains("deletionTimestamp"));
  // No new finalizers while being deleted.
  auto more = c.request("PATCH", kWidgets + "/held", R"({"metadata":{"finalizers":["example.com/hold","x.io/y"]}})",
                        {{"Content-Type", "application/merge-patch+json"}});
  EXPECT_EQ(more.status, 422) << more.body;
  auto release = c.request("PATCH", kWidgets + "/held", R"({"metadata":{"finalizers":null}})",
                           {{"Content-Type", "application/merge-patch+json"}});
  EXPECT_EQ(release.status, 200) << release.body;
  EXPECT_EQ(c.get(kWidgets + "/held").status, 404);
}

TEST(ServerLimits, MaxInFlightAnswers429) {
  HostProcess host(testingConfig(), {"--max-requests-inflight", "1"});
  auto slow = std::async(std::launch::async, [&] { return HttpClient(host.port()).get("/healthz", {{"X-Test-Sleep-Ms", "1500"}}); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto rejected = HttpClient(host.port()).get("/healthz");
  EXPECT_EQ(rejected.status, 429);
  EXPECT_EQ(rejected.header("retry-after"), "1");
  EXPECT_EQ(parse(rejected.body)["reason"], "TooManyRequests");
  EXPECT_EQ(slow.get().status, 200);
}

TEST(ServerLifecycle, SigtermEndsWatchesAndExitsCleanly) {
  HostProcess host(testingConfig());
  WatchReader w(host.port(), kWidgets + "?watch=true");
  ASSERT_EQ(w.status(), 200);
  EXPECT_EQ(host.stop(), 0);
  EXPECT_FALSE(w.next(std::chrono::milliseconds(2000)));
  EXPECT_TRUE(w.ended());
}

}  // namespace
}  // namespace apiserver::testing
