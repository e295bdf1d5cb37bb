#include "server/tls_stream.h"

#include <boost/asio/ssl/error.hpp>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <stdexcept>

namespace apiserver::server {

namespace net = boost::asio;

namespace {

/// kInputBytes is how much ciphertext one socket read takes: a whole record and its header.
constexpr std::size_t kInputBytes = 16 * 1024 + 512;
/// kKept is the most an idle connection keeps of a write's buffers (plaintext, records): a small
/// answer's, not a LIST's.
constexpr std::size_t kKept = 20 * 1024;

}  // namespace

/// TlsStreamBio is the BIO OpenSSL reads and writes through: the stream's own buffers.
struct TlsStreamBio {
  static TlsStream& stream(BIO* b) { return *static_cast<TlsStream*>(BIO_get_data(b)); }

  static int read(BIO* b, char* data, std::size_t size, std::size_t* done) {
    TlsStream& s = stream(b);
    BIO_clear_retry_flags(b);
    const std::size_t n = std::min(size, s.inEnd_ - s.inBegin_);
    if (n == 0) {
      BIO_set_retry_read(b);
      *done = 0;
      return 0;
    }
    std::memcpy(data, s.in_.data() + s.inBegin_, n);
    s.inBegin_ += n;
    *done = n;
    return 1;
  }

  static int write(BIO* b, const char* data, std::size_t size, std::size_t* done) {
    BIO_clear_retry_flags(b);
    stream(b).out_.append(data, size);
    *done = size;
    return 1;
  }

  static long ctrl(BIO* b, int cmd, long, void*) {
    switch (cmd) {
      case BIO_CTRL_FLUSH:
        return 1;
      case BIO_CTRL_PENDING: {
        const TlsStream& s = stream(b);
        return static_cast<long>(s.inEnd_ - s.inBegin_);
      }
      case BIO_CTRL_WPENDING:
        return 0;
      default:
        return 0;
    }
  }

  /// method is the BIO_METHOD, made once and never changed.
  static const BIO_METHOD* method() {
    static const BIO_METHOD* const m = [] {
      BIO_METHOD* made =
          BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "apiserver-tls-stream");
      if (made == nullptr)
        return static_cast<BIO_METHOD*>(nullptr);
      BIO_meth_set_read_ex(made, &TlsStreamBio::read);
      BIO_meth_set_write_ex(made, &TlsStreamBio::write);
      BIO_meth_set_ctrl(made, &TlsStreamBio::ctrl);
      BIO_meth_set_create(made, [](BIO* b) {
        BIO_set_init(b, 1);
        return 1;
      });
      return made;
    }();
    return m;
  }
};

TlsStream::TlsStream(socket_type&& socket, ssl_ctx_st* ctx) : socket_(std::move(socket)) {
  const BIO_METHOD* method = TlsStreamBio::method();
  ssl_ = method != nullptr ? SSL_new(ctx) : nullptr;
  if (ssl_ == nullptr)
    throw std::runtime_error("TLS: cannot make a connection's state");
  BIO* bio = BIO_new(method);
  if (bio == nullptr) {
    SSL_free(ssl_);
    throw std::runtime_error("TLS: cannot make a connection's BIO");
  }
  BIO_set_data(bio, this);
  SSL_set_bio(ssl_, bio, bio);  // one reference, owned by the SSL
  // Read and write buffers are allocated while a record is in flight and released after: an idle
  // connection (a watch) keeps none.
  SSL_set_mode(ssl_, SSL_MODE_RELEASE_BUFFERS);
  SSL_set_accept_state(ssl_);
}

TlsStream::~TlsStream() {
  SSL_free(ssl_);
}

template <class Call>
TlsStream::Step TlsStream::attempt(const Call& call, boost::system::error_code& ec) {
  // The error queue is not cleared before the call, as OpenSSL asks (and Asio does before every
  // call): the queue is read only when the call fails, and a failure that is not wanting input
  // may be an entry other code on this thread left there, so the call is made once more on an
  // empty queue, and that answer counts. A connection in a failed state fails again.
  int e = SSL_ERROR_NONE;
  for (int tries = 0; tries < 2; ++tries) {
    if (tries > 0)
      ERR_clear_error();
    const int ret = call();
    if (ret == 1)
      return Step::Done;
    e = SSL_get_error(ssl_, ret);
    if (e == SSL_ERROR_WANT_READ)
      return Step::NeedInput;
  }
  if (e == SSL_ERROR_ZERO_RETURN) {
    ec = net::error::eof;  // the peer's close_notify
  } else if (e == SSL_ERROR_SSL) {
    ec = boost::system::error_code(static_cast<int>(ERR_get_error()),
                                   net::error::get_ssl_category());
  } else {
    ec = net::error::connection_aborted;
  }
  ERR_clear_error();
  return Step::Failed;
}

TlsStream::Step TlsStream::handshakeStep(boost::system::error_code& ec) {
  return attempt([this] { return SSL_do_handshake(ssl_); }, ec);
}

TlsStream::Step TlsStream::readStep(net::mutable_buffer into, boost::system::error_code& ec,
                                    std::size_t& n) {
  n = 0;
  if (into.size() == 0)
    return Step::Done;
  // Nothing received and nothing held by OpenSSL (a record, or plaintext a smaller read left):
  // once the handshake is done, the call could only ask for input, so the socket is asked at
  // once (a keep-alive connection's read of its next request starts this way every time).
  if (inBegin_ == inEnd_ && SSL_is_init_finished(ssl_) == 1 && SSL_has_pending(ssl_) == 0)
    return Step::NeedInput;
  return attempt([&] { return SSL_read_ex(ssl_, into.data(), into.size(), &n); }, ec);
}

TlsStream::Step TlsStream::writeStep(boost::system::error_code& ec, std::size_t& n) {
  n = 0;
  if (plain_.empty())
    return Step::Done;
  // The BIO takes everything: one call writes the records of all of plain_.
  return attempt([&] { return SSL_write_ex(ssl_, plain_.data(), plain_.size(), &n); }, ec);
}

void TlsStream::feed(net::const_buffer bytes) {
  if (bytes.size() == 0)
    return;
  if (in_.size() < inEnd_ + bytes.size())
    in_.resize(std::max(kInputBytes, inEnd_ + bytes.size()));
  std::memcpy(in_.data() + inEnd_, bytes.data(), bytes.size());
  inEnd_ += bytes.size();
}

net::mutable_buffer TlsStream::inputSpace() {
  // OpenSSL wants input only once it has read everything there is.
  if (inBegin_ == inEnd_)
    inBegin_ = inEnd_ = 0;
  if (in_.size() < kInputBytes)
    in_.resize(kInputBytes);
  return net::buffer(in_.data() + inEnd_, in_.size() - inEnd_);
}

void TlsStream::outputWritten() {
  out_.clear();
  if (out_.capacity() > kKept)
    out_.shrink_to_fit();
  if (plain_.capacity() > kKept) {  // its records are written: a write's plaintext is done with
    plain_.clear();
    plain_.shrink_to_fit();
  }
}

}  // namespace apiserver::server
