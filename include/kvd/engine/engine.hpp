#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kvd/engine/access_tracking.hpp"
#include "kvd/engine/client.hpp"
#include "kvd/engine/client_eviction.hpp"
#include "kvd/engine/client_pause.hpp"
#include "kvd/engine/clock.hpp"
#include "kvd/engine/command.hpp"
#include "kvd/engine/config.hpp"
#include "kvd/engine/database.hpp"
#include "kvd/engine/eviction.hpp"
#include "kvd/engine/latency_monitor.hpp"
#include "kvd/engine/lazy_freer.hpp"
#include "kvd/engine/memory.hpp"
#include "kvd/engine/migrate_link.hpp"
#include "kvd/engine/propagation.hpp"
#include "kvd/engine/replication.hpp"
#include "kvd/engine/slowlog.hpp"
#include "kvd/engine/snapshot_state.hpp"
#include "kvd/engine/stall_watch.hpp"
#include "kvd/protocol/key_peek.hpp"

namespace kvd::engine {

class Acl;  // engine/acl.hpp
struct AclUser;
class BlockingRegistry;  // engine/blocking.hpp
class ScriptRuntime;     // engine/scripting.hpp
class FunctionStore;     // engine/functions.hpp
class PubSub;
class Tracking;  // engine/tracking.hpp
struct WatchRegistry;

// Server-wide counters (INFO stats).
struct Stats {
  uint64_t total_commands = 0;
  uint64_t total_connections = 0;
  uint64_t rejected_connections = 0;
  uint64_t net_input_bytes = 0;
  uint64_t net_output_bytes = 0;
  uint64_t command_usec = 0;  // time spent running commands (eventloop_duration_cmd_sum)
  uint64_t keyspace_hits = 0;
  uint64_t keyspace_misses = 0;
  uint64_t total_error_replies = 0;
  uint64_t unexpected_error_replies = 0;
  uint64_t client_qbuf_limit_disconnections = 0;
  uint64_t client_outbuf_limit_disconnections = 0;
  uint64_t evicted_keys = 0;
  // Socket reads and writes on the main loop (the I/O threads count theirs).
  uint64_t total_reads_processed = 0;
  uint64_t total_writes_processed = 0;
  // used_memory once the server was set up, before any data (INFO
  // used_memory_startup). Not a statistic: CONFIG RESETSTAT keeps it.
  uint64_t startup_memory = 0;
  // errorstats: replies per error code. Past kMaxErrorCodes codes it is
  // emptied and stops taking new ones (a script making up error codes must
  // not grow it without bound) until CONFIG RESETSTAT, as in Redis 7.2.
  std::map<std::string, uint64_t, std::less<>> error_codes;
  bool errorstats_enabled = true;
  static constexpr size_t kMaxErrorCodes = 128;
  uint64_t peak_memory = 0;  // highest used_memory seen by cron/INFO
  // Changes since the last successful save (rdb_changes_since_last_save);
  // persist/snapshot.cpp takes off what a save covered.
  uint64_t dirty = 0;
};

// A rate sampled periodically (INFO's instantaneous_* fields): the average of
// the last kSamples per-second rates, as Redis computes them.
class RateSampler {
 public:
  static constexpr int kSamples = 16;
  // Records `total` (a monotonically growing counter) observed at `now_us`.
  void sample(int64_t now_us, uint64_t total);
  // Average per-second rate over the recorded samples.
  double per_second() const;

