#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kvd/engine/latency_histogram.hpp"
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
// The flags of an invocation whose arguments change them (EVAL and FCALL
// take a script's: see scripting_commands.cpp).
using FlagsFinder = uint32_t (*)(Engine&, Args, uint32_t declared);
// Whether args[i] of this command carries a secret (a password) that MONITOR
// shows as "(redacted)".
using SecretArgs = bool (*)(Args args, size_t i);

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
  // Refused while a replica loads a full sync in the background in Redis;
  // kvd never loads asynchronously, so it is only shown in COMMAND INFO.
  kNoAsyncLoading = 1u << 20,

  // kvd's own rules, which Redis decides by comparing command names. COMMAND
  // INFO does not show them.
  //
  // Runs at once inside MULTI instead of being queued (MULTI, EXEC, DISCARD,
  // WATCH, QUIT, RESET).
  kNoQueue = 1u << 24,
  // Ends the transaction or the connection, so it may run inside MULTI while
  // memory is over maxmemory (EXEC, DISCARD, QUIT, RESET).
  kEndsMulti = 1u << 25,
  // Runs the queued transaction: a refusal (OOM, BUSY) discards it with
  // EXECABORT (EXEC).
  kRunsQueue = 1u << 26,
  // Allowed on a RESP2 connection in subscribed state ((P|S)(UN)SUBSCRIBE,
  // PING, QUIT, RESET).
  kSubscribedOk = 1u << 27,
  // Refused unless enable-debug-command allows the client (DEBUG).
  kDebugGated = 1u << 28,
  // May lazily expire keys it did not name (SCAN, RANDOMKEY): run directly,
  // the DELs of those keys propagate one by one, not wrapped in MULTI/EXEC
  // (Redis's hidden CMD_TOUCHES_ARBITRARY_KEYS).
  kTouchesArbitraryKeys = 1u << 29,
};

// ACL categories, in the order Redis lists them (COMMAND INFO, ACL CAT).
enum AclCategory : uint32_t {
  kAclKeyspace = 1u << 0,
  kAclRead = 1u << 1,
  kAclWrite = 1u << 2,
  kAclSet = 1u << 3,
  kAclSortedSet = 1u << 4,
  kAclList = 1u << 5,
  kAclHash = 1u << 6,
  kAclString = 1u << 7,
  kAclBitmap = 1u << 8,
  kAclHyperLogLog = 1u << 9,
  kAclGeo = 1u << 10,
  kAclStream = 1u << 11,
  kAclPubsub = 1u << 12,
  kAclAdmin = 1u << 13,
  kAclFast = 1u << 14,
  kAclSlow = 1u << 15,
  kAclBlocking = 1u << 16,
  kAclDangerous = 1u << 17,
  kAclConnection = 1u << 18,
  kAclTransaction = 1u << 19,
  kAclScripting = 1u << 20,
};

// "@read", "@string", "@fast" ... for the bits set, in Redis's order.
std::vector<std::string> acl_category_names(uint32_t categories);
// Every category name without the "@", in Redis's order (ACL CAT).
const std::vector<std::string_view>& all_acl_categories();

// Which arguments of a command name Pub/Sub channels, for ACL channel rules
// (Redis's channel specs): PUBLISH's first, SUBSCRIBE's every one, ...
enum class ChannelArgs : uint8_t {
  kNone,
  kPublish,            // args[1]
  kSubscribe,          // args[1..]
  kSubscribePatterns,  // args[1..], matched literally against the rules
  kUnsubscribe,        // args[1..], never refused
};

