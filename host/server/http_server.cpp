#include "server/http_server.h"

#include "server/io_contexts.h"
#include "server/request_target.h"
#include "server/response_head.h"
#include "server/send_ring.h"
#include "server/tls_stream.h"
#include "tls/cert_pool.h"
#include "tls/openssl_util.h"
#include "tls/random.h"

#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <span>
#include <type_traits>
#include <vector>

namespace apiserver::server {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

namespace {

/// BeastHeaders exposes a Beast request's fields as apiserver::Headers.
class BeastHeaders final : public Headers {
 public:
  explicit BeastHeaders(const http::fields& f) : f_(f) {}
  std::optional<std::string_view> get(std::string_view name) const override {
    auto it = f_.find(beast::string_view(name.data(), name.size()));
    if (it == f_.end()) return std::nullopt;
    return std::string_view(it->value().data(), it->value().size());
  }
  void forEach(const std::function<void(std::string_view, std::string_view)>& fn) const override {
    for (const auto& f : f_)
      fn(std::string_view(f.name_string().data(), f.name_string().size()),
         std::string_view(f.value().data(), f.value().size()));
  }

 private:
  const http::fields& f_;
};

Response statusResponse(const ApiError& e) { return Response::error(e); }

/// kModernTls12Ciphers: ECDHE key exchange with AEAD ciphers only (TLS 1.3 suites are all AEAD).
constexpr const char* kModernTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

/// kTls13Suites: TLS 1.3's suites in Go's order (crypto/tls, which kube-apiserver serves with):
/// AES-128-GCM ahead of AES-256-GCM — as strong in practice, and fewer rounds per record.
constexpr const char* kTls13Suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

/// makeSslContext builds the server's TLS context from the options.
Result<std::unique_ptr<ssl::context>> makeSslContext(const TlsServingOptions& o) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX* c = ctx->native_handle();
  SSL_CTX_set_min_proto_version(c, o.tls13Only ? TLS1_3_VERSION : TLS1_2_VERSION);
  SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  auto failed = [](const std::string& what) {
    return fail(ApiError::badRequest(what + ": " + tls::detail::opensslError()));
  };
  if (SSL_CTX_set_cipher_list(c, kModernTls12Ciphers) != 1) return failed("TLS cipher suites");
  if (SSL_CTX_set_ciphersuites(c, kTls13Suites) != 1)
    return failed("TLS 1.3 cipher suites");
  if (SSL_CTX_set1_groups_list(c, "X25519:P-256:P-384") != 1) return failed("TLS key exchange groups");
  beast::error_code ec;
  ctx->use_certificate_chain(net::buffer(o.certificateChainPem), ec);
  if (ec) return failed("the serving certificate");
  ctx->use_private_key(net::buffer(o.privateKeyPem), ssl::context::pem, ec);
  if (ec) return failed("the serving certificate's private key");
  if (SSL_CTX_check_private_key(c) != 1) return failed("the serving certificate and its private key do not match");
  static const unsigned char kSessionContext[] = "apiserver-host";
  SSL_CTX_set_session_id_context(c, kSessionContext, sizeof kSessionContext - 1);
  if (!o.clientCaBundles.empty()) {
    // Ask for a client certificate, never require one, and accept whatever the handshake brings:
    // each chain is verified after the handshake against each bundle (the authenticators decide
    // what a verified or failed chain means, as kube's do with tls.RequestClientCert).
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_cert_verify_callback(c, [](X509_STORE_CTX*, void*) -> int { return 1; }, nullptr);
    STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
    std::set<std::string> seen;
    for (const auto& [name, pool] : o.clientCaBundles) {
      tls::detail::BioPtr bio = tls::detail::memBio(pool->pem());
      while (tls::detail::X509Ptr cert{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) {
        X509_NAME* subject = X509_get_subject_name(cert.get());
        unsigned char* der = nullptr;
        const int n = i2d_X509_NAME(subject, &der);
        if (n > 0 && seen.insert(std::string(reinterpret_cast<char*>(der), static_cast<std::size_t>(n))).second)
          sk_X509_NAME_push(names, X509_NAME_dup(subject));
        OPENSSL_free(der);
      }
      ERR_clear_error();
    }
    SSL_CTX_set_client_CA_list(c, names);
  } else {
    SSL_CTX_set_verify(c, SSL_VERIFY_NONE, nullptr);
  }
  return ctx;
}

/// Woken is a connection streaming a response, as its I/O thread's WakeQueue sees it.
class Woken {
 public:
  virtual ~Woken() = default;
  /// woken writes what the stream has now; called on the connection's thread.
  virtual void woken() = 0;
  /// sent answers a write that woken() staged on the thread's SendRing (WakeQueue::stage), with
  /// sendmsg's result: the bytes sent or -errno.
  virtual void sent(int result) = 0;
};

/// WakeQueue holds the streams of one I/O thread that were woken (a watch with new events) and
/// writes them a slice at a time, each slice one handler on the thread's event loop. Between
/// two slices the loop reads the sockets that became ready, so a request that arrives during a
/// fan-out to a thousand watchers (the writer's next PUT) waits for one slice, not for the whole
/// fan-out; and a stream woken again before its turn writes the newer events in the same write.
/// With a SendRing (HttpServerOptions::sendRing) the slice's writes are staged while its streams
/// are woken and made together, in one system call, when the slice is done.
/// Thread-safe: streams are woken from whichever thread delivers the change.
class WakeQueue : public std::enable_shared_from_this<WakeQueue> {
 public:
  WakeQueue(net::io_context& ctx, bool sendRing, Logger& log)
      : ctx_(ctx), ringWanted_(sendRing), log_(log) {}