 private:
  int64_t last_us_ = -1;
  uint64_t last_total_ = 0;
  double samples_[kSamples] = {};
  int next_ = 0;
  int count_ = 0;
};

// A service of a higher layer that the engine owns so that commands reach it
// through the engine they are given (the AOF: persist/aof.hpp).
class Extension {
 public:
  virtual ~Extension() = default;
};

// What the engine asks of the process around it (the server layer).
class ServerHooks {
 public:
  virtual ~ServerHooks() = default;
  // SHUTDOWN's options; SIGTERM asks with none. SAVE saves even without save
  // points, NOSAVE never saves, FORCE stops even when the save failed.
  struct Shutdown {
    bool save = false;
    bool nosave = false;
    bool now = false;
    bool force = false;
  };
  // The one way the server stops (the SHUTDOWN command and SIGTERM): saves
  // as `how` says, then stops. Returns the error to reply when it will not
  // stop (the save failed without FORCE), empty when it stops.
  virtual std::string request_shutdown(const Shutdown& how) = 0;
  // Fields for INFO server / clients that only the server knows.
  struct Info {
    int64_t tcp_port = 0;
    std::string config_file;
    std::string executable;
    std::string supervised = "no";  // INFO process_supervised: no, upstart or systemd
    int64_t uptime_seconds = 0;
    size_t connected_clients = 0;
    size_t max_input_buffer = 0;
    size_t max_output_buffer = 0;
    // Query and reply buffers of all clients (INFO mem_clients_normal).
    uint64_t clients_memory = 0;
    std::string multiplexing_api;
    int64_t io_threads_active = 0;
    uint64_t io_threaded_reads_processed = 0;
    uint64_t io_threaded_writes_processed = 0;
    // The main loop's wake-ups that did work, and how long that work took.
    uint64_t eventloop_cycles = 0;
    uint64_t eventloop_duration_sum = 0;  // microseconds
    int64_t instantaneous_eventloop_cycles_per_sec = 0;
    int64_t instantaneous_eventloop_duration_usec = 0;
    size_t migrate_cached_sockets = 0;
    // kvd: the listeners' accept queues (TCP_INFO), summed over listeners.
    uint64_t accept_queue_length = 0;
    uint64_t accept_queue_backlog = 0;
    uint64_t accept_queue_drops = 0;
    // kvd: how sockets are served ("epoll" or "io_uring"), and the loop's
    // rounds; with io_uring, the system calls the ring made (io_uring_enter)
    // and the ones it saved (a read per receive, a write per send, an
    // epoll_wait per round, less the ring's own).
    std::string io_transport;
    uint64_t io_rounds = 0;
    uint64_t io_uring_enters = 0;
    uint64_t io_syscalls_saved = 0;
  };
  // Not const: the server folds counters kept by other threads into Stats first.
  virtual Info info() = 0;
  // MIGRATE's cached link to host:port, opened within `timeout_ms` when there
  // is none; nullptr when it cannot connect. The link stays cached (Redis
  // keeps up to 64, each for 10 s after its last use).
  virtual MigrateLink* migrate_link(const std::string& host, const std::string& port,
                                    int64_t timeout_ms) {
    (void)host, (void)port, (void)timeout_ms;
    return nullptr;
  }
  // Drops the cached link after an error, so the next MIGRATE reconnects.
  virtual void close_migrate_link(const std::string& host, const std::string& port) {
    (void)host, (void)port;
  }
  // A warning for the server's log (the engine has no log of its own).
  virtual void log_warning(std::string_view) {}
  // Called between the steps of a script that passed busy-reply-threshold:
  // run the ready network events (other clients' commands are refused with
  // BUSY by the engine) and return.
  virtual void process_events_while_busy() {}
  // Called in a child just forked to write a snapshot or rewrite the AOF
  // (its oom_score_adj class is the children's, as in Redis). `title` names
  // the child's job in its process title ("kvd-rdb-bgsave").
  virtual void in_forked_child(const char* /*title*/) {}
};

// The in-process store and command executor. Pure: no sockets, time from the
// injected Clock. One thread calls into it (the reactor thread).
class Engine {
 public:
  // `commands` is the table dispatch runs from (commands/registry.hpp builds
  // kvd's; a test may build a smaller one).
  Engine(Clock& clock, Config& config, CommandTable commands);
  ~Engine();

  // Runs one command (args[0] = name) for the client and writes its reply.
  // `follows_previous` says the connection runs this command straight after
  // the one it executed last, from the same read, with nothing in between: the
  // end time of that command is then this one's start, which saves a clock
  // read per pipelined command (the two are a parse apart).
  void execute(Client& client, Args args, protocol::ReplyWriter& out,
               bool follows_previous = false);

  // Asks the CPU for the memory of these commands' keys in the client's
  // database ahead of running them, and for big collections the index slot
  // and node of the member each names: a pipeline's cache misses then overlap
  // instead of coming one command at a time. Only a hint; n <= 64.
  void prefetch(const Client& client, const protocol::PeekedCommand* cmds, size_t n);

