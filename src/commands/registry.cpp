#include "kvd/commands/registry.hpp"

#include "families.hpp"

namespace kvd::commands {

engine::CommandTable all_commands() {
  engine::CommandTable t;
  register_connection_commands(t);
  register_acl_commands(t);
  register_server_commands(t);
  register_debug_commands(t);
  register_config_commands(t);
  register_client_commands(t);
  register_command_commands(t);
  register_info_commands(t);
  register_key_commands(t);
  register_expire_commands(t);
  register_string_commands(t);
  register_bitmap_commands(t);
  register_zset_commands(t);
  register_zset_range_commands(t);
  register_zset_setop_commands(t);
  register_geo_commands(t);
  register_list_commands(t);
  register_hash_commands(t);
  register_set_commands(t);
  register_hyperloglog_commands(t);
  register_memory_commands(t);
  register_transaction_commands(t);
  register_pubsub_commands(t);
  register_sort_commands(t);
  register_monitor_commands(t);
  register_slowlog_commands(t);
  register_latency_commands(t);
  register_dump_commands(t);
  register_migrate_commands(t);
  register_stream_commands(t);
  register_stream_group_commands(t);
  register_scripting_commands(t);
  register_function_commands(t);
  register_persistence_commands(t);
  register_replication_commands(t);
  register_cluster_commands(t);
  set_acl_key_perms(t);
  return t;
}

}  // namespace kvd::commands
