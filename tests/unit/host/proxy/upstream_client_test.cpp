// HostUpstreamClient against scripted backends: buffered and streamed answers, header
// handling both ways, keep-alive reuse, backends that are down, hang or close, TLS (CA bundle,
// hostname, insecure, client certificates), and shutdown.
#include "proxy/headers.h"
#include "proxy/upstream_client.h"

#include "test_backend.h"
#include "test_pki.h"

#include <boost/asio/executor_work_guard.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <map>

namespace apiserver::proxy {
namespace {

using apiserver::testing::chunk;
using apiserver::testing::okResponse;
using apiserver::testing::TestBackend;
using apiserver::testing::TestPki;
using namespace std::chrono_literals;
namespace ssl = boost::asio::ssl;

class NullLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view) override {}
  bool enabled(LogLevel) const override { return false; }
};

/// FakeHeaders are the client's request fields.
class FakeHeaders final : public Headers {
 public:
  explicit FakeHeaders(std::vector<std::pair<std::string, std::string>> fields) : fields_(std::move(fields)) {}
  std::optional<std::string_view> get(std::string_view name) const override {
    for (const auto& [k, v] : fields_)
      if (matchesName(k, name)) return std::string_view(v);
    return std::nullopt;
  }
  void forEach(const std::function<void(std::string_view, std::string_view)>& fn) const override {
    for (const auto& [k, v] : fields_) fn(k, v);
  }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

std::string header(const Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (matchesName(k, name)) return v;
  return {};
}

std::string bodyOf(const Response& r) {
  std::string s;
  for (const auto& b : r.body) s += *b;
  return s;
}

/// StreamReader pulls a BodyStream as the HTTP session would. The stream's wake-ups may come
/// after the reader is gone (a cancelled stream closing its connection on an I/O thread): they
/// reach a state the stream keeps alive, never the reader.
class StreamReader {
 public:
  explicit StreamReader(std::shared_ptr<BodyStream> s) : stream_(std::move(s)) {
    stream_->start([wake = wake_] {
      std::lock_guard lock(wake->mu);
      wake->woken = true;
      wake->cv.notify_all();
    });
  }
  /// readUntil polls until `pred(data)` holds or the stream ends or `timeout` passes.
  bool readUntil(const std::function<bool(const std::string&)>& pred, std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!pred(data_)) {
      if (ended_) return false;
      {
        std::unique_lock lock(wake_->mu);
        if (!wake_->cv.wait_until(lock, until, [&] { return wake_->woken; }))
          return pred(data_);
        wake_->woken = false;
      }
      std::vector<SharedBytes> out;
      ended_ = !stream_->poll(out);
      for (const auto& b : out) data_ += *b;
    }
    return true;
  }
  bool readToEnd(std::chrono::milliseconds timeout) {
    readUntil([](const std::string&) { return false; }, timeout);
    return ended_;
  }
  const std::string& data() const { return data_; }
  bool ended() const { return ended_; }

 private:
  struct Wake {
    std::mutex mu;
    std::condition_variable cv;
    bool woken = false;
  };
  std::shared_ptr<Wake> wake_ = std::make_shared<Wake>();
  std::shared_ptr<BodyStream> stream_;
  bool ended_ = false;
  std::string data_;
};

class UpstreamClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { ioc_.run(); });
  }
  void TearDown() override {
    client_.shutdown();
    guard_.reset();
    ioc_.stop();
    for (auto& t : threads_) t.join();
  }

  UpstreamTarget target(std::uint16_t port, std::string scheme = "http") {
    UpstreamTarget t;
    t.scheme = std::move(scheme);
    t.host = "127.0.0.1";
    t.port = port;
    return t;
  }
  Request get(std::string path, std::vector<std::pair<std::string, std::string>> fields = {}) {
    headers_ = std::make_unique<FakeHeaders>(std::move(fields));
    Request r;
    r.method = "GET";
    r.target = std::move(path);
    r.path = r.target.substr(0, r.target.find('?'));
    r.headers = headers_.get();
    return r;
  }
  Result<Response> call(const Request& req, const UpstreamTarget& t, ForwardOptions o = {}) {
    auto promise = std::make_shared<std::promise<Result<Response>>>();
    auto f = promise->get_future();
    client_.forward(req, t, o, [promise](Result<Response> r) { promise->set_value(std::move(r)); });
    if (f.wait_for(20s) != std::future_status::ready) {
      ADD_FAILURE() << "no answer within 20 s";
      return ApiError::internal("hung");
    }
    return f.get();
  }

  NullLogger log_;
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_ = boost::asio::make_work_guard(ioc_);
  std::vector<std::thread> threads_;
  HostUpstreamClient client_{ioc_, log_};
  std::unique_ptr<FakeHeaders> headers_;
};

