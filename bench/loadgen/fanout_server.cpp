#include "fanout_server.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace bench {

namespace {

std::atomic<bool> gStop{false};

void onSignal(int) {
  gStop.store(true);
}

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

using Bytes = std::shared_ptr<const std::string>;

struct Conn {
  int fd = -1;
  std::string in;   // request bytes not yet answered
  std::string out;  // answer and event bytes the socket has not taken yet
  bool watch = false;
  bool wantOut = false;    // EPOLLOUT is asked for
  std::uint64_t sent = 0;  // a watch: the event log offset it has been written up to
};

class Loop;

struct Shared {
  const FanoutServerOptions& o;
  std::vector<std::unique_ptr<Loop>> loops;
  std::atomic<std::size_t> nextLoop{0};
};

// Loop is one I/O thread: its connections, their watches, and an inbox for events and new
// connections from the other threads.
class Loop {
 public:
  Loop(Shared& shared, int listenFd) : shared_(shared), listenFd_(listenFd) {
    epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0)
      fail("epoll_create1");
    evfd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (evfd_ < 0)
      fail("eventfd");
    add(evfd_, EPOLLIN, nullptr);
    if (listenFd_ >= 0)
      add(listenFd_, EPOLLIN, nullptr);
  }
  ~Loop() {
    for (auto& [key, c] : conns_)
      if (c->fd >= 0)
        ::close(c->fd);
    ::close(evfd_);
    ::close(epfd_);
  }

  void run() {
    bool behind = false;
    while (!gStop.load(std::memory_order_relaxed)) {
      poll(behind ? 0 : 200);
      behind = pass();
    }
  }

  // post hands this loop an event to deliver or a connection to own (from another thread).
  void post(Bytes event, int newFd) {
    {
      std::lock_guard lock(mu_);
      if (event)
        inboxEvents_.push_back(std::move(event));
      if (newFd >= 0)
        inboxFds_.push_back(newFd);
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(evfd_, &one, sizeof one);
  }

  void own(int fd) {
    auto c = std::make_unique<Conn>();
    c->fd = fd;
    add(fd, EPOLLIN | EPOLLRDHUP | EPOLLET, c.get());
    Conn* key = c.get();
    conns_.emplace(key, std::move(c));
  }

 private:
  // poll handles what is ready: requests (an update appends its event to the log), writable
  // sockets, new connections and the inbox.
  void poll(int timeoutMs) {
    epoll_event events[256];
    const int k = ::epoll_wait(epfd_, events, 256, timeoutMs);
    for (int i = 0; i < k; ++i) {
      auto* c = static_cast<Conn*>(events[i].data.ptr);
      if (!c || c->fd < 0)
        continue;  // the listening socket or the eventfd (below), or closed in this round
      if (events[i].events & EPOLLOUT)
        flush(c);
      if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        readFrom(c);
    }
    // Both are level-triggered; looking at them once per wake-up is enough.
    if (listenFd_ >= 0)
      acceptAll();
    drainInbox();
  }

  // pass writes each watch what the log holds past its cursor, in one send, polling for new
  // requests every kSlice watches (as the API server reads requests between slices of stream
  // writes); events that arrive meanwhile go to the watches after that point in this pass, and to
  // the others in the next. Tells whether a watch is behind (another pass is due at once).
  bool pass() {
    static constexpr int kSlice = 8;
    int sinceRead = 0;
    for (std::size_t i = 0; i < watches_.size(); ++i) {
      Conn* w = watches_[i];
      const std::uint64_t end = logBase_ + log_.size();
      if (w->fd < 0 || w->sent >= end)
        continue;
      send(w, std::string_view(log_).substr(static_cast<std::size_t>(w->sent - logBase_)));
      w->sent = end;
      if (++sinceRead == kSlice) {
        sinceRead = 0;
        poll(0);
      }
    }
    reap();
    const std::uint64_t end = logBase_ + log_.size();
    for (const Conn* w : watches_)
      if (w->sent < end)
        return true;
    logBase_ = end;  // every watch has it all
    log_.clear();
    return false;
  }

  // reap forgets the watches closed during a pass.
  void reap() {
    for (Conn* c : dead_) {
      std::erase(watches_, c);
      conns_.erase(c);
    }
    dead_.clear();
  }

  void add(int fd, std::uint32_t events, Conn* c) {
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = c;
    if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0)
      fail("epoll_ctl");
  }

