// Diskless full sync (repl-diskless-sync yes, Redis 7.0's default): the
// snapshot child writes "$EOF:<mark>\r\n", the RDB image and the mark into a
// pipe, and the main loop relays the pipe to every replica that waited for
// that snapshot, never faster than the slowest of them takes it (the child
// blocks on the full pipe meanwhile, so memory stays flat). Replicas that
// arrive later wait for the next child; repl-diskless-sync-delay and
// repl-diskless-sync-max-replicas decide when one starts, so that several
// replicas share one fork. A replica gets the live stream after its first
// ACK, once it has loaded the image, as Redis does.
#include <signal.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "kvd/common/strings.hpp"
#include "kvd/persist/snapshot.hpp"
#include "replication.hpp"

namespace kvd::server {

using engine::Client;
using engine::ReplicaLink;
using engine::ReplicaSyncState;

namespace {

// Read from the pipe while every receiver has less than this waiting.
constexpr size_t kRelayLowWater = 1024 * 1024;
constexpr size_t kRelayChunk = 64 * 1024;

}  // namespace

bool Replication::diskless_enabled() const {
  return engine_.config().get("repl-diskless-sync").value_or("yes") == "yes";
}

bool Replication::fork_for_replicas_due(int64_t now_ms) const {
  if (diskless_fd_ >= 0 || !diskless_receivers_.empty()) return false;  // still relaying
  int64_t count = 0;
  int64_t oldest_ms = now_ms;
  bool all_eof = true;
  for (const Client* c : replicas_) {
    const ReplicaLink& l = *c->replica;
    if (l.state != ReplicaSyncState::kWaitBgsave || l.forked) continue;
    ++count;
    all_eof = all_eof && l.capa_eof;
    oldest_ms = std::min(oldest_ms, l.sync_request_ms);
  }
  if (count == 0) return false;
  if (!diskless_enabled() || !all_eof) return true;  // through the disk: no delay
  int64_t delay_s = 5;
  int64_t max_replicas = 0;
  parse_int64(engine_.config().get("repl-diskless-sync-delay").value_or("5"), &delay_s);
  parse_int64(engine_.config().get("repl-diskless-sync-max-replicas").value_or("0"), &max_replicas);
  return now_ms - oldest_ms >= delay_s * 1000 || (max_replicas > 0 && count >= max_replicas);
}

bool Replication::start_diskless_sync() {
  engine::ReplicationState& r = engine_.repl();
  const int64_t offset = r.master_repl_offset();
  spdlog::info("Starting BGSAVE for SYNC with target: replicas sockets");
  int fd = -1;
  std::string err = persist::start_socket_save(engine_, &fd);
  if (!err.empty()) {
    spdlog::warn("BGSAVE for replication failed: {}", err);
    return false;
  }
  sync_child_ = engine_.snapshot_state().child;
  sync_to_socket_ = true;
  diskless_fd_ = fd;
  diskless_eof_ = false;
  diskless_child_ok_ = -1;
  for (Client* c : replicas_) {
    ReplicaLink& l = *c->replica;
    if (l.state != ReplicaSyncState::kWaitBgsave || l.forked) continue;
    l.sync_offset = offset;
    l.forked = true;
    l.acked_in_transfer = false;
    l.pending.clear();
    // The payload follows at once: the replica's state is "send_bulk".
    l.state = ReplicaSyncState::kSendBulk;
    l.progress_ms = engine_.clock().now_ms();
    l.diskless = true;
    write_to(*c, "+FULLRESYNC " + r.replid() + " " + std::to_string(offset) + "\r\n");
    diskless_receivers_.push_back(c);
  }
  arm_tick();
  return true;
}

void Replication::pump_diskless() {
  if (diskless_fd_ < 0) return;
  if (diskless_receivers_.empty()) {
    spdlog::warn("Diskless rdb transfer, last replica dropped, killing fork child.");
    if (sync_child_ > 0) ::kill(sync_child_, SIGUSR1);
    ::close(diskless_fd_);
    diskless_fd_ = -1;
    return;
  }
  const int64_t now = engine_.clock().now_ms();
  for (Client* c : diskless_receivers_)
    if (c->conn && c->conn->output_pending() < kRelayLowWater) c->replica->progress_ms = now;
  std::string chunk(kRelayChunk, '\0');
  for (;;) {
    // Flow control: the slowest replica sets the pace.
    bool room = true;
    for (const Client* c : diskless_receivers_)
      room = room && c->conn && c->conn->output_pending() < kRelayLowWater;
    if (!room) break;
    ssize_t n = ::read(diskless_fd_, chunk.data(), chunk.size());
    if (n > 0) {
      for (Client* c : diskless_receivers_)
        c->writer->raw(std::string_view(chunk.data(), static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
    if (n == 0) {
      spdlog::info("Diskless rdb transfer, done reading from pipe, {} replicas still up.",
                   diskless_receivers_.size());
      diskless_eof_ = true;
    } else {
      spdlog::warn("Diskless rdb transfer, read error sending DB to replicas: {}",
                   std::strerror(errno));
      if (sync_child_ > 0) ::kill(sync_child_, SIGUSR1);
    }
    ::close(diskless_fd_);
    diskless_fd_ = -1;
    break;
  }
  for (Client* c : diskless_receivers_)
    if (c->conn) c->conn->schedule_flush();
  if (diskless_fd_ < 0 && diskless_child_ok_ >= 0) finish_diskless();
}

void Replication::drop_timed_out_replicas(int64_t now_ms) {
  int64_t timeout_s = 60;
  parse_int64(engine_.config().get("repl-timeout").value_or("60"), &timeout_s);
  const int64_t limit = timeout_s * 1000;
  for (Client* c : replicas_) {
    const ReplicaLink& l = *c->replica;
    if (l.state == ReplicaSyncState::kOnline && !l.online_on_ack && !l.pre_psync && l.ack_ms > 0 &&
        now_ms - l.ack_ms > limit) {
      spdlog::warn("Disconnecting timedout replica (streaming sync): {}", replica_name(*c));
      drop(*c);
    }
  }
  // A replica that stops taking a diskless transfer would hold every other
  // one (and the child) back.
  for (Client* c : std::vector<Client*>(diskless_receivers_)) {
    if (now_ms - c->replica->progress_ms <= limit) continue;
    spdlog::warn("Disconnecting timedout replica (full sync): {}", replica_name(*c));
    diskless_receivers_.erase(std::find(diskless_receivers_.begin(), diskless_receivers_.end(), c));
    drop(*c);
  }
}

void Replication::diskless_child_done(bool ok) {
  sync_child_ = -1;
  sync_to_socket_ = false;
  diskless_child_ok_ = ok ? 1 : 0;
  // The pipe may still hold the end of the image: pump_diskless finishes.
  if (diskless_fd_ < 0) finish_diskless();
}

void Replication::finish_diskless() {
  const bool ok = diskless_eof_ && diskless_child_ok_ == 1;
  for (Client* c : std::vector<Client*>(diskless_receivers_)) {
    if (!ok) {
      spdlog::warn("SYNC failed. Diskless transfer to replica {} did not complete",
                   replica_name(*c));
      drop(*c);
      continue;
    }
    spdlog::info(
        "Streamed RDB transfer with replica {} succeeded (socket). Waiting for REPLCONF ACK from "
        "replica to enable streaming",
        replica_name(*c));
    if (c->replica->acked_in_transfer)
      online_after_ack(*c);
    else
      c->replica->online_on_ack = true;
  }
  diskless_receivers_.clear();
  diskless_eof_ = false;
  diskless_child_ok_ = -1;
}

void Replication::online_after_ack(Client& c) {
  ReplicaLink& l = *c.replica;
  l.online_on_ack = false;
  l.acked_in_transfer = false;
  l.state = ReplicaSyncState::kOnline;
  if (!l.pending.empty()) write_to(c, l.pending);
  std::string().swap(l.pending);
  spdlog::info("Synchronization with replica {} succeeded", replica_name(c));
}

}  // namespace kvd::server