TEST_F(UpstreamClientTest, BufferedAnswerKeepsEndToEndHeadersAndDropsHopByHop) {
  TestBackend backend([](const auto&, const auto& write) {
    write(okResponse(R"({"kind":"Thing"})", "application/json",
                     "X-Backend: yes\r\nConnection: keep-alive, X-Hop\r\nX-Hop: secret\r\nKeep-Alive: timeout=5\r\n"
                     "Warning: 299 - \"careful\"\r\n"));
    return true;
  });
  auto r = call(get("/apis/g/v/things"), target(backend.port()));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->contentType, "application/json");
  EXPECT_EQ(bodyOf(*r), R"({"kind":"Thing"})");
  EXPECT_FALSE(r->stream);
  EXPECT_EQ(header(*r, "X-Backend"), "yes");
  EXPECT_EQ(header(*r, "Warning"), "299 - \"careful\"");
  EXPECT_EQ(header(*r, "X-Hop"), "");
  EXPECT_EQ(header(*r, "Keep-Alive"), "");
  EXPECT_EQ(header(*r, "Connection"), "");
  EXPECT_EQ(header(*r, "Content-Length"), "");
}

TEST_F(UpstreamClientTest, RequestHeadersAreFilteredAndIdentitySet) {
  TestBackend backend([](const auto&, const auto& write) {
    write(okResponse("{}"));
    return true;
  });
  Request req = get("/apis/g/v/things?limit=5",
                    {{"Accept", "application/json"},
                     {"X-Remote-User", "mallory"},
                     {"X-Remote-Extra-Scopes", "all"},
                     {"Authorization", "Bearer secret"},
                     {"Connection", "X-Private"},
                     {"X-Private", "do-not-forward"},
                     {"TE", "trailers"},
                     {"X-Forwarded-For", "10.0.0.1"},
                     {"User-Agent", "kubectl/v1.32.4"}});
  req.method = "POST";
  req.body = R"({"a":1})";
  ForwardOptions o;
  o.setHeaders = {{"X-Remote-User", "alice"}, {"X-Remote-Group", "devs"}, {"X-Remote-Group", "system:authenticated"}};
  o.removeHeaders = {"X-Remote-Extra-*", "Authorization"};
  o.forwardedFor = "127.0.0.1";
  auto r = call(req, target(backend.port()), o);
  ASSERT_TRUE(r) << r.error().message;
  auto seen = backend.requests();
  ASSERT_EQ(seen.size(), 1u);
  const auto& h = seen[0];
  EXPECT_EQ(std::string(h.method_string()), "POST");
  EXPECT_EQ(std::string(h.target()), "/apis/g/v/things?limit=5");
  EXPECT_EQ(h.body(), R"({"a":1})");
  EXPECT_EQ(std::string(h["Host"]), "127.0.0.1:" + std::to_string(backend.port()));
  EXPECT_EQ(std::string(h["Accept"]), "application/json");
  EXPECT_EQ(std::string(h["User-Agent"]), "kubectl/v1.32.4");
  EXPECT_EQ(std::string(h["X-Remote-User"]), "alice");
  std::vector<std::string> groups;
  for (const auto& f : h)
    if (f.name_string() == "X-Remote-Group") groups.emplace_back(f.value());
  EXPECT_EQ(groups, (std::vector<std::string>{"devs", "system:authenticated"}));
  EXPECT_EQ(h.count("X-Remote-Extra-Scopes"), 0u);
  EXPECT_EQ(h.count("Authorization"), 0u);
  EXPECT_EQ(h.count("X-Private"), 0u);
  EXPECT_EQ(h.count("TE"), 0u);
  EXPECT_EQ(std::string(h["X-Forwarded-For"]), "10.0.0.1, 127.0.0.1");
  EXPECT_EQ(std::string(h["Content-Length"]), "7");
}

