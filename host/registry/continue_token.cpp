#include "registry/continue_token.h"

#include "golang/go_json.h"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <openssl/evp.h>

#include <vector>

namespace apiserver::registry {

std::string base64Encode(std::string_view bytes, bool url) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  if (url) {
    while (!out.empty() && out.back() == '=') out.pop_back();
    for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  }
  return out;
}

std::optional<std::string> base64Decode(std::string_view text, bool url) {
  std::string in(text);
  if (url) {
    for (char& c : in) {
      if (c == '+' || c == '/') return std::nullopt;
      c = c == '-' ? '+' : c == '_' ? '/' : c;
    }
    while (in.size() % 4 != 0) in.push_back('=');
  }
  if (in.size() % 4 != 0) return std::nullopt;
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
              (c == '=' && i + 2 >= in.size() && (i + 1 == in.size() || in[i + 1] == '='));
    if (!ok) return std::nullopt;
  }
  std::string out(3 * (in.size() / 4) + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  std::size_t pad = 0;
  if (!in.empty() && in.back() == '=') ++pad;
  if (in.size() > 1 && in[in.size() - 2] == '=') ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

std::string cleanPath(std::string_view p) {
  if (p.empty()) return ".";
  const bool rooted = p.front() == '/';
  std::vector<std::string_view> out;
  std::size_t dotdots = 0;  // leading ".." elements kept in a relative path
  while (!p.empty()) {
    auto slash = p.find('/');
    std::string_view e = p.substr(0, slash);
    p = slash == std::string_view::npos ? std::string_view() : p.substr(slash + 1);
    if (e.empty() || e == ".") continue;
    if (e == "..") {
      if (out.size() > dotdots) {
        out.pop_back();
      } else if (!rooted) {
        out.push_back(e);
        ++dotdots;
      }
      continue;
    }
    out.push_back(e);
  }
  std::string r = rooted ? "/" : "";
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i) r += '/';
    r += out[i];
  }
  return r.empty() ? "." : r;
}

std::string encodeContinue(const ContinueToken& token) {
  boost::json::object o;
  o["v"] = "meta.k8s.io/v1";
  o["rv"] = token.revision;
  o["start"] = token.start;
  return base64Encode(boost::json::serialize(o), /*url=*/true);
}

Result<ContinueToken> decodeContinue(std::string_view text) {
  // Worded as kube's storage.DecodeContinue.
  auto bad = [](std::string why) {
    return fail(ApiError::badRequest("invalid continue token: continue key is not valid: " + why));
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return bad("illegal base64 data at input byte " + std::to_string(i));
  }
  auto raw = base64Decode(text, /*url=*/true);
  if (!raw) return bad("illegal base64 data at input byte " + std::to_string(text.size() > 0 ? text.size() - 1 : 0));
  auto parsed = golang::parseJson(*raw);
  if (!parsed) return bad(parsed.error());
  if (!parsed->is_object()) return bad("json: cannot unmarshal " + std::string(golang::goJsonKind(*parsed)) +
                                       " into Go value of type storage.continueToken");
  const auto& o = parsed->get_object();
  const auto* ver = o.if_contains("v");
  std::string_view version = ver != nullptr && ver->is_string() ? std::string_view(ver->get_string()) : "";
  if (version != "meta.k8s.io/v1") return bad("server does not recognize this encoded version " + std::string(version));
  const auto* rv = o.if_contains("rv");
  const auto* start = o.if_contains("start");
  if (rv == nullptr || !rv->is_int64() || rv->get_int64() == 0)
    return bad("incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
  if (start == nullptr || !start->is_string() || start->get_string().empty())
    return bad("encoded start key empty (version meta.k8s.io/v1)");
  // As kube: rooted, the start key must be clean, so that it cannot reach above the resource's
  // key prefix ("../secrets/x"); a leading "/" is dropped. A negative revision (-1) continues
  // at the latest revision (the token a 410 hands out).
  std::string_view s = start->get_string();
  std::string rooted = s.front() == '/' ? std::string(s) : "/" + std::string(s);
  if (cleanPath(rooted) != rooted) return bad(std::string(s));
  return ContinueToken{rv->get_int64() < 0 ? -1 : rv->get_int64(), rooted.substr(1)};
}

}  // namespace apiserver::registry
