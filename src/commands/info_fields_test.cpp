// INFO field parity with redis-server 7.0.15: every field it prints in
// "INFO everything" (apart from the per-command, per-error and per-database
// lines) is in kvd's, in the same section and order. kvd's own additions are
// pinned too, so a field that appears or goes away is a decision.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "support/engine_harness.hpp"

namespace kvd::test {
namespace {

using Names = std::vector<std::string>;

// redis-server 7.0.15, "INFO everything" (Debian's build), names only.
const std::vector<std::pair<std::string, Names>> kRedisFields = {
    {"Server",
     {"redis_version",
      "redis_git_sha1",
      "redis_git_dirty",
      "redis_build_id",
      "redis_mode",
      "os",
      "arch_bits",
      "monotonic_clock",
      "multiplexing_api",
      "atomicvar_api",
      "gcc_version",
      "process_id",
      "process_supervised",
      "run_id",
      "tcp_port",
      "server_time_usec",
      "uptime_in_seconds",
      "uptime_in_days",
      "hz",
      "configured_hz",
      "lru_clock",
      "executable",
      "config_file",
      "io_threads_active"}},
    {"Clients",
     {"connected_clients", "cluster_connections", "maxclients", "client_recent_max_input_buffer",
      "client_recent_max_output_buffer", "blocked_clients", "tracking_clients",
      "clients_in_timeout_table"}},
    {"Memory",
     {"used_memory",
      "used_memory_human",
      "used_memory_rss",
      "used_memory_rss_human",
      "used_memory_peak",
      "used_memory_peak_human",
      "used_memory_peak_perc",
      "used_memory_overhead",
      "used_memory_startup",
      "used_memory_dataset",
      "used_memory_dataset_perc",
      "allocator_allocated",
      "allocator_active",
      "allocator_resident",
      "total_system_memory",
      "total_system_memory_human",
      "used_memory_lua",
      "used_memory_vm_eval",
      "used_memory_lua_human",
      "used_memory_scripts_eval",
      "number_of_cached_scripts",
      "number_of_functions",
      "number_of_libraries",
      "used_memory_vm_functions",
      "used_memory_vm_total",
      "used_memory_vm_total_human",
      "used_memory_functions",
      "used_memory_scripts",
      "used_memory_scripts_human",
      "maxmemory",
      "maxmemory_human",
      "maxmemory_policy",
      "allocator_frag_ratio",
      "allocator_frag_bytes",
      "allocator_rss_ratio",
      "allocator_rss_bytes",
      "rss_overhead_ratio",
      "rss_overhead_bytes",
      "mem_fragmentation_ratio",
      "mem_fragmentation_bytes",
      "mem_not_counted_for_evict",
      "mem_replication_backlog",
      "mem_total_replication_buffers",
      "mem_clients_slaves",
      "mem_clients_normal",
      "mem_cluster_links",
      "mem_aof_buffer",
      "mem_allocator",
      "active_defrag_running",
      "lazyfree_pending_objects",
      "lazyfreed_objects"}},
    {"Persistence",
     {"loading",
      "async_loading",
      "current_cow_peak",
      "current_cow_size",
      "current_cow_size_age",
      "current_fork_perc",
      "current_save_keys_processed",
      "current_save_keys_total",
      "rdb_changes_since_last_save",
      "rdb_bgsave_in_progress",
      "rdb_last_save_time",
      "rdb_last_bgsave_status",
      "rdb_last_bgsave_time_sec",
      "rdb_current_bgsave_time_sec",
      "rdb_saves",
      "rdb_last_cow_size",
      "rdb_last_load_keys_expired",
      "rdb_last_load_keys_loaded",
      "aof_enabled",
      "aof_rewrite_in_progress",
      "aof_rewrite_scheduled",
      "aof_last_rewrite_time_sec",
      "aof_current_rewrite_time_sec",
      "aof_last_bgrewrite_status",
      "aof_rewrites",
      "aof_rewrites_consecutive_failures",
      "aof_last_write_status",
      "aof_last_cow_size",
      "module_fork_in_progress",
      "module_fork_last_cow_size"}},
    {"Stats",
     {"total_connections_received",
      "total_commands_processed",
      "instantaneous_ops_per_sec",
      "total_net_input_bytes",
      "total_net_output_bytes",
      "total_net_repl_input_bytes",
      "total_net_repl_output_bytes",
      "instantaneous_input_kbps",
      "instantaneous_output_kbps",
      "instantaneous_input_repl_kbps",
      "instantaneous_output_repl_kbps",
      "rejected_connections",
      "sync_full",
      "sync_partial_ok",
      "sync_partial_err",
      "expired_keys",
      "expired_stale_perc",
      "expired_time_cap_reached_count",
      "expire_cycle_cpu_milliseconds",
      "evicted_keys",
      "evicted_clients",
      "total_eviction_exceeded_time",
      "current_eviction_exceeded_time",
      "keyspace_hits",
      "keyspace_misses",
      "pubsub_channels",
      "pubsub_patterns",
      "pubsubshard_channels",
      "latest_fork_usec",
      "total_forks",
      "migrate_cached_sockets",
      "slave_expires_tracked_keys",
      "active_defrag_hits",
      "active_defrag_misses",
      "active_defrag_key_hits",
      "active_defrag_key_misses",
      "total_active_defrag_time",
      "current_active_defrag_time",
      "tracking_total_keys",
      "tracking_total_items",
      "tracking_total_prefixes",
      "unexpected_error_replies",
      "total_error_replies",
      "dump_payload_sanitizations",
      "total_reads_processed",
      "total_writes_processed",
      "io_threaded_reads_processed",
      "io_threaded_writes_processed",
      "reply_buffer_shrinks",
      "reply_buffer_expands"}},
    {"Replication",
     {"role", "connected_slaves", "master_failover_state", "master_replid", "master_replid2",
      "master_repl_offset", "second_repl_offset", "repl_backlog_active", "repl_backlog_size",
      "repl_backlog_first_byte_offset", "repl_backlog_histlen"}},
    {"CPU",
     {"used_cpu_sys", "used_cpu_user", "used_cpu_sys_children", "used_cpu_user_children",
      "used_cpu_sys_main_thread", "used_cpu_user_main_thread"}},
    {"Modules", {}},
    {"Commandstats", {}},
    {"Errorstats", {}},
    {"Latencystats", {}},
    {"Cluster", {"cluster_enabled"}},
    {"Keyspace", {}},
};

// What kvd prints beyond Redis 7.0.15: its own version, and counters from
// Redis 7.2 (eventloop_*) and of its own (the buffer-limit disconnections).
const std::map<std::string, Names> kKvdExtras = {
    {"Server", {"kvd_version"}},
    {"Stats",
     {"client_query_buffer_limit_disconnections", "client_output_buffer_limit_disconnections",
      "eventloop_cycles", "eventloop_duration_sum", "eventloop_duration_cmd_sum",
      "instantaneous_eventloop_cycles_per_sec", "instantaneous_eventloop_duration_usec",
      "loop_stalls", "loop_stall_longest_ms", "io_transport", "io_rounds", "io_reads_per_round",
      "io_writes_per_round", "io_uring_enters", "io_syscalls_saved", "accept_queue_length",
      "accept_queue_backlog", "accept_queue_drops"}},
};

// Sections in order, each with its field names in order.
std::vector<std::pair<std::string, Names>> sections_of(const std::string& reply) {
  std::vector<std::pair<std::string, Names>> out;
  const std::string text = reply.substr(reply.find("\r\n") + 2);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find("\r\n", pos);
    if (end == std::string::npos) break;
    std::string line = text.substr(pos, end - pos);
    pos = end + 2;
    if (line.empty()) continue;
    if (line[0] == '#') {
      out.emplace_back(line.substr(2), Names{});
    } else if (!out.empty()) {
      out.back().second.push_back(line.substr(0, line.find(':')));
    }
  }
  return out;
}

TEST(InfoFields, EverythingHasRedisSectionsInRedisOrder) {
  EngineHarness h;
  auto kvd = sections_of(h.run({"INFO", "everything"}));
  Names titles, redis_titles;
  for (const auto& [title, names] : kvd) titles.push_back(title);
  for (const auto& [title, names] : kRedisFields) redis_titles.push_back(title);
  EXPECT_EQ(titles, redis_titles);
}

TEST(InfoFields, EveryRedisFieldInRedisOrderAndNothingElse) {
  EngineHarness h;
  // Data makes the dynamic lines appear; they are left out of the comparison.
  h.run({"SET", "k", "v"});
  h.run({"GET", "k", "extra"});
  std::map<std::string, Names> kvd;
  for (auto& [title, names] : sections_of(h.run({"INFO", "everything"}))) kvd[title] = names;
  for (const auto& [title, redis_names] : kRedisFields) {
    Names got;
    for (const auto& n : kvd[title]) {
      if (n.rfind("cmdstat_", 0) == 0 || n.rfind("errorstat_", 0) == 0 ||
          n.rfind("latency_percentiles_usec_", 0) == 0 || (n.rfind("db", 0) == 0 && n.size() > 2))
        continue;
      got.push_back(n);
    }
    // kvd's list is Redis's with kvd's extras taken out...
    const Names extras = kKvdExtras.count(title) ? kKvdExtras.at(title) : Names{};
    Names without_extras;
    for (const auto& n : got) {
      if (std::find(extras.begin(), extras.end(), n) == extras.end()) without_extras.push_back(n);
    }
    EXPECT_EQ(without_extras, redis_names) << "section " << title;
    // ... and every extra is there.
    for (const auto& x : extras) {
      EXPECT_NE(std::find(got.begin(), got.end(), x), got.end()) << title << ": " << x;
    }
  }
}

TEST(InfoFields, DynamicLinesAppearWithData) {
  EngineHarness h;
  h.run({"SET", "k", "v"});
  h.run({"GET", "k", "extra"});
  auto s = h.run({"INFO", "everything"});
  EXPECT_NE(s.find("cmdstat_set:calls=1,"), std::string::npos);
  EXPECT_NE(s.find("errorstat_ERR:count=1"), std::string::npos);
  EXPECT_NE(s.find("latency_percentiles_usec_set:p50="), std::string::npos);
  EXPECT_NE(s.find("db0:keys=1,expires=0,avg_ttl=0"), std::string::npos);
}

// CONFIG RESETSTAT zeroes the replication sync counters too, as Redis's
// resetServerStats does (tests compare them before and after a resync).
TEST(InfoFields, ResetstatZeroesSyncCounters) {
  EngineHarness h;
  auto& repl = h.engine().repl();
  repl.sync_full = 2;
  repl.sync_partial_ok = 3;
  repl.sync_partial_err = 4;
  ASSERT_EQ(h.run({"CONFIG", "RESETSTAT"}), kOk);
  auto s = h.run({"INFO", "stats"});
  EXPECT_NE(s.find("sync_full:0\r\n"), std::string::npos);
  EXPECT_NE(s.find("sync_partial_ok:0\r\n"), std::string::npos);
  EXPECT_NE(s.find("sync_partial_err:0\r\n"), std::string::npos);
}

}  // namespace
}  // namespace kvd::test