TEST_F(UpstreamClientTest, KeepAliveConnectionsAreReused) {
  TestBackend backend([](const auto&, const auto& write) {
    write(okResponse("{}"));
    return true;
  });
  for (int i = 0; i < 5; ++i) {
    auto r = call(get("/x"), target(backend.port()));
    ASSERT_TRUE(r) << r.error().message;
  }
  EXPECT_EQ(backend.connections(), 1);
  auto s = client_.stats();
  EXPECT_EQ(s.connectionsOpened, 1u);
  EXPECT_EQ(s.connectionsReused, 4u);
  EXPECT_EQ(s.idleConnections, 1u);
}

TEST(UpstreamClientContexts, AnExchangeRunsOnTheCallersContextOnAConnectionPooledForIt) {
  // Two single-threaded contexts, as the server's I/O threads; the client is told which one the
  // caller runs on.
  boost::asio::io_context a(1), b(1);
  auto ga = boost::asio::make_work_guard(a);
  auto gb = boost::asio::make_work_guard(b);
  std::thread ta([&] { a.run(); }), tb([&] { b.run(); });
  boost::asio::io_context* caller = &a;
  NullLogger log;
  HostUpstreamClient client([&]() -> boost::asio::io_context& { return *caller; }, log);
  TestBackend backend([](const auto&, const auto& write) {
    write(okResponse("{}"));
    return true;
  });
  UpstreamTarget t;
  t.scheme = "http";
  t.host = "127.0.0.1";
  t.port = backend.port();
  FakeHeaders none({});
  Request req;
  req.method = "GET";
  req.target = req.path = "/x";
  req.headers = &none;
  // ranOn forwards one request and tells which context answered it.
  auto ranOn = [&](boost::asio::io_context* ctx) {
    caller = ctx;
    std::promise<std::string> p;
    client.forward(req, t, {}, [&](Result<Response> r) {
      p.set_value(!r                                          ? r.error().message
                  : a.get_executor().running_in_this_thread() ? "a"
                  : b.get_executor().running_in_this_thread() ? "b"
                                                              : "elsewhere");
    });
    return p.get_future().get();
  };
  EXPECT_EQ(ranOn(&a), "a");
  EXPECT_EQ(ranOn(&b), "b");  // a's idle connection is not b's: a second one
  EXPECT_EQ(ranOn(&a), "a");
  EXPECT_EQ(ranOn(&b), "b");
  auto s = client.stats();
  EXPECT_EQ(s.connectionsOpened, 2u);
  EXPECT_EQ(s.connectionsReused, 2u);
  EXPECT_EQ(backend.connections(), 2);
  client.shutdown();
  ga.reset();
  gb.reset();
  a.stop();
  b.stop();
  ta.join();
  tb.join();
}

TEST_F(UpstreamClientTest, ABodyLargerThanTheSocketBufferIsSentWholeOnAPooledConnection) {
  // The request is written at once as far as the socket takes it, and the rest asynchronously.
  TestBackend backend([](const auto& req, const auto& write) {
    write(okResponse(std::to_string(req.body().size())));
    // Not reading for a while after the first answer: the next request fills the buffers.
    if (req.target() == "/x") std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return true;
  });
  ASSERT_TRUE(call(get("/x"), target(backend.port())));
  Request big = get("/big");
  big.method = "PUT";
  big.body.assign(std::size_t{32} << 20, 'x');
  auto r = call(big, target(backend.port()));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->body.size(), 1u);
  EXPECT_EQ(*r->body[0], std::to_string(std::size_t{32} << 20));
  EXPECT_EQ(client_.stats().connectionsReused, 1u);
}

