#include "http_load.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <deque>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "histogram.h"

namespace bench {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

RequestSpec parseRequestSpec(const std::string& spec) {
  std::istringstream in(spec);
  RequestSpec r;
  std::string target, body;
  if (!(in >> r.weight >> r.method >> target))
    throw std::runtime_error("request spec \"" + spec +
                             "\": expected WEIGHT METHOD TARGET [@FILE]");
  r.target = Template(target);
  if (in >> body) {
    if (body.empty() || body[0] != '@')
      throw std::runtime_error("request spec \"" + spec + "\": the body is @FILE");
    r.body = Template(readFile(body.substr(1)));
  }
  if (r.weight <= 0)
    throw std::runtime_error("request spec \"" + spec + "\": weight must be > 0");
  return r;
}

namespace {

// A response body that is counted and dropped (a LIST answer is 12 MB), keeping only its first
// bytes for error messages.
struct CountingBody {
  struct value_type {
    std::uint64_t size = 0;
    std::string head;
  };
  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(http::header<isRequest, Fields>&, value_type& v) : v_(v) {}
    void init(const boost::optional<std::uint64_t>&, beast::error_code& ec) {
      v_.size = 0;
      v_.head.clear();
      ec = {};
    }
    template <class Buffers>
    std::size_t put(const Buffers& buffers, beast::error_code& ec) {
      std::size_t n = 0;
      for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers);
           ++it) {
        net::const_buffer b = *it;
        if (v_.head.size() < 512)
          v_.head.append(static_cast<const char*>(b.data()),
                         std::min<std::size_t>(b.size(), 512 - v_.head.size()));
        n += b.size();
      }
      v_.size += n;
      ec = {};
      return n;
    }
    void finish(beast::error_code& ec) { ec = {}; }

   private:
    value_type& v_;
  };
};

struct ThreadStats {
  Histogram hist;
  std::uint64_t ok = 0;
  std::uint64_t errors = 0;
  std::uint64_t bytesIn = 0;
  std::uint64_t connectErrors = 0;
  std::uint64_t lastCompletionNs = 0;
  std::map<unsigned, std::uint64_t> statuses;
  std::string firstError;
};

struct Job {
  std::uint64_t n = 0;
  std::uint64_t intendedNs = 0;
  std::size_t spec = 0;
};

class Conn;

class Load {
 public:
  explicit Load(const HttpOptions& o) : o_(o), ioc_(o.threads) {
    double total = 0;
    for (const auto& r : o_.requests)
      total += r.weight;
    double acc = 0;
    for (const auto& r : o_.requests)
      cumulative_.push_back((acc += r.weight) / total);
  }

  boost::json::object run();

  // Called by a connection that is ready for its next request.
  void next(const std::shared_ptr<Conn>& c);
  void connectionDone();
  ThreadStats& stats();
  bool counted(const Job& j) const {
    return j.intendedNs >= measureStartNs_ && j.intendedNs < measureEndNs_;
  }
  std::size_t pickSpec();
  std::uint64_t pickRandom();

  const HttpOptions& o_;
  net::io_context ioc_;
  tcp::endpoint endpoint_;
  std::uint64_t measureStartNs_ = 0;
  std::uint64_t measureEndNs_ = UINT64_MAX;
  std::atomic<std::uint64_t> issued_{0};
  std::atomic<std::uint64_t> completed_{0};
  std::atomic<bool> stopping_{false};

 private:
  void onTick();
  void finish();
  Job makeJob(std::uint64_t intendedNs);

  std::vector<double> cumulative_;
  std::mutex mu_;  // guards everything below
  std::vector<std::unique_ptr<ThreadStats>> allStats_;
  std::deque<std::shared_ptr<Conn>> idle_;
  std::deque<Job> pending_;
  std::vector<std::shared_ptr<Conn>> conns_;
  int active_ = 0;
  bool generating_ = true;
  std::uint64_t k_ = 0;  // open loop: index of the next due request
  std::uint64_t t0Ns_ = 0;
  std::unique_ptr<net::steady_timer> tick_;
};

thread_local ThreadStats* tlsStats = nullptr;
thread_local std::mt19937_64 tlsRng{std::random_device{}()};

ThreadStats& Load::stats() {
  if (!tlsStats) {
    std::lock_guard lock(mu_);
    allStats_.push_back(std::make_unique<ThreadStats>());
    tlsStats = allStats_.back().get();
  }
  return *tlsStats;
}

