// SLOWLOG: the commands that ran for at least slowlog-log-slower-than
// microseconds (engine/slowlog.hpp holds the entries).
#include "kvd/engine/slowlog.hpp"

#include "admin_helpers.hpp"
#include "command_helpers.hpp"
#include "declare.hpp"
#include "families.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/engine/engine.hpp"

namespace kvd::commands {

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

}  // namespace

void register_slowlog_commands(CommandTable& t) {
  Family f(t, "server");
  f.add("slowlog", -2, 0, kNoKeys, nullptr,
        {.subcommands = {cmd("get", -2, kAdmin | kLoading | kStale, kNoKeys, cmd_slowlog_get),
                         cmd("len", 2, kAdmin | kLoading | kStale, kNoKeys, cmd_slowlog_len),
                         cmd("reset", 2, kAdmin | kLoading | kStale, kNoKeys, cmd_slowlog_reset),
                         cmd("help", 2, kLoading | kStale, kNoKeys, cmd_slowlog_help)}});
}

}  // namespace kvd::commands
