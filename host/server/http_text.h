#pragma once

#include <string_view>

/// @file http_text.h
/// Small pieces of HTTP's header grammar shared by the header parsers (content negotiation, the
/// OpenAPI v2 document's Accept, the proxy's Connection tokens, the bearer token, the audit
/// event's source addresses).

namespace apiserver::server {

/// trimOws drops HTTP's optional whitespace (spaces and horizontal tabs, RFC 9110 §5.6.3)
/// around a header value or one of its list members.
inline std::string_view trimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

}  // namespace apiserver::server
