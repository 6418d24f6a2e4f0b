// MONITOR: clients that receive a line for every command the server runs.
#include <algorithm>
#include <cctype>
#include <cstdio>

#include "kvd/common/strings.hpp"
#include "kvd/engine/command.hpp"
#include "kvd/engine/engine.hpp"

namespace kvd::engine {
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

void Engine::add_monitor(Client& c) {
  if (c.monitor) return;
  c.monitor = true;
  monitors_.push_back(&c);
}

void Engine::forget_monitor(Client& c) {
  if (!c.monitor) return;
  c.monitor = false;
  monitors_.erase(std::remove(monitors_.begin(), monitors_.end(), &c), monitors_.end());
}

void Engine::feed_monitors(const Client& c, Args args) {
  int64_t us = clock_.now_us();
  char head[64];
  std::snprintf(head, sizeof head, "%lld.%06lld ", static_cast<long long>(us / 1000000),
                static_cast<long long>(us % 1000000));
  std::string line = head;
  line += "[" + std::to_string(c.db_index) + " ";
  if (c.script) {
    line += "lua";
  } else if (c.conn && c.conn->is_unix_socket()) {
    line += "unix:" + config_.v().unixsocket;
  } else if (c.conn) {
    line += c.conn->peer_address();
  }
  line += "] ";
  for (size_t i = 0; i < args.size(); ++i) {
    if (i) line += ' ';
    if (secret_argument(args, i)) {
      line += "\"(redacted)\"";
    } else {
      append_repr(line, args[i]);
    }
  }
  for (Client* m : monitors_) {
    if (!m->writer) continue;
    m->writer->simple(line);
    if (m->conn) m->conn->schedule_flush();
  }
}

void register_monitor_commands(CommandTable& t) {
  t.add(CommandSpec{.name = "monitor",
                    .arity = 1,
                    .flags = kAdmin | kNoscript | kLoading | kStale,
                    .acl = "@admin @slow @dangerous",
                    .handler = cmd_monitor,
                    .group = "server",
                    .summary = "Listen for all requests received by the server in real time",
                    .since = "1.0.0",
                    .complexity = ""});
}

}  // namespace kvd::engine
