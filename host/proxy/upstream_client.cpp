#include "proxy/upstream_client.h"

#include "proxy/headers.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <sys/socket.h>

#include <atomic>
#include <cctype>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

namespace apiserver::proxy {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {

/// kReadChunk is the size of one read of a body from the backend.
constexpr std::size_t kReadChunk = 64 * 1024;
/// kMaxHeaderBytes bounds the backend's status line and header fields.
constexpr std::uint32_t kMaxHeaderBytes = 1024 * 1024;

bool isIpLiteral(const std::string& s) {
  beast::error_code ec;
  net::ip::make_address(s, ec);
  return !ec;
}

std::string hostPort(const UpstreamTarget& t) {
  const bool v6 = t.host.find(':') != std::string::npos;
  return (v6 ? "[" + t.host + "]" : t.host) + ":" + std::to_string(t.port);
}

/// goMessage renders an error the way Go's net package does ("connection refused").
std::string goMessage(const beast::error_code& ec) {
  std::string m = ec.message();
  if (!m.empty()) m[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(m[0])));
  return m;
}

/// TlsContext is an OpenSSL client context built from a target's TLS settings, or why it could
/// not be built.
struct TlsContext {
  std::shared_ptr<ssl::context> ctx;
  std::string error;
};

TlsContext buildTlsContext(const UpstreamTarget& t) {
  TlsContext out;
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  beast::error_code ec;
  if (t.insecureSkipTlsVerify) {
    ctx->set_verify_mode(ssl::verify_none, ec);
  } else {
    ctx->set_verify_mode(ssl::verify_peer, ec);
    if (t.caBundlePem.empty()) {
      ctx->set_default_verify_paths(ec);
    } else {
      X509_STORE* store = SSL_CTX_get_cert_store(ctx->native_handle());
      BIO* bio = BIO_new_mem_buf(t.caBundlePem.data(), static_cast<int>(t.caBundlePem.size()));
      int added = 0;
      while (bio != nullptr) {
        X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
        if (cert == nullptr) break;
        if (X509_STORE_add_cert(store, cert) == 1) ++added;
        X509_free(cert);
      }
      if (bio != nullptr) BIO_free(bio);
      ERR_clear_error();
      // client-go's wording (transport.rootCertPool).
      if (added == 0) out.error = "unable to load root certificates: unable to parse bytes as PEM block";
    }
  }
  if (out.error.empty() && (!t.clientCertPem.empty() || !t.clientKeyPem.empty())) {
    ctx->use_certificate_chain(net::buffer(t.clientCertPem), ec);
    if (ec) {
      out.error = "unable to load the client certificate: " + ec.message();
    } else {
      ctx->use_private_key(net::buffer(t.clientKeyPem), ssl::context::pem, ec);
      if (ec) out.error = "unable to load the client certificate's key: " + ec.message();
    }
    ERR_clear_error();
  }
  if (out.error.empty()) out.ctx = std::move(ctx);
  return out;
}

std::string tlsKey(const UpstreamTarget& t) {
  return std::string(t.insecureSkipTlsVerify ? "1" : "0") + "\x1f" + t.caBundlePem + "\x1f" + t.clientCertPem + "\x1f" +
         t.clientKeyPem;
}

/// contextTag names the io_context a pooled connection runs on, in its pool's key: an exchange
/// takes connections of its own context only.
std::string contextTag(const net::io_context& ioc) {
  return "\x1d" + std::to_string(reinterpret_cast<std::uintptr_t>(&ioc));
}

std::string poolKey(const UpstreamTarget& t) {
  std::string k = t.scheme + "://" + hostPort(t);
  if (t.scheme == "https") k += "\x1e" + (t.serverName.empty() ? t.host : t.serverName) + "\x1e" + tlsKey(t);
  return k;
}

constexpr std::size_t kReadBufferBytes = 16 * 1024;

/// UpstreamConnection is one connection to a backend, plain or TLS, with its read buffer.
struct UpstreamConnection {
  explicit UpstreamConnection(net::io_context& ioc) : plain(std::in_place, net::make_strand(ioc)) {
    // Room for a typical answer, headers and body, in one read (an empty flat_buffer reads 512
    // bytes at a time: three recvmsg for a 1 KB answer).
    buffer.reserve(kReadBufferBytes);
  }

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
  net::any_io_executor executor() { return lowest().get_executor(); }

