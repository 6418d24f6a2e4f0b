#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

namespace kvd::protocol {

// A connection's pending reply bytes: a chain of fixed-size blocks, so a large
// reply never causes one big reallocation and an idle connection holds no block.
class OutputBuffer {
 public:
  static constexpr size_t kBlockSize = 16 * 1024;

  void append(const char* p, size_t n) {
    if (n == 0) return;  // p may be null for an empty view
    if (!blocks_.empty()) {
      Block& b = blocks_.back();
      if (b.cap - b.end >= n) {
        std::memcpy(b.data.get() + b.end, p, n);
        b.end += n;
        size_ += n;
        return;
      }
    }
    append_slow(p, n);
  }
  void append(std::string_view s) { append(s.data(), s.size()); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Bytes allocated for blocks (for CLIENT LIST omem and memory accounting).
  size_t allocated() const;

  // Fills up to max iovecs with pending data; returns the count.
  int fill_iovec(struct iovec* iov, int max) const;
  // Drops n bytes from the front (they were written).
  void consume(size_t n);
  void clear();
  // Moves all of other's pending bytes to the end of this buffer, leaving other
  // empty. Small amounts are copied (both sides keep their spare block, so a
  // request-reply exchange allocates nothing); large ones move whole blocks.
  void take_from(OutputBuffer& other);
  // Frees the spare block kept for reuse when nothing is pending.
  void release_if_empty();
  std::string to_string() const;

 private:
  struct Block {
    std::unique_ptr<char[]> data;
    size_t cap = 0;
    size_t start = 0;
    size_t end = 0;
  };
  void append_slow(const char* p, size_t n);

  std::deque<Block> blocks_;
  size_t size_ = 0;
};

}  // namespace kvd::protocol
