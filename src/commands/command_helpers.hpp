#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "declare.hpp"
#include "kvd/engine/command.hpp"
#include "kvd/engine/database.hpp"
#include "kvd/engine/engine.hpp"
#include "kvd/engine/errors.hpp"

// Small helpers shared by the command families: key lookups with Redis's
// accounting (hits/misses, LRU touch, lazy expiry) and argument parsing that
// replies with Redis's error on failure.
namespace kvd::commands {

// Looks a key up for reading: expires it lazily, counts keyspace hits/misses
// and refreshes its access time (unless the client set CLIENT NO-TOUCH).
Entry* lookup_read(CommandContext& ctx, std::string_view key);
// Looks a key up for writing: lazy expiry, no hit/miss accounting.
Entry* lookup_write(CommandContext& ctx, std::string_view key);
// Like lookup_read but leaves the access time alone (EXISTS, TYPE, TTL, OBJECT),
// as Redis's LOOKUP_NOTOUCH: hits/misses are still counted.
Entry* lookup_read_notouch(CommandContext& ctx, std::string_view key);
// Like lookup_read but replies WRONGTYPE and returns false if the key holds
// another type. *out is nullptr when the key does not exist.
bool lookup_read_typed(CommandContext& ctx, std::string_view key, ValueType type, Entry** out);
bool lookup_write_typed(CommandContext& ctx, std::string_view key, ValueType type, Entry** out);

// Parse helpers: on failure they reply with the error and return false.
bool arg_int64(CommandContext& ctx, std::string_view s, int64_t* out);
bool arg_double(CommandContext& ctx, std::string_view s, double* out);
// A database number (SELECT, MOVE, COPY DB, SWAPDB): not an int -> "value is not
// an integer or out of range"; outside 0..databases-1 -> "DB index is out of range".
bool arg_db_index(CommandContext& ctx, std::string_view s, int* out);
// Absolute expiry time from EX/PX/EXAT/PXAT style input; replies "invalid expire
// time in '<cmd>' command" when the value is <= 0 (relative) or would overflow.
bool arg_expire(CommandContext& ctx, std::string_view s, bool milliseconds, bool absolute,
                int64_t* when_ms);

// Reply with the "invalid expire time in '%s' command" error for this command.
void reply_invalid_expire(CommandContext& ctx);

// Lower-cased name of the running command, as Redis prints it in errors.
std::string command_name(const CommandContext& ctx);

// Reply "wrong number of arguments" for commands whose arity rule is more than
// the table can express (MSET's key/value pairs).
void reply_arity_error(CommandContext& ctx);

// Value keeps string lengths in 32 bits and grows capacity by up to 1MB past the
// requested length, so no string may come closer than that to 4GB.
inline constexpr int64_t kMaxValueBytes = 0xFFFFFFFFll - (1ll << 20);

// Largest string a command may build: proto-max-bulk-len, bounded by what a
// Value can hold.
int64_t max_string_bytes(const CommandContext& ctx);
// Replies "string exceeds maximum allowed size" and returns false when growing a
// string of `size` bytes by `append` bytes would pass max_string_bytes().
bool check_string_length(CommandContext& ctx, uint64_t size, uint64_t append);

// Key positions of the "numkeys key ..." form: numkeys at args[numkeys_idx],
// after the destination at args[1] when with_dst (ZUNIONSTORE, EVAL, FCALL).
std::vector<int> keys_numkeys_at(Args args, int numkeys_idx, bool with_dst);

// The command's effect in the propagation stream (AOF, replicas) is `argv`
// instead of its own arguments: a deterministic form (absolute expiry
// times, the members SPOP took, the value INCRBYFLOAT computed). Call it
// once per effect; nothing is recorded when nobody consumes the stream.
inline void propagate_as(CommandContext& ctx, std::initializer_list<std::string_view> argv) {
  Propagation& p = ctx.engine.propagation();
  if (p.active()) p.replace(ctx.db.id(), effect_argv(argv));
}
inline void propagate_as(CommandContext& ctx, std::vector<std::string> argv) {
  Propagation& p = ctx.engine.propagation();
  if (p.active()) p.replace(ctx.db.id(), std::move(argv));
}

}  // namespace kvd::commands
