#pragma once

// Conversions between command replies and Lua values, with Redis 7's rules
// (the "Conversion between Lua and Redis data types" of its scripting docs).

#include <string_view>

#include "kvd/protocol/reply_reader.hpp"
#include "kvd/protocol/reply_writer.hpp"

struct lua_State;

namespace kvd::engine::scripting {

// Pushes the Lua value of the next reply in `reader` (which holds a whole
// reply written in RESP2 or RESP3). Malformed input pushes nil.
void push_reply(lua_State* L, protocol::ReplyReader& reader);

// Pushes an error table {err = "CODE message"} as redis.pcall returns it.
// `error` is "-CODE message" (an error reply) or a bare message (code ERR).
void push_error_table(lua_State* L, std::string_view error);

// Writes the value on top of the Lua stack as the script's reply, and pops
// it. `script_resp` is the protocol the script chose with redis.setresp: in
// RESP2 a Lua false is a null, in RESP3 a boolean.
void write_lua_value(lua_State* L, protocol::ReplyWriter& out, int script_resp);

}  // namespace kvd::engine::scripting
