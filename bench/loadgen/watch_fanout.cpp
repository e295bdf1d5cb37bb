#include "watch_fanout.h"

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "histogram.h"
#include "util.h"

namespace bench {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr std::string_view kMarker = R"("bench-sent-ns":")";
constexpr std::size_t kMaxLine = 16 << 20;

std::pair<unsigned, std::string> getSync(const std::string& host, unsigned short port,
                                         const std::string& target) {
  net::io_context ioc;
  tcp::socket s(ioc);
  s.connect(tcp::endpoint(net::ip::make_address(host), port));
  http::request<http::empty_body> req(http::verb::get, target, 11);
  req.set(http::field::host, host);
  req.set(http::field::accept, "application/json");
  http::write(s, req);
  beast::flat_buffer buf;
  http::response_parser<http::string_body> p;
  p.body_limit(boost::none);
  http::read(s, buf, p);
  beast::error_code ec;
  s.shutdown(tcp::socket::shutdown_both, ec);
  return {p.get().result_int(), p.get().body()};
}

struct Stats {
  Histogram delivery;
  std::uint64_t events = 0;          // every event line received
  std::uint64_t measuredEvents = 0;  // events of updates due inside the window
  std::uint64_t errorEvents = 0;
};

struct Watcher {
  explicit Watcher(net::io_context& ioc) : sock(ioc) {}
  enum class State { kIdle, kConnecting, kHeaders, kStreaming, kEnded };
  enum class Chunk { kSize, kData, kDataEnd };
  tcp::socket sock;  // until the request is sent; then `fd`, read by readLoop
  int fd = -1;
  State state = State::kIdle;
  Chunk chunk = Chunk::kSize;
  bool chunked = false;
  bool inExtension = false;
  std::uint64_t chunkLeft = 0;
  std::string carry;  // response headers, then the partial event line
};

struct WriterConn {
  explicit WriterConn(net::io_context& ioc) : sock(ioc) {}
  tcp::socket sock;
  beast::flat_buffer buf;
  http::request<http::string_body> req;
  std::optional<http::response_parser<http::string_body>> parser;
  std::uint64_t dueNs = 0;
};

class Fanout {
 public:
  explicit Fanout(const WatchOptions& o)
      : o_(o), ioc_(o.threads), writerIoc_(1), endpoint_(net::ip::make_address(o.host), o.port) {}

  boost::json::object run();

 private:
  Stats& stats() {
    if (!tlsStats_) {
      std::lock_guard lock(mu_);
      allStats_.push_back(std::make_unique<Stats>());
      tlsStats_ = allStats_.back().get();
    }
    return *tlsStats_;
  }

  // Watchers.
  void openNext();
  void opened(Watcher* w, bool ok);
  // stream hands a watch whose request is sent to one of the epoll sets (readLoop).
  void stream(Watcher* w);
  // readLoop reads the watches of one epoll set, their response heads and then their events,
  // until the run stops: each ready socket until a read comes back short (its queue is empty;
  // new bytes raise a new edge), so a delivered event costs the load generator one recv. Through
  // Asio it cost two: the event's, and the speculative one of the next async_read_some, which
  // finds the socket empty.
  void readLoop(int epfd);
  // readStream reads a ready watch and tells whether it may hold more (it read 8 full buffers).
  bool readStream(Watcher* w);
  void ended(Watcher* w);
  void feed(Watcher* w, const char* p, std::size_t n, std::uint64_t now);
  void body(Watcher* w, const char* p, std::size_t n, std::uint64_t now);
  void event(const char* p, std::size_t n, std::uint64_t now);

  // Writer.
  void tick();
  void write(WriterConn* c, std::uint64_t dueNs);
  void writerFree(WriterConn* c);

  const WatchOptions& o_;
  net::io_context ioc_;  // the watches
  // The writer runs on a thread of its own, so that updates go out on time however busy the
  // threads reading the watches are (its send lag is reported).
  net::io_context writerIoc_;
  tcp::endpoint endpoint_;
  std::string watchRequest_;
  Template objectPath_;
  Template body_;

