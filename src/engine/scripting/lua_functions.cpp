// The Lua side of FUNCTION: running a library's code in the load sandbox,
// and redis.register_function. Lua reports errors by longjmp, which would
// skip C++ destructors: the work with C++ objects is done in helpers that
// return before any lua_error.
#include <strings.h>

#include <lua.hpp>

#include <cstring>

#include "kvd/engine/engine.hpp"
#include "kvd/engine/functions.hpp"
#include "kvd/engine/scripting.hpp"
#include "lua_redis_api.hpp"
#include "lua_replies.hpp"
#include "lua_sandbox.hpp"

namespace kvd::engine {
namespace {

using scripting::kErrorHandlerKey;
using scripting::kFunctionEnvKey;
using scripting::kFunctionEnvMetaKey;
using scripting::kLoadApiKey;
using scripting::kRuntimeKey;

// Lua instructions between checks of the load's running time.
constexpr int kLoadHookInstructions = 100000;

ScriptRuntime* runtime_of(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kRuntimeKey);
  auto* rt = static_cast<ScriptRuntime*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  return rt;
}

int raise(lua_State* L, const char* msg) {
  scripting::push_error_table(L, msg);
  return lua_error(L);
}

// A library's code may take this long to register its functions.
void load_hook(lua_State* L, lua_Debug*) {
  ScriptRuntime* rt = runtime_of(L);
  ScriptRuntime::Loading* load = rt ? rt->current_load() : nullptr;
  if (!load || load->deadline_us == 0) return;
  if (rt->engine().clock().monotonic_us() <= load->deadline_us) return;
  // On every line from now on, so the error cannot be caught and ignored.
  lua_sethook(L, load_hook, LUA_MASKLINE, 0);
  raise(L, "FUNCTION LOAD timeout");
}

bool valid_function_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool is_string(lua_State* L, int idx) {
  return lua_isstring(L, idx) != 0;  // numbers count, as in Lua
}

std::string string_at(lua_State* L, int idx) {
  size_t len = 0;
  const char* s = lua_tolstring(L, idx, &len);
  return std::string(s, len);
}

bool iequals(const char* a, std::string_view b) {
  return std::strlen(a) == b.size() && strncasecmp(a, b.data(), b.size()) == 0;
}

// The flags table {'no-writes', ...} on top of the stack.
bool read_flags(lua_State* L, uint32_t* flags) {
  uint32_t f = 0;
  for (int i = 1;; ++i) {
    lua_rawgeti(L, -1, i);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      break;
    }
    const uint32_t one = is_string(L, -1) ? script_flag_named(string_at(L, -1), true) : 0;
    lua_pop(L, 1);
    if (!one) return false;
    f |= one;
  }
  *flags = f;
  return true;
}

struct Registration {
  std::string name;
  std::string description;
  bool has_name = false;
  bool has_description = false;
  uint32_t flags = 0;
  int ref = LUA_NOREF;
};

// register_function{function_name=..., callback=..., flags=..., description=...}
const char* read_named_args(lua_State* L, Registration& r) {
  if (!lua_istable(L, 1)) {
    return "calling redis.register_function with a single argument is only applicable to Lua "
           "table (representing named arguments).";
  }
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    // Stack: table, key, value.
    if (!is_string(L, -2))
      return "named argument key given to redis.register_function is not a string";
    std::string_view key;
    if (lua_type(L, -2) == LUA_TSTRING) {
      size_t len = 0;
      const char* s = lua_tolstring(L, -2, &len);
      key = std::string_view(s, len);
    }
    if (iequals("function_name", key)) {
      if (!is_string(L, -1))
        return "function_name argument given to redis.register_function must be a string";
      r.name = string_at(L, -1);
      r.has_name = true;
    } else if (iequals("description", key)) {
      if (!is_string(L, -1))
        return "description argument given to redis.register_function must be a string";
      r.description = string_at(L, -1);
      r.has_description = true;
    } else if (iequals("callback", key)) {
      if (!lua_isfunction(L, -1))
        return "callback argument given to redis.register_function must be a function";
      // Keys match in any case, so "callback" may come twice: keep the last.
      if (r.ref != LUA_NOREF) luaL_unref(L, LUA_REGISTRYINDEX, r.ref);
      r.ref = luaL_ref(L, LUA_REGISTRYINDEX);  // pops the value
      continue;
    } else if (iequals("flags", key)) {
      if (!lua_istable(L, -1))
        return "flags argument to redis.register_function must be a table representing function "
               "flags";
      if (!read_flags(L, &r.flags)) return "unknown flag given";
    } else {
      return "unknown argument given to redis.register_function";
    }
    lua_pop(L, 1);
  }
  if (!r.has_name) return "redis.register_function must get a function name argument";
  if (r.ref == LUA_NOREF) return "redis.register_function must get a callback argument";
  return nullptr;
}

// register_function(name, callback)
const char* read_positional_args(lua_State* L, Registration& r) {
  if (!is_string(L, 1)) return "first argument to redis.register_function must be a string";
  if (!lua_isfunction(L, 2)) return "second argument to redis.register_function must be a function";
  r.name = string_at(L, 1);
  r.has_name = true;
  lua_settop(L, 2);
  r.ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return nullptr;
}

