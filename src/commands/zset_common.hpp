#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "command_helpers.hpp"
#include "declare.hpp"
#include "kvd/engine/types/zset.hpp"

// Pieces of the sorted set commands that GEO* and the blocking pops reuse.
namespace kvd::commands {

// The zset-max-listpack-* limits in force.
ZSet::Limits zset_limits(const CommandContext& ctx);
// The sorted set of an entry already checked to hold one (nullptr for nullptr).
ZSet* zset_of(Entry* e);
// A new empty set in the encoding Redis would pick for its first member.
ZSet* new_zset_for(const CommandContext& ctx, std::string_view first_member);
// WATCH + keyspace notification ('z' class) for a modified sorted set.
void zset_touched(CommandContext& ctx, std::string_view key, const char* event);
// Deletes the key when its set became empty (with the "del" notification).
bool zset_drop_if_empty(CommandContext& ctx, std::string_view key, ZSet* z);

// Replies count WITHSCORES-style pairs: flat in RESP2, [member, score]
// arrays in RESP3.
void reply_pairs_header(CommandContext& ctx, size_t count, bool withscores);
void reply_pair(CommandContext& ctx, std::string_view m, double s, bool withscores);

// Pops up to `count` lowest (or highest) elements and replies them, as
// ZPOPMIN/ZMPOP/BZPOPMIN do: nested [member, score] pairs or a flat list,
// optionally led by the key. Returns true when the key was deleted.
bool pop_zset(CommandContext& ctx, std::string_view key, ZSet* z, bool max, int64_t count,
              bool nested, bool emit_key);

// ZADD on ctx.args (GEOADD rewrites its arguments into a ZADD).
void zadd_command(CommandContext& ctx);

// ZMPOP/BZMPOP arguments from numkeys on.
// getRangeLongFromObjectOrReply: an integer within [lo, hi]; otherwise replies
// `msg` (or Redis's generic errors when null) and returns false.
bool arg_range(CommandContext& ctx, std::string_view s, int64_t lo, int64_t hi, const char* msg,
               int64_t* v);

// Key positions of the numkeys forms: ZUNIONSTORE dst numkeys key ... (keys_store),
// ZUNION/ZMPOP numkeys key ... (keys_numkeys1), BZMPOP timeout numkeys key ...
// (keys_numkeys2).
std::vector<int> keys_store(Args args);
std::vector<int> keys_numkeys1(Args args);
std::vector<int> keys_numkeys2(Args args);

struct ZMPopArgs {
  std::vector<std::string_view> keys;
  bool max = false;
  int64_t count = 1;
};
bool parse_zmpop(CommandContext& ctx, size_t numkeys_idx, ZMPopArgs* a);

}  // namespace kvd::commands
