// MONITOR: clients that receive a line for every command the server runs.
#include <algorithm>
#include <cctype>
#include <cstdio>

#include "declare.hpp"
#include "families.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/engine/command.hpp"
#include "kvd/engine/engine.hpp"

namespace kvd::commands {
namespace {

void cmd_monitor(CommandContext& ctx) {
  if (ctx.client.in_exec) {
    // Inside MULTI a client expects one reply per command: it cannot stream.
    ctx.out.error("ERR MONITOR isn't allowed for DENY BLOCKING client");
    return;
  }
  ctx.engine.add_monitor(ctx.client);
  ctx.out.ok();
}

}  // namespace

void register_monitor_commands(CommandTable& t) {
  Family f(t, "server");
  f.add("monitor", 1, kAdmin | kNoscript | kLoading | kStale, kNoKeys, cmd_monitor);
}

}  // namespace kvd::commands
