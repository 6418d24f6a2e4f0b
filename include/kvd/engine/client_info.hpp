#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "kvd/engine/client.hpp"

// How CLIENT LIST, CLIENT INFO and ACL LOG describe a client.
namespace kvd::engine {

// CLIENT LIST's flags field ("N", "x", "Pb" ...).
std::string client_flags(const Client& c);

// One CLIENT LIST line, fields in Redis 7.0's order. Socket facts come from
// the connection when there is one (a unit-test client has none).
std::string client_info_line(const Client& c, int64_t now_ms);

// The client's ACL user name; the server's own clients run as the
// superuser, which Redis shows as "(superuser)".
std::string_view user_name(const Client& c);

}  // namespace kvd::engine
