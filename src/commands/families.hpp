#pragma once

#include "kvd/engine/command.hpp"

// Each family adds its commands to the table (src/commands/<family>_commands.cpp).
// registry.cpp calls them all; the order is COMMAND's order.
namespace kvd::commands {

void register_connection_commands(engine::CommandTable& t);
void register_acl_commands(engine::CommandTable& t);
void register_cluster_commands(engine::CommandTable& t);
// Once every family is in: each command's ACL key permissions, where they
// are the same for all its keys (the permission check's fast path).
void set_acl_key_perms(engine::CommandTable& t);
void register_server_commands(engine::CommandTable& t);
void register_debug_commands(engine::CommandTable& t);
void register_config_commands(engine::CommandTable& t);
void register_client_commands(engine::CommandTable& t);
void register_command_commands(engine::CommandTable& t);
void register_info_commands(engine::CommandTable& t);
void register_key_commands(engine::CommandTable& t);
void register_expire_commands(engine::CommandTable& t);
void register_string_commands(engine::CommandTable& t);
void register_bitmap_commands(engine::CommandTable& t);
void register_zset_commands(engine::CommandTable& t);
void register_zset_range_commands(engine::CommandTable& t);
void register_zset_setop_commands(engine::CommandTable& t);
void register_geo_commands(engine::CommandTable& t);
void register_list_commands(engine::CommandTable& t);
void register_hash_commands(engine::CommandTable& t);
void register_set_commands(engine::CommandTable& t);
void register_hyperloglog_commands(engine::CommandTable& t);
void register_memory_commands(engine::CommandTable& t);
void register_transaction_commands(engine::CommandTable& t);
void register_pubsub_commands(engine::CommandTable& t);
void register_sort_commands(engine::CommandTable& t);
void register_monitor_commands(engine::CommandTable& t);
void register_slowlog_commands(engine::CommandTable& t);
void register_latency_commands(engine::CommandTable& t);
void register_dump_commands(engine::CommandTable& t);
void register_migrate_commands(engine::CommandTable& t);
void register_stream_commands(engine::CommandTable& t);
void register_stream_group_commands(engine::CommandTable& t);
void register_scripting_commands(engine::CommandTable& t);
void register_function_commands(engine::CommandTable& t);
void register_persistence_commands(engine::CommandTable& t);
void register_replication_commands(engine::CommandTable& t);

}  // namespace kvd::commands