TEST_F(UpstreamClientTest, AConnectionTheBackendClosedIsNotReused) {
  TestBackend backend([](const auto&, const auto& write) {
    write(okResponse("{}"));
    return true;
  });
  ASSERT_TRUE(call(get("/x"), target(backend.port())));
  backend.closeConnections();
  std::this_thread::sleep_for(50ms);
  auto r = call(get("/x"), target(backend.port()));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(backend.connections(), 2);
}

TEST_F(UpstreamClientTest, ConnectionCloseAnswersAreNotPooled) {
  TestBackend backend([](const auto&, const auto& write) {
    write(okResponse("{}", "application/json", "Connection: close\r\n"));
    return false;
  });
  ASSERT_TRUE(call(get("/x"), target(backend.port())));
  ASSERT_TRUE(call(get("/x"), target(backend.port())));
  EXPECT_EQ(backend.connections(), 2);
  EXPECT_EQ(client_.stats().idleConnections, 0u);
}

TEST_F(UpstreamClientTest, AWatchIsRelayedEventByEvent) {
  std::promise<void> second;
  auto secondSent = second.get_future().share();
  TestBackend backend([secondSent](const auto&, const auto& write) {
    write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
    write(chunk("{\"type\":\"ADDED\"}\n"));
    secondSent.wait();
    write(chunk("{\"type\":\"MODIFIED\"}\n"));
    write("0\r\n\r\n");
    return true;
  });
  ForwardOptions o;
  o.longRunning = true;
  auto r = call(get("/apis/g/v/things?watch=true"), target(backend.port()), o);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(r->stream);
  EXPECT_EQ(r->status, 200);
  StreamReader reader(r->stream);
  // The first event arrives while the backend still holds the second.
  EXPECT_TRUE(reader.readUntil([](const std::string& d) { return d.find("ADDED") != std::string::npos; }, 5s));
  EXPECT_EQ(reader.data().find("MODIFIED"), std::string::npos);
  second.set_value();
  EXPECT_TRUE(reader.readToEnd(5s));
  EXPECT_EQ(reader.data(), "{\"type\":\"ADDED\"}\n{\"type\":\"MODIFIED\"}\n");
}

TEST_F(UpstreamClientTest, ACancelledStreamClosesTheBackendConnection) {
  TestBackend backend([](const auto&, const auto& write) {
    write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
    write(chunk("{\"type\":\"ADDED\"}\n"));
    return true;  // then wait for the next request, i.e. for the connection to close
  });
  ForwardOptions o;
  o.longRunning = true;
  auto r = call(get("/w?watch=1"), target(backend.port()), o);
  ASSERT_TRUE(r && r->stream);
  StreamReader reader(r->stream);
  EXPECT_TRUE(reader.readUntil([](const std::string& d) { return !d.empty(); }, 5s));
  r->stream->cancel();
  // The backend's next read ends: its connection was closed, and nothing was pooled.
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (client_.stats().idleConnections != 0 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(client_.stats().idleConnections, 0u);
}

TEST_F(UpstreamClientTest, ChunkedAnswersOfOrdinaryRequestsAreBuffered) {
  TestBackend backend([](const auto&, const auto& write) {
    write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
    write(chunk("{\"items\":"));
    write(chunk("[]}"));
    write("0\r\n\r\n");
    return true;
  });
  auto r = call(get("/list"), target(backend.port()));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->stream);
  EXPECT_EQ(bodyOf(*r), "{\"items\":[]}");
  EXPECT_EQ(client_.stats().idleConnections, 1u);
}

TEST_F(UpstreamClientTest, BodiesAboveTheLimitAreStreamed) {
  const std::string big(300 * 1024, 'x');
  TestBackend backend([&big](const auto&, const auto& write) {
    write(okResponse(big, "text/plain"));
    return true;
  });
  ForwardOptions o;
  o.maxBufferedBodyBytes = 64 * 1024;
  auto r = call(get("/big"), target(backend.port()), o);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(r->stream);
  StreamReader reader(r->stream);
  EXPECT_TRUE(reader.readToEnd(5s));
  EXPECT_EQ(reader.data().size(), big.size());
}

