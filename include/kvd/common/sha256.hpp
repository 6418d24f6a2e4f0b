#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace kvd {

// SHA-256 (FIPS 180-4). ACL passwords are kept as the SHA-256 of the
// cleartext, in lower-case hex, as Redis keeps them: ACL LIST and an ACL
// file show "#<64 hex digits>", and a hash written by Redis loads here.
std::array<uint8_t, 32> sha256(std::string_view data);

// The 64 lower-case hex digits of sha256(data).
std::string sha256_hex(std::string_view data);

}  // namespace kvd
