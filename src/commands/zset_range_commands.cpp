// Sorted set range commands: ZRANGE in all its forms (BYSCORE, BYLEX, REV,
// LIMIT, WITHSCORES), the legacy ZRANGEBYSCORE/ZRANGEBYLEX/ZREV* forms,
// ZRANGESTORE, and ZREMRANGEBYRANK/BYSCORE/BYLEX. Replies follow Redis 7.0.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "declare.hpp"
#include "families.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/engine/type_limits.hpp"
#include "zset_common.hpp"

namespace kvd::commands {
namespace {

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
      if (!arg_int64(ctx, ctx.args[j + 1], &offset) || !arg_int64(ctx, ctx.args[j + 2], &limit))
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
    if (!arg_int64(ctx, ctx.args[minidx], &start) || !arg_int64(ctx, ctx.args[maxidx], &end))
      return;
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
    if (!arg_int64(ctx, ctx.args[2], &start) || !arg_int64(ctx, ctx.args[3], &end)) return;
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

}  // namespace

void register_zset_range_commands(CommandTable& t) {
  Family f(t, "sorted_set");
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
}

}  // namespace kvd::commands
