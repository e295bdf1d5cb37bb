// The timeout link: an answer that comes after the request's deadline is the timeout, whether the
// handler returned it late or completed a pending answer late.

#include "server/filters/filters.h"

#include <apiserver/config.h>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <thread>

namespace apiserver::server {
namespace {

using namespace std::chrono_literals;

/// Later answers every request with a pending response the test completes.
struct Later final : Handler {
  std::shared_ptr<DeferredResponse> pending = std::make_shared<DeferredResponse>();
  Response serve(Request&) override { return Response::later(pending); }
};

Request post() {
  Request req;
  req.method = "POST";
  req.path = "/api/v1/namespaces/default/pods";
  req.target = req.path;
  return req;
}

std::optional<Response> answerOf(const Response& placeholder,
                                 const std::function<void()>& complete) {
  std::optional<Response> out;
  if (!placeholder.pending)
    return out;
  placeholder.pending->start([&](Response r) { out = std::move(r); });
  complete();
  return out;
}

TEST(TimeoutLink, APendingAnswerWithinTheDeadlineIsPassedOn) {
  auto link = filters::timeout(10s)->create(ConfigSection());
  ASSERT_TRUE(link);
  Later next;
  Request req = post();
  Response placeholder = (*link)->handle(req, next);
  auto answer = answerOf(
      placeholder, [&] { next.pending->complete(Response::bytes(201, "application/json", "{}")); });
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 201);
}

TEST(TimeoutLink, APendingAnswerAfterTheDeadlineIsTheTimeout) {
  auto link = filters::timeout(10s)->create(ConfigSection());
  ASSERT_TRUE(link);
  Later next;
  Request req = post();
  req.target += "?timeout=20ms";
  req.query.items.emplace_back("timeout", "20ms");
  Response placeholder = (*link)->handle(req, next);
  auto answer = answerOf(placeholder, [&] {
    std::this_thread::sleep_for(50ms);
    next.pending->complete(Response::bytes(201, "application/json", "{}"));
  });
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 504);
  ASSERT_EQ(answer->body.size(), 1u);
  EXPECT_NE(answer->body[0]->find("request did not complete within requested timeout"),
            std::string::npos)
      << *answer->body[0];
}

}  // namespace
}  // namespace apiserver::server
