#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kvd/protocol/reply_writer.hpp"

namespace kvd::engine {

class Engine;
class Database;
struct Client;

using Args = std::span<const std::string_view>;

// Everything a command handler may touch. Handlers never see sockets.
struct CommandContext {
  Engine& engine;
  Client& client;
  Args args;  // args[0] is the command name as the client sent it
  protocol::ReplyWriter& out;
  Database& db;  // the client's selected database
  int64_t now_ms;
  // Changes this command made (INFO rdb_changes_since_last_save). Left at -1,
  // the dispatcher counts 1 for a write command that did not reply an error;
  // handlers that know better (SETBIT of an unchanged bit) set it.
  int64_t dirty = -1;
};

using Handler = void (*)(CommandContext&);
// Key positions for commands whose keys cannot be described by first/last/step.
using KeyFinder = std::vector<int> (*)(Args);

enum CommandFlag : uint32_t {
  kWrite = 1u << 0,
  kReadonly = 1u << 1,
  kDenyOom = 1u << 2,
  kAdmin = 1u << 3,
  kPubsub = 1u << 4,
  kNoscript = 1u << 5,
  kBlocking = 1u << 6,
  kLoading = 1u << 7,
  kStale = 1u << 8,
  kSkipMonitor = 1u << 9,
  kSkipSlowlog = 1u << 10,
  kFast = 1u << 11,
  kNoAuth = 1u << 12,
  kMayReplicate = 1u << 13,
  kNoMandatoryKeys = 1u << 14,
  kNoMulti = 1u << 15,
  kMovableKeys = 1u << 16,
  kAllowBusy = 1u << 17,
  kSentinel = 1u << 18,
  kProtected = 1u << 19,
};

// Counters INFO commandstats reports for one command.
struct CommandStats {
  uint64_t calls = 0;
  uint64_t usec = 0;
  uint64_t rejected_calls = 0;
  uint64_t failed_calls = 0;
};

// The one declaration of a command: it drives dispatch, arity checks, COMMAND
// INFO/DOCS/LIST/GETKEYS and the per-command statistics.
struct CommandSpec {
  std::string name;  // lower case, e.g. "get"; subcommands: "get" under "config"
  int arity = 0;     // Redis convention: -N means at least N arguments
  uint32_t flags = 0;
  int first_key = 0;
  int last_key = 0;  // -1: the last argument, -2: the one before, ...
  int key_step = 0;
  std::string acl;  // e.g. "@read @string @fast"
  Handler handler = nullptr;
  std::string group;  // "string", "keyspace", "server", "connection", ...
  std::string summary;
  std::string since;
  std::string complexity;
  KeyFinder key_finder = nullptr;
  std::vector<CommandSpec> subcommands;

  // Filled in by the table.
  std::string fullname;  // "config|get"
  const CommandSpec* parent = nullptr;
  mutable CommandStats stats;
};

class CommandTable {
 public:
  void add(CommandSpec spec);
  // Case-insensitive; nullptr when unknown.
  const CommandSpec* find(std::string_view name) const;
  const CommandSpec* find_sub(const CommandSpec& parent, std::string_view name) const;
  const std::vector<const CommandSpec*>& all() const { return ordered_; }
  // Key positions of a concrete invocation (COMMAND GETKEYS, later ACL/cluster).
  std::vector<int> key_positions(const CommandSpec& spec, Args args) const;

 private:
  // Case-insensitive hashing and comparison, so lookups take the client's bytes
  // as they are: no lower-casing copy, no allocation per command.
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const {
      uint64_t h = 1469598103934665603ull;
      for (char c : s) h = (h ^ static_cast<unsigned char>(c | 0x20)) * 1099511628211ull;
      return h;
    }
  };
  struct NameEq {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const;
  };
  std::unordered_map<std::string, std::unique_ptr<CommandSpec>, NameHash, NameEq> by_name_;
  std::vector<const CommandSpec*> ordered_;
};

std::vector<std::string> flag_names(uint32_t flags);

// Redis's arity rule: N means exactly N arguments, -N at least N.
bool arity_ok(int arity, size_t argc);

// Whether args[i] carries a secret that MONITOR and the slow log show as
// "(redacted)", as Redis does: every argument of AUTH, the user name and
// password after HELLO's AUTH, and the value of a password-like parameter in
// CONFIG SET.
bool secret_argument(Args args, size_t i);

// Each command family registers itself through one of these (src/engine/commands/).
void register_connection_commands(CommandTable& t);
void register_slowlog_commands(CommandTable& t);
void register_dump_commands(CommandTable& t);
void register_server_commands(CommandTable& t);
void register_config_commands(CommandTable& t);
void register_client_commands(CommandTable& t);
void register_command_commands(CommandTable& t);
void register_info_commands(CommandTable& t);
void register_key_commands(CommandTable& t);
void register_expire_commands(CommandTable& t);
void register_string_commands(CommandTable& t);
void register_bitmap_commands(CommandTable& t);
void register_zset_commands(CommandTable& t);
void register_geo_commands(CommandTable& t);
void register_list_commands(CommandTable& t);
void register_hash_commands(CommandTable& t);
void register_set_commands(CommandTable& t);
void register_hyperloglog_commands(CommandTable& t);
void register_memory_commands(CommandTable& t);
// Wires SORT and the zset set-inputs to the collection types (types/type_adapters.cpp).
void install_type_adapters();
void register_transaction_commands(CommandTable& t);
void register_pubsub_commands(CommandTable& t);
void register_sort_commands(CommandTable& t);
void register_monitor_commands(CommandTable& t);
void register_stream_commands(CommandTable& t);
void register_stream_group_commands(CommandTable& t);
void register_scripting_commands(CommandTable& t);
void register_persistence_commands(CommandTable& t);

}  // namespace kvd::engine
