// parseTarget: the one-scan split of plain targets, against Boost.URL's parse of every target.
#include "server/request_target.h"

#include <boost/url/parse.hpp>

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace apiserver::server {
namespace {

struct Parsed {
  bool ok = false;
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  bool operator==(const Parsed&) const = default;
};

Parsed ours(std::string_view target) {
  Parsed p;
  QueryParams q;
  q.items.emplace_back("kept", "");  // parameters are appended
  p.ok = parseTarget(target, p.path, q);
  if (p.ok) {
    EXPECT_EQ(q.items.front().first, "kept");
    p.query.assign(q.items.begin() + 1, q.items.end());
  }
  return p;
}

Parsed boosts(std::string_view target) {
  Parsed p;
  auto url = boost::urls::parse_origin_form(target);
  p.ok = url.has_value();
  if (p.ok) {
    p.path = url->path();
    for (auto param : url->params())
      p.query.emplace_back(param.key, param.has_value ? param.value : std::string());
  }
  return p;
}

TEST(RequestTarget, KnownTargets) {
  EXPECT_EQ(ours("/api/v1/namespaces/default/pods"),
            (Parsed{true, "/api/v1/namespaces/default/pods", {}}));
  EXPECT_EQ(ours("/api/v1/pods?watch=true&resourceVersion=12&labelSelector=app=x"),
            (Parsed{true,
                    "/api/v1/pods",
                    {{"watch", "true"}, {"resourceVersion", "12"}, {"labelSelector", "app=x"}}}));
  EXPECT_EQ(ours("/x?"), (Parsed{true, "/x", {{"", ""}}}));
  EXPECT_EQ(ours("/x?a&&b="), (Parsed{true, "/x", {{"a", ""}, {"", ""}, {"b", ""}}}));
  EXPECT_EQ(ours("/a%20b?c=d%3De+f"), (Parsed{true, "/a b", {{"c", "d=e f"}}}));
  EXPECT_FALSE(ours("api/v1").ok);
  EXPECT_FALSE(ours("/a b").ok);
  EXPECT_FALSE(ours("/a%zz").ok);
  EXPECT_FALSE(ours("").ok);
}

TEST(RequestTarget, SameAsBoostUrlOnRandomTargets) {
  // Characters that are plain, that need decoding, and that Boost.URL refuses.
  const std::string alphabet = "/?&=ab%2+:@!$'()*,;._~-#[] \"<>\\^`{|}\x7f\x01\xc3\xa9";
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::size_t> len(0, 24);
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::uniform_int_distribution<int> plainOnly(0, 1);
  for (int i = 0; i < 20000; ++i) {
    std::string t = "/";
    const bool plain = plainOnly(rng) == 1;  // half the targets take the fast path
    for (std::size_t n = len(rng); n > 0; --n) {
      char c = alphabet[pick(rng)];
      if (plain && std::string_view("/?&=ab:@!$'()*,;._~-").find(c) == std::string_view::npos)
        c = 'a';
      t += c;
    }
    if (i % 10 == 0)
      t = t.substr(1);  // not starting with '/'
    EXPECT_EQ(ours(t), boosts(t)) << t;
  }
}

}  // namespace
}  // namespace apiserver::server
