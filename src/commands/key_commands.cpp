// Generic keyspace commands: DEL UNLINK EXISTS TYPE KEYS SCAN RANDOMKEY RENAME
// RENAMENX MOVE COPY TOUCH OBJECT. Replies and errors follow Redis 7.0.
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "collection_helpers.hpp"
#include "command_helpers.hpp"
#include "declare.hpp"
#include "families.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/engine/keyspace_events.hpp"

namespace kvd::commands {
namespace {

constexpr const char* kSameObject = "ERR source and destination objects are the same";

// Redis's LFU policies keep a frequency counter in place of the access time.
bool lfu_policy(const CommandContext& ctx) {
  return ctx.engine.access_tracking().lfu;
}

// Looks a key up for writing in a database other than the client's (MOVE and
// COPY targets): lazy expiry and an access-time refresh, like lookup_write.
Entry* lookup_write_in(CommandContext& ctx, Database& db, std::string_view key) {
  Entry* e = db.find(key, ctx.now_ms);
  if (e) ctx.engine.access_tracking().touch(e, ctx.now_ms);
  return e;
}

// ---------------------------------------------------------------- DEL UNLINK

// Frees synchronously: DEL without lazyfree-lazy-user-del must not defer work,
// while Database::remove hands big collections to the background freer.
void delete_now(Database& db, std::string_view key) {
  if (Entry* e = db.detach(key)) Entry::destroy(e);
}

void del_generic(CommandContext& ctx, bool lazy) {
  int64_t deleted = 0;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    // find() expires the key first, so an expired key does not count.
    if (!ctx.db.find(ctx.args[i], ctx.now_ms)) continue;
    if (lazy)
      ctx.db.remove(ctx.args[i]);
    else
      delete_now(ctx.db, ctx.args[i]);
    key_changed(ctx, 'g', "del", ctx.args[i]);
    ++deleted;
  }
  // Deleting nothing is no change: it is neither counted nor propagated.
  ctx.dirty = deleted;
  ctx.out.integer(deleted);
}

void cmd_del(CommandContext& ctx) {
  del_generic(ctx, ctx.engine.config().v().lazyfree_lazy_user_del);
}

void cmd_unlink(CommandContext& ctx) {
  del_generic(ctx, true);
}

// ------------------------------------------------------- EXISTS TYPE TOUCH

void cmd_exists(CommandContext& ctx) {
  // Repeated keys count each time, as in Redis.
  int64_t n = 0;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    if (lookup_read_notouch(ctx, ctx.args[i])) ++n;
  }
  ctx.out.integer(n);
}

void cmd_type(CommandContext& ctx) {
  Entry* e = lookup_read_notouch(ctx, ctx.args[1]);
  ctx.out.simple(e ? type_name(e->value.type()) : "none");
}

void cmd_touch(CommandContext& ctx) {
  int64_t n = 0;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    if (lookup_read(ctx, ctx.args[i])) ++n;
  }
  ctx.out.integer(n);
}

// ---------------------------------------------------------------- KEYS

void cmd_keys(CommandContext& ctx) {
  std::string_view pattern = ctx.args[1];
  // "*" alone matches everything, including the empty key that glob "*" rejects.
  const bool all = pattern == "*";
  std::vector<std::string_view> found;
  // Expired keys are skipped but not deleted here: the iteration must not
  // modify the table (and Redis does the same).
  ctx.db.dict().for_each([&](Entry* e) {
    if (!all && !glob_match(pattern, e->key())) return;
    if (ctx.db.is_expired(e, ctx.now_ms)) return;
    found.push_back(e->key());
  });
  ctx.out.array(static_cast<int64_t>(found.size()));
  for (auto k : found) ctx.out.bulk(k);
}

// ---------------------------------------------------------------- SCAN

// Drops keys that do not match the pattern or type, and expired keys (which are
// deleted on the way, as Redis's SCAN does).
bool scan_keeps(CommandContext& ctx, const CollectionScanArgs& o, const std::string& key) {
  if (o.use_pattern && !glob_match(o.pattern, key)) return false;
  if (o.use_type) {
    Entry* e = lookup_read_notouch(ctx, key);
    if (!iequals(o.type, e ? type_name(e->value.type()) : "none")) return false;
  }
  return ctx.db.find(key, ctx.now_ms) != nullptr;
}

