#include <cstdlib>

#include "admin_helpers.hpp"
#include "command_helpers.hpp"
#include "declare.hpp"
#include "families.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/engine/blocking.hpp"
#include "kvd/engine/keyspace_events.hpp"
#include "kvd/engine/scripting.hpp"
#include "kvd/engine/tracking.hpp"
#include "kvd/persist/snapshot.hpp"

namespace kvd::commands {
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
  ctx.engine.tracking().invalidate_all();
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
  persist::kill_background_save(ctx.engine);
  ctx.engine.tracking().invalidate_all();
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
    ScriptRuntime* running = ctx.engine.running_script();
    if (!nosave) {
      ctx.out.error(busy_error(running->kind()));
      return;
    }
    running->abort_for_shutdown();
  }
  ServerHooks* hooks = ctx.engine.hooks();
  if (!hooks) {  // an engine without a server (a unit test) cannot stop
    ctx.out.error("ERR Errors trying to SHUTDOWN. Check logs.");
    return;
  }
  std::string e =
      hooks->request_shutdown({.save = save, .nosave = nosave, .now = now, .force = force});
  if (!e.empty()) {
    ctx.out.error(e);
    return;
  }
  // As in Redis, a successful SHUTDOWN sends no reply: the connection just closes.
  ctx.client.close_after_reply = true;
}

}  // namespace

void register_server_commands(CommandTable& t) {
  Family f(t, "server");
  f.add("dbsize", 1, kReadonly | kFast, kNoKeys, cmd_dbsize, {.categories = kAclKeyspace});
  f.add("flushdb", -1, kWrite, kNoKeys, cmd_flushdb, {.categories = kAclKeyspace | kAclDangerous});
  f.add("flushall", -1, kWrite, kNoKeys, cmd_flushall,
        {.categories = kAclKeyspace | kAclDangerous});
  f.add("swapdb", 3, kWrite | kFast, kNoKeys, cmd_swapdb,
        {.categories = kAclKeyspace | kAclDangerous});
  f.add("time", 1, kLoading | kStale | kFast, kNoKeys, cmd_time);
  f.add("shutdown", -1, kAdmin | kNoscript | kLoading | kStale | kNoMulti | kAllowBusy, kNoKeys,
        cmd_shutdown);
}

}  // namespace kvd::commands
