#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "command_helpers.hpp"
#include "declare.hpp"
#include "families.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/engine/keyspace_events.hpp"

namespace kvd::commands {
namespace {

// Integers are stored unformatted; their text needs room for "-9223372036854775808".
using Scratch = char[24];

std::string_view string_of(const Entry* e, char* scratch) {
  return e->value.str(scratch);
}

void reply_value(CommandContext& ctx, const Entry* e) {
  Scratch s;
  ctx.out.bulk(string_of(e, s));
}

// ---------------------------------------------------------------------------
// SET / GETEX options

enum class ExpireKind { kNone, kEx, kPx, kExat, kPxat };

struct StringOptions {
  bool nx = false;
  bool xx = false;
  bool get = false;
  bool keepttl = false;
  bool persist = false;
  ExpireKind expire = ExpireKind::kNone;
  std::string_view expire_arg;
};

// Redis lets an expiry option repeat (last value wins) but never mixes two
// kinds, nor mixes one with KEEPTTL or PERSIST.
bool expire_allowed(const StringOptions& o, ExpireKind kind) {
  return !o.keepttl && !o.persist && (o.expire == ExpireKind::kNone || o.expire == kind);
}

ExpireKind expire_kind_of(std::string_view opt) {
  if (iequals(opt, "EX")) return ExpireKind::kEx;
  if (iequals(opt, "PX")) return ExpireKind::kPx;
  if (iequals(opt, "EXAT")) return ExpireKind::kExat;
  if (iequals(opt, "PXAT")) return ExpireKind::kPxat;
  return ExpireKind::kNone;
}

// Parses the options after `first`. for_set selects SET's flags (NX XX GET
// KEEPTTL) versus GETEX's (PERSIST). Replies a syntax error on failure.
bool parse_string_options(CommandContext& ctx, size_t first, bool for_set, StringOptions* o) {
  for (size_t j = first; j < ctx.args.size(); ++j) {
    std::string_view opt = ctx.args[j];
    bool has_next = j + 1 < ctx.args.size();
    ExpireKind kind = expire_kind_of(opt);
    if (for_set && iequals(opt, "NX") && !o->xx) {
      o->nx = true;
    } else if (for_set && iequals(opt, "XX") && !o->nx) {
      o->xx = true;
    } else if (for_set && iequals(opt, "GET")) {
      o->get = true;
    } else if (for_set && iequals(opt, "KEEPTTL") && o->expire == ExpireKind::kNone) {
      o->keepttl = true;
    } else if (!for_set && iequals(opt, "PERSIST") && o->expire == ExpireKind::kNone) {
      o->persist = true;
    } else if (kind != ExpireKind::kNone && has_next && expire_allowed(*o, kind)) {
      o->expire = kind;
      o->expire_arg = ctx.args[++j];
    } else {
      ctx.out.error(err::kSyntax);
      return false;
    }
  }
  return true;
}

bool expire_from_options(CommandContext& ctx, const StringOptions& o, int64_t* when_ms) {
  bool ms = o.expire == ExpireKind::kPx || o.expire == ExpireKind::kPxat;
  bool absolute = o.expire == ExpireKind::kExat || o.expire == ExpireKind::kPxat;
  return arg_expire(ctx, o.expire_arg, ms, absolute, when_ms);
}

// GET's reply for SET ... GET and GETSET; false after a WRONGTYPE reply.
bool reply_get(CommandContext& ctx, std::string_view key) {
  Entry* e;
  if (!lookup_read_typed(ctx, key, ValueType::kString, &e)) return false;
  if (e)
    reply_value(ctx, e);
  else
    ctx.out.null();
  return true;
}

// ---------------------------------------------------------------------------
// GET / SET family

void cmd_get(CommandContext& ctx) {
  reply_get(ctx, ctx.args[1]);
}

// The part every SET variant shares once its options are known. `ok`/`abort`
// override the replies (SETNX answers with integers).
void set_generic(CommandContext& ctx, const StringOptions& o, std::string_view value,
                 void (*ok)(CommandContext&), void (*abort)(CommandContext&)) {
  std::string_view key = ctx.args[1];
  int64_t when_ms = 0;
  if (o.expire != ExpireKind::kNone && !expire_from_options(ctx, o, &when_ms)) return;
  if (o.get && !reply_get(ctx, key)) return;
  bool found = lookup_write(ctx, key) != nullptr;
  if ((o.nx && found) || (o.xx && !found)) {
    ctx.dirty = 0;
    if (!o.get) abort(ctx);
    return;
  }
  Entry* e = ctx.db.set(key, Value::from_string(value), o.keepttl);
  if (o.expire != ExpireKind::kNone) ctx.db.set_expire(e, when_ms);
  key_changed(ctx, '$', "set", key);
  if (o.expire != ExpireKind::kNone) {
    ctx.engine.notify_keyspace_event('g', "expire", key, ctx.db.id());
    // EX, PX, EXAT, SETEX, PSETEX: an absolute time, so a replay means the same.
    propagate_as(ctx, {"SET", key, value, "PXAT", int_to_string(when_ms)});
  } else if (o.nx || o.xx || o.get) {
    // The condition held; its replay must not depend on it again.
    if (o.keepttl)
      propagate_as(ctx, {"SET", key, value, "KEEPTTL"});
    else
      propagate_as(ctx, {"SET", key, value});
  }
  if (!o.get) ok(ctx);
}

void reply_ok(CommandContext& ctx) {
  ctx.out.ok();
}
void reply_null(CommandContext& ctx) {
  ctx.out.null();
}
void reply_one(CommandContext& ctx) {
  ctx.out.integer(1);
}
void reply_zero(CommandContext& ctx) {
  ctx.out.integer(0);
}

void cmd_set(CommandContext& ctx) {
  StringOptions o;
  if (!parse_string_options(ctx, 3, true, &o)) return;
  set_generic(ctx, o, ctx.args[2], reply_ok, reply_null);
}

void cmd_setnx(CommandContext& ctx) {
  StringOptions o;
  o.nx = true;
  set_generic(ctx, o, ctx.args[2], reply_one, reply_zero);
}

void setex_generic(CommandContext& ctx, ExpireKind kind) {
  StringOptions o;
  o.expire = kind;
  o.expire_arg = ctx.args[2];
  set_generic(ctx, o, ctx.args[3], reply_ok, reply_null);
}

void cmd_setex(CommandContext& ctx) {
  setex_generic(ctx, ExpireKind::kEx);
}
void cmd_psetex(CommandContext& ctx) {
  setex_generic(ctx, ExpireKind::kPx);
}

void cmd_getset(CommandContext& ctx) {
  if (!reply_get(ctx, ctx.args[1])) return;
  ctx.db.set(ctx.args[1], Value::from_string(ctx.args[2]));
  key_changed(ctx, '$', "set", ctx.args[1]);
  propagate_as(ctx, {"SET", ctx.args[1], ctx.args[2]});  // as Redis 7 replays it
}

void cmd_getdel(CommandContext& ctx) {
  if (!reply_get(ctx, ctx.args[1])) return;
  if (ctx.db.remove(ctx.args[1])) {
    key_changed(ctx, 'g', "del", ctx.args[1]);
    propagate_as(ctx, {"DEL", ctx.args[1]});  // as Redis replays it
  } else {
    ctx.dirty = 0;
  }
}

void cmd_getex(CommandContext& ctx) {
  StringOptions o;
  if (!parse_string_options(ctx, 2, false, &o)) return;
  std::string_view key = ctx.args[1];
  Entry* e;
  if (!lookup_read_typed(ctx, key, ValueType::kString, &e)) return;
  if (!e) {
    ctx.out.null();
    return;
  }
  int64_t when_ms = 0;
  if (o.expire != ExpireKind::kNone && !expire_from_options(ctx, o, &when_ms)) return;
  reply_value(ctx, e);
  bool absolute = o.expire == ExpireKind::kExat || o.expire == ExpireKind::kPxat;
  if (absolute && when_ms <= ctx.now_ms) {
    // A timestamp already in the past deletes the key right away.
    ctx.db.remove(key);
    key_changed(ctx, 'g', "del", key);
    propagate_as(ctx, {"DEL", key});
  } else if (o.expire != ExpireKind::kNone) {
    ctx.db.set_expire(e, when_ms);
    key_changed(ctx, 'g', "expire", key);
    propagate_as(ctx, {"PEXPIREAT", key, int_to_string(when_ms)});
  } else if (o.persist && e->has_ttl) {
    ctx.db.persist(e);
    key_changed(ctx, 'g', "persist", key);
    propagate_as(ctx, {"PERSIST", key});
  } else {
    ctx.dirty = 0;
  }
}

void cmd_mget(CommandContext& ctx) {
  ctx.out.array(static_cast<int64_t>(ctx.args.size() - 1));
  for (size_t j = 1; j < ctx.args.size(); ++j) {
    Entry* e = lookup_read(ctx, ctx.args[j]);
    if (e && e->value.type() == ValueType::kString)
      reply_value(ctx, e);
    else
      ctx.out.null();
  }
}

void mset_generic(CommandContext& ctx, bool nx) {
  if (ctx.args.size() % 2 == 0) {
    reply_arity_error(ctx);
    return;
  }
  if (nx) {
    for (size_t j = 1; j < ctx.args.size(); j += 2) {
      if (lookup_write(ctx, ctx.args[j])) {
        ctx.out.integer(0);
        return;
      }
    }
  }
  for (size_t j = 1; j < ctx.args.size(); j += 2) {
    ctx.db.set(ctx.args[j], Value::from_string(ctx.args[j + 1]));
    key_changed(ctx, '$', "set", ctx.args[j]);
  }
  if (nx)
    ctx.out.integer(1);
  else
    ctx.out.ok();
}

void cmd_mset(CommandContext& ctx) {
  mset_generic(ctx, false);
}
void cmd_msetnx(CommandContext& ctx) {
  mset_generic(ctx, true);
}

// ---------------------------------------------------------------------------
// Counters

void incr_generic(CommandContext& ctx, int64_t incr) {
  std::string_view key = ctx.args[1];
  Entry* e;
  if (!lookup_write_typed(ctx, key, ValueType::kString, &e)) return;
  int64_t value = 0;
  if (e && !e->value.to_int(&value)) {
    ctx.out.error(err::kNotInteger);
    return;
  }
  int64_t result;
  if (__builtin_add_overflow(value, incr, &result)) {
    ctx.out.error(err::kOverflow);
    return;
  }
  // Overwriting in place keeps the key's TTL, as Redis does for counters.
  if (e)
    ctx.db.replace_value(e, Value::from_int(result));
  else
    ctx.db.add(key, Value::from_int(result));
  key_changed(ctx, '$', "incrby", key);
  ctx.out.integer(result);
}

void cmd_incr(CommandContext& ctx) {
  incr_generic(ctx, 1);
}
void cmd_decr(CommandContext& ctx) {
  incr_generic(ctx, -1);
}

void cmd_incrby(CommandContext& ctx) {
  int64_t incr;
  if (!arg_int64(ctx, ctx.args[2], &incr)) return;
  incr_generic(ctx, incr);
}

void cmd_decrby(CommandContext& ctx) {
  int64_t incr;
  if (!arg_int64(ctx, ctx.args[2], &incr)) return;
  if (incr == INT64_MIN) {
    ctx.out.error("ERR decrement would overflow");
    return;
  }
  incr_generic(ctx, -incr);
}

void cmd_incrbyfloat(CommandContext& ctx) {
  std::string_view key = ctx.args[1];
  Entry* e;
  if (!lookup_write_typed(ctx, key, ValueType::kString, &e)) return;
  long double value = 0, incr;
  Scratch s;
  if ((e && !parse_long_double(string_of(e, s), &value)) ||
      !parse_long_double(ctx.args[2], &incr)) {
    ctx.out.error(err::kNotFloat);
    return;
  }
  value += incr;
  if (std::isnan(value) || std::isinf(value)) {
    ctx.out.error("ERR increment would produce NaN or Infinity");
    return;
  }
  std::string text = format_long_double(value);
  if (e)
    ctx.db.replace_value(e, Value::text_string(text));
  else
    ctx.db.add(key, Value::text_string(text));
  key_changed(ctx, '$', "incrbyfloat", key);
  // Float formatting may differ elsewhere: the result is what replays.
  propagate_as(ctx, {"SET", key, text, "KEEPTTL"});
  ctx.out.bulk(text);
}

// ---------------------------------------------------------------------------
// Length and ranges

void cmd_append(CommandContext& ctx) {
  std::string_view key = ctx.args[1], tail = ctx.args[2];
  Entry* e;
  if (!lookup_write_typed(ctx, key, ValueType::kString, &e)) return;
  if (!e) {
    ctx.db.add(key, Value::from_string(tail));
    key_changed(ctx, '$', "append", key);
    ctx.out.integer(static_cast<int64_t>(tail.size()));
    return;
  }
  if (!check_string_length(ctx, e->value.str_len(), tail.size())) return;
  int64_t len = static_cast<int64_t>(e->value.append(tail));
  key_changed(ctx, '$', "append", key);
  ctx.out.integer(len);
}

void cmd_strlen(CommandContext& ctx) {
  Entry* e;
  if (!lookup_read_typed(ctx, ctx.args[1], ValueType::kString, &e)) return;
  ctx.out.integer(e ? static_cast<int64_t>(e->value.str_len()) : 0);
}

// GETRANGE's clamping of Redis-style inclusive, possibly negative, indexes.
// Returns false when the range selects nothing.
bool clamp_range(int64_t len, int64_t* start, int64_t* end) {
  if (*start < 0 && *end < 0 && *start > *end) return false;
  if (*start < 0) *start += len;
  if (*end < 0) *end += len;
  if (*start < 0) *start = 0;
  if (*end < 0) *end = 0;
  if (*end >= len) *end = len - 1;
  return len > 0 && *start <= *end;
}

void cmd_getrange(CommandContext& ctx) {
  int64_t start, end;
  if (!arg_int64(ctx, ctx.args[2], &start) || !arg_int64(ctx, ctx.args[3], &end)) return;
  Entry* e;
  if (!lookup_read_typed(ctx, ctx.args[1], ValueType::kString, &e)) return;
  if (!e) {
    ctx.out.bulk("");
    return;
  }
  Scratch s;
  std::string_view str = string_of(e, s);
  if (!clamp_range(static_cast<int64_t>(str.size()), &start, &end)) {
    ctx.out.bulk("");
    return;
  }
  ctx.out.bulk(str.substr(static_cast<size_t>(start), static_cast<size_t>(end - start + 1)));
}

void cmd_setrange(CommandContext& ctx) {
  std::string_view key = ctx.args[1], patch = ctx.args[3];
  int64_t offset;
  if (!arg_int64(ctx, ctx.args[2], &offset)) return;
  if (offset < 0) {
    ctx.out.error("ERR offset is out of range");
    return;
  }
  Entry* e;
  if (!lookup_write_typed(ctx, key, ValueType::kString, &e)) return;
  if (patch.empty()) {
    // Writing nothing neither creates the key nor changes its encoding.
    ctx.out.integer(e ? static_cast<int64_t>(e->value.str_len()) : 0);
    return;
  }
  if (!check_string_length(ctx, static_cast<uint64_t>(offset), patch.size())) return;
  if (!e) e = ctx.db.add(key, Value());
  size_t end = static_cast<size_t>(offset) + patch.size();
  char* p = e->value.mutable_bytes(end);
  std::memcpy(p + offset, patch.data(), patch.size());
  key_changed(ctx, '$', "setrange", key);
  ctx.out.integer(static_cast<int64_t>(e->value.str_len()));
}

// ---------------------------------------------------------------------------
// LCS

struct LcsOptions {
  bool len = false;
  bool idx = false;
  bool withmatchlen = false;
  int64_t minmatchlen = 0;
};

bool parse_lcs_options(CommandContext& ctx, LcsOptions* o) {
  for (size_t j = 3; j < ctx.args.size(); ++j) {
    std::string_view opt = ctx.args[j];
    if (iequals(opt, "IDX")) {
      o->idx = true;
    } else if (iequals(opt, "LEN")) {
      o->len = true;
    } else if (iequals(opt, "WITHMATCHLEN")) {
      o->withmatchlen = true;
    } else if (iequals(opt, "MINMATCHLEN") && j + 1 < ctx.args.size()) {
      if (!arg_int64(ctx, ctx.args[++j], &o->minmatchlen)) return false;
      if (o->minmatchlen < 0) o->minmatchlen = 0;
    } else {
      ctx.out.error(err::kSyntax);
      return false;
    }
  }
  if (o->len && o->idx) {
    ctx.out.error("ERR If you want both the length and indexes, please just use IDX.");
    return false;
  }
  return true;
}

// The classic dynamic-programming table: cell (i, j) holds the LCS length of
// a[0..i) and b[0..j). Sized (|a|+1) x (|b|+1).
class LcsTable {
 public:
  LcsTable(std::string_view a, std::string_view b, uint32_t* cells)
      : a_(a), b_(b), w_(b.size() + 1), cells_(cells) {
    for (size_t i = 0; i <= a.size(); ++i) {
      for (size_t j = 0; j <= b.size(); ++j) {
        if (i == 0 || j == 0)
          at(i, j) = 0;
        else if (a[i - 1] == b[j - 1])
          at(i, j) = at(i - 1, j - 1) + 1;
        else
          at(i, j) = std::max(at(i - 1, j), at(i, j - 1));
      }
    }
  }
  uint32_t& at(size_t i, size_t j) { return cells_[i * w_ + j]; }
  uint32_t length() { return at(a_.size(), b_.size()); }