  void push(const std::weak_ptr<Woken>& stream) {
    std::lock_guard lock(mu_);
    queue_.push_back(stream);
    if (scheduled_)
      return;
    scheduled_ = true;
    net::post(ctx_, [self = shared_from_this()] { self->drain(); });
  }

  /// staging tells whether a write may be staged now: the thread's ring is there and a slice's
  /// streams are being woken.
  bool staging() const noexcept { return staging_; }
  /// stage stages a woken stream's write (sendmsg(fd, msg)) on the thread's ring, to be made when
  /// the slice is done and answered through stream.sent. False when not staging or when the ring
  /// is full: the stream then writes the usual way.
  bool stage(const std::shared_ptr<Woken>& stream, int fd, const msghdr* msg) {
    if (!staging_ || !ring_->stage(fd, msg, staged_.size()))
      return false;
    staged_.push_back(stream);
    return true;
  }

 private:
  static constexpr std::size_t kSlice = 8;
  static constexpr unsigned kRingEntries = 256;

  void drain() {
    if (ringWanted_ && !ringTried_) {
      // Made on the thread that uses it (the ring's only submitter).
      ringTried_ = true;
      std::string why;
      ring_ = SendRing::create(kRingEntries, why);
      if (!ring_)
        log_.warn("watch streams write without a send ring: " + why);
    }
    {
      std::lock_guard lock(mu_);
      const std::size_t n = std::min(queue_.size(), kSlice);
      slice_.assign(std::make_move_iterator(queue_.begin()),
                    std::make_move_iterator(queue_.begin() + n));
      queue_.erase(queue_.begin(), queue_.begin() + n);
    }
    staging_ = ring_ != nullptr;
    for (auto& weak : slice_)
      if (auto stream = weak.lock())
        stream->woken();
    staging_ = false;
    slice_.clear();
    if (!staged_.empty()) {
      ring_->submit([this](std::uint64_t at, int result) { staged_[at]->sent(result); });
      staged_.clear();
    }
    std::lock_guard lock(mu_);
    if (queue_.empty()) {
      scheduled_ = false;
      return;
    }
    net::post(ctx_, [self = shared_from_this()] { self->drain(); });
  }

  net::io_context& ctx_;
  std::mutex mu_;
  // Weak: a stream that ends while queued is skipped, and a queue left undrained when the
  // threads stop keeps no connection alive.
  std::deque<std::weak_ptr<Woken>> queue_;
  bool scheduled_ = false;                   ///< a drain is posted
  std::vector<std::weak_ptr<Woken>> slice_;  ///< the slice being written (the thread's own)
  // The thread's own too: the ring (made at the first drain), whether the slice's streams are
  // being woken (their writes may be staged), and the streams whose writes are staged.
  const bool ringWanted_;
  Logger& log_;
  bool ringTried_ = false;
  std::unique_ptr<SendRing> ring_;
  bool staging_ = false;
  std::vector<std::shared_ptr<Woken>> staged_;
};

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(IoContexts& io, Handler& root, HttpServerOptions options, Logger& logger)
      : io(io), root(root), opts(std::move(options)), log(logger), acceptor(io.main()) {
    auto plain = std::make_shared<Connection>();
    plain->insecure = opts.insecure;
    plainConnection = std::move(plain);
    auto tlsNoCert = std::make_shared<Connection>();
    tlsNoCert->tls = true;
    tlsConnection = std::move(tlsNoCert);
  }

  void accept();
  /// connectionOf describes a TLS connection after its handshake: the client certificate, read
  /// and verified against each client CA bundle once.
  std::shared_ptr<const Connection> connectionOf(SSL* ssl) const;
  void registerStream(const std::shared_ptr<BodyStream>& s) {
    std::lock_guard lock(streamsMu);
    if (endingStreams) {
      s->cancel();
      return;
    }
    streams.insert(s);
  }
  void unregisterStream(const std::shared_ptr<BodyStream>& s) {
    std::lock_guard lock(streamsMu);
    streams.erase(s);
  }
  /// wakeQueueOf is the WakeQueue of the I/O thread that runs `ctx`.
  std::shared_ptr<WakeQueue> wakeQueueOf(net::io_context& ctx) {
    std::lock_guard lock(streamsMu);
    auto& q = wakeQueues[&ctx];
    if (!q)
      q = std::make_shared<WakeQueue>(ctx, opts.sendRing && !opts.tls, log);
    return q;
  }