TEST_F(UpstreamClientTest, ABackendThatIsDownIs503AtOnce) {
  std::uint16_t port;
  {
    TestBackend gone([](const auto&, const auto&) { return false; });
    port = gone.port();
  }
  const auto start = std::chrono::steady_clock::now();
  auto r = call(get("/x"), target(port));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 503);
  EXPECT_EQ(r.error().message, "dial tcp 127.0.0.1:" + std::to_string(port) + ": connect: connection refused");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST_F(UpstreamClientTest, ABackendThatNeverAnswersTimesOut) {
  std::promise<void> release;
  auto released = release.get_future().share();
  TestBackend backend([released](const auto&, const auto&) {
    released.wait_for(10s);
    return false;
  });
  ForwardOptions o;
  o.headerTimeout = 300ms;
  const auto start = std::chrono::steady_clock::now();
  auto r = call(get("/x"), target(backend.port()), o);
  release.set_value();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 503);
  EXPECT_EQ(r.error().message, "net/http: timeout awaiting response headers");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST_F(UpstreamClientTest, APassedDeadlineIs504) {
  std::promise<void> release;
  auto released = release.get_future().share();
  TestBackend backend([released](const auto&, const auto&) {
    released.wait_for(10s);
    return false;
  });
  ForwardOptions o;
  o.deadline = std::chrono::steady_clock::now() + 300ms;
  auto r = call(get("/x"), target(backend.port()), o);
  release.set_value();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 504);
}

TEST_F(UpstreamClientTest, UnknownSchemeIsRefused) {
  auto r = call(get("/x"), target(1, "ftp"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 503);
  EXPECT_EQ(r.error().message, "unsupported protocol scheme \"ftp\"");
}

TEST_F(UpstreamClientTest, AFieldValueThatWouldSplitTheHeaderIsRefused) {
  TestBackend backend([](const auto&, const auto& write) {
    write(okResponse("{}"));
    return true;
  });
  ForwardOptions o;
  o.setHeaders = {{"X-Remote-User", "alice\r\nX-Remote-Group: system:masters"}};
  auto r = call(get("/x"), target(backend.port()), o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 503);
  EXPECT_EQ(r.error().message, "net/http: invalid header field value for \"X-Remote-User\"");
  EXPECT_EQ(backend.connections(), 0);
}

TEST_F(UpstreamClientTest, ShutdownEndsWaitingExchangesAndRefusesNewOnes) {
  std::promise<void> release;
  auto released = release.get_future().share();
  TestBackend backend([released](const auto&, const auto&) {
    released.wait_for(10s);
    return false;
  });
  auto promise = std::make_shared<std::promise<Result<Response>>>();
  auto f = promise->get_future();
  client_.forward(get("/x"), target(backend.port()), {}, [promise](Result<Response> r) { promise->set_value(std::move(r)); });
  std::this_thread::sleep_for(200ms);
  client_.shutdown();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  auto r = f.get();
  release.set_value();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 503);
  auto later = call(get("/x"), target(backend.port()));
  ASSERT_FALSE(later);
  EXPECT_EQ(later.error().message, "the upstream client is shutting down");
}

// ---- TLS

std::shared_ptr<ssl::context> serverContext(const TestPki::CertAndKey& cert, const std::string& clientCa = {}) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->use_certificate_chain(boost::asio::buffer(cert.certPem));
  ctx->use_private_key(boost::asio::buffer(cert.keyPem), ssl::context::pem);
  if (!clientCa.empty()) {
    ctx->add_certificate_authority(boost::asio::buffer(clientCa));
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  return ctx;
}

