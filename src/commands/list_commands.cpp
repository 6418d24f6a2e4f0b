// List commands: pushes, pops, ranges, LPOS/LMOVE/LMPOP and their blocking
// variants (BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP, see engine/blocking.hpp).
#include <climits>
#include <string>
#include <vector>

#include "command_helpers.hpp"
#include "declare.hpp"
#include "families.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/engine/blocking.hpp"
#include "kvd/engine/types/list.hpp"

namespace kvd::commands {
namespace {

List* as_list(Entry* e) {
  return static_cast<List*>(e->value.object());
}

// Looks a key up for writing; WRONGTYPE (unless `quiet`) when it is not a list.
// Returns false after replying an error; *out is null when the key is missing.
bool write_list(CommandContext& ctx, std::string_view key, Entry** out, bool quiet = false) {
  if (!quiet) return lookup_write_typed(ctx, key, ValueType::kList, out);
  Entry* e = lookup_write(ctx, key);
  if (e && e->value.type() != ValueType::kList) return false;
  *out = e;
  return true;
}

Entry* create_list(CommandContext& ctx, std::string_view key) {
  auto* l = new List(ctx.engine.config().v().list_max_listpack_size);
  return ctx.db.add(key, Value::from_object(l));
}

// Bookkeeping after elements were removed: deletes an emptied list.
void removed_from(CommandContext& ctx, std::string_view key, Entry* e, std::string_view event) {
  ctx.engine.notify_keyspace_event('l', event, key, ctx.db.id());
  if (as_list(e)->empty()) {
    ctx.db.remove(key);
    ctx.engine.notify_keyspace_event('g', "del", key, ctx.db.id());
  }
  ctx.engine.signal_modified_key(ctx.db.id(), key);
}

void pushed_to(CommandContext& ctx, std::string_view key, std::string_view event) {
  ctx.engine.signal_modified_key(ctx.db.id(), key);
  ctx.engine.notify_keyspace_event('l', event, key, ctx.db.id());
  ctx.engine.signal_key_ready(ctx.db.id(), key);
}

// A "count" argument that must be >= 0 (LPOP/RPOP count, LPOS COUNT/MAXLEN).
bool arg_non_negative(CommandContext& ctx, std::string_view s, const char* msg, int64_t* out) {
  if (!arg_int64(ctx, s, out)) return false;
  if (*out < 0) {
    ctx.out.error(msg);
    return false;
  }
  return true;
}

// Maps Redis's (possibly negative) start/stop to a clamped [start, start+len).
// Returns false when the range is empty.
bool normalize_range(int64_t start, int64_t stop, size_t size, size_t* first, size_t* count) {
  auto llen = static_cast<int64_t>(size);
  if (start < 0) start += llen;
  if (stop < 0) stop += llen;
  if (start < 0) start = 0;
  if (start > stop || start >= llen) return false;
  if (stop >= llen) stop = llen - 1;
  *first = static_cast<size_t>(start);
  *count = static_cast<size_t>(stop - start + 1);
  return true;
}

// --- pushes -----------------------------------------------------------------

void push_generic(CommandContext& ctx, bool front, bool only_existing) {
  std::string_view key = ctx.args[1];
  Entry* e;
  if (!write_list(ctx, key, &e)) return;
  if (!e) {
    if (only_existing) {
      ctx.out.integer(0);
      return;
    }
    e = create_list(ctx, key);
  }
  List* l = as_list(e);
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    if (front)
      l->push_front(ctx.args[i]);
    else
      l->push_back(ctx.args[i]);
  }
  ctx.out.integer(static_cast<int64_t>(l->size()));
  pushed_to(ctx, key, front ? "lpush" : "rpush");
  ctx.dirty = static_cast<int64_t>(ctx.args.size() - 2);
}

void cmd_lpush(CommandContext& ctx) {
  push_generic(ctx, true, false);
}
void cmd_rpush(CommandContext& ctx) {
  push_generic(ctx, false, false);
}
void cmd_lpushx(CommandContext& ctx) {
  push_generic(ctx, true, true);
}
void cmd_rpushx(CommandContext& ctx) {
  push_generic(ctx, false, true);
}

// --- pops -------------------------------------------------------------------

// Replies up to `count` elements from one end as an array and removes them.
void pop_range_reply(CommandContext& ctx, List* l, bool front, size_t count) {
  size_t n = count < l->size() ? count : l->size();
  ctx.out.array(static_cast<int64_t>(n));
  if (front) {
    l->for_each(0, n, [&](std::string_view e) { ctx.out.bulk(e); });
    l->keep_range(n, l->size() - n);
  } else {
    size_t left = n;
    l->for_each_reverse([&](size_t, std::string_view e) {
      ctx.out.bulk(e);
      return --left > 0;
    });
    l->keep_range(0, l->size() - n);
  }
}

void pop_one_reply(CommandContext& ctx, List* l, bool front) {
  if (front) {
    ctx.out.bulk(l->front());
    l->pop_front();
  } else {
    ctx.out.bulk(l->back());
    l->pop_back();
  }
}

void pop_generic(CommandContext& ctx, bool front) {
  if (ctx.args.size() > 3) {
    reply_arity_error(ctx);
    return;
  }
  bool has_count = ctx.args.size() == 3;
  int64_t count = 0;
  if (has_count &&
      !arg_non_negative(ctx, ctx.args[2], "ERR value is out of range, must be positive", &count))
    return;
  std::string_view key = ctx.args[1];
  Entry* e;
  if (!write_list(ctx, key, &e)) return;
  if (!e) {
    if (has_count)
      ctx.out.null_array();
    else
      ctx.out.null();
    return;
  }
  if (has_count && count == 0) {
    ctx.out.array(0);
    ctx.dirty = 0;
    return;
  }
  List* l = as_list(e);
  size_t before = l->size();
  if (has_count)
    pop_range_reply(ctx, l, front, static_cast<size_t>(count));
  else
    pop_one_reply(ctx, l, front);
  ctx.dirty = static_cast<int64_t>(before - l->size());
  removed_from(ctx, key, e, front ? "lpop" : "rpop");
}

void cmd_lpop(CommandContext& ctx) {
  pop_generic(ctx, true);
}
void cmd_rpop(CommandContext& ctx) {
  pop_generic(ctx, false);
}

// --- reads ------------------------------------------------------------------

bool read_list(CommandContext& ctx, std::string_view key, Entry** out) {
  return lookup_read_typed(ctx, key, ValueType::kList, out);
}

void cmd_llen(CommandContext& ctx) {
  Entry* e;
  if (!read_list(ctx, ctx.args[1], &e)) return;
  ctx.out.integer(e ? static_cast<int64_t>(as_list(e)->size()) : 0);
}

void cmd_lrange(CommandContext& ctx) {
  int64_t start, stop;
  if (!arg_int64(ctx, ctx.args[2], &start) || !arg_int64(ctx, ctx.args[3], &stop)) return;
  Entry* e;
  if (!read_list(ctx, ctx.args[1], &e)) return;
  size_t first, count;
  if (!e || !normalize_range(start, stop, as_list(e)->size(), &first, &count)) {
    ctx.out.array(0);
    return;
  }
  ctx.out.array(static_cast<int64_t>(count));
  // Elements go from the packed nodes straight into the reply buffer.
  as_list(e)->for_each(first, count, [&](std::string_view v) { ctx.out.bulk(v); });
}

void cmd_lindex(CommandContext& ctx) {
  Entry* e;
  if (!read_list(ctx, ctx.args[1], &e)) return;
  if (!e) {
    ctx.out.null();
    return;
  }
  int64_t index;
  if (!arg_int64(ctx, ctx.args[2], &index)) return;
  List* l = as_list(e);
  auto llen = static_cast<int64_t>(l->size());
  if (index < 0) index += llen;
  if (index < 0 || index >= llen) {
    ctx.out.null();
    return;
  }
  ctx.out.bulk(l->at(static_cast<size_t>(index)));
}

void cmd_lpos(CommandContext& ctx) {
  int64_t rank = 1, count = -1, maxlen = 0;
  for (size_t j = 3; j < ctx.args.size(); ++j) {
    std::string_view opt = ctx.args[j];
    bool more = j + 1 < ctx.args.size();
    if (iequals(opt, "rank") && more) {
      if (!arg_int64(ctx, ctx.args[++j], &rank)) return;
      if (rank == 0) {
        ctx.out.error(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
            "or use negative to start from the end of the list");
        return;
      }
    } else if (iequals(opt, "count") && more) {
      if (!arg_non_negative(ctx, ctx.args[++j], "ERR COUNT can't be negative", &count)) return;
    } else if (iequals(opt, "maxlen") && more) {
      if (!arg_non_negative(ctx, ctx.args[++j], "ERR MAXLEN can't be negative", &maxlen)) return;
    } else {
      ctx.out.error(err::kSyntax);
      return;
    }
  }
  Entry* e;
  if (!read_list(ctx, ctx.args[1], &e)) return;
  if (!e) {
    if (count != -1)
      ctx.out.array(0);
    else
      ctx.out.null();
    return;
  }
  List* l = as_list(e);
  std::string_view want = ctx.args[2];
  bool backward = rank < 0;
  // Matches to pass over. Redis negates INT64_MIN into itself, which then acts
  // as "the first match from the tail": mirror that instead of overflowing.
  uint64_t skip = rank == INT64_MIN ? 0 : static_cast<uint64_t>(backward ? -rank : rank) - 1;
  std::vector<int64_t> found;
  uint64_t scanned = 0;
  auto limit = static_cast<uint64_t>(maxlen);
  auto visit = [&](size_t index, std::string_view v) {
    if (limit != 0 && scanned >= limit) return false;
    ++scanned;
    if (v != want) return true;
    if (skip > 0) {
      --skip;
      return true;
    }
    found.push_back(static_cast<int64_t>(index));
    return count > 0 ? found.size() < static_cast<uint64_t>(count) : count == 0;
  };
  if (backward) {
    l->for_each_reverse(visit);
  } else {
    size_t index = 0;
    l->for_each(0, l->size(), [&](std::string_view v) { return visit(index++, v); });
  }
  if (count == -1) {
    if (found.empty())
      ctx.out.null();
    else
      ctx.out.integer(found[0]);
    return;
  }
  ctx.out.array(static_cast<int64_t>(found.size()));
  for (int64_t i : found) ctx.out.integer(i);
}

// --- in-place edits ---------------------------------------------------------

void cmd_lset(CommandContext& ctx) {
  Entry* e;
  if (!write_list(ctx, ctx.args[1], &e)) return;
  if (!e) {
    ctx.out.error("ERR no such key");
    return;
  }
  int64_t index;
  if (!arg_int64(ctx, ctx.args[2], &index)) return;
  List* l = as_list(e);
  auto llen = static_cast<int64_t>(l->size());
  if (index < 0) index += llen;
  if (index < 0 || index >= llen) {
    ctx.out.error(err::kOutOfRange);
    return;
  }
  l->set(static_cast<size_t>(index), ctx.args[3]);
  ctx.out.ok();
  ctx.engine.signal_modified_key(ctx.db.id(), ctx.args[1]);
  ctx.engine.notify_keyspace_event('l', "lset", ctx.args[1], ctx.db.id());
}

void cmd_linsert(CommandContext& ctx) {
  bool after;
  if (iequals(ctx.args[2], "after")) {
    after = true;
  } else if (iequals(ctx.args[2], "before")) {
    after = false;
  } else {
    ctx.out.error(err::kSyntax);
    return;
  }
  Entry* e;
  if (!write_list(ctx, ctx.args[1], &e)) return;
  if (!e) {
    ctx.out.integer(0);
    return;
  }
  List* l = as_list(e);
  int64_t pivot = -1;
  size_t index = 0;
  l->for_each(0, l->size(), [&](std::string_view v) {
    if (v == ctx.args[3]) {
      pivot = static_cast<int64_t>(index);
      return false;
    }
    ++index;
    return true;
  });
  if (pivot < 0) {
    ctx.out.integer(-1);
    ctx.dirty = 0;
    return;
  }
  l->insert(static_cast<size_t>(pivot), ctx.args[4], after);
  ctx.out.integer(static_cast<int64_t>(l->size()));
  ctx.engine.signal_modified_key(ctx.db.id(), ctx.args[1]);
  ctx.engine.notify_keyspace_event('l', "linsert", ctx.args[1], ctx.db.id());
}

void cmd_lrem(CommandContext& ctx) {
  int64_t count;
  if (!arg_int64(ctx, ctx.args[2], &count)) return;
  Entry* e;
  if (!write_list(ctx, ctx.args[1], &e)) return;
  if (!e) {
    ctx.out.integer(0);
    return;
  }
  // |count| computed unsigned so INT64_MIN does not overflow.
  uint64_t limit = count < 0 ? 0 - static_cast<uint64_t>(count) : static_cast<uint64_t>(count);
  size_t removed = as_list(e)->remove(ctx.args[3], limit, count < 0);
  ctx.out.integer(static_cast<int64_t>(removed));
  ctx.dirty = static_cast<int64_t>(removed);
  if (removed > 0) removed_from(ctx, ctx.args[1], e, "lrem");
}

void cmd_ltrim(CommandContext& ctx) {
  int64_t start, stop;
  if (!arg_int64(ctx, ctx.args[2], &start) || !arg_int64(ctx, ctx.args[3], &stop)) return;
  Entry* e;
  if (!write_list(ctx, ctx.args[1], &e)) return;
  if (!e) {
    ctx.out.ok();
    return;
  }
  List* l = as_list(e);
  size_t before = l->size(), first = 0, count = 0;
  if (normalize_range(start, stop, before, &first, &count))
    l->keep_range(first, count);
  else
    l->keep_range(0, 0);
  ctx.out.ok();
  ctx.dirty = static_cast<int64_t>(before - l->size());
  removed_from(ctx, ctx.args[1], e, "ltrim");
}

// --- moves ------------------------------------------------------------------

bool arg_side(CommandContext& ctx, std::string_view s, bool* left) {
  if (iequals(s, "left")) {
    *left = true;
  } else if (iequals(s, "right")) {
    *left = false;
  } else {
    ctx.out.error(err::kSyntax);
    return false;
  }
  return true;
}

// Moves one element from `src` (existing, non-empty list entry) to `dst`.
// Replies the element, or WRONGTYPE when dst holds another type.
void move_element(CommandContext& ctx, Entry* src_e, std::string_view src, std::string_view dst,
                  bool from_left, bool to_left) {
  Entry* dst_e;
  if (!write_list(ctx, dst, &dst_e)) return;
  List* from = as_list(src_e);
  std::string v(from_left ? from->front() : from->back());
  if (from_left)
    from->pop_front();
  else
    from->pop_back();
  if (!dst_e) dst_e = ctx.db.find_raw(dst);  // src == dst: the source entry itself
  if (!dst_e) dst_e = create_list(ctx, dst);
  if (to_left)
    as_list(dst_e)->push_front(v);
  else
    as_list(dst_e)->push_back(v);
  pushed_to(ctx, dst, to_left ? "lpush" : "rpush");
  ctx.out.bulk(v);
  // The source entry may have moved if dst was added to the table: find it again.
  removed_from(ctx, src, ctx.db.find_raw(src), from_left ? "lpop" : "rpop");
}

void lmove_generic(CommandContext& ctx, bool from_left, bool to_left) {
  Entry* e;
  if (!write_list(ctx, ctx.args[1], &e)) return;
  if (!e) {
    ctx.out.null();
    return;
  }
  move_element(ctx, e, ctx.args[1], ctx.args[2], from_left, to_left);
}

void cmd_lmove(CommandContext& ctx) {
  bool from_left, to_left;
  if (!arg_side(ctx, ctx.args[3], &from_left) || !arg_side(ctx, ctx.args[4], &to_left)) return;
  lmove_generic(ctx, from_left, to_left);
}

void cmd_rpoplpush(CommandContext& ctx) {
  lmove_generic(ctx, false, true);
}

// --- multi-key pops ---------------------------------------------------------

struct MpopArgs {
  std::vector<std::string_view> keys;
  bool left = true;
  int64_t count = 1;
};

// numkeys key... LEFT|RIGHT [COUNT n], starting at args[numkeys_at].
bool parse_mpop(CommandContext& ctx, size_t numkeys_at, MpopArgs* m) {
  // Like Redis's getRangeLong: a non-number gets the same message as 0.
  int64_t numkeys;
  if (!parse_int64(ctx.args[numkeys_at], &numkeys) || numkeys < 1) {
    ctx.out.error("ERR numkeys should be greater than 0");
    return false;
  }
  size_t where_at = numkeys_at + 1;
  if (static_cast<uint64_t>(numkeys) >= ctx.args.size() - where_at) {
    ctx.out.error(err::kSyntax);
    return false;
  }
  where_at += static_cast<size_t>(numkeys);
  m->keys.assign(ctx.args.begin() + static_cast<ptrdiff_t>(numkeys_at + 1),
                 ctx.args.begin() + static_cast<ptrdiff_t>(where_at));
  if (!arg_side(ctx, ctx.args[where_at], &m->left)) return false;
  bool have_count = false;
  for (size_t j = where_at + 1; j < ctx.args.size(); ++j) {
    if (!have_count && iequals(ctx.args[j], "count") && j + 1 < ctx.args.size()) {
      if (!parse_int64(ctx.args[++j], &m->count) || m->count < 1) {
        ctx.out.error("ERR count should be greater than 0");
        return false;
      }
      have_count = true;
    } else {
      ctx.out.error(err::kSyntax);
      return false;
    }
  }
  return true;
}

// Pops from the first non-empty list among m.keys: replies [key, [elements]].
// Returns false when no key had elements (nothing replied, unless an error).
bool mpop_serve(CommandContext& ctx, const MpopArgs& m, bool* errored) {
  *errored = false;
  for (std::string_view key : m.keys) {
    if (!may_serve_key(ctx, key)) continue;
    Entry* e;
    if (!write_list(ctx, key, &e, is_block_retry(ctx))) {
      *errored = !is_block_retry(ctx);
      if (*errored) return false;
      continue;
    }
    if (!e) continue;
    List* l = as_list(e);
    size_t before = l->size();
    ctx.out.array(2);
    ctx.out.bulk(key);
    pop_range_reply(ctx, l, m.left, static_cast<size_t>(m.count));
    ctx.dirty = static_cast<int64_t>(before - l->size());
    // LMPOP and BLMPOP replay as the plain pop of the key that served.
    propagate_as(ctx, {m.left ? "LPOP" : "RPOP", key, int_to_string(ctx.dirty)});
    removed_from(ctx, key, e, m.left ? "lpop" : "rpop");
    return true;
  }
  return false;
}

void cmd_lmpop(CommandContext& ctx) {
  MpopArgs m;
  if (!parse_mpop(ctx, 1, &m)) return;
  bool errored;
  if (!mpop_serve(ctx, m, &errored) && !errored) {
    ctx.out.null_array();
    ctx.dirty = 0;  // nothing popped: nothing to propagate
  }
}

// --- blocking variants ------------------------------------------------------

void cmd_blmpop(CommandContext& ctx) {
  MpopArgs m;
  if (!parse_mpop(ctx, 2, &m)) return;
  int64_t deadline;
  if (!arg_block_timeout(ctx, ctx.args[1], &deadline)) return;
  bool errored;
  if (mpop_serve(ctx, m, &errored) || errored) return;
  block_on_keys(ctx, m.keys, deadline);
}

void blocking_pop(CommandContext& ctx, bool front) {
  int64_t deadline;
  if (!arg_block_timeout(ctx, ctx.args.back(), &deadline)) return;
  Args keys = ctx.args.subspan(1, ctx.args.size() - 2);
  bool retry = is_block_retry(ctx);
  for (std::string_view key : keys) {
    if (!may_serve_key(ctx, key)) continue;
    Entry* e;
    if (!write_list(ctx, key, &e, retry)) {
      if (retry) continue;
      return;
    }
    if (!e) continue;
    ctx.out.array(2);
    ctx.out.bulk(key);
    pop_one_reply(ctx, as_list(e), front);
    propagate_as(ctx, {front ? "LPOP" : "RPOP", key});
    removed_from(ctx, key, e, front ? "lpop" : "rpop");
    return;
  }
  block_on_keys(ctx, keys, deadline);
}

void cmd_blpop(CommandContext& ctx) {
  blocking_pop(ctx, true);
}
void cmd_brpop(CommandContext& ctx) {
  blocking_pop(ctx, false);
}

void blmove_generic(CommandContext& ctx, bool from_left, bool to_left, std::string_view timeout) {
  int64_t deadline;
  if (!arg_block_timeout(ctx, timeout, &deadline)) return;
  std::string_view src = ctx.args[1];
  Entry* e;
  if (!write_list(ctx, src, &e, is_block_retry(ctx))) {
    if (is_block_retry(ctx)) block_on_keys(ctx, {&src, 1}, deadline);
    return;
  }
  if (e) {
    const uint64_t errors = ctx.out.errors();
    move_element(ctx, e, src, ctx.args[2], from_left, to_left);
    // As the non-blocking command that ran, as Redis 7 replays them.
    if (ctx.out.errors() == errors && iequals(ctx.args[0], "brpoplpush"))
      propagate_as(ctx, {"RPOPLPUSH", src, ctx.args[2]});
    else if (ctx.out.errors() == errors)
      propagate_as(ctx, {"LMOVE", src, ctx.args[2], from_left ? "LEFT" : "RIGHT",
                         to_left ? "LEFT" : "RIGHT"});
    return;
  }
  // Inside MULTI Redis answers a null bulk here (a timeout is a null array).
  if (ctx.client.in_exec) {
    ctx.out.null();
    return;
  }
  block_on_keys(ctx, {&src, 1}, deadline);
}

void cmd_blmove(CommandContext& ctx) {
  bool from_left, to_left;
  if (!arg_side(ctx, ctx.args[3], &from_left) || !arg_side(ctx, ctx.args[4], &to_left)) return;
  blmove_generic(ctx, from_left, to_left, ctx.args[5]);
}

void cmd_brpoplpush(CommandContext& ctx) {
  blmove_generic(ctx, false, true, ctx.args[3]);
}

// --- registration -----------------------------------------------------------

// Key positions of LMPOP (numkeys at 1) and BLMPOP (numkeys at 2).
std::vector<int> mpop_keys_at(Args args, size_t numkeys_at) {
  std::vector<int> keys;
  int64_t n;
  if (args.size() <= numkeys_at || !parse_int64(args[numkeys_at], &n) || n < 1) return keys;
  for (int64_t i = 0; i < n && numkeys_at + 1 + static_cast<size_t>(i) < args.size(); ++i)
    keys.push_back(static_cast<int>(numkeys_at + 1 + static_cast<size_t>(i)));
  return keys;
}
std::vector<int> lmpop_keys(Args args) {
  return mpop_keys_at(args, 1);
}
std::vector<int> blmpop_keys(Args args) {
  return mpop_keys_at(args, 2);
}

}  // namespace

