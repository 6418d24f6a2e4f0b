#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kvd/engine/varint.hpp"

namespace kvd::engine {

// One node of a List: elements laid out as in a PackedList (a varint length,
// then the bytes), but in a buffer with free room at both ends. A push or pop
// at either end of a node holding thousands of elements then moves nothing,
// where a listpack (and PackedList) moves the whole node on every LPUSH and
// LPOP. An insert or erase in the middle moves whichever side is shorter.
//
// Positions are byte offsets from the first element: begin() is 0 and end()
// is bytes(). Mutations invalidate offsets after the point of change, and a
// change at the front (push_front, erase(0)) invalidates all of them.
class ListNode {
 public:
  ListNode() = default;
  ~ListNode();
  // The copy keeps the bytes and none of the free room.
  ListNode(const ListNode& o);
  ListNode& operator=(const ListNode&) = delete;

  size_t size() const { return size_; }
  size_t bytes() const { return bytes_; }
  bool empty() const { return size_ == 0; }
  size_t allocated() const { return cap_; }

  // The element starting at offset `pos`; *next receives the following offset.
  std::string_view at(size_t pos, size_t* next) const { return decode_element(data(), pos, next); }
  size_t next(size_t pos) const {
    size_t n;
    at(pos, &n);
    return n;
  }
  // Offset of the element with index i (0-based), walking from the front.
  size_t offset_of(size_t index) const {
    size_t pos = 0;
    while (index-- > 0) pos = next(pos);
    return pos;
  }

  void push_back(std::string_view s) { insert(bytes_, s); }
  void push_front(std::string_view s) { insert(0, s); }
  // Inserts before the element at offset `pos` (or at the end when pos == bytes()).
  void insert(size_t pos, std::string_view s);
  void replace(size_t pos, std::string_view s) {
    erase(pos);
    insert(pos, s);
  }
  // Removes the element at `pos`; the next element then starts at `pos`.
  void erase(size_t pos) { erase_bytes(pos, next(pos) - pos, 1); }
  // Removes `count` consecutive elements starting at `pos`.
  void erase_range(size_t pos, size_t count) {
    size_t end = pos;
    for (size_t i = 0; i < count; ++i) end = next(end);
    erase_bytes(pos, end - pos, count);
  }
  // Gives back the free room (after big deletions).
  void shrink_to_fit();

 private:
  char* data() const { return buf_ + head_; }
  size_t tail_room() const { return cap_ - head_ - bytes_; }
  void erase_bytes(size_t pos, size_t len, size_t count);
  // Opens a gap of `len` bytes at `pos`, moving the shorter side when the
  // room is there and reallocating when it is not.
  void open_gap(size_t pos, size_t len);
  // Moves the bytes into a buffer of `cap` bytes with `len` free at `pos` and
  // `front` free before the first element.
  void relayout(size_t cap, size_t front, size_t pos, size_t len);

  char* buf_ = nullptr;
  uint32_t cap_ = 0;
  uint32_t head_ = 0;  // free bytes before the first element
  uint32_t bytes_ = 0;
  uint32_t size_ = 0;
};

}  // namespace kvd::engine
