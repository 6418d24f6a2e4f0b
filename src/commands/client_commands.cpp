#include <algorithm>
#include <climits>

#include "admin_helpers.hpp"
#include "client_tracking.hpp"
#include "command_helpers.hpp"
#include "declare.hpp"
#include "families.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/engine/acl.hpp"
#include "kvd/engine/blocking.hpp"
#include "kvd/engine/client_info.hpp"
#include "kvd/engine/pubsub.hpp"
#include "kvd/engine/tracking.hpp"
#include "kvd/engine/transaction.hpp"

namespace kvd::commands {
namespace {

// Client classes CLIENT LIST/KILL filter on. kvd only has normal clients, but
// the other names are valid filters that simply match nothing.
enum class ClientType { kInvalid, kNormal, kReplica, kPubsub, kMaster };

ClientType client_type_by_name(std::string_view s) {
  if (iequals(s, "normal")) return ClientType::kNormal;
  if (iequals(s, "slave") || iequals(s, "replica")) return ClientType::kReplica;
  if (iequals(s, "pubsub")) return ClientType::kPubsub;
  if (iequals(s, "master")) return ClientType::kMaster;
  return ClientType::kInvalid;
}

// Redis classes a client with subscriptions as "pubsub" (CLIENT LIST/KILL TYPE).
ClientType type_of(const Client& c) {
  if (c.master_link) return ClientType::kMaster;
  if (c.replica && c.replica->state != ReplicaSyncState::kNone) return ClientType::kReplica;
  return in_pubsub_mode(c) ? ClientType::kPubsub : ClientType::kNormal;
}

void cmd_client_id(CommandContext& ctx) {
  ctx.out.integer(static_cast<int64_t>(ctx.client.id));
}

void cmd_client_info(CommandContext& ctx) {
  ctx.out.verbatim(client_info_line(ctx.client, ctx.now_ms) + "\n");
}

void cmd_client_list(CommandContext& ctx) {
  const auto& a = ctx.args;
  const auto& clients = ctx.engine.clients();
  std::string text;
  if (a.size() == 4 && iequals(a[2], "type")) {
    ClientType type = client_type_by_name(a[3]);
    if (type == ClientType::kInvalid) {
      ctx.out.error("ERR Unknown client type '" + std::string(a[3]) + "'");
      return;
    }
    for (const auto& [id, c] : clients)
      if (type_of(*c) == type) text += client_info_line(*c, ctx.now_ms) + "\n";
  } else if (a.size() > 3 && iequals(a[2], "id")) {
    for (size_t j = 3; j < a.size(); ++j) {
      int64_t id;
      if (!parse_int64(a[j], &id)) {
        ctx.out.error("ERR Invalid client ID");
        return;
      }
      auto it = clients.find(static_cast<uint64_t>(id));
      if (it != clients.end()) text += client_info_line(*it->second, ctx.now_ms) + "\n";
    }
  } else if (a.size() != 2) {
    ctx.out.error(err::kSyntax);
    return;
  } else {
    for (const auto& [id, c] : clients) text += client_info_line(*c, ctx.now_ms) + "\n";
  }
  ctx.out.verbatim(text);
}

void cmd_client_setname(CommandContext& ctx) {
  if (!valid_client_name(ctx.args[2])) {
    ctx.out.error("ERR Client names cannot contain spaces, newlines or special characters.");
    return;
  }
  ctx.client.name = std::string(ctx.args[2]);
  ctx.out.ok();
}

void cmd_client_getname(CommandContext& ctx) {
  if (ctx.client.name.empty())
    ctx.out.null();
  else
    ctx.out.bulk(ctx.client.name);
}

// What CLIENT KILL's new form filters on; unset fields match every client.
struct KillFilter {
  std::string_view addr, laddr;
  bool has_addr = false, has_laddr = false;
  uint64_t id = 0;
  const AclUser* user = nullptr;           // null: any user
  ClientType type = ClientType::kInvalid;  // kInvalid: any type
  bool skipme = true;

