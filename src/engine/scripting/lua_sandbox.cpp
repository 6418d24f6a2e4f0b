// The sandbox of both interpreters: libraries, read-only tables, guarded
// built-ins and the error handler.
#include "lua_sandbox.hpp"

#include <lua.hpp>
#ifndef KVD_LUAJIT
extern "C" {
#include <lua-bitop.h>
#include <lua-cjson.h>
}
#endif

#include <cstring>
#include <initializer_list>

#include "lua_cmsgpack.hpp"
#include "lua_redis_api.hpp"

namespace kvd::engine::scripting {
namespace {

constexpr const char* kProtectedKey = "kvd.protected";

// The error handler turns any error into a table {err = ...} and records
// where in the script it happened (skipping a C function such as redis.call,
// to name the script's line that called it). It keeps `debug` to itself.
constexpr const char* kErrorHandlerSource = R"lua(
local getinfo = debug.getinfo
return function(err)
  local where = getinfo(2, 'Sl')
  if where and where.what == 'C' then where = getinfo(3, 'Sl') end
  if type(err) ~= 'table' then err = {err = 'ERR ' .. tostring(err)} end
  if where then
    err.source = where.source
    err.line = where.currentline
  end
  return err
end
)lua";

void open_library(lua_State* L, lua_CFunction open, const char* name) {
  lua_pushcfunction(L, open);
  lua_pushstring(L, name);
  lua_call(L, 1, 0);
}

// Libraries that return their table and may not set a global themselves.
void open_module(lua_State* L, lua_CFunction open, const char* name) {
  lua_pushcfunction(L, open);
  lua_call(L, 0, 1);
  lua_setglobal(L, name);
}

int readonly_table(lua_State* L) {
  // The position is the script's (level 1), which called this metamethod.
  luaL_where(L, 1);
  lua_pushstring(L, "Attempt to modify a readonly table");
  lua_concat(L, 2);
  return lua_error(L);
}

// Raised from inside a library function, so without a script position, as
// Redis's read-only tables report it.
int readonly_error(lua_State* L) {
  lua_pushstring(L, "Attempt to modify a readonly table");
  return lua_error(L);
}

// The registry's set of tables scripts may not change.
bool is_protected(lua_State* L, int idx) {
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  lua_getfield(L, LUA_REGISTRYINDEX, kProtectedKey);
  lua_pushvalue(L, idx);
  lua_rawget(L, -2);
  const bool yes = lua_toboolean(L, -1) != 0;
  lua_pop(L, 2);
  return yes;
}

void mark_protected(lua_State* L, int idx) {
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  lua_getfield(L, LUA_REGISTRYINDEX, kProtectedKey);
  lua_pushvalue(L, idx);
  lua_pushboolean(L, 1);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

// Pushes what getmetatable() shows of a protected table: an empty table that
// refuses writes, so the real metatable cannot be reached or changed.
void push_sealed_view(lua_State* L) {
  lua_newtable(L);
  lua_newtable(L);
  lua_pushcfunction(L, readonly_table);
  lua_setfield(L, -2, "__newindex");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  mark_protected(L, -1);
}

// rawset and setmetatable that refuse protected tables, which their
// metatables alone cannot guard.
int guarded_rawset(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkany(L, 2);
  luaL_checkany(L, 3);
  if (is_protected(L, 1)) return readonly_error(L);
  lua_settop(L, 3);
  lua_rawset(L, 1);
  return 1;
}

int guarded_setmetatable(lua_State* L) {
  if (lua_type(L, 1) == LUA_TTABLE && is_protected(L, 1)) return readonly_error(L);
  lua_pushvalue(L, lua_upvalueindex(1));  // the original setmetatable
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

// loadstring without precompiled chunks: bytecode is not verified by Lua 5.1
// and can crash the interpreter, so Redis 7 refuses it too.
int guarded_loadstring(lua_State* L) {
  size_t len = 0;
  const char* s = lua_tolstring(L, 1, &len);
  if (s && len > 0 && s[0] == '\033') {
    lua_pushnil(L);
    lua_pushstring(L, "loading precompiled chunks is not allowed");
    return 2;
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

// Redis's pcall: an error raised as a table {err = ...} (redis.call's) is
// caught as its message string, as scripts written for Redis 6 expect.
int script_pcall(lua_State* L) {
  luaL_checkany(L, 1);
  const int argc = lua_gettop(L);
  lua_pushboolean(L, 1);
  lua_insert(L, 1);
  if (lua_pcall(L, argc - 1, LUA_MULTRET, 0) != 0) {
    lua_remove(L, 1);
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "err");
      if (lua_isstring(L, -1)) {
        lua_replace(L, -2);
      } else {
        lua_pop(L, 1);
      }
    }
    lua_pushboolean(L, 0);
    lua_insert(L, 1);
  }
  return lua_gettop(L);
}

}  // namespace

int nonexistent_global(lua_State* L) {
  const char* name = lua_tostring(L, 2);
  return luaL_error(L, "Script attempted to access nonexistent global variable '%s'",
                    name ? name : "?");
}

// Makes the table at `idx` read-only for scripts: new names are refused
// (existing ones stay changeable only for tables nobody reaches but us: the
// proxies below are empty), missing names read through `index` (pushed by
// the caller on top of the stack, and consumed).
void seal(lua_State* L, int idx) {
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  lua_newtable(L);
  lua_insert(L, -2);  // metatable below the __index value
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, readonly_table);
  lua_setfield(L, -2, "__newindex");
  push_sealed_view(L);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, idx);
  mark_protected(L, idx);
}

