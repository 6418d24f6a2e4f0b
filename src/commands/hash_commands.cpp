// Hash commands: HSET HSETNX HMSET HGET HMGET HDEL HLEN HSTRLEN HEXISTS HINCRBY
// HINCRBYFLOAT HGETALL HKEYS HVALS HRANDFIELD HSCAN. Replies and errors follow
// Redis 7.0.
#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "collection_helpers.hpp"
#include "command_helpers.hpp"
#include "declare.hpp"
#include "families.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/engine/type_limits.hpp"
#include "kvd/engine/types/hash.hpp"

namespace kvd::commands {
namespace {

HashLimits limits_of(const CommandContext& ctx) {
  return hash_limits(ctx.engine.config().v());
}

HashObject* hash_of(Entry* e) {
  return static_cast<HashObject*>(e->value.object());
}

// Looks the hash up for reading; false after a WRONGTYPE reply. *h is null
// when the key is missing.
bool read_hash(CommandContext& ctx, std::string_view key, HashObject** h) {
  Entry* e;
  if (!lookup_read_typed(ctx, key, ValueType::kHash, &e)) return false;
  *h = e ? hash_of(e) : nullptr;
  return true;
}

// The hash at key for writing, created empty when missing; null after a
// WRONGTYPE reply.
HashObject* write_hash(CommandContext& ctx, std::string_view key) {
  Entry* e;
  if (!lookup_write_typed(ctx, key, ValueType::kHash, &e)) return nullptr;
  if (!e) e = ctx.db.add(key, Value::from_object(new HashObject));
  return hash_of(e);
}

void touched(CommandContext& ctx, std::string_view event) {
  ctx.engine.signal_modified_key(ctx.db.id(), ctx.args[1]);
  ctx.engine.notify_keyspace_event('h', event, ctx.args[1], ctx.db.id());
}

// ------------------------------------------------------------- HSET family

// HSET and HMSET: field/value pairs from args[2]; returns the new fields or -1
// after an error reply.
int64_t set_pairs(CommandContext& ctx) {
  if (ctx.args.size() % 2 != 0) {
    reply_arity_error(ctx);
    return -1;
  }
  HashObject* h = write_hash(ctx, ctx.args[1]);
  if (!h) return -1;
  HashLimits lim = limits_of(ctx);
  int64_t created = 0;
  for (size_t i = 2; i < ctx.args.size(); i += 2) {
    if (h->set(ctx.args[i], ctx.args[i + 1], lim)) ++created;
  }
  touched(ctx, "hset");
  ctx.dirty = static_cast<int64_t>(ctx.args.size() - 2) / 2;
  return created;
}

void cmd_hset(CommandContext& ctx) {
  int64_t n = set_pairs(ctx);
  if (n >= 0) ctx.out.integer(n);
}

void cmd_hmset(CommandContext& ctx) {
  if (set_pairs(ctx) >= 0) ctx.out.ok();
}

void cmd_hsetnx(CommandContext& ctx) {
  HashObject* h = write_hash(ctx, ctx.args[1]);
  if (!h) return;
  if (h->get(ctx.args[2])) {
    ctx.out.integer(0);
    ctx.dirty = 0;
    return;
  }
  h->set(ctx.args[2], ctx.args[3], limits_of(ctx));
  touched(ctx, "hset");
  ctx.out.integer(1);
}

// ------------------------------------------------------------- reads

void cmd_hget(CommandContext& ctx) {
  HashObject* h;
  if (!read_hash(ctx, ctx.args[1], &h)) return;
  auto v = h ? h->get(ctx.args[2]) : std::nullopt;
  if (v)
    ctx.out.bulk(*v);
  else
    ctx.out.null();
}

void cmd_hmget(CommandContext& ctx) {
  HashObject* h;
  if (!read_hash(ctx, ctx.args[1], &h)) return;
  ctx.out.array(static_cast<int64_t>(ctx.args.size() - 2));
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    auto v = h ? h->get(ctx.args[i]) : std::nullopt;
    if (v)
      ctx.out.bulk(*v);
    else
      ctx.out.null();
  }
}

void cmd_hlen(CommandContext& ctx) {
  HashObject* h;
  if (read_hash(ctx, ctx.args[1], &h)) ctx.out.integer(h ? static_cast<int64_t>(h->size()) : 0);
}

void cmd_hstrlen(CommandContext& ctx) {
  HashObject* h;
  if (!read_hash(ctx, ctx.args[1], &h)) return;
  auto v = h ? h->get(ctx.args[2]) : std::nullopt;
  ctx.out.integer(v ? static_cast<int64_t>(v->size()) : 0);
}

void cmd_hexists(CommandContext& ctx) {
  HashObject* h;
  if (read_hash(ctx, ctx.args[1], &h)) ctx.out.integer(h && h->get(ctx.args[2]) ? 1 : 0);
}

enum GetAllParts { kFields = 1, kValues = 2 };

void getall_generic(CommandContext& ctx, int parts) {
  HashObject* h;
  if (!read_hash(ctx, ctx.args[1], &h)) return;
  auto n = static_cast<int64_t>(h ? h->size() : 0);
  if (parts == (kFields | kValues))
    ctx.out.map(n);
  else
    ctx.out.array(n);
  if (!h) return;
  h->for_each([&](std::string_view f, std::string_view v) {
    if (parts & kFields) ctx.out.bulk(f);
    if (parts & kValues) ctx.out.bulk(v);
  });
}

void cmd_hgetall(CommandContext& ctx) {
  getall_generic(ctx, kFields | kValues);
}
void cmd_hkeys(CommandContext& ctx) {
  getall_generic(ctx, kFields);
}
void cmd_hvals(CommandContext& ctx) {
  getall_generic(ctx, kValues);
}

// ------------------------------------------------------------- HDEL

void cmd_hdel(CommandContext& ctx) {
  Entry* e;
  if (!lookup_write_typed(ctx, ctx.args[1], ValueType::kHash, &e)) return;
  int64_t deleted = 0;
  bool key_removed = false;
  if (e) {
    HashObject* h = hash_of(e);
    for (size_t i = 2; i < ctx.args.size(); ++i) {
      if (!h->erase(ctx.args[i])) continue;
      ++deleted;
      if (h->size() == 0) {
        ctx.db.remove(ctx.args[1]);
        key_removed = true;
        break;
      }
    }
  }
  if (deleted) {
    touched(ctx, "hdel");
    if (key_removed) ctx.engine.notify_keyspace_event('g', "del", ctx.args[1], ctx.db.id());
  }
  ctx.dirty = deleted;
  ctx.out.integer(deleted);
}

// ------------------------------------------------------------- HINCRBY*

void cmd_hincrby(CommandContext& ctx) {
  int64_t incr;
  if (!arg_int64(ctx, ctx.args[3], &incr)) return;
  HashObject* h = write_hash(ctx, ctx.args[1]);
  if (!h) return;
  int64_t value = 0;
  if (auto cur = h->get(ctx.args[2])) {
    if (!parse_int64(*cur, &value)) {
      ctx.out.error("ERR hash value is not an integer");
      return;
    }
  }
  if ((incr < 0 && value < 0 && incr < INT64_MIN - value) ||
      (incr > 0 && value > 0 && incr > INT64_MAX - value)) {
    ctx.out.error(err::kOverflow);
    return;
  }
  value += incr;
  char buf[24];
  h->set(ctx.args[2], std::string_view(buf, format_int64(value, buf)), limits_of(ctx));
  touched(ctx, "hincrby");
  ctx.out.integer(value);
}

void cmd_hincrbyfloat(CommandContext& ctx) {
  long double incr;
  if (!parse_long_double(ctx.args[3], &incr)) {
    ctx.out.error(err::kNotFloat);
    return;
  }
  if (std::isnan(incr) || std::isinf(incr)) {
    ctx.out.error("ERR value is NaN or Infinity");
    return;
  }
  HashObject* h = write_hash(ctx, ctx.args[1]);
  if (!h) return;
  long double value = 0;
  if (auto cur = h->get(ctx.args[2])) {
    if (!parse_long_double(*cur, &value)) {
      ctx.out.error("ERR hash value is not a float");
      return;
    }
  }
  value += incr;
  if (std::isnan(value) || std::isinf(value)) {
    ctx.out.error("ERR increment would produce NaN or Infinity");
    return;
  }
  std::string text = format_long_double(value);
  h->set(ctx.args[2], text, limits_of(ctx));
  touched(ctx, "hincrbyfloat");
  propagate_as(ctx, {"HSET", ctx.args[1], ctx.args[2], text});
  ctx.out.bulk(text);
}

// ------------------------------------------------------------- HRANDFIELD

void reply_pair(CommandContext& ctx, std::string_view f, std::string_view v, bool withvalues) {
  if (withvalues && ctx.out.resp() > 2) ctx.out.array(2);
  ctx.out.bulk(f);
  if (withvalues) ctx.out.bulk(v);
}

// Distinct random pairs when count < size: a partial shuffle of all pairs when
// count is a good part of the hash, else rejection sampling.
void reply_distinct_pairs(CommandContext& ctx, const HashObject& h, size_t count, bool withvalues) {
  using Pair = std::pair<std::string_view, std::string_view>;
  std::vector<Pair> picked;
  picked.reserve(count);
  if (count * 3 > h.size()) {
    std::vector<Pair> all;
    all.reserve(h.size());
    h.for_each([&](std::string_view f, std::string_view v) { all.emplace_back(f, v); });
    for (size_t i = 0; i < count; ++i) {
      size_t j = i + fast_random() % (all.size() - i);
      std::swap(all[i], all[j]);
      picked.push_back(all[i]);
    }
  } else {
    std::unordered_set<std::string_view> seen;
    while (picked.size() < count) {
      Pair p = h.random();
      if (seen.insert(p.first).second) picked.push_back(p);
    }
  }
  for (const Pair& p : picked) reply_pair(ctx, p.first, p.second, withvalues);
}

void hrandfield_count(CommandContext& ctx, int64_t l, bool withvalues) {
  HashObject* h;
  if (!read_hash(ctx, ctx.args[1], &h)) return;
  if (!h || l == 0) {
    ctx.out.array(0);
    return;
  }
  bool uniq = l > 0;
  auto count = static_cast<uint64_t>(uniq ? l : -l);
  const int per = withvalues && ctx.out.resp() == 2 ? 2 : 1;
  if (!uniq || count == 1) {
    ctx.out.array(static_cast<int64_t>(count) * per);
    while (count--) {
      auto [f, v] = h->random();
      reply_pair(ctx, f, v, withvalues);
    }
    return;
  }
  uint64_t size = h->size();
  ctx.out.array(static_cast<int64_t>(std::min(count, size)) * per);
  if (count >= size) {
    h->for_each([&](std::string_view f, std::string_view v) { reply_pair(ctx, f, v, withvalues); });
    return;
  }
  reply_distinct_pairs(ctx, *h, count, withvalues);
}

void cmd_hrandfield(CommandContext& ctx) {
  if (ctx.args.size() >= 3) {
    int64_t l;
    if (!arg_range(ctx, ctx.args[2], -INT64_MAX, INT64_MAX, &l)) return;
    bool withvalues = false;
    if (ctx.args.size() > 4 || (ctx.args.size() == 4 && !iequals(ctx.args[3], "withvalues"))) {
      ctx.out.error(err::kSyntax);
      return;
    }
    if (ctx.args.size() == 4) {
      withvalues = true;
      if (l < -INT64_MAX / 2 || l > INT64_MAX / 2) {
        ctx.out.error("ERR value is out of range");
        return;
      }
    }
    hrandfield_count(ctx, l, withvalues);
    return;
  }
  HashObject* h;
  if (!read_hash(ctx, ctx.args[1], &h)) return;
  if (!h) {
    ctx.out.null();
    return;
  }
  ctx.out.bulk(h->random().first);
}

// ------------------------------------------------------------- HSCAN

void cmd_hscan(CommandContext& ctx) {
  CollectionScanArgs a;
  if (!parse_scan_cursor(ctx, ctx.args[2], &a.cursor)) return;
  HashObject* h;
  if (!read_hash(ctx, ctx.args[1], &h)) return;
  if (h && !parse_scan_options(ctx, 3, &a)) return;
  std::vector<std::pair<std::string_view, std::string_view>> found;
  uint64_t cursor = 0;
  if (h) {
    cursor = a.cursor;
    // Up to 10x COUNT bucket steps so a sparse table cannot stall the server;
    // a field and its value count as two, as in Redis.
    int64_t steps = a.count > INT64_MAX / 10 ? INT64_MAX : a.count * 10;
    do {
      cursor = h->scan(cursor,
                       [&](std::string_view f, std::string_view v) { found.emplace_back(f, v); });
    } while (cursor && steps-- && static_cast<int64_t>(found.size()) * 2 < a.count);
  }
  std::vector<std::pair<std::string_view, std::string_view>> kept;
  for (const auto& p : found) {
    if (scan_match(a, p.first)) kept.push_back(p);
  }
  ctx.out.array(2);
  ctx.out.bulk(int_to_string(static_cast<int64_t>(cursor)));
  ctx.out.array(static_cast<int64_t>(kept.size()) * 2);
  for (const auto& p : kept) {
    ctx.out.bulk(p.first);
    ctx.out.bulk(p.second);
  }
}

// ------------------------------------------------------------- registration

}  // namespace