  Database& db(int index) { return *dbs_[index]; }
  int db_count() const { return static_cast<int>(dbs_.size()); }
  const CommandTable& commands() const { return commands_; }
  Clock& clock() { return clock_; }
  Config& config() { return config_; }
  Stats& stats() { return stats_; }
  LazyFreer& freer() { return freer_; }
  void set_hooks(ServerHooks* hooks) { hooks_ = hooks; }
  // What Entry::lru holds (LRU time or LFU counter), from maxmemory-policy.
  const AccessTracking& access_tracking() const { return access_; }
  // Used memory as maxmemory sees it; a test may measure differently.
  MemoryGauge& memory_gauge() { return *gauge_; }
  void set_memory_gauge(std::unique_ptr<MemoryGauge> gauge) { gauge_ = std::move(gauge); }
  Evictor& evictor() { return evictor_; }
  // maxmemory-clients (engine/client_eviction.hpp).
  ClientEviction& client_eviction() { return client_eviction_; }
  ServerHooks* hooks() { return hooks_; }

  // ACL users and the permission check (engine/acl.hpp; the engine's
  // side is engine/acl/acl_engine.cpp).
  Acl& acl() { return *acl_; }
  const Acl& acl() const { return *acl_; }
  // The client has not authenticated and the default user needs a password
  // (Redis's authRequired): only AUTH, HELLO and friends may run.
  bool auth_required(const Client& c) const;
  // Refuses (NOPERM, logged in ACL LOG) a command the client's user may not
  // run; EXEC's commands get the "rules changed" text. True when refused.
  bool reject_by_acl(Client& c, const CommandSpec& spec, Args args, protocol::ReplyWriter& out);
  // The error a script's redis.call gets for a command its caller's user
  // may not run ("" when allowed); logged with context "lua".
  std::string acl_script_refusal(Client& script_client, const CommandSpec& spec, Args args);
  // Logs a failed AUTH or HELLO AUTH (`command` as the client typed it).
  void log_auth_failure(const Client& c, std::string_view command, std::string_view username);
  // ACL SETUSER's and ACL LOAD's effects on connected clients: the user's
  // clients whose subscriptions the user's new channel rules refuse are
  // disconnected.
  // Called before `stored` takes the `staged` rules.
  void drop_clients_of_lost_channels(const AclUser& stored, const AclUser& staged);
  // ACL DELUSER and ACL LOAD: clients of a user that goes away are
  // disconnected (after this command's reply, for the client running it).
  void drop_clients_of(const AclUser& user, const Client* current);
  // Users from the config file's `user` lines and from aclfile, once the
  // config is read: "" or why the server must not start.
  std::string load_acl_at_startup();
  // ACL LOAD: every user from aclfile, or none when the file has an error
  // ("" or Redis's error text).
  std::string load_acl_file();
  // aclfile, a relative name resolved in `dir`; "" when unset.
  std::string acl_file_path() const;

  // Client registry, for CLIENT LIST/KILL/INFO and INFO clients.
  void add_client(Client* c);
  void remove_client(Client* c);
  const std::map<uint64_t, Client*>& clients() const { return clients_; }
  uint64_t next_client_id() { return ++last_client_id_; }

