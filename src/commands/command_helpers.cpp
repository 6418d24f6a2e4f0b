#include "command_helpers.hpp"

#include <algorithm>
#include <climits>

#include "declare.hpp"
#include "kvd/common/strings.hpp"

namespace kvd::commands {

Entry* lookup_read(CommandContext& ctx, std::string_view key) {
  Entry* e = ctx.db.find(key, ctx.now_ms);
  if (e) {
    ++ctx.engine.stats().keyspace_hits;
    if (!ctx.client.no_touch) ctx.engine.access_tracking().touch(e, ctx.now_ms);
  } else {
    ++ctx.engine.stats().keyspace_misses;
  }
  return e;
}

Entry* lookup_write(CommandContext& ctx, std::string_view key) {
  Entry* e = ctx.db.find_for_write(key, ctx.now_ms);
  if (e) ctx.engine.access_tracking().touch(e, ctx.now_ms);
  return e;
}

Entry* lookup_read_notouch(CommandContext& ctx, std::string_view key) {
  Entry* e = ctx.db.find(key, ctx.now_ms);
  ++(e ? ctx.engine.stats().keyspace_hits : ctx.engine.stats().keyspace_misses);
  return e;
}

static bool check_type(CommandContext& ctx, Entry* e, ValueType type, Entry** out) {
  if (e && e->value.type() != type) {
    ctx.out.error(err::kWrongType);
    return false;
  }
  *out = e;
  return true;
}

bool lookup_read_typed(CommandContext& ctx, std::string_view key, ValueType type, Entry** out) {
  return check_type(ctx, lookup_read(ctx, key), type, out);
}

bool lookup_write_typed(CommandContext& ctx, std::string_view key, ValueType type, Entry** out) {
  return check_type(ctx, lookup_write(ctx, key), type, out);
}

bool arg_int64(CommandContext& ctx, std::string_view s, int64_t* out) {
  if (!parse_int64(s, out)) {
    ctx.out.error(err::kNotInteger);
    return false;
  }
  return true;
}

bool arg_double(CommandContext& ctx, std::string_view s, double* out) {
  if (!parse_double(s, out)) {
    ctx.out.error(err::kNotFloat);
    return false;
  }
  return true;
}

bool arg_db_index(CommandContext& ctx, std::string_view s, int* out) {
  int64_t v;
  if (!parse_int64(s, &v) || v < INT_MIN || v > INT_MAX) {
    ctx.out.error(err::kNotInteger);
    return false;
  }
  if (v < 0 || v >= ctx.engine.db_count()) {
    ctx.out.error(err::kDbIndex);
    return false;
  }
  *out = static_cast<int>(v);
  return true;
}

std::string command_name(const CommandContext& ctx) {
  return to_lower(ctx.args[0]);
}

void reply_invalid_expire(CommandContext& ctx) {
  ctx.out.error("ERR invalid expire time in '" + command_name(ctx) + "' command");
}

bool arg_expire(CommandContext& ctx, std::string_view s, bool milliseconds, bool absolute,
                int64_t* when_ms) {
  int64_t v;
  if (!arg_int64(ctx, s, &v)) return false;
  if (v <= 0 || (!milliseconds && v > LLONG_MAX / 1000)) {
    reply_invalid_expire(ctx);
    return false;
  }
  if (!milliseconds) v *= 1000;
  if (!absolute) {
    if (v > LLONG_MAX - ctx.now_ms) {
      reply_invalid_expire(ctx);
      return false;
    }
    v += ctx.now_ms;
  }
  *when_ms = v;
  return true;
}

void reply_arity_error(CommandContext& ctx) {
  ctx.out.error("ERR wrong number of arguments for '" + command_name(ctx) + "' command");
}

int64_t max_string_bytes(const CommandContext& ctx) {
  return std::min(ctx.engine.config().v().proto_max_bulk_len, kMaxValueBytes);
}

bool check_string_length(CommandContext& ctx, uint64_t size, uint64_t append) {
  uint64_t limit = static_cast<uint64_t>(max_string_bytes(ctx));
  // Compared piecewise so a hostile size cannot wrap the sum below the limit.
  if (size > limit || append > limit - size) {
    ctx.out.error(err::kStringTooLong);
    return false;
  }
  return true;
}

// Keys given as "numkeys key ..." with numkeys at args[numkeys_idx], and
// with_dst the destination at args[1] first (ZUNIONSTORE, EVAL, FCALL ...).
std::vector<int> keys_numkeys_at(Args args, int numkeys_idx, bool with_dst) {
  std::vector<int> keys;
  if (with_dst) keys.push_back(1);
  int64_t n;
  if (static_cast<int>(args.size()) <= numkeys_idx || !parse_int64(args[numkeys_idx], &n) || n < 0)
    return keys;
  // More keys than arguments: no keys at all, as Redis's key specs say for
  // a command line that will fail anyway (the ACL check lets it through).
  if (n > static_cast<int64_t>(args.size()) - numkeys_idx - 1) return {};
  for (int64_t i = 0; i < n; ++i) {
    keys.push_back(static_cast<int>(numkeys_idx + 1 + i));
  }
  return keys;
}

}  // namespace kvd::commands
