#include "server/send_ring.h"

#include <liburing.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace apiserver::server {

struct SendRing::Ring {
  io_uring ring{};
};

SendRing::SendRing() : ring_(std::make_unique<Ring>()) {}

SendRing::~SendRing() {
  if (ring_)
    io_uring_queue_exit(&ring_->ring);
}

std::unique_ptr<SendRing> SendRing::create(unsigned entries, std::string& why) {
  std::unique_ptr<SendRing> r(new SendRing());
  // A send that fails to start must not keep the ones staged after it from being submitted
  // (SUBMIT_ALL): each staged send is answered. Kernels before 5.18 do not know the flag.
  const int rc = io_uring_queue_init(entries, &r->ring_->ring, IORING_SETUP_SUBMIT_ALL);
  if (rc == 0)
    return r;
  r->ring_.reset();  // nothing to exit
  why = std::string("io_uring: ") + std::strerror(-rc);
  io_uring plain{};
  if (rc == -EINVAL && io_uring_queue_init(entries, &plain, 0) == 0) {
    io_uring_queue_exit(&plain);
    why = "io_uring: the kernel does not know IORING_SETUP_SUBMIT_ALL (5.18)";
  }
  return nullptr;
}

bool SendRing::stage(int fd, const msghdr* msg, std::uint64_t tag) {
  io_uring_sqe* sqe = failed_ ? nullptr : io_uring_get_sqe(&ring_->ring);
  if (sqe == nullptr)
    return false;
  // MSG_DONTWAIT: a socket that cannot take the bytes answers -EAGAIN at once rather than making
  // the ring wait for it (the caller then waits the usual way).
  io_uring_prep_sendmsg(sqe, fd, msg, MSG_DONTWAIT | MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, tags_.size());
  tags_.push_back(tag);
  return true;
}

void SendRing::submit(const std::function<void(std::uint64_t, int)>& done) {
  const auto want = static_cast<unsigned>(tags_.size());
  if (want == 0)
    return;
  answered_.assign(want, false);
  int rc;
  do {
    rc = io_uring_submit(&ring_->ring);
  } while (rc == -EINTR || rc == -EAGAIN || rc == -EBUSY);
  // The sends complete while the call runs (MSG_DONTWAIT): their answers are there already, and
  // the wait below never sleeps but for a kernel that queued a send (then at most a second).
  unsigned seen = 0;
  while (rc >= 0 && seen < want) {
    io_uring_cqe* cqe = nullptr;
    __kernel_timespec limit{1, 0};
    rc = io_uring_wait_cqe_timeout(&ring_->ring, &cqe, &limit);
    if (rc == -EINTR) {
      rc = 0;
      continue;
    }
    if (rc < 0)
      break;
    const std::uint64_t at = io_uring_cqe_get_data64(cqe);
    const int res = cqe->res;
    io_uring_cqe_seen(&ring_->ring, cqe);
    if (at >= want || answered_[at])
      continue;  // (not ours: never expected)
    answered_[at] = true;
    ++seen;
    done(tags_[at], res);
  }
  // A ring that failed leaves sends unanswered that may yet be made: their connections cannot
  // be written safely any more, and are answered with the error (which ends them). The ring
  // stages nothing more.
  failed_ = failed_ || seen < want;
  for (unsigned at = 0; at < want && seen < want; ++at)
    if (!answered_[at]) {
      answered_[at] = true;
      ++seen;
      done(tags_[at], rc < 0 ? rc : -EIO);
    }
  tags_.clear();
}

}  // namespace apiserver::server
