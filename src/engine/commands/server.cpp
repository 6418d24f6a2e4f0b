#include <chrono>
#include <cstdlib>
#include <thread>

#include "admin_helpers.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/engine/blocking.hpp"
#include "kvd/engine/command_helpers.hpp"
#include "kvd/engine/keyspace_events.hpp"
#include "kvd/engine/scripting.hpp"
#include "kvd/persist/snapshot.hpp"

namespace kvd::engine {
namespace {

void cmd_dbsize(CommandContext& ctx) {
  ctx.out.integer(static_cast<int64_t>(ctx.db.size()));
}

// FLUSHDB/FLUSHALL's optional ASYNC|SYNC; defaults to lazyfree-lazy-user-flush.
bool flush_async_arg(CommandContext& ctx, bool* async) {
  if (ctx.args.size() == 1) {
    *async = ctx.engine.config().v().lazyfree_lazy_user_flush;
  } else if (ctx.args.size() == 2 && iequals(ctx.args[1], "sync")) {
    *async = false;
  } else if (ctx.args.size() == 2 && iequals(ctx.args[1], "async")) {
    *async = true;
  } else {
    ctx.out.error(err::kSyntax);
    return false;
  }
  return true;
}

void cmd_flushdb(CommandContext& ctx) {
  bool async;
  if (!flush_async_arg(ctx, &async)) return;
  ctx.engine.touch_watched_keys_in_db(ctx.db.id(), -1);
  ctx.db.clear(async ? &ctx.engine.freer() : nullptr);
  signal_ready_keys_in_db(ctx.engine, ctx.db.id());
  ctx.out.ok();
}

void cmd_flushall(CommandContext& ctx) {
  bool async;
  if (!flush_async_arg(ctx, &async)) return;
  for (int i = 0; i < ctx.engine.db_count(); ++i) {
    ctx.engine.touch_watched_keys_in_db(i, -1);
    ctx.engine.db(i).clear(async ? &ctx.engine.freer() : nullptr);
    signal_ready_keys_in_db(ctx.engine, i);
  }
  ctx.out.ok();
}

bool parse_db_index(std::string_view s, int* out) {
  int64_t v;
  if (!parse_int64(s, &v) || v < INT32_MIN || v > INT32_MAX) return false;
  *out = static_cast<int>(v);
  return true;
}

void cmd_swapdb(CommandContext& ctx) {
  int a, b;
  if (!parse_db_index(ctx.args[1], &a)) {
    ctx.out.error("ERR invalid first DB index");
    return;
  }
  if (!parse_db_index(ctx.args[2], &b)) {
    ctx.out.error("ERR invalid second DB index");
    return;
  }
  int n = ctx.engine.db_count();
  if (a < 0 || a >= n || b < 0 || b >= n) {
    ctx.out.error(err::kDbIndex);
    return;
  }
  if (a != b) {
    // Watchers of a key that exists on either side see it change.
    ctx.engine.touch_watched_keys_in_db(a, b);
    ctx.engine.touch_watched_keys_in_db(b, a);
    ctx.engine.db(a).swap(ctx.engine.db(b));
    // Clients blocked on keys of either db may be servable now.
    signal_ready_keys_in_db(ctx.engine, a);
    signal_ready_keys_in_db(ctx.engine, b);
  }
  ctx.out.ok();
}

void cmd_time(CommandContext& ctx) {
  int64_t us = ctx.engine.clock().now_us();
  ctx.out.array(2);
  ctx.out.bulk(int_to_string(us / 1'000'000));
  ctx.out.bulk(int_to_string(us % 1'000'000));
}

void cmd_shutdown(CommandContext& ctx) {
  bool nosave = false, save = false, now = false, force = false, abort = false;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    std::string_view a = ctx.args[i];
    if (iequals(a, "nosave"))
      nosave = true;
    else if (iequals(a, "save"))
      save = true;
    else if (iequals(a, "now"))
      now = true;
    else if (iequals(a, "force"))
      force = true;
    else if (iequals(a, "abort"))
      abort = true;
    else {
      ctx.out.error(err::kSyntax);
      return;
    }
  }
  if ((abort && (nosave || save || now || force)) || (nosave && save)) {
    ctx.out.error(err::kSyntax);
    return;
  }
  if (abort) {
    // Shutdown here is immediate, so there is never one pending to abort.
    ctx.out.error("ERR No shutdown in progress.");
    return;
  }
  if (ctx.engine.script_timed_out()) {
    // A slow script holds the dataset mid-change: only NOSAVE may stop it.
    if (!nosave) {
      ctx.out.error(
          "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN "
          "NOSAVE.");
      return;
    }
    ctx.engine.scripts().abort_for_shutdown();
  }
  ServerHooks* hooks = ctx.engine.hooks();
  // SAVE saves even without save points, NOSAVE never; FORCE goes on if the
  // save fails (as in Redis).
  if (hooks) {
    std::string err = persist::save_for_shutdown(ctx.engine, save, nosave);
    if (!err.empty() && !force) {
      ctx.out.error("ERR Errors trying to SHUTDOWN. Check logs.");
      return;
    }
  }
  if (!hooks) {
    ctx.out.error("ERR Errors trying to SHUTDOWN. Check logs.");
    return;
  }
  using M = ServerHooks::Shutdown;
  M mode = nosave ? M::kNoSave : save ? M::kSave : force ? M::kForce : now ? M::kNow : M::kDefault;
  std::string e = hooks->request_shutdown(mode);
  if (!e.empty()) {
    ctx.out.error(e);
    return;
  }
  // As in Redis, a successful SHUTDOWN sends no reply: the connection just closes.
  ctx.client.close_after_reply = true;
}

void debug_help(CommandContext& ctx) {
  reply_help(ctx, "debug",
             {"SLEEP <seconds>", "    Block the server for <seconds> (a float, e.g. 0.25).",
              "SET-ACTIVE-EXPIRE <0|1>",
              "    Turn the periodic deletion of expired keys off (0) or on (1)."});
}

void cmd_debug(CommandContext& ctx) {
  const auto& a = ctx.args;
  if (a.size() == 2 && iequals(a[1], "help")) {
    debug_help(ctx);
  } else if (a.size() == 3 && iequals(a[1], "sleep")) {
    // Deliberately blocks the command thread, as Redis does: tests use it to
    // simulate a slow server.
    std::string secs(a[2]);
    double d = std::strtod(secs.c_str(), nullptr);
    if (d > 0)
      std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(d * 1e6)));
    ctx.out.ok();
  } else if (a.size() == 3 && iequals(a[1], "set-active-expire")) {
    std::string v(a[2]);
    ctx.engine.active_expire_enabled = std::atoi(v.c_str()) != 0;
    ctx.out.ok();
  } else {
    reply_subcommand_syntax_error(ctx);
  }
}

