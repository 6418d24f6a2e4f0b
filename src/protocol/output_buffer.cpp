#include "kvd/protocol/output_buffer.hpp"

#include <algorithm>

namespace kvd::protocol {

void OutputBuffer::append_slow(const char* p, size_t n) {
  while (n > 0) {
    if (blocks_.empty() || blocks_.back().end == blocks_.back().cap) {
      Block b;
      b.cap = std::max(kBlockSize, std::min<size_t>(n, 1024 * 1024));
      b.data.reset(new char[b.cap]);
      blocks_.push_back(std::move(b));
    }
    Block& b = blocks_.back();
    size_t chunk = std::min(n, b.cap - b.end);
    std::memcpy(b.data.get() + b.end, p, chunk);
    b.end += chunk;
    size_ += chunk;
    p += chunk;
    n -= chunk;
  }
}

size_t OutputBuffer::allocated() const {
  size_t total = 0;
  for (const auto& b : blocks_) total += b.cap;
  return total;
}

int OutputBuffer::fill_iovec(struct iovec* iov, int max) const {
  int n = 0;
  for (const auto& b : blocks_) {
    if (n == max) break;
    if (b.end == b.start) continue;
    iov[n].iov_base = b.data.get() + b.start;
    iov[n].iov_len = b.end - b.start;
    ++n;
  }
  return n;
}

void OutputBuffer::consume(size_t n) {
  size_ -= n;
  while (n > 0 && !blocks_.empty()) {
    Block& b = blocks_.front();
    size_t avail = b.end - b.start;
    if (n < avail) {
      b.start += n;
      return;
    }
    n -= avail;
    if (blocks_.size() == 1) {
      // Keep the last block for reuse: avoids an allocation per request on a busy
      // connection. release_if_empty() returns it when the connection goes idle.
      b.start = b.end = 0;
    } else {
      blocks_.pop_front();
    }
  }
}

void OutputBuffer::drop_blocks_after(size_t n) {
  size_t kept = 0, held = 0;
  for (const Block& b : blocks_) {
    if (held >= n) break;
    held += b.end - b.start;
    ++kept;
  }
  while (blocks_.size() > kept) blocks_.pop_back();
  size_ = held;
}

void OutputBuffer::take_from(OutputBuffer& other) {
  if (other.size_ == 0) return;
  if (other.size_ <= kBlockSize / 4) {
    for (const auto& b : other.blocks_) append(b.data.get() + b.start, b.end - b.start);
    other.consume(other.size_);
    return;
  }
  for (auto& b : other.blocks_) {
    if (b.end != b.start) blocks_.push_back(std::move(b));
  }
  size_ += other.size_;
  other.blocks_.clear();
  other.size_ = 0;
}

void OutputBuffer::release_if_empty() {
  if (size_ == 0) blocks_.clear();
}

void OutputBuffer::clear() {
  blocks_.clear();
  size_ = 0;
}

std::string OutputBuffer::to_string() const {
  std::string s;
  s.reserve(size_);
  for (const auto& b : blocks_) s.append(b.data.get() + b.start, b.end - b.start);
  return s;
}

}  // namespace kvd::protocol
