#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace kvd::engine {

// The element encoding of PackedList, ListNode and small hashes: a little-endian base-128
// length (7 bits a byte, high bit = more) followed by the bytes.

// Writes the length prefix for `len` into out (at most 10 bytes); returns its size.
inline size_t encode_element_len(size_t len, uint8_t* out) {
  size_t n = 0;
  do {
    uint8_t b = len & 0x7f;
    len >>= 7;
    out[n++] = static_cast<uint8_t>(b | (len ? 0x80 : 0));
  } while (len);
  return n;
}

// The element whose prefix starts at data[pos]; *next receives the offset after it.
inline std::string_view decode_element(const char* data, size_t pos, size_t* next) {
  uint64_t len = 0;
  int shift = 0;
  while (true) {
    auto b = static_cast<uint8_t>(data[pos++]);
    len |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
    shift += 7;
  }
  *next = pos + len;
  return {data + pos, static_cast<size_t>(len)};
}

}  // namespace kvd::engine