  // Keyspace change hooks. Every command that modifies a key calls
  // signal_modified_key (WATCH), notify_keyspace_event (notify-keyspace-events)
  // and, when the key may now serve a blocked client, signal_key_ready.
  void signal_modified_key(int db, std::string_view key);
  // `type` is one of the notification class letters ('g' generic, '$' string,
  // 'l' list, 's' set, 'h' hash, 'z' zset, 'x' expired, 'e' evicted, 't' stream,
  // 'n' new key, 'm' key miss).
  void notify_keyspace_event(char type, std::string_view event, std::string_view key, int db);
  void signal_key_ready(int db, std::string_view key);
  // Runs after each command: serves clients blocked on keys that became ready.
  void after_command(Client& c);
  // A client went away: drop its blocking, WATCH and subscription state.
  void forget_client(Client& c);
  // WATCH (src/engine/watch.cpp).
  void watch_key(Client& c, int db, std::string_view key);
  void unwatch_all(Client& c);
  // FLUSHDB/FLUSHALL/SWAPDB: dirties watchers of keys that exist in `emptied`
  // or in `replaced_with` (-1: none), as Redis's touchAllWatchedKeysInDb.
  void touch_watched_keys_in_db(int emptied, int replaced_with);
  // Discards the MULTI state and unwatches everything (RESET, disconnect).
  void forget_watch(Client& c);
  // The dispatcher's MULTI step (engine/transaction.cpp): queues
  // the command and returns true while the client is in MULTI.
  bool queue_in_multi(Client& c, const CommandSpec& spec, uint32_t flags, Args args,
                      protocol::ReplyWriter& out);
  // Pub/Sub (engine/pubsub.cpp).
  PubSub& pubsub() { return *pubsub_; }
  void forget_pubsub(Client& c);
  // CLIENT TRACKING (engine/tracking.cpp).
  Tracking& tracking() { return *tracking_; }
  // MONITOR (engine/monitor.cpp).
  void add_monitor(Client& c);
  void forget_monitor(Client& c);
  // `spec`, when given, says which arguments are secrets to redact.
  void feed_monitors(const Client& c, Args args, const CommandSpec* spec = nullptr);
  bool has_monitors() const { return !monitors_.empty(); }
  // The Lua interpreter of EVAL and SCRIPT, created on first use.
  ScriptRuntime& scripts();
  // A script passed busy-reply-threshold and the server serves others.
  bool script_timed_out() const;
  // Null until a script was first loaded (INFO reads it without creating it).
  const ScriptRuntime* scripts_if_created() const { return scripts_.get(); }
  // FUNCTION's libraries and their interpreter, created on first use.
  FunctionStore& functions();
  const FunctionStore* functions_if_created() const { return functions_.get(); }
  // The interpreter whose script (EVAL or FCALL) runs now; null when none.
  ScriptRuntime* running_script();
  // Adds a command to the slow log (engine/slowlog.cpp).
  // `spec` says which arguments to redact (null: none).
  void log_slow_command(const Client& c, const CommandSpec* spec, Args args, int64_t end_us,
                        int64_t duration_us);
  bool slow_enough(const CommandSpec& spec, int64_t duration_us) const {
    const int64_t slower_than = config_.v().slowlog_log_slower_than;
    return slower_than >= 0 && duration_us >= slower_than && !(spec.flags & kSkipSlowlog);
  }
  SlowLog& slowlog() { return slowlog_; }
  // An error reply went to a client: total_error_replies and errorstats.
  void count_error(std::string_view code);
  // Latency monitor (engine/latency_monitor.hpp). note_latency adds a sample
  // when latency-monitor-threshold is set and `ms` reached it.
  LatencyMonitor& latency() { return latency_; }
  // The loop-stall watchdog's record of the current round (the server ends
  // rounds and sets the threshold).
  StallWatch& stall_watch() { return stall_watch_; }
  bool latency_monitor_on() const { return config_.v().latency_monitor_threshold > 0; }
  void note_latency(std::string_view event, int64_t ms) {
    const int64_t threshold = config_.v().latency_monitor_threshold;
    if (threshold > 0 && ms >= threshold) latency_.add(event, ms, clock_.now_ms() / 1000);
  }
  // Records a command's duration in its latency histogram when
  // latency-tracking is on.
  void track_latency(const CommandSpec& spec, int64_t duration_us) {
    if (config_.v().latency_tracking) spec.stats.histogram.record(duration_us * 1000);
  }
  // RESP2 subscribed clients may run only (un)subscribe, PING, QUIT, RESET:
  // rejects anything else and returns true.
  bool reject_in_pubsub_context(Client& c, const CommandSpec& spec, protocol::ReplyWriter& out);
  // CLIENT PAUSE (engine/client_pause.cpp).
  ClientPause& client_pause() { return pause_; }
  void pause_clients(int64_t end_ms, ClientPause::Mode mode,
                     ClientPause::Purpose p = ClientPause::Purpose::kCommand) {
    pause_.pause(end_ms, mode, p);
  }
  // Ends the pause and runs the postponed commands (after the current one).
  void unpause_clients(ClientPause::Purpose p = ClientPause::Purpose::kCommand);
  // Ends the pauses whose deadline passed (the cron, the blocked-client timer).
  void expire_pause(int64_t now_ms);
  // Earliest deadline (ms) of a blocked client, or -1; the server arms a timer.
  int64_t next_block_deadline() const;
  // Replies to blocked clients whose timeout passed.
  void expire_blocked_clients(int64_t now_ms);
  // Clients blocked on keys (engine/blocking.hpp); created on first use.
  BlockingRegistry& blocking();

