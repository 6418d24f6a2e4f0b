// Sorted set algebra: ZUNION, ZINTER, ZDIFF, their STORE forms, and
// ZINTERCARD, with WEIGHTS and AGGREGATE. Plain sets count as sorted sets
// whose every score is 1, as in Redis.
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
#include "kvd/engine/types/set.hpp"
#include "zset_common.hpp"

namespace kvd::commands {
namespace {

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

}  // namespace

void register_zset_setop_commands(CommandTable& t) {
  Family f(t, "sorted_set");
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
}

}  // namespace kvd::commands
