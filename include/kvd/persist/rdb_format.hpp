#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

// The value encoding of Redis's RDB format, version 10 (Redis 7.0): what a
// DUMP payload holds and, later, what snapshots are made of. Facts from the
// format's public description; kvd writes its own code for it.
namespace kvd::persist::rdb {

inline constexpr uint16_t kVersion = 10;

// Value type bytes. kvd writes the 7.0 set; it reads every type a 7.0 server
// reads except module values.
enum Type : uint8_t {
  kString = 0,
  kList = 1,
  kSet = 2,
  kZSet = 3,  // scores as ASCII
  kHash = 4,
  kZSet2 = 5,  // scores as binary doubles
  kHashZipmap = 9,
  kListZiplist = 10,
  kSetIntset = 11,
  kZSetZiplist = 12,
  kHashZiplist = 13,
  kListQuicklist = 14,  // nodes are ziplists
  kStreamListpacks = 15,
  kHashListpack = 16,
  kZSetListpack = 17,
  kListQuicklist2 = 18,  // nodes are listpacks or plain elements
  kStreamListpacks2 = 19,
};

// Quicklist-2 node containers.
inline constexpr uint64_t kContainerPlain = 1;
inline constexpr uint64_t kContainerPacked = 2;

// Appends RDB-encoded items to a string.
class Writer {
 public:
  // `compress`: LZF-compress strings longer than 20 bytes when that saves
  // space (Redis's rdbcompression).
  Writer(std::string* out, bool compress) : out_(out), compress_(compress) {}

  void byte(uint8_t b) { out_->push_back(static_cast<char>(b)); }
  // 6-, 14-, 32- or 64-bit length prefix.
  void length(uint64_t n);
  // A string: as a small integer when it is one, else LZF-compressed when
  // worthwhile, else length + bytes.
  void string(std::string_view s);
  void binary_double(double d);
  void u64_le(uint64_t v);
  // Bytes with no prefix (stream IDs in PELs).
  void raw(std::string_view s) { out_->append(s); }

 private:
  bool try_int(std::string_view s);
  bool try_lzf(std::string_view s);

  std::string* out_;
  bool compress_;
};

// Reads RDB-encoded items from a buffer, never past its end. Each call
// returns false on truncated or malformed input; the reader is then spent.
class Reader {
 public:
  explicit Reader(std::string_view in)
      : begin_(in.data()), p_(in.data()), end_(in.data() + in.size()) {}

  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  // Bytes read so far.
  size_t position() const { return static_cast<size_t>(p_ - begin_); }
  // A read wanted more bytes than were left: the input was cut short (as
  // opposed to malformed), which a streaming load takes as "wait for more".
  bool starved() const { return starved_; }
  bool byte(uint8_t* b);
  bool length(uint64_t* n);
  // Any string encoding (plain, integer, LZF).
  bool string(std::string* out);
  bool binary_double(double* d);
  // Old sorted sets: a length byte and the score as text (253 nan, 254 +inf,
  // 255 -inf).
  bool ascii_double(double* d);
  bool u64_le(uint64_t* v);
  bool raw(size_t n, std::string_view* out);

 private:
  // A length, or (with *encoded) the special string encoding in the low bits.
  bool length_or_encoding(uint64_t* n, bool* encoded);
  bool take(size_t n, const char** p);

  const char* begin_;
  const char* p_;
  const char* end_;
  bool starved_ = false;
};

}  // namespace kvd::persist::rdb