  // Periodic work called `hz` times a second by the server: active expiry and
  // incremental rehashing, each within a small time budget.
  void cron();
  bool active_expire_enabled = true;
  // DEBUG PAUSE-CRON: the server skips its periodic work while set.
  bool cron_paused = false;
  // DEBUG SET-DISABLE-DENY-SCRIPTS: scripts may call commands flagged
  // noscript (tests use it to let a script watch CLIENT LIST).
  bool deny_scripts_disabled = false;
  // DEBUG SET-SKIP-CHECKSUM-VALIDATION: RESTORE accepts a payload whose CRC
  // does not match (the version is still checked).
  bool skip_checksum_validation = false;
  // DEBUG QUICKLIST-PACKED-THRESHOLD: kept for DEBUG's validation and reply
  // only; kvd's list nodes hold an element of any size without a separate
  // "plain" node kind, so nothing else reads it.
  uint64_t list_packed_threshold = uint64_t{1} << 30;

  // RDB snapshots (persist/snapshot.hpp): state for INFO and LASTSAVE. The
  // server runs the save points and reaps the child from its own cron; an
  // engine in a unit test never forks.
  SnapshotState& snapshot_state() { return snapshot_state_; }
  // The stream of write effects the AOF (and later replicas) consume.
  Propagation& propagation() { return propagation_; }
  // The append-only file (persist/aof.hpp), attached by whoever starts the
  // engine with persistence; null in unit tests that never ask for it.
  std::unique_ptr<Extension>& aof_slot() { return aof_; }
  // While set (the AOF could not write: "MISCONF ..."), write commands are
  // refused with this error; reads go on. Persist sets and clears it.
  void set_write_denied(std::string reason) { write_denied_ = std::move(reason); }
  // Replaying the AOF: keys do not expire, and expiry commands with a past
  // deadline set it instead of deleting (as Redis while loading).
  void set_loading(bool on) { loading_ = on; }
  // A replica sets deadlines in the past too, as its master's commands say
  // (its master sends the DEL when the key expires there).
  bool loading() const { return loading_ || repl_.is_replica(); }
  // A dataset is being loaded (INFO's loading field).
  bool loading_dataset() const { return loading_; }
  // A replica loads its master's snapshot into spare databases while the
  // old data keeps being served (repl-diskless-load swapdb, same history):
  // commands flagged no-async-loading get LOADING meanwhile.
  void set_async_loading(bool on) { async_loading_ = on; }
  bool async_loading() const { return async_loading_; }
  // Databases like the live ones, holding nothing and seen by no command,
  // for a load that replaces the live ones when it is complete.
  std::vector<std::unique_ptr<Database>> make_spare_dbs();
  // Puts the spare databases' data in the live ones (watchers of either
  // side's keys see them touched); `spare` then holds the old data.
  void swap_in_dbs(std::vector<std::unique_ptr<Database>>& spare);
  const std::string& write_denied() const { return write_denied_; }

  // Time the engine started (INFO uptime, LASTSAVE).
  int64_t start_ms() const { return start_ms_; }
  uint64_t expired_keys() const;
  void reset_stats();
  // Seconds clock for LRU idle times.
  uint32_t lru_clock() const { return static_cast<uint32_t>(clock_.now_ms() / 1000); }

  // INFO: random 40-hex-digit identities of this process (run_id, master_replid).
  const std::string& run_id() const { return run_id_; }
  const std::string& replication_id() const { return repl_.replid(); }
  // Replication IDs, offsets, backlog and role (engine/replication.hpp).
  ReplicationState& repl() { return repl_; }
  const ReplicationState& repl() const { return repl_; }
  // Creates the backlog and attaches it to the propagation stream (the
  // first replica); frees and detaches it (repl-backlog-ttl).
  void start_repl_stream();
  void stop_repl_stream();
  // What the server layer offers replication commands (null in unit tests).
  void set_replication_control(ReplicationControl* rc) { repl_control_ = rc; }
  ReplicationControl* replication_control() { return repl_control_; }
  // DEBUG CHANGE-REPL-ID: a new random replication ID.
  void change_replication_id();
  // INFO stats: rates sampled by cron() every 100ms.
  int64_t instantaneous_ops_per_sec() const;
  double instantaneous_input_kbps() const;
  double instantaneous_output_kbps() const;
  // Samples the rates now if 100ms passed since the last sample (cron() calls it).
  void sample_rates();

