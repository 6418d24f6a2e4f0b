#pragma once

#include <cstdint>
#include <string>

// Fixed-width integers in the byte orders of Redis's formats: RDB lengths are
// big-endian, everything inside listpacks, ziplists, intsets and the DUMP
// footer little-endian. Written byte by byte, so alignment and the host's
// own order never matter.
namespace kvd::persist {

inline void put_le(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

inline void put_be(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}

inline uint64_t get_le(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = v << 8 | static_cast<uint8_t>(p[i]);
  return v;
}

inline uint64_t get_be(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = v << 8 | static_cast<uint8_t>(p[i]);
  return v;
}

// The low `bits` bits of v as a two's complement number.
inline int64_t sign_extend(uint64_t v, int bits) {
  int shift = 64 - bits;
  return static_cast<int64_t>(v << shift) >> shift;
}

}  // namespace kvd::persist
