#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kvd/engine/propagation.hpp"

namespace kvd::protocol {
class ReplyWriter;
}  // namespace kvd::protocol

namespace kvd::engine {

struct Client;

// The last bytes of the replication stream, kept so that a replica whose
// link dropped can continue from where it was (PSYNC) instead of loading a
// whole snapshot again. A ring of `capacity` bytes: appending past it
// forgets the oldest.
class ReplBacklog {
 public:
  explicit ReplBacklog(size_t capacity) : buf_(capacity == 0 ? 1 : capacity) {}
  void append(std::string_view bytes);
  // Changes the capacity, keeping the newest bytes that fit.
  void resize(size_t capacity);
  size_t capacity() const { return buf_.size(); }
  size_t histlen() const { return histlen_; }
  // The last `n` bytes held (n <= histlen), oldest first.
  std::string tail(size_t n) const;

 private:
  std::vector<char> buf_;
  size_t head_ = 0;  // where the next byte goes
  size_t histlen_ = 0;
};

// Where a replica is in its sync, as its master sees it (INFO's state=).
enum class ReplicaSyncState {
  kNone,        // sent REPLCONF, not SYNC/PSYNC yet
  kWaitBgsave,  // waits for a snapshot to start (or to finish)
  kSendBulk,    // the snapshot file is being sent
  kOnline,      // receives the live stream
};

// A replica connected to us, kept on its Client (Client::replica).
struct ReplicaLink {
  ReplicaSyncState state = ReplicaSyncState::kNone;
  int64_t listening_port = 0;  // REPLCONF listening-port
  std::string announced_ip;    // REPLCONF ip-address
  bool capa_eof = false;
  bool capa_psync2 = false;
  int64_t ack_offset = 0;  // REPLCONF ACK <offset>
  int64_t ack_ms = 0;      // when the last ACK came (lag)
  // A diskless transfer: when the replica last took data (repl-timeout).
  int64_t progress_ms = 0;
  // Its snapshot goes through the child's pipe: INFO says wait_bgsave
  // until the child is done, as Redis does.
  bool diskless = false;
  // The stream since its snapshot was forked, held until the snapshot is
  // sent (the server layer owns the transfer).
  std::string pending;
  // The master offset its snapshot reflects (+FULLRESYNC's offset), once
  // that snapshot was forked.
  int64_t sync_offset = 0;
  bool forked = false;
  // Asked with the old SYNC: it gets the snapshot with no +FULLRESYNC line
  // before it (Redis's pre-PSYNC protocol; the test harness relies on it).
  bool pre_psync = false;
  // When it asked for a full sync (repl-diskless-sync-delay counts from it).
  int64_t sync_request_ms = 0;
  // Its diskless payload went out: it goes online with its first ACK (it
  // loads the image first), as Redis 7 does.
  bool online_on_ack = false;
  // Its ACK came while the master was still reaping the snapshot child: it
  // has loaded the whole image already, so it goes online as soon as the
  // transfer is finished here, not a second later at its next ACK.
  bool acked_in_transfer = false;
};

// FAILOVER's request, as the command parsed it.
struct FailoverRequest {
  bool abort = false;
  std::string host;  // TO host port (empty: any replica that caught up)
  int64_t port = 0;
  bool force = false;
  int64_t timeout_ms = 0;  // 0: wait for ever
};

// Where a coordinated failover (FAILOVER) is, as INFO master_failover_state
// names it.
enum class FailoverState { kNone, kWaitForSync, kInProgress };

// Replication state of this process that is pure data: the replication ID
// pair, the stream offsets, the backlog and the role. It is a sink of the
// one propagation stream (engine/propagation.hpp): on a master every unit
// of effects becomes RESP here (SELECT when the database changes,
// MULTI/EXEC around units of several), goes into the backlog and to the
// server layer's `on_stream`, which feeds the replicas. On a replica the
// stream is the master's bytes, applied and then fed here verbatim with
// feed(), so its own replicas and backlog get exactly what the master sent.
class ReplicationState final : public EffectSink {
 public:
  ReplicationState();

  // The ID pair and offsets, as INFO replication names them.
  const std::string& replid() const { return replid_; }
  const std::string& replid2() const { return replid2_; }
  int64_t master_repl_offset() const { return offset_; }
  int64_t second_repl_offset() const { return second_offset_; }

  // A new random ID (DEBUG CHANGE-REPL-ID, a fresh master); forgets replid2.
  void change_replid();
  void clear_replid2();
  // A replica promoted to master (REPLICAOF NO ONE): its old master's ID
  // becomes replid2, valid up to the current offset, so replicas of the same
  // old master can continue from us; then a new ID of our own.
  void shift_replid();
  // Set after a full sync (+FULLRESYNC <id> <offset>) or a load with the
  // ID and offset of an RDB file's aux fields.
  void set_id_and_offset(std::string replid, int64_t offset);
  // A master restarted from a snapshot that names its replication ID and
  // offset: that history stays valid as replid2 up to `offset`, so its
  // replicas continue with a partial resync; what the load itself fed (the
  // DELs of keys found expired) comes after it, as in Redis 7.0.
  void continue_after_restart(std::string old_replid, int64_t offset);
  // A full sync from a new master starts replacing the data: what we hold no
  // longer is our ID's history up to our offset. Until the load completes
  // (set_id_and_offset) the next PSYNC asks for a full sync, and the backlog
  // is emptied and refuses PSYNC so no replica of ours continues from it
  // (Redis discards its cached master and frees the backlog at this point).
  void discard_history();
  bool history_discarded() const { return history_discarded_; }
  // +CONTINUE with a new ID: the master was promoted. The old ID stays valid
  // as replid2 for the offsets we have.
  void adopt_new_master_replid(std::string replid);