void register_list_commands(CommandTable& t) {
  Family f(t, "list");
  f.add("lpush", -3, kWrite | kDenyOom | kFast, kKey1, cmd_lpush);
  f.add("rpush", -3, kWrite | kDenyOom | kFast, kKey1, cmd_rpush);
  f.add("lpushx", -3, kWrite | kDenyOom | kFast, kKey1, cmd_lpushx);
  f.add("rpushx", -3, kWrite | kDenyOom | kFast, kKey1, cmd_rpushx);
  f.add("lpop", -2, kWrite | kFast, kKey1, cmd_lpop);
  f.add("rpop", -2, kWrite | kFast, kKey1, cmd_rpop);
  f.add("llen", 2, kReadonly | kFast, kKey1, cmd_llen);
  f.add("lrange", 4, kReadonly, kKey1, cmd_lrange);
  f.add("lindex", 3, kReadonly, kKey1, cmd_lindex);
  f.add("lset", 4, kWrite | kDenyOom, kKey1, cmd_lset);
  f.add("linsert", 5, kWrite | kDenyOom, kKey1, cmd_linsert);
  f.add("lrem", 4, kWrite, kKey1, cmd_lrem);
  f.add("ltrim", 4, kWrite, kKey1, cmd_ltrim);
  f.add("lpos", -3, kReadonly, kKey1, cmd_lpos);
  f.add("lmove", 5, kWrite | kDenyOom, {1, 2, 1}, cmd_lmove);
  f.add("rpoplpush", 3, kWrite | kDenyOom, {1, 2, 1}, cmd_rpoplpush);
  f.add("lmpop", -4, kWrite | kMovableKeys, kNoKeys, cmd_lmpop, {.find_keys = lmpop_keys});
  f.add("blpop", -3, kWrite | kNoscript | kBlocking, {1, -2, 1}, cmd_blpop);
  f.add("brpop", -3, kWrite | kNoscript | kBlocking, {1, -2, 1}, cmd_brpop);
  f.add("blmove", 6, kWrite | kDenyOom | kNoscript | kBlocking, {1, 2, 1}, cmd_blmove);
  f.add("brpoplpush", 4, kWrite | kDenyOom | kNoscript | kBlocking, {1, 2, 1}, cmd_brpoplpush);
  f.add("blmpop", -5, kWrite | kBlocking | kMovableKeys, kNoKeys, cmd_blmpop,
        {.find_keys = blmpop_keys});
}

}  // namespace kvd::commands