  /// visit calls f with the stream to read and write (TLS or plain).
  template <class F>
  void visit(F&& f) {
    if (tls)
      f(*tls);
    else
      f(*plain);
  }

  /// alive checks an idle connection without reading from it: a closed or chatty peer makes it
  /// unusable.
  bool alive() {
    char c;
    const int fd = lowest().socket().native_handle();
    const ssize_t n = ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  void close() {
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest().close();
  }

  std::string key;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  std::shared_ptr<ssl::context> ctx;  // the TLS stream's context, kept alive with it
  beast::flat_buffer buffer;
  SteadyClock::time_point idleSince{};
};

/// UpstreamBodyStream relays a backend's body to the client as it arrives. The exchange pushes
/// bytes; the client's session pulls them. Reading from the backend pauses while too much waits.
class UpstreamBodyStream final : public BodyStream {
 public:
  explicit UpstreamBodyStream(std::size_t highWater) : highWater_(highWater) {}

  // apiserver::BodyStream
  void start(std::function<void()> wake) override {
    std::unique_lock lock(mu_);
    wake_ = std::move(wake);
    const bool ready = !queue_.empty() || ended_;
    auto w = wake_;
    lock.unlock();
    if (ready && w) w();
  }

  bool poll(std::vector<SharedBytes>& out) override {
    std::unique_lock lock(mu_);
    for (auto& b : queue_) out.push_back(std::move(b));
    queue_.clear();
    queued_ = 0;
    const bool more = !ended_;
    std::function<void()> resume;
    if (paused_ && !ended_) {
      paused_ = false;
      resume = resume_;
    }
    lock.unlock();
    if (resume) resume();
    return more;
  }

  void cancel() noexcept override {
    std::unique_lock lock(mu_);
    if (cancelled_) return;
    cancelled_ = true;
    ended_ = true;
    queue_.clear();
    auto onCancel = std::move(onCancel_);
    onCancel_ = nullptr;
    resume_ = nullptr;
    lock.unlock();
    if (onCancel) onCancel();
  }

  /// setControl gives the stream the exchange's resume and cancel actions.
  void setControl(std::function<void()> resume, std::function<void()> onCancel) {
    std::lock_guard lock(mu_);
    resume_ = std::move(resume);
    onCancel_ = std::move(onCancel);
  }

  /// push queues body bytes; false tells the producer to stop reading until resumed (or that the
  /// stream was cancelled).
  bool push(SharedBytes bytes) {
    std::unique_lock lock(mu_);
    if (cancelled_) return false;
    queued_ += bytes->size();
    queue_.push_back(std::move(bytes));
    const bool pause = queued_ >= highWater_;
    if (pause) paused_ = true;
    auto w = wake_;
    lock.unlock();
    if (w) w();
    return !pause;
  }

  /// end marks the end of the body (the last bytes were pushed, or the backend failed).
  void end() {
    std::unique_lock lock(mu_);
    ended_ = true;
    resume_ = nullptr;
    onCancel_ = nullptr;
    auto w = wake_;
    lock.unlock();
    if (w) w();
  }

  bool cancelled() const {
    std::lock_guard lock(mu_);
    return cancelled_;
  }

 private:
  mutable std::mutex mu_;
  const std::size_t highWater_;
  std::deque<SharedBytes> queue_;
  std::size_t queued_ = 0;
  bool ended_ = false;
  bool cancelled_ = false;
  bool paused_ = false;
  std::function<void()> wake_;
  std::function<void()> resume_;
  std::function<void()> onCancel_;
};

class Exchange;

/// Limits are the parts of ForwardOptions an exchange keeps (the header lists are rendered into
/// the request before it starts).
struct Limits {
  explicit Limits(const ForwardOptions& o)
      : connectTimeout(o.connectTimeout),
        headerTimeout(o.headerTimeout),
        deadline(o.deadline),
        longRunning(o.longRunning),
        maxBufferedBodyBytes(o.maxBufferedBodyBytes) {}
  std::chrono::milliseconds connectTimeout;
  std::chrono::milliseconds headerTimeout;
  SteadyClock::time_point deadline;
  bool longRunning;
  std::size_t maxBufferedBodyBytes;
};

/// OutgoingRequest is a request to send upstream, rendered.
struct OutgoingRequest {
  http::verb method = http::verb::unknown;
  std::string wire;  ///< request line, header and body, as sent
};

}  // namespace

struct HostUpstreamClient::Impl : std::enable_shared_from_this<HostUpstreamClient::Impl> {
  Impl(std::function<net::io_context&()> c, Logger& l, UpstreamPoolOptions o)
      : contextOfCaller(std::move(c)), log(l), opts(o) {}

