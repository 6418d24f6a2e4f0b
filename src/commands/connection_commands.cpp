#include "admin_helpers.hpp"
#include "command_helpers.hpp"
#include "declare.hpp"
#include "families.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/common/version.hpp"
#include "kvd/engine/acl.hpp"
#include "kvd/engine/pubsub.hpp"
#include "kvd/engine/tracking.hpp"

namespace kvd::commands {
namespace {

constexpr uint32_t kConnFlags = kNoscript | kLoading | kStale | kFast | kNoAuth | kAllowBusy;

void cmd_ping(CommandContext& ctx) {
  if (ctx.args.size() > 2) {
    ctx.out.error("ERR wrong number of arguments for 'ping' command");
    return;
  }
  // A RESP2 subscriber can only read pushes: PING answers as one, ["pong", arg].
  if (ctx.client.resp == 2 && in_pubsub_mode(ctx.client)) {
    ctx.out.array(2);
    ctx.out.bulk("pong");
    ctx.out.bulk(ctx.args.size() == 2 ? ctx.args[1] : std::string_view());
    return;
  }
  if (ctx.args.size() == 2)
    ctx.out.bulk(ctx.args[1]);
  else
    ctx.out.simple("PONG");
}

void cmd_echo(CommandContext& ctx) {
  ctx.out.bulk(ctx.args[1]);
}

// The server layer closes the connection once this reply is flushed.
void cmd_quit(CommandContext& ctx) {
  ctx.client.close_after_reply = true;
  ctx.out.ok();
}

// Parses an index the way Redis's getIntFromObject does (must fit in an int).
bool parse_int(std::string_view s, int* out) {
  int64_t v;
  if (!parse_int64(s, &v) || v < INT32_MIN || v > INT32_MAX) return false;
  *out = static_cast<int>(v);
  return true;
}

void cmd_select(CommandContext& ctx) {
  int index;
  if (!parse_int(ctx.args[1], &index)) {
    ctx.out.error(err::kNotInteger);
    return;
  }
  if (index < 0 || index >= ctx.engine.db_count()) {
    ctx.out.error(err::kDbIndex);
    return;
  }
  ctx.client.db_index = index;
  ctx.out.ok();
}

constexpr const char* kWrongPass = "WRONGPASS invalid username-password pair or user is disabled.";

// Authenticates the client as `user` or replies WRONGPASS (and logs the
// failure in ACL LOG, with the command as the client typed it).
bool authenticate(CommandContext& ctx, std::string_view user, std::string_view pass) {
  AclUser* u = ctx.engine.acl().authenticate(user, pass);
  if (!u) {
    ctx.engine.log_auth_failure(ctx.client, ctx.args[0], user);
    ctx.out.error(kWrongPass);
    return false;
  }
  ctx.client.authenticated = true;
  ctx.client.user = u;
  return true;
}

void cmd_auth(CommandContext& ctx) {
  if (ctx.args.size() > 3) {
    ctx.out.error(err::kSyntax);
    return;
  }
  std::string_view user = "default";
  std::string_view pass = ctx.args[1];
  if (ctx.args.size() == 2) {
    // The one-argument form only makes sense when the default user has a password.
    if (ctx.engine.acl().default_user().nopass) {
      ctx.out.error(
          "ERR AUTH <password> called without any password configured for the default user. "
          "Are you sure your configuration is correct?");
      return;
    }
  } else {
    user = ctx.args[1];
    pass = ctx.args[2];
  }
  if (authenticate(ctx, user, pass)) ctx.out.ok();
}

// Applies HELLO's AUTH/SETNAME options; false once an error was replied.
bool hello_options(CommandContext& ctx, size_t first) {
  const auto& a = ctx.args;
  for (size_t j = first; j < a.size(); ++j) {
    size_t more = a.size() - 1 - j;
    if (iequals(a[j], "AUTH") && more >= 2) {
      if (!authenticate(ctx, a[j + 1], a[j + 2])) return false;
      j += 2;
    } else if (iequals(a[j], "SETNAME") && more >= 1) {
      if (!valid_client_name(a[j + 1])) {
        ctx.out.error("ERR Client names cannot contain spaces, newlines or special characters.");
        return false;
      }
      ctx.client.name = std::string(a[j + 1]);
      ++j;
    } else {
      ctx.out.error("ERR Syntax error in HELLO option '" + std::string(a[j]) + "'");
      return false;
    }
  }
  return true;
}

void cmd_hello(CommandContext& ctx) {
  int64_t version = 0;
  if (ctx.args.size() >= 2) {
    if (!parse_int64(ctx.args[1], &version)) {
      ctx.out.error("ERR Protocol version is not an integer or out of range");
      return;
    }
    if (version < 2 || version > 3) {
      ctx.out.error("NOPROTO unsupported protocol version");
      return;
    }
  }
  if (!hello_options(ctx, 2)) return;
  if (!ctx.client.authenticated) {
    ctx.out.error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
        "HELLO AUTH <user> <pass> option can be used to authenticate the client and select "
        "the RESP protocol version at the same time");
    return;
  }
  if (version) {
    ctx.client.resp = static_cast<int>(version);
    ctx.out.set_resp(ctx.client.resp);  // this very reply already uses the new protocol
  }
  ctx.out.map(7);
  ctx.out.bulk("server");
  ctx.out.bulk("redis");  // clients gate features on this name, as on the version
  ctx.out.bulk("version");
  ctx.out.bulk(kRedisCompatVersion);
  ctx.out.bulk("proto");
  ctx.out.integer(ctx.client.resp);
  ctx.out.bulk("id");
  ctx.out.integer(static_cast<int64_t>(ctx.client.id));
  ctx.out.bulk("mode");
  ctx.out.bulk("standalone");
  ctx.out.bulk("role");
  ctx.out.bulk(ctx.engine.repl().is_replica() ? "replica" : "master");
  ctx.out.bulk("modules");
  ctx.out.array(0);
}

// Back to the state of a fresh connection.
void cmd_reset(CommandContext& ctx) {
  Client& c = ctx.client;
  ctx.engine.forget_watch(c);  // discards MULTI, unwatches
  ctx.engine.forget_pubsub(c);
  ctx.engine.forget_monitor(c);
  ctx.engine.tracking().disable(c);
  c.db_index = 0;
  c.resp = 2;
  ctx.out.set_resp(2);
  c.name.clear();
  // Back to the default user, authenticated only if it needs no password
  // (Redis's clientSetDefaultAuth).
  Acl& acl = ctx.engine.acl();
  c.user = &acl.default_user();
  c.authenticated = !acl.default_needs_auth();
  c.no_evict = false;
  c.no_touch = false;
  ctx.out.simple("RESET");
}

// MONITOR shows AUTH's arguments, and HELLO's AUTH user and password, as
// "(redacted)", as Redis does.
bool auth_secret(Args, size_t i) {
  return i >= 1;
}

bool hello_secret(Args args, size_t i) {
  for (size_t j = 2; j < i && j + 1 < args.size() + 1; ++j) {
    if (iequals(args[j], "auth") && (i == j + 1 || i == j + 2)) return true;
  }
  return false;
}

}  // namespace

