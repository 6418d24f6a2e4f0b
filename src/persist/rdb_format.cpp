#include "kvd/persist/rdb_format.hpp"

#include <bit>
#include <cstring>

#include "kvd/common/strings.hpp"
#include "kvd/persist/byte_order.hpp"
#include "kvd/persist/lzf.hpp"

namespace kvd::persist::rdb {

namespace {

// Top two bits of a length's first byte.
constexpr uint8_t k6Bit = 0;
constexpr uint8_t k14Bit = 1;
constexpr uint8_t kEncoded = 3;
constexpr uint8_t k32Bit = 0x80;
constexpr uint8_t k64Bit = 0x81;
// Special string encodings (low six bits after kEncoded).
constexpr uint8_t kEncInt8 = 0;
constexpr uint8_t kEncInt16 = 1;
constexpr uint8_t kEncInt32 = 2;
constexpr uint8_t kEncLzf = 3;
// Strings up to this length are never compressed (Redis's threshold).
constexpr size_t kCompressMin = 21;
// One LZF back reference (3 bytes) yields at most 264 bytes.
constexpr size_t kLzfMaxRatio = 88;

}  // namespace

void Writer::length(uint64_t n) {
  if (n < (1u << 6)) {
    byte(static_cast<uint8_t>(k6Bit << 6 | n));
  } else if (n < (1u << 14)) {
    byte(static_cast<uint8_t>(k14Bit << 6 | n >> 8));
    byte(static_cast<uint8_t>(n & 0xff));
  } else if (n <= UINT32_MAX) {
    byte(k32Bit);
    put_be(out_, n, 4);
  } else {
    byte(k64Bit);
    put_be(out_, n, 8);
  }
}

bool Writer::try_int(std::string_view s) {
  int64_t v;
  // Only canonical integers survive the round trip (parse_int64 is strict).
  if (s.size() > 11 || !parse_int64(s, &v)) return false;
  if (v >= INT8_MIN && v <= INT8_MAX) {
    byte(kEncoded << 6 | kEncInt8);
    put_le(out_, static_cast<uint64_t>(v), 1);
  } else if (v >= INT16_MIN && v <= INT16_MAX) {
    byte(kEncoded << 6 | kEncInt16);
    put_le(out_, static_cast<uint64_t>(v), 2);
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    byte(kEncoded << 6 | kEncInt32);
    put_le(out_, static_cast<uint64_t>(v), 4);
  } else {
    return false;
  }
  return true;
}

bool Writer::try_lzf(std::string_view s) {
  if (!compress_ || s.size() < kCompressMin) return false;
  // Worth it only when at least 4 bytes are saved, as Redis decides.
  std::string buf(s.size() - 4, '\0');
  size_t n = lzf_compress(reinterpret_cast<const uint8_t*>(s.data()), s.size(),
                          reinterpret_cast<uint8_t*>(buf.data()), buf.size());
  if (n == 0) return false;
  byte(kEncoded << 6 | kEncLzf);
  length(n);
  length(s.size());
  out_->append(buf.data(), n);
  return true;
}

void Writer::string(std::string_view s) {
  if (try_int(s) || try_lzf(s)) return;
  length(s.size());
  out_->append(s);
}

void Writer::binary_double(double d) {
  u64_le(std::bit_cast<uint64_t>(d));
}

void Writer::u64_le(uint64_t v) {
  put_le(out_, v, 8);
}

bool Reader::take(size_t n, const char** p) {
  if (remaining() < n) {
    starved_ = true;
    return false;
  }
  *p = p_;
  p_ += n;
  return true;
}

bool Reader::byte(uint8_t* b) {
  const char* p;
  if (!take(1, &p)) return false;
  *b = static_cast<uint8_t>(*p);
  return true;
}

bool Reader::length_or_encoding(uint64_t* n, bool* encoded) {
  uint8_t b;
  if (!byte(&b)) return false;
  *encoded = false;
  const char* p;
  switch (b >> 6) {
    case k6Bit:
      *n = b & 0x3f;
      return true;
    case k14Bit:
      if (!take(1, &p)) return false;
      *n = uint64_t{b & 0x3fu} << 8 | static_cast<uint8_t>(*p);
      return true;
    case kEncoded:
      *encoded = true;
      *n = b & 0x3f;
      return true;
    default:
      if (b == k32Bit && take(4, &p)) {
        *n = get_be(p, 4);
        return true;
      }
      if (b == k64Bit && take(8, &p)) {
        *n = get_be(p, 8);
        return true;
      }
      return false;
  }
}

bool Reader::length(uint64_t* n) {
  bool encoded;
  return length_or_encoding(n, &encoded) && !encoded;
}

bool Reader::string(std::string* out) {
  uint64_t n;
  bool encoded;
  if (!length_or_encoding(&n, &encoded)) return false;
  const char* p;
  if (!encoded) {
    if (!take(n, &p)) return false;
    out->assign(p, n);
    return true;
  }
  char buf[24];
  switch (n) {
    case kEncInt8:
    case kEncInt16:
    case kEncInt32: {
      int bytes = n == kEncInt8 ? 1 : n == kEncInt16 ? 2 : 4;
      if (!take(bytes, &p)) return false;
      uint64_t u = get_le(p, bytes);
      int shift = 64 - 8 * bytes;
      int64_t v = static_cast<int64_t>(u << shift) >> shift;  // sign-extend
      out->assign(buf, format_int64(v, buf));
      return true;
    }
    case kEncLzf: {
      uint64_t clen, len;
      if (!length(&clen) || !length(&len) || !take(clen, &p)) return false;
      // Refuse a claimed size the compressed bytes cannot produce before
      // allocating it: a payload must not make us reserve gigabytes.
      if (len == 0 || len / kLzfMaxRatio > clen) return false;
      out->resize(len);
      return lzf_decompress(reinterpret_cast<const uint8_t*>(p), clen,
                            reinterpret_cast<uint8_t*>(out->data()), len);
    }
    default:
      return false;
  }
}

bool Reader::binary_double(double* d) {
  uint64_t v;
  if (!u64_le(&v)) return false;
  *d = std::bit_cast<double>(v);
  return true;
}

bool Reader::ascii_double(double* d) {
  uint8_t len;
  if (!byte(&len)) return false;
  switch (len) {
    case 253:
      *d = __builtin_nan("");
      return true;
    case 254:
      *d = __builtin_inf();
      return true;
    case 255:
      *d = -__builtin_inf();
      return true;
  }
  const char* p;
  if (!take(len, &p)) return false;
  return parse_double(std::string_view(p, len), d);
}

bool Reader::u64_le(uint64_t* v) {
  const char* p;
  if (!take(8, &p)) return false;
  *v = get_le(p, 8);
  return true;
}

bool Reader::raw(size_t n, std::string_view* out) {
  const char* p;
  if (!take(n, &p)) return false;
  *out = std::string_view(p, n);
  return true;
}

}  // namespace kvd::persist::rdb
