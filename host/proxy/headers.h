#pragma once

#include <string>
#include <string_view>
#include <vector>

/// @file headers.h
/// Which header fields a proxy forwards (RFC 9110 section 7.6.1, as Go's httputil.ReverseProxy
/// and kube's proxy handle them). Pure functions, no HTTP library.

namespace apiserver::proxy {

/// isHopByHop tells whether a field belongs to one connection and must not be forwarded:
/// Connection, Keep-Alive, Proxy-Connection, Proxy-Authenticate, Proxy-Authorization, TE,
/// Trailer, Transfer-Encoding, Upgrade. Case-insensitive.
bool isHopByHop(std::string_view name);

/// connectionTokens splits a Connection field value ("keep-alive, X-Foo") into the field names
/// it declares hop-by-hop, lower-cased.
std::vector<std::string> connectionTokens(std::string_view value);

/// matchesName compares a field name with a pattern, case-insensitively; a pattern ending in '*'
/// matches every name that starts with the rest ("X-Remote-Extra-*").
bool matchesName(std::string_view name, std::string_view pattern);

/// FieldFilter decides, for one message, which of its fields are forwarded.
class FieldFilter {
 public:
  /// `connectionValues` are the values of the message's Connection fields; `drop` are further
  /// names or prefix patterns (see matchesName) to leave out.
  FieldFilter(const std::vector<std::string_view>& connectionValues, std::vector<std::string> drop);
  /// forwards is true when a field of that name goes on to the other side.
  bool forwards(std::string_view name) const;

 private:
  std::vector<std::string> connectionNamed_;
  std::vector<std::string> drop_;
};

}  // namespace apiserver::proxy
