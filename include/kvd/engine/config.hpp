#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kvd::engine {

// Limits for one client class (client-output-buffer-limit normal|replica|pubsub).
struct OutputLimit {
  int64_t hard = 0;
  int64_t soft = 0;
  int64_t soft_seconds = 0;
};

// The typed values every layer reads on its hot paths. Names match redis.conf.
struct ConfigValues {
  // Redis's built-in default: every interface, IPv6 optional. Protected mode
  // (on by default) refuses non-loopback clients while no password is set;
  // conf/kvd.conf, like redis.conf, binds the loopback addresses only.
  std::vector<std::string> bind{"*", "-::*"};
  int64_t port = 6379;
  int64_t tcp_backlog = 511;
  int64_t maxclients = 10000;
  int64_t timeout = 0;
  int64_t tcp_keepalive = 300;
  std::string unixsocket;
  int64_t unixsocketperm = 0;
  bool daemonize = false;
  std::string pidfile;
  std::string logfile;
  std::string loglevel = "notice";
  std::string requirepass;
  bool protected_mode = true;
  int64_t proto_max_bulk_len = 512LL * 1024 * 1024;
  int64_t client_query_buffer_limit = 1024LL * 1024 * 1024;
  OutputLimit obuf_normal{0, 0, 0};
  OutputLimit obuf_replica{256LL * 1024 * 1024, 64LL * 1024 * 1024, 60};
  OutputLimit obuf_pubsub{32LL * 1024 * 1024, 8LL * 1024 * 1024, 60};
  int64_t hz = 10;
  int64_t databases = 16;
  bool activerehashing = true;
  int64_t maxmemory = 0;
  std::string maxmemory_policy = "noeviction";
  int64_t maxmemory_samples = 5;
  int64_t maxmemory_eviction_tenacity = 10;
  int64_t io_threads = 1;
  // Accepted for redis.conf compatibility: kvd's I/O threads always read and
  // parse as well as write.
  bool io_threads_do_reads = false;
  bool lazyfree_lazy_user_del = false;
  bool lazyfree_lazy_user_flush = false;
  bool lazyfree_lazy_eviction = false;
  std::string dir = ".";
  std::string dbfilename = "dump.rdb";
  // Redis's built-in save points (a config file's first save line replaces them).
  std::string save = "3600 1 300 100 60 10000";
  bool appendonly = false;
  // The append-only file (persist/aof.hpp).
  std::string appendfsync = "everysec";
  bool no_appendfsync_on_rewrite = false;
  std::string appendfilename = "appendonly.aof";
  std::string appenddirname = "appendonlydir";
  int64_t auto_aof_rewrite_percentage = 100;
  int64_t auto_aof_rewrite_min_size = 64LL * 1024 * 1024;
  bool aof_load_truncated = true;
  bool aof_use_rdb_preamble = true;
  bool aof_timestamp_enabled = false;
  bool aof_disable_auto_gc = false;
  // Writers fsync every 4 MB so the kernel never holds a huge dirty tail.
  bool aof_rewrite_incremental_fsync = true;
  bool rdb_save_incremental_fsync = true;
  // A failed BGSAVE refuses writes (MISCONF) until a save succeeds.
  bool stop_writes_on_bgsave_error = true;
  // Test knobs, as Redis's: microseconds slept per key by a save child and
  // by the loader (negative: that many nanoseconds of busy wait in Redis;
  // here a sleep of at least 1 µs).
  int64_t rdb_key_save_delay = 0;
  int64_t key_load_delay = 0;
  // While loading at start-up, clients are served every this many bytes.
  int64_t loading_process_events_interval_bytes = 2 * 1024 * 1024;
  // LZF-compress strings in DUMP payloads and RDB snapshots.
  bool rdbcompression = true;
  // Accepted for redis.conf compatibility: kvd checks every RESTORE payload
  // in full whatever this says, since a malformed one must not crash it.
  std::string sanitize_dump_payload = "no";
  int64_t lfu_log_factor = 10;
  int64_t lfu_decay_time = 1;
  int64_t slowlog_log_slower_than = 10000;
  // A script running longer than this (ms) that has not written is stopped.
  int64_t busy_reply_threshold = 5000;
  int64_t slowlog_max_len = 128;
  int64_t tracking_table_max_keys = 1000000;
  // Per-command latency histograms (INFO latencystats, LATENCY HISTOGRAM).
  bool latency_tracking = true;
  // The percentiles INFO latencystats shows, each in [0, 100].
  std::vector<double> latency_tracking_info_percentiles{50.0, 99.0, 99.9};
  // Latency monitor: events lasting at least this many ms are sampled (0: off).
  int64_t latency_monitor_threshold = 0;
  // kvd: serve client sockets through io_uring (io-threads 1, no TLS).
  bool io_uring = false;
  // kvd: a loop round longer than this is logged with its cause (0 = off).
  int64_t loop_stall_threshold_ms = 0;
  bool set_proc_title = true;
  std::string notify_keyspace_events;
  int64_t active_expire_effort = 1;
  int64_t zset_max_listpack_entries = 128;
  int64_t zset_max_listpack_value = 64;
  // Lists: entries (> 0) or bytes (-1..-5 = 4..64 KB) per packed node.
  int64_t list_max_listpack_size = -2;
  // Accepted for compatibility; kvd never compresses list nodes (only 0 is honoured).
  int64_t list_compress_depth = 0;
  // Compact encodings of hashes and sets, and the sparse HyperLogLog limit.
  int64_t hash_max_listpack_entries = 512;
  int64_t hash_max_listpack_value = 64;
  int64_t set_max_intset_entries = 512;
  int64_t hll_sparse_max_bytes = 3000;
  // Stream nodes: a new node starts past this many bytes or entries.
  int64_t stream_node_max_bytes = 4096;
  int64_t stream_node_max_entries = 100;
  // Print the ASCII logo at startup even when the log is not a terminal.
  bool always_show_logo = false;
  // Who may run DEBUG, and CONFIG SET the protected parameters (dir,
  // dbfilename): "no" nobody, "local" loopback and Unix-socket clients,
  // "yes" everyone. See protected_action_allowed().
  std::string enable_debug_command = "no";
  std::string enable_protected_configs = "no";
  // The values of the directives kvd accepts without acting on them
  // (config_inert.cpp), in CONFIG GET's form, by their place in that table.
  std::vector<std::string> inert;
};

