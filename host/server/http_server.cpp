#include "server/http_server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <vector>

namespace apiserver::server {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

/// SegmentsBody is a Beast body made of shared immutable segments: the bytes of cached objects
/// go to the socket without being copied.
struct SegmentsBody {
  using value_type = std::vector<SharedBytes>;

  static std::uint64_t size(const value_type& v) {
    std::uint64_t n = 0;
    for (const auto& s : v) n += s->size();
    return n;
  }

  class writer {
   public:
    using const_buffers_type = std::vector<net::const_buffer>;

    template <bool isRequest, class Fields>
    writer(const http::header<isRequest, Fields>&, const value_type& body) : body_(body) {}

    void init(beast::error_code& ec) { ec = {}; }

    boost::optional<std::pair<const_buffers_type, bool>> get(beast::error_code& ec) {
      ec = {};
      if (next_ >= body_.size()) return boost::none;
      static constexpr std::size_t kBatch = 256;  // well below IOV_MAX
      const std::size_t end = std::min(body_.size(), next_ + kBatch);
      const_buffers_type bufs;
      bufs.reserve(end - next_);
      for (; next_ < end; ++next_)
        if (!body_[next_]->empty()) bufs.emplace_back(body_[next_]->data(), body_[next_]->size());
      return std::make_pair(std::move(bufs), next_ < body_.size());
    }

   private:
    const value_type& body_;
    std::size_t next_ = 0;
  };
};

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

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(net::io_context& ioc, Handler& root, HttpServerOptions options, Logger& logger)
      : ioc(ioc), root(root), opts(std::move(options)), log(logger), acceptor(net::make_strand(ioc)) {}

  void accept();
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

