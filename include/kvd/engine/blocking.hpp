#pragma once

// Blocking commands (BLPOP & co., BZPOPMIN & co.): a client waits on keys until
// another client's write makes one of them ready, or its timeout passes.
//
// How a blocking command uses this API (the handler runs once per attempt):
//
//   void cmd_bzpopmin(CommandContext& ctx) {
//     int64_t deadline;
//     if (!arg_block_timeout(ctx, ctx.args.back(), &deadline)) return;  // replied
//     for (each key k in the command) {
//       if (!may_serve_key(ctx, k)) continue;   // on a retry only the ready key
//       Entry* e = lookup_write(ctx, k);
//       if (!e) continue;
//       if (e->value.type() != ValueType::kZSet) {
//         if (is_block_retry(ctx)) continue;    // not ready after all: stay blocked
//         ctx.out.error(err::kWrongType);
//         return;
//       }
//       ...pop, reply, signal_modified_key, notify_keyspace_event...
//       return;
//     }
//     block_on_keys(ctx, keys, deadline);  // then just return
//   }
//
// block_on_keys() does the right thing in every situation:
//  - normal call: records the client as waiting on the keys (FIFO per key),
//    copies argv, sets client.blocked = true. No reply is written now.
//  - inside MULTI/EXEC (client.in_exec): replies a null array, as Redis does for
//    a blocking command that cannot block.
//  - during a retry: writes nothing and leaves the client blocked.
//
// When a write calls Engine::signal_key_ready(db, key) for a key somebody waits
// on, Engine::after_command (after the writing command, or after EXEC) re-runs
// each waiter's original argv through the command's handler, FIFO, with
// is_block_retry(ctx) == true and ctx.out = the waiter's client.writer. If the
// handler replied (anything but calling block_on_keys), the waiter is unblocked,
// its connection flushed and resumed. A retry runs with the db the client was
// in when it blocked, and ready_key(ctx) names the key that became ready: a
// command waiting on several keys serves that one, as Redis does.
//
// Timeouts reply a null array (RESP2 *-1, RESP3 _). CLIENT UNBLOCK id [TIMEOUT|
// ERROR] ends a wait early (unblock_client below).

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kvd/engine/command.hpp"

namespace kvd::engine {

class Engine;
struct Client;

// Per-client state while blocked (Client::block).
struct BlockState {
  int db = 0;
  std::vector<std::string> keys;  // distinct keys waited on
  std::vector<std::string> argv;  // the command to re-run when a key is ready
  int64_t deadline_ms = 0;        // absolute; 0 = wait forever
  // Set while the engine re-runs the command for this client.
  bool retrying = false;
  bool still_blocked = false;  // the retry called block_on_keys again
  std::string ready_key;
  // Time spent running the command so far (not waiting): the slow log
  // records the command once it is served, with this plus the last run.
  int64_t exec_us = 0;
};

// Parses a blocking timeout in (fractional) seconds into an absolute deadline in
// ms (0 = forever). Replies Redis's error and returns false on bad input.
bool arg_block_timeout(CommandContext& ctx, std::string_view s, int64_t* deadline_ms);

// Blocks the client on `keys` until `deadline_ms` (see the top of this file).
void block_on_keys(CommandContext& ctx, std::span<const std::string_view> keys,
                   int64_t deadline_ms);

// True while the engine re-runs a blocked command because a key became ready.
bool is_block_retry(const CommandContext& ctx);
// The key that became ready (empty when not retrying).
std::string_view ready_key(const CommandContext& ctx);
// False on a retry for keys other than the ready one.
bool may_serve_key(const CommandContext& ctx, std::string_view key);

// After SWAPDB/FLUSHDB: every key waited on in `db` is signalled ready (the
// waiter's retry checks existence and type), as Redis's scanDatabaseForReadyKeys
// and scanDatabaseForDeletedStreams.
void signal_ready_keys_in_db(Engine& e, int db);

// Clients currently blocked (INFO clients blocked_clients).
size_t blocked_client_count(Engine& e);
// Ends a client's wait as if it timed out (null array) or, with `error`, with
// "-UNBLOCKED client unblocked via CLIENT UNBLOCK". False if it was not blocked.
bool unblock_client(Engine& e, Client& c, bool error);
// REPLICAOF host port on a server with clients blocked on keys: each gets
// Redis's "-UNBLOCKED force unblock from blocking operation, instance state
// changed (master -> replica?)", as Redis answers it (Redis also closes the
// connection after it; here it stays open). Left waiting, it would pop what
// the new master's stream pushes, and the replica's data would part from its
// master's. Returns how many.
size_t unblock_all_for_role_change(Engine& e);

// The engine-wide registry behind the API above (kept in Engine::blocking()).
class BlockingRegistry {
 public:
  using KeyId = std::pair<int, std::string>;  // (db, key)

  std::map<KeyId, std::deque<Client*>> waiters;      // FIFO per key
  std::set<std::pair<int64_t, uint64_t>> deadlines;  // (deadline, client id)
  std::map<uint64_t, Client*> blocked;               // by client id
  std::vector<KeyId> ready;                          // keys signalled ready, in order
  std::set<KeyId> ready_set;                         // dedup of `ready`
};

}  // namespace kvd::engine
