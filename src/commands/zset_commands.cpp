// Sorted set commands: ZADD ZINCRBY ZREM ZCARD ZSCORE ZMSCORE ZRANK ZREVRANK
// ZRANGE (and its BYSCORE/BYLEX/REV forms) ZRANGESTORE ZCOUNT ZLEXCOUNT
// ZPOPMIN ZPOPMAX ZMPOP ZRANDMEMBER ZUNION ZINTER ZDIFF (+STORE) ZINTERCARD
// ZREMRANGEBY* ZSCAN. Replies and errors follow Redis 7.0.
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

namespace {

// Uniform in [0, n): the high bits of the 128-bit product, not a modulo.
size_t random_below(size_t n) {
  return static_cast<size_t>((static_cast<unsigned __int128>(fast_random()) * n) >> 64);
}

bool arg_long(CommandContext& ctx, std::string_view s, int64_t* v) {
  return arg_int64(ctx, s, v);
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

// ------------------------------------------------------------------ ZRANGE

enum class RangeType { kAuto, kRank, kScore, kLex };
enum class Direction { kAuto, kForward, kReverse };

// A range as ranks: `count` elements starting at rank `start`, walking down
// when rev.
struct RankSpan {
  size_t start = 0, count = 0;
  bool rev = false;
};

RankSpan rank_span(size_t llen, int64_t start, int64_t end, bool rev) {
  auto len = static_cast<int64_t>(llen);
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (start > end || start >= len) return {};
  if (end >= len) end = len - 1;
  RankSpan s;
  s.count = static_cast<size_t>(end - start + 1);
  s.rev = rev;
  s.start = rev ? static_cast<size_t>(len - 1 - start) : static_cast<size_t>(start);
  return s;
}

// Ranks [lo, hi) with LIMIT offset/limit applied from the walking end.
RankSpan bounded_span(size_t lo, size_t hi, int64_t offset, int64_t limit, bool rev) {
  if (hi <= lo || offset < 0) return {};
  size_t n = hi - lo;
  if (static_cast<uint64_t>(offset) >= n) return {};
  n -= static_cast<size_t>(offset);
  if (limit >= 0 && static_cast<uint64_t>(limit) < n) n = static_cast<size_t>(limit);
  RankSpan s;
  s.count = n;
  s.rev = rev;
  s.start = rev ? hi - 1 - static_cast<size_t>(offset) : lo + static_cast<size_t>(offset);
  return s;
}

void store_range_result(CommandContext& ctx, std::string_view dst, ZSet* result) {
  if (result->size() > 0) {
    int64_t n = static_cast<int64_t>(result->size());
    ctx.db.set(dst, Value::from_object(result));
    ctx.engine.signal_modified_key(ctx.db.id(), dst);
    ctx.engine.notify_keyspace_event('z', "zrangestore", dst, ctx.db.id());
    ctx.engine.signal_key_ready(ctx.db.id(), dst);
    ctx.out.integer(n);
    return;
  }
  delete result;
  ctx.out.integer(0);
  if (lookup_write(ctx, dst) && ctx.db.remove(dst)) {
    ctx.engine.signal_modified_key(ctx.db.id(), dst);
    ctx.engine.notify_keyspace_event('g', "del", dst, ctx.db.id());
  } else {
    ctx.dirty = 0;
  }
}

void zrange_generic(CommandContext& ctx, size_t argc_start, bool store, RangeType type,
                    Direction dir) {
  size_t minidx = argc_start + 1, maxidx = argc_start + 2;
  bool withscores = false;
  int64_t offset = 0, limit = -1;
  for (size_t j = argc_start + 3; j < ctx.args.size(); ++j) {
    std::string_view a = ctx.args[j];
    size_t left = ctx.args.size() - j - 1;
    if (!store && iequals(a, "withscores")) {
      withscores = true;
    } else if (iequals(a, "limit") && left >= 2) {
      if (!arg_long(ctx, ctx.args[j + 1], &offset) || !arg_long(ctx, ctx.args[j + 2], &limit))
        return;
      j += 2;
    } else if (dir == Direction::kAuto && iequals(a, "rev")) {
      dir = Direction::kReverse;
    } else if (type == RangeType::kAuto && iequals(a, "bylex")) {
      type = RangeType::kLex;
    } else if (type == RangeType::kAuto && iequals(a, "byscore")) {
      type = RangeType::kScore;
    } else {
      ctx.out.error(err::kSyntax);
      return;
    }
  }
  if (dir == Direction::kAuto) dir = Direction::kForward;
  if (type == RangeType::kAuto) type = RangeType::kRank;
  bool rev = dir == Direction::kReverse;
  if (limit != -1 && type == RangeType::kRank) {
    ctx.out.error(
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
    return;
  }
  if (withscores && type == RangeType::kLex) {
    ctx.out.error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    return;
  }
  if (rev && type != RangeType::kRank) std::swap(minidx, maxidx);

  int64_t start = 0, end = 0;
  ScoreRange sr;
  LexRange lr;
  if (type == RangeType::kRank) {
    if (!arg_long(ctx, ctx.args[minidx], &start) || !arg_long(ctx, ctx.args[maxidx], &end)) return;
  } else if (type == RangeType::kScore) {
    if (!parse_score_range(ctx.args[minidx], ctx.args[maxidx], &sr)) {
      ctx.out.error("ERR min or max is not a float");
      return;
    }
  } else if (!parse_lex_range(ctx.args[minidx], ctx.args[maxidx], &lr)) {
    ctx.out.error("ERR min or max not valid string range item");
    return;
  }

  std::string_view key = ctx.args[argc_start];
  Entry* e;
  if (!lookup_read_typed(ctx, key, ValueType::kZSet, &e)) return;
  RankSpan span;
  ZSet* z = zset_of(e);
  if (z) {
    if (type == RangeType::kRank) {
      span = rank_span(z->size(), start, end, rev);
    } else if (type == RangeType::kScore) {
      span = bounded_span(z->score_lower(sr), z->score_upper(sr), offset, limit, rev);
    } else {
      span = bounded_span(z->lex_lower(lr), z->lex_upper(lr), offset, limit, rev);
    }
  }
  if (store) {
    auto* result = new ZSet;
    ZSet::Limits lim = zset_limits(ctx);
    if (span.count > lim.max_entries) result->convert_to_skiplist();
    if (z) {
      z->for_range(span.start, span.count, span.rev, [&](std::string_view m, double s) {
        bool added;
        result->set(m, s, lim, &added);
      });
    }
    store_range_result(ctx, ctx.args[1], result);
    return;
  }
  reply_pairs_header(ctx, span.count, withscores);
  if (z) {
    z->for_range(span.start, span.count, span.rev,
                 [&](std::string_view m, double s) { reply_pair(ctx, m, s, withscores); });
  }
}

void cmd_zrange(CommandContext& ctx) {
  zrange_generic(ctx, 1, false, RangeType::kAuto, Direction::kAuto);
}
void cmd_zrangestore(CommandContext& ctx) {
  zrange_generic(ctx, 2, true, RangeType::kAuto, Direction::kAuto);
}
void cmd_zrevrange(CommandContext& ctx) {
  zrange_generic(ctx, 1, false, RangeType::kRank, Direction::kReverse);
}
void cmd_zrangebyscore(CommandContext& ctx) {
  zrange_generic(ctx, 1, false, RangeType::kScore, Direction::kForward);
}
void cmd_zrevrangebyscore(CommandContext& ctx) {
  zrange_generic(ctx, 1, false, RangeType::kScore, Direction::kReverse);
}
void cmd_zrangebylex(CommandContext& ctx) {
  zrange_generic(ctx, 1, false, RangeType::kLex, Direction::kForward);
}
void cmd_zrevrangebylex(CommandContext& ctx) {
  zrange_generic(ctx, 1, false, RangeType::kLex, Direction::kReverse);
}

// ------------------------------------------------------------ ZREMRANGEBY*

void zremrange_generic(CommandContext& ctx, RangeType type) {
  std::string_view key = ctx.args[1];
  int64_t start = 0, end = 0;
  ScoreRange sr;
  LexRange lr;
  const char* event;
  if (type == RangeType::kRank) {
    event = "zremrangebyrank";
    if (!arg_long(ctx, ctx.args[2], &start) || !arg_long(ctx, ctx.args[3], &end)) return;
  } else if (type == RangeType::kScore) {
    event = "zremrangebyscore";
    if (!parse_score_range(ctx.args[2], ctx.args[3], &sr)) {
      ctx.out.error("ERR min or max is not a float");
      return;
    }
  } else {
    event = "zremrangebylex";
    if (!parse_lex_range(ctx.args[2], ctx.args[3], &lr)) {
      ctx.out.error("ERR min or max not valid string range item");
      return;
    }
  }
  Entry* e;
  if (!lookup_write_typed(ctx, key, ValueType::kZSet, &e)) return;
  if (!e) {
    ctx.out.integer(0);
    return;
  }
  ZSet* z = zset_of(e);
  RankSpan span;
  if (type == RangeType::kRank) {
    span = rank_span(z->size(), start, end, false);
  } else if (type == RangeType::kScore) {
    span = bounded_span(z->score_lower(sr), z->score_upper(sr), 0, -1, false);
  } else {
    span = bounded_span(z->lex_lower(lr), z->lex_upper(lr), 0, -1, false);
  }
  z->erase_range(span.start, span.count);
  ctx.dirty = static_cast<int64_t>(span.count);
  if (span.count) {
    zset_touched(ctx, key, event);
    zset_drop_if_empty(ctx, key, z);
  }
  ctx.out.integer(static_cast<int64_t>(span.count));
}

void cmd_zremrangebyrank(CommandContext& ctx) {
  zremrange_generic(ctx, RangeType::kRank);
}
void cmd_zremrangebyscore(CommandContext& ctx) {
  zremrange_generic(ctx, RangeType::kScore);
}
void cmd_zremrangebylex(CommandContext& ctx) {
  zremrange_generic(ctx, RangeType::kLex);
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

// ------------------------------------------------- ZUNION ZINTER ZDIFF ...

enum class SetOp { kUnion, kInter, kDiff };
enum class Aggregate { kSum, kMin, kMax };

struct Source {
  const ZSet* z = nullptr;         // nullptr: missing key (empty)
  std::unique_ptr<ZSet> from_set;  // a plain set read with score 1
  double weight = 1.0;
  size_t size() const { return z ? z->size() : 0; }
};

void aggregate(Aggregate a, double* target, double v) {
  switch (a) {
    case Aggregate::kSum:
      *target += v;
      if (std::isnan(*target)) *target = 0;
      break;
    case Aggregate::kMin:
      if (v < *target) *target = v;
      break;
    case Aggregate::kMax:
      if (v > *target) *target = v;
      break;
  }
}

double weighted(double score, double weight) {
  double v = score * weight;
  return std::isnan(v) ? 0 : v;
}

// Reads a plain set as a sorted set with every score 1.
bool load_set_source(const Object* set, Source* src) {
  auto z = std::make_unique<ZSet>();
  z->convert_to_skiplist();
  ZSet::Limits lim{0, 0};
  static_cast<const SetObject*>(set)->for_each([&](std::string_view m) {
    bool added;
    z->set(m, 1.0, lim, &added);
  });
  src->from_set = std::move(z);
  src->z = src->from_set.get();
  return true;
}

struct SetOpResult {
  std::vector<std::pair<std::string_view, double>> items;  // sorted by (score, member)
};

void sort_result(SetOpResult* r) {
  std::sort(r->items.begin(), r->items.end(), [](const auto& a, const auto& b) {
    return a.second < b.second || (a.second == b.second && a.first < b.first);
  });
}

void compute_union(std::vector<Source*>& srcs, Aggregate agg, SetOpResult* out) {
  std::unordered_map<std::string_view, double> acc;
  for (Source* s : srcs) {
    if (!s->z) continue;
    s->z->for_range(0, s->size(), false, [&](std::string_view m, double sc) {
      double v = weighted(sc, s->weight);
      auto [it, fresh] = acc.emplace(m, v);
      if (!fresh) aggregate(agg, &it->second, v);
    });
  }
  out->items.assign(acc.begin(), acc.end());
}

// Stops after `limit` matches when limit > 0 (ZINTERCARD LIMIT).
void compute_inter(std::vector<Source*>& srcs, Aggregate agg, size_t limit, SetOpResult* out) {
  if (srcs.empty() || srcs[0]->size() == 0) return;
  Source* first = srcs[0];
  first->z->for_range(0, first->size(), false, [&](std::string_view m, double sc) {
    if (limit && out->items.size() >= limit) return;
    double v = weighted(sc, first->weight);
    for (size_t i = 1; i < srcs.size(); ++i) {
      double other;
      if (!srcs[i]->z || !srcs[i]->z->score(m, &other)) return;
      aggregate(agg, &v, weighted(other, srcs[i]->weight));
    }
    out->items.emplace_back(m, v);
  });
}

void compute_diff(std::vector<Source*>& srcs, SetOpResult* out) {
  if (srcs.empty() || srcs[0]->size() == 0) return;
  srcs[0]->z->for_range(0, srcs[0]->size(), false, [&](std::string_view m, double sc) {
    for (size_t i = 1; i < srcs.size(); ++i) {
      if (srcs[i]->z && srcs[i]->z->score(m, nullptr)) return;
    }
    out->items.emplace_back(m, sc);
  });
}

// ZUNION/ZINTER/ZDIFF/ZINTERCARD and the STORE forms. numkeys_idx is where
// numkeys sits; dst is empty for the reply-only forms.
void setop_generic(CommandContext& ctx, size_t numkeys_idx, std::string_view dst, SetOp op,
                   bool card_only) {
  int64_t setnum;
  if (!arg_int64(ctx, ctx.args[numkeys_idx], &setnum)) return;
  if (setnum < 1) {
    ctx.out.error("ERR at least 1 input key is needed for '" + command_name(ctx) + "' command");
    return;
  }
  if (setnum > static_cast<int64_t>(ctx.args.size() - (numkeys_idx + 1))) {
    ctx.out.error(err::kSyntax);
    return;
  }
  std::vector<Source> src(static_cast<size_t>(setnum));
  size_t j = numkeys_idx + 1;
  for (auto& s : src) {
    Entry* e = lookup_read(ctx, ctx.args[j++]);
    if (!e) continue;
    ValueType t = e->value.type();
    if (t != ValueType::kZSet && t != ValueType::kSet) {
      ctx.out.error(err::kWrongType);
      return;
    }
    if (t == ValueType::kZSet)
      s.z = zset_of(e);
    else if (!load_set_source(e->value.object(), &s))
      return;
  }
  Aggregate agg = Aggregate::kSum;
  bool withscores = false;
  int64_t limit = 0;
  while (j < ctx.args.size()) {
    std::string_view a = ctx.args[j];
    size_t remaining = ctx.args.size() - j;
    if (op != SetOp::kDiff && !card_only && remaining >= src.size() + 1 && iequals(a, "weights")) {
      ++j;
      for (auto& s : src) {
        if (!parse_double(ctx.args[j++], &s.weight)) {
          ctx.out.error("ERR weight value is not a float");
          return;
        }
      }
    } else if (op != SetOp::kDiff && !card_only && remaining >= 2 && iequals(a, "aggregate")) {
      std::string_view v = ctx.args[j + 1];
      if (iequals(v, "sum"))
        agg = Aggregate::kSum;
      else if (iequals(v, "min"))
        agg = Aggregate::kMin;
      else if (iequals(v, "max"))
        agg = Aggregate::kMax;
      else {
        ctx.out.error(err::kSyntax);
        return;
      }
      j += 2;
    } else if (dst.empty() && !card_only && iequals(a, "withscores")) {
      withscores = true;
      ++j;
    } else if (card_only && remaining >= 2 && iequals(a, "limit")) {
      if (!arg_range(ctx, ctx.args[j + 1], 0, LONG_MAX, "ERR LIMIT can't be negative", &limit))
        return;
      j += 2;
    } else {
      ctx.out.error(err::kSyntax);
      return;
    }
  }

  std::vector<Source*> order;
  for (auto& s : src) order.push_back(&s);
  // Smallest inputs first: intersections then probe fewer elements.
  if (op != SetOp::kDiff) {
    std::stable_sort(order.begin(), order.end(),
                     [](const Source* a, const Source* b) { return a->size() < b->size(); });
  }
  SetOpResult r;
  if (op == SetOp::kUnion)
    compute_union(order, agg, &r);
  else if (op == SetOp::kInter)
    compute_inter(order, agg, card_only ? static_cast<size_t>(limit) : 0, &r);
  else
    compute_diff(order, &r);

  if (card_only) {
    ctx.out.integer(static_cast<int64_t>(r.items.size()));
    return;
  }
  sort_result(&r);
  if (dst.empty()) {
    reply_pairs_header(ctx, r.items.size(), withscores);
    for (auto& [m, s] : r.items) reply_pair(ctx, m, s, withscores);
    return;
  }
  auto* result = new ZSet;
  ZSet::Limits lim = zset_limits(ctx);
  if (r.items.size() > lim.max_entries) result->convert_to_skiplist();
  for (auto& [m, s] : r.items) {
    bool added;
    result->set(m, s, lim, &added);
  }
  const char* event = op == SetOp::kUnion   ? "zunionstore"
                      : op == SetOp::kInter ? "zinterstore"
                                            : "zdiffstore";
  if (result->size() > 0) {
    int64_t n = static_cast<int64_t>(result->size());
    ctx.db.set(dst, Value::from_object(result));
    ctx.engine.signal_modified_key(ctx.db.id(), dst);
    ctx.engine.notify_keyspace_event('z', event, dst, ctx.db.id());
    ctx.engine.signal_key_ready(ctx.db.id(), dst);
    ctx.out.integer(n);
    return;
  }
  delete result;
  ctx.out.integer(0);
  if (lookup_write(ctx, dst) && ctx.db.remove(dst)) {
    ctx.engine.signal_modified_key(ctx.db.id(), dst);
    ctx.engine.notify_keyspace_event('g', "del", dst, ctx.db.id());
  } else {
    ctx.dirty = 0;
  }
}

void cmd_zunionstore(CommandContext& ctx) {
  setop_generic(ctx, 2, ctx.args[1], SetOp::kUnion, false);
}
void cmd_zinterstore(CommandContext& ctx) {
  setop_generic(ctx, 2, ctx.args[1], SetOp::kInter, false);
}
void cmd_zdiffstore(CommandContext& ctx) {
  setop_generic(ctx, 2, ctx.args[1], SetOp::kDiff, false);
}
void cmd_zunion(CommandContext& ctx) {
  setop_generic(ctx, 1, {}, SetOp::kUnion, false);
}
void cmd_zinter(CommandContext& ctx) {
  setop_generic(ctx, 1, {}, SetOp::kInter, false);
}
void cmd_zdiff(CommandContext& ctx) {
  setop_generic(ctx, 1, {}, SetOp::kDiff, false);
}
void cmd_zintercard(CommandContext& ctx) {
  setop_generic(ctx, 1, {}, SetOp::kInter, true);
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

// --------------------------------------------------------- key positions

// ZUNIONSTORE dst numkeys key... : dst plus numkeys keys.
std::vector<int> keys_numkeys_at(Args args, int numkeys_idx, bool with_dst) {
  std::vector<int> keys;
  if (with_dst) keys.push_back(1);
  int64_t n;
  if (static_cast<int>(args.size()) <= numkeys_idx || !parse_int64(args[numkeys_idx], &n) || n < 0)
    return keys;
  for (int64_t i = 0; i < n && numkeys_idx + 1 + i < static_cast<int64_t>(args.size()); ++i) {
    keys.push_back(static_cast<int>(numkeys_idx + 1 + i));
  }
  return keys;
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

constexpr const char* kWriteFast = "@write @sortedset @fast";
constexpr const char* kWriteSlow = "@write @sortedset @slow";
constexpr const char* kReadFast = "@read @sortedset @fast";
constexpr const char* kReadSlow = "@read @sortedset @slow";

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
  f.add("zrange", -4, kReadonly, kKey1, cmd_zrange);
  f.add("zrangestore", -5, kWrite | kDenyOom, {1, 2, 1}, cmd_zrangestore);
  f.add("zrevrange", -4, kReadonly, kKey1, cmd_zrevrange);
  f.add("zrangebyscore", -4, kReadonly, kKey1, cmd_zrangebyscore);
  f.add("zrevrangebyscore", -4, kReadonly, kKey1, cmd_zrevrangebyscore);
  f.add("zrangebylex", -4, kReadonly, kKey1, cmd_zrangebylex);
  f.add("zrevrangebylex", -4, kReadonly, kKey1, cmd_zrevrangebylex);
  f.add("zremrangebyrank", 4, kWrite, kKey1, cmd_zremrangebyrank);
  f.add("zremrangebyscore", 4, kWrite, kKey1, cmd_zremrangebyscore);
  f.add("zremrangebylex", 4, kWrite, kKey1, cmd_zremrangebylex);
  f.add("zpopmin", -2, kWrite | kFast, kKey1, cmd_zpopmin);
  f.add("zpopmax", -2, kWrite | kFast, kKey1, cmd_zpopmax);
  f.add("zmpop", -4, kWrite | kMovableKeys, kNoKeys, cmd_zmpop, {.find_keys = keys_numkeys1});
  f.add("bzpopmin", -3, kWrite | kNoscript | kBlocking | kFast, {1, -2, 1}, cmd_bzpopmin);
  f.add("bzpopmax", -3, kWrite | kNoscript | kBlocking | kFast, {1, -2, 1}, cmd_bzpopmax);
  f.add("bzmpop", -5, kWrite | kBlocking | kMovableKeys, kNoKeys, cmd_bzmpop,
        {.find_keys = keys_numkeys2});
  f.add("zrandmember", -2, kReadonly, kKey1, cmd_zrandmember);
  f.add("zunionstore", -4, kWrite | kDenyOom | kMovableKeys, kNoKeys, cmd_zunionstore,
        {.find_keys = keys_store});
  f.add("zinterstore", -4, kWrite | kDenyOom | kMovableKeys, kNoKeys, cmd_zinterstore,
        {.find_keys = keys_store});
  f.add("zdiffstore", -4, kWrite | kDenyOom | kMovableKeys, kNoKeys, cmd_zdiffstore,
        {.find_keys = keys_store});
  f.add("zunion", -3, kReadonly | kMovableKeys, kNoKeys, cmd_zunion, {.find_keys = keys_numkeys1});
  f.add("zinter", -3, kReadonly | kMovableKeys, kNoKeys, cmd_zinter, {.find_keys = keys_numkeys1});
  f.add("zdiff", -3, kReadonly | kMovableKeys, kNoKeys, cmd_zdiff, {.find_keys = keys_numkeys1});
  f.add("zintercard", -3, kReadonly | kMovableKeys, kNoKeys, cmd_zintercard,
        {.find_keys = keys_numkeys1});
  f.add("zscan", -3, kReadonly, kKey1, cmd_zscan);
}

}  // namespace kvd::commands
