// SAVE, BGSAVE and LASTSAVE: RDB snapshots (the work is in persist/snapshot);
// BGREWRITEAOF: the append-only file (persist/aof).
#include "command_helpers.hpp"
#include "declare.hpp"
#include "families.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/engine/engine.hpp"
#include "kvd/persist/aof.hpp"
#include "kvd/persist/snapshot.hpp"

namespace kvd::commands {
namespace {

void cmd_save(CommandContext& ctx) {
  std::string err = persist::save_now(ctx.engine);
  if (!err.empty()) {
    ctx.out.error(err);
    return;
  }
  ctx.out.ok();
}

void cmd_bgsave(CommandContext& ctx) {
  if (ctx.args.size() > 2 || (ctx.args.size() == 2 && !iequals(ctx.args[1], "schedule"))) {
    ctx.out.error("ERR syntax error");
    return;
  }
  const bool schedule = ctx.args.size() == 2;
  if (ctx.engine.snapshot_state().child > 0) {
    ctx.out.error("ERR Background save already in progress");
    return;
  }
  const persist::Aof* aof = persist::Aof::find(ctx.engine);
  if ((aof && aof->info().rewrite_in_progress) || ctx.client.in_exec) {
    // One child at a time, as in Redis: SCHEDULE (and a BGSAVE inside
    // EXEC) leaves it to cron.
    if (schedule || ctx.client.in_exec) {
      ctx.engine.snapshot_state().bgsave_scheduled = true;
      ctx.out.simple("Background saving scheduled");
    } else {
      ctx.out.error(
          "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE "
          "SCHEDULE in order to schedule a BGSAVE whenever possible.");
    }
    return;
  }
  std::string err = persist::start_background_save(ctx.engine);
  if (!err.empty()) {
    ctx.out.error(err);
    return;
  }
  ctx.out.simple("Background saving started");
}

void cmd_bgrewriteaof(CommandContext& ctx) {
  persist::Aof* aof = persist::Aof::find(ctx.engine);
  if (!aof) {
    ctx.out.error(
        "ERR Can't execute an AOF background rewriting. Please check the server logs "
        "for more information.");
    return;
  }
  std::string r = aof->rewrite_command();
  if (r.empty()) {
    ctx.out.simple("Background append only file rewriting started");
  } else if (r[0] == '+') {
    ctx.out.simple(r.substr(1));
  } else {
    ctx.out.error(r.substr(1));
  }
}

void cmd_lastsave(CommandContext& ctx) {
  ctx.out.integer(ctx.engine.snapshot_state().last_save_s);
}

}  // namespace

void register_persistence_commands(CommandTable& t) {
  Family f(t, "server");
  f.add("save", 1, kAdmin | kNoscript | kNoAsyncLoading | kNoMulti, kNoKeys, cmd_save);
  f.add("bgsave", -1, kAdmin | kNoscript | kNoAsyncLoading, kNoKeys, cmd_bgsave);
  f.add("bgrewriteaof", 1, kAdmin | kNoscript | kNoAsyncLoading, kNoKeys, cmd_bgrewriteaof);
  f.add("lastsave", 1, kLoading | kStale | kFast, kNoKeys, cmd_lastsave,
        {.categories = kAclAdmin | kAclDangerous});
}

}  // namespace kvd::commands
