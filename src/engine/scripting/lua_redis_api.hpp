#pragma once

struct lua_State;

namespace kvd::engine {
class ScriptRuntime;
}

namespace kvd::engine::scripting {

// Creates the global `redis` table: call, pcall, error_reply, status_reply,
// sha1hex, log, setresp, set_repl and the rest of Redis 7's script API.
void register_redis_api(lua_State* L, ScriptRuntime* runtime);

}  // namespace kvd::engine::scripting