  /// takeIdle returns a pooled connection that still looks usable (not idle too long; with
  /// `peek`, not closed by the backend), or null.
  std::shared_ptr<UpstreamConnection> takeIdle(const std::string& key, bool peek) {
    std::lock_guard lock(mu);
    auto it = idle.find(key);
    if (it == idle.end()) return nullptr;
    auto& list = it->second;
    const auto now = SteadyClock::now();
    while (!list.empty()) {
      auto c = std::move(list.back());
      list.pop_back();
      if (now - c->idleSince < opts.idleTimeout && (!peek || c->alive())) return c;
      c->close();
    }
    return nullptr;
  }

  /// putIdle pools a connection whose last exchange ended cleanly.
  void putIdle(std::shared_ptr<UpstreamConnection> c) {
    c->lowest().expires_never();
    c->idleSince = SteadyClock::now();
    c->buffer.consume(c->buffer.size());
    std::lock_guard lock(mu);
    auto& list = idle[c->key];
    if (shuttingDown || list.size() >= opts.maxIdlePerTarget) {
      c->close();
      return;
    }
    list.push_back(std::move(c));
  }

  /// tlsContext builds (once per distinct TLS settings) the client context for a target.
  TlsContext tlsContext(const UpstreamTarget& t) {
    const std::string key = tlsKey(t);
    std::lock_guard lock(mu);
    auto it = contexts.find(key);
    if (it == contexts.end()) it = contexts.emplace(key, buildTlsContext(t)).first;
    return it->second;
  }

  const std::function<net::io_context&()> contextOfCaller;
  Logger& log;
  const UpstreamPoolOptions opts;
  mutable std::mutex mu;
  bool shuttingDown = false;
  std::map<std::string, std::vector<std::shared_ptr<UpstreamConnection>>> idle;
  std::map<std::string, TlsContext> contexts;
  std::map<const void*, std::weak_ptr<Exchange>> active;
  std::atomic<std::size_t> opened{0};
  std::atomic<std::size_t> reused{0};
};

namespace {

/// Exchange is one forwarded request: connect (or reuse), send, read the answer, hand it over.
/// Every completion runs on the connection's strand; a pooled connection's first write and read
/// are started from the calling thread (an idle connection is the exchange's alone).
class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(std::shared_ptr<HostUpstreamClient::Impl> client, UpstreamTarget target,
           const ForwardOptions& options, OutgoingRequest request, UpstreamClient::Callback done)
      : client_(std::move(client)),
        target_(std::move(target)),
        limits_(options),
        request_(std::move(request)),
        done_(std::move(done)),
        ioc_(client_->contextOfCaller()),
        key_(poolKey(target_) + contextTag(ioc_)) {
    const auto m = request_.method;
    idempotent_ = m == http::verb::get || m == http::verb::head || m == http::verb::options ||
                  m == http::verb::put || m == http::verb::delete_;
  }

  /// run starts the exchange; `done` is called later, on an I/O thread.
  void run() {
    {
      std::lock_guard lock(client_->mu);
      if (client_->shuttingDown) {
        auto self = shared_from_this();
        net::post(ioc_,
                  [self] { self->fail(unavailable("the upstream client is shutting down")); });
        return;
      }
      client_->active[this] = weak_from_this();
    }
    acquire(/*allowReuse=*/true);
  }

