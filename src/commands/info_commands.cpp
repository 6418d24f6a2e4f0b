#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "admin_helpers.hpp"
#include "command_helpers.hpp"
#include "declare.hpp"
#include "families.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/common/version.hpp"
#include "kvd/engine/blocking.hpp"
#include "kvd/engine/functions.hpp"
#include "kvd/engine/memory.hpp"
#include "kvd/engine/pubsub.hpp"
#include "kvd/engine/scripting.hpp"
#include "kvd/engine/tracking.hpp"
#include "kvd/persist/aof.hpp"

// INFO: the sections and field names of Redis 7.0, so monitoring tools and
// client libraries parse kvd's output unchanged. Fields about features kvd
// does not have (persistence, replication, ...) report their idle values.
namespace kvd::commands {
namespace {

// Accumulates "name:value\r\n" lines.
class InfoText {
 public:
  void field(std::string_view name, std::string_view value) {
    s_.append(name);
    s_ += ':';
    s_.append(value);
    s_ += "\r\n";
  }
  void field(std::string_view name, int64_t v) { field(name, int_to_string(v)); }
  void field(std::string_view name, uint64_t v) { field(name, std::to_string(v)); }
  void field(std::string_view name, int v) { field(name, static_cast<int64_t>(v)); }
  void field(std::string_view name, size_t v, bool) { field(name, static_cast<uint64_t>(v)); }
  void fixed(std::string_view name, double v, const char* fmt = "%.2f") {
    char buf[64];
    snprintf(buf, sizeof buf, fmt, v);
    field(name, buf);
  }
  void zeros(std::initializer_list<std::string_view> names) {
    for (auto n : names) field(n, "0");
  }
  std::string& str() { return s_; }