  net::io_context& ioc;
  Handler& root;
  HttpServerOptions opts;
  Logger& log;
  tcp::acceptor acceptor;
  std::atomic<std::size_t> inFlight{0};
  std::mutex streamsMu;
  std::set<std::shared_ptr<BodyStream>> streams;
  bool endingStreams = false;
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, std::shared_ptr<HttpServer::Impl> server)
      : stream_(std::move(socket)), server_(std::move(server)), timer_(stream_.get_executor()) {}

  void run() {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
    stream_.socket().set_option(tcp::no_delay(true), ec);
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::doRead, shared_from_this()));
  }

 private:
  void doRead() {
    parser_.emplace();
    parser_->body_limit(server_->opts.maxRequestBodyBytes);
    parser_->header_limit(static_cast<std::uint32_t>(server_->opts.maxHeaderBytes));
    stream_.expires_after(server_->opts.idleTimeout);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::onRead, shared_from_this()));
  }

  void onRead(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream || ec == net::error::eof || ec == beast::error::timeout ||
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
    auto url = boost::urls::parse_origin_form(req.target);
    if (!url) {
      keepAlive_ = false;
      return send(statusResponse(ApiError::badRequest("malformed request target")));
    }
    req.path = url->path();
    for (auto p : url->params()) req.query.items.emplace_back(p.key, p.has_value ? p.value : std::string());
    BeastHeaders headers(msg.base());
    req.headers = &headers;
    req.body = std::move(msg.body());
    req.remoteAddress = remote_;

    ++server_->inFlight;
    Response res = server_->root.serve(req);
    req.headers = nullptr;
    if (res.stream) return startStream(std::move(res));
    --server_->inFlight;
    send(std::move(res));
  }

  template <class Body>
  void setHeaders(http::response<Body>& out, const Response& res) {
    out.set(http::field::content_type, res.contentType);
    out.set(http::field::cache_control, "no-cache, private");
    for (const auto& [k, v] : res.headers) {
      if (beast::iequals(k, "Cache-Control")) {
        out.set(http::field::cache_control, v);
      } else {
        out.insert(k, v);
      }
    }
  }

  void send(Response res) {
    auto out = std::make_shared<http::response<SegmentsBody>>(static_cast<http::status>(res.status), version_);
    setHeaders(*out, res);
    out->body() = std::move(res.body);
    out->keep_alive(keepAlive_);
    // 304 and 204 carry no body and no Content-Length (a 304's length would be the 200's).
    if (res.status != 304 && res.status != 204) out->prepare_payload();
    http::async_write(stream_, *out, [self = shared_from_this(), out](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      if (!self->keepAlive_) return self->lingerClose();
      self->doRead();
    });
  }

  // lingerClose ends a connection whose request was refused before its body was read (413, 400):
  // it stops sending, then reads and discards what the client still sends, so that the client
  // gets to read the answer instead of a connection reset (nginx's lingering close).
  void lingerClose() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(5));
    drained_ = 0;
    drain();
  }

  void drain() {
    stream_.async_read_some(net::buffer(peerBuf_), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->drained_ += n;
      if (ec || self->drained_ > 2 * self->server_->opts.maxRequestBodyBytes + (1 << 20)) return self->close();
      self->drain();
    });
  }

  // sendFinal answers and closes the connection (after an unreadable request).
  void sendFinal(Response res) {
    keepAlive_ = false;
    version_ = 11;
    send(std::move(res));
  }

  // ---- long-running responses

  void startStream(Response res) {
    body_ = std::move(res.stream);
    server_->registerStream(body_);
    auto hdr = std::make_shared<http::response<http::empty_body>>(static_cast<http::status>(res.status), version_);
    setHeaders(*hdr, res);
    hdr->keep_alive(false);  // the connection ends with the stream
    hdr->chunked(true);
    auto sr = std::make_shared<http::response_serializer<http::empty_body>>(*hdr);
    stream_.expires_never();
    http::async_write_header(stream_, *sr, [self = shared_from_this(), hdr, sr](beast::error_code ec, std::size_t) {
      if (ec) return self->endStream();
      self->watchPeer();
      if (self->deadline_ != std::chrono::steady_clock::time_point::max()) self->armDeadline();
      std::weak_ptr<Session> weak = self;
      self->body_->start([weak] {
        if (auto s = weak.lock()) s->wake();
      });
    });
    deadline_ = res.streamDeadline;
  }

  void wake() {
    if (wakePending_.exchange(true)) return;
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      self->wakePending_ = false;
      self->pump();
    });
  }

  void armDeadline() {
    timer_.expires_at(deadline_);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || !self->body_) return;
      self->body_->cancel();
      self->pump();
    });
  }

  // watchPeer reads from the client while streaming: the client sends nothing more, so any
  // completion means it closed (or broke) the connection.
  void watchPeer() {
    stream_.socket().async_read_some(net::buffer(peerBuf_), [self = shared_from_this()](beast::error_code, std::size_t) {
      if (self->body_) self->body_->cancel();
      self->peerGone_ = true;
      self->pump();
    });
  }

  void pump() {
    if (!body_ || writing_) return;
    std::vector<SharedBytes> out;
    const bool more = body_->poll(out) && !peerGone_;
    if (peerGone_) return endStream();
    if (!out.empty()) {
      writing_ = true;
      std::vector<net::const_buffer> bufs;
      bufs.reserve(out.size());
      for (const auto& b : out) bufs.emplace_back(b->data(), b->size());
      auto keep = std::make_shared<std::vector<SharedBytes>>(std::move(out));
      net::async_write(stream_, http::make_chunk(bufs),
                       [self = shared_from_this(), keep, more](beast::error_code ec, std::size_t) {
                         self->writing_ = false;
                         if (ec) return self->endStream();
                         if (!more) return self->finishStream();
                         self->pump();
                       });
      return;
    }
    if (!more) finishStream();
  }

  void finishStream() {
    writing_ = true;
    net::async_write(stream_, http::make_chunk_last(), [self = shared_from_this()](beast::error_code, std::size_t) {
      self->endStream();
    });
  }

  void endStream() {
    if (!body_) return;
    body_->cancel();
    server_->unregisterStream(body_);
    body_.reset();
    --server_->inFlight;
    timer_.cancel();
    close();
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::shared_ptr<HttpServer::Impl> server_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string remote_;
  bool keepAlive_ = true;
  unsigned version_ = 11;

  std::shared_ptr<BodyStream> body_;
  net::steady_timer timer_;
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  std::atomic<bool> wakePending_{false};
  bool writing_ = false;
  bool peerGone_ = false;
  std::array<char, 16384> peerBuf_{};
  std::size_t drained_ = 0;
};

}  // namespace

void HttpServer::Impl::accept() {
  acceptor.async_accept(net::make_strand(ioc), [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !self->acceptor.is_open()) return;
    if (!ec) {
      std::make_shared<Session>(std::move(socket), self)->run();
    } else {
      self->log.warn("accept: " + ec.message());
    }
    self->accept();
  });
}

HttpServer::HttpServer(net::io_context& ioc, Handler& root, HttpServerOptions options, Logger& logger)
    : impl_(std::make_shared<Impl>(ioc, root, std::move(options), logger)) {}

HttpServer::~HttpServer() { stopAccepting(); }

Result<std::uint16_t> HttpServer::listen() {
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
