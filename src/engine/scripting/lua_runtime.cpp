// The Lua interpreter: its sandbox, the script cache, and running a script.
#include <spdlog/spdlog.h>

#include <lua.hpp>
#ifndef KVD_LUAJIT
extern "C" {
#include <lua-bitop.h>
#include <lua-cjson.h>
}
#endif

#include "kvd/common/sha1.hpp"
#include "kvd/engine/engine.hpp"
#include "kvd/engine/memory.hpp"
#include "kvd/engine/scripting.hpp"
#include "lua_redis_api.hpp"
#include "lua_replies.hpp"

namespace kvd::engine {
namespace {

constexpr const char* kRuntimeKey = "kvd.runtime";
constexpr const char* kErrorHandlerKey = "kvd.error_handler";
constexpr const char* kEnvKey = "kvd.env";
constexpr const char* kProtectedKey = "kvd.protected";
// Lua instructions between checks of the script's running time.
constexpr int kHookInstructions = 100000;
// Runs between incremental garbage collection steps, as Redis does.
constexpr int kGcPeriod = 50;

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

int nonexistent_global(lua_State* L) {
  const char* name = lua_tostring(L, 2);
  return luaL_error(L, "Script attempted to access nonexistent global variable '%s'",
                    name ? name : "?");
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

void count_hook(lua_State* L, lua_Debug*) {
  lua_getfield(L, LUA_REGISTRYINDEX, kRuntimeKey);
  auto* rt = static_cast<ScriptRuntime*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  ScriptRuntime::Run* run = rt ? rt->current_run() : nullptr;
  if (!run) return;
  Engine& engine = rt->engine();
  if (!run->timed_out) {
    const int64_t limit_ms = engine.config().v().busy_reply_threshold;
    if (limit_ms <= 0) return;
    const int64_t ran_ms = (engine.clock().monotonic_us() - run->start_us) / 1000;
    if (ran_ms < limit_ms) return;
    run->timed_out = true;
    spdlog::warn(
        "Slow script detected: still in execution after {} milliseconds. You can try killing "
        "the script using the SCRIPT KILL command. Script name is: {}.",
        ran_ms, run->sha);
  }
  // As Redis: between steps of a slow script, serve the other clients (they
  // get BUSY, except for SCRIPT KILL, SHUTDOWN NOSAVE and a few others).
  if (ServerHooks* hooks = engine.hooks()) hooks->process_events_while_busy();
  if (run->kill_requested) {
    spdlog::warn("Lua script killed by user with SCRIPT KILL.");
    // From now on the hook fires on every line, so a pcall in the script
    // cannot catch this error and carry on.
    lua_sethook(L, count_hook, LUA_MASKLINE, 0);
    scripting::push_error_table(L, "Script killed by user with SCRIPT KILL...");
    lua_error(L);
  }
}

// KEYS or ARGV as a global array.
void set_array_global(lua_State* L, const char* name, Args values) {
  lua_createtable(L, static_cast<int>(values.size()), 0);
  for (size_t i = 0; i < values.size(); ++i) {
    lua_pushlstring(L, values[i].data(), values[i].size());
    lua_rawseti(L, -2, static_cast<int>(i + 1));
  }
  lua_pushstring(L, name);
  lua_insert(L, -2);
  lua_rawset(L, LUA_GLOBALSINDEX);
}

std::string function_name(std::string_view sha) {
  return "f_" + std::string(sha);
}

}  // namespace

ScriptRuntime::ScriptRuntime(Engine& engine) : engine_(engine) {}

std::string ScriptRuntime::kill() {
  if (!run_) return "NOTBUSY No scripts in execution right now.";
  if (run_->wrote) {
    return "UNKILLABLE Sorry the script already executed write commands against the dataset. "
           "You can either wait the script termination or kill the server in a hard way using "
           "the SHUTDOWN NOSAVE command.";
  }
  run_->kill_requested = true;
  return {};
}

ScriptRuntime::~ScriptRuntime() {
  close();
}

void ScriptRuntime::open() {
  if (lua_) return;
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
  // No file access and no printing to the server's stdout, as in Redis.
  for (const char* name : {"dofile", "loadfile", "print"}) {
    lua_pushnil(L);
    lua_setglobal(L, name);
  }
  scripting::register_redis_api(L, this);
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

  lua_pushlightuserdata(L, this);
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
  for (const char* lib : {"redis", "cjson", "bit", "string", "math", "table", "coroutine"}) {
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
  lua_ = L;
}

void ScriptRuntime::close() {
  if (!lua_) return;
  lua_close(lua_);
  lua_ = nullptr;
}

void ScriptRuntime::flush() {
  close();
  scripts_.clear();
  scripts_bytes_ = 0;
}

bool ScriptRuntime::exists(std::string_view sha) const {
  return scripts_.count(std::string(sha)) > 0;
}

bool ScriptRuntime::cached_flags(std::string_view sha, uint32_t* flags) const {
  auto it = scripts_.find(std::string(sha));
  if (it == scripts_.end()) return false;
  *flags = it->second.flags;
  return true;
}

size_t ScriptRuntime::lua_memory() const {
  if (!lua_) return 0;
  return static_cast<size_t>(lua_gc(lua_, LUA_GCCOUNT, 0)) * 1024 +
         static_cast<size_t>(lua_gc(lua_, LUA_GCCOUNTB, 0));
}

std::string ScriptRuntime::load(std::string_view body, std::string* err) {
  std::string sha = sha1_hex(body);
  if (scripts_.count(sha)) return sha;
  uint32_t flags = 0;
  size_t shebang_len = 0;
  if (!parse_script_shebang(body, &flags, &shebang_len, err)) return {};
  open();
  // The shebang line is left out but its newline kept: line numbers hold.
  std::string_view code = body.substr(shebang_len);
  if (luaL_loadbuffer(lua_, code.data(), code.size(), "@user_script")) {
    *err = std::string("Error compiling script (new function): ") + lua_tostring(lua_, -1);
    lua_pop(lua_, 1);
    return {};
  }
  lua_getfield(lua_, LUA_REGISTRYINDEX, kEnvKey);
  lua_setfenv(lua_, -2);
  lua_setfield(lua_, LUA_REGISTRYINDEX, function_name(sha).c_str());
  scripts_bytes_ += body.size() + sha.size();
  scripts_.emplace(sha, Script{std::string(body), flags});
  return sha;
}

void ScriptRuntime::run(Client& caller, std::string_view sha, Args keys, Args argv, bool read_only,
                        protocol::ReplyWriter& out) {
  auto it = scripts_.find(std::string(sha));
  if (it == scripts_.end()) {
    out.error("NOSCRIPT No matching script. Please use EVAL.");
    return;
  }
  const uint32_t flags = it->second.flags;
  if (!(flags & kScriptCompat) && !(flags & kScriptNoWrites) && read_only) {
    out.error("ERR Can not execute a script with write flag using *_ro command.");
    return;
  }
  if (!(flags & kScriptCompat) && !(flags & (kScriptAllowOom | kScriptNoWrites))) {
    const int64_t maxmemory = engine_.config().v().maxmemory;
    if (maxmemory > 0 && static_cast<int64_t>(engine_.memory_gauge().used()) > maxmemory) {
      out.error(
          "OOM allow-oom flag is not set on the script, can not run it when used memory > "
          "'maxmemory'");
      return;
    }
  }
  open();
  lua_State* L = lua_;

  Run run;
  run.caller = &caller;
  run.flags = flags;
  run.read_only = read_only || (!(flags & kScriptCompat) && (flags & kScriptNoWrites));
  run.sha = it->first;
  run.start_us = engine_.clock().monotonic_us();
  Client& sc = run.script_client;
  sc.id = 0;
  sc.db_index = caller.db_index;
  sc.resp = 2;  // scripts start in RESP2 and may switch with redis.setresp
  sc.authenticated = true;
  sc.user = caller.user;
  sc.in_exec = true;  // blocking commands answer at once
  sc.script = true;
  sc.name = "lua";

  lua_getfield(L, LUA_REGISTRYINDEX, kErrorHandlerKey);
  lua_getfield(L, LUA_REGISTRYINDEX, function_name(sha).c_str());
  set_array_global(L, "KEYS", keys);
  set_array_global(L, "ARGV", argv);
  run_ = &run;
  lua_sethook(L, count_hook, LUA_MASKCOUNT, kHookInstructions);
  const int failed = lua_pcall(L, 0, 1, -2);
  lua_sethook(L, nullptr, 0, 0);
  run_ = nullptr;
  if (++runs_since_gc_ >= kGcPeriod) {
    lua_gc(L, LUA_GCSTEP, kGcPeriod);
    runs_since_gc_ = 0;
  }

  if (!failed) {
    scripting::write_lua_value(L, out, sc.resp);
  } else if (!lua_istable(L, -1)) {
    // Not from the handler (an error inside it, or out of memory).
    const char* msg = lua_tostring(L, -1);
    std::string text(msg ? msg : "execution failure");
    out.error("Error running script " + run.sha + ", " + text.substr(0, 100));
    lua_pop(L, 1);
  } else {
    std::string msg, source, line;
    bool counted_already = false;
    lua_getfield(L, -1, "err");
    if (lua_isstring(L, -1)) msg = lua_tostring(L, -1);
    lua_getfield(L, -2, "source");
    if (lua_isstring(L, -1)) source = lua_tostring(L, -1);
    lua_getfield(L, -3, "line");
    if (lua_isstring(L, -1)) line = lua_tostring(L, -1);
    lua_getfield(L, -4, "ignore_error_stats_update");
    counted_already = lua_toboolean(L, -1) != 0;
    lua_pop(L, 5);
    if (!source.empty() && !line.empty())
      msg += " script: " + run.sha + ", on " + source + ":" + line + ".";
    out.error_verbatim(msg, /*count=*/!counted_already);
  }
  lua_pop(L, 1);  // the error handler
}

}  // namespace kvd::engine