  IoContexts& io;
  Handler& root;
  HttpServerOptions opts;
  Logger& log;
  tcp::acceptor acceptor;
  std::unique_ptr<ssl::context> sslCtx;  ///< set by listen() for an HTTPS listener
  std::shared_ptr<const Connection> plainConnection;  ///< shared by every plain-HTTP request
  std::shared_ptr<const Connection> tlsConnection;    ///< shared by TLS requests without a client certificate
  std::atomic<std::size_t> inFlight{0};
  std::mutex streamsMu;
  std::set<std::shared_ptr<BodyStream>> streams;
  bool endingStreams = false;
  std::map<const net::io_context*, std::shared_ptr<WakeQueue>>
      wakeQueues;  ///< guarded by streamsMu
};

namespace {

/// Session serves one connection: plain HTTP (Tls = false) or HTTPS over our TlsStream, both on
/// the bare socket. Timeouts are the session's own deadline (see setDeadline): a stream layer
/// with timeouts (Beast's tcp_stream) armed and cancelled a timer for every read and write.
template <bool Tls>
class Session final : public Woken, public std::enable_shared_from_this<Session<Tls>> {
  using Stream = std::conditional_t<Tls, TlsStream, tcp::socket>;
  using Clock = std::chrono::steady_clock;

 public:
  Session(tcp::socket&& socket, net::io_context& ctx, std::shared_ptr<HttpServer::Impl> server)
      : stream_(makeStream(std::move(socket), *server)),
        server_(std::move(server)),
        wakes_(server_->wakeQueueOf(ctx)),
        ioTimer_(ctx) {}