  /// abort ends the exchange from outside (shutdown): its connection is closed on its strand, so
  /// that the step in flight fails (or the streamed body ends).
  void abort() {
    std::shared_ptr<UpstreamConnection> c;
    {
      std::lock_guard lock(connMu_);
      aborted_ = true;
      c = conn_;
    }
    if (!c) return;
    net::post(c->executor(), [self = shared_from_this(), c] {
      c->close();
      if (self->stream_) self->stream_->end();
    });
  }

  ~Exchange() {
    std::lock_guard lock(client_->mu);
    client_->active.erase(this);
  }

 private:
  static ApiError unavailable(std::string message) { return ApiError::serviceUnavailable(std::move(message)); }

  void acquire(bool allowReuse) {
    // Idempotent requests skip the liveness peek: a connection the backend closed meanwhile
    // fails at once and the request is retried on a new one.
    std::shared_ptr<UpstreamConnection> pooled = allowReuse ? client_->takeIdle(key_, !idempotent_) : nullptr;
    reused_ = pooled != nullptr;
    if (pooled) ++client_->reused;
    if (!pooled) {
      pooled = std::make_shared<UpstreamConnection>(ioc_);
      pooled->key = key_;
    }
    {
      std::lock_guard lock(connMu_);
      conn_ = std::move(pooled);
    }
    watchdog_.reset();  // a new connection may have a new strand
    if (reused_ && !retrying_) {
      // An idle connection is ours alone: the request can be written from this thread; every
      // completion runs on the connection's strand.
      send();
      return;
    }
    net::post(conn_->executor(), [self = shared_from_this()] {
      if (self->reused_)
        self->send();
      else
        self->connect();
    });
  }

  // ---- timing

  /// arm starts the watchdog for the step(s) to come: when it fires, the connection is closed,
  /// so that the operation in flight fails and is reported as a timeout. One timer per
  /// exchange, rearmed per phase (connect, answer), rather than one per socket operation.
  void arm(SteadyClock::duration d) {
    if (!watchdog_) watchdog_.emplace(conn_->executor());
    const std::uint64_t generation = ++armed_;
    watchdog_->expires_after(d);
    watchdog_->async_wait([self = shared_from_this(), generation](beast::error_code ec) {
      if (ec || generation != self->armed_) return;
      self->timedOut_ = true;
      if (self->resolver_) self->resolver_->cancel();
      self->conn_->close();
    });
  }
  /// disarm stops the watchdog (the exchange no longer waits for anything bounded).
  void disarm() {
    ++armed_;
    if (watchdog_) watchdog_->cancel();
  }

  /// remaining is the time left for a step bounded by `limit` and by the deadline.
  SteadyClock::duration remaining(std::chrono::milliseconds limit) const {
    const auto now = SteadyClock::now();
    SteadyClock::duration d = limit;
    if (limits_.deadline != SteadyClock::time_point::max()) d = std::min(d, limits_.deadline - now);
    return std::max(d, SteadyClock::duration::zero());
  }
  bool pastDeadline() const {
    return limits_.deadline != SteadyClock::time_point::max() && SteadyClock::now() >= limits_.deadline;
  }
  ApiError deadlineError() const {
    return ApiError::timeout("the backend " + target_.url() + " did not answer before the request's deadline");
  }

  // ---- connect

  void connect() {
    if (aborted_) return fail(unavailable("the upstream client is shutting down"));
    const std::string addr = hostPort(target_);
    // Resolving, connecting and the TLS handshake share the connect timeout.
    arm(remaining(limits_.connectTimeout));
    if (isIpLiteral(target_.host)) {
      tcp::endpoint ep(net::ip::make_address(target_.host), target_.port);
      conn_->lowest().async_connect(ep, [self = shared_from_this(), addr](beast::error_code ec) { self->onConnect(ec, addr); });
      return;
    }
    resolver_.emplace(conn_->executor());
    resolver_->async_resolve(target_.host, std::to_string(target_.port),
                             [self = shared_from_this(), addr](beast::error_code ec, tcp::resolver::results_type results) {
                               if (ec) {
                                 self->disarm();
                                 if (self->pastDeadline()) return self->fail(self->deadlineError());
                                 return self->fail(unavailable("dial tcp: lookup " + self->target_.host + ": " +
                                                               (self->timedOut_ ? "i/o timeout" : goMessage(ec))));
                               }
                               self->conn_->lowest().async_connect(
                                   results, [self, addr](beast::error_code ec2, const tcp::endpoint&) { self->onConnect(ec2, addr); });
                             });
  }

