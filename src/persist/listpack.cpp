#include "kvd/persist/listpack.hpp"

#include <cstring>

#include "kvd/common/strings.hpp"
#include "kvd/persist/byte_order.hpp"

namespace kvd::persist {

namespace {

constexpr size_t kHeaderSize = 6;
constexpr uint8_t kEnd = 0xFF;
constexpr uint16_t kUnknownCount = UINT16_MAX;
// Encoding bytes (and masks) of the element types.
constexpr uint8_t k7BitUint = 0x00;  // 0xxxxxxx
constexpr uint8_t k6BitStr = 0x80;   // 10xxxxxx
constexpr uint8_t k13BitInt = 0xC0;  // 110xxxxx yyyyyyyy
constexpr uint8_t k12BitStr = 0xE0;  // 1110xxxx yyyyyyyy
constexpr uint8_t k32BitStr = 0xF0;
constexpr uint8_t k16BitInt = 0xF1;
constexpr uint8_t k24BitInt = 0xF2;
constexpr uint8_t k32BitInt = 0xF3;
constexpr uint8_t k64BitInt = 0xF4;

// Bytes the backlen of an element of `len` bytes takes.
size_t backlen_size(size_t len) {
  if (len <= 127) return 1;
  if (len < 16383) return 2;
  if (len < 2097151) return 3;
  if (len < 268435455) return 4;
  return 5;
}

// The backlen bytes in order: 7 bits each, most significant first; every
// byte but the first has bit 7 set, so a backward reader knows to go on.
void encode_backlen(size_t len, char* out, size_t* n) {
  size_t k = backlen_size(len);
  for (size_t i = 0; i < k; ++i) {
    size_t shift = 7 * (k - 1 - i);
    uint8_t b = static_cast<uint8_t>((len >> shift) & 127);
    if (i > 0) b |= 128;
    out[i] = static_cast<char>(b);
  }
  *n = k;
}

}  // namespace

std::string_view PackedElem::str(char* scratch) const {
  return is_int ? std::string_view(scratch, format_int64(i, scratch)) : s;
}

ListpackWriter::ListpackWriter() {
  buf_.assign(kHeaderSize, '\0');
}

void ListpackWriter::backlen(size_t entry_len) {
  char b[5];
  size_t n;
  encode_backlen(entry_len, b, &n);
  buf_.append(b, n);
}

void ListpackWriter::add_int(int64_t v) {
  size_t start = buf_.size();
  auto u = static_cast<uint64_t>(v);
  if (v >= 0 && v <= 127) {
    buf_.push_back(static_cast<char>(v));
  } else if (v >= -4096 && v <= 4095) {
    uint64_t t = u & 0x1FFF;
    buf_.push_back(static_cast<char>(k13BitInt | t >> 8));
    buf_.push_back(static_cast<char>(t & 0xFF));
  } else if (v >= INT16_MIN && v <= INT16_MAX) {
    buf_.push_back(static_cast<char>(k16BitInt));
    put_le(&buf_, u, 2);
  } else if (v >= -(1 << 23) && v < (1 << 23)) {
    buf_.push_back(static_cast<char>(k24BitInt));
    put_le(&buf_, u, 3);
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    buf_.push_back(static_cast<char>(k32BitInt));
    put_le(&buf_, u, 4);
  } else {
    buf_.push_back(static_cast<char>(k64BitInt));
    put_le(&buf_, u, 8);
  }
  backlen(buf_.size() - start);
  ++count_;
}

void ListpackWriter::add(std::string_view s) {
  int64_t v;
  if (parse_int64(s, &v)) {
    add_int(v);
    return;
  }
  size_t start = buf_.size();
  if (s.size() < 64) {
    buf_.push_back(static_cast<char>(k6BitStr | s.size()));
  } else if (s.size() < 4096) {
    buf_.push_back(static_cast<char>(k12BitStr | s.size() >> 8));
    buf_.push_back(static_cast<char>(s.size() & 0xFF));
  } else {
    buf_.push_back(static_cast<char>(k32BitStr));
    put_le(&buf_, s.size(), 4);
  }
  buf_.append(s);
  backlen(buf_.size() - start);
  ++count_;
}

std::string ListpackWriter::finish() {
  buf_.push_back(static_cast<char>(kEnd));
  std::string out = std::move(buf_);
  uint64_t total = out.size();
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(total >> (8 * i));
  uint16_t n = count_ < kUnknownCount ? static_cast<uint16_t>(count_) : kUnknownCount;
  out[4] = static_cast<char>(n & 0xFF);
  out[5] = static_cast<char>(n >> 8);
  return out;
}

bool ListpackCursor::open(std::string_view lp) {
  lp_ = lp;
  if (lp.size() < kHeaderSize + 1 || get_le(lp.data(), 4) != lp.size() ||
      static_cast<uint8_t>(lp.back()) != kEnd) {
    failed_ = true;
    return false;
  }
  header_count_ = static_cast<uint16_t>(get_le(lp.data() + 4, 2));
  pos_ = kHeaderSize;
  return true;
}

bool ListpackCursor::next(PackedElem* e) {
  if (failed_ || at_end_) return false;
  const char* p = lp_.data() + pos_;
  // Bytes left before the terminator.
  size_t left = lp_.size() - 1 - pos_;
  if (left == 0) {
    at_end_ = true;
    return false;
  }
  auto b = static_cast<uint8_t>(p[0]);
  size_t head = 1, len = 0;  // encoding bytes, string bytes
  e->is_int = true;
  e->s = {};
  auto need = [&](size_t n) { return left >= n; };
  if ((b & 0x80) == k7BitUint) {
    e->i = b & 0x7F;
  } else if ((b & 0xC0) == k6BitStr) {
    e->is_int = false;
    len = b & 0x3F;
  } else if ((b & 0xE0) == k13BitInt) {
    if (!need(2)) return fail();
    e->i = sign_extend((uint64_t{b & 0x1Fu} << 8) | static_cast<uint8_t>(p[1]), 13);
    head = 2;
  } else if ((b & 0xF0) == k12BitStr) {
    if (!need(2)) return fail();
    e->is_int = false;
    len = (size_t{b & 0x0Fu} << 8) | static_cast<uint8_t>(p[1]);
    head = 2;
  } else if (b == k32BitStr) {
    if (!need(5)) return fail();
    e->is_int = false;
    len = get_le(p + 1, 4);
    head = 5;
  } else if (b >= k16BitInt && b <= k64BitInt) {
    int bytes = b == k16BitInt ? 2 : b == k24BitInt ? 3 : b == k32BitInt ? 4 : 8;
    if (!need(1 + bytes)) return fail();
    uint64_t u = get_le(p + 1, bytes);
    e->i = bytes == 8 ? static_cast<int64_t>(u) : sign_extend(u, 8 * bytes);
    head = 1 + bytes;
  } else {
    return fail();  // 0xF5..0xFE, or 0xFF before the end
  }
  size_t entry = head + len;
  if (entry < head || !need(entry)) return fail();
  if (!e->is_int) e->s = std::string_view(p + head, len);
  char expect[5];
  size_t bl;
  encode_backlen(entry, expect, &bl);
  if (!need(entry + bl) || std::memcmp(p + entry, expect, bl) != 0) {
    return fail();
  }
  pos_ += entry + bl;
  ++seen_;
  return true;
}

bool ListpackCursor::done() const {
  return !failed_ && at_end_ && (header_count_ == kUnknownCount || header_count_ == seen_);
}

}  // namespace kvd::persist