 private:
  std::string s_;
};

// Redis's human-readable byte counts: "0B", "1.51M", ...
std::string bytes_to_human(uint64_t n) {
  static const char* kUnits = "KMGTPE";
  if (n < 1024) return std::to_string(n) + "B";
  double d = static_cast<double>(n) / 1024;
  int unit = 0;
  while (d >= 1024 && unit < 5) {
    d /= 1024;
    ++unit;
  }
  char buf[32];
  snprintf(buf, sizeof buf, "%.2f%c", d, kUnits[unit]);
  return buf;
}

ServerHooks::Info hooks_info(Engine& e) {
  return e.hooks() ? e.hooks()->info() : ServerHooks::Info{};
}

void section_server(CommandContext& ctx, InfoText& t) {
  Engine& e = ctx.engine;
  ServerHooks::Info hi = hooks_info(e);
  struct utsname un {};
  uname(&un);
  int64_t uptime = (ctx.now_ms - e.start_ms()) / 1000;
  if (e.hooks()) uptime = hi.uptime_seconds;
  t.field("redis_version", kRedisCompatVersion);
  t.field("kvd_version", kVersion);
  t.field("redis_git_sha1", "00000000");
  t.field("redis_git_dirty", "0");
  t.field("redis_build_id", "0");
  t.field("redis_mode", "standalone");
  t.field("os", std::string(un.sysname) + " " + un.release + " " + un.machine);
  t.field("arch_bits", static_cast<int>(sizeof(void*) * 8));
  t.field("monotonic_clock", "POSIX clock_gettime");
  t.field("multiplexing_api", hi.multiplexing_api.empty() ? "epoll" : hi.multiplexing_api);
  t.field("atomicvar_api", "c11-builtin");
#if defined(__clang__)
  t.field("gcc_version", "0.0.0");
#elif defined(__GNUC__)
  t.field("gcc_version", std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
                             std::to_string(__GNUC_PATCHLEVEL__));
#endif
  t.field("process_id", static_cast<int64_t>(getpid()));
  t.field("process_supervised", hi.supervised);
  t.field("run_id", e.run_id());
  t.field("tcp_port", hi.tcp_port);
  t.field("server_time_usec", e.clock().now_us());
  t.field("uptime_in_seconds", uptime);
  t.field("uptime_in_days", uptime / 86400);
  t.field("hz", e.config().v().hz);
  t.field("configured_hz", e.config().v().hz);
  t.field("lru_clock", static_cast<int64_t>(e.lru_clock() & ((1u << 24) - 1)));
  t.field("executable", hi.executable);
  t.field("config_file", hi.config_file.empty() ? e.config().config_file : hi.config_file);
  t.field("io_threads_active", hi.io_threads_active);
}

void section_clients(CommandContext& ctx, InfoText& t) {
  Engine& e = ctx.engine;
  ServerHooks::Info hi = hooks_info(e);
  size_t connected = e.hooks() ? hi.connected_clients : e.clients().size();
  t.field("connected_clients", connected, true);
  t.field("cluster_connections", "0");
  t.field("maxclients", e.config().v().maxclients);
  t.field("client_recent_max_input_buffer", hi.max_input_buffer, true);
  t.field("client_recent_max_output_buffer", hi.max_output_buffer, true);
  t.field("blocked_clients", blocked_client_count(e));
  t.field("tracking_clients", e.tracking().tracking_clients());
  t.zeros({"clients_in_timeout_table"});
}

std::string percent(double v) {
  char b[32];
  snprintf(b, sizeof b, "%.2f%%", v);
  return b;
}

// "<name>_ratio:%.2f" and "<name>_bytes:<difference>", as Redis pairs them.
void ratio_and_bytes(InfoText& t, const std::string& name, uint64_t num, uint64_t den) {
  t.fixed(name + "_ratio", den ? static_cast<double>(num) / static_cast<double>(den) : 0.0);
  t.field(name + "_bytes", static_cast<int64_t>(num) - static_cast<int64_t>(den));
}

void section_memory(CommandContext& ctx, InfoText& t) {
  Engine& e = ctx.engine;
  const ServerHooks::Info hi = hooks_info(e);
  uint64_t used = allocator_used_memory();
  uint64_t rss = resident_memory();
  if (used > e.stats().peak_memory) e.stats().peak_memory = used;
  uint64_t peak = e.stats().peak_memory;
  uint64_t system = total_system_memory();
  int64_t maxmemory = e.config().v().maxmemory;
  t.field("used_memory", used);
  t.field("used_memory_human", bytes_to_human(used));
  t.field("used_memory_rss", rss);
  t.field("used_memory_rss_human", bytes_to_human(rss));
  t.field("used_memory_peak", peak);
  t.field("used_memory_peak_human", bytes_to_human(peak));
  t.field("used_memory_peak_perc", percent(peak ? 100.0 * used / peak : 0.0));
  // Overhead: what the server holds before any data (used_memory_startup)
  // plus the clients' buffers; the dataset is the rest.
  const uint64_t startup = std::min<uint64_t>(e.stats().startup_memory, used);
  const uint64_t overhead = std::min<uint64_t>(startup + hi.clients_memory, used);
  const uint64_t dataset = used - overhead;
  t.field("used_memory_overhead", overhead);
  t.field("used_memory_startup", startup);
  t.field("used_memory_dataset", dataset);
  t.field("used_memory_dataset_perc",
          percent(used > startup ? 100.0 * dataset / (used - startup) : 0.0));
  const AllocatorStats alloc = allocator_stats();
  t.field("allocator_allocated", static_cast<uint64_t>(alloc.allocated));
  t.field("allocator_active", static_cast<uint64_t>(alloc.active));
  t.field("allocator_resident", static_cast<uint64_t>(alloc.resident));
  t.field("total_system_memory", system);
  t.field("total_system_memory_human", bytes_to_human(system));
  // Scripts and functions (Redis 7's names): each has its own interpreter.
  const ScriptRuntime* scripts = e.scripts_if_created();
  const FunctionStore* functions = e.functions_if_created();
  const uint64_t lua = scripts ? scripts->lua_memory() : 0;
  const uint64_t script_bodies = scripts ? scripts->scripts_memory() : 0;
  const uint64_t vm_functions = functions ? functions->runtime().lua_memory() : 0;
  const uint64_t function_bodies = functions ? functions->overhead_memory() : 0;
  t.field("used_memory_lua", lua);
  t.field("used_memory_vm_eval", lua);
  t.field("used_memory_lua_human", bytes_to_human(lua));
  t.field("used_memory_scripts_eval", script_bodies);
  t.field("number_of_cached_scripts",
          static_cast<uint64_t>(scripts ? scripts->cached_scripts() : 0));
  t.field("number_of_functions",
          static_cast<uint64_t>(functions ? functions->function_count() : 0));
  t.field("number_of_libraries", static_cast<uint64_t>(functions ? functions->library_count() : 0));
  t.field("used_memory_vm_functions", vm_functions);
  t.field("used_memory_vm_total", lua + vm_functions);
  t.field("used_memory_vm_total_human", bytes_to_human(lua + vm_functions));
  t.field("used_memory_functions", function_bodies);
  t.field("used_memory_scripts", script_bodies + function_bodies);
  t.field("used_memory_scripts_human", bytes_to_human(script_bodies + function_bodies));
  t.field("maxmemory", maxmemory);
  t.field("maxmemory_human", bytes_to_human(static_cast<uint64_t>(maxmemory)));
  t.field("maxmemory_policy", e.config().v().maxmemory_policy);
  ratio_and_bytes(t, "allocator_frag", alloc.active, alloc.allocated);
  ratio_and_bytes(t, "allocator_rss", alloc.resident, alloc.active);
  ratio_and_bytes(t, "rss_overhead", rss, alloc.resident);
  ratio_and_bytes(t, "mem_fragmentation", rss, used);
  // No replication backlog or AOF buffer: nothing is left out of maxmemory.
  t.field("mem_not_counted_for_evict", 0);
  t.zeros({"mem_replication_backlog", "mem_total_replication_buffers", "mem_clients_slaves"});
  t.field("mem_clients_normal", hi.clients_memory);
  t.zeros({"mem_cluster_links", "mem_aof_buffer"});
  t.field("mem_allocator", allocator_name());
  t.field("active_defrag_running", 0);  // kvd does not defragment
  t.field("lazyfree_pending_objects", e.freer().pending(), true);
  t.field("lazyfreed_objects", e.freer().freed());
}

// The AOF's part of INFO persistence, in Redis 7.0's order; the size
// fields only while it is on, as Redis prints them.
void aof_fields(CommandContext& ctx, InfoText& t) {
  const persist::Aof* aof = persist::Aof::find(ctx.engine);
  const persist::AofInfo a = aof ? aof->info() : persist::AofInfo{};
  t.field("aof_enabled", a.enabled ? "1" : "0");
  t.field("aof_rewrite_in_progress", a.rewrite_in_progress ? "1" : "0");
  t.field("aof_rewrite_scheduled", a.rewrite_scheduled ? "1" : "0");
  t.field("aof_last_rewrite_time_sec", a.last_rewrite_time_sec);
  t.field("aof_current_rewrite_time_sec", a.current_rewrite_time_sec);
  t.field("aof_last_bgrewrite_status", a.last_bgrewrite_ok ? "ok" : "err");
  t.field("aof_rewrites", a.rewrites);
  t.field("aof_rewrites_consecutive_failures", a.consecutive_failures);
  t.field("aof_last_write_status", a.last_write_ok ? "ok" : "err");
  t.field("aof_last_cow_size", ctx.engine.snapshot_state().aof_last_cow_bytes);
  t.zeros({"module_fork_in_progress", "module_fork_last_cow_size"});
  if (!a.enabled) return;
  t.field("aof_current_size", a.current_size);
  t.field("aof_base_size", a.base_size);
  t.field("aof_pending_rewrite", a.rewrite_scheduled ? "1" : "0");
  t.field("aof_buffer_length", a.buffer_length);
  t.field("aof_pending_bio_fsync", a.pending_bio_fsync);
  t.field("aof_delayed_fsync", a.delayed_fsync);
}

// How far a load got, as Redis prints it while loading: the ETA scales the
// time so far by the bytes left (1 s before there is anything to scale).
void loading_fields(CommandContext& ctx, InfoText& t) {
  const LoadingProgress& p = ctx.engine.snapshot_state().loading;
  double perc = 0;
  uint64_t remaining = 1;
  if (p.total_bytes > 0) {
    perc = static_cast<double>(p.loaded_bytes) * 100 / static_cast<double>(p.total_bytes);
    remaining = p.total_bytes > p.loaded_bytes ? p.total_bytes - p.loaded_bytes : 0;
  } else if (p.rdb_used_mem > 0) {
    perc = std::min(
        99.99, static_cast<double>(p.loaded_bytes) * 100 / static_cast<double>(p.rdb_used_mem));
    remaining = p.rdb_used_mem > p.loaded_bytes ? p.rdb_used_mem - p.loaded_bytes : 1;
  }
  const int64_t elapsed = ctx.engine.clock().now_ms() / 1000 - p.start_time_s;
  const int64_t eta =
      elapsed <= 0
          ? 1
          : static_cast<int64_t>(static_cast<uint64_t>(elapsed) * remaining / (p.loaded_bytes + 1));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", perc);
  t.field("loading_start_time", p.start_time_s);
  t.field("loading_total_bytes", p.total_bytes);
  t.field("loading_rdb_used_mem", p.rdb_used_mem);
  t.field("loading_loaded_bytes", p.loaded_bytes);
  t.field("loading_loaded_perc", buf);
  t.field("loading_eta_seconds", eta);
}

void section_persistence(CommandContext& ctx, InfoText& t) {
  Engine& e = ctx.engine;
  t.field("loading", e.loading_dataset() ? "1" : "0");
  // What the running child (BGSAVE or AOF rewrite) last reported.
  const engine::ChildProgress& child = e.snapshot_state().child_progress;
  t.field("async_loading", e.async_loading() ? 1 : 0);
  t.field("current_cow_peak", child.cow_peak);
  t.field("current_cow_size", child.cow_bytes);
  t.field("current_cow_size_age", child.cow_updated_ms == 0
                                      ? int64_t{0}
                                      : (e.clock().now_ms() - child.cow_updated_ms) / 1000);
  char perc[32];
  std::snprintf(perc, sizeof perc, "%.2f",
                child.keys_total == 0 ? 0.0
                                      : static_cast<double>(child.keys_processed) * 100 /
                                            static_cast<double>(child.keys_total));
  t.field("current_fork_perc", perc);
  t.field("current_save_keys_processed", child.keys_processed);
  t.field("current_save_keys_total", child.keys_total);
  t.field("rdb_changes_since_last_save", e.stats().dirty);
  const SnapshotState& snap = e.snapshot_state();
  const bool saving = snap.child > 0;
  t.field("rdb_bgsave_in_progress", saving ? "1" : "0");
  t.field("rdb_last_save_time", snap.last_save_s);
  t.field("rdb_last_bgsave_status", snap.last_bgsave_ok ? "ok" : "err");
  t.field("rdb_last_bgsave_time_sec", snap.last_bgsave_time_s);
  t.field("rdb_current_bgsave_time_sec",
          saving ? (e.clock().now_ms() - snap.child_start_ms) / 1000 : int64_t{-1});
  t.field("rdb_saves", snap.saves);
  t.field("rdb_last_cow_size", snap.rdb_last_cow_bytes);
  t.field("rdb_last_load_keys_expired", snap.last_load_keys_expired);
  t.field("rdb_last_load_keys_loaded", snap.last_load_keys_loaded);
  aof_fields(ctx, t);
  if (snap.loading.active) loading_fields(ctx, t);
}

void section_stats(CommandContext& ctx, InfoText& t) {
  Engine& e = ctx.engine;
  ServerHooks::Info hi = hooks_info(e);  // first: it folds I/O thread counters into Stats
  const Stats& s = e.stats();
  t.field("total_connections_received", s.total_connections);
  t.field("total_commands_processed", s.total_commands);
  t.field("instantaneous_ops_per_sec", e.instantaneous_ops_per_sec());
  t.field("total_net_input_bytes", s.net_input_bytes);
  t.field("total_net_output_bytes", s.net_output_bytes);
  t.zeros({"total_net_repl_input_bytes", "total_net_repl_output_bytes"});
  t.fixed("instantaneous_input_kbps", e.instantaneous_input_kbps());
  t.fixed("instantaneous_output_kbps", e.instantaneous_output_kbps());
  t.field("instantaneous_input_repl_kbps", "0.00");
  t.field("instantaneous_output_repl_kbps", "0.00");
  t.field("rejected_connections", s.rejected_connections);
  t.field("sync_full", e.repl().sync_full);
  t.field("sync_partial_ok", e.repl().sync_partial_ok);
  t.field("sync_partial_err", e.repl().sync_partial_err);
  t.field("expired_keys", e.expired_keys());
  t.field("expired_stale_perc", "0.00");
  t.zeros({"expired_time_cap_reached_count", "expire_cycle_cpu_milliseconds"});
  t.field("evicted_keys", s.evicted_keys);
  t.field("evicted_clients", ctx.engine.client_eviction().evicted());
  {
    // Time spent above maxmemory, in ms: in total, and in the current stretch.
    const Evictor& ev = e.evictor();
    const int64_t since = ev.exceeded_since_us();
    const int64_t current = since >= 0 ? e.clock().monotonic_us() - since : 0;
    t.field("total_eviction_exceeded_time", (ev.exceeded_total_us() + current) / 1000);
    t.field("current_eviction_exceeded_time", current / 1000);
  }
  t.field("keyspace_hits", s.keyspace_hits);
  t.field("keyspace_misses", s.keyspace_misses);
  t.field("pubsub_channels", e.pubsub().channel_count());
  t.field("pubsub_patterns", e.pubsub().pattern_count());
  t.field("pubsubshard_channels", e.pubsub().shard_channel_count());
  t.field("latest_fork_usec", e.snapshot_state().latest_fork_usec);
  t.field("total_forks", e.snapshot_state().total_forks);
  t.field("migrate_cached_sockets", hi.migrate_cached_sockets);
  t.zeros({"slave_expires_tracked_keys", "active_defrag_hits", "active_defrag_misses",
           "active_defrag_key_hits", "active_defrag_key_misses", "total_active_defrag_time",
           "current_active_defrag_time"});
  t.field("tracking_total_keys", e.tracking().total_keys());
  t.field("tracking_total_items", e.tracking().total_items());
  t.field("tracking_total_prefixes", e.tracking().total_prefixes());
  t.field("unexpected_error_replies", s.unexpected_error_replies);
  t.field("total_error_replies", s.total_error_replies);
  t.field("dump_payload_sanitizations", "0");
  // The I/O threads' reads and writes are part of the totals, as in Redis.
  t.field("total_reads_processed", s.total_reads_processed + hi.io_threaded_reads_processed);
  t.field("total_writes_processed", s.total_writes_processed + hi.io_threaded_writes_processed);
  t.field("io_threaded_reads_processed", hi.io_threaded_reads_processed);
  t.field("io_threaded_writes_processed", hi.io_threaded_writes_processed);
  t.field("client_query_buffer_limit_disconnections", s.client_qbuf_limit_disconnections);
  t.field("client_output_buffer_limit_disconnections", s.client_outbuf_limit_disconnections);
  t.zeros({"reply_buffer_shrinks", "reply_buffer_expands"});
  // Redis 7.2's event-loop fields.
  t.field("eventloop_cycles", hi.eventloop_cycles);
  t.field("eventloop_duration_sum", hi.eventloop_duration_sum);
  t.field("eventloop_duration_cmd_sum", s.command_usec);
  t.field("instantaneous_eventloop_cycles_per_sec", hi.instantaneous_eventloop_cycles_per_sec);
  t.field("instantaneous_eventloop_duration_usec", hi.instantaneous_eventloop_duration_usec);
  // kvd's own: the loop-stall watchdog, the sockets' transport, the accept queue.
  t.field("loop_stalls", e.stall_watch().stalls());
  t.field("loop_stall_longest_ms", e.stall_watch().longest_stall_us() / 1000);
  t.field("io_transport", hi.io_transport);
  t.field("io_rounds", hi.io_rounds);
  const uint64_t reads = s.total_reads_processed + hi.io_threaded_reads_processed;
  const uint64_t writes = s.total_writes_processed + hi.io_threaded_writes_processed;
  auto per_round = [&](uint64_t n) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f",
                  hi.io_rounds ? static_cast<double>(n) / static_cast<double>(hi.io_rounds) : 0.0);
    return std::string(buf);
  };
  t.field("io_reads_per_round", per_round(reads));
  t.field("io_writes_per_round", per_round(writes));
  t.field("io_uring_enters", hi.io_uring_enters);
  t.field("io_syscalls_saved", hi.io_syscalls_saved);
  t.field("accept_queue_length", hi.accept_queue_length);
  t.field("accept_queue_backlog", hi.accept_queue_backlog);
  t.field("accept_queue_drops", hi.accept_queue_drops);
}