  void run() {
    beast::error_code ec;
    auto ep = lowest().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
    lowest().set_option(tcp::no_delay(true), ec);
    if constexpr (Tls) {
      net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::doDetect, self()));
    } else {
      connection_ = server_->plainConnection;
      net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::doRead, self()));
    }
  }

 private:
  static Stream makeStream(tcp::socket&& socket, HttpServer::Impl& server) {
    if constexpr (Tls) {
      return Stream(std::move(socket), server.sslCtx->native_handle());
    } else {
      return Stream(std::move(socket));
    }
  }
  std::shared_ptr<Session> self() { return this->shared_from_this(); }
  tcp::socket& lowest() {
    if constexpr (Tls) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }

  // ---- the deadline: what is pending on the connection (a handshake, a request being read, an
  // answer the socket does not take, a refused request's rest) must be done by then, or the
  // connection is closed, and what was pending completes with an error. A stream's deadline is
  // its own (timeoutSeconds): then it ends, with its last chunk. Moving the deadline later is a
  // store: the timer, armed for the earliest deadline, finds it moved when it expires and waits
  // again.

  void setDeadline(Clock::duration d) { setDeadlineAt(Clock::now() + d); }
  void setDeadlineAt(Clock::time_point at) {
    ioDeadline_ = at;
    if (ioDeadline_ < armedAt_)
      armIoTimer();
  }
  void clearDeadline() { ioDeadline_ = Clock::time_point::max(); }

  void armIoTimer() {
    armedAt_ = ioDeadline_;
    ioTimer_.expires_at(armedAt_);  // cancels a wait armed for later
    ioTimer_.async_wait([weak = this->weak_from_this()](beast::error_code ec) {
      auto self = weak.lock();
      if (ec || !self)
        return;  // re-armed, or the session is gone
      self->armedAt_ = Clock::time_point::max();
      if (self->ioDeadline_ == Clock::time_point::max())
        return;
      if (Clock::now() < self->ioDeadline_)
        return self->armIoTimer();
      self->clearDeadline();
      if (!self->body_)
        return self->close();
      self->body_->cancel();
      self->pump();
    });
  }

  // ---- TLS: tell TLS from plain HTTP, then the handshake, both within the handshake timeout.

  void doDetect() {
    setDeadline(server_->opts.tls->handshakeTimeout);
    beast::async_detect_ssl(lowest(), buffer_, beast::bind_front_handler(&Session::onDetect, self()));
  }

  void onDetect(beast::error_code ec, bool isTls) {
    if (ec) return close();
    if (!isTls) return refusePlainHttp();
    if constexpr (Tls)
      stream_.async_handshake(buffer_.data(),
                              beast::bind_front_handler(&Session::onHandshake, self()));
  }

  void onHandshake(beast::error_code ec, std::size_t used) {
    if (ec) {
      if (server_->log.enabled(LogLevel::Debug))
        server_->log.debug("TLS handshake error from " + remote_ + ": " + ec.message());
      return close();
    }
    buffer_.consume(used);
    if constexpr (Tls) connection_ = server_->connectionOf(stream_.native_handle());
    doRead();
  }

  // refusePlainHttp answers a plain HTTP request on the TLS port as Go's net/http does, then
  // closes; other bytes that are not TLS just close the connection.
  void refusePlainHttp() {
    const auto data = buffer_.data();
    const char first = data.size() > 0 ? *static_cast<const char*>(data.data()) : '\0';
    if (first < 'A' || first > 'Z') return close();
    static const std::string kAnswer =
        "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";
    net::async_write(lowest(), net::buffer(kAnswer), [self = self()](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      self->lingerClose();
    });
  }

  // ---- HTTP

  void doRead() {
    parser_.emplace();
    parser_->body_limit(server_->opts.maxRequestBodyBytes);
    parser_->header_limit(static_cast<std::uint32_t>(server_->opts.maxHeaderBytes));
    setDeadline(server_->opts.idleTimeout);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::onRead, self()));
  }

  void onRead(beast::error_code ec, std::size_t) {
    clearDeadline();  // the handler chain takes the time it takes (its own timeout link)
    if (!lowest().is_open())
      return;  // closed at the deadline
    if (ec == http::error::end_of_stream || ec == net::error::eof ||
        ec == net::error::connection_reset || ec == net::error::operation_aborted) {
      return close();
    }
    if (ec == http::error::body_limit) {
      return sendFinal(statusResponse(ApiError::requestEntityTooLarge(
          "limit is " + std::to_string(server_->opts.maxRequestBodyBytes))));
    }
    if (ec == http::error::header_limit) {
      return sendFinal(Response::bytes(431, "text/plain; charset=utf-8", "431 Request Header Fields Too Large"));
    }
    if (ec) {
      // Malformed HTTP: answer as Go's server does and close.
      return sendFinal(Response::bytes(400, "text/plain; charset=utf-8", "400 Bad Request"));
    }
    handle();
  }

  void handle() {
    auto& msg = parser_->get();
    keepAlive_ = msg.keep_alive();
    version_ = msg.version();
    Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    if (!parseTarget(req.target, req.path, req.query)) {
      keepAlive_ = false;
      return send(statusResponse(ApiError::badRequest("malformed request target")));
    }
    BeastHeaders headers(msg.base());
    req.headers = &headers;
    req.body = std::move(msg.body());
    req.remoteAddress = remote_;
    req.connection = connection_;
    if (server_->opts.trustedUser) req.user = *server_->opts.trustedUser;
    // The audit ID: the client's Audit-ID header as it is, or a new UUID (kube's WithAuditInit).
    if (auto id = headers.get("Audit-ID"); id && !id->empty()) {
      req.auditId = std::string(*id);
    } else {
      req.auditId = tls::randomUuid();  // kube's WithAuditInit makes one per request
    }
    auditId_ = req.auditId;

    ++server_->inFlight;
    if (server_->opts.blocking != nullptr && mayWaitOnStorage(req)) {
      // The request (and the headers it reads, which stay in parser_ until the next read) moves
      // to the blocking pool; its answer comes back to this connection's strand.
      auto job = std::make_shared<std::pair<BeastHeaders, Request>>(headers, std::move(req));
      job->second.headers = &job->first;
      net::post(*server_->opts.blocking, [self = self(), job] {
        Response res = self->server_->root.serve(job->second);
        job->second.headers = nullptr;
        net::post(self->stream_.get_executor(),
                  [self, res = std::move(res)]() mutable { self->answer(std::move(res)); });
      });
      return;
    }
    Response res = server_->root.serve(req);
    req.headers = nullptr;
    answer(std::move(res));
  }

  bool mayWaitOnStorage(Request& req) const {
    const std::string_view m = req.method;
    if (m != "POST" && m != "PUT" && m != "PATCH" && m != "DELETE")
      return false;
    return !server_->opts.writeWaits || server_->opts.writeWaits(req);
  }

  // answer sends what the handler chain returned: a complete response, a stream, or a response
  // still waiting for its answer.
  void answer(Response res) {
    if (res.pending) return awaitPending(std::move(res.pending));
    if (res.stream) return startStream(std::move(res));
    --server_->inFlight;
    send(std::move(res));
  }

  // awaitPending waits, holding no thread, for an answer that is not ready yet (a proxied request
  // waiting for its backend), then sends it like any other.
  void awaitPending(std::shared_ptr<PendingResponse> pending) {
    pending->start([self = self()](Response res) {
      // Dispatched: on an I/O thread (where a proxied answer arrives) the answer is sent right
      // there, with no hand-off to another thread, unless the connection is busy elsewhere.
      net::dispatch(self->stream_.get_executor(), [self, res = std::move(res)]() mutable {
        if (res.pending) res = statusResponse(ApiError::internal("a pending response completed with another one"));
        self->answer(std::move(res));
      });
    });
  }

  // send writes a complete response: its head, written into a member string, then the body's
  // segments, in one gather write — no header container and no serializer per response. The
  // head and the buffer list are reused from response to response, like a stream's (pump).
  void send(Response res) {
    head_.clear();
    appendHead(head_, version_, res, auditId_, keepAlive_, Framing::Length);
    out_ = std::move(res.body);
    const bool hasBody = res.status != 304 && res.status != 204;
    gather(outBufs_, head_,
           hasBody ? std::span<const SharedBytes>(out_) : std::span<const SharedBytes>(), {});
    beast::error_code ec;
    if (writeGathered(outBufs_, 0, ec, [self = self()](beast::error_code e) { self->sent(e); })) {
      // Written at once: posted, since send may be inside the handler chain's call (a pending
      // answer completed at once), and the next read must not replace the request's parser
      // while the chain may read its headers.
      net::post(stream_.get_executor(), [self = self(), ec] { self->sent(ec); });
      return;
    }
    setDeadline(server_->opts.idleTimeout);  // for the rest, which waits for the socket
  }

  void sent(beast::error_code ec) {
    release(out_, outBufs_);
    if (ec)
      return close();
    if (!keepAlive_)
      return lingerClose();
    doRead();
  }

  // gather lists in `bufs` the head, the non-empty segments and the tail.
  static void gather(std::vector<net::const_buffer>& bufs, std::string_view head,
                     std::span<const SharedBytes> segments, std::string_view tail) {
    bufs.clear();
    bufs.emplace_back(head.data(), head.size());
    for (const auto& b : segments)
      if (!b->empty())
        bufs.emplace_back(b->data(), b->size());
    if (!tail.empty())
      bufs.emplace_back(tail.data(), tail.size());
  }

  // release empties a written batch and its buffer list, and gives their memory back when the
  // batch was long (a LIST's), so that an idle connection or a watch keeps little.
  static void release(std::vector<SharedBytes>& segments, std::vector<net::const_buffer>& bufs) {
    segments.clear();
    if (segments.capacity() > kBatchKept) {
      segments.shrink_to_fit();
      bufs.clear();
      bufs.shrink_to_fit();
    }
  }

  // writeGathered writes bufs[at..] completely. When the socket takes everything at once it
  // returns true (`ec` set on an error) and does not call `done`; otherwise it returns false and
  // calls done(ec) when the rest is written. `bufs` is a member: the buffers are advanced in
  // place. On a plain connection the buffers are written directly, for as long as the socket
  // takes them (writeDirect): IOV_MAX buffers per system call where Asio hands the socket 64
  // (net::async_write only 16: a LIST of 10,000 items then took four times the calls). What
  // the socket does not take waits for it through the stream (writeAsync).
  template <class Done>
  bool writeGathered(std::vector<net::const_buffer>& bufs, std::size_t at, beast::error_code& ec,
                     Done&& done) {
    at = writeDirect(bufs, at, ec);
    if (ec || at == bufs.size())
      return true;
    writeAsync(bufs, at, std::forward<Done>(done));
    return false;
  }

  // writeAsync waits until the socket takes more, writes up to 64 buffers through the stream,
  // then goes on with writeGathered.
  template <class Done>
  void writeAsync(std::vector<net::const_buffer>& bufs, std::size_t at, Done&& done) {
    static constexpr std::size_t kMaxIov = 64;
    auto written = [self = self(), &bufs, at, done = std::forward<Done>(done)](
                       beast::error_code ec, std::size_t n) mutable {
      if (!ec && n == 0)
        ec = net::error::connection_aborted;  // no progress: never loop
      if (ec || self->writeGathered(bufs, advance(bufs, at, n), ec, std::move(done)))
        done(ec);
    };
    const std::size_t end = std::min(bufs.size(), at + kMaxIov);
    stream_.async_write_some(std::span<const net::const_buffer>(bufs.data() + at, end - at),
                             std::move(written));
  }

  // writeDirect writes bufs[at..] on a plain connection with non-blocking sendmsg calls of up to
  // IOV_MAX buffers until all is written or the socket is full; under TLS it writes nothing. It
  // returns the first buffer not completely written (see advance).
  std::size_t writeDirect(std::vector<net::const_buffer>& bufs, std::size_t at,
                          beast::error_code& ec) {
    if constexpr (Tls) {
      (void)ec;
      return at;
    }
    std::array<iovec, IOV_MAX> iov;
    const int fd = lowest().native_handle();
    while (at < bufs.size()) {
      msghdr msg{};
      msg.msg_iov = iov.data();
      msg.msg_iovlen = toIovecs(bufs, at, iov);
      const ssize_t n = ::sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR)
          continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
          ec = beast::error_code(errno, net::error::get_system_category());
        return at;
      }
      if (n == 0) {
        ec = net::error::connection_aborted;  // no progress: never loop
        return at;
      }
      at = advance(bufs, at, static_cast<std::size_t>(n));
    }
    return at;
  }

  // toIovecs fills `iov` with bufs[at..], as many as it holds, and returns how many.
  static std::size_t toIovecs(const std::vector<net::const_buffer>& bufs, std::size_t at,
                              std::span<iovec> iov) {
    const std::size_t count = std::min(bufs.size() - at, iov.size());
    for (std::size_t k = 0; k < count; ++k)
      iov[k] = iovec{const_cast<void*>(bufs[at + k].data()), bufs[at + k].size()};
    return count;
  }

  // advance marks n more bytes of bufs[at..] written and returns the first buffer not completely
  // written, advanced past the part that was.
  static std::size_t advance(std::vector<net::const_buffer>& bufs, std::size_t at, std::size_t n) {
    while (at < bufs.size() && n >= bufs[at].size())
      n -= bufs[at++].size();
    if (at < bufs.size())
      bufs[at] += n;
    return at;
  }

  // lingerClose ends a connection whose request was refused before its body was read (413, 400):
  // it stops sending, then reads and discards what the client still sends, so that the client
  // gets to read the answer instead of a connection reset (nginx's lingering close).
  void lingerClose() {
    beast::error_code ec;
    lowest().shutdown(tcp::socket::shutdown_send, ec);
    setDeadline(std::chrono::seconds(5));
    drained_ = 0;
    drain();
  }

  void drain() {
    // Reads the raw bytes under any TLS layer: they are discarded either way.
    lowest().async_read_some(scratch(16384), [self = self()](beast::error_code ec, std::size_t n) {
      self->drained_ += n;
      if (ec || self->drained_ > 2 * self->server_->opts.maxRequestBodyBytes + (1 << 20)) return self->close();
      self->drain();
    });
  }

  // sendFinal answers and closes the connection (after an unreadable request).
  void sendFinal(Response res) {
    auditId_.clear();
    keepAlive_ = false;
    version_ = 11;
    send(std::move(res));
  }

  // ---- long-running responses

  void startStream(Response res) {
    if (res.longRunning) {
      res.longRunning = false;  // (moved once)
      net::io_context& to = server_->io.nextStream();
      if (&net::query(lowest().get_executor(), net::execution::context) != &to && moveTo(to)) {
        net::post(to, [self = self(), res = std::move(res)]() mutable {
          self->startStream(std::move(res));
        });
        return;
      }
    }
    body_ = std::move(res.stream);
    server_->registerStream(body_);
    head_.clear();  // the connection ends with the stream
    appendHead(head_, version_, res, auditId_, false, Framing::Chunked);
    clearDeadline();
    net::async_write(stream_, net::buffer(head_),
                     [self = self(), deadline = res.streamDeadline](beast::error_code ec,
                                                                    std::size_t) {
                       // Back to the string's inline storage: a chunk's size line fits in it, and a
                       // thousand watchers should not each keep a head they have sent.
                       self->head_.clear();
                       self->head_.shrink_to_fit();
                       if (ec)
                         return self->endStream();
                       self->watchPeer();
                       self->setDeadlineAt(deadline);
                       self->body_->start([weak = std::weak_ptr<Woken>(self)] {
                         if (auto s = weak.lock())
                           static_cast<Session&>(*s).wake(weak);
                       });
                     });
  }

  // moveTo carries the connection over to the I/O thread of `to`, between a request and its
  // long-running answer, when nothing is waiting on the socket: the socket's descriptor leaves
  // this thread's event loop for `to`'s, and the deadline timer and the wake queue become `to`'s.
  // The caller then goes on there (posted), and this thread touches the session no more. False
  // when the descriptor could not be registered there (it is then back here, or closed).
  bool moveTo(net::io_context& to) {
    beast::error_code ec;
    const auto protocol = lowest().local_endpoint(ec).protocol();
    if (ec)
      return false;
    // release, not a duplicate and close: a duplicate would keep the descriptor in this loop's
    // epoll set, which Asio takes to be left by the close.
    const int fd = lowest().release(ec);
    if (ec)
      return false;
    tcp::socket moved(to);
    moved.assign(protocol, fd, ec);
    if (ec) {
      lowest().assign(protocol, fd, ec);
      if (ec)
        ::close(fd);
      return false;
    }
    lowest() = std::move(moved);
    // A wait armed here ends aborted, and then looks at nothing but its weak reference.
    ioTimer_.cancel();
    ioTimer_ = net::steady_timer(to);
    armedAt_ = Clock::time_point::max();
    wakes_ = server_->wakeQueueOf(to);
    return true;
  }

  // wake queues the stream (`weak` is this session) on its thread's WakeQueue, once until it is
  // written. It is called on the thread that delivers a change, for every watcher the change
  // concerns: the queue gets a copy of the caller's weak reference, not a strong one made and
  // dropped.
  void wake(const std::weak_ptr<Woken>& weak) {
    if (wakePending_.exchange(true)) return;
    wakes_->push(weak);
  }

  void woken() override {
    wakePending_ = false;
    pump();
  }

  // watchPeer reads from the client while streaming: the client sends nothing more, so any
  // completion means it closed (or broke) the connection. It reads the TCP socket under any TLS
  // layer, so that it never races the TLS writes.
  void watchPeer() {
    lowest().async_read_some(scratch(64), [self = self()](beast::error_code, std::size_t) {
      if (self->body_)
        self->body_->cancel();
      self->peerGone_ = true;
      self->pump();
    });
  }

  // pump writes what the stream has queued as one chunk (its size line, the bytes, the line end:
  // one gather write). The bytes and their buffer list live in members reused from write to
  // write (a delivery to each of 1,000 watchers must not cost a handful of allocations). On a
  // plain connection a watcher that keeps up takes the chunk whole (writeDirect), and the
  // stream is polled again right away; a few rounds at most before the other connections get
  // their turn.
  void pump() {
    for (int round = 0; body_ && !writing_; ++round) {
      if (round == kDirectRounds) {
        net::post(stream_.get_executor(), [self = self()] { self->pump(); });
        return;
      }
      const bool more = body_->poll(streamOut_) && !peerGone_;
      if (peerGone_)
        return endStream();
      std::size_t size = 0;
      for (const auto& b : streamOut_)
        size += b->size();
      if (size == 0) {  // (a chunk of no bytes would end the stream)
        streamOut_.clear();
        if (!more)
          finishStream();
        return;
      }
      head_.clear();
      appendChunkSize(head_, size);
      gather(streamBufs_, head_, streamOut_, kCrlf);
      writing_ = true;
      if (stage(more))
        return;  // written with the slice's other streams; answered in sent
      beast::error_code ec;
      if (!writeGathered(streamBufs_, 0, ec, afterChunk(more)))
        return;
      if (!chunkWritten(ec, more))
        return;
    }
  }

  // afterChunk is what follows a chunk whose write had to wait: the stream goes on (pump) unless
  // it ended.
  auto afterChunk(bool more) {
    return [self = self(), more](beast::error_code ec) {
      if (self->chunkWritten(ec, more))
        self->pump();
    };
  }

  // stage hands the chunk in streamBufs_ to the thread's send ring, on a plain connection woken
  // with its slice (WakeQueue::stage); false when it is to be written the usual way.
  bool stage(bool more) {
    if constexpr (Tls) {
      (void)more;
      return false;
    } else {
      if (!wakes_->staging())
        return false;
      stagedIov_.resize(std::min<std::size_t>(streamBufs_.size(), IOV_MAX));
      stagedMsg_ = msghdr{};
      stagedMsg_.msg_iov = stagedIov_.data();
      stagedMsg_.msg_iovlen = toIovecs(streamBufs_, 0, stagedIov_);
      stagedMore_ = more;
      return wakes_->stage(self(), lowest().native_handle(), &stagedMsg_);
    }
  }

  // sent answers a staged chunk: what the socket did not take (all of it, on EAGAIN) waits for it
  // as any write that had to wait.
  void sent(int result) override {
    beast::error_code ec;
    std::size_t at = 0;
    if (result > 0)
      at = advance(streamBufs_, 0, static_cast<std::size_t>(result));
    else if (result == 0)
      ec = net::error::connection_aborted;  // no progress: never loop
    else if (result != -EAGAIN && result != -EWOULDBLOCK && result != -EINTR)
      ec = beast::error_code(-result, net::error::get_system_category());
    if (!ec && at < streamBufs_.size())
      return writeAsync(streamBufs_, at, afterChunk(stagedMore_));
    if (chunkWritten(ec, stagedMore_))
      pump();
  }

  // chunkWritten ends a chunk's write and tells whether the stream goes on: it ends on an error
  // and after its last chunk.
  bool chunkWritten(beast::error_code ec, bool more) {
    writing_ = false;
    release(streamOut_, streamBufs_);
    if (stagedIov_.capacity() > kBatchKept) {
      stagedIov_.clear();
      stagedIov_.shrink_to_fit();
    }
    if (ec) {
      endStream();
      return false;
    }
    if (!more) {
      finishStream();
      return false;
    }
    return true;
  }

  void finishStream() {
    writing_ = true;
    net::async_write(stream_, net::buffer(kLastChunk),
                     [self = self()](beast::error_code, std::size_t) { self->endStream(); });
  }

  void endStream() {
    if (!body_) return;
    body_->cancel();
    server_->unregisterStream(body_);
    body_.reset();
    --server_->inFlight;
    clearDeadline();
    close();
  }

  void close() {
    beast::error_code ec;
    lowest().shutdown(tcp::socket::shutdown_both, ec);
    lowest().close(ec);
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::shared_ptr<HttpServer::Impl> server_;
  std::shared_ptr<WakeQueue> wakes_;  ///< of the connection's I/O thread
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string remote_;
  std::shared_ptr<const Connection> connection_;
  std::string auditId_;  ///< of the request being answered, for the Audit-Id header
  bool keepAlive_ = true;
  unsigned version_ = 11;

  std::shared_ptr<BodyStream> body_;
  // The connection's deadline (setDeadline) and the expiry its timer is armed for.
  net::steady_timer ioTimer_;
  Clock::time_point ioDeadline_ = Clock::time_point::max();
  Clock::time_point armedAt_ = Clock::time_point::max();
  std::atomic<bool> wakePending_{false};
  // What a stream is writing (see pump); a batch longer than kBatchKept is not kept (release).
  static constexpr std::size_t kBatchKept = 64;
  static constexpr int kDirectRounds = 4;  ///< chunks pump writes directly before yielding
  std::vector<SharedBytes> streamOut_;
  std::vector<net::const_buffer> streamBufs_;
  // A chunk staged on the thread's send ring (stage): its buffers as the kernel reads them.
  std::vector<iovec> stagedIov_;
  msghdr stagedMsg_{};
  bool stagedMore_ = false;
  // What send is writing: the head, the body's segments and their buffer list.
  std::string head_;
  std::vector<SharedBytes> out_;
  std::vector<net::const_buffer> outBufs_;
  bool writing_ = false;
  bool peerGone_ = false;
  // scratch_ receives bytes nobody needs: a refused request's rest (drain) and whatever arrives
  // while a stream is written (watchPeer). Allocated when first needed, as small as will do: a
  // member array of 16 KiB cost every connection, every watch, 16 KiB of RSS.
  std::vector<char> scratch_;
  std::size_t drained_ = 0;

  net::mutable_buffer scratch(std::size_t n) {
    if (scratch_.size() < n) scratch_.resize(n);
    return net::buffer(scratch_.data(), n);
  }
};

}  // namespace