// There are no functions yet, so flushing them is a validated no-op.
void cmd_function_flush(CommandContext& ctx) {
  const auto& a = ctx.args;
  if (a.size() > 3) {
    reply_subcommand_syntax_error(ctx);
    return;
  }
  if (a.size() == 3 && !iequals(a[2], "sync") && !iequals(a[2], "async")) {
    ctx.out.error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
    return;
  }
  ctx.out.ok();
}

void cmd_function_help(CommandContext& ctx) {
  reply_help(ctx, "function",
             {"FLUSH [ASYNC|SYNC]", "    Delete all libraries (there are none yet)."});
}

CommandSpec server_cmd(std::string name, int arity, uint32_t flags, std::string acl, Handler h,
                       std::string group, std::string summary, std::string since,
                       std::string complexity = "O(1)") {
  return CommandSpec{.name = std::move(name),
                     .arity = arity,
                     .flags = flags,
                     .acl = std::move(acl),
                     .handler = h,
                     .group = std::move(group),
                     .summary = std::move(summary),
                     .since = std::move(since),
                     .complexity = std::move(complexity)};
}

}  // namespace

void register_server_commands(CommandTable& t) {
  t.add(server_cmd("dbsize", 1, kReadonly | kFast, "@keyspace @read @fast", cmd_dbsize, "server",
                   "Number of keys in the selected database", "1.0.0"));
  t.add(server_cmd("flushdb", -1, kWrite, "@keyspace @write @slow @dangerous", cmd_flushdb,
                   "server", "Delete every key of the selected database", "1.0.0",
                   "O(N) where N is the number of keys in the selected database"));
  t.add(server_cmd("flushall", -1, kWrite, "@keyspace @write @slow @dangerous", cmd_flushall,
                   "server", "Delete every key of every database", "1.0.0",
                   "O(N) where N is the total number of keys in all databases"));
  t.add(server_cmd("swapdb", 3, kWrite | kFast, "@keyspace @write @fast @dangerous", cmd_swapdb,
                   "server", "Exchange the contents of two databases", "4.0.0",
                   "O(N) where N is the count of clients watching or blocking on keys from both "
                   "databases."));
  t.add(server_cmd("time", 1, kLoading | kStale | kFast, "@fast", cmd_time, "server",
                   "The server's time", "2.6.0"));
  t.add(server_cmd("shutdown", -1, kAdmin | kNoscript | kLoading | kStale | kNoMulti | kAllowBusy,
                   "@admin @slow @dangerous", cmd_shutdown, "server", "Stop the server", "1.0.0",
                   "O(N) when saving, where N is the total number of keys in all databases when "
                   "saving data, otherwise O(1)"));
  t.add(server_cmd("debug", -2, kAdmin | kNoscript | kLoading | kStale, "@admin @slow @dangerous",
                   cmd_debug, "server", "Debugging and testing helpers", "1.0.0",
                   "Depends on subcommand."));
  CommandSpec flush = server_cmd("flush", -2, kWrite | kNoscript, "@write @slow @scripting",
                                 cmd_function_flush, "scripting", "Delete all libraries", "7.0.0",
                                 "O(N) where N is the number of functions deleted");
  CommandSpec help = server_cmd("help", 2, kLoading | kStale, "@slow @scripting", cmd_function_help,
                                "scripting", "Show FUNCTION's subcommands", "7.0.0");
  t.add({.name = "function",
         .arity = -2,
         .acl = "@slow",
         .group = "scripting",
         .summary = "A container for function commands",
         .since = "7.0.0",
         .complexity = "Depends on subcommand.",
         .subcommands = {flush, help}});
}

}  // namespace kvd::engine
