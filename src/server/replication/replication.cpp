// Role changes: start-up as a replica (replicaof), REPLICAOF host port and
// REPLICAOF NO ONE, with the replication ID bookkeeping Redis 7 does for
// each, and the replica's answers to its master (ACK).
#include <spdlog/spdlog.h>

#include "kvd/common/strings.hpp"
#include "kvd/engine/blocking.hpp"
#include "kvd/engine/engine.hpp"
#include "kvd/server/logging.hpp"
#include "kvd/server/server.hpp"
#include "master_link.hpp"
#include "replication.hpp"

namespace kvd::server {
namespace {

// The replicaof directive follows the role, as Redis's does: CONFIG REWRITE
// (which Sentinel sends after every switch) then writes the line a restart
// needs, or removes it from a promoted server.
void remember_master(engine::Engine& e, const std::string& host, int64_t port) {
  if (host.empty())
    e.config().set("replicaof", {"no", "one"}, true);
  else
    e.config().set("replicaof", {host, std::to_string(port)}, true);
}

}  // namespace

void Replication::start(const std::string& rdb_replid, int64_t rdb_offset, int rdb_stream_db) {
  (void)rdb_stream_db;
  engine::ReplicationState& r = engine_.repl();
  const std::string conf = engine_.config().get("replicaof").value_or("");
  const size_t space = conf.find(' ');
  const bool replica = !conf.empty() && space != std::string::npos;
  if (!rdb_replid.empty() && rdb_offset >= 0) {
    if (replica) {
      // A restarted replica continues its master's history (PSYNC).
      r.set_id_and_offset(rdb_replid, rdb_offset);
    } else {
      // A restarted master: its old ID stays valid as replid2 up to the
      // saved offset, so its replicas can continue with it.
      engine_.start_repl_stream();
      r.continue_after_restart(rdb_replid, rdb_offset);
    }
  } else if (!replica) {
    // No history to continue: the backlog the load fed is of no use.
    engine_.stop_repl_stream();
  }
  if (!replica) return;
  int64_t port = 0;
  parse_int64(conf.substr(space + 1), &port);
  r.set_master(conf.substr(0, space), port);
  engine_.start_repl_stream();
  link_ = std::make_shared<MasterLink>(*this, r.master_host, r.master_port);
  link_->start();
}

std::string Replication::replicaof(const std::string& host, int64_t port, engine::Client* by) {
  if (engine_.repl().failover_state != engine::FailoverState::kNone)
    return "ERR REPLICAOF not allowed while failing over.";
  const std::string who = by ? "id=" + std::to_string(by->id) + " addr=" +
                                   (by->conn ? by->conn->peer_address() : std::string("?"))
                             : "config";
  return switch_master(host, port, "user request from '" + who + "'");
}

std::string Replication::switch_master(const std::string& host, int64_t port,
                                       const std::string& why) {
  engine::ReplicationState& r = engine_.repl();
  if (link_) {
    link_->stop();
    link_.reset();
  }
  remember_master(engine_, host, port);
  if (host.empty()) {
    if (!r.is_replica()) return "";
    r.set_master("", 0);
    set_log_role(false);
    r.link_up = false;
    r.sync_in_progress = false;
    r.link_connecting = r.link_handshake = false;
    r.link_down_since_ms = 0;
    // Our master's ID stays valid as replid2 up to what we have: replicas
    // of the same old master can continue with us.
    r.shift_replid();
    spdlog::info(
        "Setting secondary replication ID to {}, valid up to offset: {}. New replication ID is {}",
        r.replid2(), r.second_repl_offset(), r.replid());
    disconnect_replicas();
    r.reset_stream_db();
    engine_.start_repl_stream();
    spdlog::info("MASTER MODE enabled ({})", why);
    server_.apply_oom_score();
    return "";
  }
  const bool was_master = !r.is_replica();
  if (was_master) {
    spdlog::info(
        "Before turning into a replica, using my own master parameters to synthesize a cached "
        "master: I may be able to synchronize with the new master with just a partial transfer.");
  }
  r.set_master(host, port);
  engine::unblock_all_for_role_change(engine_);
  set_log_role(true);
  r.link_up = false;
  r.sync_in_progress = false;
  r.link_connecting = r.link_handshake = false;
  r.link_down_since_ms = 0;
  // Our replicas stay, as in Redis 7: if the new master continues our
  // history they go on with us; they are disconnected only when it does
  // not (a new ID in +CONTINUE, or a full sync's load starting).
  engine_.start_repl_stream();
  spdlog::info("REPLICAOF {}:{} enabled ({})", host, port, why);
  link_ = std::make_shared<MasterLink>(*this, host, port);
  link_->start();
  server_.apply_oom_score();
  return "";
}

void Replication::send_ack_to_master() {
  if (link_) link_->send_ack();
}

}  // namespace kvd::server
