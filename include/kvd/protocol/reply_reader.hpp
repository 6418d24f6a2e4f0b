#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace kvd::protocol {

// One element of a RESP2/RESP3 reply. Aggregates (array, map, set, push,
// attribute) carry their length in `count`; their elements follow as the next
// items (a map's as key, value, key, value, ...).
struct ReplyItem {
  enum class Kind {
    kStatus,     // +text            (str)
    kError,      // -CODE text       (str, without the '-')
    kInteger,    // :n               (integer)
    kBulk,       // $n bytes         (str)
    kNullBulk,   // $-1
    kNullArray,  // *-1
    kArray,      // *n               (count)
    kMap,        // %n               (count pairs)
    kSet,        // ~n               (count)
    kPush,       // >n               (count)
    kAttribute,  // |n               (count pairs, then the reply they describe)
    kNull,       // _
    kBoolean,    // #t / #f          (boolean)
    kDouble,     // ,d               (dbl)
    kBigNumber,  // (digits          (str)
    kVerbatim,   // =n fmt:text      (format, str)
  };
  Kind kind = Kind::kNull;
  std::string_view str;
  std::string_view format;
  int64_t integer = 0;
  int64_t count = 0;
  double dbl = 0;
  bool boolean = false;
};

// Reads replies item by item from a buffer that holds them whole (the output
// of a command run for a script). Pure: no allocation, no sockets.
class ReplyReader {
 public:
  explicit ReplyReader(std::string_view buf) : buf_(buf) {}
  // Reads the next item; false at the end of the buffer or on malformed input.
  bool next(ReplyItem& item);
  size_t offset() const { return pos_; }
  bool at_end() const { return pos_ >= buf_.size(); }

 private:
  // The text up to the next CRLF, which is consumed.
  bool line(std::string_view& out);

  std::string_view buf_;
  size_t pos_ = 0;
};

}  // namespace kvd::protocol