void section_replication(CommandContext& ctx, InfoText& t) {
  Engine& e = ctx.engine;
  const ReplicationState& r = e.repl();
  const int64_t now_ms = e.clock().now_ms();
  t.field("role", r.is_replica() ? "slave" : "master");
  if (r.is_replica()) {
    t.field("master_host", r.master_host);
    t.field("master_port", r.master_port);
    t.field("master_link_status", r.link_up ? "up" : "down");
    t.field("master_last_io_seconds_ago",
            r.link_up ? (now_ms - r.master_last_io_ms) / 1000 : int64_t{-1});
    t.field("master_sync_in_progress", r.sync_in_progress ? 1 : 0);
    t.field("slave_read_repl_offset", r.master_repl_offset());
    t.field("slave_repl_offset", r.master_repl_offset());
    if (r.sync_in_progress) {
      t.field("master_sync_total_bytes", r.transfer_size);
      t.field("master_sync_read_bytes", r.transfer_read);
      t.field("master_sync_left_bytes",
              r.transfer_size > 0 ? r.transfer_size - r.transfer_read : int64_t{0});
      t.fixed("master_sync_perc", r.transfer_size > 0
                                      ? 100.0 * static_cast<double>(r.transfer_read) /
                                            static_cast<double>(r.transfer_size)
                                      : 0.0);
      t.field("master_sync_last_io_seconds_ago", (now_ms - r.master_last_io_ms) / 1000);
    }
    if (!r.link_up) {
      t.field("master_link_down_since_seconds",
              r.link_down_since_ms ? (now_ms - r.link_down_since_ms) / 1000 : int64_t{-1});
    }
    t.field("slave_priority", e.config().get("replica-priority").value_or("100"));
    t.field("slave_read_only", r.read_only ? 1 : 0);
    t.field("replica_announced",
            e.config().get("replica-announced").value_or("yes") == "yes" ? 1 : 0);
  }
  std::vector<std::string> lines;
  for (const auto& [id, c] : e.clients()) {
    if (!c->replica || c->replica->state == ReplicaSyncState::kNone) continue;
    const ReplicaLink& l = *c->replica;
    std::string ip = l.announced_ip;
    if (ip.empty() && c->conn) {
      ip = c->conn->peer_address();
      ip = ip.substr(0, ip.rfind(':'));
    }
    const char* state = l.state == ReplicaSyncState::kOnline                    ? "online"
                        : l.state == ReplicaSyncState::kSendBulk && !l.diskless ? "send_bulk"
                                                                                : "wait_bgsave";
    const int64_t lag = l.state == ReplicaSyncState::kOnline ? (now_ms - l.ack_ms) / 1000 : 0;
    lines.push_back("ip=" + ip + ",port=" + std::to_string(l.listening_port) + ",state=" + state +
                    ",offset=" + std::to_string(l.ack_offset) + ",lag=" + std::to_string(lag));
  }
  t.field("connected_slaves", static_cast<uint64_t>(lines.size()));
  if (r.min_replicas_to_write > 0 && r.min_replicas_max_lag > 0)
    t.field("min_slaves_good_slaves", r.good_replicas);
  for (size_t i = 0; i < lines.size(); ++i) t.field("slave" + std::to_string(i), lines[i]);
  t.field("master_failover_state", r.failover_state == engine::FailoverState::kNone ? "no-failover"
                                   : r.failover_state == engine::FailoverState::kWaitForSync
                                       ? "waiting-for-sync"
                                       : "failover-in-progress");
  t.field("master_replid", r.replid());
  t.field("master_replid2", r.replid2());
  t.field("master_repl_offset", r.master_repl_offset());
  t.field("second_repl_offset", r.second_repl_offset());
  t.field("repl_backlog_active", r.has_backlog() ? 1 : 0);
  t.field("repl_backlog_size", static_cast<uint64_t>(r.backlog_size()));
  t.field("repl_backlog_first_byte_offset", r.backlog_first_byte_offset());
  t.field("repl_backlog_histlen", static_cast<uint64_t>(r.backlog_histlen()));
}