  void onConnect(beast::error_code ec, const std::string& addr) {
    if (aborted_) return fail(unavailable("the upstream client is shutting down"));
    if (ec) {
      disarm();
      if (pastDeadline()) return fail(deadlineError());
      return fail(unavailable("dial tcp " + addr + ": " + (timedOut_ ? std::string("i/o timeout") : "connect: " + goMessage(ec))));
    }
    ++client_->opened;
    beast::error_code ignored;
    conn_->lowest().socket().set_option(tcp::no_delay(true), ignored);
    conn_->lowest().socket().set_option(net::socket_base::keep_alive(true), ignored);
    if (target_.scheme != "https") return send();
    TlsContext tls = client_->tlsContext(target_);
    if (!tls.ctx) {
      disarm();
      return fail(unavailable(tls.error));
    }
    conn_->ctx = tls.ctx;
    conn_->tls.emplace(std::move(*conn_->plain), *conn_->ctx);
    conn_->plain.reset();
    SSL* native = conn_->tls->native_handle();
    const std::string& name = target_.serverName.empty() ? target_.host : target_.serverName;
    if (!isIpLiteral(name)) SSL_set_tlsext_host_name(native, name.c_str());
    if (!target_.insecureSkipTlsVerify) {
      X509_VERIFY_PARAM* param = SSL_get0_param(native);
      if (isIpLiteral(name)) {
        X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
      } else {
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
      }
    }
    conn_->tls->async_handshake(ssl::stream_base::client, [self = shared_from_this()](beast::error_code hec) {
      self->onHandshake(hec);
    });
  }

  void onHandshake(beast::error_code ec) {
    if (aborted_) return fail(unavailable("the upstream client is shutting down"));
    if (ec) {
      disarm();
      if (pastDeadline()) return fail(deadlineError());
      const long verify = SSL_get_verify_result(conn_->tls->native_handle());
      ERR_clear_error();
      if (verify != X509_V_OK)
        return fail(unavailable(std::string("tls: failed to verify certificate: x509: ") +
                                X509_verify_cert_error_string(verify)));
      return fail(unavailable("tls handshake with " + hostPort(target_) + ": " +
                              (timedOut_ ? std::string("i/o timeout") : goMessage(ec))));
    }
    send();
  }

  // ---- request and response headers