  bool matches(const Client& c, const Client& self) const {
    if (has_addr && (!c.conn || c.conn->peer_address() != addr)) return false;
    if (has_laddr && (!c.conn || c.conn->local_address() != laddr)) return false;
    if (type != ClientType::kInvalid && type != type_of(c)) return false;
    if (id != 0 && c.id != id) return false;
    if (user && c.user != user) return false;
    if (&c == &self && skipme) return false;
    return true;
  }
};

// Parses the "<option> <value> ..." form; false once an error was replied.
bool parse_kill_filter(CommandContext& ctx, KillFilter* f) {
  const auto& a = ctx.args;
  for (size_t i = 2; i < a.size(); i += 2) {
    if (i + 1 >= a.size()) {
      ctx.out.error(err::kSyntax);
      return false;
    }
    std::string_view opt = a[i], val = a[i + 1];
    if (iequals(opt, "id")) {
      int64_t id;
      if (!parse_int64(val, &id) || id < 1) {
        ctx.out.error("ERR client-id should be greater than 0");
        return false;
      }
      f->id = static_cast<uint64_t>(id);
    } else if (iequals(opt, "type")) {
      f->type = client_type_by_name(val);
      if (f->type == ClientType::kInvalid) {
        ctx.out.error("ERR Unknown client type '" + std::string(val) + "'");
        return false;
      }
    } else if (iequals(opt, "addr")) {
      f->addr = val;
      f->has_addr = true;
    } else if (iequals(opt, "laddr")) {
      f->laddr = val;
      f->has_laddr = true;
    } else if (iequals(opt, "user")) {
      f->user = ctx.engine.acl().find(val);
      if (!f->user) {
        ctx.out.error("ERR No such user '" + std::string(val) + "'");
        return false;
      }
    } else if (iequals(opt, "skipme")) {
      if (iequals(val, "yes"))
        f->skipme = true;
      else if (iequals(val, "no"))
        f->skipme = false;
      else {
        ctx.out.error(err::kSyntax);
        return false;
      }
    } else {
      ctx.out.error(err::kSyntax);
      return false;
    }
  }
  return true;
}

void cmd_client_kill(CommandContext& ctx) {
  KillFilter f;
  bool old_form = ctx.args.size() == 3;
  if (old_form) {
    f.addr = ctx.args[2];
    f.has_addr = true;
    f.skipme = false;  // the old form may kill the caller itself
  } else if (!parse_kill_filter(ctx, &f)) {
    return;
  }
  int64_t killed = 0;
  bool close_self = false;
  for (const auto& [id, c] : ctx.engine.clients()) {
    if (!f.matches(*c, ctx.client)) continue;
    ++killed;
    if (c == &ctx.client)
      close_self = true;  // only after our reply went out
    else if (c->conn)
      c->conn->drop_soon();  // as Redis frees it: what it was still owed is not sent
    else
      c->close_after_reply = true;  // no socket to close: mark it for its owner
  }
  if (old_form) {
    if (killed == 0)
      ctx.out.error("ERR No such client");
    else
      ctx.out.ok();
  } else {
    ctx.out.integer(killed);
  }
  if (close_self) ctx.client.close_after_reply = true;
}

// "on"/"off" switches (NO-EVICT, NO-TOUCH).
void set_switch(CommandContext& ctx, bool Client::*field) {
  if (iequals(ctx.args[2], "on"))
    ctx.client.*field = true;
  else if (iequals(ctx.args[2], "off"))
    ctx.client.*field = false;
  else {
    ctx.out.error(err::kSyntax);
    return;
  }
  ctx.out.ok();
}

// CLIENT PAUSE timeout [WRITE|ALL]: hold back other clients' commands (all of
// them, or those that may change data) for timeout milliseconds.
void cmd_client_pause(CommandContext& ctx) {
  Args a = ctx.args;
  if (a.size() > 4) {
    ctx.out.error(
        "ERR unknown subcommand or wrong number of arguments for 'pause'. Try CLIENT HELP.");
    return;
  }
  ClientPause::Mode mode = ClientPause::Mode::kAll;
  if (a.size() == 4) {
    if (iequals(a[3], "write")) {
      mode = ClientPause::Mode::kWrite;
    } else if (!iequals(a[3], "all")) {
      ctx.out.error("ERR CLIENT PAUSE mode must be WRITE or ALL");
      return;
    }
  }
  int64_t ms;
  if (!parse_int64(a[2], &ms)) {
    ctx.out.error("ERR timeout is not an integer or out of range");
    return;
  }
  if (ms < 0) {
    ctx.out.error("ERR timeout is negative");
    return;
  }
  const int64_t end = ms > INT64_MAX - ctx.now_ms ? INT64_MAX : ctx.now_ms + ms;
  ctx.engine.pause_clients(end, mode);
  ctx.out.ok();
}

void cmd_client_unpause(CommandContext& ctx) {
  ctx.engine.unpause_clients();
  ctx.out.ok();
}

void cmd_client_no_evict(CommandContext& ctx) {
  set_switch(ctx, &Client::no_evict);
}
// CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends a blocking command's wait early.
void cmd_client_unblock(CommandContext& ctx) {
  Args a = ctx.args;
  if (a.size() > 4) {
    ctx.out.error(
        "ERR unknown subcommand or wrong number of arguments for 'unblock'. Try CLIENT HELP.");
    return;
  }
  int64_t id;
  if (!arg_int64(ctx, a[2], &id)) return;
  bool error = false;
  if (a.size() == 4) {
    if (iequals(a[3], "error")) {
      error = true;
    } else if (!iequals(a[3], "timeout")) {
      ctx.out.error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
      return;
    }
  }
  const auto& clients = ctx.engine.clients();
  auto it = clients.find(static_cast<uint64_t>(id));
  bool done = it != clients.end() && unblock_client(ctx.engine, *it->second, error);
  ctx.out.integer(done ? 1 : 0);
}

void cmd_client_no_touch(CommandContext& ctx) {
  set_switch(ctx, &Client::no_touch);
}

// CLIENT REPLY ON|OFF|SKIP; only ON answers.
void cmd_client_reply(CommandContext& ctx) {
  std::string_view mode = ctx.args[2];
  Client& c = ctx.client;
  if (iequals(mode, "on")) {
    c.reply_turned_on = c.reply_off || c.reply_skip;
    c.reply_off = false;
    c.reply_skip = false;
    c.reply_skip_next = false;
    ctx.out.ok();
  } else if (iequals(mode, "off")) {
    c.reply_off = true;
  } else if (iequals(mode, "skip")) {
    if (!c.reply_off) c.reply_skip_next = true;
  } else {
    ctx.out.error(err::kSyntax);
  }
}

void cmd_client_setinfo(CommandContext& ctx) {
  std::string_view attr = ctx.args[2];
  const bool is_name = iequals(attr, "lib-name");
  if (!is_name && !iequals(attr, "lib-ver")) {
    ctx.out.error("ERR Unrecognized option '" + std::string(attr) + "'");
    return;
  }
  if (!valid_client_name(ctx.args[3])) {
    ctx.out.error("ERR " + std::string(attr) +
                  " cannot contain spaces, newlines or special characters.");
    return;
  }
  if (!ctx.client.lib) ctx.client.lib = std::make_unique<Client::LibInfo>();
  (is_name ? ctx.client.lib->name : ctx.client.lib->ver) = std::string(ctx.args[3]);
  ctx.out.ok();
}

void cmd_client_help(CommandContext& ctx) {
  reply_help(ctx, "client",
             {"ID",
              "    The id of this connection.",
              "INFO",
              "    One CLIENT LIST line about this connection.",
              "LIST [TYPE (NORMAL|MASTER|REPLICA|PUBSUB)] [ID <id> [<id> ...]]",
              "    One line per connection, optionally only of one type or some ids.",
              "KILL <ip:port>",
              "    Close the connection from that address.",
              "KILL <option> <value> [<option> <value> [...]]",
              "    Close every connection matching all filters; replies with the count.",
              "    Options: ID <id>, TYPE <type>, ADDR <ip:port>, LADDR <ip:port>,",
              "    USER <name>, SKIPME (YES|NO) (YES by default).",
              "SETNAME <name>",
              "    Name this connection (no blanks or special characters).",
              "GETNAME",
              "    The name of this connection, or a null reply.",
              "SETINFO <LIB-NAME|LIB-VER> <value>",
              "    Record the client library name or version.",
              "PAUSE <timeout> [WRITE|ALL]",
              "    Suspend all, or just write, clients for <timeout> milliseconds.",
              "UNPAUSE",
              "    Stop the current client pause, resuming traffic.",
              "UNBLOCK <clientid> [TIMEOUT|ERROR]",
              "    Unblock the specified blocked client.",
              "NO-EVICT (ON|OFF)",
              "    Exempt this connection from client eviction.",
              "NO-TOUCH (ON|OFF)",
              "    Do not refresh the access time of keys this connection reads.",
              "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
              "         [OPTIN] [OPTOUT] [NOLOOP]",
              "    Turn client side caching invalidations on or off for this connection.",
              "CACHING (YES|NO)",
              "    In OPTIN/OPTOUT mode: track, or not, the keys of the next command.",
              "GETREDIR",
              "    The id invalidations are redirected to: 0 none, -1 tracking is off.",
              "TRACKINGINFO",
              "    The tracking flags, redirect and prefixes of this connection."});
}

}  // namespace

void register_client_commands(CommandTable& t) {
  Family f(t, "connection");
  f.add(
      "client", -2, 0, kNoKeys, nullptr,
      {.subcommands = {
           cmd("id", 2, kNoscript | kLoading | kStale, kNoKeys, cmd_client_id),
           cmd("info", 2, kNoscript | kLoading | kStale, kNoKeys, cmd_client_info),
           cmd("list", -2, kAdmin | kNoscript | kLoading | kStale, kNoKeys, cmd_client_list),
           cmd("kill", -3, kAdmin | kNoscript | kLoading | kStale, kNoKeys, cmd_client_kill),
           cmd("setname", 3, kNoscript | kLoading | kStale, kNoKeys, cmd_client_setname),
           cmd("getname", 2, kNoscript | kLoading | kStale, kNoKeys, cmd_client_getname),
           cmd("setinfo", 4, kNoscript | kLoading | kStale, kNoKeys, cmd_client_setinfo),
           cmd("pause", -3, kAdmin | kNoscript | kLoading | kStale, kNoKeys, cmd_client_pause),
           cmd("unpause", 2, kAdmin | kNoscript | kLoading | kStale, kNoKeys, cmd_client_unpause),
           cmd("no-evict", 3, kAdmin | kNoscript | kLoading | kStale, kNoKeys, cmd_client_no_evict),
           cmd("no-touch", 3, kNoscript | kLoading | kStale, kNoKeys, cmd_client_no_touch),
           cmd("unblock", -3, kAdmin | kNoscript | kLoading | kStale, kNoKeys, cmd_client_unblock),
           cmd("reply", 3, kNoscript | kLoading | kStale, kNoKeys, cmd_client_reply),
           cmd("tracking", -3, kNoscript | kLoading | kStale, kNoKeys, cmd_client_tracking),
           cmd("caching", 3, kNoscript | kLoading | kStale, kNoKeys, cmd_client_caching),
           cmd("getredir", 2, kNoscript | kLoading | kStale, kNoKeys, cmd_client_getredir),
           cmd("trackinginfo", 2, kNoscript | kLoading | kStale, kNoKeys, cmd_client_trackinginfo),
           cmd("help", 2, kLoading | kStale, kNoKeys, cmd_client_help)}});
}

}  // namespace kvd::commands