std::string cpu_seconds(const timeval& tv) {
  char buf[48];
  snprintf(buf, sizeof buf, "%ld.%06ld", static_cast<long>(tv.tv_sec),
           static_cast<long>(tv.tv_usec));
  return buf;
}

void section_cpu(CommandContext&, InfoText& t) {
  struct rusage self {
  }, children{}, thread{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  getrusage(RUSAGE_THREAD, &thread);
  t.field("used_cpu_sys", cpu_seconds(self.ru_stime));
  t.field("used_cpu_user", cpu_seconds(self.ru_utime));
  t.field("used_cpu_sys_children", cpu_seconds(children.ru_stime));
  t.field("used_cpu_user_children", cpu_seconds(children.ru_utime));
  t.field("used_cpu_sys_main_thread", cpu_seconds(thread.ru_stime));
  t.field("used_cpu_user_main_thread", cpu_seconds(thread.ru_utime));
}

void section_modules(CommandContext&, InfoText&) {}

void command_stat_line(const CommandSpec& c, InfoText& t) {
  const CommandStats& s = c.stats;
  if (!s.calls && !s.failed_calls && !s.rejected_calls) return;
  char buf[256];
  snprintf(buf, sizeof buf,
           "calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,failed_calls=%llu",
           static_cast<unsigned long long>(s.calls), static_cast<unsigned long long>(s.usec),
           s.calls ? static_cast<double>(s.usec) / s.calls : 0.0,
           static_cast<unsigned long long>(s.rejected_calls),
           static_cast<unsigned long long>(s.failed_calls));
  t.field("cmdstat_" + c.fullname, buf);
}

void section_commandstats(CommandContext& ctx, InfoText& t) {
  for (const CommandSpec* c : ctx.engine.commands().all()) {
    command_stat_line(*c, t);
    for (const auto& sub : c->subcommands) command_stat_line(sub, t);
  }
}

void section_errorstats(CommandContext& ctx, InfoText& t) {
  for (const auto& [code, n] : ctx.engine.stats().error_codes) {
    t.field("errorstat_" + code, "count=" + std::to_string(n));
  }
}

// One line per command with a latency histogram: its percentiles in us
// (latency-tracking-info-percentiles), nothing while latency-tracking is off.
void latency_line(const CommandSpec& c, const std::vector<double>& percentiles, InfoText& t) {
  const LatencyHistogram& h = c.stats.histogram;
  if (h.empty()) return;
  std::string v;
  for (double p : percentiles) {
    if (!v.empty()) v += ',';
    char buf[48];
    snprintf(buf, sizeof buf, "=%.3f", static_cast<double>(h.value_at_percentile(p)) / 1000.0);
    v += 'p' + format_percentile(p) + buf;
  }
  t.field("latency_percentiles_usec_" + c.fullname, v);
}

void section_latencystats(CommandContext& ctx, InfoText& t) {
  const ConfigValues& v = ctx.engine.config().v();
  if (!v.latency_tracking) return;
  for (const CommandSpec* c : ctx.engine.commands().all()) {
    latency_line(*c, v.latency_tracking_info_percentiles, t);
    for (const auto& sub : c->subcommands)
      latency_line(sub, v.latency_tracking_info_percentiles, t);
  }
}

void section_cluster(CommandContext&, InfoText& t) {
  t.field("cluster_enabled", "0");
}

void section_keyspace(CommandContext& ctx, InfoText& t) {
  for (int i = 0; i < ctx.engine.db_count(); ++i) {
    Database& db = ctx.engine.db(i);
    if (db.size() == 0) continue;
    t.field("db" + std::to_string(i), "keys=" + std::to_string(db.size()) +
                                          ",expires=" + std::to_string(db.expires()) +
                                          ",avg_ttl=" + int_to_string(db.avg_ttl(ctx.now_ms)));
  }
}

struct Section {
  const char* name;   // what INFO <section> selects
  const char* alias;  // a second accepted name, or nullptr
  const char* title;  // the "# Title" header
  bool in_default;
  void (*fill)(CommandContext&, InfoText&);
};

// In Redis 7.0's order. "default" is every section marked in_default; "all"
// and "everything" are all of them (kvd has no module sections).
constexpr Section kSections[] = {
    {"server", nullptr, "Server", true, section_server},
    {"clients", nullptr, "Clients", true, section_clients},
    {"memory", nullptr, "Memory", true, section_memory},
    {"persistence", nullptr, "Persistence", true, section_persistence},
    {"stats", nullptr, "Stats", true, section_stats},
    {"replication", nullptr, "Replication", true, section_replication},
    {"cpu", nullptr, "CPU", true, section_cpu},
    {"module_list", "modules", "Modules", true, section_modules},
    {"commandstats", nullptr, "Commandstats", false, section_commandstats},
    {"errorstats", nullptr, "Errorstats", true, section_errorstats},
    {"latencystats", nullptr, "Latencystats", false, section_latencystats},
    {"cluster", nullptr, "Cluster", true, section_cluster},
    {"keyspace", nullptr, "Keyspace", true, section_keyspace},
};

void cmd_info(CommandContext& ctx) {
  bool all = false;
  std::set<std::string> wanted;
  if (ctx.args.size() == 1) wanted.insert("default");
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    std::string s = to_lower(ctx.args[i]);
    if (s == "all" || s == "everything")
      all = true;
    else
      wanted.insert(s);
  }
  bool defaults = wanted.count("default") > 0;
  InfoText t;
  bool first = true;
  for (const Section& sec : kSections) {
    bool on = all || (defaults && sec.in_default) || wanted.count(sec.name) ||
              (sec.alias && wanted.count(sec.alias));
    if (!on) continue;
    if (!first) t.str() += "\r\n";
    first = false;
    t.str() += "# ";
    t.str() += sec.title;
    t.str() += "\r\n";
    sec.fill(ctx, t);
  }
  ctx.out.verbatim(t.str());
}

}  // namespace

void register_info_commands(CommandTable& t) {
  Family f(t, "server");
  f.add("info", -1, kLoading | kStale, kNoKeys, cmd_info, {.categories = kAclDangerous});
}

}  // namespace kvd::commands
