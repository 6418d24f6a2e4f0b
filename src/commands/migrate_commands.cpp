// MIGRATE: moves keys to another server as RESTORE commands over a cached
// connection, and deletes them here once the target acknowledged each one.
// Atomic and blocking for at most its timeout, as in Redis (the transfer runs
// on the command thread; the socket itself belongs to the server layer).
#include <string>
#include <vector>

#include "command_helpers.hpp"
#include "declare.hpp"
#include "families.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/engine/engine.hpp"
#include "kvd/engine/keyspace_events.hpp"
#include "kvd/persist/dump_payload.hpp"
#include "kvd/protocol/command_encoder.hpp"

namespace kvd::commands {
namespace {

using protocol::append_command;
using Words = std::initializer_list<std::string_view>;

struct MigrateArgs {
  bool copy = false;
  bool replace = false;
  std::string username;
  std::string password;
  bool auth = false;
  size_t first_key = 3;
  size_t num_keys = 1;
  int64_t timeout_ms = 0;
  int64_t db = 0;
};

bool parse_migrate(CommandContext& ctx, MigrateArgs* m) {
  const Args& a = ctx.args;
  for (size_t j = 6; j < a.size(); ++j) {
    const size_t more = a.size() - 1 - j;
    if (iequals(a[j], "copy")) {
      m->copy = true;
    } else if (iequals(a[j], "replace")) {
      m->replace = true;
    } else if (iequals(a[j], "auth") && more >= 1) {
      m->auth = true;
      m->password = a[++j];
    } else if (iequals(a[j], "auth2") && more >= 2) {
      m->auth = true;
      m->username = a[++j];
      m->password = a[++j];
    } else if (iequals(a[j], "keys")) {
      if (!a[3].empty()) {
        ctx.out.error(
            "ERR When using MIGRATE KEYS option, the key argument must be set to the empty "
            "string");
        return false;
      }
      m->first_key = j + 1;
      m->num_keys = a.size() - j - 1;
      break;
    } else {
      ctx.out.error(err::kSyntax);
      return false;
    }
  }
  if (!arg_int64(ctx, a[5], &m->timeout_ms) || !arg_int64(ctx, a[4], &m->db)) return false;
  if (m->timeout_ms <= 0) m->timeout_ms = 1000;
  return true;
}

// One attempt over the link. Returns true when it got as far as reading the
// replies (the command has then replied); false on a socket error before any
// RESTORE was answered, with *timed_out set, so the caller may retry once.
enum class Attempt { kDone, kSocketError };

Attempt migrate_once(CommandContext& ctx, const MigrateArgs& m, std::vector<std::string>& keys,
                     engine::MigrateLink& link, bool* timed_out, const char** failed_step) {
  const std::string host(ctx.args[1]), port(ctx.args[2]);
  std::string request;
  if (m.auth) {
    if (!m.username.empty())
      append_command(request, Words{"AUTH", m.username, m.password});
    else
      append_command(request, Words{"AUTH", m.password});
  }
  const bool select = link.selected_db != m.db;
  if (select) append_command(request, Words{"SELECT", std::to_string(m.db)});

  // Serialize what is still alive now; a key that expired since the lookup
  // is left out, as Redis does.
  std::vector<std::string> sent;
  const bool compress = ctx.engine.config().v().rdbcompression;
  for (const std::string& k : keys) {
    Entry* e = ctx.db.find(k, ctx.now_ms);
    if (!e) continue;
    int64_t ttl = 0;
    int64_t at = ctx.db.expire_of(e);
    if (at != kNoExpire) {
      ttl = at - ctx.now_ms;
      if (ttl < 1) ttl = 1;
    }
    std::string payload = persist::make_dump_payload(e->value, compress);
    std::string ttl_text = std::to_string(ttl);
    if (m.replace)
      append_command(request, Words{"RESTORE", k, ttl_text, payload, "REPLACE"});
    else
      append_command(request, Words{"RESTORE", k, ttl_text, payload});
    sent.push_back(k);
  }

  if (!link.write_all(request, m.timeout_ms)) {
    *timed_out = link.timed_out();
    *failed_step = "writing";
    return Attempt::kSocketError;
  }
  std::string auth_reply, select_reply;
  if ((m.auth && !link.read_line(&auth_reply, m.timeout_ms)) ||
      (select && !link.read_line(&select_reply, m.timeout_ms))) {
    *timed_out = link.timed_out();
    *failed_step = "reading";
    return Attempt::kSocketError;
  }

  bool target_error = false;
  size_t acked = 0;
  // What the AOF (and replicas) get instead of MIGRATE: DEL of the keys
  // that left, as in Redis; nothing when none did (or with COPY).
  std::vector<std::string> deleted{"DEL"};
  size_t j = 0;
  for (; j < sent.size(); ++j) {
    std::string reply;
    if (!link.read_line(&reply, m.timeout_ms)) break;
    const std::string* err = nullptr;
    if (m.auth && !auth_reply.empty() && auth_reply[0] == '-')
      err = &auth_reply;
    else if (select && !select_reply.empty() && select_reply[0] == '-')
      err = &select_reply;
    else if (!reply.empty() && reply[0] == '-')
      err = &reply;
    if (err) {
      if (!target_error) {
        link.selected_db = -1;
        target_error = true;
        ctx.out.error("ERR Target instance replied with error: " + err->substr(1));
      }
      continue;
    }
    if (!m.copy) {
      ctx.db.remove(sent[j]);
      key_changed(ctx, 'g', "del", sent[j]);
      deleted.push_back(sent[j]);
    }
    ++acked;
  }
  if (deleted.size() > 1)
    propagate_as(ctx, std::move(deleted));
  else if (ctx.engine.propagation().active())
    ctx.engine.propagation().suppress();
  const bool socket_error = j < sent.size();
  if (socket_error) {
    *timed_out = link.timed_out();
    *failed_step = "reading";
    // Nothing was answered yet: the caller may reconnect and try again.
    if (!target_error && j == 0) return Attempt::kSocketError;
    ctx.engine.hooks()->close_migrate_link(host, port);
    if (!target_error)
      ctx.out.error(std::string("IOERR error or timeout reading to target instance"));
    return Attempt::kDone;
  }
  (void)acked;
  if (!target_error) {
    link.selected_db = static_cast<int>(m.db);
    ctx.out.ok();
  }
  return Attempt::kDone;
}

void cmd_migrate(CommandContext& ctx) {
  MigrateArgs m;
  if (!parse_migrate(ctx, &m)) return;

  std::vector<std::string> keys;
  for (size_t j = 0; j < m.num_keys; ++j) {
    std::string_view k = ctx.args[m.first_key + j];
    if (lookup_read(ctx, k)) keys.emplace_back(k);
  }
  if (keys.empty()) {
    ctx.out.simple("NOKEY");
    return;
  }
  ServerHooks* hooks = ctx.engine.hooks();
  const std::string host(ctx.args[1]), port(ctx.args[2]);
  // A cached connection the target closed fails on first use; Redis then
  // reconnects once (not after a timeout) rather than report the error.
  for (int attempt = 0; attempt < 2; ++attempt) {
    engine::MigrateLink* link = hooks ? hooks->migrate_link(host, port, m.timeout_ms) : nullptr;
    if (!link) {
      ctx.out.error("IOERR error or timeout connecting to the client");
      return;
    }
    bool timed_out = false;
    const char* step = "writing";
    if (migrate_once(ctx, m, keys, *link, &timed_out, &step) == Attempt::kDone) return;
    hooks->close_migrate_link(host, port);
    if (timed_out || attempt == 1) {
      ctx.out.error(std::string("IOERR error or timeout ") + step + " to target instance");
      return;
    }
  }
}

// MIGRATE's keys: the third argument, or everything after KEYS when the
// third is empty (AUTH's and AUTH2's values are skipped while looking).
std::vector<int> migrate_keys(Args a) {
  for (size_t i = 6; i < a.size(); ++i) {
    if (iequals(a[i], "auth")) {
      ++i;
    } else if (iequals(a[i], "auth2")) {
      i += 2;
    } else if (iequals(a[i], "keys")) {
      if (!a[3].empty()) return {};
      std::vector<int> out;
      for (size_t k = i + 1; k < a.size(); ++k) out.push_back(static_cast<int>(k));
      return out;
    }
  }
  return {3};
}

// MONITOR and SLOWLOG show AUTH's password and AUTH2's user and password
// redacted, as Redis does.
bool migrate_secret(Args args, size_t i) {
  for (size_t j = 6; j < args.size() && j < i; ++j) {
    if (iequals(args[j], "keys")) return false;
    if (iequals(args[j], "auth") && i == j + 1) return true;
    if (iequals(args[j], "auth2") && (i == j + 1 || i == j + 2)) return true;
  }
  return false;
}

}  // namespace

void register_migrate_commands(CommandTable& t) {
  Family f(t, "generic");
  f.add("migrate", -6, kWrite | kMovableKeys, {3, 3, 1}, cmd_migrate,
        {.categories = kAclKeyspace | kAclDangerous,
         .find_keys = migrate_keys,
         .secret = migrate_secret});
}

}  // namespace kvd::commands
