// The Lua interpreter: the script cache, and running a script or a function.
#include <spdlog/spdlog.h>

#include <lua.hpp>

#include "kvd/common/sha1.hpp"
#include "kvd/engine/engine.hpp"
#include "kvd/engine/functions.hpp"
#include "kvd/engine/memory.hpp"
#include "kvd/engine/scripting.hpp"
#include "lua_replies.hpp"
#include "lua_sandbox.hpp"

namespace kvd::engine {
namespace {

using scripting::kEnvKey;
using scripting::kErrorHandlerKey;
using scripting::kRuntimeKey;
// Lua instructions between checks of the script's running time.
constexpr int kHookInstructions = 100000;
// Runs between incremental garbage collection steps, as Redis does.
constexpr int kGcPeriod = 50;

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
        "the script using the {} command. Script name is: {}.",
        ran_ms, rt->kind() == ScriptKind::kEval ? "SCRIPT KILL" : "FUNCTION KILL", run->name);
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

// Pushes KEYS or ARGV as an array.
void push_array(lua_State* L, Args values) {
  lua_createtable(L, static_cast<int>(values.size()), 0);
  for (size_t i = 0; i < values.size(); ++i) {
    lua_pushlstring(L, values[i].data(), values[i].size());
    lua_rawseti(L, -2, static_cast<int>(i + 1));
  }
}

// KEYS or ARGV as a global array (EVAL).
void set_array_global(lua_State* L, const char* name, Args values) {
  lua_pushstring(L, name);
  push_array(L, values);
  lua_rawset(L, LUA_GLOBALSINDEX);
}

std::string function_name(std::string_view sha) {
  return "f_" + std::string(sha);
}

}  // namespace

ScriptRuntime::ScriptRuntime(Engine& engine, ScriptKind kind) : engine_(engine), kind_(kind) {}

ScriptRuntime::~ScriptRuntime() {
  close();
}

std::string busy_error(ScriptKind running) {
  return running == ScriptKind::kEval
             ? "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN "
               "NOSAVE."
             : "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN "
               "NOSAVE.";
}

std::string ScriptRuntime::kill(ScriptKind asked_by) {
  if (!run_) return "NOTBUSY No scripts in execution right now.";
  if (run_->wrote) {
    return "UNKILLABLE Sorry the script already executed write commands against the dataset. "
           "You can either wait the script termination or kill the server in a hard way using "
           "the SHUTDOWN NOSAVE command.";
  }
  // SCRIPT KILL stops scripts, FUNCTION KILL functions.
  if (asked_by != kind_) return busy_error(kind_);
  run_->kill_requested = true;
  return {};
}