void HttpServer::Impl::accept() {
  // The connection's context is run by one thread: its executor is a strand as it is.
  net::io_context& ctx = io.next();
  acceptor.async_accept(ctx, [self = shared_from_this(), &ctx](beast::error_code ec,
                                                               tcp::socket socket) {
    if (ec == net::error::operation_aborted || !self->acceptor.is_open())
      return;
    if (!ec) {
      if (self->sslCtx) {
        std::make_shared<Session<true>>(std::move(socket), ctx, self)->run();
      } else {
        std::make_shared<Session<false>>(std::move(socket), ctx, self)->run();
      }
    } else {
      self->log.warn("accept: " + ec.message());
    }
    self->accept();
  });
}

HttpServer::HttpServer(IoContexts& io, Handler& root, HttpServerOptions options, Logger& logger)
    : impl_(std::make_shared<Impl>(io, root, std::move(options), logger)) {}

HttpServer::~HttpServer() { stopAccepting(); }

std::shared_ptr<const Connection> HttpServer::Impl::connectionOf(SSL* ssl) const {
  X509* leaf = SSL_get0_peer_certificate(ssl);
  if (leaf == nullptr) return tlsConnection;
  std::vector<std::string> chain{tls::detail::toDer(leaf)};
  // On the server side the peer chain holds the intermediates the client sent, not the leaf.
  if (STACK_OF(X509)* rest = SSL_get_peer_cert_chain(ssl))
    for (int i = 0; i < sk_X509_num(rest); ++i)
      if (X509_cmp(sk_X509_value(rest, i), leaf) != 0) chain.push_back(tls::detail::toDer(sk_X509_value(rest, i)));
  auto peer = std::make_shared<PeerCertificate>();
  if (auto subject = tls::subjectOf(chain.front())) {
    peer->commonName = std::move(subject->commonName);
    peer->organizations = std::move(subject->organizations);
  }
  for (const auto& [name, pool] : opts.tls->clientCaBundles) {
    if (auto ok = pool->verifyClient(chain)) {
      peer->verifiedBy.push_back(name);
    } else {
      peer->verifyErrors.emplace(name, ok.error().message);
    }
  }
  auto conn = std::make_shared<Connection>();
  conn->tls = true;
  conn->peerCertificate = std::move(peer);
  return conn;
}