// Pushes an empty read-only table that reads through to the table at idx.
void push_readonly_proxy(lua_State* L, int idx) {
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  lua_newtable(L);
  lua_pushvalue(L, idx);
  seal(L, -2);
}

lua_State* open_sandboxed_state(ScriptRuntime* runtime) {
  lua_State* L = luaL_newstate();
  open_library(L, luaopen_base, "");
  open_library(L, luaopen_table, LUA_TABLIBNAME);
  open_library(L, luaopen_string, LUA_STRLIBNAME);
  open_library(L, luaopen_math, LUA_MATHLIBNAME);
  open_library(L, luaopen_debug, LUA_DBLIBNAME);
#ifdef KVD_LUAJIT
  open_library(L, luaopen_bit, LUA_BITLIBNAME);  // LuaJIT's own; no cjson there
#else
  open_module(L, luaopen_cjson, "cjson");
  open_module(L, luaopen_bit, "bit");
#endif
  open_module(L, open_cmsgpack, "cmsgpack");
  // No file access and no printing to the server's stdout, as in Redis.
  for (const char* name : {"dofile", "loadfile", "print"}) {
    lua_pushnil(L);
    lua_setglobal(L, name);
  }
  register_redis_api(L, runtime);
  lua_pushcfunction(L, script_pcall);
  lua_setglobal(L, "pcall");
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, kProtectedKey);
  lua_pushcfunction(L, guarded_rawset);
  lua_setglobal(L, "rawset");
  lua_getglobal(L, "setmetatable");
  lua_pushcclosure(L, guarded_setmetatable, 1);
  lua_setglobal(L, "setmetatable");
  lua_getglobal(L, "loadstring");
  lua_pushcclosure(L, guarded_loadstring, 1);
  lua_setglobal(L, "loadstring");

  lua_pushlightuserdata(L, runtime);
  lua_setfield(L, LUA_REGISTRYINDEX, kRuntimeKey);
  luaL_loadbuffer(L, kErrorHandlerSource, std::strlen(kErrorHandlerSource), "@error_handler");
  lua_call(L, 0, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, kErrorHandlerKey);
  lua_pushnil(L);
  lua_setglobal(L, "debug");

  // Redis 7 makes every global and library table read-only. Lua 5.1 has no
  // such tables, so scripts see read-only proxies of the libraries, and run
  // in an empty environment that reads through to the globals and refuses
  // writes; the globals table itself refuses new names (code compiled by
  // loadstring runs there) and reading a missing one is an error.
  for (const char* lib :
       {"redis", "cjson", "cmsgpack", "bit", "string", "math", "table", "coroutine"}) {
    lua_getglobal(L, lib);
    if (lua_istable(L, -1)) {
      push_readonly_proxy(L, -1);
      lua_setglobal(L, lib);
    }
    lua_pop(L, 1);
  }
  lua_pushstring(L, "");  // strings' methods: their metatable is out of reach
  if (lua_getmetatable(L, -1)) {
    push_sealed_view(L);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  lua_newtable(L);
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  seal(L, -2);
  lua_setfield(L, LUA_REGISTRYINDEX, kEnvKey);
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  lua_pushcfunction(L, nonexistent_global);
  seal(L, -2);
  lua_pop(L, 1);
  return L;
}

}  // namespace kvd::engine::scripting
