#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

// Redis's listpack, the blob inside RDB payloads of small hashes, sorted sets,
// list nodes and stream nodes:
//   total bytes (u32 LE) | element count (u16 LE, 65535 = unknown) |
//   elements | 0xFF
// Each element is an encoding byte (with an integer of 7..64 bits or a string
// of 6-, 12- or 32-bit length) followed by its "backlen", the element's size
// written so the list can be walked backwards. kvd keeps its own layouts in
// memory and converts at the edges.
namespace kvd::persist {

// One element of a listpack or ziplist: an integer or a string.
struct PackedElem {
  bool is_int = false;
  int64_t i = 0;
  std::string_view s;
  // The element as a string; integers are formatted into scratch (>= 24 bytes).
  std::string_view str(char* scratch) const;
};

class ListpackWriter {
 public:
  ListpackWriter();
  // Strings that are canonical integers are stored as integers, as Redis does.
  void add(std::string_view s);
  void add_int(int64_t v);
  size_t count() const { return count_; }
  size_t bytes() const { return buf_.size() + 1; }
  // The finished listpack; the writer is spent.
  std::string finish();

 private:
  void backlen(size_t entry_len);

  std::string buf_;
  size_t count_ = 0;
};

// Walks a listpack, checking every element against the blob's bounds, its
// header and its backlen, so a hostile payload is refused instead of read
// past its end.
class ListpackCursor {
 public:
  // False when the header is malformed (wrong total size, missing 0xFF).
  bool open(std::string_view lp);
  // The next element; false at the end or on a malformed element (then
  // failed() is true).
  bool next(PackedElem* e);
  bool failed() const { return failed_; }
  // True once every element was read and the header's count matched.
  bool done() const;

 private:
  bool fail() {
    failed_ = true;
    return false;
  }

  std::string_view lp_;
  size_t pos_ = 0;
  size_t seen_ = 0;
  uint16_t header_count_ = 0;
  bool failed_ = false;
  bool at_end_ = false;
};

}  // namespace kvd::persist