  // PSYNC <replid> <offset>: can the stream from `offset` be served from
  // the backlog? Returns "" when yes, else why not (for the log).
  std::string can_continue(std::string_view replid, int64_t offset) const;
  // The bytes from `offset` to the end (after can_continue said yes).
  std::string backlog_from(int64_t offset) const;

  // The backlog exists from the first replica on; it is what makes the
  // offset move (as in Redis, master_repl_offset stays 0 without it).
  bool has_backlog() const { return backlog_ != nullptr; }
  void create_backlog();
  void free_backlog();
  void resize_backlog(size_t size);
  size_t backlog_size() const { return backlog_size_; }
  size_t backlog_histlen() const { return backlog_ ? backlog_->histlen() : 0; }
  int64_t backlog_first_byte_offset() const;

  // Appends stream bytes: to the backlog, to the offset, and to on_stream.
  void feed(std::string_view bytes);
  // The next unit starts with SELECT (a new snapshot was just forked: its
  // replicas' stream must not rely on an earlier SELECT).
  void reset_stream_db() { stream_db_ = -1; }
  int stream_db() const { return stream_db_; }

  // EffectSink: a master encodes and feeds the unit. A replica ignores it;
  // its stream comes from its master.
  void consume(const std::vector<Effect>& unit) override;
  uint8_t target() const override { return kToReplicas; }

  // Who receives the stream (the server layer: online replicas, and the
  // buffers of replicas waiting for their snapshot).
  std::function<void(std::string_view)> on_stream;

  // Role. A replica has a master configured, whether or not linked.
  bool is_replica() const { return role_replica; }
  void set_master(std::string host, int64_t port) {
    master_host = std::move(host);
    master_port = port;
    role_replica = !master_host.empty();
  }
  std::string master_host;
  int64_t master_port = 0;
  // Read by the databases through a pointer (lazy expiry on a replica).
  bool role_replica = false;
  // The link to the master is up and synced (master_link_status:up).
  bool link_up = false;
  bool sync_in_progress = false;
  // Before the transfer: the link is connecting, or in the handshake
  // (ROLE says "connecting" / "handshake" for these, as Redis).
  bool link_connecting = false;
  bool link_handshake = false;
  int64_t master_last_io_ms = 0;
  int64_t link_down_since_ms = 0;  // 0: never linked
  // The snapshot being received (-1 size: an EOF-marked transfer).
  int64_t transfer_size = -1;
  int64_t transfer_read = 0;
  // The master link is applying its stream now (the current command is the
  // master's): its keys are not expired by the replica.
  bool applying_master = false;

  // Cached settings read on hot paths (the server refreshes them when the
  // configuration changes).
  bool read_only = true;
  bool serve_stale = true;
  int64_t min_replicas_to_write = 0;
  int64_t min_replicas_max_lag = 10;
  // Replicas whose last ACK is no older than min-replicas-max-lag (the
  // server counts them every second and on each ACK).
  int64_t good_replicas = 0;

  FailoverState failover_state = FailoverState::kNone;
  // INFO stats.
  uint64_t sync_full = 0;
  uint64_t sync_partial_ok = 0;
  uint64_t sync_partial_err = 0;

 private:
  std::string replid_;
  std::string replid2_;
  int64_t offset_ = 0;
  int64_t second_offset_ = -1;
  size_t backlog_size_ = 1024 * 1024;
  std::unique_ptr<ReplBacklog> backlog_;
  bool history_discarded_ = false;
  int stream_db_ = -1;
  std::string scratch_;
};

// 40 random hex digits (a replication ID, a run ID).
std::string random_hex_id();

// What replication commands ask of the server layer, which owns the links.
class ReplicationControl {
 public:
  virtual ~ReplicationControl() = default;
  // SYNC (psync false) or PSYNC <replid> <offset> from `c`: replies
  // +FULLRESYNC or +CONTINUE (or an error) itself and starts serving it.
  virtual void sync(Client& c, std::string_view replid, int64_t offset, bool psync) = 0;
  // REPLICAOF host port (host empty: NO ONE). "" or an error reply.
  virtual std::string replicaof(const std::string& host, int64_t port, Client* by) = 0;
  // REPLCONF ACK from a replica.
  virtual void ack(Client& c, int64_t offset) = 0;
  // REPLCONF GETACK from our master: answer with our offset now.
  virtual void send_ack_to_master() = 0;
  // WAIT numreplicas timeout: replies now or blocks `c` until enough
  // replicas acknowledged the current offset or the timeout passed.
  virtual void wait(Client& c, int64_t numreplicas, int64_t timeout_ms,
                    protocol::ReplyWriter& out) = 0;
  // FAILOVER [TO host port [FORCE]] [TIMEOUT ms] | ABORT. "" or an error reply.
  virtual std::string failover(const FailoverRequest& req) = 0;
  // PSYNC <replid> <offset> FAILOVER from our master: we become the master
  // if the ID is our own. "" (then the PSYNC goes on) or an error reply.
  virtual std::string take_over_from(Client& c, std::string_view replid) = 0;
};

}  // namespace kvd::engine
