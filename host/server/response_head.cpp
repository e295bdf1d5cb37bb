#include "server/response_head.h"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/status.hpp>

#include <algorithm>
#include <cstdio>

namespace apiserver::server {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {

/// appendField appends `name: value` and its line end, leaving out CR and LF (a handler's value
/// never splits the head).
void appendField(std::string& out, std::string_view name, std::string_view value) {
  auto clean = [&out](std::string_view text) {
    for (std::size_t at = 0; at < text.size();) {
      const std::size_t end = std::min(text.find_first_of("\r\n", at), text.size());
      out.append(text.substr(at, end - at));
      at = end + 1;
    }
  };
  clean(name);
  out.append(": ");
  clean(value);
  out.append("\r\n");
}

}  // namespace

void appendHead(std::string& out, unsigned version, const Response& res, std::string_view auditId,
                bool keepAlive, Framing framing) {
  const beast::string_view reason = http::obsolete_reason(static_cast<http::status>(res.status));
  char line[32];
  const int n =
      std::snprintf(line, sizeof line, "HTTP/%u.%u %d ", version / 10, version % 10, res.status);
  out.append(line, static_cast<std::size_t>(n));
  out.append(reason.data(), reason.size());
  out.append("\r\n");
  appendField(out, "Content-Type", res.contentType);
  std::string_view cacheControl = "no-cache, private";
  bool hasAuditId = false;
  for (const auto& [k, v] : res.headers) {
    if (beast::iequals(k, "Cache-Control")) {
      cacheControl = v;
    } else {
      hasAuditId = hasAuditId || beast::iequals(k, "Audit-Id");
    }
  }
  appendField(out, "Cache-Control", cacheControl);
  for (const auto& [k, v] : res.headers)
    if (!beast::iequals(k, "Cache-Control"))
      appendField(out, k, v);
  if (!hasAuditId && !auditId.empty())
    appendField(out, "Audit-Id", auditId);
  if (version >= 11 && !keepAlive)
    out.append("Connection: close\r\n");
  if (version < 11 && keepAlive)
    out.append("Connection: keep-alive\r\n");
  if (framing == Framing::Chunked) {
    out.append("Transfer-Encoding: chunked\r\n");
  } else if (res.status != 304 && res.status != 204) {
    out.append("Content-Length: ");
    out.append(std::to_string(res.bodySize()));
    out.append("\r\n");
  }
  out.append("\r\n");
}

void appendChunkSize(std::string& out, std::size_t size) {
  char line[24];
  const int n = std::snprintf(line, sizeof line, "%zx\r\n", size);
  out.append(line, static_cast<std::size_t>(n));
}

}  // namespace apiserver::server