std::size_t Load::pickSpec() {
  if (cumulative_.size() == 1)
    return 0;
  const double x = std::uniform_real_distribution<double>(0, 1)(tlsRng);
  return static_cast<std::size_t>(std::lower_bound(cumulative_.begin(), cumulative_.end(), x) -
                                  cumulative_.begin()) %
         cumulative_.size();
}

std::uint64_t Load::pickRandom() {
  return o_.randRange <= 1
             ? 0
             : std::uniform_int_distribution<std::uint64_t>(0, o_.randRange - 1)(tlsRng);
}

Job Load::makeJob(std::uint64_t intendedNs) {
  return Job{o_.startIndex + issued_.fetch_add(1), intendedNs, pickSpec()};
}

class Conn : public std::enable_shared_from_this<Conn> {
 public:
  explicit Conn(Load& load) : load_(load), sock_(load.ioc_) {
    // Beast reads at most the buffer's free capacity (and 64 KiB) per read: without room, a
    // 12 MB LIST answer would take thousands of small reads.
    buf_.reserve(256 * 1024);
  }

  void connect() {
    sock_ = tcp::socket(load_.ioc_);
    sock_.async_connect(load_.endpoint_, [self = shared_from_this()](beast::error_code ec) {
      if (ec) {
        auto& s = self->load_.stats();
        ++s.connectErrors;
        if (s.firstError.empty())
          s.firstError = "connect: " + ec.message();
        if (++self->reconnects_ > 50 || self->load_.stopping_)
          return self->load_.connectionDone();
        auto t =
            std::make_shared<net::steady_timer>(self->load_.ioc_, std::chrono::milliseconds(20));
        return t->async_wait([self, t](beast::error_code) { self->connect(); });
      }
      self->sock_.set_option(tcp::no_delay(true));
      if (self->job_) {
        auto j = *self->job_;
        self->job_.reset();
        return self->send(j);
      }
      self->load_.next(self);
    });
  }

  void send(const Job& j) {
    job_ = j;
    const RequestSpec& spec = load_.o_.requests[j.spec];
    const std::uint64_t r = load_.pickRandom();
    // The request's bytes, written as Beast's serializer wrote them (the same fields in the same
    // order), into one buffer: the client's cost per request is part of every measurement.
    out_.clear();
    out_.append(spec.method).append(" ");
    spec.target.append(out_, j.n, r, j.intendedNs);
    out_.append(" HTTP/1.1\r\nHost: ").append(load_.o_.host);
    out_.append("\r\nUser-Agent: bench-loadgen\r\nAccept: application/json\r\n");
    if (!spec.body.empty()) {
      spec.body.render(body_, j.n, r, j.intendedNs);
      out_.append("Content-Type: ").append(spec.contentType).append("\r\n");
      appendLength(body_.size());
      out_.append(body_);
    } else if (spec.method == "POST" || spec.method == "PUT" || spec.method == "PATCH") {
      appendLength(0);  // as Beast's prepare_payload: these methods always say a length
    } else {
      out_.append("\r\n");
    }
    if (j.intendedNs == 0)
      job_->intendedNs = nowNs();  // closed loop: from the actual send
    net::async_write(sock_, net::buffer(out_),
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec)
                         return self->fail("write: " + ec.message());
                       self->parser_.emplace();
                       self->parser_->body_limit(boost::none);
                       http::async_read(self->sock_, self->buf_, *self->parser_,
                                        [self](beast::error_code ec2, std::size_t) {
                                          if (ec2)
                                            return self->fail("read: " + ec2.message());
                                          self->complete();
                                        });
                     });
  }

  void close() {
    beast::error_code ec;
    sock_.shutdown(tcp::socket::shutdown_both, ec);
    sock_.close(ec);
  }

 private:
  /// appendLength ends the head with Content-Length (the empty line included).
  void appendLength(std::size_t n) {
    out_.append("Content-Length: ");
    appendNumber(out_, n);
    out_.append("\r\n\r\n");
  }

  void complete() {
    const std::uint64_t now = nowNs();
    const auto& res = parser_->get();
    const unsigned status = res.result_int();
    auto& s = load_.stats();
    const Job j = *job_;
    job_.reset();
    load_.completed_.fetch_add(1, std::memory_order_relaxed);
    s.lastCompletionNs = now;
    if (load_.counted(j)) {
      s.hist.record(now - j.intendedNs);
      ++s.statuses[status];
      if (isSuccess(status)) {
        ++s.ok;
        s.bytesIn += res.body().size;
      } else {
        ++s.errors;
        if (s.firstError.empty())
          s.firstError = "HTTP " + std::to_string(status) + ": " + res.body().head;
      }
    }
    if (!parser_->keep_alive()) {
      close();
      buf_.clear();
      return connect();
    }
    load_.next(shared_from_this());
  }

  void fail(const std::string& what) {
    auto& s = load_.stats();
    if (job_ && load_.counted(*job_)) {
      ++s.errors;
      ++s.statuses[0];
    }
    if (s.firstError.empty())
      s.firstError = what;
    job_.reset();  // the request is lost; a fresh connection takes the next one
    close();
    buf_.clear();
    if (++reconnects_ > 50 || load_.stopping_)
      return load_.connectionDone();
    connect();
  }

  Load& load_;
  tcp::socket sock_;
  beast::flat_buffer buf_;
  std::string out_;   // the request's bytes
  std::string body_;  // the rendered body
  std::optional<http::response_parser<CountingBody>> parser_;
  std::optional<Job> job_;
  int reconnects_ = 0;
};

