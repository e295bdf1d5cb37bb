#include "host_process.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace apiserver::testing {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

std::filesystem::path hostBinary() { return APISERVER_TEST_HOST_BINARY; }
std::filesystem::path pluginDir() { return APISERVER_TEST_PLUGIN_DIR; }
std::filesystem::path testPluginDir() { return APISERVER_TEST_TEST_PLUGIN_DIR; }

TempDir::TempDir() {
  std::random_device rd;
  for (;;) {
    path_ = std::filesystem::temp_directory_path() / ("apiserver-test-" + std::to_string(rd()));
    std::error_code ec;
    if (std::filesystem::create_directory(path_, ec)) break;
  }
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::filesystem::path TempDir::write(const std::string& name, const std::string& content) const {
  auto p = path_ / name;
  std::ofstream(p, std::ios::binary) << content;
  return p;
}

namespace {

std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int spawn(const std::vector<std::string>& args, const std::filesystem::path& log) {
  std::vector<std::string> full{hostBinary().string()};
  full.insert(full.end(), args.begin(), args.end());
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    std::vector<char*> argv;
    for (auto& a : full) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

// waitExit waits for pid up to `timeout`; returns the exit code, or nullopt if still running.
std::optional<int> waitExit(int pid, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (r < 0) return -1;
    if (std::chrono::steady_clock::now() > until) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void setTimeouts(tcp::socket& s, int seconds) {
  timeval tv{seconds, 0};
  setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(s.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

}  // namespace

RunResult runToExit(const std::vector<std::string>& args, std::chrono::seconds timeout) {
  TempDir dir;
  auto log = dir.path() / "output.log";
  int pid = spawn(args, log);
  auto code = waitExit(pid, timeout);
  if (!code) {
    kill(pid, SIGKILL);
    waitExit(pid, std::chrono::seconds(5));
    return {-1, readFile(log) + "\n<killed: did not exit in time>"};
  }
  return {*code, readFile(log)};
}

HostProcess::HostProcess(const std::string& config, std::vector<std::string> args) {
  log_ = dir_.path() / "host.log";
  if (!config.empty()) {
    auto file = dir_.write("apiserver.yaml", config);
    args.insert(args.begin(), {"--config", file.string()});
  }
  // The insecure port on a free port, the secure port off, unless the test says otherwise.
  auto given = [&](const char* flag) {
    for (const auto& a : args)
      if (a == flag || a.rfind(std::string(flag) + "=", 0) == 0) return true;
    return false;
  };
  auto value = [&](const char* flag) {
    for (std::size_t i = 0; i + 1 < args.size(); ++i)
      if (args[i] == flag) return args[i + 1];
    return std::string();
  };
  if (!given("--insecure-port")) args.insert(args.end(), {"--insecure-port", "0"});
  if (!given("--secure-port")) args.insert(args.end(), {"--secure-port", "-1"});
  if (!given("--bind-address")) args.insert(args.end(), {"--bind-address", "127.0.0.1"});
  const bool wantInsecure = value("--insecure-port") != "-1";
  const bool wantSecure = value("--secure-port") != "-1";
  pid_ = spawn(args, log_);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  const std::string marker = "Serving insecurely on 127.0.0.1:";
  const std::string secureMarker = "Serving securely on 127.0.0.1:";
  while (std::chrono::steady_clock::now() < until) {
    std::string out = readFile(log_);
    auto at = out.find(marker);
    auto secureAt = out.find(secureMarker);
    if ((at != std::string::npos || !wantInsecure) && (secureAt != std::string::npos || !wantSecure)) {
      if (at != std::string::npos) port_ = static_cast<std::uint16_t>(std::stoi(out.substr(at + marker.size())));
      if (secureAt != std::string::npos)
        securePort_ = static_cast<std::uint16_t>(std::stoi(out.substr(secureAt + secureMarker.size())));
      return;
    }
    if (auto code = waitExit(pid_, std::chrono::milliseconds(0))) {
      pid_ = -1;
      throw std::runtime_error("apiserver-host exited with " + std::to_string(*code) + ":\n" + out);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop();
  throw std::runtime_error("apiserver-host did not start serving in time:\n" + readFile(log_));
}

HostProcess::~HostProcess() { stop(); }

std::string HostProcess::output() const { return readFile(log_); }

int HostProcess::stop(std::chrono::seconds grace) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  auto code = waitExit(pid_, grace);
  if (!code) {
    kill(pid_, SIGKILL);
    waitExit(pid_, std::chrono::seconds(5));
    code = -1;
  }
  pid_ = -1;
  return *code;
}

// ---------------------------------------------------------------- HttpClient

struct HttpClient::Impl {
  std::uint16_t port;
  net::io_context ioc;
  std::optional<tcp::socket> socket;
  beast::flat_buffer buffer;

  void connect() {
    socket.emplace(ioc);
    socket->connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    setTimeouts(*socket, 30);
    buffer.clear();
  }
};

HttpClient::HttpClient(std::uint16_t port) : impl_(new Impl{port, {}, {}, {}}) {}
HttpClient::~HttpClient() { delete impl_; }

HttpResponse HttpClient::request(const std::string& method, const std::string& target, const std::string& body,
                                 const std::map<std::string, std::string>& headers) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!impl_->socket || !impl_->socket->is_open()) impl_->connect();
    http::request<http::string_body> req(http::string_to_verb(method), target, 11);
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
      if (!req.count(http::field::content_type)) req.set(http::field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    beast::error_code ec;
    http::write(*impl_->socket, req, ec);
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ULL << 32);
    if (!ec) http::read(*impl_->socket, impl_->buffer, parser, ec);
    if (ec) {
      impl_->socket.reset();
      if (attempt == 0 && (ec == http::error::end_of_stream || ec == net::error::connection_reset ||
                           ec == net::error::broken_pipe || ec == net::error::eof))
        continue;
      throw std::runtime_error(method + " " + target + ": " + ec.message());
    }
    auto res = parser.release();
    HttpResponse out;
    out.status = static_cast<int>(res.result_int());
    for (const auto& f : res) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers[name] = std::string(f.value());
    }
    out.body = std::move(res.body());
    if (!res.keep_alive()) impl_->socket.reset();
    return out;
  }
  throw std::runtime_error(method + " " + target + ": connection failed");
}

std::string HttpClient::raw(const std::string& bytes) {
  tcp::socket s(impl_->ioc);
  s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), impl_->port));
  setTimeouts(s, 5);
  net::write(s, net::buffer(bytes));
  std::string out;
  char buf[4096];
  for (;;) {
    beast::error_code ec;
    std::size_t n = s.read_some(net::buffer(buf), ec);
    out.append(buf, n);
    if (ec) break;
  }
  return out;
}