  std::vector<std::unique_ptr<Watcher>> watchers_;
  std::vector<int> readers_;  // one epoll set per thread reading watches
  std::atomic<bool> stopping_{false};
  std::size_t nextToOpen_ = 0;
  std::atomic<int> established_{0};
  std::atomic<int> failedToOpen_{0};
  std::atomic<int> endedEarly_{0};
  std::atomic<int> opening_{0};
  std::atomic<std::uint64_t> measuredTotal_{0};

  std::mutex mu_;  // guards allStats_, the writer's queue and its stats
  std::vector<std::unique_ptr<Stats>> allStats_;
  static thread_local Stats* tlsStats_;

  std::vector<std::unique_ptr<WriterConn>> writers_;
  std::deque<WriterConn*> idleWriters_;
  std::deque<std::uint64_t> pendingWrites_;
  std::unique_ptr<net::steady_timer> tick_;
  std::uint64_t k_ = 0;
  std::uint64_t writerStartNs_ = 0;
  std::uint64_t measureStartNs_ = UINT64_MAX;
  std::uint64_t measureEndNs_ = UINT64_MAX;
  bool generating_ = false;
  Histogram writeLatency_;
  Histogram sendLag_;  // from an update's due time to its actual send: the writer's own queueing
  std::uint64_t dueInWindow_ = 0;
  std::atomic<std::uint64_t> seq_{0};
  std::uint64_t writesOk_ = 0;
  std::uint64_t writesOkInWindow_ = 0;
  std::uint64_t writeErrors_ = 0;
  std::string firstWriteError_;
  std::string firstWatchError_;
};

thread_local Stats* Fanout::tlsStats_ = nullptr;
thread_local std::vector<char> tlsBuf(256 * 1024);

void Fanout::openNext() {
  // Called with nothing held; keeps up to connectParallel connections opening.
  for (;;) {
    std::size_t i;
    {
      std::lock_guard lock(mu_);
      if (nextToOpen_ >= watchers_.size() || opening_.load() >= o_.connectParallel)
        return;
      i = nextToOpen_++;
      ++opening_;
    }
    Watcher* w = watchers_[i].get();
    w->state = Watcher::State::kConnecting;
    w->sock.async_connect(endpoint_, [this, w](beast::error_code ec) {
      if (ec) {
        std::lock_guard lock(mu_);
        if (firstWatchError_.empty())
          firstWatchError_ = "connect: " + ec.message();
        return opened(w, false);
      }
      w->sock.set_option(tcp::no_delay(true));
      net::async_write(w->sock, net::buffer(watchRequest_),
                       [this, w](beast::error_code ec2, std::size_t) {
                         if (ec2)
                           return opened(w, false);
                         w->state = Watcher::State::kHeaders;
                         stream(w);
                       });
    });
  }
}

void Fanout::opened(Watcher* w, bool ok) {
  if (ok) {
    ++established_;
  } else {
    ++failedToOpen_;
    w->state = Watcher::State::kEnded;
    beast::error_code ec;
    w->sock.close(ec);
  }
  --opening_;
  openNext();
}

