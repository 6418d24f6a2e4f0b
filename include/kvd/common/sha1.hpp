#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace kvd {

// SHA-1 (FIPS 180-4). Scripts are named by the SHA-1 of their body, as Redis
// names them, so EVALSHA digests computed by clients match ours. Not used for
// anything that needs collision resistance.
std::array<uint8_t, 20> sha1(std::string_view data);

// The 40 lower-case hex digits of sha1(data).
std::string sha1_hex(std::string_view data);

}  // namespace kvd
