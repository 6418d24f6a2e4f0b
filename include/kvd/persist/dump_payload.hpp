#pragma once

#include <string>
#include <string_view>

#include "kvd/engine/value.hpp"
#include "kvd/persist/value_codec.hpp"

// DUMP payloads: a value in the RDB encoding, then the RDB version (2 bytes,
// little-endian) and a CRC-64 of everything before it (8 bytes,
// little-endian), exactly as Redis frames them.
namespace kvd::persist {

std::string make_dump_payload(const engine::Value& v, bool compress);

enum class PayloadStatus { kOk, kBadFooter, kBadData };

// Checks the footer (version no newer than ours, checksum) and decodes the
// value. kBadFooter and kBadData map to Redis's two RESTORE errors.
PayloadStatus read_dump_payload(std::string_view payload, const DecodeLimits& limits,
                                engine::Value* out);

}  // namespace kvd::persist