  void acceptAll() {
    for (;;) {
      const int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0)
        return;
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      const std::size_t i = shared_.nextLoop.fetch_add(1) % shared_.loops.size();
      if (shared_.loops[i].get() == this)
        own(fd);
      else
        shared_.loops[i]->post(nullptr, fd);
    }
  }

  void drainInbox() {
    std::uint64_t count;
    if (::read(evfd_, &count, sizeof count) != static_cast<ssize_t>(sizeof count))
      return;
    std::vector<Bytes> events;
    std::vector<int> fds;
    {
      std::lock_guard lock(mu_);
      events.swap(inboxEvents_);
      fds.swap(inboxFds_);
    }
    for (const int fd : fds)
      own(fd);
    for (const Bytes& e : events)
      log_.append(*e);
  }

  void send(Conn* c, std::string_view data) {
    if (!c->out.empty()) {
      c->out.append(data);  // behind: goes with the next writable edge
      return;
    }
    const ssize_t n = ::send(c->fd, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n == static_cast<ssize_t>(data.size()))
      return;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
      return;  // the peer is gone: its read side closes the connection
    c->out.assign(data.substr(n < 0 ? 0 : static_cast<std::size_t>(n)));
    wantOut(c, true);
  }

  void flush(Conn* c) {
    while (!c->out.empty()) {
      const ssize_t n = ::send(c->fd, c->out.data(), c->out.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
          return;
        c->out.clear();
        break;
      }
      c->out.erase(0, static_cast<std::size_t>(n));
    }
    wantOut(c, false);
  }

  void wantOut(Conn* c, bool on) {
    if (c->wantOut == on)
      return;
    c->wantOut = on;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET | (on ? EPOLLOUT : 0u);
    ev.data.ptr = c;
    ::epoll_ctl(epfd_, EPOLL_CTL_MOD, c->fd, &ev);
  }

  void readFrom(Conn* c) {
    char buf[64 * 1024];
    for (;;) {
      const ssize_t n = ::recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        c->in.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        break;
      if (n < 0 && errno == EINTR)
        continue;
      return close(c);  // end of stream or an error
    }
    if (!serve(c))
      close(c);
  }

  // serve answers the complete requests in c->in; false: a request it cannot parse.
  bool serve(Conn* c) {
    for (;;) {
      const std::size_t headEnd = c->in.find("\r\n\r\n");
      if (headEnd == std::string::npos)
        return c->in.size() < 64 * 1024;
      const std::string_view head(c->in.data(), headEnd);
      const std::size_t sp1 = head.find(' ');
      const std::size_t sp2 = head.find(' ', sp1 + 1);
      if (sp1 == std::string_view::npos || sp2 == std::string_view::npos)
        return false;
      const std::string_view method = head.substr(0, sp1);
      const std::string_view target = head.substr(sp1 + 1, sp2 - sp1 - 1);
      std::size_t bodyLen = 0;
      if (const std::size_t at = findHeader(head, "content-length:"); at != std::string_view::npos)
        bodyLen = static_cast<std::size_t>(std::strtoull(head.data() + at, nullptr, 10));
      const std::size_t total = headEnd + 4 + bodyLen;
      if (c->in.size() < total)
        return true;  // the body is still coming
      const std::string_view body(c->in.data() + headEnd + 4, bodyLen);
      if (method == "GET" && target.find("watch=") != std::string_view::npos) {
        c->watch = true;
        c->sent = logBase_ + log_.size();  // from the next event on
        watches_.push_back(c);
        send(c,
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
             "Transfer-Encoding: chunked\r\n\r\n");
      } else if (method == "GET") {
        static constexpr std::string_view kList =
            R"({"kind":"List","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[]})";
        answer(c, kList);
      } else if (method == "PUT" || method == "POST") {
        answer(c, body);
        broadcast(body);
      } else {
        return false;
      }
      c->in.erase(0, total);
    }
  }

  static std::size_t findHeader(std::string_view head, std::string_view lowerName) {
    for (std::size_t line = head.find("\r\n"); line != std::string_view::npos;
         line = head.find("\r\n", line + 2)) {
      const std::string_view rest = head.substr(line + 2);
      if (rest.size() < lowerName.size())
        return std::string_view::npos;
      bool same = true;
      for (std::size_t i = 0; i < lowerName.size() && same; ++i)
        same = static_cast<char>(std::tolower(static_cast<unsigned char>(rest[i]))) == lowerName[i];
      if (same)
        return line + 2 + lowerName.size();
    }
    return std::string_view::npos;
  }

  void answer(Conn* c, std::string_view body) {
    std::string r = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n";
    r.append(body);
    send(c, r);
  }

  // broadcast makes the event of an update once and hands it to every loop.
  void broadcast(std::string_view object) {
    while (!object.empty() && std::isspace(static_cast<unsigned char>(object.back())))
      object.remove_suffix(1);  // a newline would end the event line early
    static constexpr std::string_view kPrefix = R"({"type":"MODIFIED","object":)";
    std::string line;
    line.reserve(std::max(shared_.o.eventBytes, kPrefix.size() + object.size() + 2));
    line.append(kPrefix).append(object);
    if (line.size() + 2 < shared_.o.eventBytes)
      line.append(shared_.o.eventBytes - line.size() - 2, ' ');  // JSON whitespace
    line.append("}\n");
    char size[32];
    const int k = std::snprintf(size, sizeof size, "%zx\r\n", line.size());
    auto chunk = std::make_shared<std::string>();
    chunk->reserve(static_cast<std::size_t>(k) + line.size() + 2);
    chunk->append(size, static_cast<std::size_t>(k)).append(line).append("\r\n");
    for (auto& l : shared_.loops)
      if (l.get() != this)
        l->post(chunk, -1);
    log_.append(*chunk);
  }

  void close(Conn* c) {
    ::epoll_ctl(epfd_, EPOLL_CTL_DEL, c->fd, nullptr);
    ::close(c->fd);
    c->fd = -1;
    if (c->watch)
      dead_.push_back(c);  // a pass may be going through watches_: reap() forgets it
    else
      conns_.erase(c);  // destroys c
  }

  Shared& shared_;
  const int listenFd_;  // -1 but in the first loop
  int epfd_ = -1;
  int evfd_ = -1;
  std::unordered_map<Conn*, std::unique_ptr<Conn>> conns_;
  std::vector<Conn*> watches_;
  std::string log_;            // events not yet written to every watch
  std::uint64_t logBase_ = 0;  // the offset of log_[0] in the stream of all events
  std::vector<Conn*> dead_;    // watches closed during a pass
  std::mutex mu_;              // guards the inbox
  std::vector<Bytes> inboxEvents_;
  std::vector<int> inboxFds_;
};

}  // namespace

int runFanoutServer(const FanoutServerOptions& o) {
  if (o.threads < 1)
    throw std::runtime_error("--threads must be at least 1");
  struct sigaction sa {};
  sa.sa_handler = onSignal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);

  const int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (lfd < 0)
    fail("socket");
  const int one = 1;
  ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(o.port);
  if (::inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr) != 1)
    throw std::runtime_error("--host: not an IPv4 address: " + o.host);
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    fail("bind");
  if (::listen(lfd, 4096) != 0)
    fail("listen");
  socklen_t len = sizeof addr;
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);

  Shared shared{o, {}, {}};
  for (int i = 0; i < o.threads; ++i)
    shared.loops.push_back(std::make_unique<Loop>(shared, i == 0 ? lfd : -1));
  std::cout << "{\"port\":" << ntohs(addr.sin_port) << "}" << std::endl;
  std::vector<std::thread> threads;
  for (auto& l : shared.loops)
    threads.emplace_back([&l] { l->run(); });
  for (auto& t : threads)
    t.join();
  shared.loops.clear();
  ::close(lfd);
  return 0;
}

}  // namespace bench
