// The HTTP listener's connection deadline: an idle keep-alive connection is closed at the idle
// timeout, and every request moves that deadline (the session's one timer re-arms itself).

#include "server/http_server.h"
#include "server/io_contexts.h"

#include <apiserver/chain.h>
#include <apiserver/registry.h>

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <future>
#include <string>
#include <thread>

namespace apiserver::server {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;

class Ok final : public Handler {
 public:
  Response serve(Request&) override { return Response::bytes(200, "text/plain", "ok"); }
};

class Quiet final : public Logger {
 public:
  void log(LogLevel, std::string_view) override {}
  bool enabled(LogLevel) const override { return false; }
};

// A client on a blocking socket, with a receive timeout so that no test can hang.
class Client {
 public:
  explicit Client(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }

  // get sends a GET and reads its answer (one read: it is small); "" when the connection ended.
  std::string get() {
    const std::string req = "GET /x HTTP/1.1\r\nHost: t\r\n\r\n";
    if (::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size()))
      return "";
    return readSome(5000);
  }

  // closedWithin tells whether the server ends the connection (EOF or reset) within `ms`.
  bool closedWithin(int ms) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, ms) <= 0)
      return false;
    char c;
    return ::recv(fd_, &c, 1, 0) <= 0;
  }

 private:
  std::string readSome(int ms) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, ms) <= 0)
      return "";
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
  }

  int fd_;
  bool connected_ = false;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    io_.start();
    HttpServerOptions o;
    o.idleTimeout = 1s;
    server_ = std::make_unique<HttpServer>(io_, ok_, std::move(o), log_);
    auto port = server_->listen();
    ASSERT_TRUE(port);
    port_ = *port;
  }
  void TearDown() override {
    // Nothing may be left in the contexts when they are destroyed (a connection holds the
    // listener, whose acceptor lives on main()): the acceptor's close and its aborted accept run
    // on main(), the connections' last completions (closed at their deadline) on the worker.
    server_.reset();
    for (net::io_context* ctx : {&io_.main(), &io_.main(), &io_.next()})
      runQueued(*ctx);
    io_.stop();
  }

  // runQueued returns once `ctx` has run what was queued on it before.
  static void runQueued(net::io_context& ctx) {
    std::promise<void> done;
    net::post(ctx, [&] { done.set_value(); });
    done.get_future().wait();
  }

  Ok ok_;
  Quiet log_;
  IoContexts io_{1};  // after what the server uses, before the server
  std::unique_ptr<HttpServer> server_;
  std::uint16_t port_ = 0;
};

TEST_F(HttpServerTest, AnIdleConnectionIsClosedAtTheIdleTimeout) {
  Client c(port_);
  ASSERT_TRUE(c.connected());
  EXPECT_NE(c.get().find("200 OK"), std::string::npos);
  EXPECT_FALSE(c.closedWithin(300));  // well before the timeout
  EXPECT_TRUE(c.closedWithin(5000));
}

TEST_F(HttpServerTest, EachRequestMovesTheDeadline) {
  Client c(port_);
  ASSERT_TRUE(c.connected());
  // Requests 400 ms apart for 2.4 s: past the first deadline, the timer finds the deadline moved
  // and waits again, each time, instead of closing the connection.
  for (int i = 0; i < 6; ++i) {
    ASSERT_NE(c.get().find("200 OK"), std::string::npos) << "request " << i;
    std::this_thread::sleep_for(400ms);
  }
  EXPECT_NE(c.get().find("200 OK"), std::string::npos);
  EXPECT_TRUE(c.closedWithin(5000));  // and idle again, it ends
}

}  // namespace
}  // namespace apiserver::server
