#pragma once

#include <apiserver/result.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace apiserver::registry {

/// ContinueToken is the position a paged list resumes from: the snapshot's revision and the
/// first key of the next page, relative to the resource's key prefix. Encoded as kube encodes
/// it (base64url of {"v":"meta.k8s.io/v1","rv":N,"start":"..."}), so it stays opaque to clients.
struct ContinueToken {
  std::int64_t revision = 0;
  std::string start;
};

std::string encodeContinue(const ContinueToken& token);
/// decodeContinue fails with 400 BadRequest ("invalid continue token: ...") for anything that is
/// not a token this server could have written.
Result<ContinueToken> decodeContinue(std::string_view text);

/// cleanPath is Go's path.Clean: the shortest equivalent path (no "//", "." or "dir/..").
std::string cleanPath(std::string_view path);

/// base64Encode / base64Decode are standard base64 with padding (RFC 4648 section 4);
/// base64Decode returns nullopt for invalid input.
std::string base64Encode(std::string_view bytes, bool url = false);
std::optional<std::string> base64Decode(std::string_view text, bool url = false);

}  // namespace apiserver::registry