  void send() {
    if (aborted_) return fail(unavailable("the upstream client is shutting down"));
    // The answer's headers, and a buffered body, must come within the header timeout (and the
    // deadline).
    timedOut_ = false;
    arm(remaining(limits_.headerTimeout));
    std::size_t sent = 0;
    if (conn_->plain) {
      // Most requests fit the socket's send buffer: written here, at once, their answer is read
      // without a hand-off to another thread for the write's completion.
      const ssize_t n = ::send(conn_->plain->socket().native_handle(), request_.wire.data(), request_.wire.size(),
                               MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        return onWrite(beast::error_code(errno, boost::system::system_category()));
      if (n > 0) sent = static_cast<std::size_t>(n);
      if (sent == request_.wire.size()) return onWrite({});
    }
    conn_->visit([&](auto& stream) {
      net::async_write(stream, net::buffer(request_.wire) + sent,
                       [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onWrite(ec); });
    });
  }

  void onWrite(beast::error_code ec) {
    if (ec) return transportFailure(ec, "writing the request");
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    parser_->body_limit(boost::none);
    if (request_.method == http::verb::head) parser_->skip(true);
    conn_->visit([&](auto& stream) {
      http::async_read_header(stream, conn_->buffer, *parser_,
                              [self = shared_from_this()](beast::error_code rec, std::size_t) { self->onHeader(rec); });
    });
  }

  /// transportFailure handles a failed write or header read: a pooled connection the backend had
  /// closed is retried once on a new one (idempotent requests only).
  void transportFailure(beast::error_code ec, const char* step) {
    disarm();
    conn_->close();
    if (aborted_) return fail(unavailable("the upstream client is shutting down"));
    if (pastDeadline()) return fail(deadlineError());
    const bool nothingReceived = !parser_ || !parser_->got_some();
    if (reused_ && idempotent_ && nothingReceived && !timedOut_) {
      reused_ = false;
      retrying_ = true;
      parser_.reset();
      return acquire(/*allowReuse=*/false);
    }
    if (timedOut_) return fail(unavailable("net/http: timeout awaiting response headers"));
    if (ec == http::error::end_of_stream || ec == net::error::eof || ec == ssl::error::stream_truncated)
      return fail(unavailable(std::string("the backend closed the connection while ") + step));
    return fail(unavailable(std::string(step) + ": " + goMessage(ec)));
  }

  void onHeader(beast::error_code ec) {
    if (ec) return transportFailure(ec, "reading the response headers");
    const auto& msg = parser_->get();
    head_.status = static_cast<int>(msg.result_int());
    head_.contentType.clear();
    std::vector<std::string_view> connection;
    for (const auto& f : msg)
      if (f.name() == http::field::connection) connection.emplace_back(f.value().data(), f.value().size());
    const ConnectionFields hop(std::move(connection));
    for (const auto& f : msg) {
      std::string_view name(f.name_string().data(), f.name_string().size());
      std::string_view value(f.value().data(), f.value().size());
      if (f.name() == http::field::content_type) {
        head_.contentType = std::string(value);
        continue;
      }
      if (f.name() != http::field::content_length && !hop.hopByHop(name))
        head_.headers.emplace_back(std::string(name), std::string(value));
    }
    if (parser_->is_done()) return complete(/*reusable=*/parser_->keep_alive());
    const auto length = parser_->content_length();
    const bool fits = length && *length <= limits_.maxBufferedBodyBytes;
    streaming_ = !fits && (limits_.longRunning || length.has_value());
    if (fits) {
      // Read straight into the body, whose size is known: no copy, no scratch buffer.
      direct_ = true;
      body_.resize(static_cast<std::size_t>(*length));
    } else {
      scratch_.reset(new char[kReadChunk]);  // left uninitialized: reads fill it
    }
    if (streaming_) startStream();
    readBody();
  }

  // ---- body

  void readBody() {
    // A buffered body shares the watchdog armed before the request was written; a streamed one
    // has none (a watch may be quiet for long; the client's deadline ends it).
    readPtr_ = direct_ ? body_.data() + filled_ : scratch_.get();
    readSize_ = direct_ ? body_.size() - filled_ : kReadChunk;
    auto& body = parser_->get().body();
    body.data = readPtr_;
    body.size = readSize_;
    conn_->visit([&](auto& stream) {
      http::async_read_some(stream, conn_->buffer, *parser_,
                            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onBody(ec); });
    });
  }

  void onBody(beast::error_code ec) {
    if (ec == http::error::need_buffer) ec = {};
    if (ec == ssl::error::stream_truncated && parser_->need_eof()) {
      beast::error_code eofEc;
      parser_->put_eof(eofEc);
      ec = eofEc;
    }
    const std::size_t got = readSize_ - parser_->get().body().size;
    if (ec) {
      disarm();
      conn_->close();
      if (streaming_) return endStream();
      if (aborted_) return fail(unavailable("the upstream client is shutting down"));
      if (pastDeadline()) return fail(deadlineError());
      if (timedOut_) return fail(unavailable("the backend stopped sending the response body"));
      return fail(unavailable("reading the response body: " + goMessage(ec)));
    }
    if (streaming_) {
      bool more = true;
      if (got > 0) more = stream_->push(makeBytes(std::string(readPtr_, got)));
      if (parser_->is_done()) return endStream();
      if (stream_->cancelled() || aborted_) {
        conn_->close();
        return;
      }
      if (more) readBody();
      return;  // paused: the stream resumes reading once the client took the bytes
    }
    if (direct_)
      filled_ += got;
    else
      body_.append(readPtr_, got);
    if (parser_->is_done()) return complete(/*reusable=*/parser_->keep_alive() && !parser_->need_eof());
    if (body_.size() > limits_.maxBufferedBodyBytes) {
      // Too large to hold: send what arrived so far and stream the rest.
      streaming_ = true;
      startStream();
      stream_->push(makeBytes(std::move(body_)));
      body_.clear();
    }
    readBody();
  }

