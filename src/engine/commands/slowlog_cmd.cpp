// SLOWLOG: the commands that ran for at least slowlog-log-slower-than
// microseconds (engine/slowlog.hpp holds the entries).
#include "kvd/engine/slowlog.hpp"

#include "admin_helpers.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/engine/command_helpers.hpp"
#include "kvd/engine/engine.hpp"

namespace kvd::engine {

void Engine::log_slow_command(const Client& c, Args args, int64_t end_us, int64_t duration_us) {
  const int64_t max_len = config_.v().slowlog_max_len;
  std::string peer = c.conn ? c.conn->peer_address() : std::string();
  slowlog_.push(args, end_us / 1'000'000, duration_us, std::move(peer), c.name,
                static_cast<size_t>(max_len < 0 ? 0 : max_len));
}

namespace {

void cmd_slowlog_get(CommandContext& ctx) {
  int64_t count = 10;
  if (ctx.args.size() == 3) {
    if (!parse_int64(ctx.args[2], &count)) {
      ctx.out.error(err::kNotInteger);
      return;
    }
    if (count < -1) {
      ctx.out.error("ERR count should be greater than or equal to -1");
      return;
    }
  }
  const auto& entries = ctx.engine.slowlog().entries();
  size_t n = count == -1 || static_cast<uint64_t>(count) > entries.size()
                 ? entries.size()
                 : static_cast<size_t>(count);
  ctx.out.array(static_cast<int64_t>(n));
  for (size_t i = 0; i < n; ++i) {
    const SlowLog::Entry& e = entries[i];
    ctx.out.array(6);
    ctx.out.integer(static_cast<int64_t>(e.id));
    ctx.out.integer(e.unix_time);
    ctx.out.integer(e.duration_us);
    ctx.out.array(static_cast<int64_t>(e.args.size()));
    for (const std::string& a : e.args) ctx.out.bulk(a);
    ctx.out.bulk(e.peer);
    ctx.out.bulk(e.client_name);
  }
}

void cmd_slowlog_len(CommandContext& ctx) {
  ctx.out.integer(static_cast<int64_t>(ctx.engine.slowlog().size()));
}

void cmd_slowlog_reset(CommandContext& ctx) {
  ctx.engine.slowlog().reset();
  ctx.out.ok();
}

void cmd_slowlog_help(CommandContext& ctx) {
  reply_help(
      ctx, "slowlog",
      {"GET [<count>]",
       "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
       "    Entries are made of:", "    id, timestamp, time in microseconds, arguments array,",
       "    client IP and port, client name", "LEN", "    Return the length of the slowlog.",
       "RESET", "    Reset the slowlog."});
}

CommandSpec slowlog_sub(std::string name, int arity, Handler h, std::string summary,
                        uint32_t flags = kAdmin | kLoading | kStale) {
  return CommandSpec{.name = std::move(name),
                     .arity = arity,
                     .flags = flags,
                     .acl = (flags & kAdmin) ? "@admin @slow @dangerous" : "@slow",
                     .handler = h,
                     .group = "server",
                     .summary = std::move(summary),
                     .since = "2.2.12",
                     .complexity = "O(N) where N is the number of entries returned"};
}

}  // namespace

void register_slowlog_commands(CommandTable& t) {
  t.add({.name = "slowlog",
         .arity = -2,
         .acl = "@slow",
         .group = "server",
         .summary = "A container for slow log commands",
         .since = "2.2.12",
         .complexity = "Depends on subcommand.",
         .subcommands = {
             slowlog_sub("get", -2, cmd_slowlog_get, "Get the slow log's entries"),
             slowlog_sub("len", 2, cmd_slowlog_len, "Get the slow log's length"),
             slowlog_sub("reset", 2, cmd_slowlog_reset, "Clear all entries from the slow log"),
             slowlog_sub("help", 2, cmd_slowlog_help,
                         "Show helpful text about the different subcommands", kLoading | kStale),
         }});
}

}  // namespace kvd::engine