void cmd_scan(CommandContext& ctx) {
  uint64_t cursor;
  if (!parse_scan_cursor(ctx, ctx.args[1], &cursor)) return;
  CollectionScanArgs o;
  if (!parse_scan_options(ctx, 2, &o, /*allow_type=*/true)) return;

  // Keys are copied out first: filtering may delete expired entries.
  std::vector<std::string> keys;
  // Bound the steps to 10x COUNT so a sparse table cannot stall the server.
  int64_t steps = o.count > INT64_MAX / 10 ? INT64_MAX : o.count * 10;
  do {
    cursor = ctx.db.dict().scan(cursor, [&](Entry* e) { keys.emplace_back(e->key()); });
  } while (cursor && steps-- && static_cast<int64_t>(keys.size()) < o.count);

  std::vector<std::string> kept;
  for (auto& k : keys) {
    if (scan_keeps(ctx, o, k)) kept.push_back(std::move(k));
  }
  ctx.out.array(2);
  // Redis prints the unsigned cursor through a signed conversion; table cursors
  // never reach the sign bit, so this only matters for odd client input.
  char buf[24];
  ctx.out.bulk(std::string_view(buf, format_int64(static_cast<int64_t>(cursor), buf)));
  ctx.out.array(static_cast<int64_t>(kept.size()));
  for (const auto& k : kept) ctx.out.bulk(k);
}

// ---------------------------------------------------------------- RANDOMKEY

void cmd_randomkey(CommandContext& ctx) {
  while (Entry* e = ctx.db.dict().random_entry(&fast_random)) {
    if (!ctx.db.is_expired(e, ctx.now_ms)) {
      ctx.out.bulk(e->key());
      return;
    }
    // Expired: delete it (counted as an expired key) and draw again.
    std::string key(e->key());
    ctx.db.find(key, ctx.now_ms);
  }
  ctx.out.null();
}

// ------------------------------------------------------- RENAME RENAMENX

// Re-keys an entry: the key bytes live inside the entry, so the value, TTL and
// access time move to a new entry under `to` (an embedded string is copied).
void rename_entry(Database& db, std::string_view from, std::string_view to) {
  int64_t expire_at;
  Entry* old = db.detach(from, &expire_at);
  Entry* e = Entry::create(to, old->value);
  e->lru = old->lru;
  old->value = Value();  // ownership moved to e
  Entry::destroy(old);
  db.attach(e, expire_at);
}

void rename_generic(CommandContext& ctx, bool nx) {
  std::string_view from = ctx.args[1], to = ctx.args[2];
  if (!lookup_write(ctx, from)) {
    ctx.out.error(err::kNoSuchKey);
    return;
  }
  if (from == to) {
    nx ? ctx.out.integer(0) : ctx.out.ok();
    return;
  }
  if (lookup_write(ctx, to)) {
    if (nx) {
      ctx.out.integer(0);
      return;
    }
    // The target's value and TTL are replaced, not inherited.
    ctx.db.remove(to);
  }
  rename_entry(ctx.db, from, to);
  key_changed(ctx, 'g', "rename_from", from);
  key_changed(ctx, 'g', "rename_to", to);
  ctx.engine.signal_key_ready(ctx.db.id(), to);  // a client may block on `to`
  nx ? ctx.out.integer(1) : ctx.out.ok();
}

void cmd_rename(CommandContext& ctx) {
  rename_generic(ctx, false);
}
void cmd_renamenx(CommandContext& ctx) {
  rename_generic(ctx, true);
}

// ---------------------------------------------------------------- MOVE

