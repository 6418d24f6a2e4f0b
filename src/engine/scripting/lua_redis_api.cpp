// The `redis` table scripts call into. Lua reports errors by longjmp, which
// would skip C++ destructors: every function below does its C++ work in a
// helper whose objects are gone before lua_error() is called.
#include "lua_redis_api.hpp"

#include <spdlog/spdlog.h>

#include <lua.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "kvd/common/sha1.hpp"
#include "kvd/common/version.hpp"
#include "kvd/engine/acl.hpp"
#include "kvd/engine/engine.hpp"
#include "kvd/engine/memory.hpp"
#include "kvd/engine/scripting.hpp"
#include "kvd/protocol/output_buffer.hpp"
#include "kvd/protocol/reply_reader.hpp"
#include "lua_replies.hpp"

namespace kvd::engine::scripting {
namespace {

// A Lua number as an int for a small option (log level, RESP version):
// out-of-range values (a float-to-int overflow is undefined) become -1.
int small_int(lua_Number n) {
  return n >= -1e6 && n <= 1e6 ? static_cast<int>(n) : -1;
}

ScriptRuntime* runtime(lua_State* L) {
  return static_cast<ScriptRuntime*>(lua_touserdata(L, lua_upvalueindex(1)));
}

// Pushes the error table for `msg` and raises it (the script stops).
int raise(lua_State* L, const char* msg) {
  push_error_table(L, msg);
  return lua_error(L);
}

// The command's arguments from the Lua stack; numbers are written as Redis
// writes them ("%.17g"). False if an argument is neither.
bool collect_args(lua_State* L, std::vector<std::string_view>& args,
                  std::vector<std::string>& numbers) {
  int argc = lua_gettop(L);
  numbers.reserve(static_cast<size_t>(argc));  // the views below point into it
  for (int i = 1; i <= argc; ++i) {
    if (lua_type(L, i) == LUA_TNUMBER) {
      char buf[64];
      int n = std::snprintf(buf, sizeof buf, "%.17g", static_cast<double>(lua_tonumber(L, i)));
      numbers.emplace_back(buf, static_cast<size_t>(n));
      args.emplace_back(numbers.back());
    } else if (lua_type(L, i) == LUA_TSTRING) {
      size_t len = 0;
      const char* s = lua_tolstring(L, i, &len);
      args.emplace_back(s, len);
    } else {
      return false;
    }
  }
  return true;
}

// A command refused before it ran: counted as Redis counts it, then handed
// to the script as an error table.
void refuse(lua_State* L, Engine& engine, const CommandSpec* spec, const char* msg,
            const char* code = "ERR") {
  if (spec) ++spec->stats.rejected_calls;
  engine.count_error(code);
  lua_settop(L, 0);
  push_error_table(L, msg);
  lua_pushboolean(L, 1);
  lua_setfield(L, -2, "ignore_error_stats_update");
}

// The command (or subcommand) args name, as the dispatcher finds it.
const CommandSpec* find_command(Engine& engine, const std::vector<std::string_view>& args) {
  const CommandSpec* spec = engine.commands().find(args[0]);
  if (spec && !spec->subcommands.empty() && args.size() >= 2)
    spec = engine.commands().find_sub(*spec, args[1]);
  return spec;
}

// redis.call and redis.pcall. Leaves one value on the stack: the reply, or
// an error table. Returns true when that is an error redis.call must raise.
bool run_command(lua_State* L, ScriptRuntime* rt, bool raise_errors) noexcept {
  try {
    ScriptRuntime::Run* run = rt->current_run();
    Engine& engine = rt->engine();
    if (!run) {
      lua_settop(L, 0);
      push_error_table(L, "redis.call/pcall can only be called inside a script invocation");
      return true;
    }
    if (lua_gettop(L) == 0) {
      push_error_table(L, "Please specify at least one argument for this redis lib call");
      return raise_errors;
    }
    std::vector<std::string_view> args;
    std::vector<std::string> numbers;
    if (!collect_args(L, args, numbers)) {
      lua_settop(L, 0);
      push_error_table(L, "Lua redis lib command arguments must be strings or integers");
      return raise_errors;
    }
    const CommandSpec* spec = find_command(engine, args);
    if (!spec) {
      refuse(L, engine, nullptr, "Unknown Redis command called from script");
      return raise_errors;
    }
    if (!arity_ok(spec->arity, args.size())) {
      refuse(L, engine, spec, "Wrong number of args calling Redis command from script");
      return raise_errors;
    }
    if ((spec->flags & kNoscript) && !engine.deny_scripts_disabled) {
      refuse(L, engine, spec, "This Redis command is not allowed from script");
      return raise_errors;
    }
    // The script runs with its caller's ACL user (and logs denials as Lua).
    const std::string acl_error =
        engine.acl_script_refusal(run->script_client, *spec, Args(args.data(), args.size()));
    if (!acl_error.empty()) {
      refuse(L, engine, spec, acl_error.c_str());
      return raise_errors;
    }
    if (run->read_only && (spec->flags & (kWrite | kMayReplicate))) {
      refuse(L, engine, spec, "Write commands are not allowed from read-only scripts.");
      return raise_errors;
    }
    // A stale replica (link down, replica-serve-stale-data no) runs only
    // allow-stale scripts, and those only commands that may run stale.
    const auto& repl = engine.repl();
    if (repl.is_replica() && !repl.link_up && !repl.serve_stale && !(spec->flags & kStale)) {
      refuse(L, engine, spec, "Can not execute the command on a stale replica.");
      return raise_errors;
    }
    // min-replicas-to-write: a script that declared no flags is let in, and
    // its first write without enough good replicas is refused here.
    if ((spec->flags & kWrite) && !repl.is_replica() && repl.min_replicas_max_lag > 0 &&
        repl.good_replicas < repl.min_replicas_to_write) {
      refuse(L, engine, spec, "-NOREPLICAS Not enough good replicas to write.", "NOREPLICAS");
      return raise_errors;
    }
    // Like Redis: a script that has not written yet may not start growing
    // memory past maxmemory, unless it declared allow-oom.
    const int64_t maxmemory = engine.config().v().maxmemory;
    if (maxmemory > 0 && !run->wrote && !(run->flags & kScriptAllowOom) &&
        (spec->flags & kDenyOom)) {
      const size_t used = engine.memory_gauge().used();
      if (static_cast<int64_t>(used) > maxmemory) {
        refuse(L, engine, spec, "-OOM command not allowed when used memory > 'maxmemory'.", "OOM");
        return raise_errors;
      }
    }
    if (spec->flags & kWrite) run->wrote = true;

    protocol::OutputBuffer buf;
    protocol::ReplyWriter writer(buf, run->script_client.resp);
    engine.execute(run->script_client, Args(args.data(), args.size()), writer);
    std::string reply = buf.to_string();
    lua_settop(L, 0);
    protocol::ReplyReader reader(reply);
    push_reply(L, reader);
    return raise_errors && !reply.empty() && reply[0] == '-';
  } catch (const std::exception& e) {
    lua_settop(L, 0);
    push_error_table(L, "Internal error running the command");
    return true;
  }
}

int redis_call(lua_State* L) {
  if (run_command(L, runtime(L), true)) return lua_error(L);
  return 1;
}

int redis_pcall(lua_State* L) {
  run_command(L, runtime(L), false);
  return 1;
}

int redis_sha1hex(lua_State* L) {
  if (lua_gettop(L) != 1) return raise(L, "wrong number of arguments");
  size_t len = 0;
  const char* s = lua_tolstring(L, 1, &len);
  char hex[41];
  {
    std::string digest = sha1_hex(std::string_view(s ? s : "", s ? len : 0));
    std::memcpy(hex, digest.data(), 40);
  }
  hex[40] = '\0';
  lua_pushstring(L, hex);
  return 1;
}

// error_reply and status_reply return a table with one field; bad arguments
// return an error table instead of raising, as Redis does.
int redis_error_reply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
    push_error_table(L, "wrong number or type of arguments");
    return 1;
  }
  size_t len = 0;
  const char* s = lua_tolstring(L, 1, &len);
  std::string_view msg(s, len);
  if (!msg.empty() && msg[0] == '-') {
    push_error_table(L, msg);
  } else {
    push_error_table(L, "-" + std::string(msg));
  }
  return 1;
}

