#pragma once

struct lua_State;

namespace kvd::engine {
class ScriptRuntime;
}

namespace kvd::engine::scripting {

// Creates the global `redis` table: call, pcall, error_reply, status_reply,
// sha1hex, log, setresp, set_repl and the rest of Redis 7's script API.
void register_redis_api(lua_State* L, ScriptRuntime* runtime);

// Adds redis.log and the LOG_* levels to the table on top of the stack.
void add_log_api(lua_State* L, ScriptRuntime* runtime);
// Adds REDIS_VERSION and REDIS_VERSION_NUM to the table on top of the stack.
void add_version_api(lua_State* L);

}  // namespace kvd::engine::scripting