void Load::next(const std::shared_ptr<Conn>& c) {
  if (o_.rate <= 0) {  // closed loop
    const bool byCount = o_.maxRequests > 0;
    if (stopping_ || (byCount && issued_.load() >= o_.maxRequests) ||
        (!byCount && nowNs() >= measureEndNs_)) {
      c->close();
      return connectionDone();
    }
    Job j = makeJob(0);
    if (byCount && j.n - o_.startIndex >= o_.maxRequests) {
      issued_.fetch_sub(1);  // not sent after all
      c->close();
      return connectionDone();
    }
    return c->send(j);
  }
  std::unique_lock lock(mu_);
  if (!pending_.empty()) {
    Job j = pending_.front();
    pending_.pop_front();
    lock.unlock();
    return c->send(j);
  }
  if (!generating_ || stopping_) {
    lock.unlock();
    c->close();
    return connectionDone();
  }
  idle_.push_back(c);
}

void Load::connectionDone() {
  std::lock_guard lock(mu_);
  if (--active_ == 0)
    finish();
}

void Load::finish() {
  // mu_ held. Every connection is done: nothing is outstanding.
  if (tick_)
    tick_->cancel();
  ioc_.stop();
}

void Load::onTick() {
  const std::uint64_t now = nowNs();
  std::vector<std::pair<std::shared_ptr<Conn>, Job>> toSend;
  std::vector<std::shared_ptr<Conn>> toClose;
  std::unique_lock lock(mu_);
  if (!generating_)
    return;
  const double perNs = o_.rate / 1e9;
  for (;;) {
    const auto due = t0Ns_ + static_cast<std::uint64_t>(static_cast<double>(k_) / perNs);
    if (due >= measureEndNs_ || (o_.maxRequests > 0 && k_ >= o_.maxRequests) || stopping_) {
      generating_ = false;
      break;
    }
    if (due > now) {
      tick_->expires_at(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(due)));
      tick_->async_wait([this](beast::error_code ec) {
        if (!ec)
          onTick();
      });
      break;
    }
    ++k_;
    Job j = makeJob(due);
    if (!idle_.empty()) {
      toSend.emplace_back(idle_.front(), j);
      idle_.pop_front();
    } else {
      pending_.push_back(j);
    }
  }
  if (!generating_ && pending_.empty()) {
    toClose.assign(idle_.begin(), idle_.end());
    idle_.clear();
  }
  lock.unlock();
  for (auto& [c, j] : toSend)
    c->send(j);
  for (auto& c : toClose) {
    c->close();
    connectionDone();
  }
}