int redis_status_reply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
    push_error_table(L, "wrong number or type of arguments");
    return 1;
  }
  lua_newtable(L);
  lua_pushvalue(L, 1);
  lua_setfield(L, -2, "ok");
  return 1;
}

void write_log(int level, std::string_view text) {
  switch (level) {
    case 0:
    case 1:
      spdlog::debug("{}", text);
      break;
    case 2:
      spdlog::info("{}", text);
      break;
    default:
      spdlog::warn("{}", text);
  }
}

int redis_log(lua_State* L) {
  int argc = lua_gettop(L);
  if (argc < 2) return raise(L, "redis.log() requires two arguments or more.");
  if (!lua_isnumber(L, 1)) return raise(L, "First argument must be a number (log level).");
  int level = small_int(lua_tonumber(L, 1));
  if (level < 0 || level > 3) return raise(L, "Invalid debug level.");
  // Joined in Lua's own buffer, so nothing here needs a destructor.
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 2; i <= argc; ++i) {
    size_t len = 0;
    const char* s = lua_tolstring(L, i, &len);
    if (!s) continue;
    if (i != 2) luaL_addchar(&b, ' ');
    luaL_addlstring(&b, s, len);
  }
  luaL_pushresult(&b);
  size_t len = 0;
  const char* text = lua_tolstring(L, -1, &len);
  write_log(level, std::string_view(text, len));
  return 0;
}

