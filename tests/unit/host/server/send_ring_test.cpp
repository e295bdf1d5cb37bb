// SendRing: sends staged together are each made, answered once with sendmsg's result, and a
// socket that takes nothing answers -EAGAIN at once rather than holding the ring.
#include "server/send_ring.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <string>
#include <vector>

namespace {

using apiserver::server::SendRing;

struct Pair {
  int a = -1, b = -1;
  Pair() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0) {
      a = fds[0];
      b = fds[1];
    }
  }
  ~Pair() {
    if (a >= 0)
      ::close(a);
    if (b >= 0)
      ::close(b);
  }
  Pair(const Pair&) = delete;
  Pair& operator=(const Pair&) = delete;
};

// A message whose buffers live as long as the test needs them.
struct Message {
  std::vector<std::string> parts;
  std::vector<iovec> iov;
  msghdr msg{};
  explicit Message(std::vector<std::string> p) : parts(std::move(p)) {
    for (auto& s : parts)
      iov.push_back(iovec{s.data(), s.size()});
    msg.msg_iov = iov.data();
    msg.msg_iovlen = iov.size();
  }
};

std::string readAll(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0)
      return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

class SendRingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    ring_ = SendRing::create(8, why);
    if (!ring_)
      GTEST_SKIP() << "the kernel refuses io_uring here (" << why
                   << "): the host writes without it";
  }
  std::unique_ptr<SendRing> ring_;
};

TEST_F(SendRingTest, StagedSendsAreMadeInOneSubmitAndAnsweredOnceEach) {
  Pair p1, p2, p3;
  Message m1({"chunk-1 ", "of two parts"}), m2({"second"}), m3({std::string(3000, 'x')});
  ASSERT_TRUE(ring_->stage(p1.a, &m1.msg, 11));
  ASSERT_TRUE(ring_->stage(p2.a, &m2.msg, 22));
  ASSERT_TRUE(ring_->stage(p3.a, &m3.msg, 33));
  EXPECT_EQ(ring_->staged(), 3u);
  // Nothing is sent before submit.
  EXPECT_EQ(readAll(p1.b), "");

  std::map<std::uint64_t, int> answers;
  ring_->submit(
      [&](std::uint64_t tag, int result) { EXPECT_TRUE(answers.emplace(tag, result).second); });
  EXPECT_EQ(ring_->staged(), 0u);
  EXPECT_EQ(answers, (std::map<std::uint64_t, int>{{11, 20}, {22, 6}, {33, 3000}}));
  EXPECT_EQ(readAll(p1.b), "chunk-1 of two parts");
  EXPECT_EQ(readAll(p2.b), "second");
  EXPECT_EQ(readAll(p3.b), std::string(3000, 'x'));

  // The ring is reused: a second batch goes the same way.
  Message again({"again"});
  ASSERT_TRUE(ring_->stage(p2.a, &again.msg, 7));
  answers.clear();
  ring_->submit([&](std::uint64_t tag, int result) { answers.emplace(tag, result); });
  EXPECT_EQ(answers, (std::map<std::uint64_t, int>{{7, 5}}));
  EXPECT_EQ(readAll(p2.b), "again");
}

TEST_F(SendRingTest, AFullSocketAnswersEagainAtOnceAndTheOthersAreStillSent) {
  Pair full, fine;
  // Fill `full` until it takes nothing more.
  const std::string block(65536, 'f');
  while (::send(full.a, block.data(), block.size(), MSG_DONTWAIT) > 0) {
  }
  ASSERT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK);
  Message m1({"cannot go"}), m2({"goes"});
  ASSERT_TRUE(ring_->stage(full.a, &m1.msg, 1));
  ASSERT_TRUE(ring_->stage(fine.a, &m2.msg, 2));
  std::map<std::uint64_t, int> answers;
  ring_->submit([&](std::uint64_t tag, int result) { answers.emplace(tag, result); });
  EXPECT_EQ(answers, (std::map<std::uint64_t, int>{{1, -EAGAIN}, {2, 4}}));
  EXPECT_EQ(readAll(fine.b), "goes");
}

TEST_F(SendRingTest, ABrokenConnectionAnswersItsErrorAndTheOthersAreStillSent) {
  Pair gone, fine;
  ::close(gone.b);
  gone.b = -1;
  const int closedFd = ::open("/dev/null", O_RDONLY);  // not a socket
  ASSERT_GE(closedFd, 0);
  Message m1({"to nobody"}), m2({"not a socket"}), m3({"goes"});
  ASSERT_TRUE(ring_->stage(gone.a, &m1.msg, 1));
  ASSERT_TRUE(ring_->stage(closedFd, &m2.msg, 2));
  ASSERT_TRUE(ring_->stage(fine.a, &m3.msg, 3));
  std::map<std::uint64_t, int> answers;
  ring_->submit([&](std::uint64_t tag, int result) { answers.emplace(tag, result); });
  ::close(closedFd);
  EXPECT_EQ(answers, (std::map<std::uint64_t, int>{{1, -EPIPE}, {2, -ENOTSOCK}, {3, 4}}));
  EXPECT_EQ(readAll(fine.b), "goes");
}

TEST_F(SendRingTest, AFullRingRefusesToStageUntilSubmitted) {
  Pair p;
  Message m({"x"});
  std::size_t staged = 0;
  while (ring_->stage(p.a, &m.msg, staged))
    ++staged;
  EXPECT_GE(staged, 8u);  // (the kernel may round the ring's size up)
  EXPECT_EQ(ring_->staged(), staged);
  std::size_t answered = 0;
  ring_->submit([&](std::uint64_t, int result) {
    EXPECT_EQ(result, 1);
    ++answered;
  });
  EXPECT_EQ(answered, staged);
  EXPECT_EQ(readAll(p.b), std::string(staged, 'x'));
  EXPECT_TRUE(ring_->stage(p.a, &m.msg, 0));
  ring_->submit([](std::uint64_t, int) {});
}

TEST(SendRing, ARingTheKernelRefusesIsNoneAndSaysWhy) {
  std::string why;
  EXPECT_EQ(SendRing::create(1u << 20, why), nullptr);  // more entries than any kernel allows
  EXPECT_EQ(why.rfind("io_uring: ", 0), 0u) << why;
}

TEST_F(SendRingTest, SubmitWithNothingStagedDoesNothing) {
  int calls = 0;
  ring_->submit([&](std::uint64_t, int) { ++calls; });
  EXPECT_EQ(calls, 0);
}

}  // namespace
