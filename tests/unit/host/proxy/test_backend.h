#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <sys/socket.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

/// @file test_backend.h
/// TestBackend: a scripted HTTP or HTTPS server on 127.0.0.1 (any free port) for the upstream
/// client's tests, like k8s's httptest backends. Every connection gets a thread; the test's
/// handler sees each parsed request and writes raw bytes, so it can send anything (chunked
/// bodies in pieces, nothing at all, a closed connection). The destructor stops everything.

namespace apiserver::testing {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

class TestBackend {
 public:
  /// Writer sends raw bytes to the client of one connection.
  using Writer = std::function<void(std::string_view)>;
  /// Handler answers one request; false closes the connection afterwards.
  using Handler = std::function<bool(const http::request<http::string_body>&, const Writer&)>;

  explicit TestBackend(Handler handler, std::shared_ptr<ssl::context> tls = nullptr)
      : handler_(std::move(handler)), tls_(std::move(tls)), acceptor_(ioc_) {
    tcp::endpoint ep(net::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    acceptThread_ = std::thread([this] { acceptLoop(); });
  }

  ~TestBackend() { stop(); }

  /// stop closes the listener and every connection, and joins the threads.
  void stop() {
    if (stopping_.exchange(true)) return;
    {
      // Wake the blocking accept with a connection of our own.
      net::io_context ioc;
      tcp::socket s(ioc);
      beast::error_code ec;
      s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_), ec);
    }
    if (acceptThread_.joinable()) acceptThread_.join();
    {
      std::lock_guard lock(mu_);
      for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : connThreads_)
      if (t.joinable()) t.join();
  }

  std::uint16_t port() const { return port_; }
  int connections() const { return accepted_.load(); }
  std::vector<http::request<http::string_body>> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  /// closeConnections ends every open connection (the backend "restarted" its keep-alives).
  void closeConnections() {
    std::lock_guard lock(mu_);
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
  }

 private:
  void acceptLoop() {
    for (;;) {
      auto sock = std::make_shared<tcp::socket>(ioc_);
      beast::error_code ec;
      acceptor_.accept(*sock, ec);
      if (stopping_) return;
      if (ec) continue;
      ++accepted_;
      std::lock_guard lock(mu_);
      fds_.insert(sock->native_handle());
      connThreads_.emplace_back([this, sock] { serveConnection(sock); });
    }
  }

  void serveConnection(std::shared_ptr<tcp::socket> sock) {
    if (tls_) {
      ssl::stream<tcp::socket&> stream(*sock, *tls_);
      beast::error_code ec;
      stream.handshake(ssl::stream_base::server, ec);
      if (!ec) loop(stream);
    } else {
      loop(*sock);
    }
    std::lock_guard lock(mu_);
    fds_.erase(sock->native_handle());
    beast::error_code ec;
    sock->shutdown(tcp::socket::shutdown_both, ec);
  }

  template <class Stream>
  void loop(Stream& stream) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(std::uint64_t{64} << 20);
      beast::error_code ec;
      http::read(stream, buffer, parser, ec);
      if (ec) return;
      http::request<http::string_body> req = parser.release();
      {
        std::lock_guard lock(mu_);
        requests_.push_back(req);
      }
      Writer write = [&stream](std::string_view data) {
        beast::error_code wec;
        net::write(stream, net::buffer(data.data(), data.size()), wec);
      };
      if (!handler_(req, write)) return;
    }
  }

  Handler handler_;
  std::shared_ptr<ssl::context> tls_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::thread acceptThread_;
  mutable std::mutex mu_;
  std::set<int> fds_;
  std::vector<std::thread> connThreads_;
  std::vector<http::request<http::string_body>> requests_;
};

/// okResponse renders a complete HTTP/1.1 response with a Content-Length.
inline std::string okResponse(std::string_view body, std::string_view contentType = "application/json",
                              std::string_view extraHeaders = "", int status = 200) {
  return "HTTP/1.1 " + std::to_string(status) + " OK\r\nContent-Type: " + std::string(contentType) +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + std::string(extraHeaders) + "\r\n" +
         std::string(body);
}

/// chunk renders one HTTP chunk.
inline std::string chunk(std::string_view data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return std::string(size) + std::string(data) + "\r\n";
}

}  // namespace apiserver::testing
