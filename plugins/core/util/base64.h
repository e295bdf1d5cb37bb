#pragma once

#include <cstddef>
#include <string>
#include <string_view>

/// @file base64.h
/// Standard base64 (RFC 4648, padded) with exactly the acceptance rules and error offsets of
/// Go's base64.StdEncoding, which is how kube decodes []byte fields (Secret.data,
/// ConfigMap.binaryData) from JSON. Boost has no public base64 API, hence this small codec.

namespace apiserver::plugins::core {

/// Base64Decoded is the outcome of decodeBase64.
struct Base64Decoded {
  bool ok = false;
  std::string data;         ///< the decoded bytes when ok
  std::size_t errorAt = 0;  ///< offset of the offending input byte when !ok
  /// error renders Go's CorruptInputError ("illegal base64 data at input byte 4").
  std::string error() const;
};

/// decodeBase64 decodes padded standard base64; '\r' and '\n' are ignored as Go ignores them.
Base64Decoded decodeBase64(std::string_view in);

/// encodeBase64 encodes bytes as padded standard base64.
std::string encodeBase64(std::string_view bytes);

}  // namespace apiserver::plugins::core