void cmd_move(CommandContext& ctx) {
  int dbid;
  if (!arg_db_index(ctx, ctx.args[2], &dbid)) return;
  Database& dst = ctx.engine.db(dbid);
  if (&dst == &ctx.db) {
    ctx.out.error(kSameObject);
    return;
  }
  std::string_view key = ctx.args[1];
  if (!lookup_write(ctx, key) || lookup_write_in(ctx, dst, key)) {
    ctx.out.integer(0);
    return;
  }
  // The entry moves whole: value, TTL and access time.
  int64_t expire_at;
  Entry* e = ctx.db.detach(key, &expire_at);
  dst.attach(e, expire_at);
  key_changed(ctx, 'g', "move_from", key);
  key_changed_in(ctx.engine, dst, 'g', "move_to", key);
  ctx.engine.signal_key_ready(dst.id(), key);  // a client may block on it there
  ctx.out.integer(1);
}

// ---------------------------------------------------------------- COPY

// Copies a string keeping the encoding OBJECT ENCODING reports.
Value duplicate_string(const Value& v) {
  if (v.is_int()) return Value::from_int(v.int_value());
  char scratch[24];
  std::string_view s = v.str(scratch);
  return std::strcmp(v.encoding(), "raw") == 0 ? Value::raw_string(s) : Value::from_string(s);
}

// A deep copy for COPY. Each value type gets its case here as it is added;
// until then COPY reports the type as unknown, as Redis does for a type it
// cannot duplicate.
bool duplicate_value(const Value& v, Value* out) {
  switch (v.type()) {
    case ValueType::kString:
      *out = duplicate_string(v);
      return true;
    case ValueType::kHash:
    case ValueType::kSet:
      *out = Value::from_object(v.object()->clone());
      return true;
    default:
      // Collections deep-copy themselves (Object::clone).
      *out = Value::from_object(v.object()->clone());
      return true;
  }
}

struct CopyOptions {
  Database* dst = nullptr;
  bool replace = false;
};

bool parse_copy_options(CommandContext& ctx, CopyOptions* o) {
  o->dst = &ctx.db;
  for (size_t i = 3; i < ctx.args.size(); ++i) {
    if (iequals(ctx.args[i], "replace")) {
      o->replace = true;
    } else if (iequals(ctx.args[i], "db") && i + 1 < ctx.args.size()) {
      int dbid;
      if (!arg_db_index(ctx, ctx.args[++i], &dbid)) return false;
      o->dst = &ctx.engine.db(dbid);
    } else {
      ctx.out.error(err::kSyntax);
      return false;
    }
  }
  return true;
}

void cmd_copy(CommandContext& ctx) {
  CopyOptions o;
  if (!parse_copy_options(ctx, &o)) return;
  std::string_view key = ctx.args[1], newkey = ctx.args[2];
  if (o.dst == &ctx.db && key == newkey) {
    ctx.out.error(kSameObject);
    return;
  }
  Entry* src = lookup_read(ctx, key);
  if (!src) {
    ctx.out.integer(0);
    return;
  }
  bool exists = lookup_write_in(ctx, *o.dst, newkey) != nullptr;
  if (exists && !o.replace) {
    ctx.out.integer(0);
    return;
  }
  Value copy;
  if (!duplicate_value(src->value, &copy)) {
    ctx.out.error("ERR unknown type object");
    return;
  }
  int64_t expire_at = ctx.db.expire_of(src);
  if (exists) o.dst->remove(newkey);
  Entry* e = o.dst->add(newkey, copy);
  if (expire_at != kNoExpire) o.dst->set_expire(e, expire_at);
  key_changed_in(ctx.engine, *o.dst, 'g', "copy_to", newkey);
  ctx.engine.signal_key_ready(o.dst->id(), newkey);  // a client may block on it
  ctx.out.integer(1);
}

// ---------------------------------------------------------------- OBJECT

// OBJECT looks keys up without touching their access time, and replies null for
// a missing key.
Entry* object_lookup(CommandContext& ctx) {
  Entry* e = lookup_read_notouch(ctx, ctx.args[2]);
  if (!e) ctx.out.null();
  return e;
}

void cmd_object_encoding(CommandContext& ctx) {
  if (Entry* e = object_lookup(ctx)) ctx.out.bulk(e->value.encoding());
}

// kvd never shares value objects between keys, so every value has exactly one
// reference. Redis differs for small integers (0..9999) it shares and reports
// INT_MAX (2147483647) for; kvd reports 1 for them too.
void cmd_object_refcount(CommandContext& ctx) {
  if (object_lookup(ctx)) ctx.out.integer(1);
}