  /// startStream hands the client the head and a stream for the body still to come.
  void startStream() {
    disarm();
    stream_ = std::make_shared<UpstreamBodyStream>(client_->opts.streamHighWater);
    std::weak_ptr<Exchange> weak = weak_from_this();
    auto executor = conn_->executor();
    stream_->setControl(
        [self = shared_from_this(), executor] { net::post(executor, [self] { self->readBody(); }); },
        [weak, executor] {
          if (auto self = weak.lock()) net::post(executor, [self] { self->conn_->close(); });
        });
    Response r = std::move(head_);
    r.stream = stream_;
    finish(std::move(r));
  }

  void endStream() {
    stream_->end();
    if (parser_->is_done() && parser_->keep_alive() && !parser_->need_eof() && !aborted_ && !stream_->cancelled())
      client_->putIdle(conn_);
  }

  void complete(bool reusable) {
    disarm();
    Response r = std::move(head_);
    if (!body_.empty()) r.body.push_back(makeBytes(std::move(body_)));
    if (reusable && !aborted_)
      client_->putIdle(conn_);
    else
      conn_->close();
    finish(std::move(r));
  }

  // ---- completion

  void fail(ApiError e) { finish(std::move(e)); }

  void finish(Result<Response> r) {
    disarm();
    if (finished_) return;
    finished_ = true;
    auto done = std::move(done_);
    done_ = nullptr;
    done(std::move(r));
  }

