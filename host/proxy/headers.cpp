#include "proxy/headers.h"

#include "server/http_text.h"

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <array>

namespace apiserver::proxy {

namespace {

using boost::beast::iequals;  // ASCII, inline (the C locale's tolower, without a call per byte)

using server::trimOws;

}  // namespace

bool isHopByHop(std::string_view name) {
  static constexpr std::array<std::string_view, 9> kHopByHop = {
      "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
      "TE",         "Trailer",    "Transfer-Encoding", "Upgrade"};
  return std::any_of(kHopByHop.begin(), kHopByHop.end(), [&](std::string_view h) { return iequals(h, name); });
}

bool matchesName(std::string_view name, std::string_view pattern) {
  if (!pattern.empty() && pattern.back() == '*') {
    pattern.remove_suffix(1);
    return name.size() >= pattern.size() && iequals(name.substr(0, pattern.size()), pattern);
  }
  return iequals(name, pattern);
}

bool ConnectionFields::hopByHop(std::string_view name) const {
  if (isHopByHop(name)) return true;
  for (std::string_view value : values_) {
    while (!value.empty()) {
      const auto comma = value.find(',');
      const std::string_view token = trimOws(value.substr(0, comma));
      if (!token.empty() && iequals(token, name)) return true;
      value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    }
  }
  return false;
}

}  // namespace apiserver::proxy
