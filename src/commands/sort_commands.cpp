// SORT and SORT_RO: sort the elements of a list, set or sorted set, optionally
// by weights read from other keys (BY), projecting other keys (GET).
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "collection_readers.hpp"
#include "command_helpers.hpp"
#include "declare.hpp"
#include "families.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/engine/acl.hpp"
#include "kvd/engine/keyspace_events.hpp"

namespace kvd::commands {

namespace {

struct SortOptions {
  bool desc = false;
  bool alpha = false;
  bool dontsort = false;  // BY without '*': keep the native order
  std::string_view by;
  bool has_by = false;
  int64_t limit_start = 0;
  int64_t limit_count = -1;
  std::vector<std::string_view> gets;
  std::string_view store;
  bool has_store = false;
};

// BY and GET read keys that no key spec names, so a user needs read access
// to every key for them (Redis's rule); null is a script's or the AOF's
// superuser.
bool may_read_any_key(CommandContext& ctx) {
  const engine::AclUser* user = ctx.client.user;
  if (!user || user->unrestricted) return true;
  const engine::CommandSpec* spec = ctx.engine.commands().find(ctx.args[0]);
  return spec &&
         ctx.engine.acl().unrestricted_key_access(*user, *spec, ctx.args, engine::kAclKeyRead);
}

bool parse_sort_options(CommandContext& ctx, bool readonly, SortOptions* o) {
  const auto& a = ctx.args;
  const bool full_key_access = may_read_any_key(ctx);
  for (size_t j = 2; j < a.size(); ++j) {
    size_t left = a.size() - j - 1;
    if (iequals(a[j], "asc")) {
      o->desc = false;
    } else if (iequals(a[j], "desc")) {
      o->desc = true;
    } else if (iequals(a[j], "alpha")) {
      o->alpha = true;
    } else if (iequals(a[j], "limit") && left >= 2) {
      if (!arg_int64(ctx, a[j + 1], &o->limit_start) || !arg_int64(ctx, a[j + 2], &o->limit_count))
        return false;
      j += 2;
    } else if (iequals(a[j], "store") && left >= 1 && !readonly) {
      o->store = a[++j];
      o->has_store = true;
    } else if (iequals(a[j], "by") && left >= 1) {
      o->by = a[++j];
      o->has_by = true;
      // A pattern without '*' names one key for every element: no sorting.
      if (o->by.find('*') == std::string_view::npos) {
        o->dontsort = true;
      } else if (!full_key_access) {
        ctx.out.error("ERR BY option of SORT denied due to insufficient ACL permissions.");
        return false;
      }
    } else if (iequals(a[j], "get") && left >= 1) {
      if (!full_key_access) {
        ctx.out.error("ERR GET option of SORT denied due to insufficient ACL permissions.");
        return false;
      }
      o->gets.push_back(a[++j]);
    } else {
      ctx.out.error(err::kSyntax);
      return false;
    }
  }
  return true;
}

// Resolves a BY/GET pattern for one element: "#" is the element itself;
// otherwise the first '*' is replaced by the element and a "->field" suffix
// reads a hash field. False when there is nothing there.
bool lookup_by_pattern(CommandContext& ctx, std::string_view pattern, std::string_view elem,
                       std::string* out) {
  if (pattern == "#") {
    out->assign(elem);
    return true;
  }
  size_t star = pattern.find('*');
  if (star == std::string_view::npos) return false;
  std::string_view rest = pattern.substr(star + 1);
  std::string_view field;
  size_t arrow = rest.find("->");
  bool has_field = arrow != std::string_view::npos && arrow + 2 < rest.size();
  if (has_field) {
    field = rest.substr(arrow + 2);
    rest = rest.substr(0, arrow);
  }
  std::string key(pattern.substr(0, star));
  key.append(elem);
  key.append(rest);
  Entry* e = lookup_read(ctx, key);
  if (!e) return false;
  if (has_field) {
    if (e->value.type() != ValueType::kHash) return false;
    return hash_field(e->value, field, out);
  }
  if (e->value.type() != ValueType::kString) return false;
  char scratch[24];
  out->assign(e->value.str(scratch));
  return true;
}

// Elements of the key to sort; false after a WRONGTYPE reply. A missing key
// sorts as an empty list.
bool load_elements(CommandContext& ctx, std::vector<std::string>* elems, ValueType* type) {
  Entry* e = lookup_read(ctx, ctx.args[1]);
  *type = ValueType::kList;
  if (!e) return true;
  void (*fn)(const Value&, std::vector<std::string>*) = nullptr;
  switch (e->value.type()) {
    case ValueType::kList:
      fn = list_elements;
      break;
    case ValueType::kSet:
      fn = set_elements;
      break;
    case ValueType::kZSet:
      fn = zset_elements;
      break;
    default:
      break;
  }
  if (!fn) {
    ctx.out.error(err::kWrongType);
    return false;
  }
  *type = e->value.type();
  fn(e->value, elems);
  return true;
}

struct Item {
  std::string elem;
  double score = 0;
  std::string cmp;  // ALPHA BY: the weight text
  bool has_cmp = false;
};

// Parses a numeric weight the way Redis does: the whole text must be a double
// (an empty string counts as 0), NaN and overflow are errors.
bool parse_weight(const std::string& s, double* out) {
  errno = 0;
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return *end == '\0' && errno != ERANGE && !std::isnan(*out);
}

// Fills in the sort keys; false after an error reply.
bool compute_weights(CommandContext& ctx, const SortOptions& o, std::vector<Item>* items) {
  std::string w;
  for (Item& it : *items) {
    const std::string* text = &it.elem;
    if (o.has_by) {
      if (!lookup_by_pattern(ctx, o.by, it.elem, &w)) continue;  // missing: weight 0 / null
      text = &w;
    }
    if (o.alpha) {
      if (o.has_by) {
        it.cmp = *text;
        it.has_cmp = true;
      }
    } else if (!parse_weight(*text, &it.score)) {
      ctx.out.error("ERR One or more scores can't be converted into double");
      return false;
    }
  }
  return true;
}

int compare_items(const SortOptions& o, const Item& a, const Item& b) {
  int cmp;
  if (!o.alpha) {
    cmp = a.score > b.score ? 1 : a.score < b.score ? -1 : a.elem.compare(b.elem);
  } else if (o.has_by) {
    if (!a.has_cmp || !b.has_cmp)
      cmp = a.has_cmp == b.has_cmp ? 0 : (a.has_cmp ? 1 : -1);
    else
      cmp = a.cmp.compare(b.cmp);
  } else {
    cmp = a.elem.compare(b.elem);
  }
  return o.desc ? -cmp : cmp;
}

// LIMIT's clamping: [start, start+count) within the vector, count < 0 = all.
void clamp_limit(const SortOptions& o, int64_t len, int64_t* start, int64_t* end) {
  *start = std::min(std::max<int64_t>(o.limit_start, 0), len);
  int64_t count = std::min(std::max<int64_t>(o.limit_count, -1), len);
  *end = count < 0 ? len - 1 : *start + count - 1;
  if (*start >= len) {
    *start = len - 1;
    *end = len - 2;
  }
  if (*end >= len) *end = len - 1;
}

// The output rows: the element itself, or one value (or nothing) per GET.
void emit(CommandContext& ctx, const SortOptions& o, const std::vector<Item>& items, int64_t start,
          int64_t end, std::vector<std::string>* store) {
  int64_t n = end - start + 1;
  int64_t per = o.gets.empty() ? 1 : static_cast<int64_t>(o.gets.size());
  if (!store) ctx.out.array(n * per);
  std::string v;
  for (int64_t i = start; i <= end; ++i) {
    const std::string& elem = items[static_cast<size_t>(i)].elem;
    if (o.gets.empty()) {
      store ? store->push_back(elem) : ctx.out.bulk(elem);
      continue;
    }
    for (std::string_view pattern : o.gets) {
      bool found = lookup_by_pattern(ctx, pattern, elem, &v);
      if (store)
        store->push_back(found ? v : std::string());
      else if (found)
        ctx.out.bulk(v);
      else
        ctx.out.null();
    }
  }
}

void store_result(CommandContext& ctx, const SortOptions& o, std::vector<std::string>&& out) {
  int64_t n = static_cast<int64_t>(out.size());
  if (n == 0) {
    if (ctx.db.remove(o.store)) {
      key_changed(ctx, 'g', "del", o.store);
      ctx.dirty = 1;
    } else {
      ctx.dirty = 0;
    }
    ctx.out.integer(0);
    return;
  }
  ctx.db.set(o.store, make_list(std::move(out)));
  key_changed(ctx, 'l', "sortstore", o.store);
  ctx.engine.signal_key_ready(ctx.db.id(), o.store);  // BLPOP may wait on it
  ctx.dirty = n;
  ctx.out.integer(n);
}

void sort_generic(CommandContext& ctx, bool readonly) {
  SortOptions o;
  if (!parse_sort_options(ctx, readonly, &o)) return;
  std::vector<std::string> elems;
  ValueType type;
  if (!load_elements(ctx, &elems, &type)) return;
  // A set has no native order: with STORE, or for a script, it is sorted so
  // the result does not depend on the set's layout (as Redis does).
  if (o.dontsort && type == ValueType::kSet && (o.has_store || ctx.client.script)) {
    o.dontsort = false;
    o.alpha = true;
    o.has_by = false;
  }
  // BY nosort DESC walks a list or sorted set from its end, as Redis does.
  if (o.dontsort && (type == ValueType::kZSet || type == ValueType::kList) && o.desc) {
    std::reverse(elems.begin(), elems.end());
  }
  std::vector<Item> items(elems.size());
  for (size_t i = 0; i < elems.size(); ++i) items[i].elem = std::move(elems[i]);
  if (!o.dontsort) {
    if (!compute_weights(ctx, o, &items)) return;
    std::sort(items.begin(), items.end(),
              [&](const Item& a, const Item& b) { return compare_items(o, a, b) < 0; });
  }
  int64_t start, end;
  clamp_limit(o, static_cast<int64_t>(items.size()), &start, &end);
  if (!o.has_store) {
    emit(ctx, o, items, start, end, nullptr);
    return;
  }
  std::vector<std::string> out;
  emit(ctx, o, items, start, end, &out);
  store_result(ctx, o, std::move(out));
}

void cmd_sort(CommandContext& ctx) {
  sort_generic(ctx, false);
}
void cmd_sort_ro(CommandContext& ctx) {
  sort_generic(ctx, true);
}

// SORT's keys: the sorted key and, after STORE, the destination.
std::vector<int> sort_keys(Args args) {
  std::vector<int> keys{1};
  int store = -1;  // only the last STORE counts, as when the command runs
  for (size_t j = 2; j < args.size(); ++j) {
    if (iequals(args[j], "limit")) {
      j += 2;
    } else if ((iequals(args[j], "by") || iequals(args[j], "get")) && j + 1 < args.size()) {
      ++j;
    } else if (iequals(args[j], "store") && j + 1 < args.size()) {
      store = static_cast<int>(++j);
    }
  }
  if (store > 0) keys.push_back(store);
  return keys;
}

}  // namespace

void register_sort_commands(CommandTable& t) {
  Family f(t, "generic");
  f.add("sort", -2, kWrite | kDenyOom | kMovableKeys, kKey1, cmd_sort,
        {.categories = kAclSet | kAclSortedSet | kAclList | kAclDangerous, .find_keys = sort_keys});
  f.add("sort_ro", -2, kReadonly | kMovableKeys, kKey1, cmd_sort_ro,
        {.categories = kAclSet | kAclSortedSet | kAclList | kAclDangerous});
}

}  // namespace kvd::commands
