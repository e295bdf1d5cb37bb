#pragma once
// The bytes a response begins with, written by hand: its head (status line and fields) and, for a
// stream, each chunk's size line. The session writes them with the body in one gather write.
#include <apiserver/request.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace apiserver::server {

/// Framing is how a response's body is delimited: by its length, or in chunks (a stream).
enum class Framing { Length, Chunked };

/// appendHead appends a response's status line and fields, as Beast's serializer wrote the same
/// message: Content-Type and Cache-Control (a handler's Cache-Control replacing ours), the
/// handler's other fields in order, the request's Audit-Id unless the handler set one, the
/// Connection field keep-alive needs for `version` (10 or 11), then Content-Length (not for 204
/// and 304) or Transfer-Encoding, and the empty line. CR and LF are left out of every name and
/// value: a handler's field never splits the head.
void appendHead(std::string& out, unsigned version, const Response& res, std::string_view auditId,
                bool keepAlive, Framing framing);

/// appendChunkSize appends a chunk's size line (hexadecimal, CRLF); the chunk's bytes and kCrlf
/// follow it. A chunk of no bytes is the last one: write kLastChunk for that.
void appendChunkSize(std::string& out, std::size_t size);

inline constexpr std::string_view kCrlf = "\r\n";
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

}  // namespace apiserver::server