void Fanout::stream(Watcher* w) {
  beast::error_code ec;
  const int fd = w->sock.release(ec);
  if (ec)
    return ended(w);
  w->fd = fd;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = w;
  const int epfd = readers_[static_cast<std::size_t>(fd) % readers_.size()];
  if (::epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
    ended(w);
}

void Fanout::readLoop(int epfd) {
  std::array<epoll_event, 256> events;
  std::vector<Watcher*> busy, stillBusy;
  while (!stopping_.load(std::memory_order_relaxed)) {
    const int k =
        ::epoll_wait(epfd, events.data(), static_cast<int>(events.size()), busy.empty() ? 50 : 0);
    for (int i = 0; i < k; ++i) {
      auto* w = static_cast<Watcher*>(events[static_cast<std::size_t>(i)].data.ptr);
      if (readStream(w))
        stillBusy.push_back(w);
    }
    for (Watcher* w : busy)
      if (readStream(w))
        stillBusy.push_back(w);
    busy.swap(stillBusy);
    stillBusy.clear();
  }
}

bool Fanout::readStream(Watcher* w) {
  auto& buf = tlsBuf;
  for (int round = 0; round < 8; ++round) {
    if (w->state == Watcher::State::kEnded)
      return false;  // ended by an earlier read
    const ssize_t n = ::recv(w->fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return false;
    if (n <= 0) {
      ended(w);
      return false;
    }
    feed(w, buf.data(), static_cast<std::size_t>(n), nowNs());
    if (static_cast<std::size_t>(n) < buf.size())
      return false;
  }
  return w->state != Watcher::State::kEnded;  // a very busy stream: the others first
}

void Fanout::ended(Watcher* w) {
  const Watcher::State was = w->state;
  w->state = Watcher::State::kEnded;
  beast::error_code ec;
  w->sock.close(ec);
  if (w->fd >= 0) {
    ::close(w->fd);
    w->fd = -1;
  }
  if (was == Watcher::State::kHeaders)
    return opened(w, false);
  if (was == Watcher::State::kStreaming)
    ++endedEarly_;
}

void Fanout::feed(Watcher* w, const char* p, std::size_t n, std::uint64_t now) {
  if (w->state == Watcher::State::kHeaders) {
    const std::size_t before = w->carry.size();
    w->carry.append(p, n);
    const auto end = w->carry.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (w->carry.size() > 64 * 1024)
        ended(w);
      return;
    }
    std::string head = w->carry.substr(0, end);
    for (auto& c : head)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (head.rfind("http/1.1 200", 0) != 0) {
      {
        std::lock_guard lock(mu_);  // (let go before opened, which takes it again)
        if (firstWatchError_.empty())
          firstWatchError_ = w->carry.substr(0, 300);
      }
      return ended(w);
    }
    w->chunked = head.find("transfer-encoding: chunked") != std::string::npos;
    w->state = Watcher::State::kStreaming;
    const std::size_t consumed = end + 4 - before;  // bytes of p that were headers
    w->carry.clear();
    w->carry.shrink_to_fit();
    opened(w, true);
    p += consumed;
    n -= consumed;
    if (n == 0)
      return;
  }
  if (!w->chunked)
    return body(w, p, n, now);
  while (n > 0) {
    switch (w->chunk) {
      case Watcher::Chunk::kSize: {
        const char c = *p++;
        --n;
        if (c == '\n') {
          if (w->chunkLeft == 0)
            return ended(w);  // the last chunk: the server ended the watch
          w->chunk = Watcher::Chunk::kData;
          w->inExtension = false;
        } else if (c == ';') {
          w->inExtension = true;
        } else if (!w->inExtension && c != '\r') {
          const int d = std::isdigit(static_cast<unsigned char>(c))
                            ? c - '0'
                            : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
          w->chunkLeft = w->chunkLeft * 16 + static_cast<std::uint64_t>(d);
        }
        break;
      }
      case Watcher::Chunk::kData: {
        const std::size_t m = static_cast<std::size_t>(std::min<std::uint64_t>(n, w->chunkLeft));
        body(w, p, m, now);
        p += m;
        n -= m;
        w->chunkLeft -= m;
        if (w->chunkLeft == 0)
          w->chunk = Watcher::Chunk::kDataEnd;
        break;
      }
      case Watcher::Chunk::kDataEnd: {
        const char c = *p++;
        --n;
        if (c == '\n')
          w->chunk = Watcher::Chunk::kSize;
        break;
      }
    }
  }
}

void Fanout::body(Watcher* w, const char* p, std::size_t n, std::uint64_t now) {
  while (n > 0) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', n));
    if (!nl) {
      if (w->carry.size() + n > kMaxLine)
        return ended(w);
      w->carry.append(p, n);
      return;
    }
    const std::size_t len = static_cast<std::size_t>(nl - p);
    if (w->carry.empty()) {
      event(p, len, now);
    } else {
      w->carry.append(p, len);
      event(w->carry.data(), w->carry.size(), now);
      w->carry.clear();
    }
    p = nl + 1;
    n -= len + 1;
  }
}