 private:
  // A replica's connection sent a command that would answer: logged, and
  // the connection closed (its stream must hold nothing else).
  void refuse_replica_command(Client& c, Args args);
  // touch_watched_keys_in_db with any database as the replacement.
  void touch_watched_keys_against(int emptied, Database* with);
  // A database wired to this engine's clock, freer and flags.
  std::unique_ptr<Database> make_db(int index);
  void reject(Client& c, protocol::ReplyWriter& out, const CommandSpec* spec, std::string msg);
  void dispatch(Client& c, Args args, protocol::ReplyWriter& out, bool follows_previous);
  // maxmemory: evicts what the policy allows first; then, if memory is still
  // above the limit, commands that may grow it (and EXEC of a transaction
  // holding one) are refused.
  // `flags` are the command's, as its arguments make them (a script's
  // flags decide whether EVAL or FCALL may grow memory).
  bool reject_oom(Client& c, const CommandSpec& spec, uint32_t flags, protocol::ReplyWriter& out);
  // CLIENT PAUSE is in force and this command (with these flags) must wait:
  // records it, blocks the client and returns true.
  bool postpone_if_paused(Client& c, const CommandSpec& spec, uint32_t flags, Args args);
  void release_postponed();
  // release_postponed now, or after the running command (CLIENT UNPAUSE).
  void release_postponed_soon();
  // READONLY and MASTERDOWN on a replica, NOREPLICAS on a master with
  // min-replicas-to-write: true when the command was refused.
  bool reject_for_replication(Client& c, const CommandSpec& spec, uint32_t flags,
                              protocol::ReplyWriter& out);
  // A slow script is running: only allow-busy commands may run meanwhile.
  bool reject_busy(Client& c, const CommandSpec& spec, protocol::ReplyWriter& out);
  // Creates the ACL registry and ties it to its config parameters.
  void configure_acl();
  // Re-reads maxmemory-policy and the LFU settings into access_.
  void apply_access_config();
  // Key expired (lazily or actively) in database `db`: WATCH + "expired" event.
  void on_key_expired(int db, std::string_view key);

  Clock& clock_;
  Config& config_;
  CommandTable commands_;
  std::unique_ptr<Acl> acl_;
  std::vector<std::unique_ptr<Database>> dbs_;
  LazyFreer freer_;
  AccessTracking access_;
  std::unique_ptr<MemoryGauge> gauge_ = std::make_unique<MemoryGauge>();
  Evictor evictor_{*this};
  ClientEviction client_eviction_{*this};
  bool eviction_pending_ = false;  // maxmemory changed: evict after this command
  ClientPause pause_;
  bool release_postponed_ = false;  // CLIENT UNPAUSE ran: serve the postponed after it
  int running_command_ = 0;         // depth of dispatch (nested for EXEC and scripts)
  Stats stats_;
  ServerHooks* hooks_ = nullptr;
  std::map<uint64_t, Client*> clients_;
  std::unique_ptr<PubSub> pubsub_;
  std::unique_ptr<Tracking> tracking_;
  std::unique_ptr<WatchRegistry> watches_;
  uint64_t last_client_id_ = 0;
  int64_t start_ms_;
  // End time of the last command that ran to completion (-1: none usable).
  int64_t last_end_us_ = -1;
  uint64_t expired_offset_ = 0;
  int cron_db_ = 0;
  std::string run_id_;
  ReplicationState repl_;
  ReplicationControl* repl_control_ = nullptr;
  RateSampler ops_rate_;
  RateSampler input_rate_;
  RateSampler output_rate_;
  int64_t last_sample_us_ = INT64_MIN / 2;
  std::shared_ptr<BlockingRegistry> blocking_;
  std::vector<Client*> monitors_;
  SlowLog slowlog_;
  LatencyMonitor latency_;
  StallWatch stall_watch_;
  std::unique_ptr<ScriptRuntime> scripts_;
  std::unique_ptr<FunctionStore> functions_;
  SnapshotState snapshot_state_;
  Propagation propagation_;
  std::unique_ptr<Extension> aof_;
  std::string write_denied_;
  bool loading_ = false;
  bool async_loading_ = false;
};

}  // namespace kvd::engine
