// The hand-written response head: what Beast's serializer wrote for the same message.
#include "server/response_head.h"

#include <gtest/gtest.h>

namespace apiserver::server {
namespace {

std::string head(const Response& res, unsigned version = 11, bool keepAlive = true,
                 Framing framing = Framing::Length, std::string_view auditId = "a-1") {
  std::string out;
  appendHead(out, version, res, auditId, keepAlive, framing);
  return out;
}

TEST(ResponseHead, StatusLineFieldsAndLength) {
  EXPECT_EQ(head(Response::bytes(201, "application/json", "{}")),
            "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
            "Cache-Control: no-cache, private\r\nAudit-Id: a-1\r\nContent-Length: 2\r\n\r\n");
}

TEST(ResponseHead, HandlerFieldsInOrderTheirCacheControlReplacesOurs) {
  Response res = Response::bytes(200, "text/plain", "abc");
  res.headers = {{"Etag", "\"x\""}, {"Cache-Control", "public"}, {"Vary", "Accept"}};
  EXPECT_EQ(head(res),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nCache-Control: public\r\n"
            "Etag: \"x\"\r\nVary: Accept\r\nAudit-Id: a-1\r\nContent-Length: 3\r\n\r\n");
}

TEST(ResponseHead, AHandlersAuditIdWinsAndNoneIsWrittenWithoutOne) {
  Response res = Response::bytes(200, "text/plain", "");
  res.headers = {{"audit-id", "mine"}};
  EXPECT_EQ(head(res),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
            "Cache-Control: no-cache, private\r\naudit-id: mine\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(head(Response::bytes(200, "text/plain", ""), 11, true, Framing::Length, ""),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nCache-Control: no-cache, private\r\n"
            "Content-Length: 0\r\n\r\n");
}

TEST(ResponseHead, KeepAliveAsEachVersionSaysIt) {
  const Response res = Response::bytes(404, "application/json", "x");
  const std::string fields =
      "Content-Type: application/json\r\nCache-Control: no-cache, private\r\nAudit-Id: a-1\r\n";
  EXPECT_EQ(head(res, 11, false), "HTTP/1.1 404 Not Found\r\n" + fields +
                                      "Connection: close\r\nContent-Length: 1\r\n\r\n");
  EXPECT_EQ(head(res, 10, true), "HTTP/1.0 404 Not Found\r\n" + fields +
                                     "Connection: keep-alive\r\nContent-Length: 1\r\n\r\n");
  EXPECT_EQ(head(res, 10, false),
            "HTTP/1.0 404 Not Found\r\n" + fields + "Content-Length: 1\r\n\r\n");
}

TEST(ResponseHead, NoLengthFor204And304) {
  for (int status : {204, 304}) {
    Response res = Response::bytes(status, "application/json", "ignored");
    const std::string out = head(res);
    EXPECT_EQ(out.find("Content-Length"), std::string::npos) << out;
    EXPECT_EQ(out.substr(out.size() - 4), "\r\n\r\n");
  }
}

TEST(ResponseHead, AStreamIsChunkedAndClosesTheConnection) {
  EXPECT_EQ(head(Response::bytes(200, "application/json", ""), 11, false, Framing::Chunked),
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            "Cache-Control: no-cache, private\r\nAudit-Id: a-1\r\nConnection: close\r\n"
            "Transfer-Encoding: chunked\r\n\r\n");
  std::string line;
  appendChunkSize(line, 1402);
  EXPECT_EQ(line, "57a\r\n");
}

TEST(ResponseHead, CrAndLfNeverSplitTheHead) {
  Response res = Response::bytes(200, "text/plain\r\nX-Evil: 1", "");
  res.headers = {{"X-A\r\nX-B", "v\r\n\r\nbody"}};
  const std::string out = head(res);
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plainX-Evil: 1\r\n"
            "Cache-Control: no-cache, private\r\nX-AX-B: vbody\r\nAudit-Id: a-1\r\n"
            "Content-Length: 0\r\n\r\n");
}

}  // namespace
}  // namespace apiserver::server