boost::json::object Load::run() {
  endpoint_ = tcp::endpoint(net::ip::make_address(o_.host), o_.port);
  const long rssBefore = readRssKib(o_.serverPid);
  const double cpuBefore = readCpuSeconds(o_.serverPid);
  const double selfBefore = selfCpuSeconds();
  t0Ns_ = nowNs();
  if (o_.maxRequests > 0) {
    measureStartNs_ = 0;
    measureEndNs_ = UINT64_MAX;
  } else {
    measureStartNs_ = t0Ns_ + static_cast<std::uint64_t>(o_.warmupS * 1e9);
    measureEndNs_ = measureStartNs_ + static_cast<std::uint64_t>(o_.durationS * 1e9);
  }
  active_ = o_.connections;
  for (int i = 0; i < o_.connections; ++i) {
    conns_.push_back(std::make_shared<Conn>(*this));
    conns_.back()->connect();
  }
  if (o_.rate > 0) {
    tick_ = std::make_unique<net::steady_timer>(ioc_);
    net::post(ioc_, [this] { onTick(); });
  }
  // Progress, the drain deadline and the hard limit.
  net::steady_timer progress(ioc_);
  const std::uint64_t hardEndNs = t0Ns_ + static_cast<std::uint64_t>(o_.timeoutS * 1e9);
  std::uint64_t lastCompleted = 0;
  std::function<void()> arm = [&] {
    progress.expires_after(std::chrono::seconds(1));
    progress.async_wait([&](beast::error_code ec) {
      if (ec)
        return;
      const std::uint64_t now = nowNs();
      const std::uint64_t done = completed_.load();
      if (o_.progress)
        std::cerr << "  [loadgen] " << (now - t0Ns_) / 1000000000 << "s: " << done << " done ("
                  << done - lastCompleted << "/s)" << std::endl;
      lastCompleted = done;
      const bool drainOver = measureEndNs_ != UINT64_MAX &&
                             now > measureEndNs_ + static_cast<std::uint64_t>(o_.drainS * 1e9);
      if (drainOver || now > hardEndNs) {
        stopping_ = true;
        ioc_.stop();
        return;
      }
      arm();
    });
  };
  arm();
  std::vector<std::thread> threads;
  for (int i = 1; i < o_.threads; ++i)
    threads.emplace_back([this] { ioc_.run(); });
  ioc_.run();
  for (auto& t : threads)
    t.join();
  const std::uint64_t endNs = nowNs();

  ThreadStats total;
  for (const auto& s : allStats_) {
    total.hist.merge(s->hist);
    total.ok += s->ok;
    total.errors += s->errors;
    total.bytesIn += s->bytesIn;
    total.connectErrors += s->connectErrors;
    total.lastCompletionNs = std::max(total.lastCompletionNs, s->lastCompletionNs);
    for (const auto& [k, v] : s->statuses)
      total.statuses[k] += v;
    if (total.firstError.empty())
      total.firstError = s->firstError;
  }
  // Requests still outstanding when the run was cut off (due but never answered).
  const std::uint64_t issued = issued_.load();
  const std::uint64_t unanswered = issued > completed_.load() ? issued - completed_.load() : 0;
  const double windowS =
      o_.maxRequests > 0
          ? static_cast<double>(std::max(total.lastCompletionNs, t0Ns_ + 1) - t0Ns_) / 1e9
          : o_.durationS;

  boost::json::object r;
  r["mode"] = "http";
  r["loop"] = o_.rate > 0 ? "open" : "closed";
  r["rate_target"] = o_.rate;
  r["connections"] = o_.connections;
  r["threads"] = o_.threads;
  r["window_s"] = windowS;
  r["wall_s"] = static_cast<double>(endNs - t0Ns_) / 1e9;
  r["requests"] = total.ok + total.errors;
  r["ok"] = total.ok;
  r["errors"] = total.errors;
  r["unanswered"] = unanswered;
  r["connect_errors"] = total.connectErrors;
  boost::json::object statuses;
  for (const auto& [k, v] : total.statuses)
    statuses[std::to_string(k)] = v;
  r["statuses"] = std::move(statuses);
  r["rps"] = static_cast<double>(total.ok) / windowS;
  r["bytes_in"] = total.bytesIn;
  r["mb_per_s"] = static_cast<double>(total.bytesIn) / windowS / 1e6;
  r["latency"] = total.hist.toJson();
  if (!total.firstError.empty())
    r["first_error"] = total.firstError;
  boost::json::object server;
  server["pid"] = o_.serverPid;
  server["rss_before_kib"] = rssBefore;
  server["rss_after_kib"] = readRssKib(o_.serverPid);
  server["cpu_s"] = cpuBefore < 0 ? -1.0 : readCpuSeconds(o_.serverPid) - cpuBefore;
  r["server"] = std::move(server);
  r["loadgen_cpu_s"] = selfCpuSeconds() - selfBefore;
  return r;
}

}  // namespace

boost::json::object runHttp(const HttpOptions& options) {
  if (options.requests.empty())
    throw std::runtime_error("no --request given");
  if (options.connections < 1 || options.threads < 1)
    throw std::runtime_error("--connections and --threads must be >= 1");
  Load load(options);
  return load.run();
}

}  // namespace bench
