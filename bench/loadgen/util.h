// Small helpers shared by the load generator's modes: clocks, /proc sampling, request templates.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

namespace bench {

// Nanoseconds of the steady clock (the one every latency here is measured with).
inline std::uint64_t nowNs() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

// VmRSS of a process in KiB, or -1 when it cannot be read (pid 0 or gone).
long readRssKib(int pid);
// User + system CPU seconds a process has used (from /proc/<pid>/stat), or -1.
double readCpuSeconds(int pid);
// User + system CPU seconds of this process.
double selfCpuSeconds();

std::string readFile(const std::string& path);

/// appendNumber appends `v` in decimal.
void appendNumber(std::string& out, std::uint64_t v);

// A text with placeholders, rendered cheaply many times:
//   {{n}}  a sequence number (unique per request)
//   {{r}}  a random number in [0, range)
//   {{ts}} the request's intended send time (steady clock, ns)
class Template {
 public:
  Template() = default;
  explicit Template(std::string_view text);
  bool empty() const { return parts_.empty(); }
  void render(std::string& out, std::uint64_t n, std::uint64_t r, std::uint64_t ts) const;
  /// append renders onto the end of `out`.
  void append(std::string& out, std::uint64_t n, std::uint64_t r, std::uint64_t ts) const;

 private:
  enum class Kind { kText, kN, kR, kTs };
  struct Part {
    Kind kind;
    std::string text;
  };
  std::vector<Part> parts_;
};

// Prints the result object on stdout (one JSON document).
void printResult(const boost::json::object& result);

// "2xx" counts as success; everything else as an error.
inline bool isSuccess(unsigned status) {
  return status >= 200 && status < 300;
}

}  // namespace bench
