#include "util.h"

#include <charconv>

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

namespace bench {

long readRssKib(int pid) {
  if (pid <= 0)
    return -1;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stol(line.substr(6));
  return -1;
}

double readCpuSeconds(int pid) {
  if (pid <= 0)
    return -1;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = all.rfind(')');  // the command name may contain spaces
  if (close == std::string::npos)
    return -1;
  std::istringstream fields(all.substr(close + 2));
  std::string f;
  // Fields after the name start at field 3 (state); utime and stime are fields 14 and 15.
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14)
      utime = std::stoull(f);
    if (i == 15)
      stime = std::stoull(f);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double selfCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot read " + path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

Template::Template(std::string_view text) {
  static constexpr std::pair<std::string_view, Kind> kHoles[] = {
      {"{{n}}", Kind::kN}, {"{{r}}", Kind::kR}, {"{{ts}}", Kind::kTs}};
  std::string literal;
  for (std::size_t i = 0; i < text.size();) {
    bool hole = false;
    for (const auto& [mark, kind] : kHoles) {
      if (text.substr(i, mark.size()) == mark) {
        if (!literal.empty())
          parts_.push_back({Kind::kText, std::move(literal)});
        literal.clear();
        parts_.push_back({kind, {}});
        i += mark.size();
        hole = true;
        break;
      }
    }
    if (!hole)
      literal += text[i++];
  }
  if (!literal.empty() || parts_.empty())
    parts_.push_back({Kind::kText, std::move(literal)});
}

void appendNumber(std::string& out, std::uint64_t v) {
  char digits[24];
  out.append(digits, static_cast<std::size_t>(std::to_chars(digits, digits + 24, v).ptr - digits));
}

void Template::render(std::string& out, std::uint64_t n, std::uint64_t r, std::uint64_t ts) const {
  out.clear();
  append(out, n, r, ts);
}

void Template::append(std::string& out, std::uint64_t n, std::uint64_t r, std::uint64_t ts) const {
  for (const auto& p : parts_) {
    switch (p.kind) {
      case Kind::kText:
        out += p.text;
        break;
      case Kind::kN:
        appendNumber(out, n);
        break;
      case Kind::kR:
        appendNumber(out, r);
        break;
      case Kind::kTs:
        appendNumber(out, ts);
        break;
    }
  }
}

void printResult(const boost::json::object& result) {
  std::cout << boost::json::serialize(result) << std::endl;
}

}  // namespace bench
