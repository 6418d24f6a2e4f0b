#pragma once

#include <malloc.h>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <string_view>

#include "kvd/engine/varint.hpp"

namespace kvd::engine {

// A compact sequence of byte strings in one contiguous allocation, the role
// Redis's listpack plays for small collections: each element is a varint length
// followed by its bytes. Small hashes, sets, sorted sets and lists live in one of
// these until they pass their `*-max-listpack-*` thresholds, so a 10-field hash
// costs one allocation instead of twenty.
//
// Positions are byte offsets; begin() is 0 and end() is bytes(). Mutations
// invalidate offsets after the point of change.
//
// The handle is 16 bytes (pointer, element count, byte length): the capacity
// is what the allocator reports for the buffer, so it is not stored. A list
// is at most 4 GiB; its users convert or split long before that.
class PackedList {
 public:
  PackedList() = default;
  ~PackedList() { std::free(data_); }
  PackedList(const PackedList& o) : size_(o.size_), bytes_(o.bytes_) {
    if (bytes_) {
      data_ = static_cast<char*>(std::malloc(bytes_));
      if (!data_) throw std::bad_alloc();
      std::memcpy(data_, o.data_, bytes_);
    }
  }
  PackedList& operator=(const PackedList&) = delete;

  size_t size() const { return size_; }
  size_t bytes() const { return bytes_; }
  size_t allocated() const { return data_ ? malloc_usable_size(data_) : 0; }
  bool empty() const { return size_ == 0; }

  // The element starting at offset `pos`; *next receives the following offset.
  std::string_view at(size_t pos, size_t* next) const { return decode_element(data_, pos, next); }
  // Offset of the next element after the one at `pos`.
  size_t next(size_t pos) const {
    size_t n;
    at(pos, &n);
    return n;
  }

  void push_back(std::string_view s) { insert(bytes_, s); }
  void push_front(std::string_view s) { insert(0, s); }
  // Inserts before the element at offset `pos` (or at the end when pos == bytes()).
  void insert(size_t pos, std::string_view s) {
    uint8_t hdr[10];
    size_t h = encode_element_len(s.size(), hdr);
    size_t need = h + s.size();
    reserve(bytes_ + need);
    std::memmove(data_ + pos + need, data_ + pos, bytes_ - pos);
    std::memcpy(data_ + pos, hdr, h);
    if (!s.empty()) std::memcpy(data_ + pos + h, s.data(), s.size());
    bytes_ += static_cast<uint32_t>(need);
    ++size_;
  }
  // Replaces the element at `pos` with `s`.
  void replace(size_t pos, std::string_view s) {
    erase(pos);
    insert(pos, s);
  }
  // Removes the element at `pos`; the next element then starts at `pos`.
  void erase(size_t pos) {
    size_t end = next(pos);
    std::memmove(data_ + pos, data_ + end, bytes_ - end);
    bytes_ -= static_cast<uint32_t>(end - pos);
    --size_;
  }
  // Removes `count` consecutive elements starting at `pos`.
  void erase_range(size_t pos, size_t count) {
    size_t end = pos;
    for (size_t i = 0; i < count; ++i) end = next(end);
    std::memmove(data_ + pos, data_ + end, bytes_ - end);
    bytes_ -= static_cast<uint32_t>(end - pos);
    size_ -= static_cast<uint32_t>(count);
  }
  // Offset of the first element equal to `s` at or after `from`, stepping `step`
  // elements at a time (2 for key/value layouts); bytes() when absent.
  size_t find(std::string_view s, size_t from = 0, size_t step = 1) const {
    size_t pos = from;
    while (pos < bytes_) {
      size_t nx;
      std::string_view e = at(pos, &nx);
      if (e == s) return pos;
      for (size_t i = 1; i < step && nx < bytes_; ++i) nx = next(nx);
      pos = nx;
    }
    return bytes_;
  }
  // Offset of the element with index i (0-based), walking from the front.
  size_t offset_of(size_t index) const {
    size_t pos = 0;
    while (index-- > 0) pos = next(pos);
    return pos;
  }
  // Gives back slack capacity (after big deletions).
  void shrink_to_fit() {
    if (allocated() > size_t{bytes_} + 64) realloc_to(bytes_);
  }

 private:
  void reserve(size_t want) {
    size_t have = allocated();
    if (want <= have) return;
    if (want > std::numeric_limits<uint32_t>::max()) throw std::bad_alloc();
    size_t cap = have < 64 ? 64 : have;
    while (cap < want) cap += cap / 2;
    // Small lists grow exactly, so a many-small-collections keyspace stays dense.
    if (want < 256) cap = want;
    realloc_to(cap);
  }
  void realloc_to(size_t cap) {
    char* p = static_cast<char*>(std::realloc(data_, cap ? cap : 1));
    if (!p) throw std::bad_alloc();
    data_ = p;
  }

  char* data_ = nullptr;
  uint32_t size_ = 0;
  uint32_t bytes_ = 0;
};

static_assert(sizeof(PackedList) == 16);

}  // namespace kvd::engine