// ---------------------------------------------------------------- WatchReader

struct WatchReader::Impl {
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  std::array<char, 65536> chunk{};
  std::string pending;
  bool reading = false;
  bool done = false;
  std::map<std::string, std::string> headers;
  int status = 0;

  void startRead() {
    reading = true;
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    http::async_read_some(stream, buffer, parser, [this](beast::error_code ec, std::size_t) {
      reading = false;
      pending.append(chunk.data(), chunk.size() - parser.get().body().size);
      if (ec == http::error::need_buffer) ec = {};
      if (ec || parser.is_done()) done = true;
    });
  }
};

WatchReader::WatchReader(std::uint16_t port, const std::string& target,
                         const std::map<std::string, std::string>& headers, int receiveBuffer)
    : impl_(new Impl) {
  if (receiveBuffer > 0) {
    impl_->stream.socket().open(tcp::v4());
    impl_->stream.socket().set_option(net::socket_base::receive_buffer_size(receiveBuffer));
  }
  impl_->stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  http::request<http::empty_body> req(http::verb::get, target, 11);
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [k, v] : headers) req.set(k, v);
  http::write(impl_->stream, req);
  impl_->parser.body_limit(boost::none);
  http::read_header(impl_->stream, impl_->buffer, impl_->parser);
  impl_->status = static_cast<int>(impl_->parser.get().result_int());
  for (const auto& f : impl_->parser.get()) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    impl_->headers[name] = std::string(f.value());
  }
  if (impl_->parser.is_done()) impl_->done = true;
}

WatchReader::~WatchReader() {
  close();
  delete impl_;
}

int WatchReader::status() const { return impl_->status; }

std::string WatchReader::header(const std::string& lowerName) const {
  auto it = impl_->headers.find(lowerName);
  return it == impl_->headers.end() ? std::string() : it->second;
}

std::optional<std::string> WatchReader::next(std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto nl = impl_->pending.find('\n');
    if (nl != std::string::npos) {
      std::string line = impl_->pending.substr(0, nl);
      impl_->pending.erase(0, nl + 1);
      return line;
    }
    if (impl_->done) return std::nullopt;
    auto now = std::chrono::steady_clock::now();
    if (now >= until) return std::nullopt;
    if (!impl_->reading) impl_->startRead();
    impl_->ioc.restart();
    impl_->ioc.run_one_for(until - now);
  }
}

bool WatchReader::ended() const { return impl_->done && impl_->pending.empty(); }

void WatchReader::close() {
  beast::error_code ec;
  impl_->stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  impl_->stream.socket().close(ec);
  impl_->ioc.restart();
  impl_->ioc.poll();
}

}  // namespace apiserver::testing