  std::shared_ptr<HostUpstreamClient::Impl> client_;
  UpstreamTarget target_;
  Limits limits_;
  OutgoingRequest request_;
  UpstreamClient::Callback done_;
  net::io_context& ioc_;  ///< where the exchange's connection runs
  std::string key_;       ///< its pool: the target and the context
  bool idempotent_ = false;
  bool reused_ = false;
  std::atomic<bool> aborted_{false};
  bool finished_ = false;
  bool streaming_ = false;
  std::mutex connMu_;  // conn_ is replaced on a retry while abort() may read it
  std::shared_ptr<UpstreamConnection> conn_;
  std::optional<tcp::resolver> resolver_;
  std::optional<net::steady_timer> watchdog_;
  std::atomic<std::uint64_t> armed_{0};  // the watchdog's generation: a stale expiry is ignored
  bool timedOut_ = false;
  bool retrying_ = false;
  std::optional<http::response_parser<http::buffer_body>> parser_;
  bool direct_ = false;                 // the body is read in place into body_
  std::size_t filled_ = 0;              // bytes of body_ read so far (direct_)
  std::unique_ptr<char[]> scratch_;     // for bodies of unknown or streamed length
  char* readPtr_ = nullptr;             // where the read in flight writes
  std::size_t readSize_ = 0;            // how much it may write
  std::string body_;
  Response head_;
  std::shared_ptr<UpstreamBodyStream> stream_;
};

/// validFieldValue: no CR, LF or NUL (they would end the field, or the header, early).
bool validFieldValue(std::string_view v) {
  return v.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

/// outgoingRequest renders the request sent upstream from the client's: the request line, the
/// end-to-end fields, the forwarding and identity fields, Host and the body, in one buffer.
Result<OutgoingRequest> outgoingRequest(const Request& req, const UpstreamTarget& target, const ForwardOptions& opts) {
  OutgoingRequest out;
  out.method = http::string_to_verb(req.method);
  const std::string& path = opts.target.empty() ? req.target : opts.target;
  std::string& w = out.wire;
  w.reserve(256 + path.size() + req.body.size());
  w.append(req.method).append(" ").append(path).append(" HTTP/1.1\r\n");
  auto field = [&w](std::string_view name, std::string_view value) {
    w.append(name).append(": ").append(value).append("\r\n");
  };
  // Fields this server sets itself, and those the caller wants gone.
  auto replaced = [&opts](std::string_view name) {
    for (std::string_view n : {"Host", "Content-Length", "Expect", "X-Forwarded-For"})
      if (matchesName(name, n)) return true;
    for (const auto& r : opts.removeHeaders)
      if (matchesName(name, r)) return true;
    for (const auto& [n, v] : opts.setHeaders)
      if (matchesName(name, n)) return true;
    return false;
  };
  std::string forwardedFor;
  if (req.headers != nullptr) {
    std::vector<std::string_view> connectionValues;
    req.headers->forEach([&](std::string_view name, std::string_view value) {
      if (matchesName(name, "Connection")) connectionValues.push_back(value);
      if (matchesName(name, "X-Forwarded-For")) forwardedFor.append(forwardedFor.empty() ? "" : ", ").append(value);
    });
    const ConnectionFields hop(std::move(connectionValues));
    req.headers->forEach([&](std::string_view name, std::string_view value) {
      if (!hop.hopByHop(name) && !replaced(name)) field(name, value);
    });
  }
  if (!opts.forwardedFor.empty()) forwardedFor += (forwardedFor.empty() ? "" : ", ") + opts.forwardedFor;
  if (!forwardedFor.empty()) field("X-Forwarded-For", forwardedFor);
  for (const auto& [name, value] : opts.setHeaders) {
    // Go's transport refuses such a request the same way.
    if (!validFieldValue(value))
      return ApiError::serviceUnavailable("net/http: invalid header field value for \"" + name + "\"");
    field(name, value);
  }
  field("Host", hostPort(target));
  // As Beast's prepare_payload: a length whenever there is a body or the method may carry one.
  const auto m = out.method;
  if (!req.body.empty() || (m != http::verb::get && m != http::verb::head && m != http::verb::options &&
                            m != http::verb::connect && m != http::verb::trace))
    field("Content-Length", std::to_string(req.body.size()));
  w.append("\r\n").append(req.body);
  return out;
}

}  // namespace

HostUpstreamClient::HostUpstreamClient(net::io_context& ioc, Logger& log,
                                       UpstreamPoolOptions options)
    : HostUpstreamClient([&ioc]() -> net::io_context& { return ioc; }, log, options) {}

HostUpstreamClient::HostUpstreamClient(std::function<net::io_context&()> contextOfCaller,
                                       Logger& log, UpstreamPoolOptions options)
    : impl_(std::make_shared<Impl>(std::move(contextOfCaller), log, options)) {}

HostUpstreamClient::~HostUpstreamClient() { shutdown(); }

void HostUpstreamClient::forward(const Request& req, const UpstreamTarget& target, const ForwardOptions& options,
                                 Callback done) {
  if (target.scheme != "http" && target.scheme != "https") {
    net::post(impl_->contextOfCaller(), [done = std::move(done), scheme = target.scheme] {
      done(ApiError::serviceUnavailable("unsupported protocol scheme \"" + scheme + "\""));
    });
    return;
  }
  auto request = outgoingRequest(req, target, options);
  if (!request) {
    net::post(
        impl_->contextOfCaller(),
        [done = std::move(done), e = std::move(request).error()]() mutable { done(std::move(e)); });
    return;
  }
  auto exchange = std::make_shared<Exchange>(impl_, target, options, std::move(*request), std::move(done));
  exchange->run();
}

void HostUpstreamClient::shutdown() {
  std::vector<std::shared_ptr<Exchange>> running;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->shuttingDown) return;
    impl_->shuttingDown = true;
    for (auto& [key, list] : impl_->idle)
      for (auto& c : list) c->close();
    impl_->idle.clear();
    for (auto& [ptr, weak] : impl_->active)
      if (auto e = weak.lock()) running.push_back(std::move(e));
  }
  for (auto& e : running) e->abort();
}

UpstreamStats HostUpstreamClient::stats() const {
  UpstreamStats s;
  s.connectionsOpened = impl_->opened.load();
  s.connectionsReused = impl_->reused.load();
  std::lock_guard lock(impl_->mu);
  for (const auto& [key, list] : impl_->idle) s.idleConnections += list.size();
  return s;
}

}  // namespace apiserver::proxy