// kvd runs as one node, like redis-server with cluster-enabled no: the
// cluster connection commands exist (ACL rules and clients name them) and
// say so.
void cmd_cluster_disabled(CommandContext& ctx) {
  ctx.out.error("ERR This instance has cluster support disabled");
}

void register_connection_commands(CommandTable& t) {
  Family f(t, "connection");
  f.add("ping", -1, kSubscribedOk | kFast, kNoKeys, cmd_ping);
  for (const char* name : {"readonly", "readwrite"})
    f.add(name, 1, kFast | kLoading | kStale, kNoKeys, cmd_cluster_disabled,
          {.categories = kAclConnection, .group = "cluster"});
  f.add("asking", 1, kFast, kNoKeys, cmd_cluster_disabled,
        {.categories = kAclConnection, .group = "cluster"});
  f.add("echo", 2, kLoading | kStale | kFast, kNoKeys, cmd_echo);
  f.add("quit", -1,
        kNoQueue | kEndsMulti | kSubscribedOk | kNoscript | kLoading | kStale | kFast | kNoAuth |
            kAllowBusy,
        kNoKeys, cmd_quit);
  f.add("select", 2, kLoading | kStale | kFast, kNoKeys, cmd_select);
  f.add("hello", -1, kNoscript | kLoading | kStale | kFast | kNoAuth | kAllowBusy, kNoKeys,
        cmd_hello, {.secret = hello_secret});
  f.add("auth", -2, kNoscript | kLoading | kStale | kFast | kNoAuth | kAllowBusy, kNoKeys, cmd_auth,
        {.secret = auth_secret});
  f.add("reset", 1,
        kNoQueue | kEndsMulti | kSubscribedOk | kNoscript | kLoading | kStale | kFast | kNoAuth |
            kAllowBusy,
        kNoKeys, cmd_reset);
}

}  // namespace kvd::commands