void Fanout::event(const char* p, std::size_t n, std::uint64_t now) {
  if (n == 0)
    return;
  Stats& s = stats();
  ++s.events;
  std::string_view line(p, n);
  if (line.starts_with(R"({"type":"ERROR")")) {
    ++s.errorEvents;
    std::lock_guard lock(mu_);
    if (firstWatchError_.empty())
      firstWatchError_ = std::string(line.substr(0, 300));
    return;
  }
  const auto at = line.find(kMarker);
  if (at == std::string_view::npos)
    return;
  std::uint64_t ts = 0;
  for (std::size_t i = at + kMarker.size(); i < n && p[i] >= '0' && p[i] <= '9'; ++i)
    ts = ts * 10 + static_cast<std::uint64_t>(p[i] - '0');
  if (ts < measureStartNs_ || ts >= measureEndNs_)
    return;
  ++s.measuredEvents;
  measuredTotal_.fetch_add(1, std::memory_order_relaxed);
  s.delivery.record(now > ts ? now - ts : 0);
}

void Fanout::tick() {
  const std::uint64_t now = nowNs();
  std::vector<std::pair<WriterConn*, std::uint64_t>> toSend;
  {
    std::lock_guard lock(mu_);
    if (!generating_)
      return;
    const double perNs = o_.rate / 1e9;
    for (;;) {
      const auto due = writerStartNs_ + static_cast<std::uint64_t>(static_cast<double>(k_) / perNs);
      if (due >= measureEndNs_) {
        generating_ = false;
        break;
      }
      if (due > now) {
        tick_->expires_at(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(due)));
        tick_->async_wait([this](beast::error_code ec) {
          if (!ec)
            tick();
        });
        break;
      }
      ++k_;
      if (due >= measureStartNs_)
        ++dueInWindow_;
      if (!idleWriters_.empty()) {
        toSend.emplace_back(idleWriters_.front(), due);
        idleWriters_.pop_front();
      } else {
        pendingWrites_.push_back(due);
      }
    }
  }
  for (auto& [c, due] : toSend)
    write(c, due);
}

void Fanout::write(WriterConn* c, std::uint64_t dueNs) {
  c->dueNs = dueNs;
  const std::uint64_t index = seq_.fetch_add(1) % static_cast<std::uint64_t>(o_.objects);
  if (dueNs >= measureStartNs_ && dueNs < measureEndNs_) {
    std::lock_guard lock(mu_);
    sendLag_.record(nowNs() - dueNs);
  }
  std::string target;
  objectPath_.render(target, index, 0, dueNs);
  c->req = {};
  c->req.version(11);
  c->req.method(http::verb::put);
  c->req.target(target);
  c->req.set(http::field::host, o_.host);
  c->req.set(http::field::content_type, "application/json");
  c->req.set(http::field::accept, "application/json");
  body_.render(c->req.body(), index, 0, dueNs);
  c->req.prepare_payload();
  http::async_write(c->sock, c->req, [this, c](beast::error_code ec, std::size_t) {
    if (ec) {
      std::lock_guard lock(mu_);
      ++writeErrors_;
      if (firstWriteError_.empty())
        firstWriteError_ = "write: " + ec.message();
      return;  // this writer is gone
    }
    c->parser.emplace();
    c->parser->body_limit(boost::none);
    http::async_read(c->sock, c->buf, *c->parser, [this, c](beast::error_code ec2, std::size_t) {
      const std::uint64_t now = nowNs();
      std::lock_guard lock(mu_);
      if (ec2) {
        ++writeErrors_;
        if (firstWriteError_.empty())
          firstWriteError_ = "read: " + ec2.message();
        return;
      }
      const unsigned status = c->parser->get().result_int();
      if (isSuccess(status)) {
        ++writesOk_;
        if (c->dueNs >= measureStartNs_ && c->dueNs < measureEndNs_) {
          ++writesOkInWindow_;
          writeLatency_.record(now - c->dueNs);
        }
      } else {
        ++writeErrors_;
        if (firstWriteError_.empty())
          firstWriteError_ =
              "HTTP " + std::to_string(status) + ": " + c->parser->get().body().substr(0, 300);
      }
      if (!pendingWrites_.empty()) {
        const auto due = pendingWrites_.front();
        pendingWrites_.pop_front();
        net::post(writerIoc_, [this, c, due] { write(c, due); });
      } else {
        idleWriters_.push_back(c);
      }
    });
  });
}

