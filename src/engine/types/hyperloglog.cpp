#include "kvd/engine/types/hyperloglog.hpp"

#include <cmath>
#include <cstring>

namespace kvd::engine::hll {
namespace {

constexpr uint64_t kSeed = 0xadc83b19ull;
constexpr int kQ = 64 - kP;  // hash bits left for the run of zeros
constexpr uint8_t kSparseMaxValue = 32;
constexpr size_t kMaxXzero = 16384;
constexpr size_t kMaxZero = 64;
constexpr size_t kMaxValRun = 4;

}  // namespace

uint64_t murmur64a(const void* data, size_t len, uint64_t seed) {
  // MurmurHash64A by Austin Appleby (public domain), little-endian reads.
  const uint64_t m = 0xc6a4a7935bd1e995ull;
  const int r = 47;
  uint64_t h = seed ^ (len * m);
  auto p = static_cast<const unsigned char*>(data);
  const unsigned char* end = p + (len & ~size_t{7});
  for (; p != end; p += 8) {
    uint64_t k = 0;
    for (int i = 7; i >= 0; --i) k = (k << 8) | p[i];
    k *= m;
    k ^= k >> r;
    k *= m;
    h ^= k;
    h *= m;
  }
  size_t tail = len & 7;
  if (tail) {
    for (size_t i = tail; i-- > 0;) h ^= static_cast<uint64_t>(p[i]) << (8 * i);
    h *= m;
  }
  h ^= h >> r;
  h *= m;
  h ^= h >> r;
  return h;
}

std::string make_empty() {
  std::string s(kHeaderSize, '\0');
  std::memcpy(s.data(), "HYLL", 4);
  s[4] = static_cast<char>(kSparse);
  // One XZERO opcode covering every register.
  size_t run = kRegisters - 1;
  s.push_back(static_cast<char>(0x40 | (run >> 8)));
  s.push_back(static_cast<char>(run & 0xff));
  return s;
}

Status check(std::string_view s) {
  if (s.size() < kHeaderSize || std::memcmp(s.data(), "HYLL", 4) != 0) return Status::kNotHll;
  auto enc = static_cast<uint8_t>(s[4]);
  if (enc > kSparse) return Status::kNotHll;
  if (enc == kDense && s.size() != kDenseSize) return Status::kNotHll;
  return Status::kOk;
}

uint8_t encoding_of(std::string_view s) {
  return static_cast<uint8_t>(s[4]);
}

uint8_t dense_get(const char* body, size_t i) {
  size_t bit = i * 6;
  size_t byte = bit / 8;
  unsigned shift = bit & 7;
  unsigned b0 = static_cast<uint8_t>(body[byte]);
  unsigned b1 = byte + 1 < kRegisters * 6 / 8 ? static_cast<uint8_t>(body[byte + 1]) : 0;
  return static_cast<uint8_t>(((b0 >> shift) | (b1 << (8 - shift))) & 63);
}

void dense_set(char* body, size_t i, uint8_t v) {
  size_t bit = i * 6;
  size_t byte = bit / 8;
  unsigned shift = bit & 7;
  unsigned word = static_cast<uint8_t>(body[byte]);
  bool two = byte + 1 < kRegisters * 6 / 8;
  if (two) word |= static_cast<unsigned>(static_cast<uint8_t>(body[byte + 1])) << 8;
  word &= ~(63u << shift);
  word |= static_cast<unsigned>(v & 63) << shift;
  body[byte] = static_cast<char>(word & 0xff);
  if (two) body[byte + 1] = static_cast<char>((word >> 8) & 0xff);
}

Status decode(std::string_view s, Registers regs) {
  const char* body = s.data() + kHeaderSize;
  if (encoding_of(s) == kDense) {
    for (size_t i = 0; i < kRegisters; ++i) regs[i] = dense_get(body, i);
    return Status::kOk;
  }
  size_t len = s.size() - kHeaderSize;
  size_t idx = 0;
  for (size_t p = 0; p < len;) {
    auto op = static_cast<uint8_t>(body[p]);
    size_t run;
    uint8_t value = 0;
    if ((op & 0xc0) == 0x00) {
      run = (op & 0x3f) + 1u;
      p += 1;
    } else if ((op & 0xc0) == 0x40) {
      if (p + 1 >= len) return Status::kCorrupt;
      run = (((op & 0x3fu) << 8) | static_cast<uint8_t>(body[p + 1])) + 1;
      p += 2;
    } else {
      value = static_cast<uint8_t>(((op >> 2) & 0x1f) + 1);
      run = (op & 0x3u) + 1;
      p += 1;
    }
    if (idx + run > kRegisters) return Status::kCorrupt;
    std::memset(regs + idx, value, run);
    idx += run;
  }
  return idx == kRegisters ? Status::kOk : Status::kCorrupt;
}

void position(std::string_view element, size_t* index, uint8_t* value) {
  uint64_t h = murmur64a(element.data(), element.size(), kSeed);
  *index = h & (kRegisters - 1);
  // A sentinel bit bounds the run at kQ zeros, so the value is 1..kQ+1.
  h >>= kP;
  h |= uint64_t{1} << kQ;
  *value = static_cast<uint8_t>(__builtin_ctzll(h) + 1);
}

bool add(Registers regs, std::string_view element) {
  size_t i;
  uint8_t v;
  position(element, &i, &v);
  if (v <= regs[i]) return false;
  regs[i] = v;
  return true;
}

std::string encode_sparse(const Registers regs, size_t max_bytes) {
  std::string s(kHeaderSize, '\0');
  std::memcpy(s.data(), "HYLL", 4);
  s[4] = static_cast<char>(kSparse);
  for (size_t i = 0; i < kRegisters;) {
    uint8_t v = regs[i];
    size_t run = 1;
    while (i + run < kRegisters && regs[i + run] == v) ++run;
    i += run;
    if (v > kSparseMaxValue) return {};
    while (run > 0) {
      if (v == 0 && run > kMaxZero) {
        size_t n = run < kMaxXzero ? run : kMaxXzero;
        s.push_back(static_cast<char>(0x40 | ((n - 1) >> 8)));
        s.push_back(static_cast<char>((n - 1) & 0xff));
        run -= n;
      } else if (v == 0) {
        s.push_back(static_cast<char>(run - 1));
        run = 0;
      } else {
        size_t n = run < kMaxValRun ? run : kMaxValRun;
        s.push_back(static_cast<char>(0x80 | ((v - 1) << 2) | (n - 1)));
        run -= n;
      }
    }
    if (s.size() - kHeaderSize > max_bytes) return {};
  }
  return s;
}

std::string encode_dense(const Registers regs) {
  std::string s(kDenseSize, '\0');
  std::memcpy(s.data(), "HYLL", 4);
  s[4] = static_cast<char>(kDense);
  char* body = s.data() + kHeaderSize;
  for (size_t i = 0; i < kRegisters; ++i) {
    if (regs[i]) dense_set(body, i, regs[i]);
  }
  return s;
}

namespace {

// Ertl, "New cardinality estimation algorithms for HyperLogLog sketches":
// sigma and tau correct for registers at 0 and at the maximum value.
double sigma(double x) {
  if (x == 1.0) return INFINITY;
  double y = 1.0, z = x, prev;
  do {
    x *= x;
    prev = z;
    z += x * y;
    y += y;
  } while (prev != z);
  return z;
}

double tau(double x) {
  if (x == 0.0 || x == 1.0) return 0.0;
  double y = 1.0, z = 1.0 - x, prev;
  do {
    x = std::sqrt(x);
    prev = z;
    y *= 0.5;
    z -= (1.0 - x) * (1.0 - x) * y;
  } while (prev != z);
  return z / 3.0;
}

}  // namespace

uint64_t estimate(const Registers regs) {
  int histogram[64] = {};
  for (size_t i = 0; i < kRegisters; ++i) ++histogram[regs[i] & 63];
  const double m = static_cast<double>(kRegisters);
  double z = m * tau((m - histogram[kQ + 1]) / m);
  for (int j = kQ; j >= 1; --j) {
    z += histogram[j];
    z *= 0.5;
  }
  z += m * sigma(histogram[0] / m);
  const double alpha_inf = 0.5 / std::log(2.0);
  return static_cast<uint64_t>(std::llround(alpha_inf * m * m / z));
}

bool cache_valid(std::string_view s) {
  return (static_cast<uint8_t>(s[15]) & 0x80) == 0;
}

uint64_t cached(std::string_view s) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(s[8 + i]);
  return v;
}

void set_cache(char* hdr, uint64_t card) {
  for (int i = 0; i < 8; ++i) hdr[8 + i] = static_cast<char>((card >> (8 * i)) & 0xff);
}

void invalidate_cache(char* hdr) {
  hdr[15] = static_cast<char>(static_cast<uint8_t>(hdr[15]) | 0x80);
}

}  // namespace kvd::engine::hll
