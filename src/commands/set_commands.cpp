// Set commands: SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD SPOP SRANDMEMBER
// SMOVE SINTER SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF SDIFFSTORE SSCAN.
// Replies and errors follow Redis 7.0.
#include <algorithm>
#include <climits>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "collection_helpers.hpp"
#include "command_helpers.hpp"
#include "declare.hpp"
#include "families.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/engine/type_limits.hpp"
#include "kvd/engine/types/set.hpp"

namespace kvd::commands {
namespace {

SetLimits limits_of(const CommandContext& ctx) {
  return set_limits(ctx.engine.config().v());
}

SetObject* set_of(Entry* e) {
  return static_cast<SetObject*>(e->value.object());
}

bool read_set(CommandContext& ctx, std::string_view key, SetObject** s) {
  Entry* e;
  if (!lookup_read_typed(ctx, key, ValueType::kSet, &e)) return false;
  *s = e ? set_of(e) : nullptr;
  return true;
}

// The intset width that holds every member, or 0 when one is not an integer
// or there are too many for an intset.
template <typename Range>
uint8_t width_needed(const Range& members, const SetLimits& lim) {
  if (members.size() > lim.max_intset_entries) return 0;
  uint8_t w = 1;
  for (std::string_view m : members) {
    int64_t v;
    if (m.size() > 20 || !parse_int64(m, &v)) return 0;
    w = std::max(w, SetObject::width_for(v));
  }
  return w;
}

void notify(CommandContext& ctx, char type, std::string_view event, std::string_view key) {
  ctx.engine.notify_keyspace_event(type, event, key, ctx.db.id());
}

void modified(CommandContext& ctx, std::string_view key) {
  ctx.engine.signal_modified_key(ctx.db.id(), key);
}

// Deletes the key when its set became empty; returns whether it did.
bool remove_if_empty(CommandContext& ctx, std::string_view key, const SetObject* s) {
  if (s->size() != 0) return false;
  ctx.db.remove(key);
  notify(ctx, 'g', "del", key);
  return true;
}

// ------------------------------------------------------------- SADD SREM

void cmd_sadd(CommandContext& ctx) {
  Entry* e;
  if (!lookup_write_typed(ctx, ctx.args[1], ValueType::kSet, &e)) return;
  if (!e) {
    // Sized for the members at hand, so a set built by one SADD is one block.
    Args members = ctx.args.subspan(2);
    e = ctx.db.add(ctx.args[1], Value::from_object(SetObject::create_for(
                                    members.size(), width_needed(members, limits_of(ctx)))));
  }
  SetObject* s = set_of(e);
  SetLimits lim = limits_of(ctx);
  int64_t added = 0;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    if (s->add(ctx.args[i], lim)) ++added;
  }
  if (added) {
    modified(ctx, ctx.args[1]);
    notify(ctx, 's', "sadd", ctx.args[1]);
  }
  ctx.dirty = added;
  ctx.out.integer(added);
}

void cmd_srem(CommandContext& ctx) {
  Entry* e;
  if (!lookup_write_typed(ctx, ctx.args[1], ValueType::kSet, &e)) return;
  int64_t deleted = 0;
  bool key_removed = false;
  if (e) {
    SetObject* s = set_of(e);
    for (size_t i = 2; i < ctx.args.size(); ++i) {
      if (!s->remove(ctx.args[i])) continue;
      ++deleted;
      if (s->size() == 0) {
        ctx.db.remove(ctx.args[1]);
        key_removed = true;
        break;
      }
    }
  }
  if (deleted) {
    modified(ctx, ctx.args[1]);
    notify(ctx, 's', "srem", ctx.args[1]);
    if (key_removed) notify(ctx, 'g', "del", ctx.args[1]);
  }
  ctx.dirty = deleted;
  ctx.out.integer(deleted);
}

// ------------------------------------------------------------- reads

void cmd_smembers(CommandContext& ctx) {
  SetObject* s;
  if (!read_set(ctx, ctx.args[1], &s)) return;
  ctx.out.set(s ? static_cast<int64_t>(s->size()) : 0);
  if (s) s->for_each([&](std::string_view m) { ctx.out.bulk(m); });
}

void cmd_sismember(CommandContext& ctx) {
  SetObject* s;
  if (read_set(ctx, ctx.args[1], &s)) ctx.out.integer(s && s->contains(ctx.args[2]) ? 1 : 0);
}

void cmd_smismember(CommandContext& ctx) {
  SetObject* s;
  if (!read_set(ctx, ctx.args[1], &s)) return;
  ctx.out.array(static_cast<int64_t>(ctx.args.size() - 2));
  for (size_t i = 2; i < ctx.args.size(); ++i)
    ctx.out.integer(s && s->contains(ctx.args[i]) ? 1 : 0);
}

void cmd_scard(CommandContext& ctx) {
  SetObject* s;
  if (read_set(ctx, ctx.args[1], &s)) ctx.out.integer(s ? static_cast<int64_t>(s->size()) : 0);
}

// ------------------------------------------------------------- SPOP

void spop_count(CommandContext& ctx) {
  int64_t count;
  if (!arg_range(ctx, ctx.args[2], 0, INT64_MAX, &count,
                 "ERR value is out of range, must be positive"))
    return;
  Entry* e;
  if (!lookup_write_typed(ctx, ctx.args[1], ValueType::kSet, &e)) return;
  if (!e || count == 0) {
    ctx.out.set(0);
    ctx.dirty = 0;
    return;
  }
  SetObject* s = set_of(e);
  auto size = static_cast<int64_t>(s->size());
  notify(ctx, 's', "spop", ctx.args[1]);
  modified(ctx, ctx.args[1]);
  if (count >= size) {
    ctx.out.set(size);
    s->for_each([&](std::string_view m) { ctx.out.bulk(m); });
    ctx.db.remove(ctx.args[1]);
    notify(ctx, 'g', "del", ctx.args[1]);
    propagate_as(ctx, {"DEL", ctx.args[1]});
    ctx.dirty = size;
    return;
  }
  ctx.out.set(count);
  // The members are chosen at random: what propagates is which ones went.
  std::vector<std::string> srem{"SREM", std::string(ctx.args[1])};
  for (int64_t i = 0; i < count; ++i) {
    srem.push_back(s->pop_random());
    ctx.out.bulk(srem.back());
  }
  propagate_as(ctx, std::move(srem));
  ctx.dirty = count;
}

void cmd_spop(CommandContext& ctx) {
  if (ctx.args.size() == 3) return spop_count(ctx);
  if (ctx.args.size() > 3) {
    ctx.out.error(err::kSyntax);
    return;
  }
  Entry* e;
  if (!lookup_write_typed(ctx, ctx.args[1], ValueType::kSet, &e)) return;
  if (!e) {
    ctx.out.null();
    ctx.dirty = 0;
    return;
  }
  SetObject* s = set_of(e);
  const std::string member = s->pop_random();
  ctx.out.bulk(member);
  propagate_as(ctx, {"SREM", ctx.args[1], member});
  notify(ctx, 's', "spop", ctx.args[1]);
  remove_if_empty(ctx, ctx.args[1], s);
  modified(ctx, ctx.args[1]);
}

// ------------------------------------------------------------- SRANDMEMBER

// `count` distinct members (count < size): a partial shuffle when count is a
// good part of the set, else rejection sampling.
void reply_distinct_members(CommandContext& ctx, const SetObject& s, size_t count) {
  std::vector<std::string> picked;
  picked.reserve(count);
  if (count * 3 > s.size()) {
    std::vector<std::string> all;
    all.reserve(s.size());
    s.for_each([&](std::string_view m) { all.emplace_back(m); });
    for (size_t i = 0; i < count; ++i) {
      size_t j = i + fast_random() % (all.size() - i);
      std::swap(all[i], all[j]);
      picked.push_back(std::move(all[i]));
    }
  } else {
    std::unordered_set<std::string> seen;
    char buf[24];
    while (picked.size() < count) {
      std::string_view m = s.random(buf);
      if (seen.emplace(m).second) picked.emplace_back(m);
    }
  }
  for (const auto& m : picked) ctx.out.bulk(m);
}

void srandmember_count(CommandContext& ctx) {
  int64_t l;
  if (!arg_range(ctx, ctx.args[2], -INT64_MAX, INT64_MAX, &l)) return;
  SetObject* s;
  if (!read_set(ctx, ctx.args[1], &s)) return;
  if (!s || l == 0) {
    ctx.out.array(0);
    return;
  }
  char buf[24];
  if (l < 0) {
    auto count = static_cast<uint64_t>(-l);
    ctx.out.array(static_cast<int64_t>(count));
    while (count--) ctx.out.bulk(s->random(buf));
    return;
  }
  auto count = static_cast<size_t>(l);
  if (count >= s->size()) {
    ctx.out.array(static_cast<int64_t>(s->size()));
    s->for_each([&](std::string_view m) { ctx.out.bulk(m); });
    return;
  }
  ctx.out.array(l);
  reply_distinct_members(ctx, *s, count);
}

void cmd_srandmember(CommandContext& ctx) {
  if (ctx.args.size() == 3) return srandmember_count(ctx);
  if (ctx.args.size() > 3) {
    ctx.out.error(err::kSyntax);
    return;
  }
  SetObject* s;
  if (!read_set(ctx, ctx.args[1], &s)) return;
  if (!s) {
    ctx.out.null();
    return;
  }
  char buf[24];
  ctx.out.bulk(s->random(buf));
}

// ------------------------------------------------------------- SMOVE

void cmd_smove(CommandContext& ctx) {
  std::string_view src_key = ctx.args[1], dst_key = ctx.args[2], member = ctx.args[3];
  Entry* src = lookup_write(ctx, src_key);
  Entry* dst = lookup_write(ctx, dst_key);
  ctx.dirty = 0;
  if (!src) {
    ctx.out.integer(0);
    return;
  }
  if (src->value.type() != ValueType::kSet || (dst && dst->value.type() != ValueType::kSet)) {
    ctx.out.error(err::kWrongType);
    return;
  }
  SetObject* from = set_of(src);
  if (src == dst) {
    ctx.out.integer(from->contains(member) ? 1 : 0);
    return;
  }
  if (!from->remove(member)) {
    ctx.out.integer(0);
    return;
  }
  notify(ctx, 's', "srem", src_key);
  remove_if_empty(ctx, src_key, from);
  if (!dst) {
    dst = ctx.db.add(dst_key, Value::from_object(SetObject::create_for(
                                  1, width_needed(Args(&member, 1), limits_of(ctx)))));
  }
  modified(ctx, src_key);
  ctx.dirty = 1;
  if (set_of(dst)->add(member, limits_of(ctx))) {
    ctx.dirty = 2;
    modified(ctx, dst_key);
    notify(ctx, 's', "sadd", dst_key);
  }
  ctx.out.integer(1);
}

// ------------------------------------------------------------- algebra

// Looks every key up; missing keys are null. False after a WRONGTYPE reply.
bool lookup_sets(CommandContext& ctx, Args keys, std::vector<SetObject*>* sets) {
  for (std::string_view k : keys) {
    SetObject* s;
    if (!read_set(ctx, k, &s)) return false;
    sets->push_back(s);
  }
  return true;
}

// Stores `result` at dst (or deletes dst when it is empty) and replies with
// its size, as the *STORE commands do.
void store_result(CommandContext& ctx, std::string_view dst, std::unique_ptr<SetObject> result,
                  std::string_view event) {
  auto n = static_cast<int64_t>(result ? result->size() : 0);
  if (n > 0) {
    ctx.db.set(dst, Value::from_object(result.release()));
    modified(ctx, dst);
    notify(ctx, 's', event, dst);
    ctx.dirty = 1;
  } else if (lookup_write(ctx, dst)) {
    ctx.db.remove(dst);
    modified(ctx, dst);
    notify(ctx, 'g', "del", dst);
    ctx.dirty = 1;
  } else {
    ctx.dirty = 0;
  }
  ctx.out.integer(n);
}

// Members of the intersection, smallest set first; stops at `limit` (0 = no
// limit). Returns an empty list when any set is missing.
std::vector<std::string> intersect(std::vector<SetObject*> sets, size_t limit) {
  std::vector<std::string> out;
  for (SetObject* s : sets) {
    if (!s) return out;
  }
  std::sort(sets.begin(), sets.end(),
            [](const SetObject* a, const SetObject* b) { return a->size() < b->size(); });
  sets[0]->for_each([&](std::string_view m) {
    if (limit && out.size() >= limit) return;
    for (size_t j = 1; j < sets.size(); ++j) {
      if (sets[j] != sets[0] && !sets[j]->contains(m)) return;
    }
    out.emplace_back(m);
  });
  return out;
}

std::vector<std::string> unite(const std::vector<SetObject*>& sets) {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  for (SetObject* s : sets) {
    if (!s) continue;
    s->for_each([&](std::string_view m) {
      if (seen.emplace(m).second) out.emplace_back(m);
    });
  }
  return out;
}

std::vector<std::string> difference(const std::vector<SetObject*>& sets) {
  std::vector<std::string> out;
  if (!sets[0]) return out;
  sets[0]->for_each([&](std::string_view m) {
    for (size_t j = 1; j < sets.size(); ++j) {
      if (sets[j] && sets[j]->contains(m)) return;
    }
    out.emplace_back(m);
  });
  return out;
}

enum class SetOp { kInter, kUnion, kDiff };

std::vector<std::string> compute(SetOp op, const std::vector<SetObject*>& sets) {
  switch (op) {
    case SetOp::kInter:
      return intersect(sets, 0);
    case SetOp::kUnion:
      return unite(sets);
    case SetOp::kDiff:
      return difference(sets);
  }
  return {};
}

void algebra_reply(CommandContext& ctx, SetOp op) {
  std::vector<SetObject*> sets;
  if (!lookup_sets(ctx, ctx.args.subspan(1), &sets)) return;
  std::vector<std::string> result = compute(op, sets);
  ctx.out.set(static_cast<int64_t>(result.size()));
  for (const auto& m : result) ctx.out.bulk(m);
}

void algebra_store(CommandContext& ctx, SetOp op, std::string_view event) {
  std::vector<SetObject*> sets;
  if (!lookup_sets(ctx, ctx.args.subspan(2), &sets)) return;
  std::vector<std::string> members = compute(op, sets);
  std::unique_ptr<SetObject> result;
  if (!members.empty()) {
    result.reset(SetObject::create_for(members.size(), width_needed(members, limits_of(ctx))));
    SetLimits lim = limits_of(ctx);
    for (const auto& m : members) result->add(m, lim);
  }
  store_result(ctx, ctx.args[1], std::move(result), event);
}

void cmd_sinter(CommandContext& ctx) {
  algebra_reply(ctx, SetOp::kInter);
}
void cmd_sunion(CommandContext& ctx) {
  algebra_reply(ctx, SetOp::kUnion);
}
void cmd_sdiff(CommandContext& ctx) {
  algebra_reply(ctx, SetOp::kDiff);
}
void cmd_sinterstore(CommandContext& ctx) {
  algebra_store(ctx, SetOp::kInter, "sinterstore");
}
void cmd_sunionstore(CommandContext& ctx) {
  algebra_store(ctx, SetOp::kUnion, "sunionstore");
}
void cmd_sdiffstore(CommandContext& ctx) {
  algebra_store(ctx, SetOp::kDiff, "sdiffstore");
}

void cmd_sintercard(CommandContext& ctx) {
  int64_t numkeys;
  if (!arg_range(ctx, ctx.args[1], 1, INT64_MAX, &numkeys, "ERR numkeys should be greater than 0"))
    return;
  if (numkeys > static_cast<int64_t>(ctx.args.size()) - 2) {
    ctx.out.error("ERR Number of keys can't be greater than number of args");
    return;
  }
  int64_t limit = 0;
  for (size_t j = 2 + numkeys; j < ctx.args.size(); ++j) {
    if (iequals(ctx.args[j], "limit") && j + 1 < ctx.args.size()) {
      if (!arg_range(ctx, ctx.args[++j], 0, INT64_MAX, &limit, "ERR LIMIT can't be negative"))
        return;
    } else {
      ctx.out.error(err::kSyntax);
      return;
    }
  }
  std::vector<SetObject*> sets;
  if (!lookup_sets(ctx, ctx.args.subspan(2, numkeys), &sets)) return;
  ctx.out.integer(static_cast<int64_t>(intersect(sets, static_cast<size_t>(limit)).size()));
}

std::vector<int> sintercard_keys(Args args) {
  std::vector<int> keys;
  int64_t n;
  if (args.size() < 2 || !parse_int64(args[1], &n) || n < 1 ||
      n > static_cast<int64_t>(args.size()) - 2)
    return keys;
  for (int i = 0; i < n; ++i) keys.push_back(2 + i);
  return keys;
}

// ------------------------------------------------------------- SSCAN

void cmd_sscan(CommandContext& ctx) {
  CollectionScanArgs a;
  if (!parse_scan_cursor(ctx, ctx.args[2], &a.cursor)) return;
  SetObject* s;
  if (!read_set(ctx, ctx.args[1], &s)) return;
  if (s && !parse_scan_options(ctx, 3, &a)) return;
  std::vector<std::string> found;
  uint64_t cursor = 0;
  if (s) {
    cursor = a.cursor;
    int64_t steps = a.count > INT64_MAX / 10 ? INT64_MAX : a.count * 10;
    do {
      cursor = s->scan(cursor, [&](std::string_view m) {
        if (scan_match(a, m)) found.emplace_back(m);
      });
    } while (cursor && steps-- && static_cast<int64_t>(found.size()) < a.count);
  }
  ctx.out.array(2);
  ctx.out.bulk(int_to_string(static_cast<int64_t>(cursor)));
  ctx.out.array(static_cast<int64_t>(found.size()));
  for (const auto& m : found) ctx.out.bulk(m);
}

// ------------------------------------------------------------- registration

}  // namespace

