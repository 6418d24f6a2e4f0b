#include "kvd/engine/types/list_node.hpp"

#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

namespace kvd::engine {

namespace {

// Below this a node is sized exactly, so a keyspace of many small lists stays
// as dense as a listpack; above it, free room pays for itself.
constexpr size_t kExactBytes = 256;

}  // namespace

ListNode::~ListNode() {
  std::free(buf_);
}

ListNode::ListNode(const ListNode& o) : cap_(o.bytes_), bytes_(o.bytes_), size_(o.size_) {
  if (bytes_) {
    buf_ = static_cast<char*>(std::malloc(bytes_));
    if (!buf_) throw std::bad_alloc();
    std::memcpy(buf_, o.data(), bytes_);
  }
}

void ListNode::insert(size_t pos, std::string_view s) {
  uint8_t hdr[10];
  size_t h = encode_element_len(s.size(), hdr);
  size_t need = h + s.size();
  open_gap(pos, need);
  char* d = data();
  std::memcpy(d + pos, hdr, h);
  if (!s.empty()) std::memcpy(d + pos + h, s.data(), s.size());
  bytes_ += static_cast<uint32_t>(need);
  ++size_;
}

void ListNode::open_gap(size_t pos, size_t len) {
  size_t front = pos, back = bytes_ - pos;
  if (front <= back && head_ >= len) {
    std::memmove(buf_ + head_ - len, data(), front);
    head_ -= static_cast<uint32_t>(len);
    return;
  }
  if (back < front && tail_room() >= len) {
    char* d = data();
    std::memmove(d + pos + len, d + pos, back);
    return;
  }
  // Only the longer side could move (or nothing can): lay the node out afresh
  // with free room at both ends, most of it at the end being pushed to, so the
  // next pushes there (and some at the other end) find room without moving
  // the node again.
  size_t want = bytes_ + len;
  if (want > std::numeric_limits<uint32_t>::max()) throw std::bad_alloc();
  size_t cap;
  if (cap_ >= want && (want < kExactBytes || cap_ - want >= cap_ / 4)) {
    cap = cap_;
  } else if (want < kExactBytes) {
    cap = want;
  } else {
    cap = want + want / 2;
  }
  size_t slack = cap - want;
  size_t front_room = pos == 0 ? slack - slack / 4 : pos == bytes_ ? slack / 4 : slack / 2;
  relayout(cap, front_room, pos, len);
}

void ListNode::relayout(size_t cap, size_t front, size_t pos, size_t len) {
  char* p = static_cast<char*>(std::malloc(cap ? cap : 1));
  if (!p) throw std::bad_alloc();
  if (bytes_) {
    std::memcpy(p + front, data(), pos);
    std::memcpy(p + front + pos + len, data() + pos, bytes_ - pos);
  }
  std::free(buf_);
  buf_ = p;
  cap_ = static_cast<uint32_t>(cap);
  head_ = static_cast<uint32_t>(front);
}

void ListNode::erase_bytes(size_t pos, size_t len, size_t count) {
  size_t back = bytes_ - pos - len;
  char* d = data();
  if (pos <= back) {
    std::memmove(d + len, d, pos);
    head_ += static_cast<uint32_t>(len);
  } else {
    std::memmove(d + pos, d + pos + len, back);
  }
  bytes_ -= static_cast<uint32_t>(len);
  size_ -= static_cast<uint32_t>(count);
}

void ListNode::shrink_to_fit() {
  if (cap_ > size_t{bytes_} + 64) relayout(bytes_, 0, bytes_, 0);
}

}  // namespace kvd::engine
