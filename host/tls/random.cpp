#include "tls/random.h"

#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <random>

namespace apiserver::tls {

namespace {

/// RandomBytes hands out the bytes of one RAND_bytes call a piece at a time: OpenSSL asks the
/// kernel for the process id (a system call, for fork safety) on every call. The server does not
/// fork, so one thread's buffer is never shared with another process.
class RandomBytes {
 public:
  bool take(unsigned char* out, std::size_t n) {
    if (used_ + n > buffer_.size()) {
      if (RAND_bytes(buffer_.data(), static_cast<int>(buffer_.size())) != 1)
        return false;
      used_ = 0;
    }
    std::memcpy(out, buffer_.data() + used_, n);
    used_ += n;
    return true;
  }

 private:
  static constexpr std::size_t kSize = 4096;
  std::array<unsigned char, kSize> buffer_{};
  std::size_t used_ = kSize;  // all used: the first take fills the buffer
};

}  // namespace

std::string randomUuid() {
  thread_local RandomBytes source;  // per thread: no locking
  std::array<unsigned char, 16> b{};
  if (!source.take(b.data(), b.size())) {
    // OpenSSL could not seed its generator: ask the kernel directly.
    std::random_device rd;
    for (std::size_t i = 0; i < b.size(); i += 4) {
      const std::uint32_t r = rd();
      for (std::size_t j = 0; j < 4; ++j)
        b[i + j] = static_cast<unsigned char>(r >> (8 * j));
    }
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // variant 10
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(36, '-');  // the dashes stay where no digit is written
  char* p = s.data();
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10)
      ++p;
    *p++ = kHex[b[i] >> 4];
    *p++ = kHex[b[i] & 0x0f];
  }
  return s;
}

}  // namespace apiserver::tls
