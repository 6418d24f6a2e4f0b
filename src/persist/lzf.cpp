#include "kvd/persist/lzf.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

namespace kvd::persist {

namespace {

constexpr size_t kMaxLiteralRun = 32;
constexpr size_t kMaxOffset = 8192;  // 13 bits of (offset - 1)
constexpr size_t kMinMatch = 3;
constexpr size_t kMaxMatch = 7 + 255 + 2;
constexpr int kMaxHashBits = 14;

uint32_t hash3(const uint8_t* p, int bits) {
  uint32_t v = uint32_t{p[0]} << 16 | uint32_t{p[1]} << 8 | p[2];
  return (v * 2654435761u) >> (32 - bits);
}

// Appends to the caller's output buffer, refusing to pass its end.
class Out {
 public:
  Out(uint8_t* p, size_t cap) : p_(p), cap_(cap) {}
  bool put(uint8_t b) {
    if (n_ == cap_) return false;
    p_[n_++] = b;
    return true;
  }
  bool put(const uint8_t* s, size_t len) {
    if (cap_ - n_ < len) return false;
    std::memcpy(p_ + n_, s, len);
    n_ += len;
    return true;
  }
  size_t size() const { return n_; }

 private:
  uint8_t* p_;
  size_t cap_;
  size_t n_ = 0;
};

bool flush_literals(Out& out, const uint8_t* start, size_t n) {
  while (n > 0) {
    size_t run = n < kMaxLiteralRun ? n : kMaxLiteralRun;
    if (!out.put(static_cast<uint8_t>(run - 1)) || !out.put(start, run)) return false;
    start += run;
    n -= run;
  }
  return true;
}

}  // namespace

size_t lzf_compress(const uint8_t* in, size_t len, uint8_t* out_buf, size_t cap) {
  // Last position of each 3-byte hash, tagged with a per-call generation so
  // the table never needs clearing (most DUMPed strings are short).
  if (len >= UINT32_MAX) return 0;  // positions are kept in 32 bits
  constexpr int bits = kMaxHashBits;
  thread_local std::vector<uint64_t> table(size_t{1} << bits, 0);
  thread_local uint32_t generation = 0;
  if (++generation == 0) {
    std::fill(table.begin(), table.end(), 0);
    generation = 1;
  }
  const uint64_t tag = uint64_t{generation} << 32;
  Out out(out_buf, cap);
  size_t lit_start = 0, ip = 0;
  while (ip + kMinMatch <= len) {
    uint32_t h = hash3(in + ip, bits);
    uint64_t slot = table[h];
    table[h] = tag | ip;
    size_t from = static_cast<uint32_t>(slot);
    if ((slot & ~uint64_t{UINT32_MAX}) != tag || ip - from > kMaxOffset ||
        std::memcmp(in + from, in + ip, 3) != 0) {
      ++ip;
      continue;
    }
    size_t max = len - ip < kMaxMatch ? len - ip : kMaxMatch;
    size_t m = kMinMatch;
    while (m < max && in[from + m] == in[ip + m]) ++m;
    if (!flush_literals(out, in + lit_start, ip - lit_start)) return 0;
    size_t l = m - 2, off = ip - from - 1;
    uint8_t hi = static_cast<uint8_t>(off >> 8);
    bool ok =
        l < 7 ? out.put(static_cast<uint8_t>(l << 5 | hi))
              : out.put(static_cast<uint8_t>(7 << 5 | hi)) && out.put(static_cast<uint8_t>(l - 7));
    if (!ok || !out.put(static_cast<uint8_t>(off & 0xff))) return 0;
    // Remember the positions inside the match too: later repeats find them.
    for (size_t k = ip + 1; k < ip + m && k + kMinMatch <= len; ++k) {
      table[hash3(in + k, bits)] = tag | k;
    }
    ip += m;
    lit_start = ip;
  }
  if (!flush_literals(out, in + lit_start, len - lit_start)) return 0;
  return out.size();
}

bool lzf_decompress(const uint8_t* in, size_t in_len, uint8_t* out, size_t out_len) {
  size_t ip = 0, op = 0;
  while (ip < in_len) {
    size_t ctrl = in[ip++];
    if (ctrl < 32) {
      size_t run = ctrl + 1;
      if (in_len - ip < run || out_len - op < run) return false;
      std::memcpy(out + op, in + ip, run);
      ip += run;
      op += run;
      continue;
    }
    size_t l = ctrl >> 5;
    if (l == 7) {
      if (ip >= in_len) return false;
      l += in[ip++];
    }
    if (ip >= in_len) return false;
    size_t back = ((ctrl & 0x1f) << 8 | in[ip++]) + 1;
    size_t n = l + 2;
    if (back > op || out_len - op < n) return false;
    // Byte by byte: the source may overlap what this copy writes (runs).
    for (size_t i = 0; i < n; ++i, ++op) out[op] = out[op - back];
  }
  return op == out_len;
}

}  // namespace kvd::persist