void register_hash_commands(CommandTable& t) {
  Family f(t, "hash");
  f.add("hset", -4, kWrite | kDenyOom | kFast, kKey1, cmd_hset);
  f.add("hsetnx", 4, kWrite | kDenyOom | kFast, kKey1, cmd_hsetnx);
  f.add("hmset", -4, kWrite | kDenyOom | kFast, kKey1, cmd_hmset);
  f.add("hget", 3, kReadonly | kFast, kKey1, cmd_hget);
  f.add("hmget", -3, kReadonly | kFast, kKey1, cmd_hmget);
  f.add("hdel", -3, kWrite | kFast, kKey1, cmd_hdel);
  f.add("hlen", 2, kReadonly | kFast, kKey1, cmd_hlen);
  f.add("hstrlen", 3, kReadonly | kFast, kKey1, cmd_hstrlen);
  f.add("hexists", 3, kReadonly | kFast, kKey1, cmd_hexists);
  f.add("hincrby", 4, kWrite | kDenyOom | kFast, kKey1, cmd_hincrby);
  f.add("hincrbyfloat", 4, kWrite | kDenyOom | kFast, kKey1, cmd_hincrbyfloat);
  f.add("hgetall", 2, kReadonly, kKey1, cmd_hgetall);
  f.add("hkeys", 2, kReadonly, kKey1, cmd_hkeys);
  f.add("hvals", 2, kReadonly, kKey1, cmd_hvals);
  f.add("hrandfield", -2, kReadonly, kKey1, cmd_hrandfield);
  f.add("hscan", -3, kReadonly, kKey1, cmd_hscan);
}

}  // namespace kvd::commands
