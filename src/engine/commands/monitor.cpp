// MONITOR: clients that receive a line for every command the server runs.
#include <algorithm>
#include <cctype>
#include <cstdio>

#include "kvd/engine/command.hpp"
#include "kvd/engine/engine.hpp"

namespace kvd::engine {
namespace {

// Redis's quoted, escaped form of an argument ("sdscatrepr").
void append_quoted(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char ch : s) {
    switch (ch) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      default:
        if (std::isprint(ch)) {
          out += static_cast<char>(ch);
        } else {
          char buf[5];
          std::snprintf(buf, sizeof buf, "\\x%02x", ch);
          out += buf;
        }
    }
  }
  out += '"';
}

bool ieq(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Arguments that carry secrets are shown as "(redacted)", as in Redis: every
// argument of AUTH, and the user name and password after HELLO's AUTH.
bool redacted(Args args, size_t i) {
  if (ieq(args[0], "auth")) return i >= 1;
  if (ieq(args[0], "hello")) {
    for (size_t j = 2; j + 2 < args.size() + 1 && j < i; ++j) {
      if (ieq(args[j], "auth") && (i == j + 1 || i == j + 2)) return true;
    }
  }
  return false;
}

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
  if (c.conn && c.conn->is_unix_socket()) {
    line += "unix:" + config_.v().unixsocket;
  } else if (c.conn) {
    line += c.conn->peer_address();
  }
  line += "] ";
  for (size_t i = 0; i < args.size(); ++i) {
    if (i) line += ' ';
    if (redacted(args, i)) {
      line += "\"(redacted)\"";
    } else {
      append_quoted(line, args[i]);
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
