// FAILOVER: a master hands its role to one of its replicas without losing a
// write, as Redis 7.0 coordinates it. Writes wait (a client pause) while the
// master waits for a replica whose ACK reaches its offset; then the master
// becomes a replica of that one and sends it PSYNC <replid> <offset>
// FAILOVER, which makes the target promote itself and continue the old
// master from its backlog. A refused PSYNC, a timeout without FORCE, or
// FAILOVER ABORT puts everything back.
#include <spdlog/spdlog.h>

#include <climits>

#include "kvd/common/strings.hpp"
#include "kvd/engine/engine.hpp"
#include "master_link.hpp"
#include "replication.hpp"

namespace kvd::server {
namespace {

using engine::Client;
using engine::FailoverState;

// Redis's findReplica: the announced (or peer) address and listening port.
bool is_replica_at(const Client& c, const std::string& host, int64_t port) {
  const std::string name = Replication::replica_name(c);
  const size_t colon = name.rfind(':');
  return c.replica && c.replica->listening_port == port && iequals(name.substr(0, colon), host);
}

}  // namespace

std::string Replication::failover(const engine::FailoverRequest& req) {
  engine::ReplicationState& r = engine_.repl();
  if (req.abort) {
    if (r.failover_state == FailoverState::kNone) return "ERR No failover in progress.";
    abort_failover("Failover manually aborted");
    return "";
  }
  if (r.failover_state != FailoverState::kNone) return "ERR FAILOVER already in progress.";
  if (r.is_replica()) return "ERR FAILOVER is not valid when server is a replica.";
  if (replicas_.empty()) return "ERR FAILOVER requires connected replicas.";
  if (req.force && (req.timeout_ms == 0 || req.host.empty()))
    return "ERR FAILOVER with force option requires both a timeout and target HOST and IP.";
  if (!req.host.empty()) {
    const Client* target = nullptr;
    for (const Client* c : replicas_)
      if (is_replica_at(*c, req.host, req.port)) target = c;
    if (target == nullptr) return "ERR FAILOVER target HOST and PORT is not a replica.";
    if (target->replica->state != engine::ReplicaSyncState::kOnline)
      return "ERR FAILOVER target replica is not online.";
    spdlog::info("FAILOVER requested to {}:{}.", req.host, req.port);
  } else {
    spdlog::info("FAILOVER requested to any replica.");
  }
  failover_host_ = req.host;
  failover_port_ = req.port;
  failover_force_ = req.force;
  failover_end_ms_ = req.timeout_ms ? engine_.clock().now_ms() + req.timeout_ms : 0;
  r.failover_state = FailoverState::kWaitForSync;
  // Writes wait from now on, so the offset stops moving and a replica can
  // catch up with it. Only clear_failover() lifts this pause.
  engine_.pause_clients(INT64_MAX, engine::ClientPause::Mode::kWrite,
                        engine::ClientPause::Purpose::kFailover);
  return "";
}

void Replication::update_failover(int64_t now_ms) {
  engine::ReplicationState& r = engine_.repl();
  if (r.failover_state != FailoverState::kWaitForSync) return;
  if (failover_end_ms_ != 0 && failover_end_ms_ <= now_ms) {
    if (!failover_force_) {
      abort_failover("Replica never caught up before timeout");
      return;
    }
    spdlog::info("FAILOVER to {}:{} time out exceeded, failing over.", failover_host_,
                 failover_port_);
    r.failover_state = FailoverState::kInProgress;
    switch_master(failover_host_, failover_port_, "failover");
    return;
  }
  const Client* synced = nullptr;
  for (const Client* c : replicas_) {
    const bool candidate =
        failover_host_.empty() || is_replica_at(*c, failover_host_, failover_port_);
    if (candidate && c->replica->ack_offset == r.master_repl_offset()) synced = c;
    if (synced) break;
  }
  if (synced == nullptr) return;
  if (failover_host_.empty()) {
    const std::string name = replica_name(*synced);
    failover_host_ = name.substr(0, name.rfind(':'));
    failover_port_ = synced->replica->listening_port;
  }
  r.failover_state = FailoverState::kInProgress;
  spdlog::info("Failover target {}:{} is synced, failing over.", failover_host_, failover_port_);
  // The link sends PSYNC ... FAILOVER while the state says in progress.
  switch_master(failover_host_, failover_port_, "failover");
}

void Replication::failover_answered(bool accepted) {
  if (engine_.repl().failover_state != FailoverState::kInProgress) return;
  if (accepted) {
    clear_failover();
    return;
  }
  // The link that asked is still on the stack: abort after it returns.
  asio::post(tick_.get_executor(),
             [this] { abort_failover("Failover target rejected psync request"); });
}

void Replication::abort_failover(const std::string& why) {
  engine::ReplicationState& r = engine_.repl();
  if (r.failover_state == FailoverState::kNone) return;
  if (!failover_host_.empty()) {
    spdlog::info("FAILOVER to {}:{} aborted: {}", failover_host_, failover_port_, why);
  } else {
    spdlog::info("FAILOVER to any replica aborted: {}", why);
  }
  if (r.failover_state == FailoverState::kInProgress) switch_master("", 0, "failover aborted");
  clear_failover();
}

void Replication::clear_failover() {
  failover_host_.clear();
  failover_port_ = 0;
  failover_end_ms_ = 0;
  failover_force_ = false;
  engine_.repl().failover_state = FailoverState::kNone;
  engine_.unpause_clients(engine::ClientPause::Purpose::kFailover);
}

std::string Replication::take_over_from(Client& c, std::string_view replid) {
  engine::ReplicationState& r = engine_.repl();
  spdlog::info("Failover request received for replid {}.", replid);
  if (!r.is_replica()) return "ERR PSYNC FAILOVER can't be sent to a master.";
  if (replid != r.replid()) return "ERR PSYNC FAILOVER replid must match my replid.";
  const std::string who = "id=" + std::to_string(c.id) +
                          " addr=" + (c.conn ? c.conn->peer_address() : std::string("?"));
  // Our master's ID becomes replid2: the PSYNC that follows continues it.
  switch_master("", 0, "failover request from '" + who + "'");
  return "";
}

}  // namespace kvd::server