// Counters INFO commandstats reports for one command, and its latency
// histogram (INFO latencystats, LATENCY HISTOGRAM; kept while
// latency-tracking is on).
struct CommandStats {
  uint64_t calls = 0;
  uint64_t usec = 0;
  uint64_t rejected_calls = 0;
  uint64_t failed_calls = 0;
  LatencyHistogram histogram;
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
  uint32_t acl_categories = 0;  // AclCategory bits
  Handler handler = nullptr;
  std::string group;  // "string", "keyspace", "server", "connection", ...
  std::string summary;
  std::string since;
  std::string complexity;
  KeyFinder key_finder = nullptr;
  SecretArgs secret_args = nullptr;
  FlagsFinder flags_finder = nullptr;
  ChannelArgs channels = ChannelArgs::kNone;
  std::vector<CommandSpec> subcommands;
  // What an ACL key rule must allow for every key of this command (AclKeyPerm
  // bits) when that is the same for all its keys: the permission check then
  // walks first_key/last_key/key_step without asking the key specs. 0: ask
  // them (CommandTable::key_access). acl_key_perms_of: the same when the
  // arguments decide it (SET ... GET reads too).
  uint32_t acl_key_perms = 0;
  uint32_t (*acl_key_perms_of)(Args args) = nullptr;

  // Filled in by the table.
  uint32_t id = 0;       // dense, for ACL command bitmaps
  std::string fullname;  // "config|get"
  const CommandSpec* parent = nullptr;
  mutable CommandStats stats;
};

// Each key of an invocation with the AclKeyPerm bits (engine/acl.hpp) its
// key spec asks for: read for an accessing spec, write for one that
// inserts, updates or deletes. The commands layer knows the key specs.
// `positions` are the invocation's keys as key_positions() finds them.
using KeyAccessFinder = std::vector<std::pair<int, uint32_t>> (*)(
    const CommandSpec&, Args, const std::vector<int>& positions);

class CommandTable {
 public:
  void add(CommandSpec spec);
  // Case-insensitive; nullptr when unknown.
  const CommandSpec* find(std::string_view name) const;
  const CommandSpec* find_sub(const CommandSpec& parent, std::string_view name) const;
  const std::vector<const CommandSpec*>& all() const { return ordered_; }
  // Key positions of a concrete invocation (COMMAND GETKEYS, later ACL/cluster).
  std::vector<int> key_positions(const CommandSpec& spec, Args args) const;
  // rename-command: the command answers to `to` instead of `from` (an empty
  // `to` disables it). Its declaration keeps its own name, as in Redis.
  // False when `from` is not a command.
  bool rename(std::string_view from, std::string_view to);
  // Every command and subcommand by CommandSpec::id, renamed or disabled
  // ones included (ACL rules name commands as declared, as Redis's do).
  const std::vector<const CommandSpec*>& by_id() const { return by_id_; }
  // By declared full name ("get", "config|get"), case-insensitive.
  const CommandSpec* find_declared(std::string_view fullname) const;
  void set_key_access(KeyAccessFinder f) { key_access_ = f; }
  // Lets the commands layer complete every declaration once the table is
  // built (the ACL key permissions above).
  template <class F>
  void update_all(F f) {
    for (const CommandSpec* s : by_id_) f(const_cast<CommandSpec&>(*s));
  }
  // The keys ACL key rules check, with what the command does to each
  // (every key read and written when no finder is set).
  std::vector<std::pair<int, uint32_t>> key_access(const CommandSpec& spec, Args args) const;

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
  // Gives the spec and its subcommands their ids.
  void number(CommandSpec& spec);
  std::unordered_map<std::string, std::unique_ptr<CommandSpec>, NameHash, NameEq> by_name_;
  std::vector<const CommandSpec*> ordered_;
  // Disabled by rename-command to "": kept alive, code may hold pointers.
  std::vector<std::unique_ptr<CommandSpec>> disabled_;
  std::vector<const CommandSpec*> by_id_;
  std::unordered_map<std::string, const CommandSpec*, NameHash, NameEq> by_fullname_;
  KeyAccessFinder key_access_ = nullptr;
};

std::vector<std::string> flag_names(uint32_t flags);

// Redis's arity rule: N means exactly N arguments, -N at least N.
bool arity_ok(int arity, size_t argc);

// Whether args[i] of a command line (MONITOR) is a secret, as its
// declaration says.
bool secret_argument(const CommandSpec& spec, Args args, size_t i);

}  // namespace kvd::engine
