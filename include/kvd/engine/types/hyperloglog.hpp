#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

// HyperLogLog in Redis's own string layout, so values move between kvd and
// Redis (DUMP/RESTORE, replication) and GET/SET/APPEND see the same bytes:
//
//   "HYLL" | encoding (0 dense, 1 sparse) | 3 unused | 8-byte cached cardinality
//
// The cache is little-endian; bit 7 of its last byte marks it stale. 16384
// 6-bit registers (standard error 0.81%). Dense: the registers packed LSB
// first, 12288 bytes. Sparse: run-length opcodes
//   00xxxxxx           1..64 zero registers
//   01xxxxxx yyyyyyyy  1..16384 zero registers
//   1vvvvvxx           1..4 registers of value 1..32
// Elements are hashed with MurmurHash64A (seed 0xadc83b19), as Redis does.
namespace kvd::engine::hll {

inline constexpr int kP = 14;
inline constexpr size_t kRegisters = size_t{1} << kP;
inline constexpr size_t kHeaderSize = 16;
inline constexpr size_t kDenseSize = kHeaderSize + kRegisters * 6 / 8;
inline constexpr uint8_t kDense = 0;
inline constexpr uint8_t kSparse = 1;

enum class Status { kOk, kNotHll, kCorrupt };

// Register values, one byte each.
using Registers = uint8_t[kRegisters];

// An empty sparse HLL with a valid cached cardinality of 0.
std::string make_empty();
// Header checks: magic, known encoding, dense length.
Status check(std::string_view s);
uint8_t encoding_of(std::string_view s);
// Decodes the registers of a checked HLL; kCorrupt for a broken sparse body.
Status decode(std::string_view s, Registers regs);
// Register index and value (run of zeros + 1) of an element.
void position(std::string_view element, size_t* index, uint8_t* value);
// Applies an element; true if a register grew.
bool add(Registers regs, std::string_view element);
// The sparse form of regs, or empty when it would need a value above 32 or
// more than max_bytes.
std::string encode_sparse(const Registers regs, size_t max_bytes);
std::string encode_dense(const Registers regs);
// Writes register i of a dense body in place (body = bytes after the header).
void dense_set(char* body, size_t i, uint8_t v);
uint8_t dense_get(const char* body, size_t i);

// Cardinality estimate (Ertl's improved estimator, as Redis 7).
uint64_t estimate(const Registers regs);

bool cache_valid(std::string_view s);
uint64_t cached(std::string_view s);
// Stores a fresh cardinality (hdr points at the 16 header bytes).
void set_cache(char* hdr, uint64_t card);
void invalidate_cache(char* hdr);

uint64_t murmur64a(const void* data, size_t len, uint64_t seed);

}  // namespace kvd::engine::hll
