#pragma once

// The sandbox both Lua interpreters share (EVAL's and FUNCTION's): the
// libraries scripts get, and the read-only tables Redis 7 gives them. Lua 5.1
// has no read-only tables, so a protected table is an empty proxy whose
// metatable reads through to the real one and refuses writes; rawset and
// setmetatable are guarded against the proxies.

struct lua_State;

namespace kvd::engine {
class ScriptRuntime;
}

namespace kvd::engine::scripting {

// Registry fields of an interpreter.
inline constexpr const char* kRuntimeKey = "kvd.runtime";
inline constexpr const char* kErrorHandlerKey = "kvd.error_handler";
inline constexpr const char* kEnvKey = "kvd.env";
// The environment of function libraries: while a library's code runs it
// reads the load API (kLoadApiKey); afterwards, when its functions run, the
// globals. Its metatable is kept at kFunctionEnvMetaKey to switch the two.
inline constexpr const char* kFunctionEnvKey = "kvd.function_env";
inline constexpr const char* kFunctionEnvMetaKey = "kvd.function_env_meta";
inline constexpr const char* kLoadApiKey = "kvd.load_api";

// Opens a state with the libraries, the `redis` API, the error handler and
// every global protected. Scripts compiled with the environment at kEnvKey
// read the globals and may not write them.
lua_State* open_sandboxed_state(ScriptRuntime* runtime);

// What the FUNCTION interpreter adds (lua_functions.cpp): the environment of
// libraries and the API their code sees while it loads.
void add_function_sandbox(lua_State* L, ScriptRuntime* runtime);

// Makes the table at `idx` read-only: new names are refused, missing names
// read through the value on top of the stack (which this pops): a table, or
// a function such as nonexistent_global.
void seal(lua_State* L, int idx);

// Pushes an empty read-only table that reads through to the table at idx.
void push_readonly_proxy(lua_State* L, int idx);

// __index of a protected namespace: reading a missing name is an error
// ("Script attempted to access nonexistent global variable ...").
int nonexistent_global(lua_State* L);

}  // namespace kvd::engine::scripting
