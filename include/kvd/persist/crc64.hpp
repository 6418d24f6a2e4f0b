#pragma once

#include <cstddef>
#include <cstdint>

namespace kvd::persist {

// CRC-64 with the Jones polynomial (reflected, initial value 0, no final
// xor): the checksum Redis puts at the end of DUMP payloads and RDB files, so
// payloads move between kvd and Redis. crc64(0, "123456789") == 0xe9c6d914c4b8d9ca.
// Pass the previous result as `crc` to checksum data in pieces.
uint64_t crc64(uint64_t crc, const void* data, size_t len);

}  // namespace kvd::persist
