// Sorted set commands: ZADD ZINCRBY ZREM ZCARD ZSCORE ZMSCORE ZRANK ZREVRANK
// ZCOUNT ZLEXCOUNT ZPOPMIN ZPOPMAX ZMPOP BZPOPMIN BZPOPMAX BZMPOP ZRANDMEMBER
// ZSCAN, and the helpers the other zset files share. Ranges are in
// zset_range_commands.cpp, ZUNION/ZINTER/ZDIFF in zset_setop_commands.cpp.
// Replies and errors follow Redis 7.0.
#include "zset_common.hpp"

#include "collection_helpers.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "declare.hpp"
#include "families.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/engine/blocking.hpp"
#include "kvd/engine/type_limits.hpp"
#include "kvd/engine/types/set.hpp"

namespace kvd::commands {

// ------------------------------------------------------------- shared helpers

ZSet::Limits zset_limits(const CommandContext& ctx) {
  return zset_limits(ctx.engine.config().v());
}

ZSet* zset_of(Entry* e) {
  return e ? static_cast<ZSet*>(e->value.object()) : nullptr;
}

ZSet* new_zset_for(const CommandContext& ctx, std::string_view first_member) {
  auto* z = new ZSet;
  ZSet::Limits lim = zset_limits(ctx);
  if (lim.max_entries == 0 || first_member.size() > lim.max_value) z->convert_to_skiplist();
  return z;
}

void zset_touched(CommandContext& ctx, std::string_view key, const char* event) {
  ctx.engine.signal_modified_key(ctx.db.id(), key);
  ctx.engine.notify_keyspace_event('z', event, key, ctx.db.id());
}

bool zset_drop_if_empty(CommandContext& ctx, std::string_view key, ZSet* z) {
  if (z->size() != 0) return false;
  ctx.db.remove(key);
  ctx.engine.notify_keyspace_event('g', "del", key, ctx.db.id());
  return true;
}

void reply_member_score(CommandContext& ctx, std::string_view m, double s, bool withscores) {
  ctx.out.bulk(m);
  if (withscores) ctx.out.dbl(s);
}

void reply_pairs_header(CommandContext& ctx, size_t count, bool withscores) {
  if (withscores && ctx.client.resp >= 3) {
    ctx.out.array(static_cast<int64_t>(count));
  } else {
    ctx.out.array(static_cast<int64_t>(withscores ? count * 2 : count));
  }
}

void reply_pair(CommandContext& ctx, std::string_view m, double s, bool withscores) {
  if (withscores && ctx.client.resp >= 3) ctx.out.array(2);
  reply_member_score(ctx, m, s, withscores);
}

bool pop_zset(CommandContext& ctx, std::string_view key, ZSet* z, bool max, int64_t count,
              bool nested, bool emit_key) {
  size_t n = std::min<size_t>(z->size(), static_cast<size_t>(count));
  if (emit_key && nested) {
    ctx.out.array(2);
    ctx.out.bulk(key);
    ctx.out.array(static_cast<int64_t>(n));
  } else if (emit_key) {
    ctx.out.array(static_cast<int64_t>(n * 2 + 1));
    ctx.out.bulk(key);
  } else {
    ctx.out.array(static_cast<int64_t>(nested ? n : n * 2));
  }
  size_t start = max ? z->size() - 1 : 0;
  z->for_range(start, n, max, [&](std::string_view m, double s) {
    if (nested) ctx.out.array(2);
    ctx.out.bulk(m);
    ctx.out.dbl(s);
  });
  z->erase_range(max ? z->size() - n : 0, n);
  ctx.dirty = static_cast<int64_t>(n);
  zset_touched(ctx, key, max ? "zpopmax" : "zpopmin");
  return zset_drop_if_empty(ctx, key, z);
}

// getRangeLongFromObjectOrReply: an integer within [lo, hi] or the given error.
bool arg_range(CommandContext& ctx, std::string_view s, int64_t lo, int64_t hi, const char* msg,
               int64_t* v) {
  // As Redis, a given message also stands for "not an integer".
  if (!parse_int64(s, v)) {
    ctx.out.error(msg ? msg : err::kNotInteger);
    return false;
  }
  if (*v < lo || *v > hi) {
    ctx.out.error(msg ? msg
                      : "ERR value is out of range, value must between -9223372036854775807 and "
                        "9223372036854775807");
    return false;
  }
  return true;
}

std::vector<int> keys_store(Args args) {
  return keys_numkeys_at(args, 2, true);
}
std::vector<int> keys_numkeys1(Args args) {
  return keys_numkeys_at(args, 1, false);
}
std::vector<int> keys_numkeys2(Args args) {
  return keys_numkeys_at(args, 2, false);
}

namespace {

// Uniform in [0, n): the high bits of the 128-bit product, not a modulo.
size_t random_below(size_t n) {
  return static_cast<size_t>((static_cast<unsigned __int128>(fast_random()) * n) >> 64);
}

// -------------------------------------------------------------------- ZADD

struct ZAddFlags {
  bool nx = false, xx = false, gt = false, lt = false, ch = false, incr = false;
};

void zadd_generic(CommandContext& ctx, bool incr_cmd) {
  std::string_view key = ctx.args[1];
  ZAddFlags f;
  f.incr = incr_cmd;
  size_t idx = 2;
  while (idx < ctx.args.size() && !incr_cmd) {
    std::string_view o = ctx.args[idx];
    if (iequals(o, "nx"))
      f.nx = true;
    else if (iequals(o, "xx"))
      f.xx = true;
    else if (iequals(o, "ch"))
      f.ch = true;
    else if (iequals(o, "incr"))
      f.incr = true;
    else if (iequals(o, "gt"))
      f.gt = true;
    else if (iequals(o, "lt"))
      f.lt = true;
    else
      break;
    ++idx;
  }
  size_t elements = ctx.args.size() - idx;
  if (elements % 2 || elements == 0) {
    ctx.out.error(err::kSyntax);
    return;
  }
  elements /= 2;
  if (f.nx && f.xx) {
    ctx.out.error("ERR XX and NX options at the same time are not compatible");
    return;
  }
  if ((f.gt && f.nx) || (f.lt && f.nx) || (f.gt && f.lt)) {
    ctx.out.error("ERR GT, LT, and/or NX options at the same time are not compatible");
    return;
  }
  if (f.incr && elements > 1) {
    ctx.out.error("ERR INCR option supports a single increment-element pair");
    return;
  }
  std::vector<double> scores(elements);
  for (size_t j = 0; j < elements; ++j) {
    if (!arg_double(ctx, ctx.args[idx + j * 2], &scores[j])) return;
  }
  Entry* e;
  if (!lookup_write_typed(ctx, key, ValueType::kZSet, &e)) return;
  int64_t added = 0, updated = 0, processed = 0;
  double last = 0;
  bool nan_error = false;
  bool created = false;
  if (!e && !f.xx) {
    e = ctx.db.add(key, Value::from_object(new_zset_for(ctx, ctx.args[idx + 1])));
    created = true;
  }
  if (e) {
    ZSet* z = zset_of(e);
    ZSet::Limits lim = zset_limits(ctx);
    for (size_t j = 0; j < elements; ++j) {
      std::string_view member = ctx.args[idx + j * 2 + 1];
      double score = scores[j];
      double cur;
      bool exists = z->score(member, &cur);
      if (exists) {
        if (f.nx) continue;
        if (f.incr) {
          score += cur;
          if (std::isnan(score)) {
            ctx.out.error("ERR resulting score is not a number (NaN)");
            nan_error = true;
            break;
          }
        }
        if ((f.lt && score >= cur) || (f.gt && score <= cur)) continue;
        ++processed;
        last = score;
        if (score != cur) {
          bool a;
          z->set(member, score, lim, &a);
          ++updated;
        }
      } else {
        if (f.xx) continue;
        bool a;
        z->set(member, score, lim, &a);
        ++added;
        ++processed;
        last = score;
      }
    }
    // INCR to NaN on a key that it just created leaves nothing behind.
    if (created && z->size() == 0) ctx.db.remove(key);
  }
  ctx.dirty = added + updated;
  if (added || updated) {
    zset_touched(ctx, key, f.incr ? "zincr" : "zadd");
    if (created) ctx.engine.signal_key_ready(ctx.db.id(), key);
  }
  if (nan_error) return;
  if (f.incr) {
    if (processed)
      ctx.out.dbl(last);
    else
      ctx.out.null();
  } else {
    ctx.out.integer(f.ch ? added + updated : added);
  }
}

void cmd_zadd(CommandContext& ctx) {
  zadd_generic(ctx, false);
}

void cmd_zincrby(CommandContext& ctx) {
  // ZINCRBY key increment member reads like ZADD key INCR increment member.
  zadd_generic(ctx, true);
}

// -------------------------------------------------------------- simple reads

void cmd_zrem(CommandContext& ctx) {
  std::string_view key = ctx.args[1];
  Entry* e;
  if (!lookup_write_typed(ctx, key, ValueType::kZSet, &e)) return;
  if (!e) {
    ctx.out.integer(0);
    return;
  }
  ZSet* z = zset_of(e);
  int64_t deleted = 0;
  for (size_t j = 2; j < ctx.args.size(); ++j) {
    if (z->remove(ctx.args[j])) ++deleted;
    if (z->size() == 0) break;
  }
  ctx.dirty = deleted;
  if (deleted) {
    zset_touched(ctx, key, "zrem");
    zset_drop_if_empty(ctx, key, z);
  }
  ctx.out.integer(deleted);
}

void cmd_zcard(CommandContext& ctx) {
  Entry* e;
  if (!lookup_read_typed(ctx, ctx.args[1], ValueType::kZSet, &e)) return;
  ctx.out.integer(e ? static_cast<int64_t>(zset_of(e)->size()) : 0);
}

void cmd_zscore(CommandContext& ctx) {
  Entry* e;
  if (!lookup_read_typed(ctx, ctx.args[1], ValueType::kZSet, &e)) return;
  double s;
  if (e && zset_of(e)->score(ctx.args[2], &s))
    ctx.out.dbl(s);
  else
    ctx.out.null();
}

void cmd_zmscore(CommandContext& ctx) {
  Entry* e;
  if (!lookup_read_typed(ctx, ctx.args[1], ValueType::kZSet, &e)) return;
  ctx.out.array(static_cast<int64_t>(ctx.args.size() - 2));
  for (size_t j = 2; j < ctx.args.size(); ++j) {
    double s;
    if (e && zset_of(e)->score(ctx.args[j], &s))
      ctx.out.dbl(s);
    else
      ctx.out.null();
  }
}

void rank_generic(CommandContext& ctx, bool rev) {
  Entry* e;
  if (!lookup_read_typed(ctx, ctx.args[1], ValueType::kZSet, &e)) return;
  if (!e) {
    ctx.out.null();
    return;
  }
  ZSet* z = zset_of(e);
  int64_t r = z->rank(ctx.args[2]);
  if (r < 0) {
    ctx.out.null();
    return;
  }
  ctx.out.integer(rev ? static_cast<int64_t>(z->size()) - 1 - r : r);
}

void cmd_zrank(CommandContext& ctx) {
  rank_generic(ctx, false);
}
void cmd_zrevrank(CommandContext& ctx) {
  rank_generic(ctx, true);
}

void cmd_zcount(CommandContext& ctx) {
  ScoreRange r;
  if (!parse_score_range(ctx.args[2], ctx.args[3], &r)) {
    ctx.out.error("ERR min or max is not a float");
    return;
  }
  Entry* e;
  if (!lookup_read_typed(ctx, ctx.args[1], ValueType::kZSet, &e)) return;
  if (!e) {
    ctx.out.integer(0);
    return;
  }
  ZSet* z = zset_of(e);
  size_t lo = z->score_lower(r), hi = z->score_upper(r);
  ctx.out.integer(hi > lo ? static_cast<int64_t>(hi - lo) : 0);
}

void cmd_zlexcount(CommandContext& ctx) {
  LexRange r;
  if (!parse_lex_range(ctx.args[2], ctx.args[3], &r)) {
    ctx.out.error("ERR min or max not valid string range item");
    return;
  }
  Entry* e;
  if (!lookup_read_typed(ctx, ctx.args[1], ValueType::kZSet, &e)) return;
  if (!e) {
    ctx.out.integer(0);
    return;
  }
  ZSet* z = zset_of(e);
  size_t lo = z->lex_lower(r), hi = z->lex_upper(r);
  ctx.out.integer(hi > lo ? static_cast<int64_t>(hi - lo) : 0);
}

// -------------------------------------------------------------------- pops

void zpop_command(CommandContext& ctx, bool max) {
  if (ctx.args.size() > 3) {
    ctx.out.error(err::kSyntax);
    return;
  }
  int64_t count = -1;
  if (ctx.args.size() == 3) {
    if (!arg_int64(ctx, ctx.args[2], &count)) return;
    if (count < 0) {
      ctx.out.error("ERR value is out of range, must be positive");
      return;
    }
  }
  std::string_view key = ctx.args[1];
  Entry* e;
  if (!lookup_write_typed(ctx, key, ValueType::kZSet, &e)) return;
  if (!e || count == 0) {
    ctx.out.array(0);
    ctx.dirty = 0;
    return;
  }
  bool nested = ctx.client.resp > 2 && count != -1;
  pop_zset(ctx, key, zset_of(e), max, count == -1 ? 1 : count, nested, false);
}

void cmd_zpopmin(CommandContext& ctx) {
  zpop_command(ctx, false);
}
void cmd_zpopmax(CommandContext& ctx) {
  zpop_command(ctx, true);
}

void cmd_zmpop(CommandContext& ctx) {
  ZMPopArgs a;
  if (!parse_zmpop(ctx, 1, &a)) return;
  for (size_t i = 0; i < a.keys.size(); ++i) {
    Entry* e;
    if (!lookup_write_typed(ctx, a.keys[i], ValueType::kZSet, &e)) return;
    if (!e) continue;
    pop_zset(ctx, a.keys[i], zset_of(e), a.max, a.count, true, true);
    // Replays as the plain pop of the key that served, with the count popped.
    propagate_as(ctx, {a.max ? "ZPOPMAX" : "ZPOPMIN", a.keys[i], int_to_string(ctx.dirty)});
    return;
  }
  ctx.out.null_array();
  ctx.dirty = 0;
}

// --------------------------------------------------------- blocking pops

// Pops from the first non-empty sorted set among `keys` (only the ready key on
// a retry). Returns false when none had elements; *errored when it replied an
// error instead.
bool serve_first_zset(CommandContext& ctx, Args keys, bool max, int64_t count, bool nested,
                      bool* errored) {
  *errored = false;
  bool retry = is_block_retry(ctx);
  for (std::string_view key : keys) {
    if (!may_serve_key(ctx, key)) continue;
    Entry* e = lookup_write(ctx, key);
    if (!e) continue;
    if (e->value.type() != ValueType::kZSet) {
      if (retry) continue;  // not ready after all: stay blocked
      ctx.out.error(err::kWrongType);
      *errored = true;
      return false;
    }
    pop_zset(ctx, key, zset_of(e), max, count, nested, true);
    // As Redis: BZPOPMIN/MAX replay as ZPOPMIN/MAX key, BZMPOP with the
    // count it popped.
    if (nested) {
      propagate_as(ctx, {max ? "ZPOPMAX" : "ZPOPMIN", key, int_to_string(ctx.dirty)});
    } else {
      propagate_as(ctx, {max ? "ZPOPMAX" : "ZPOPMIN", key});
    }
    return true;
  }
  return false;
}

// BZPOPMIN/BZPOPMAX key [key ...] timeout: replies [key, member, score].
void bzpop_command(CommandContext& ctx, bool max) {
  int64_t deadline;
  if (!arg_block_timeout(ctx, ctx.args.back(), &deadline)) return;
  Args keys = ctx.args.subspan(1, ctx.args.size() - 2);
  bool errored;
  if (serve_first_zset(ctx, keys, max, 1, false, &errored) || errored) return;
  block_on_keys(ctx, keys, deadline);
}

void cmd_bzpopmin(CommandContext& ctx) {
  bzpop_command(ctx, false);
}
void cmd_bzpopmax(CommandContext& ctx) {
  bzpop_command(ctx, true);
}

// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count].
void cmd_bzmpop(CommandContext& ctx) {
  ZMPopArgs a;
  if (!parse_zmpop(ctx, 2, &a)) return;
  int64_t deadline;
  if (!arg_block_timeout(ctx, ctx.args[1], &deadline)) return;
  bool errored;
  Args keys(a.keys.data(), a.keys.size());
  if (serve_first_zset(ctx, keys, a.max, a.count, true, &errored) || errored) return;
  block_on_keys(ctx, keys, deadline);
}

// ------------------------------------------------------------- ZRANDMEMBER

void zrandmember_with_count(CommandContext& ctx, int64_t l, bool withscores) {
  Entry* e;
  if (!lookup_read_typed(ctx, ctx.args[1], ValueType::kZSet, &e)) return;
  if (!e || l == 0) {
    ctx.out.array(0);
    return;
  }
  ZSet* z = zset_of(e);
  size_t size = z->size();
  std::string_view m;
  double s;
  if (l < 0) {
    // Repetitions allowed: independent picks.
    auto count = static_cast<uint64_t>(-l);
    reply_pairs_header(ctx, count, withscores);
    for (uint64_t i = 0; i < count; ++i) {
      z->at(random_below(size), &m, &s);
      reply_pair(ctx, m, s, withscores);
    }
    return;
  }
  auto count = static_cast<uint64_t>(l);
  if (count >= size) {
    reply_pairs_header(ctx, size, withscores);
    z->for_range(0, size, false,
                 [&](std::string_view mm, double ss) { reply_pair(ctx, mm, ss, withscores); });
    return;
  }
  // Distinct ranks: a partial shuffle when the sample is a big share of the
  // set, otherwise rejection sampling.
  std::vector<size_t> ranks;
  if (count * 3 > size) {
    ranks.resize(size);
    for (size_t i = 0; i < size; ++i) ranks[i] = i;
    for (size_t i = 0; i < count; ++i) std::swap(ranks[i], ranks[i + random_below(size - i)]);
    ranks.resize(count);
  } else {
    std::unordered_set<size_t> seen;
    while (ranks.size() < count) {
      size_t r = random_below(size);
      if (seen.insert(r).second) ranks.push_back(r);
    }
  }
  reply_pairs_header(ctx, count, withscores);
  for (size_t r : ranks) {
    z->at(r, &m, &s);
    reply_pair(ctx, m, s, withscores);
  }
}

void cmd_zrandmember(CommandContext& ctx) {
  if (ctx.args.size() >= 3) {
    int64_t l;
    if (!arg_range(ctx, ctx.args[2], -LONG_MAX, LONG_MAX, nullptr, &l)) {
      return;
    }
    if (ctx.args.size() > 4 || (ctx.args.size() == 4 && !iequals(ctx.args[3], "withscores"))) {
      ctx.out.error(err::kSyntax);
      return;
    }
    bool withscores = ctx.args.size() == 4;
    if (withscores && (l < -LONG_MAX / 2 || l > LONG_MAX / 2)) {
      ctx.out.error("ERR value is out of range");
      return;
    }
    zrandmember_with_count(ctx, l, withscores);
    return;
  }
  Entry* e;
  if (!lookup_read_typed(ctx, ctx.args[1], ValueType::kZSet, &e)) return;
  if (!e) {
    ctx.out.null();
    return;
  }
  ZSet* z = zset_of(e);
  std::string_view m;
  double s;
  z->at(random_below(z->size()), &m, &s);
  ctx.out.bulk(m);
}

// -------------------------------------------------------------------- ZSCAN

void cmd_zscan(CommandContext& ctx) {
  uint64_t cursor;
  if (!parse_scan_cursor(ctx, ctx.args[2], &cursor)) return;
  CollectionScanArgs opts;
  if (!parse_scan_options(ctx, 3, &opts)) return;
  const int64_t count = opts.count;
  const std::string_view pattern = opts.pattern;
  const bool use_pattern = opts.use_pattern;
  Entry* e;
  if (!lookup_read_typed(ctx, ctx.args[1], ValueType::kZSet, &e)) return;
  std::vector<std::pair<std::string, double>> items;
  if (e) {
    ZSet* z = zset_of(e);
    auto collect = [&](std::string_view m, double s) { items.emplace_back(std::string(m), s); };
    int64_t steps = count > INT64_MAX / 10 ? INT64_MAX : count * 10;
    do {
      cursor = z->scan(cursor, collect);
    } while (cursor && steps-- && static_cast<int64_t>(items.size()) < count);
  } else {
    cursor = 0;
  }
  ctx.out.array(2);
  ctx.out.bulk(std::to_string(cursor));
  size_t kept = 0;
  for (auto& it : items) {
    if (!use_pattern || glob_match(pattern, it.first)) ++kept;
  }
  ctx.out.array(static_cast<int64_t>(kept * 2));
  for (auto& it : items) {
    if (use_pattern && !glob_match(pattern, it.first)) continue;
    ctx.out.bulk(it.first);
    // Scores as Redis prints them here: integers plainly, others with %.17g.
    ctx.out.bulk(format_double(it.second == 0 ? 0.0 : it.second));
  }
}

}  // namespace

void zadd_command(CommandContext& ctx) {
  zadd_generic(ctx, false);
}

bool parse_zmpop(CommandContext& ctx, size_t numkeys_idx, ZMPopArgs* a) {
  int64_t numkeys;
  if (!arg_range(ctx, ctx.args[numkeys_idx], 1, LONG_MAX, "ERR numkeys should be greater than 0",
                 &numkeys)) {
    return false;
  }
  size_t where_idx = numkeys_idx + 1;
  if (static_cast<uint64_t>(numkeys) >= ctx.args.size() - where_idx) {
    ctx.out.error(err::kSyntax);
    return false;
  }
  where_idx += static_cast<size_t>(numkeys);
  if (iequals(ctx.args[where_idx], "min")) {
    a->max = false;
  } else if (iequals(ctx.args[where_idx], "max")) {
    a->max = true;
  } else {
    ctx.out.error(err::kSyntax);
    return false;
  }
  a->count = -1;
  for (size_t j = where_idx + 1; j < ctx.args.size(); ++j) {
    bool more = j + 1 < ctx.args.size();
    if (a->count == -1 && iequals(ctx.args[j], "count") && more) {
      if (!arg_range(ctx, ctx.args[++j], 1, LONG_MAX, "ERR count should be greater than 0",
                     &a->count)) {
        return false;
      }
    } else {
      ctx.out.error(err::kSyntax);
      return false;
    }
  }
  if (a->count == -1) a->count = 1;
  a->keys.assign(ctx.args.begin() + static_cast<ptrdiff_t>(numkeys_idx + 1),
                 ctx.args.begin() + static_cast<ptrdiff_t>(where_idx));
  return true;
}
void register_zset_commands(CommandTable& t) {
  Family f(t, "sorted_set");
  f.add("zadd", -4, kWrite | kDenyOom | kFast, kKey1, cmd_zadd);
  f.add("zincrby", 4, kWrite | kDenyOom | kFast, kKey1, cmd_zincrby);
  f.add("zrem", -3, kWrite | kFast, kKey1, cmd_zrem);
  f.add("zcard", 2, kReadonly | kFast, kKey1, cmd_zcard);
  f.add("zscore", 3, kReadonly | kFast, kKey1, cmd_zscore);
  f.add("zmscore", -3, kReadonly | kFast, kKey1, cmd_zmscore);
  f.add("zrank", 3, kReadonly | kFast, kKey1, cmd_zrank);
  f.add("zrevrank", 3, kReadonly | kFast, kKey1, cmd_zrevrank);
  f.add("zcount", 4, kReadonly | kFast, kKey1, cmd_zcount);
  f.add("zlexcount", 4, kReadonly | kFast, kKey1, cmd_zlexcount);
  f.add("zpopmin", -2, kWrite | kFast, kKey1, cmd_zpopmin);
  f.add("zpopmax", -2, kWrite | kFast, kKey1, cmd_zpopmax);
  f.add("zmpop", -4, kWrite | kMovableKeys, kNoKeys, cmd_zmpop, {.find_keys = keys_numkeys1});
  f.add("bzpopmin", -3, kWrite | kNoscript | kBlocking | kFast, {1, -2, 1}, cmd_bzpopmin);
  f.add("bzpopmax", -3, kWrite | kNoscript | kBlocking | kFast, {1, -2, 1}, cmd_bzpopmax);
  f.add("bzmpop", -5, kWrite | kBlocking | kMovableKeys, kNoKeys, cmd_bzmpop,
        {.find_keys = keys_numkeys2});
  f.add("zrandmember", -2, kReadonly, kKey1, cmd_zrandmember);
  f.add("zscan", -3, kReadonly, kKey1, cmd_zscan);
}

}  // namespace kvd::commands
