// Serving our replicas: SYNC/PSYNC, the full sync through a snapshot the
// BGSAVE child writes, the partial resync from the backlog, the live
// stream, ACKs and WAIT. Everything runs on the main loop; the snapshot
// file goes out in chunks as each replica's socket takes them.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "kvd/common/strings.hpp"
#include "kvd/persist/snapshot.hpp"
#include "kvd/protocol/command_encoder.hpp"
#include "kvd/protocol/reply_writer.hpp"
#include "kvd/server/server.hpp"
#include "master_link.hpp"
#include "replication.hpp"

namespace kvd::server {

using engine::Client;
using engine::ReplicaLink;
using engine::ReplicaSyncState;

namespace {

// A replica's output is fed a chunk of its snapshot whenever less than this
// is waiting for its socket.
constexpr size_t kTransferLowWater = 1024 * 1024;
constexpr size_t kTransferChunk = 256 * 1024;

}  // namespace

Replication::Replication(Server& server)
    : server_(server), engine_(server.engine()), tick_(server.io()) {
  engine_.set_replication_control(this);
  engine_.repl().on_stream = [this](std::string_view bytes) { on_stream(bytes); };
  no_replicas_since_ms_ = engine_.clock().now_ms();
  for (const char* name : {"replica-read-only", "replica-serve-stale-data", "min-replicas-to-write",
                           "min-replicas-max-lag", "repl-backlog-size"})
    engine_.config().on_change(name, [this] { apply_config(); });
  apply_config();
}

Replication::~Replication() {
  if (link_) link_->stop();
  for (auto& t : transfers_) ::close(t.fd);
  if (diskless_fd_ >= 0) ::close(diskless_fd_);
  engine_.repl().on_stream = nullptr;
  engine_.set_replication_control(nullptr);
}

void Replication::apply_config() {
  engine::Config& cfg = engine_.config();
  engine::ReplicationState& r = engine_.repl();
  auto yes = [&](const char* name) { return cfg.get(name).value_or("yes") == "yes"; };
  auto num = [&](const char* name, int64_t dflt) {
    int64_t n = dflt;
    if (!parse_int64(cfg.get(name).value_or(""), &n)) n = dflt;
    return n;
  };
  r.read_only = yes("replica-read-only");
  r.serve_stale = yes("replica-serve-stale-data");
  r.min_replicas_to_write = num("min-replicas-to-write", 0);
  r.min_replicas_max_lag = num("min-replicas-max-lag", 10);
  r.resize_backlog(static_cast<size_t>(num("repl-backlog-size", 1024 * 1024)));
  refresh_good_replicas(engine_.clock().now_ms());
}

std::string Replication::replica_name(const Client& c) {
  std::string ip = c.replica ? c.replica->announced_ip : "";
  if (ip.empty() && c.conn) {
    ip = c.conn->peer_address();
    ip = ip.substr(0, ip.rfind(':'));
  }
  if (c.replica && c.replica->listening_port)
    return ip + ":" + std::to_string(c.replica->listening_port);
  return ip + ":<unknown-replica-port>";
}

void Replication::write_to(Client& c, std::string_view bytes) {
  if (!c.writer || !c.conn) return;
  c.writer->raw(bytes);
  c.conn->schedule_flush();
}

void Replication::drop(Client& c) {
  if (c.conn) c.conn->close_soon();
}

// ---------------------------------------------------------------- SYNC

void Replication::sync(Client& c, std::string_view replid, int64_t offset, bool psync) {
  engine::ReplicationState& r = engine_.repl();
  if (c.replica && c.replica->state != ReplicaSyncState::kNone) return;  // already one
  if (r.failover_state != engine::FailoverState::kNone) {
    c.writer->error("NOMASTERLINK Can't SYNC while failing over");
    return;
  }
  if (r.is_replica() && !r.link_up) {
    c.writer->error("NOMASTERLINK Can't SYNC while not connected with my master");
    return;
  }
  if (!c.replica) c.replica = std::make_shared<ReplicaLink>();
  ReplicaLink& l = *c.replica;
  l.pre_psync = !psync;
  const std::string name = replica_name(c);
  spdlog::info("Replica {} asks for synchronization", name);
  if (psync) {
    if (replid != "?") {
      std::string why = r.can_continue(replid, offset);
      if (why.empty()) {
        // +CONTINUE, then what it misses from the backlog, then the stream.
        std::string backlog = r.backlog_from(offset);
        write_to(c, l.capa_psync2 ? "+CONTINUE " + r.replid() + "\r\n" : "+CONTINUE\r\n");
        if (!backlog.empty()) write_to(c, backlog);
        l.state = ReplicaSyncState::kOnline;
        l.ack_ms = engine_.clock().now_ms();
        replicas_.push_back(&c);
        ++r.sync_partial_ok;
        spdlog::info(
            "Partial resynchronization request from {} accepted. Sending {} bytes of backlog "
            "starting from offset {}.",
            name, backlog.size(), offset);
        refresh_good_replicas(engine_.clock().now_ms());
        return;
      }
      if (why == "Replication ID mismatch") {
        spdlog::info(
            "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for "
            "'{}', my replication IDs are '{}' and '{}')",
            replid, r.replid(), r.replid2());
      } else {
        spdlog::info("Partial resynchronization not accepted: {}", why);
      }
      ++r.sync_partial_err;
    } else {
      spdlog::info("Full resync requested by replica {}", name);
    }
  }
  full_sync(c);
}

void Replication::full_sync(Client& c) {
  engine::ReplicationState& r = engine_.repl();
  ReplicaLink& l = *c.replica;
  ++r.sync_full;
  l.state = ReplicaSyncState::kWaitBgsave;
  l.sync_request_ms = engine_.clock().now_ms();
  replicas_.push_back(&c);
  if (!r.has_backlog()) {
    // A master's first replica starts a new history, as in Redis (a
    // replica keeps its master's ID).
    if (!r.is_replica()) {
      r.change_replid();
      r.clear_replid2();
    }
    engine_.start_repl_stream();
    spdlog::info("Replication backlog created, my new replication IDs are '{}' and '{}'",
                 r.replid(), r.replid2());
  }
  // A snapshot for replicas is being written and another replica already
  // waits for it: this one can share it, with that replica's stream so far.
  if (sync_child_ > 0) {
    for (Client* other : replicas_) {
      if (other == &c || !other->replica) continue;
      const ReplicaLink& o = *other->replica;
      if (o.state == ReplicaSyncState::kWaitBgsave && o.forked) {
        l.pending = o.pending;
        l.sync_offset = o.sync_offset;
        l.forked = true;
        if (!l.pre_psync)
          write_to(c, "+FULLRESYNC " + r.replid() + " " + std::to_string(l.sync_offset) + "\r\n");
        spdlog::info("Waiting for end of BGSAVE for SYNC");
        return;
      }
    }
  }
  if (engine_.snapshot_state().child > 0 || diskless_fd_ >= 0 || !diskless_receivers_.empty()) {
    spdlog::info(
        "Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC");
    return;
  }
  if (!fork_for_replicas_due(l.sync_request_ms)) {
    // The cron forks once the delay passed, for every replica come by then.
    spdlog::info("Delay next BGSAVE for diskless SYNC");
    return;
  }
  start_sync_snapshot();
}

void Replication::start_sync_snapshot() {
  engine::ReplicationState& r = engine_.repl();
  // The stream after the snapshot starts with a SELECT: the replica's
  // database is unknown until then.
  r.reset_stream_db();
  // Through the pipe when enabled and every waiting replica can take an
  // EOF-marked payload (capa eof); otherwise through the disk.
  bool to_socket = diskless_enabled();
  for (const Client* c : replicas_) {
    const ReplicaLink& l = *c->replica;
    if (l.state == ReplicaSyncState::kWaitBgsave && !l.forked && !l.capa_eof) to_socket = false;
  }
  if (to_socket && start_diskless_sync()) return;
  const int64_t offset = r.master_repl_offset();
  spdlog::info("Starting BGSAVE for SYNC with target: disk");
  std::string err = persist::start_background_save(engine_);
  if (!err.empty()) {
    spdlog::warn("BGSAVE for replication failed");
    for (Client* c : std::vector<Client*>(replicas_)) {
      if (c->replica->state == ReplicaSyncState::kWaitBgsave) {
        c->writer->error("ERR BGSAVE failed, replication can't continue");
        drop(*c);
      }
    }
    return;
  }
  sync_child_ = engine_.snapshot_state().child;
  for (Client* c : replicas_) {
    ReplicaLink& l = *c->replica;
    if (l.state != ReplicaSyncState::kWaitBgsave || l.forked) continue;
    l.sync_offset = offset;
    l.forked = true;
    l.pending.clear();
    if (!l.pre_psync)
      write_to(*c, "+FULLRESYNC " + r.replid() + " " + std::to_string(offset) + "\r\n");
  }
}

void Replication::on_snapshot_done(bool ok) {
  sync_child_ = -1;
  const std::string path = persist::snapshot_path(engine_);
  for (Client* c : std::vector<Client*>(replicas_)) {
    ReplicaLink& l = *c->replica;
    if (l.state != ReplicaSyncState::kWaitBgsave || !l.forked) continue;
    if (!ok) {
      spdlog::warn("SYNC failed. BGSAVE child returned an error");
      drop(*c);
      continue;
    }
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat sb {};
    if (fd < 0 || ::fstat(fd, &sb) != 0) {
      spdlog::warn("SYNC failed. Can't open/stat DB after BGSAVE: {}", std::strerror(errno));
      if (fd >= 0) ::close(fd);
      drop(*c);
      continue;
    }
    l.state = ReplicaSyncState::kSendBulk;
    write_to(*c, "$" + std::to_string(sb.st_size) + "\r\n");
    transfers_.push_back({c, fd, 0, static_cast<int64_t>(sb.st_size)});
  }
  pump_transfers();
}

void Replication::pump_transfers() {
  std::string chunk;
  for (size_t i = 0; i < transfers_.size();) {
    Transfer& t = transfers_[i];
    Client& c = *t.client;
    bool failed = false;
    while (t.sent < t.size && c.conn && c.conn->output_pending() < kTransferLowWater) {
      chunk.resize(std::min<size_t>(kTransferChunk, static_cast<size_t>(t.size - t.sent)));
      ssize_t n = ::pread(t.fd, chunk.data(), chunk.size(), t.sent);
      if (n <= 0) {
        spdlog::warn("Read error sending DB to replica: {}",
                     n == 0 ? "premature EOF" : std::strerror(errno));
        failed = true;
        break;
      }
      c.writer->raw(std::string_view(chunk.data(), static_cast<size_t>(n)));
      t.sent += n;
    }
    if (c.conn) c.conn->schedule_flush();
    if (!failed && t.sent < t.size) {
      ++i;
      continue;
    }
    ::close(t.fd);
    ReplicaLink& l = *c.replica;
    if (failed) {
      drop(c);
    } else {
      // The snapshot is out: the stream since its fork follows, then live.
      l.state = ReplicaSyncState::kOnline;
      l.ack_ms = engine_.clock().now_ms();
      if (!l.pending.empty()) write_to(c, l.pending);
      std::string().swap(l.pending);
      spdlog::info("Synchronization with replica {} succeeded", replica_name(c));
    }
    transfers_.erase(transfers_.begin() + static_cast<std::ptrdiff_t>(i));
  }
  if (!transfers_.empty()) arm_tick();
  refresh_good_replicas(engine_.clock().now_ms());
}

// ---------------------------------------------------------------- stream

void Replication::on_stream(std::string_view bytes) {
  const auto& hard = engine_.config().v().obuf_replica.hard;
  for (Client* c : replicas_) {
    ReplicaLink& l = *c->replica;
    if (l.state == ReplicaSyncState::kOnline) {
      write_to(*c, bytes);
      if (hard > 0 && c->conn && static_cast<int64_t>(c->conn->output_pending()) >= hard) {
        spdlog::warn(
            "Client id={} addr={} scheduled to be closed ASAP for overcoming of output buffer "
            "limits.",
            c->id, c->conn->peer_address());
        ++engine_.stats().client_outbuf_limit_disconnections;
        c->conn->drop_soon();
      }
    } else if (l.forked) {
      l.pending.append(bytes);
    }
  }
}

void Replication::ack(Client& c, int64_t offset) {
  ReplicaLink& l = *c.replica;
  if (l.state == ReplicaSyncState::kNone) return;
  if (offset > l.ack_offset) l.ack_offset = offset;
  l.ack_ms = engine_.clock().now_ms();
  if (l.online_on_ack) online_after_ack(c);
  if (l.state == ReplicaSyncState::kSendBulk && l.diskless) l.acked_in_transfer = true;
  refresh_good_replicas(l.ack_ms);
  if (!waiters_.empty()) serve_waiters(l.ack_ms);
}

void Replication::refresh_good_replicas(int64_t now_ms) {
  engine::ReplicationState& r = engine_.repl();
  int64_t good = 0;
  for (Client* c : replicas_) {
    const ReplicaLink& l = *c->replica;
    if (l.state == ReplicaSyncState::kOnline &&
        (now_ms - l.ack_ms) / 1000 <= r.min_replicas_max_lag)
      ++good;
  }
  r.good_replicas = good;
}

int64_t Replication::count_acks(int64_t offset) const {
  int64_t n = 0;
  for (Client* c : replicas_) {
    const ReplicaLink& l = *c->replica;
    if (l.state == ReplicaSyncState::kOnline && l.ack_offset >= offset) ++n;
  }
  return n;
}

void Replication::disconnect_replicas() {
  for (Client* c : std::vector<Client*>(replicas_)) drop(*c);
}

void Replication::on_client_closed(Client* c) {
  auto it = std::find(replicas_.begin(), replicas_.end(), c);
  if (it != replicas_.end()) {
    spdlog::info("Connection with replica {} lost.", replica_name(*c));
    replicas_.erase(it);
    if (replicas_.empty()) no_replicas_since_ms_ = engine_.clock().now_ms();
    refresh_good_replicas(engine_.clock().now_ms());
  }
  for (size_t i = 0; i < transfers_.size(); ++i) {
    if (transfers_[i].client == c) {
      ::close(transfers_[i].fd);
      transfers_.erase(transfers_.begin() + static_cast<std::ptrdiff_t>(i));
      break;
    }
  }
  diskless_receivers_.erase(std::remove(diskless_receivers_.begin(), diskless_receivers_.end(), c),
                            diskless_receivers_.end());
  waiters_.erase(std::remove_if(waiters_.begin(), waiters_.end(),
                                [c](const Waiter& w) { return w.client == c; }),
                 waiters_.end());
  // A snapshot child writing to disk only for replicas, none of which waits
  // for it any more, is wasted work: killed, as Redis does, unless save
  // points would make use of the file.
  if (sync_child_ > 0 && !sync_to_socket_ && engine_.config().get("save").value_or("").empty()) {
    const bool wanted = std::any_of(replicas_.begin(), replicas_.end(), [](const Client* r) {
      return r->replica->state == ReplicaSyncState::kWaitBgsave && r->replica->forked;
    });
    if (!wanted) {
      spdlog::warn("Background saving for replicas is no longer needed: killing its child");
      persist::kill_background_save(engine_);
    }
  }
}

// ---------------------------------------------------------------- WAIT

void Replication::wait(Client& c, int64_t numreplicas, int64_t timeout_ms,
                       protocol::ReplyWriter& out) {
  const int64_t acked = count_acks(c.woff);
  if (acked >= numreplicas || c.in_exec) {
    out.integer(acked);
    return;
  }
  const int64_t now = engine_.clock().now_ms();
  waiters_.push_back({&c, numreplicas, c.woff, timeout_ms > 0 ? now + timeout_ms : -1});
  c.blocked = true;
  // Ask the replicas where they are, once for all the WAITs of this turn.
  if (!getack_posted_) {
    getack_posted_ = true;
    asio::post(server_.io(), [this] {
      getack_posted_ = false;
      send_getack();
    });
  }
  arm_tick();
}

void Replication::send_getack() {
  if (replicas_.empty()) return;
  std::string cmd;
  protocol::append_command(cmd, std::initializer_list<std::string_view>{"REPLCONF", "GETACK", "*"});
  engine_.repl().feed(cmd);
}

void Replication::serve_waiters(int64_t now_ms) {
  for (size_t i = 0; i < waiters_.size();) {
    Waiter& w = waiters_[i];
    const int64_t acked = count_acks(w.offset);
    if (acked < w.numreplicas && (w.deadline_ms < 0 || now_ms < w.deadline_ms)) {
      ++i;
      continue;
    }
    Client& c = *w.client;
    waiters_.erase(waiters_.begin() + static_cast<std::ptrdiff_t>(i));
    c.blocked = false;
    if (c.writer) c.writer->integer(acked);
    if (c.conn) {
      c.conn->schedule_flush();
      c.conn->resume();
    }
  }
}

void Replication::arm_tick() {
  if (tick_armed_) return;
  tick_armed_ = true;
  // Snapshot transfers are fed every millisecond; WAIT timeouts are
  // checked every 10.
  const bool relaying = !transfers_.empty() || diskless_fd_ >= 0;
  tick_.expires_after(std::chrono::milliseconds(relaying ? 1 : 10));
  tick_.async_wait([this](const std::error_code& ec) {
    tick_armed_ = false;
    if (ec) return;
    if (!transfers_.empty()) pump_transfers();
    if (diskless_fd_ >= 0) pump_diskless();
    if (!waiters_.empty()) serve_waiters(engine_.clock().now_ms());
    if (!transfers_.empty() || diskless_fd_ >= 0 || !waiters_.empty()) arm_tick();
  });
}

// ---------------------------------------------------------------- cron

void Replication::cron() {
  engine::ReplicationState& r = engine_.repl();
  const int64_t now = engine_.clock().now_ms();
  const engine::SnapshotState& st = engine_.snapshot_state();
  update_failover(now);
  // The snapshot child for replicas was reaped by the snapshot cron.
  if (sync_child_ > 0 && st.child != sync_child_) {
    if (sync_to_socket_) {
      diskless_child_done(st.last_socket_save_ok);
    } else {
      on_snapshot_done(st.last_bgsave_ok);
    }
  }
  if (st.child <= 0 && fork_for_replicas_due(now)) start_sync_snapshot();
  if (link_) link_->cron(now);
  drop_timed_out_replicas(now);
  if (now - last_newline_ms_ >= 1000) {
    last_newline_ms_ = now;
    // Replicas waiting for their snapshot hear a newline each second, so
    // their link does not time out (Redis's keepalive before the payload).
    for (Client* c : replicas_) {
      if (c->replica->state == ReplicaSyncState::kWaitBgsave) write_to(*c, "\n");
    }
    refresh_good_replicas(now);
    // repl-backlog-ttl: a master alone long enough frees its backlog.
    int64_t ttl = 3600;
    parse_int64(engine_.config().get("repl-backlog-ttl").value_or("3600"), &ttl);
    if (!r.is_replica() && replicas_.empty() && r.has_backlog() && ttl > 0 &&
        now - no_replicas_since_ms_ > ttl * 1000) {
      r.change_replid();
      r.clear_replid2();
      engine_.stop_repl_stream();
      spdlog::info("Replication backlog freed after {} seconds without connected replicas.", ttl);
    }
  }
  // repl-ping-replica-period: a PING down the stream, so replicas can tell
  // a quiet master from a dead link. A replica passes on its master's.
  int64_t period = 10;
  parse_int64(engine_.config().get("repl-ping-replica-period").value_or("10"), &period);
  // The period counts from when the first replica came, not from start-up:
  // a replica that just attached sees its stream first, not a PING (also
  // one that attached before this first ran: a fresh server's first tick).
  if (replicas_.empty() || last_ping_ms_ == 0) last_ping_ms_ = now;
  // Not while writes are paused (CLIENT PAUSE, FAILOVER): the offset must
  // hold still for replicas to catch up with it.
  if (!r.is_replica() && !replicas_.empty() && now - last_ping_ms_ >= period * 1000 &&
      !engine_.client_pause().active()) {
    last_ping_ms_ = now;
    std::string ping;
    protocol::append_command(ping, std::initializer_list<std::string_view>{"PING"});
    r.feed(ping);
  }
}

}  // namespace kvd::server
