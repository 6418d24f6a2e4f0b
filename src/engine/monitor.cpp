// MONITOR's bookkeeping: the clients that receive a line for every command
// the server runs, and the line itself. The command is in
// src/commands/monitor_commands.cpp.
#include <algorithm>
#include <cstdio>

#include "kvd/common/strings.hpp"
#include "kvd/engine/engine.hpp"

namespace kvd::engine {

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

void Engine::feed_monitors(const Client& c, Args args, const CommandSpec* spec) {
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
    if (spec && secret_argument(*spec, args, i)) {
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

}  // namespace kvd::engine