Result<std::uint16_t> HttpServer::listen() {
  if (impl_->opts.tls && !impl_->sslCtx) {
    auto ctx = makeSslContext(*impl_->opts.tls);
    if (!ctx) return fail(std::move(ctx).error());
    impl_->sslCtx = std::move(*ctx);
  }
  beast::error_code ec;
  auto addr = net::ip::make_address(impl_->opts.bindAddress, ec);
  if (ec) return fail(ApiError::badRequest("invalid bind address \"" + impl_->opts.bindAddress + "\": " + ec.message()));
  tcp::endpoint ep(addr, impl_->opts.port);
  auto step = [&](const char* what) -> Result<std::uint16_t> {
    return fail(ApiError::serviceUnavailable(std::string(what) + " " + impl_->opts.bindAddress + ":" +
                                             std::to_string(impl_->opts.port) + ": " + ec.message()));
  };
  impl_->acceptor.open(ep.protocol(), ec);
  if (ec) return step("open");
  impl_->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) return step("set_option");
  impl_->acceptor.bind(ep, ec);
  if (ec) return step("bind");
  impl_->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return step("listen");
  const auto port = impl_->acceptor.local_endpoint(ec).port();
  net::dispatch(impl_->acceptor.get_executor(), [self = impl_] { self->accept(); });
  return port;
}

void HttpServer::stopAccepting() {
  net::dispatch(impl_->acceptor.get_executor(), [self = impl_] {
    beast::error_code ec;
    self->acceptor.close(ec);
  });
}

void HttpServer::endStreams() {
  std::set<std::shared_ptr<BodyStream>> streams;
  {
    std::lock_guard lock(impl_->streamsMu);
    impl_->endingStreams = true;
    streams = impl_->streams;
  }
  for (const auto& s : streams) s->cancel();
}

std::size_t HttpServer::inFlight() const { return impl_->inFlight.load(); }

}  // namespace apiserver::server
