#include "server/tls_stream.h"

#include "tls/pki.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <string>

namespace apiserver::server {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;
using boost::system::error_code;

// A TlsStream accepting on loopback and an Asio SSL client talking to it, on one io_context.
class TlsStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tls::CertRequest req;
    req.commonName = "tls-stream-test";
    req.ipAddresses = {"127.0.0.1"};
    req.serverAuth = true;
    auto pair = tls::generateCertificate(req, nullptr);
    ASSERT_TRUE(pair) << pair.error().message;
    serverCtx_.use_certificate_chain(net::buffer(pair->certPem));
    serverCtx_.use_private_key(net::buffer(pair->keyPem), ssl::context::pem);
    clientCtx_.set_verify_mode(ssl::verify_none);
    acceptor_.open(tcp::v4());
    acceptor_.bind({net::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
  }

  // connect accepts one connection as `server_` and connects `client_` to it.
  void connect() {
    client_.next_layer().connect(acceptor_.local_endpoint());
    server_.emplace(acceptor_.accept(), serverCtx_.native_handle());
  }

  // handshake runs both sides' handshakes to completion.
  void handshake() {
    error_code serverEc, clientEc;
    server_->async_handshake(net::const_buffer(),
                             [&](error_code ec, std::size_t) { serverEc = ec; });
    client_.async_handshake(ssl::stream_base::client, [&](error_code ec) { clientEc = ec; });
    run();
    ASSERT_FALSE(serverEc) << serverEc.message();
    ASSERT_FALSE(clientEc) << clientEc.message();
  }

  void run() {
    io_.restart();
    io_.run();
  }

  net::io_context io_;
  ssl::context serverCtx_{ssl::context::tls_server};
  ssl::context clientCtx_{ssl::context::tls_client};
  tcp::acceptor acceptor_{io_};
  ssl::stream<tcp::socket> client_{io_, clientCtx_};
  std::optional<TlsStream> server_;
};

std::string pattern(std::size_t n) {
  std::string s(n, ' ');
  for (std::size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

TEST_F(TlsStreamTest, LargeRequestsAndGatheredAnswersCrossManyRecords) {
  connect();
  handshake();
  const std::string request = pattern(300 * 1024 + 17);
  std::string received(request.size(), '\0');
  error_code readEc;
  net::async_read(*server_, net::buffer(received),
                  [&](error_code ec, std::size_t) { readEc = ec; });
  net::async_write(client_, net::buffer(request), [](error_code, std::size_t) {});
  run();
  ASSERT_FALSE(readEc) << readEc.message();
  EXPECT_EQ(received, request);

  // An answer in pieces, as the server gathers a head and a body's segments.
  const std::string head = "HTTP/1.1 200 OK\r\n\r\n";
  const std::string body = pattern(200 * 1024 + 3);
  const std::array<net::const_buffer, 3> pieces{net::buffer(head), net::buffer(body),
                                                net::buffer(head)};
  std::string answer(head.size() * 2 + body.size(), '\0');
  error_code writeEc, clientEc;
  net::async_write(*server_, pieces, [&](error_code ec, std::size_t) { writeEc = ec; });
  net::async_read(client_, net::buffer(answer), [&](error_code ec, std::size_t) { clientEc = ec; });
  run();
  ASSERT_FALSE(writeEc) << writeEc.message();
  ASSERT_FALSE(clientEc) << clientEc.message();
  EXPECT_EQ(answer, head + body + head);
}

TEST_F(TlsStreamTest, AReadCompletesOnlyAfterItsCallReturns) {
  connect();
  handshake();
  const std::string request = "GET / HTTP/1.1\r\n\r\nGET /again HTTP/1.1\r\n\r\n";
  net::write(client_, net::buffer(request));
  std::array<char, 8> first{};
  std::size_t got = 0;
  server_->async_read_some(net::buffer(first), [&](error_code, std::size_t n) { got = n; });
  run();
  ASSERT_GT(got, 0U);
  // The rest is already decrypted inside OpenSSL: the next read could complete at once, but its
  // handler must not run inside async_read_some.
  bool completed = false;
  server_->async_read_some(net::buffer(first),
                           [&](error_code ec, std::size_t) { completed = !ec; });
  EXPECT_FALSE(completed);
  run();
  EXPECT_TRUE(completed);
}

TEST_F(TlsStreamTest, PlaintextOpenSslHoldsIsReadWithoutMoreFromTheSocket) {
  // One record, read 5 bytes at a time: after the first read nothing is left in the stream's
  // input, but OpenSSL holds the record's rest, and every read gets it without the client
  // sending anything more.
  connect();
  handshake();
  const std::string request = "GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\n\r\n";
  net::write(client_, net::buffer(request));
  std::string received;
  while (received.size() < request.size()) {
    std::array<char, 5> piece{};
    std::size_t got = 0;
    error_code readEc;
    server_->async_read_some(net::buffer(piece), [&](error_code ec, std::size_t n) {
      readEc = ec;
      got = n;
    });
    run();
    ASSERT_FALSE(readEc) << readEc.message();
    ASSERT_GT(got, 0U);
    received.append(piece.data(), got);
  }
  EXPECT_EQ(received, request);
}

TEST_F(TlsStreamTest, ThePeersCloseNotifyAndAClosedSocketAreTheEndOfTheStream) {
  connect();
  handshake();
  std::array<char, 64> buf{};
  error_code readEc;
  server_->async_read_some(net::buffer(buf), [&](error_code ec, std::size_t) {
    readEc = ec;
    client_.next_layer().close();  // the client's shutdown waits for an answer that never comes
  });
  client_.async_shutdown([](error_code) {});
  run();
  EXPECT_EQ(readEc, net::error::eof);

  server_.reset();
  client_.next_layer().close();
  ssl::stream<tcp::socket> second(io_, clientCtx_);
  second.next_layer().connect(acceptor_.local_endpoint());
  server_.emplace(acceptor_.accept(), serverCtx_.native_handle());
  error_code serverEc;
  server_->async_handshake(net::const_buffer(), [&](error_code ec, std::size_t) { serverEc = ec; });
  second.async_handshake(ssl::stream_base::client, [](error_code) {});
  run();
  ASSERT_FALSE(serverEc) << serverEc.message();
  server_->async_read_some(net::buffer(buf), [&](error_code ec, std::size_t) { readEc = ec; });
  second.next_layer().close();  // with the session tickets unread: a reset, or else the end
  run();
  EXPECT_TRUE(readEc == net::error::eof || readEc == net::error::connection_reset)
      << readEc.message();
}

TEST_F(TlsStreamTest, BytesThatAreNotTlsFailTheHandshake) {
  client_.next_layer().connect(acceptor_.local_endpoint());
  server_.emplace(acceptor_.accept(), serverCtx_.native_handle());
  const std::string junk = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  error_code serverEc;
  server_->async_handshake(net::buffer(junk), [&](error_code ec, std::size_t) { serverEc = ec; });
  run();
  EXPECT_TRUE(serverEc);
  EXPECT_NE(serverEc, net::error::eof);
}

}  // namespace
}  // namespace apiserver::server