class UpstreamTlsTest : public UpstreamClientTest {
 protected:
  TestPki pki_;
  TestPki otherPki_{"other-ca"};
  TestPki::CertAndKey serving_ = pki_.issue("backend", {"DNS:backend.default.svc", "IP:127.0.0.1"});
};

TEST_F(UpstreamTlsTest, VerifiedAgainstTheCaBundleAndTheServiceName) {
  TestBackend backend(
      [](const auto&, const auto& write) {
        write(okResponse("{}"));
        return true;
      },
      serverContext(serving_));
  auto t = target(backend.port(), "https");
  t.caBundlePem = pki_.caPem();
  t.serverName = "backend.default.svc";
  auto r = call(get("/x"), t);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  // The IP SAN serves when no name is given.
  t.serverName.clear();
  r = call(get("/x"), t);
  ASSERT_TRUE(r) << r.error().message;
}

TEST_F(UpstreamTlsTest, AnUnknownAuthorityOrNameIsRefused) {
  TestBackend backend(
      [](const auto&, const auto& write) {
        write(okResponse("{}"));
        return true;
      },
      serverContext(serving_));
  auto t = target(backend.port(), "https");
  t.caBundlePem = otherPki_.caPem();
  auto r = call(get("/x"), t);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 503);
  EXPECT_NE(r.error().message.find("tls: failed to verify certificate"), std::string::npos) << r.error().message;

  t.caBundlePem = pki_.caPem();
  t.serverName = "someone-else.default.svc";
  r = call(get("/x"), t);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("tls: failed to verify certificate"), std::string::npos) << r.error().message;

  t.insecureSkipTlsVerify = true;
  t.caBundlePem.clear();
  r = call(get("/x"), t);
  ASSERT_TRUE(r) << r.error().message;
}

TEST_F(UpstreamTlsTest, AMalformedCaBundleIsReported) {
  auto t = target(1, "https");
  t.caBundlePem = "not a certificate";
  TestBackend backend([](const auto&, const auto&) { return false; });
  t.port = backend.port();
  auto r = call(get("/x"), t);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 503);
  EXPECT_EQ(r.error().message, "unable to load root certificates: unable to parse bytes as PEM block");
}

TEST_F(UpstreamTlsTest, TheClientCertificateIsPresented) {
  TestPki clients("client-ca");
  auto proxyCert = clients.issue("front-proxy-client", {}, /*client=*/true);
  TestBackend backend(
      [](const auto&, const auto& write) {
        write(okResponse("{}"));
        return true;
      },
      serverContext(serving_, clients.caPem()));
  auto t = target(backend.port(), "https");
  t.caBundlePem = pki_.caPem();
  auto without = call(get("/x"), t);
  EXPECT_FALSE(without);
  t.clientCertPem = proxyCert.certPem;
  t.clientKeyPem = proxyCert.keyPem;
  auto with = call(get("/x"), t);
  ASSERT_TRUE(with) << with.error().message;
  EXPECT_EQ(with->status, 200);
}

// ---- header rules

TEST(ProxyHeaders, HopByHopAndConnectionNamedFieldsAreNotForwarded) {
  EXPECT_TRUE(isHopByHop("connection"));
  EXPECT_TRUE(isHopByHop("Transfer-Encoding"));
  EXPECT_TRUE(isHopByHop("upgrade"));
  EXPECT_FALSE(isHopByHop("Content-Type"));
  ConnectionFields c({" keep-alive ,X-Foo,,", "close"});
  EXPECT_TRUE(c.hopByHop("x-foo"));
  EXPECT_TRUE(c.hopByHop("Keep-Alive"));
  EXPECT_TRUE(c.hopByHop("Upgrade"));
  EXPECT_FALSE(c.hopByHop("X-Fo"));
  EXPECT_FALSE(c.hopByHop(""));
  EXPECT_FALSE(c.hopByHop("Accept"));
  EXPECT_TRUE(matchesName("x-remote-extra-a", "X-Remote-Extra-*"));
  EXPECT_FALSE(matchesName("x-remote-extr", "X-Remote-Extra-*"));
}

}  // namespace
}  // namespace apiserver::proxy
