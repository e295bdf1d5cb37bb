#pragma once

#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <cstddef>
#include <string>
#include <vector>

struct ssl_st;
struct ssl_ctx_st;

/// @file tls_stream.h
/// TlsStream: TLS over a TCP socket, for the server's connections. OpenSSL reads the received
/// ciphertext straight from the stream's input buffer and writes its records straight into the
/// output buffer, which is then written to the socket: no BIO pair, no engine buffers to copy
/// through (Asio's ssl::stream copies every byte twice), and OpenSSL's error queue is read only
/// when a call fails, where Asio clears it before every call. See docs/performance.md.
///
/// It is an AsyncReadStream and AsyncWriteStream (Beast's http::async_read and net::async_write
/// work on it), and a server-side handshake. One operation at a time — a handshake, a read or a
/// write, not a read and a write together — from the connection's own thread. It sends no
/// close_notify: the server ends a connection by closing its socket, as it did with Asio's stream.

namespace apiserver::server {

class TlsStream {
 public:
  using socket_type = boost::asio::ip::tcp::socket;
  using executor_type = socket_type::executor_type;
  using next_layer_type = socket_type;

  /// TlsStream takes the socket; `ctx` must outlive the stream. Throws std::bad_alloc (and
  /// std::runtime_error when OpenSSL cannot make the connection's state).
  TlsStream(socket_type&& socket, ssl_ctx_st* ctx);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  executor_type get_executor() noexcept { return socket_.get_executor(); }
  socket_type& next_layer() noexcept { return socket_; }
  ssl_st* native_handle() noexcept { return ssl_; }

  /// async_handshake performs the server side of the handshake; `initial` are bytes already
  /// read from the socket (the ClientHello a detector looked at). Completes with
  /// void(error_code, std::size_t used) — all of `initial` is always used.
  template <class Token>
  auto async_handshake(boost::asio::const_buffer initial, Token&& token) {
    feed(initial);
    return run(Handshake{initial.size()}, std::forward<Token>(token));
  }

  /// async_read_some reads plaintext into the first non-empty buffer of `buffers`.
  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    boost::asio::mutable_buffer first;
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      if (boost::asio::mutable_buffer b(*it); b.size() != 0) {
        first = b;
        break;
      }
    }
    return run(Read{first}, std::forward<Token>(token));
  }

  /// async_write_some encrypts up to kMaxWrite bytes of `buffers` (gathered into records of up
  /// to 16 KiB) and completes once their records are written to the socket.
  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    plain_.clear();
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers) && plain_.size() < kMaxWrite; ++it) {
      boost::asio::const_buffer b(*it);
      plain_.append(static_cast<const char*>(b.data()),
                    std::min(b.size(), kMaxWrite - plain_.size()));
    }
    return run(Write{}, std::forward<Token>(token));
  }

 private:
  static constexpr std::size_t kMaxWrite = 64 * 1024;

  /// Step is what one attempt of an operation's TLS call left to do.
  enum class Step { Done, NeedInput, Failed };

  struct Handshake {
    std::size_t used;  ///< the initial bytes, all of them read into the stream
    Step operator()(TlsStream& s, boost::system::error_code& ec, std::size_t& n) const {
      n = used;
      return s.handshakeStep(ec);
    }
  };
  struct Read {
    boost::asio::mutable_buffer into;
    Step operator()(TlsStream& s, boost::system::error_code& ec, std::size_t& n) const {
      return s.readStep(into, ec, n);
    }
  };
  struct Write {
    Step operator()(TlsStream& s, boost::system::error_code& ec, std::size_t& n) const {
      return s.writeStep(ec, n);
    }
  };

  /// Op runs an operation: its TLS call, then writing what the call produced, then reading
  /// more ciphertext when the call needs it, until done. It never completes inside the call
  /// that starts it (a completion ready at once is posted).
  template <class Attempt>
  struct Op {
    TlsStream& s;
    Attempt attempt;
    enum class Phase { Start, Flushed, Received, Deferred } phase = Phase::Start;
    bool yielded = false;
    bool finished = false;  ///< the attempt is done; what is left is writing its output
    boost::system::error_code result;
    std::size_t n = 0;

    template <class Self>
    void operator()(Self& self, boost::system::error_code ec = {}, std::size_t got = 0) {
      switch (phase) {
        case Phase::Start:
          break;
        case Phase::Deferred:
          return self.complete(result, n);
        case Phase::Flushed:
          yielded = true;
          s.outputWritten();
          if (ec)
            return self.complete(ec, 0);
          if (finished)
            return self.complete(result, n);
          break;
        case Phase::Received:
          yielded = true;
          if (ec)
            return self.complete(ec, 0);
          s.received(got);
          break;
      }
      const Step step = attempt(s, result, n);
      finished = step != Step::NeedInput;
      if (step == Step::Failed)
        n = 0;
      if (!s.out_.empty() && step != Step::Failed) {
        phase = Phase::Flushed;
        return boost::asio::async_write(s.socket_, boost::asio::buffer(s.out_), std::move(self));
      }
      if (finished) {
        if (yielded)
          return self.complete(result, n);
        phase = Phase::Deferred;
        return boost::asio::post(s.socket_.get_executor(), std::move(self));
      }
      phase = Phase::Received;
      s.socket_.async_read_some(s.inputSpace(), std::move(self));
    }
  };

  template <class Attempt, class Token>
  auto run(Attempt attempt, Token&& token) {
    return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        Op<Attempt>{*this, std::move(attempt)}, token, socket_);
  }

  // The TLS calls and the buffers (tls_stream.cpp).
  Step handshakeStep(boost::system::error_code& ec);
  Step readStep(boost::asio::mutable_buffer into, boost::system::error_code& ec, std::size_t& n);
  Step writeStep(boost::system::error_code& ec, std::size_t& n);
  template <class Call>
  Step attempt(const Call& call, boost::system::error_code& ec);
  void feed(boost::asio::const_buffer bytes);
  boost::asio::mutable_buffer inputSpace();
  void received(std::size_t n) { inEnd_ += n; }
  void outputWritten();

  friend struct TlsStreamBio;

  socket_type socket_;
  ssl_st* ssl_ = nullptr;
  std::vector<char> in_;  ///< ciphertext received, in_[inBegin_, inEnd_) not yet read by OpenSSL
  std::size_t inBegin_ = 0;
  std::size_t inEnd_ = 0;
  std::string out_;    ///< records OpenSSL wrote, to be written to the socket
  std::string plain_;  ///< a write's plaintext, gathered from its buffers
};

}  // namespace apiserver::server
