#include "server/response_head.h"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/status.hpp>

#include <charconv>

namespace apiserver::server {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {

/// appendField appends `name: value` and its line end, leaving out CR and LF (a handler's value
/// never splits the head).
void appendField(std::string& out, std::string_view name, std::string_view value) {
  // One pass of plain compares: string_view::find_first_of calls memchr on its set once for
  // every character of the text.
  auto clean = [&out](std::string_view text) {
    std::size_t from = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\r' || text[i] == '\n') {
        out.append(text.data() + from, i - from);
        from = i + 1;
      }
    }
    out.append(text.data() + from, text.size() - from);
  };
  clean(name);
  out.append(": ");
  clean(value);
  out.append("\r\n");
}

/// appendNumber appends `n` in `base` (lower-case digits).
void appendNumber(std::string& out, std::size_t n, int base = 10) {
  char digits[24];
  const char* end = std::to_chars(digits, digits + sizeof digits, n, base).ptr;
  out.append(digits, static_cast<std::size_t>(end - digits));
}

}  // namespace

void appendHead(std::string& out, unsigned version, const Response& res, std::string_view auditId,
                bool keepAlive, Framing framing) {
  const beast::string_view reason = http::obsolete_reason(static_cast<http::status>(res.status));
  char line[32] = {'H', 'T',
                   'T', 'P',
                   '/', static_cast<char>('0' + version / 10 % 10),
                   '.', static_cast<char>('0' + version % 10),
                   ' '};
  char* end = std::to_chars(line + 9, line + sizeof line - 1, res.status).ptr;
  *end++ = ' ';
  out.append(line, static_cast<std::size_t>(end - line));
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
    appendNumber(out, res.bodySize());
    out.append("\r\n");
  }
  out.append("\r\n");
}

void appendChunkSize(std::string& out, std::size_t size) {
  appendNumber(out, size, 16);
  out.append("\r\n");
}

}  // namespace apiserver::server