// Whether an enable-debug-command / enable-protected-configs setting lets a
// client (local: on a loopback address or the Unix socket) do the action.
bool protected_action_allowed(std::string_view setting, bool local_client);

// A latency-tracking-info-percentiles value as Redis shows it, in CONFIG GET
// and in INFO latencystats' labels: "%f" without trailing zeros ("99.9", "50").
std::string format_percentile(double p);

// The registry of configuration parameters: parses redis.conf-style files and
// `--name value` flags, serves CONFIG GET/SET/REWRITE, and notifies listeners of
// runtime changes (the server re-reads maxclients, timeout, ...).
class Config {
 public:
  Config();
  ~Config();

  ConfigValues& v() { return values_; }
  const ConfigValues& v() const { return values_; }

  // Applies one directive; returns an error message (empty when it succeeded).
  // At startup immutable parameters may be set.
  std::string set(std::string_view name, const std::vector<std::string>& args, bool startup);
  // CONFIG SET: applies every (name, value) pair or none. The names must exist,
  // be mutable and be distinct (the command checks that first). On failure the
  // previous values are restored, *failed_name is the pair that failed and the
  // reason is returned. Listeners run only after all pairs were applied.
  std::string set_all(const std::vector<std::pair<std::string, std::string>>& pairs,
                      std::string* failed_name);
  // The registry's own spelling of a name or alias ("" if unknown); two names
  // are the same parameter when their canonical names are equal.
  std::string canonical_name(std::string_view name) const;
  std::optional<std::string> get(std::string_view name) const;
  // Every (name, value) whose name matches the glob pattern, in registry order.
  std::vector<std::pair<std::string, std::string>> get_matching(std::string_view pattern) const;
  bool exists(std::string_view name) const;
  bool is_mutable(std::string_view name) const;
  // CONFIG SET may change it only where enable-protected-configs allows.
  bool is_protected(std::string_view name) const;

  // Parses a whole config text (file contents, or flags turned into lines).
  // `origin` names the source in errors. Returns an error report (empty = ok)
  // formatted like redis-server's FATAL CONFIG FILE ERROR.
  std::string load_text(const std::string& text, const std::string& origin);
  std::string load_file(const std::string& path);
  // Turns command-line options ("--port", "7000", "--save", "") into config
  // text, one directive per "--name", values quoted so blanks survive.
  static std::string flags_to_text(const std::vector<std::string>& args);
  // Quotes a value for a config line when it holds blanks, quotes or control
  // characters (or is empty); split_args reads it back unchanged.
  static std::string quote_if_needed(std::string_view value);

  // Rewrites the config file with the current values (CONFIG REWRITE): lines
  // kept in place, changed values updated, non-default ones added at the end.
  // force_all (DEBUG CONFIG-REWRITE-FORCE-ALL) adds defaults too.
  std::string rewrite(bool force_all = false);

  void on_change(const std::string& name, std::function<void()> fn);
  // Puts a runtime change into effect where that may fail (listening on a
  // new port, writing oom_score_adj): returns "" or why it failed. CONFIG SET
  // runs the appliers of what it changed once every value is in place; when
  // one fails, every value goes back and the appliers that ran are run again
  // to undo their effect, as Redis rolls back. One applier per name.
  void on_apply(const std::string& name, std::function<std::string()> fn);
  std::string config_file;  // absolute path, empty if started without one
  // rename-command lines (config only), applied to the command table when
  // the engine is built. `command_exists`, when set, makes an unknown name
  // fail at its line, as in Redis.
  std::vector<std::pair<std::string, std::string>> command_renames;
  // `user` lines (config only): the name, then the rules; the engine
  // applies them at start-up (Engine::load_acl_at_startup).
  std::vector<std::vector<std::string>> acl_user_lines;
  // CONFIG REWRITE's `user` lines (set by the engine: every ACL user, or
  // none when they live in an aclfile); existing `user` lines are replaced.
  std::function<std::vector<std::string>()> user_lines;
  std::function<bool(std::string_view)> command_exists;

 private:
  struct Param;
  Param* find(std::string_view name);
  const Param* find(std::string_view name) const;
  void add(std::unique_ptr<Param> p);
  void register_all();
  void register_inert();  // config_inert.cpp
  // Directives Redis 7.0 still reads from a config file but ignores.
  static bool is_retired(std::string_view name, size_t nargs);
  void notify(const Param& p);

  ConfigValues values_;
  std::vector<std::unique_ptr<Param>> params_;
  std::map<std::string, Param*, std::less<>> by_name_;
  std::map<std::string, std::vector<std::function<void()>>, std::less<>> listeners_;
  std::map<std::string, std::function<std::string()>, std::less<>> appliers_;
  bool save_loaded_ = false;  // a save line was read: later ones add to it
};

}  // namespace kvd::engine
