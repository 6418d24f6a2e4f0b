#pragma once

struct lua_State;

namespace kvd::engine::scripting {

// Pushes the `cmsgpack` table scripts get (pack, unpack, unpack_one,
// unpack_limit), as the library of that name in Redis.
int open_cmsgpack(lua_State* L);

}  // namespace kvd::engine::scripting