// Reads the arguments and adds the function to the library being loaded.
// Returns the error to raise, or null. Its C++ objects are gone on return.
const char* register_from_args(lua_State* L, FunctionLibrary& lib) noexcept {
  try {
    const int argc = lua_gettop(L);
    if (argc < 1 || argc > 2) return "wrong number of arguments to redis.register_function";
    Registration r;
    const char* err = argc == 1 ? read_named_args(L, r) : read_positional_args(L, r);
    if (!err && !valid_function_name(r.name)) {
      err =
          "Library names can only contain letters, numbers, or underscores(_) and must be at "
          "least one character long";
    }
    if (!err && lib.functions.count(r.name)) err = "Function already exists in the library";
    if (err) {
      if (r.ref != LUA_NOREF) luaL_unref(L, LUA_REGISTRYINDEX, r.ref);
      return err;
    }
    FunctionInfo fn;
    fn.name = r.name;
    fn.description = std::move(r.description);
    fn.has_description = r.has_description;
    fn.flags = r.flags;
    fn.ref = r.ref;
    lib.functions.emplace(std::move(r.name), std::move(fn));
    return nullptr;
  } catch (const std::exception&) {
    return "out of memory registering the function";
  }
}

int register_function(lua_State* L) {
  auto* rt = static_cast<ScriptRuntime*>(lua_touserdata(L, lua_upvalueindex(1)));
  ScriptRuntime::Loading* load = rt->current_load();
  if (!load) return raise(L, "redis.register_function can only be called on FUNCTION LOAD command");
  const char* err = register_from_args(L, *load->library);
  if (err) return raise(L, err);
  return 0;
}

// Sets what names in the function environment read through to: the load
// API or the globals.
void point_function_env(lua_State* L, const char* target_key) {
  lua_getfield(L, LUA_REGISTRYINDEX, kFunctionEnvMetaKey);
  if (target_key) {
    lua_getfield(L, LUA_REGISTRYINDEX, target_key);
  } else {
    lua_pushvalue(L, LUA_GLOBALSINDEX);
  }
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}

// The message of the error a library's code raised (no handler ran).
std::string load_error_message(lua_State* L) {
  if (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER)
    return "ERR " + string_at(L, -1);
  if (lua_istable(L, -1)) {
    lua_getfield(L, -1, "err");
    std::string msg = is_string(L, -1) ? string_at(L, -1) : "ERR unknown error";
    lua_pop(L, 1);
    return msg;
  }
  return "ERR unknown error";
}

}  // namespace

namespace scripting {

void add_function_sandbox(lua_State* L, ScriptRuntime* rt) {
  // The `redis` of a library's code while it loads: register_function, log
  // and the version, nothing else (reading anything else is an error).
  lua_newtable(L);
  lua_newtable(L);
  lua_pushlightuserdata(L, rt);
  lua_pushcclosure(L, register_function, 1);
  lua_setfield(L, -2, "register_function");
  add_log_api(L, rt);
  add_version_api(L);
  lua_pushcfunction(L, nonexistent_global);
  seal(L, -2);
  push_readonly_proxy(L, -1);
  lua_remove(L, -2);
  lua_setfield(L, -2, "redis");
  lua_pushcfunction(L, nonexistent_global);
  seal(L, -2);
  lua_setfield(L, LUA_REGISTRYINDEX, kLoadApiKey);

  // The environment libraries are compiled in. Read-only; reads go to the
  // globals except while a library loads.
  lua_newtable(L);
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  seal(L, -2);
  lua_getmetatable(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, kFunctionEnvMetaKey);
  lua_setfield(L, LUA_REGISTRYINDEX, kFunctionEnvKey);
}

}  // namespace scripting

bool ScriptRuntime::load_library(std::string_view code, FunctionLibrary& lib, int64_t timeout_ms,
                                 std::string* err) {
  open();
  lua_State* L = lua_;
  if (luaL_loadbuffer(L, code.data(), code.size(), "@user_function")) {
    *err = "Error compiling function: " + string_at(L, -1);
    lua_pop(L, 1);
    return false;
  }
  lua_getfield(L, LUA_REGISTRYINDEX, kFunctionEnvKey);
  lua_setfenv(L, -2);
  Loading load;
  load.library = &lib;
  if (timeout_ms > 0) load.deadline_us = engine_.clock().monotonic_us() + timeout_ms * 1000;
  point_function_env(L, kLoadApiKey);
  loading_ = &load;
  lua_sethook(L, load_hook, LUA_MASKCOUNT, kLoadHookInstructions);
  const int failed = lua_pcall(L, 0, 0, 0);
  lua_sethook(L, nullptr, 0, 0);
  loading_ = nullptr;
  point_function_env(L, nullptr);
  if (failed) {
    *err = "Error registering functions: " + load_error_message(L);
    lua_pop(L, 1);
    release(lib);
    lib.functions.clear();
    return false;
  }
  return true;
}

void ScriptRuntime::release(const FunctionLibrary& lib) {
  if (!lua_) return;
  for (const auto& [name, fn] : lib.functions)
    if (fn.ref != LUA_NOREF && fn.ref != LUA_REFNIL) luaL_unref(lua_, LUA_REGISTRYINDEX, fn.ref);
}

}  // namespace kvd::engine