void register_set_commands(CommandTable& t) {
  Family f(t, "set");
  f.add("sadd", -3, kWrite | kDenyOom | kFast, kKey1, cmd_sadd);
  f.add("srem", -3, kWrite | kFast, kKey1, cmd_srem);
  f.add("smembers", 2, kReadonly, kKey1, cmd_smembers);
  f.add("sismember", 3, kReadonly | kFast, kKey1, cmd_sismember);
  f.add("smismember", -3, kReadonly | kFast, kKey1, cmd_smismember);
  f.add("scard", 2, kReadonly | kFast, kKey1, cmd_scard);
  f.add("spop", -2, kWrite | kFast, kKey1, cmd_spop);
  f.add("srandmember", -2, kReadonly, kKey1, cmd_srandmember);
  f.add("smove", 4, kWrite | kFast, {1, 2, 1}, cmd_smove);
  f.add("sinter", -2, kReadonly, kAllKeys, cmd_sinter);
  f.add("sintercard", -3, kReadonly | kMovableKeys, kNoKeys, cmd_sintercard,
        {.find_keys = sintercard_keys});
  f.add("sinterstore", -3, kWrite | kDenyOom, kAllKeys, cmd_sinterstore);
  f.add("sunion", -2, kReadonly, kAllKeys, cmd_sunion);
  f.add("sunionstore", -3, kWrite | kDenyOom, kAllKeys, cmd_sunionstore);
  f.add("sdiff", -2, kReadonly, kAllKeys, cmd_sdiff);
  f.add("sdiffstore", -3, kWrite | kDenyOom, kAllKeys, cmd_sdiffstore);
  f.add("sscan", -3, kReadonly, kKey1, cmd_sscan);
}

}  // namespace kvd::commands
