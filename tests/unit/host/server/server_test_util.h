#pragma once

// Building Requests for the server and endpoints rooms' tests.

#include <apiserver/request.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace apiserver::servertest {

/// FakeHeaders holds header fields in order; names compare case-insensitively.
class FakeHeaders final : public Headers {
 public:
  std::vector<std::pair<std::string, std::string>> fields;

  std::optional<std::string_view> get(std::string_view name) const override {
    for (const auto& [k, v] : fields)
      if (iequals(k, name))
        return std::string_view(v);
    return std::nullopt;
  }
  void forEach(const std::function<void(std::string_view, std::string_view)>& fn) const override {
    for (const auto& [k, v] : fields)
      fn(k, v);
  }

 private:
  static bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) ==
                    std::tolower(static_cast<unsigned char>(y));
           });
  }
};

/// percentDecode decodes %XX and '+' (as a query value is decoded).
inline std::string percentDecode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() &&
               std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

/// makeRequest builds a Request from a method and a target ("/api/v1/pods?watch=true").
/// `headers`, if given, must outlive the request.
inline Request makeRequest(std::string method, std::string_view target,
                           const Headers* headers = nullptr) {
  Request r;
  r.method = std::move(method);
  r.target = std::string(target);
  auto q = target.find('?');
  r.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) {
    std::string_view rest = target.substr(q + 1);
    while (!rest.empty()) {
      auto amp = rest.find('&');
      std::string_view kv = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
      if (kv.empty())
        continue;
      auto eq = kv.find('=');
      std::string k = percentDecode(kv.substr(0, eq));
      std::string v =
          eq == std::string_view::npos ? std::string() : percentDecode(kv.substr(eq + 1));
      r.query.items.emplace_back(std::move(k), std::move(v));
    }
  }
  r.headers = headers;
  return r;
}

}  // namespace apiserver::servertest
