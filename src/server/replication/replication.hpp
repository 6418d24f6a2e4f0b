#pragma once

#include <asio.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kvd/engine/engine.hpp"
#include "kvd/engine/replication.hpp"

namespace kvd::server {

class Server;
class MasterLink;

// The server's side of replication: the links to our replicas (full sync
// through a snapshot written by the BGSAVE child, partial resync from the
// backlog, the live stream, ACKs, WAIT) and, on a replica, the link to our
// master (MasterLink, master_link.cpp). The pure state (IDs, offsets,
// backlog) is the engine's ReplicationState; this class does the I/O.
//
// Serving replicas (replica_side.cpp) works the same whatever our role, so
// a replica's replicas get its master's stream (chained replication).
class Replication final : public engine::ReplicationControl {
 public:
  explicit Replication(Server& server);
  ~Replication() override;

  // At start-up, after the dataset was loaded: the replicaof directive, and
  // the replication ID and offset of the loaded RDB file.
  void start(const std::string& rdb_replid, int64_t rdb_offset, int rdb_stream_db);
  // Once a cron tick: snapshots for waiting replicas, PINGs, ACKs, timeouts.
  void cron();
  // A client connection went away (a replica, a WAIT).
  void on_client_closed(engine::Client* c);
  // Re-reads the settings the engine caches.
  void apply_config();

  // engine::ReplicationControl
  void sync(engine::Client& c, std::string_view replid, int64_t offset, bool psync) override;
  std::string replicaof(const std::string& host, int64_t port, engine::Client* by) override;
  void ack(engine::Client& c, int64_t offset) override;
  void send_ack_to_master() override;
  void wait(engine::Client& c, int64_t numreplicas, int64_t timeout_ms,
            protocol::ReplyWriter& out) override;
  std::string failover(const engine::FailoverRequest& req) override;
  std::string take_over_from(engine::Client& c, std::string_view replid) override;

  // The link's PSYNC ... FAILOVER got its answer: the failover is done
  // (accepted) or aborted (refused), as Redis does (failover.cpp).
  void failover_answered(bool accepted);

  // master_link.cpp calls these.
  Server& server() { return server_; }
  engine::Engine& engine() { return engine_; }
  // The link finished a full sync: our replicas must sync again with us.
  void disconnect_replicas();
  // "ip:port" as Redis names a replica in its log.
  static std::string replica_name(const engine::Client& c);

 private:
  struct Waiter {
    engine::Client* client;
    int64_t numreplicas;
    int64_t offset;
    int64_t deadline_ms;  // -1: none
  };

  // The stream went forward: online replicas get the bytes, the ones
  // waiting for their snapshot keep them.
  void on_stream(std::string_view bytes);
  void full_sync(engine::Client& c);
  // Forks the snapshot child for the replicas waiting for one.
  void start_sync_snapshot();
  // The snapshot child finished: sends it to the replicas it was for.
  void on_snapshot_done(bool ok);
  // Sends the next chunks of snapshot files, as the sockets take them.
  void pump_transfers();
  void arm_tick();
  void serve_waiters(int64_t now_ms);
  int64_t count_acks(int64_t offset) const;
  void refresh_good_replicas(int64_t now_ms);
  void send_getack();
  void write_to(engine::Client& c, std::string_view bytes);
  // REPLICAOF's work, also FAILOVER's: `why` names who asked, for the log.
  std::string switch_master(const std::string& host, int64_t port, const std::string& why);
  // FAILOVER (failover.cpp): the cron checks whether a replica caught up.
  void update_failover(int64_t now_ms);
  void abort_failover(const std::string& why);
  void clear_failover();
  void drop(engine::Client& c);
  // Diskless full sync (diskless_sync.cpp).
  bool diskless_enabled() const;
  // Whether the replicas waiting for a snapshot should get one now
  // (repl-diskless-sync-delay, repl-diskless-sync-max-replicas).
  bool fork_for_replicas_due(int64_t now_ms) const;
  bool start_diskless_sync();
  // Relays what the child wrote to the pipe, as the replicas take it.
  void pump_diskless();
  void diskless_child_done(bool ok);
  // repl-timeout on the master's side: an online replica that stopped
  // ACKing, or one that stopped taking its diskless transfer, is dropped.
  void drop_timed_out_replicas(int64_t now_ms);
  void finish_diskless();
  // A diskless replica's first ACK after its payload: the stream starts.
  void online_after_ack(engine::Client& c);

  Server& server_;
  engine::Engine& engine_;
  std::vector<engine::Client*> replicas_;
  // The snapshot child started for replicas (-1: none).
  pid_t sync_child_ = -1;
  bool sync_to_socket_ = false;  // that child writes to diskless_fd_
  // A diskless sync: the pipe from its child (-1: closed), whether the
  // image ended, the child's outcome (-1: still running, 0 failed, 1 ok),
  // and the replicas it is for.
  int diskless_fd_ = -1;
  bool diskless_eof_ = false;
  int diskless_child_ok_ = -1;
  std::vector<engine::Client*> diskless_receivers_;
  // A file being sent to a replica.
  struct Transfer {
    engine::Client* client;
    int fd;
    int64_t sent;
    int64_t size;
  };
  std::vector<Transfer> transfers_;
  std::vector<Waiter> waiters_;
  bool getack_posted_ = false;
  asio::steady_timer tick_;
  bool tick_armed_ = false;
  int64_t last_ping_ms_ = 0;
  int64_t last_newline_ms_ = 0;
  int64_t no_replicas_since_ms_ = 0;
  // FAILOVER's target (empty host: any replica, until one caught up).
  std::string failover_host_;
  int64_t failover_port_ = 0;
  int64_t failover_end_ms_ = 0;  // 0: no timeout
  bool failover_force_ = false;
  // Handlers in flight hold the link too: stop() ends them.
  std::shared_ptr<MasterLink> link_;
};

}  // namespace kvd::server
