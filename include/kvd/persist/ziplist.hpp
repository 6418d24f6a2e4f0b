#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "kvd/persist/listpack.hpp"

// Blobs of payloads written by Redis before 7.0, read so that DUMPs of older
// servers still RESTORE: ziplists (small lists, hashes and sorted sets up to
// Redis 6.2) and intsets (small integer sets, still written by 7.0).
namespace kvd::persist {

// Ziplist: total bytes (u32 LE) | tail offset (u32 LE) | count (u16 LE) |
// entries | 0xFF. An entry is the previous entry's size (1 byte, or 0xFE and
// 4 bytes), an encoding (string of 6/14/32-bit length, or an integer of
// 8/16/24/32/64 bits, or 0..12 in the encoding byte itself) and the data.
class ZiplistCursor {
 public:
  bool open(std::string_view zl);
  bool next(PackedElem* e);
  bool failed() const { return failed_; }
  bool done() const;

 private:
  bool fail() {
    failed_ = true;
    return false;
  }

  std::string_view zl_;
  size_t pos_ = 0;
  size_t prev_len_ = 0;
  size_t seen_ = 0;
  uint16_t header_count_ = 0;
  bool failed_ = false;
  bool at_end_ = false;
};

// Intset: width in bytes (u32 LE: 2, 4 or 8) | count (u32 LE) | integers in
// ascending order. False unless the blob is exactly that, strictly sorted.
bool parse_intset(std::string_view blob, std::vector<int64_t>* out);

// Zipmap (hashes written by Redis before 2.6): entry count (1 byte, 254 =
// "count them") | entries | 0xFF. An entry is key length, key, value length,
// free bytes (1 byte), value, then that many unused bytes. A length is one
// byte below 254, or 254 and a u32 (LE). Fills `pairs` with field, value,
// field, value ...; false unless the blob is exactly that.
bool parse_zipmap(std::string_view blob, std::vector<std::string_view>* pairs);

}  // namespace kvd::persist
