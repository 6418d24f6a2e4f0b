// Replication commands: REPLCONF, SYNC/PSYNC (a replica's side of the
// handshake, served here as master), REPLICAOF/SLAVEOF, ROLE and WAIT. The
// links themselves live in the server layer (server/replication/); these
// handlers parse and answer, and reach the links through
// Engine::replication_control().
#include <spdlog/spdlog.h>

#include "command_helpers.hpp"
#include "declare.hpp"
#include "families.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/engine/engine.hpp"
#include "kvd/engine/replication.hpp"

namespace kvd::commands {
namespace {

ReplicationControl* control(CommandContext& ctx) {
  ReplicationControl* rc = ctx.engine.replication_control();
  if (!rc) ctx.out.error("ERR replication is not available in this process");
  return rc;
}

ReplicaLink& link_of(Client& c) {
  if (!c.replica) c.replica = std::make_shared<ReplicaLink>();
  return *c.replica;
}

// REPLCONF <option> <value> ...: what a replica tells its master during the
// handshake (listening-port, ip-address, capa) and afterwards (ACK), and
// GETACK, which a master sends down the stream.
void cmd_replconf(CommandContext& ctx) {
  const Args& a = ctx.args;
  if (a.size() % 2 == 0) {
    ctx.out.error("ERR syntax error");
    return;
  }
  for (size_t i = 1; i < a.size(); i += 2) {
    const std::string_view opt = a[i];
    const std::string_view val = a[i + 1];
    if (iequals(opt, "listening-port")) {
      int64_t port = 0;
      if (!arg_int64(ctx, val, &port)) return;
      link_of(ctx.client).listening_port = port;
    } else if (iequals(opt, "ip-address")) {
      if (val.size() >= 46) {
        ctx.out.error("ERR REPLCONF ip-address provided by replica instance is too long: " +
                      std::to_string(val.size()) + " bytes");
        return;
      }
      link_of(ctx.client).announced_ip = std::string(val);
    } else if (iequals(opt, "capa")) {
      if (iequals(val, "eof")) link_of(ctx.client).capa_eof = true;
      if (iequals(val, "psync2")) link_of(ctx.client).capa_psync2 = true;
    } else if (iequals(opt, "ack")) {
      // Only a synced replica acknowledges; no reply, as in Redis.
      if (!ctx.client.replica) return;
      int64_t off = 0;
      if (!parse_int64(val, &off)) return;
      if (ReplicationControl* rc = ctx.engine.replication_control()) rc->ack(ctx.client, off);
      return;
    } else if (iequals(opt, "getack")) {
      // From our master only; the answer goes to it as REPLCONF ACK.
      if (ctx.client.master_link) {
        if (ReplicationControl* rc = ctx.engine.replication_control()) rc->send_ack_to_master();
      }
      return;
    } else if (iequals(opt, "rdb-only") || iequals(opt, "rdb-filter-only")) {
      // Accepted (redis-cli --rdb sends them); kvd always sends the stream.
    } else {
      ctx.out.error("ERR Unrecognized REPLCONF option: " + std::string(opt));
      return;
    }
  }
  ctx.out.ok();
}

void cmd_sync(CommandContext& ctx) {
  if (ctx.client.master_link) return;  // a master never asks its replica
  ReplicationControl* rc = control(ctx);
  if (!rc) return;
  rc->sync(ctx.client, "", -1, false);
}

void cmd_psync(CommandContext& ctx) {
  if (ctx.client.master_link) return;
  ReplicationControl* rc = control(ctx);
  if (!rc) return;
  int64_t offset = -1;
  if (!parse_int64(ctx.args[2], &offset)) {
    spdlog::warn("Replica {} asks for synchronization but with a wrong offset",
                 ctx.client.conn ? ctx.client.conn->peer_address() : std::string("?"));
    ctx.out.error("ERR value is not an integer or out of range");
    return;
  }
  // PSYNC ... FAILOVER: our master hands its role over (its FAILOVER).
  if (ctx.args.size() > 3 && iequals(ctx.args[3], "failover")) {
    std::string err = rc->take_over_from(ctx.client, ctx.args[1]);
    if (!err.empty()) {
      ctx.out.error(err);
      return;
    }
  }
  rc->sync(ctx.client, ctx.args[1], offset, true);
}

// REPLICAOF host port | NO ONE (SLAVEOF is its old name).
void cmd_replicaof(CommandContext& ctx) {
  ReplicationControl* rc = control(ctx);
  if (!rc) return;
  const Args& a = ctx.args;
  if (iequals(a[1], "no") && iequals(a[2], "one")) {
    std::string err = rc->replicaof("", 0, &ctx.client);
    if (!err.empty()) {
      ctx.out.error(err);
      return;
    }
    ctx.out.ok();
    return;
  }
  if (ctx.client.master_link) {
    ctx.out.error("ERR Command is not valid when client is a replica.");
    return;
  }
  int64_t port = 0;
  if (!arg_int64(ctx, a[2], &port)) return;
  if (port < 0 || port > 65535) {
    ctx.out.error("ERR Invalid master port");
    return;
  }
  const ReplicationState& r = ctx.engine.repl();
  if (r.is_replica() && iequals(r.master_host, a[1]) && r.master_port == port) {
    ctx.out.simple("OK Already connected to specified master");
    return;
  }
  std::string err = rc->replicaof(std::string(a[1]), port, &ctx.client);
  if (!err.empty()) {
    ctx.out.error(err);
    return;
  }
  ctx.out.ok();
}

// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]: hands the master
// role to a replica once it has all of the stream (writes wait meanwhile).
void cmd_failover(CommandContext& ctx) {
  ReplicationControl* rc = control(ctx);
  if (!rc) return;
  const Args& a = ctx.args;
  engine::FailoverRequest req;
  if (a.size() == 2 && iequals(a[1], "abort")) {
    req.abort = true;
  } else {
    for (size_t j = 1; j < a.size(); ++j) {
      if (iequals(a[j], "timeout") && j + 1 < a.size() && req.timeout_ms == 0) {
        if (!arg_int64(ctx, a[j + 1], &req.timeout_ms)) return;
        if (req.timeout_ms <= 0) {
          ctx.out.error("ERR FAILOVER timeout must be greater than 0");
          return;
        }
        ++j;
      } else if (iequals(a[j], "to") && j + 2 < a.size() && req.host.empty()) {
        if (!arg_int64(ctx, a[j + 2], &req.port)) return;
        req.host = std::string(a[j + 1]);
        j += 2;
      } else if (iequals(a[j], "force") && !req.force) {
        req.force = true;
      } else {
        ctx.out.error("ERR syntax error");
        return;
      }
    }
  }
  std::string err = rc->failover(req);
  if (!err.empty()) {
    ctx.out.error(err);
    return;
  }
  ctx.out.ok();
}

void cmd_role(CommandContext& ctx) {
  const ReplicationState& r = ctx.engine.repl();
  if (r.is_replica()) {
    ctx.out.array(5);
    ctx.out.bulk("slave");
    ctx.out.bulk(r.master_host);
    ctx.out.integer(r.master_port);
    ctx.out.bulk(r.link_up            ? "connected"
                 : r.sync_in_progress ? "sync"
                 : r.link_handshake   ? "handshake"
                 : r.link_connecting  ? "connecting"
                                      : "connect");
    ctx.out.integer(r.link_up ? r.master_repl_offset() : -1);
    return;
  }
  std::vector<const Client*> replicas;
  for (const auto& [id, c] : ctx.engine.clients())
    if (c->replica && c->replica->state == ReplicaSyncState::kOnline) replicas.push_back(c);
  ctx.out.array(3);
  ctx.out.bulk("master");
  ctx.out.integer(r.master_repl_offset());
  ctx.out.array(replicas.size());
  for (const Client* c : replicas) {
    std::string ip = c->replica->announced_ip;
    if (ip.empty() && c->conn) {
      ip = c->conn->peer_address();
      ip = ip.substr(0, ip.rfind(':'));
    }
    ctx.out.array(3);
    ctx.out.bulk(ip);
    ctx.out.bulk(std::to_string(c->replica->listening_port));
    ctx.out.bulk(std::to_string(c->replica->ack_offset));
  }
}

void cmd_wait(CommandContext& ctx) {
  if (ctx.engine.repl().is_replica()) {
    ctx.out.error(
        "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 "
        "if a replica is configured to be writable (which is not the default) writes to "
        "replicas are just local and are not propagated.");
    return;
  }
  int64_t num = 0, timeout = 0;
  if (!arg_int64(ctx, ctx.args[1], &num)) return;
  if (!parse_int64(ctx.args[2], &timeout)) {
    ctx.out.error("ERR timeout is not an integer or out of range");
    return;
  }
  if (timeout < 0) {
    ctx.out.error("ERR timeout is negative");
    return;
  }
  ReplicationControl* rc = control(ctx);
  if (!rc) return;
  rc->wait(ctx.client, num, timeout, ctx.out);
}

}  // namespace

void register_replication_commands(CommandTable& t) {
  Family f(t, "server");
  f.add("replconf", -1, kAdmin | kNoscript | kLoading | kStale | kAllowBusy, kNoKeys, cmd_replconf);
  f.add("sync", 1, kAdmin | kNoscript | kNoAsyncLoading | kNoMulti, kNoKeys, cmd_sync);
  f.add("psync", -3, kAdmin | kNoscript | kNoAsyncLoading | kNoMulti, kNoKeys, cmd_psync);
  f.add("replicaof", 3, kAdmin | kNoscript | kStale | kNoAsyncLoading, kNoKeys, cmd_replicaof);
  f.add("slaveof", 3, kAdmin | kNoscript | kStale | kNoAsyncLoading, kNoKeys, cmd_replicaof);
  f.add("failover", -1, kAdmin | kNoscript | kStale, kNoKeys, cmd_failover);
  f.add("role", 1, kNoscript | kLoading | kStale | kFast, kNoKeys, cmd_role,
        {.categories = kAclAdmin | kAclDangerous});
  f.add("wait", 3, kNoscript, kNoKeys, cmd_wait, {.categories = kAclConnection});
}

}  // namespace kvd::commands