void cmd_object_idletime(CommandContext& ctx) {
  Entry* e = object_lookup(ctx);
  if (!e) return;
  if (lfu_policy(ctx)) {
    ctx.out.error(
        "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
        "switching between policies at runtime LRU and LFU data will take some time to adjust.");
    return;
  }
  int64_t now = ctx.now_ms / 1000;
  int64_t idle = now - static_cast<int64_t>(e->lru);
  ctx.out.integer(idle > 0 ? idle : 0);
}

void cmd_object_freq(CommandContext& ctx) {
  Entry* e = object_lookup(ctx);
  if (!e) return;
  if (!lfu_policy(ctx)) {
    ctx.out.error(
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
        "that when switching between policies at runtime LRU and LFU data will take some time "
        "to adjust.");
    return;
  }
  ctx.out.integer(ctx.engine.access_tracking().frequency(e->lru, ctx.now_ms));
}

void cmd_object_help(CommandContext& ctx) {
  static const char* const kLines[] = {
      "ENCODING <key>",
      "    Return the kind of internal representation used in order to store the value",
      "    associated with a <key>.",
      "FREQ <key>",
      "    Return the access frequency index of the <key>. The returned integer is",
      "    proportional to the logarithm of the recent access frequency of the key.",
      "IDLETIME <key>",
      "    Return the idle time of the <key>, that is the approximated number of",
      "    seconds elapsed since the last access to the key.",
      "REFCOUNT <key>",
      "    Return the number of references of the value associated with the specified",
      "    <key>.",
      "HELP",
      "    Prints this help.",
  };
  std::string cmd(ctx.args[0]);
  for (auto& c : cmd) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ctx.out.array(static_cast<int64_t>(std::size(kLines)) + 1);
  ctx.out.simple(cmd + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  for (const char* l : kLines) ctx.out.simple(l);
}

// The dispatcher always resolves a subcommand (or rejects the call) before a
// handler runs; this only guards against a table mistake.
void cmd_object(CommandContext& ctx) {
  ctx.out.error("ERR unknown subcommand or wrong number of arguments for '" +
                std::string(ctx.args.size() > 1 ? ctx.args[1] : "") + "'. Try OBJECT HELP.");
}

}  // namespace

void register_key_commands(CommandTable& t) {
  Family f(t, "generic");
  f.add("del", -2, kWrite, kAllKeys, cmd_del);
  f.add("unlink", -2, kWrite | kFast, kAllKeys, cmd_unlink);
  f.add("exists", -2, kReadonly | kFast, kAllKeys, cmd_exists);
  f.add("type", 2, kReadonly | kFast, kKey1, cmd_type);
  f.add("keys", 2, kReadonly, kNoKeys, cmd_keys, {.categories = kAclKeyspace | kAclDangerous});
  f.add("scan", -2, kReadonly | kTouchesArbitraryKeys, kNoKeys, cmd_scan);
  f.add("randomkey", 1, kReadonly | kTouchesArbitraryKeys, kNoKeys, cmd_randomkey);
  f.add("rename", 3, kWrite, {1, 2, 1}, cmd_rename);
  f.add("renamenx", 3, kWrite | kFast, {1, 2, 1}, cmd_renamenx);
  f.add("move", 3, kWrite | kFast, kKey1, cmd_move);
  f.add("copy", -3, kWrite | kDenyOom, {1, 2, 1}, cmd_copy);
  f.add("touch", -2, kReadonly | kFast, kAllKeys, cmd_touch);
  f.add("object", -2, 0, kNoKeys, cmd_object,
        {.subcommands = {cmd("encoding", 3, kReadonly, {2, 2, 1}, cmd_object_encoding),
                         cmd("freq", 3, kReadonly, {2, 2, 1}, cmd_object_freq),
                         cmd("help", 2, kLoading | kStale, kNoKeys, cmd_object_help),
                         cmd("idletime", 3, kReadonly, {2, 2, 1}, cmd_object_idletime),
                         cmd("refcount", 3, kReadonly, {2, 2, 1}, cmd_object_refcount)}});
}

}  // namespace kvd::commands
