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

/// matchesName compares a field name with a pattern, case-insensitively; a pattern ending in '*'
/// matches every name that starts with the rest ("X-Remote-Extra-*").
bool matchesName(std::string_view name, std::string_view pattern);

/// ConnectionFields tells which fields of one message belong to its connection alone: the
/// hop-by-hop ones (isHopByHop) and those its Connection fields name ("Connection: close,
/// X-Foo"). Allocates nothing beyond the list of views.
class ConnectionFields {
 public:
  /// `connectionValues` are the values of the message's Connection fields; they are viewed, not
  /// copied, and must outlive this object.
  explicit ConnectionFields(std::vector<std::string_view> connectionValues) : values_(std::move(connectionValues)) {}
  /// hopByHop is true when a field of that name stays on this side.
  bool hopByHop(std::string_view name) const;

 private:
  std::vector<std::string_view> values_;
};

}  // namespace apiserver::proxy
