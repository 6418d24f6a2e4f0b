#include "kvd/engine/command_helpers.hpp"

namespace kvd::engine {
namespace {

void cmd_ping(CommandContext& ctx) {
  if (ctx.args.size() > 2) {
    ctx.out.error("ERR wrong number of arguments for 'ping' command");
    return;
  }
  if (ctx.args.size() == 2)
    ctx.out.bulk(ctx.args[1]);
  else
    ctx.out.simple("PONG");
}

}  // namespace

void register_connection_commands(CommandTable& t) {
  t.add({.name = "ping",
         .arity = -1,
         .flags = kFast | kSentinel,
         .acl = "@fast @connection",
         .handler = cmd_ping,
         .group = "connection",
         .summary = "Ping the server",
         .since = "1.0.0",
         .complexity = "O(1)"});
}

}  // namespace kvd::engine