void ScriptRuntime::open() {
  if (lua_) return;
  lua_ = scripting::open_sandboxed_state(this);
  if (kind_ == ScriptKind::kFunction) scripting::add_function_sandbox(lua_, this);
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

bool ScriptRuntime::flags_of(std::string_view sha, uint32_t* flags) const {
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

bool ScriptRuntime::refuse_by_flags(uint32_t flags, bool read_only, protocol::ReplyWriter& out) {
  if (flags & kScriptCompat) return false;
  if (!(flags & kScriptNoWrites) && read_only) {
    out.error("ERR Can not execute a script with write flag using *_ro command.");
    return true;
  }
  // The dispatcher refuses such a script before it runs (its flags make the
  // command deny-oom); this is for one queued in MULTI before memory grew.
  if (!(flags & (kScriptAllowOom | kScriptNoWrites))) {
    const int64_t maxmemory = engine_.config().v().maxmemory;
    if (maxmemory > 0 && static_cast<int64_t>(engine_.memory_gauge().used()) > maxmemory) {
      out.error(
          "OOM allow-oom flag is not set on the script, can not run it when used memory > "
          "'maxmemory'");
      return true;
    }
  }
  return false;
}

void ScriptRuntime::start_run(Run& run, Client& caller, std::string name, uint32_t flags,
                              bool read_only) {
  run.caller = &caller;
  run.flags = flags;
  run.read_only = read_only || (!(flags & kScriptCompat) && (flags & kScriptNoWrites));
  run.name = std::move(name);
  run.start_us = engine_.clock().monotonic_us();
  Client& sc = run.script_client;
  sc.id = 0;
  sc.db_index = caller.db_index;
  sc.resp = 2;  // scripts start in RESP2 and may switch with redis.setresp
  sc.authenticated = true;
  sc.user = caller.user;
  sc.script_caller = &caller;
  sc.in_exec = true;  // blocking commands answer at once
  sc.script = true;
  sc.name = "lua";
  sc.last_interaction_ms = caller.last_interaction_ms;  // the script's frozen "now"
}

void ScriptRuntime::run(Client& caller, std::string_view sha, Args keys, Args argv, bool read_only,
                        protocol::ReplyWriter& out) {
  auto it = scripts_.find(std::string(sha));
  if (it == scripts_.end()) {
    out.error("NOSCRIPT No matching script. Please use EVAL.");
    return;
  }
  if (refuse_by_flags(it->second.flags, read_only, out)) return;
  open();
  Run run;
  start_run(run, caller, it->first, it->second.flags, read_only);
  lua_getfield(lua_, LUA_REGISTRYINDEX, kErrorHandlerKey);
  lua_getfield(lua_, LUA_REGISTRYINDEX, function_name(sha).c_str());
  set_array_global(lua_, "KEYS", keys);
  set_array_global(lua_, "ARGV", argv);
  invoke(run, 0, out);
}

void ScriptRuntime::call(Client& caller, const FunctionInfo& fn, Args keys, Args argv,
                         bool read_only, Args command, protocol::ReplyWriter& out) {
  if (refuse_by_flags(fn.flags, read_only, out)) return;
  open();
  Run run;
  start_run(run, caller, fn.name, fn.flags, read_only);
  run.command.assign(command.begin(), command.end());
  lua_getfield(lua_, LUA_REGISTRYINDEX, kErrorHandlerKey);
  lua_rawgeti(lua_, LUA_REGISTRYINDEX, fn.ref);
  push_array(lua_, keys);
  push_array(lua_, argv);
  invoke(run, 2, out);
}

void ScriptRuntime::invoke(Run& run, int nargs, protocol::ReplyWriter& out) {
  lua_State* L = lua_;
  run_ = &run;
  engine_.propagation().set_targets(kToAll);  // redis.set_repl starts over
  lua_sethook(L, count_hook, LUA_MASKCOUNT, kHookInstructions);
  const int failed = lua_pcall(L, nargs, 1, -(nargs + 2));
  lua_sethook(L, nullptr, 0, 0);
  engine_.propagation().set_targets(kToAll);
  run_ = nullptr;
  if (++runs_since_gc_ >= kGcPeriod) {
    lua_gc(L, LUA_GCSTEP, kGcPeriod);
    runs_since_gc_ = 0;
  }

  if (!failed) {
    scripting::write_lua_value(L, out, run.script_client.resp);
  } else if (!lua_istable(L, -1)) {
    // Not from the handler (an error inside it, or out of memory).
    const char* msg = lua_tostring(L, -1);
    std::string text(msg ? msg : "execution failure");
    out.error("Error running script " + run.name + ", " + text.substr(0, 100));
    lua_pop(L, 1);
  } else {
    std::string msg, source, line;
    bool counted_already = false;
    lua_getfield(L, -1, "err");
    // error({}) has no message: Redis 7.0 crashes there; kvd names it.
    msg = lua_isstring(L, -1) ? lua_tostring(L, -1) : "ERR unknown error";
    lua_getfield(L, -2, "source");
    if (lua_isstring(L, -1)) source = lua_tostring(L, -1);
    lua_getfield(L, -3, "line");
    if (lua_isstring(L, -1)) line = lua_tostring(L, -1);
    lua_getfield(L, -4, "ignore_error_stats_update");
    counted_already = lua_toboolean(L, -1) != 0;
    lua_pop(L, 5);
    if (!source.empty() && !line.empty())
      msg += " script: " + run.name + ", on " + source + ":" + line + ".";
    out.error_verbatim(msg, /*count=*/!counted_already);
  }
  lua_pop(L, 1);  // the error handler
}

}  // namespace kvd::engine
