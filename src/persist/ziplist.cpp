#include "kvd/persist/ziplist.hpp"

#include "kvd/persist/byte_order.hpp"

namespace kvd::persist {

namespace {

constexpr size_t kHeaderSize = 10;
constexpr uint8_t kEnd = 0xFF;
constexpr uint8_t kBigPrevLen = 0xFE;
constexpr uint16_t kUnknownCount = UINT16_MAX;
constexpr uint8_t kInt16 = 0xC0;
constexpr uint8_t kInt32 = 0xD0;
constexpr uint8_t kInt64 = 0xE0;
constexpr uint8_t kInt24 = 0xF0;
constexpr uint8_t kInt8 = 0xFE;
constexpr uint8_t kImmMin = 0xF1;  // 0xF1..0xFD hold 0..12
constexpr uint8_t kImmMax = 0xFD;

}  // namespace

bool ZiplistCursor::open(std::string_view zl) {
  zl_ = zl;
  if (zl.size() < kHeaderSize + 1 || get_le(zl.data(), 4) != zl.size() ||
      static_cast<uint8_t>(zl.back()) != kEnd) {
    return fail();
  }
  header_count_ = static_cast<uint16_t>(get_le(zl.data() + 8, 2));
  pos_ = kHeaderSize;
  return true;
}

bool ZiplistCursor::next(PackedElem* e) {
  if (failed_ || at_end_) return false;
  const char* p = zl_.data() + pos_;
  size_t left = zl_.size() - 1 - pos_;
  if (left == 0) {
    at_end_ = true;
    return false;
  }
  // The previous entry's size must be recorded truthfully: Redis walks
  // ziplists backwards with it.
  size_t prev_bytes = static_cast<uint8_t>(p[0]) < kBigPrevLen ? 1 : 5;
  if (left < prev_bytes + 1) return fail();
  size_t prev = prev_bytes == 1 ? static_cast<uint8_t>(p[0]) : get_le(p + 1, 4);
  if (static_cast<uint8_t>(p[0]) == kEnd || prev != prev_len_) return fail();
  const char* q = p + prev_bytes;
  left -= prev_bytes;
  auto b = static_cast<uint8_t>(q[0]);
  size_t head = 1, len = 0;
  e->is_int = true;
  e->s = {};
  switch (b >> 6) {
    case 0:
      e->is_int = false;
      len = b & 0x3F;
      break;
    case 1:
      if (left < 2) return fail();
      e->is_int = false;
      len = (size_t{b & 0x3Fu} << 8) | static_cast<uint8_t>(q[1]);
      head = 2;
      break;
    case 2:
      if (left < 5) return fail();
      e->is_int = false;
      len = get_be(q + 1, 4);
      head = 5;
      break;
    default: {
      int bytes = 0;
      if (b == kInt8) bytes = 1;
      if (b == kInt16) bytes = 2;
      if (b == kInt24) bytes = 3;
      if (b == kInt32) bytes = 4;
      if (b == kInt64) bytes = 8;
      if (bytes == 0) {
        if (b < kImmMin || b > kImmMax) return fail();
        e->i = (b & 0x0F) - 1;
        break;
      }
      if (left < size_t(1 + bytes)) return fail();
      uint64_t u = get_le(q + 1, bytes);
      e->i = bytes == 8 ? static_cast<int64_t>(u) : sign_extend(u, 8 * bytes);
      head = 1 + bytes;
    }
  }
  if (left < head + len) return fail();
  if (!e->is_int) e->s = std::string_view(q + head, len);
  prev_len_ = prev_bytes + head + len;
  pos_ += prev_len_;
  ++seen_;
  return true;
}

bool ZiplistCursor::done() const {
  return !failed_ && at_end_ && (header_count_ == kUnknownCount || header_count_ == seen_);
}

bool parse_intset(std::string_view blob, std::vector<int64_t>* out) {
  if (blob.size() < 8) return false;
  uint64_t width = get_le(blob.data(), 4), count = get_le(blob.data() + 4, 4);
  if (width != 2 && width != 4 && width != 8) return false;
  if (blob.size() - 8 != count * width) return false;
  out->clear();
  out->reserve(count);
  const char* p = blob.data() + 8;
  for (uint64_t i = 0; i < count; ++i, p += width) {
    uint64_t u = get_le(p, static_cast<int>(width));
    int64_t v = width == 8 ? static_cast<int64_t>(u) : sign_extend(u, static_cast<int>(8 * width));
    if (!out->empty() && v <= out->back()) return false;
    out->push_back(v);
  }
  return true;
}

namespace {

// A zipmap length at blob[*pos]; false past the end or on the end marker.
bool zipmap_length(std::string_view blob, size_t* pos, uint32_t* len) {
  if (*pos >= blob.size()) return false;
  const uint8_t b = static_cast<uint8_t>(blob[*pos]);
  if (b < 254) {
    *len = b;
    *pos += 1;
    return true;
  }
  if (b == 255 || *pos + 5 > blob.size()) return false;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t(static_cast<uint8_t>(blob[*pos + 1 + i])) << (8 * i);
  *len = v;
  *pos += 5;
  return true;
}

}  // namespace

bool parse_zipmap(std::string_view blob, std::vector<std::string_view>* pairs) {
  if (blob.size() < 2) return false;
  const uint8_t header_count = static_cast<uint8_t>(blob[0]);
  size_t pos = 1;
  size_t entries = 0;
  while (true) {
    if (pos >= blob.size()) return false;
    if (static_cast<uint8_t>(blob[pos]) == 255) {
      ++pos;
      break;
    }
    uint32_t klen = 0, vlen = 0;
    if (!zipmap_length(blob, &pos, &klen) || klen > blob.size() - pos) return false;
    std::string_view key = blob.substr(pos, klen);
    pos += klen;
    if (!zipmap_length(blob, &pos, &vlen) || pos >= blob.size()) return false;
    const uint8_t free_bytes = static_cast<uint8_t>(blob[pos++]);
    if (vlen > blob.size() - pos || free_bytes > blob.size() - pos - vlen) return false;
    std::string_view value = blob.substr(pos, vlen);
    pos += vlen + free_bytes;
    pairs->push_back(key);
    pairs->push_back(value);
    ++entries;
  }
  if (pos != blob.size()) return false;
  return header_count >= 254 || header_count == entries;
}

}  // namespace kvd::persist