boost::json::object Fanout::run() {
  objectPath_ = Template(o_.objectPath);
  body_ = Template(readFile(o_.bodyFile));

  // The watches start at the current revision: no initial ADDED events.
  auto [status, list] = getSync(o_.host, o_.port, o_.watchPath + "?limit=1");
  if (status != 200)
    throw std::runtime_error("list " + o_.watchPath + ": HTTP " + std::to_string(status));
  const auto doc = boost::json::parse(list);
  const std::string rv(doc.at("metadata").at("resourceVersion").as_string());
  watchRequest_ = "GET " + o_.watchPath + "?watch=true&resourceVersion=" + rv +
                  "&timeoutSeconds=3600 HTTP/1.1\r\nHost: " + o_.host +
                  "\r\nAccept: application/json\r\nUser-Agent: bench-loadgen\r\n\r\n";

  const long rssBefore = readRssKib(o_.serverPid);
  const double selfCpu0 = selfCpuSeconds();
  for (int i = 0; i < o_.watchers; ++i)
    watchers_.push_back(std::make_unique<Watcher>(ioc_));
  auto work = net::make_work_guard(ioc_);
  auto writerWork = net::make_work_guard(writerIoc_);
  std::vector<std::thread> threads;
  for (int i = 0; i < o_.threads; ++i) {
    const int epfd = ::epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0)
      throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
    readers_.push_back(epfd);
  }
  for (int i = 0; i < o_.threads; ++i)
    threads.emplace_back([this] { ioc_.run(); });
  for (const int epfd : readers_)
    threads.emplace_back([this, epfd] { readLoop(epfd); });
  threads.emplace_back([this] { writerIoc_.run(); });
  auto stopAll = [&] {
    stopping_ = true;
    work.reset();
    writerWork.reset();
    ioc_.stop();
    writerIoc_.stop();
    for (auto& t : threads)
      t.join();
  };

  const std::uint64_t t0 = nowNs();
  net::post(ioc_, [this] { openNext(); });
  std::uint64_t lastReport = t0;
  while (established_ + failedToOpen_ < o_.watchers) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const std::uint64_t now = nowNs();
    if (o_.progress && now - lastReport > 1000000000) {
      std::cerr << "  [loadgen] watchers open: " << established_ << "/" << o_.watchers
                << " (failed " << failedToOpen_ << ")" << std::endl;
      lastReport = now;
    }
    if (now - t0 > static_cast<std::uint64_t>(o_.establishTimeoutS * 1e9))
      break;
  }
  const double establishS = static_cast<double>(nowNs() - t0) / 1e9;
  std::this_thread::sleep_for(std::chrono::seconds(1));  // let the server settle
  const long rssEstablished = readRssKib(o_.serverPid);
  const int established = established_.load();

  // Writers.
  for (int i = 0; i < o_.writers; ++i) {
    auto c = std::make_unique<WriterConn>(writerIoc_);
    beast::error_code ec;
    c->sock.connect(endpoint_, ec);
    if (ec)
      throw std::runtime_error("writer connect: " + ec.message());
    c->sock.set_option(tcp::no_delay(true));
    idleWriters_.push_back(c.get());
    writers_.push_back(std::move(c));
  }
  const double cpu0 = readCpuSeconds(o_.serverPid);
  {
    std::lock_guard lock(mu_);
    writerStartNs_ = nowNs();
    measureStartNs_ = writerStartNs_ + static_cast<std::uint64_t>(o_.warmupS * 1e9);
    measureEndNs_ = measureStartNs_ + static_cast<std::uint64_t>(o_.durationS * 1e9);
    generating_ = true;
  }
  tick_ = std::make_unique<net::steady_timer>(writerIoc_);
  net::post(writerIoc_, [this] { tick(); });
  // Wait for the window, then for the events of its updates (or the drain time).
  std::uint64_t lastEvents = 0;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const std::uint64_t now = nowNs();
    std::uint64_t okInWindow, dueInWindow;
    {
      std::lock_guard lock(mu_);
      okInWindow = writesOkInWindow_;
      dueInWindow = dueInWindow_;
    }
    const std::uint64_t delivered = measuredTotal_.load();
    if (o_.progress && now - lastReport > 1000000000) {
      std::cerr << "  [loadgen] " << (now - writerStartNs_) / 1000000000 << "s: updates "
                << okInWindow << ", events " << delivered << " (+" << delivered - lastEvents
                << "), watches ended " << endedEarly_ << std::endl;
      lastEvents = delivered;
      lastReport = now;
    }
    if (now < measureEndNs_)
      continue;
    bool writesDone;
    {
      std::lock_guard lock(mu_);
      writesDone = !generating_ && pendingWrites_.empty() && idleWriters_.size() == writers_.size();
    }
    const int alive = established - endedEarly_.load();
    if (writesDone && okInWindow >= dueInWindow &&
        delivered >= okInWindow * static_cast<std::uint64_t>(std::max(alive, 0)))
      break;
    if (now > measureEndNs_ + static_cast<std::uint64_t>(o_.drainS * 1e9))
      break;
  }
  const double serverCpu = cpu0 < 0 ? -1.0 : readCpuSeconds(o_.serverPid) - cpu0;
  const long rssEnd = readRssKib(o_.serverPid);
  stopAll();
  for (auto& w : watchers_) {
    beast::error_code ec;
    w->sock.close(ec);
    if (w->fd >= 0)
      ::close(w->fd);
  }
  for (const int epfd : readers_)
    ::close(epfd);

  Stats total;
  for (const auto& s : allStats_) {
    total.delivery.merge(s->delivery);
    total.events += s->events;
    total.measuredEvents += s->measuredEvents;
    total.errorEvents += s->errorEvents;
  }
  // Every update due in the window should reach every watcher: one that was never applied
  // (the server did not answer it in time) counts as undelivered.
  const std::uint64_t expected = dueInWindow_ * static_cast<std::uint64_t>(established);
  boost::json::object r;
  r["mode"] = "watch";
  r["watchers"] = o_.watchers;
  r["established"] = established;
  r["failed_to_open"] = failedToOpen_.load();
  r["ended_early"] = endedEarly_.load();
  r["establish_s"] = establishS;
  r["rate_target"] = o_.rate;
  r["window_s"] = o_.durationS;
  r["updates_ok"] = writesOk_;
  r["updates_due_in_window"] = dueInWindow_;
  r["send_lag"] = sendLag_.toJson();
  r["updates_in_window"] = writesOkInWindow_;
  r["update_errors"] = writeErrors_;
  r["update_rate"] = static_cast<double>(writesOkInWindow_) / o_.durationS;
  r["update_latency"] = writeLatency_.toJson();
  r["events_total"] = total.events;
  r["events_expected"] = expected;
  r["events_delivered"] = total.measuredEvents;
  r["delivered_fraction"] =
      expected ? static_cast<double>(total.measuredEvents) / static_cast<double>(expected) : 0.0;
  r["error_events"] = total.errorEvents;
  r["delivery"] = total.delivery.toJson();
  boost::json::object server;
  server["pid"] = o_.serverPid;
  server["rss_before_kib"] = rssBefore;
  server["rss_established_kib"] = rssEstablished;
  server["rss_end_kib"] = rssEnd;
  server["cpu_s"] = serverCpu;
  if (rssBefore > 0)
    server["rss_growth_end_kib"] = rssEnd - rssBefore;
  if (established > 0 && rssBefore > 0) {
    server["kib_per_watcher_established"] =
        static_cast<double>(rssEstablished - rssBefore) / established;
    server["kib_per_watcher_end"] = static_cast<double>(rssEnd - rssBefore) / established;
  }
  r["server"] = std::move(server);
  r["loadgen_cpu_s"] = selfCpuSeconds() - selfCpu0;
  if (!firstWatchError_.empty())
    r["first_watch_error"] = firstWatchError_;
  if (!firstWriteError_.empty())
    r["first_write_error"] = firstWriteError_;
  return r;
}

}  // namespace

boost::json::object runWatch(const WatchOptions& options) {
  if (options.watchers < 0 || options.rate <= 0 || options.writers < 1 || options.objects < 1)
    throw std::runtime_error(
        "--rate, --writers and --objects must be positive, --watchers not negative");
  Fanout f(options);
  return f.run();
}

}  // namespace bench
