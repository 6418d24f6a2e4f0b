#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

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
  // In-place writing of small replies: where up to n bytes may be written at
  // the end (nullptr when the last block has less room), then commit() of
  // the bytes actually written. Saves staging a reply in a buffer of its own.
  char* tail_room(size_t n) {
    if (blocks_.empty()) return nullptr;
    Block& b = blocks_.back();
    return b.cap - b.end >= n ? b.data.get() + b.end : nullptr;
  }
  void commit(size_t n) {
    blocks_.back().end += n;
    size_ += n;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Bytes allocated for blocks (for CLIENT LIST omem and memory accounting).
  size_t allocated() const;

  // Fills up to max iovecs with pending data; returns the count.
  int fill_iovec(struct iovec* iov, int max) const;
  // Drops n bytes from the front (they were written).
  void consume(size_t n);
  // Frees every block past the ones holding the first n bytes (a send in
  // flight reads those; the rest can go at once).
  void drop_blocks_after(size_t n);
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

  // A queue of blocks on a vector with a moving head. Unlike std::deque (which
  // allocates about 600 bytes as soon as it exists), an empty one owns no
  // memory: that matters for 10,000 idle connections.
  class BlockQueue {
   public:
    bool empty() const { return head_ == v_.size(); }
    size_t size() const { return v_.size() - head_; }
    Block& front() { return v_[head_]; }
    Block& back() { return v_.back(); }
    void push_back(Block&& b) { v_.push_back(std::move(b)); }
    void pop_back() { v_.pop_back(); }
    void pop_front() {
      v_[head_++] = Block{};
      if (head_ == v_.size()) {
        clear_keep_capacity();
      } else if (head_ >= 32 && head_ * 2 >= v_.size()) {
        v_.erase(v_.begin(), v_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
      }
    }
    void clear() {
      std::vector<Block>().swap(v_);
      head_ = 0;
    }
    Block* begin() { return v_.data() + head_; }
    Block* end() { return v_.data() + v_.size(); }
    const Block* begin() const { return v_.data() + head_; }
    const Block* end() const { return v_.data() + v_.size(); }

   private:
    void clear_keep_capacity() {
      v_.clear();
      head_ = 0;
    }
    std::vector<Block> v_;
    size_t head_ = 0;
  };

  BlockQueue blocks_;
  size_t size_ = 0;
};

}  // namespace kvd::protocol