int redis_setresp(lua_State* L) {
  ScriptRuntime::Run* run = runtime(L)->current_run();
  if (!run) return raise(L, "redis.setresp can only be called inside a script invocation");
  if (lua_gettop(L) != 1) return raise(L, "redis.setresp() requires one argument.");
  int resp = small_int(lua_tonumber(L, 1));
  if (resp != 2 && resp != 3) return raise(L, "RESP version must be 2 or 3.");
  run->script_client.resp = resp;
  return 0;
}

int redis_set_repl(lua_State* L) {
  if (!runtime(L)->current_run())
    return raise(L, "redis.set_repl can only be called inside a script invocation");
  if (lua_gettop(L) != 1) return raise(L, "redis.set_repl() requires two arguments.");
  int flags = small_int(lua_tonumber(L, 1));
  if (flags & ~3)
    return raise(L,
                 "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
  // The script's calls from here on reach only these (until its end).
  runtime(L)->engine().propagation().set_targets(static_cast<uint8_t>(flags));
  return 0;
}

int redis_acl_check_cmd(lua_State* L) {
  ScriptRuntime* rt = runtime(L);
  if (!rt->current_run())
    return raise(L, "redis.acl_check_cmd can only be called inside a script invocation");
  // Whether the script's user could run this command line (no log entry).
  bool known = false, bad_args = false, allowed = false;
  {
    std::vector<std::string_view> args;
    std::vector<std::string> numbers;
    if (lua_gettop(L) == 0 || !collect_args(L, args, numbers)) {
      bad_args = true;
    } else if (const CommandSpec* spec = find_command(rt->engine(), args)) {
      known = true;
      const AclUser* user = rt->current_run()->script_client.user;
      allowed = !user || user->unrestricted ||
                rt->engine().acl().check(*user, *spec, Args(args.data(), args.size()), nullptr) ==
                    AclDenied::kOk;
    }
  }
  if (bad_args) return raise(L, "Lua redis lib command arguments must be strings or integers");
  if (!known) return raise(L, "Invalid command passed to redis.acl_check_cmd()");
  lua_pushboolean(L, allowed ? 1 : 0);
  return 1;
}

int redis_replicate_commands(lua_State* L) {
  lua_pushboolean(L, 1);  // effects replication is the only mode, as in Redis 7
  return 1;
}

int redis_breakpoint(lua_State* L) {
  lua_pushboolean(L, 0);  // no debugger session
  return 1;
}

int redis_debug(lua_State*) {
  return 0;
}

void set_function(lua_State* L, const char* name, lua_CFunction f, ScriptRuntime* rt) {
  lua_pushlightuserdata(L, rt);
  lua_pushcclosure(L, f, 1);
  lua_setfield(L, -2, name);
}

void set_number(lua_State* L, const char* name, lua_Number v) {
  lua_pushnumber(L, v);
  lua_setfield(L, -2, name);
}

}  // namespace

void add_log_api(lua_State* L, ScriptRuntime* rt) {
  set_function(L, "log", redis_log, rt);
  set_number(L, "LOG_DEBUG", 0);
  set_number(L, "LOG_VERBOSE", 1);
  set_number(L, "LOG_NOTICE", 2);
  set_number(L, "LOG_WARNING", 3);
}

void add_version_api(lua_State* L) {
  lua_pushstring(L, kRedisCompatVersion);
  lua_setfield(L, -2, "REDIS_VERSION");
  int major = 0, minor = 0, patch = 0;
  std::sscanf(kRedisCompatVersion, "%d.%d.%d", &major, &minor, &patch);
  set_number(L, "REDIS_VERSION_NUM", (major << 16) | (minor << 8) | patch);
}

void register_redis_api(lua_State* L, ScriptRuntime* rt) {
  lua_newtable(L);
  set_function(L, "call", redis_call, rt);
  set_function(L, "pcall", redis_pcall, rt);
  set_function(L, "sha1hex", redis_sha1hex, rt);
  set_function(L, "error_reply", redis_error_reply, rt);
  set_function(L, "status_reply", redis_status_reply, rt);
  add_log_api(L, rt);
  set_function(L, "setresp", redis_setresp, rt);
  set_function(L, "set_repl", redis_set_repl, rt);
  set_function(L, "acl_check_cmd", redis_acl_check_cmd, rt);
  set_function(L, "replicate_commands", redis_replicate_commands, rt);
  set_function(L, "breakpoint", redis_breakpoint, rt);
  set_function(L, "debug", redis_debug, rt);
  set_number(L, "REPL_NONE", 0);
  set_number(L, "REPL_AOF", 1);
  set_number(L, "REPL_SLAVE", 2);
  set_number(L, "REPL_REPLICA", 2);
  set_number(L, "REPL_ALL", 3);
  add_version_api(L);
  lua_setglobal(L, "redis");
}

}  // namespace kvd::engine::scripting
