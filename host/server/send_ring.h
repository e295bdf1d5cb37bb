#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

struct msghdr;

/// @file send_ring.h
/// SendRing: many non-blocking sendmsg calls made in one system call (an io_uring), for an I/O
/// thread that writes one change to many watch streams. Where a system call is dear (a
/// paravirtualized guest traps on each entry and return) the fan-out's writes are most of a
/// watch's cost; the ring takes one call per batch instead of one per stream
/// (docs/performance.md). liburing stays inside send_ring.cpp.

namespace apiserver::server {

class SendRing {
 public:
  /// create sets up a ring for up to `entries` staged sends, or returns null and says why in
  /// `why` when the kernel refuses (io_uring disabled or filtered by a seccomp profile, or a
  /// kernel before 5.18).
  static std::unique_ptr<SendRing> create(unsigned entries, std::string& why);
  ~SendRing();
  SendRing(const SendRing&) = delete;
  SendRing& operator=(const SendRing&) = delete;

  /// stage queues sendmsg(fd, msg, MSG_DONTWAIT | MSG_NOSIGNAL); `msg` and the buffers it names
  /// must stay valid until submit has answered it. False when the ring is full or has failed
  /// (nothing staged: the caller writes the usual way).
  bool stage(int fd, const msghdr* msg, std::uint64_t tag);
  /// staged is the number of sends staged since the last submit.
  std::size_t staged() const noexcept { return tags_.size(); }
  /// submit hands every staged send to the kernel in one system call and calls done(tag, result)
  /// for each, with sendmsg's result: the bytes sent, or -errno (-EAGAIN: the socket took
  /// nothing). A send the socket takes only in part answers the part. Every staged send is
  /// answered once; should the ring itself fail, with its error (the connection cannot be
  /// written safely any more).
  void submit(const std::function<void(std::uint64_t tag, int result)>& done);

 private:
  SendRing();
  struct Ring;
  std::unique_ptr<Ring> ring_;
  std::vector<std::uint64_t> tags_;  // the staged sends' tags; a send's user data is its index
  std::vector<bool> answered_;       // submit's: which of them have been answered
  bool failed_ = false;              // the ring failed: stage refuses
};

}  // namespace apiserver::server