 private:
  std::string_view a_, b_;
  size_t w_;
  uint32_t* cells_;
};

struct LcsMatch {
  uint32_t a_start, a_end, b_start, b_end;
  uint32_t len() const { return a_end - a_start + 1; }
};

// Walks the table back from the end, producing the LCS string and its maximal
// runs of contiguous matches (last run first, as Redis reports them).
void lcs_backtrack(LcsTable& t, std::string_view a, std::string_view b, std::string* out,
                   std::vector<LcsMatch>* matches) {
  size_t i = a.size(), j = b.size();
  size_t k = t.length();
  out->assign(k, '\0');
  bool open = false;
  LcsMatch cur{};
  while (i > 0 && j > 0) {
    if (a[i - 1] == b[j - 1]) {
      (*out)[--k] = a[i - 1];
      if (open && cur.a_start == i && cur.b_start == j) {
        --cur.a_start;
        --cur.b_start;
      } else {
        if (open) matches->push_back(cur);
        cur = {uint32_t(i - 1), uint32_t(i - 1), uint32_t(j - 1), uint32_t(j - 1)};
        open = true;
      }
      --i;
      --j;
    } else {
      if (t.at(i - 1, j) > t.at(i, j - 1))
        --i;
      else
        --j;
      if (open) matches->push_back(cur);
      open = false;
    }
  }
  if (open) matches->push_back(cur);
}

void reply_lcs_idx(CommandContext& ctx, const LcsOptions& o, const std::vector<LcsMatch>& matches,
                   uint32_t length) {
  std::vector<const LcsMatch*> shown;
  for (const auto& m : matches) {
    if (o.minmatchlen == 0 || m.len() >= o.minmatchlen) shown.push_back(&m);
  }
  ctx.out.map(2);
  ctx.out.bulk("matches");
  ctx.out.array(static_cast<int64_t>(shown.size()));
  for (const LcsMatch* m : shown) {
    ctx.out.array(o.withmatchlen ? 3 : 2);
    ctx.out.array(2);
    ctx.out.integer(m->a_start);
    ctx.out.integer(m->a_end);
    ctx.out.array(2);
    ctx.out.integer(m->b_start);
    ctx.out.integer(m->b_end);
    if (o.withmatchlen) ctx.out.integer(m->len());
  }
  ctx.out.bulk("len");
  ctx.out.integer(length);
}

// Allocates the LCS table within proto-max-bulk-len, or replies why not.
uint32_t* alloc_lcs_table(CommandContext& ctx, size_t alen, size_t blen) {
  if (alen >= UINT32_MAX - 1 || blen >= UINT32_MAX - 1) {
    ctx.out.error("ERR String too long for LCS");
    return nullptr;
  }
  unsigned __int128 bytes = static_cast<unsigned __int128>(alen + 1) * (blen + 1) * 4;
  if (bytes > static_cast<unsigned __int128>(ctx.engine.config().v().proto_max_bulk_len)) {
    ctx.out.error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
    return nullptr;
  }
  auto* cells = static_cast<uint32_t*>(std::malloc(static_cast<size_t>(bytes)));
  if (!cells) {
    ctx.out.error("ERR Insufficient memory, failed allocating transient memory for LCS");
  }
  return cells;
}

void cmd_lcs(CommandContext& ctx) {
  Entry* ea = lookup_read(ctx, ctx.args[1]);
  Entry* eb = lookup_read(ctx, ctx.args[2]);
  if ((ea && ea->value.type() != ValueType::kString) ||
      (eb && eb->value.type() != ValueType::kString)) {
    ctx.out.error("ERR The specified keys must contain string values");
    return;
  }
  LcsOptions o;
  if (!parse_lcs_options(ctx, &o)) return;
  Scratch sa, sb;
  std::string_view a = ea ? string_of(ea, sa) : std::string_view();
  std::string_view b = eb ? string_of(eb, sb) : std::string_view();
  uint32_t* cells = alloc_lcs_table(ctx, a.size(), b.size());
  if (!cells) return;
  LcsTable table(a, b, cells);
  if (o.len) {
    ctx.out.integer(table.length());
  } else {
    std::string common;
    std::vector<LcsMatch> matches;
    lcs_backtrack(table, a, b, &common, &matches);
    if (o.idx)
      reply_lcs_idx(ctx, o, matches, table.length());
    else
      ctx.out.bulk(common);
  }
  std::free(cells);
}

}  // namespace

void register_string_commands(CommandTable& t) {
  Family f(t, "string");
  f.add("get", 2, kReadonly | kFast, kKey1, cmd_get);
  f.add("set", -3, kWrite | kDenyOom, kKey1, cmd_set);
  f.add("setnx", 3, kWrite | kDenyOom | kFast, kKey1, cmd_setnx);
  f.add("setex", 4, kWrite | kDenyOom, kKey1, cmd_setex);
  f.add("psetex", 4, kWrite | kDenyOom, kKey1, cmd_psetex);
  f.add("mget", -2, kReadonly | kFast, kAllKeys, cmd_mget);
  f.add("mset", -3, kWrite | kDenyOom, {1, -1, 2}, cmd_mset);
  f.add("msetnx", -3, kWrite | kDenyOom, {1, -1, 2}, cmd_msetnx);
  f.add("getset", 3, kWrite | kDenyOom | kFast, kKey1, cmd_getset);
  f.add("getdel", 2, kWrite | kFast, kKey1, cmd_getdel);
  f.add("getex", -2, kWrite | kFast, kKey1, cmd_getex);
  f.add("incr", 2, kWrite | kDenyOom | kFast, kKey1, cmd_incr);
  f.add("decr", 2, kWrite | kDenyOom | kFast, kKey1, cmd_decr);
  f.add("incrby", 3, kWrite | kDenyOom | kFast, kKey1, cmd_incrby);
  f.add("decrby", 3, kWrite | kDenyOom | kFast, kKey1, cmd_decrby);
  f.add("incrbyfloat", 3, kWrite | kDenyOom | kFast, kKey1, cmd_incrbyfloat);
  f.add("append", 3, kWrite | kDenyOom | kFast, kKey1, cmd_append);
  f.add("strlen", 2, kReadonly | kFast, kKey1, cmd_strlen);
  f.add("getrange", 4, kReadonly, kKey1, cmd_getrange);
  f.add("setrange", 4, kWrite | kDenyOom, kKey1, cmd_setrange);
  f.add("substr", 4, kReadonly, kKey1, cmd_getrange);
  f.add("lcs", -3, kReadonly, {1, 2, 1}, cmd_lcs);
}

}  // namespace kvd::commands
