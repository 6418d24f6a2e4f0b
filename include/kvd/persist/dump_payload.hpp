#pragma once

#include <string>
#include <string_view>
#include <vector>

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
// `check_crc` false skips only the checksum (DEBUG SET-SKIP-CHECKSUM-VALIDATION).
PayloadStatus read_dump_payload(std::string_view payload, const DecodeLimits& limits,
                                engine::Value* out, bool check_crc = true);

// FUNCTION DUMP: each library's code behind the FUNCTION2 opcode, as in an
// RDB file, then the same footer as DUMP.
std::string make_functions_payload(const std::vector<std::string_view>& codes, bool compress);

// FUNCTION RESTORE: the libraries' code from a payload; false with Redis's
// error text (without its "ERR ") when the payload is not one.
bool read_functions_payload(std::string_view payload, std::vector<std::string>* codes,
                            std::string* err);

}  // namespace kvd::persist
