#include "server/request_target.h"

#include <boost/url/parse.hpp>

#include <array>

namespace apiserver::server {

namespace {

/// kPlain marks the characters a target may hold that need no decoding: RFC 3986's pchar
/// without pct-encoded ('%') and without '+' (a space in a query), plus '/' and '?'.
constexpr std::array<bool, 256> kPlain = [] {
  std::array<bool, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c)
    t[static_cast<std::size_t>(c)] = true;
  for (int c = 'A'; c <= 'Z'; ++c)
    t[static_cast<std::size_t>(c)] = true;
  for (int c = '0'; c <= '9'; ++c)
    t[static_cast<std::size_t>(c)] = true;
  for (const char c : std::string_view("-._~!$&'()*,;=:@/?"))
    t[static_cast<unsigned char>(c)] = true;
  return t;
}();

bool parseWithBoost(std::string_view target, std::string& path, QueryParams& query) {
  auto url = boost::urls::parse_origin_form(target);
  if (!url)
    return false;
  path = url->path();
  for (auto p : url->params())
    query.items.emplace_back(p.key, p.has_value ? p.value : std::string());
  return true;
}

}  // namespace

bool parseTarget(std::string_view target, std::string& path, QueryParams& query) {
  if (target.empty() || target[0] != '/' || (target.size() > 1 && target[1] == '/'))
    return parseWithBoost(target, path, query);  // not origin form, or a path Boost reads its way
  for (const char c : target)
    if (!kPlain[static_cast<unsigned char>(c)])
      return parseWithBoost(target, path, query);
  const std::size_t mark = target.find('?');
  path.assign(target.substr(0, mark));
  if (mark == std::string_view::npos)
    return true;
  // The query: parameters split at '&', each at its first '=' (no '=': no value). As Boost.URL
  // has it, a query that is there has at least one parameter, empty ones included.
  std::string_view rest = target.substr(mark + 1);
  while (true) {
    const std::size_t amp = rest.find('&');
    const std::string_view param = rest.substr(0, amp);
    const std::size_t eq = param.find('=');
    if (eq == std::string_view::npos) {
      query.items.emplace_back(std::string(param), std::string());
    } else {
      query.items.emplace_back(std::string(param.substr(0, eq)), std::string(param.substr(eq + 1)));
    }
    if (amp == std::string_view::npos)
      return true;
    rest.remove_prefix(amp + 1);
  }
}

}  // namespace apiserver::server
