// SAVE, BGSAVE and LASTSAVE: RDB snapshots (the work is in persist/snapshot).
#include "kvd/common/strings.hpp"
#include "kvd/engine/command_helpers.hpp"
#include "kvd/engine/engine.hpp"
#include "kvd/persist/snapshot.hpp"

namespace kvd::engine {
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
  if (ctx.engine.snapshot_state().child > 0) {
    // SCHEDULE: the running save is taken as the one asked for.
    if (ctx.args.size() == 2) {
      ctx.out.simple("Background saving scheduled");
    } else {
      ctx.out.error("ERR Background save already in progress");
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

void cmd_lastsave(CommandContext& ctx) {
  ctx.out.integer(ctx.engine.snapshot_state().last_save_s);
}

CommandSpec persist_cmd(std::string name, int arity, uint32_t flags, Handler h, std::string summary,
                        std::string since, std::string complexity) {
  return CommandSpec{.name = std::move(name),
                     .arity = arity,
                     .flags = flags,
                     .acl = (flags & kFast) ? "@admin @fast @dangerous" : "@admin @slow @dangerous",
                     .handler = h,
                     .group = "server",
                     .summary = std::move(summary),
                     .since = std::move(since),
                     .complexity = std::move(complexity)};
}

}  // namespace

void register_persistence_commands(CommandTable& t) {
  t.add(persist_cmd("save", 1, kAdmin | kNoscript | kNoMulti, cmd_save,
                    "Synchronously save the dataset to disk", "1.0.0",
                    "O(N) where N is the total number of keys in all databases"));
  t.add(persist_cmd("bgsave", -1, kAdmin | kNoscript, cmd_bgsave,
                    "Asynchronously save the dataset to disk", "1.0.0", "O(1)"));
  t.add(persist_cmd("lastsave", 1, kLoading | kStale | kFast, cmd_lastsave,
                    "Get the Unix timestamp of the last successful save to disk", "1.0.0", "O(1)"));
}

}  // namespace kvd::engine
