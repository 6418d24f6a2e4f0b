// DEBUG: the subcommands Redis's own test suite and tools use. They inspect
// or disturb the server on purpose (SLEEP blocks the loop, RELOAD rewrites
// the dataset), as in Redis.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include <spdlog/spdlog.h>

#include "admin_helpers.hpp"
#include "command_helpers.hpp"
#include "dataset_digest.hpp"
#include "declare.hpp"
#include "families.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/engine/blocking.hpp"
#include "kvd/engine/engine.hpp"
#include "kvd/engine/functions.hpp"
#include "kvd/engine/memory.hpp"
#include "kvd/engine/types/list.hpp"
#include "kvd/persist/aof.hpp"
#include "kvd/persist/rdb_format.hpp"
#include "kvd/persist/snapshot.hpp"
#include "kvd/persist/value_codec.hpp"
#include "kvd/protocol/command_encoder.hpp"

namespace kvd::commands {
namespace {

void debug_help(CommandContext& ctx) {
  reply_help(ctx, "debug",
             {"CHANGE-REPL-ID",
              "    Change the replication IDs of the instance.",
              "CONFIG-REWRITE-FORCE-ALL",
              "    Like CONFIG REWRITE but writes all configuration options, including",
              "    keywords not listed in original configuration file or default values.",
              "DIGEST",
              "    Output a hex signature representing the current DB content.",
              "DIGEST-VALUE <key> [<key> ...]",
              "    Output a hex signature of the values of all the specified keys.",
              "ERROR <string>",
              "    Return a Redis protocol error with <string> as message.",
              "LOG <message>",
              "    Write <message> to the server log.",
              "HTSTATS <dbid>",
              "    Return hash table statistics of the specified Redis database.",
              "OBJECT <key>",
              "    Show low level info about the key and associated value.",
              "PAUSE-CRON <0|1>",
              "    Stop periodic cron job processing.",
              "POPULATE <count> [<prefix>] [<size>]",
              "    Create <count> string keys named key:<num>, or <prefix>:<num>.",
              "PROTOCOL <type>",
              "    Reply with a test value of the specified type.",
              "RELOAD [option ...]",
              "    Save the RDB on disk and reload it back to memory. Options: MERGE, NOFLUSH,",
              "    NOSAVE.",
              "QUICKLIST-PACKED-THRESHOLD <size>",
              "    Accepted for Redis's tests; kvd's lists have no separate plain nodes.",
              "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
              "    Accepted for Redis's tests; kvd's reply buffer is a chain of blocks given",
              "    back when drained, with no peak to track.",
              "REPLYBUFFER RESIZING <0|1>",
              "    Accepted for Redis's tests; nothing to resize (see above).",
              "SEGFAULT",
              "    Crash the server with sigsegv.",
              "SET-ACTIVE-EXPIRE <0|1>",
              "    Turn the periodic deletion of expired keys off (0) or on (1).",
              "SET-DISABLE-DENY-SCRIPTS <0|1>",
              "    Let scripts call commands flagged noscript (1), or not (0).",
              "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
              "    Skip the checksum check of RESTORE payloads (1), or not (0).",
              "SLEEP <seconds>",
              "    Stop the server for <seconds> (a float, e.g. 0.25)."});
}

// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save the snapshot, empty the
// dataset and the function libraries, load the snapshot back. NOFLUSH keeps
// what is in memory (a key or library the file also holds then fails the
// load); MERGE lets the file's replace them.
void debug_reload(CommandContext& ctx) {
  bool flush = true, save = true;
  persist::LoadOptions load;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    std::string_view opt = ctx.args[i];
    if (iequals(opt, "merge")) {
      load.allow_duplicates = true;
    } else if (iequals(opt, "noflush")) {
      flush = false;
    } else if (iequals(opt, "nosave")) {
      save = false;
    } else {
      ctx.out.error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
      return;
    }
  }
  Engine& e = ctx.engine;
  if (save) {
    std::string err = persist::save_now(e);
    if (!err.empty()) {
      ctx.out.error("ERR " + err);
      return;
    }
  }
  if (flush) {
    // Emptying the dataset takes the function libraries too, as in Redis.
    for (int i = 0; i < e.db_count(); ++i) {
      e.touch_watched_keys_in_db(i, -1);
      e.db(i).clear(nullptr);
    }
    if (e.functions_if_created()) e.functions().flush();
  }
  load.clear_on_error = flush;
  std::string err = persist::load_snapshot(e, load);
  if (!err.empty()) {
    spdlog::warn("{}", err);
    ctx.out.error("ERR Error trying to load the RDB dump");
    return;
  }
  for (int i = 0; i < e.db_count(); ++i) signal_ready_keys_in_db(e, i);
  spdlog::warn("DB reloaded by DEBUG RELOAD");
  ctx.out.ok();
}

// The RDB-encoded size of a value without its type byte (DEBUG OBJECT's
// serializedlength, as Redis's rdbSavedObjectLen).
size_t serialized_length(const Value& v) {
  std::string buf;
  persist::rdb::Writer w(&buf, true);
  persist::encode_value(v, w);
  return buf.empty() ? 0 : buf.size() - 1;
}

// DEBUG OBJECT key: Redis's line, with kvd's own figures.
void debug_object(CommandContext& ctx) {
  Entry* e = ctx.db.find_raw(ctx.args[2]);
  if (!e) {
    ctx.out.error("ERR no such key");
    return;
  }
  const int64_t idle = ctx.now_ms / 1000 - static_cast<int64_t>(e->lru);
  char line[320];
  std::snprintf(line, sizeof line,
                "Value at:%p refcount:1 encoding:%s serializedlength:%zu lru:%u "
                "lru_seconds_idle:%lld",
                static_cast<const void*>(e), e->value.encoding(), serialized_length(e->value),
                e->lru & 0xffffff, static_cast<long long>(idle > 0 ? idle : 0));
  std::string reply = line;
  if (e->value.type() == ValueType::kList) {
    const auto* l = static_cast<const List*>(e->value.object());
    size_t nodes = 0;
    l->for_each_node([&](const auto&) { ++nodes; });
    char extra[160];
    std::snprintf(extra, sizeof extra,
                  " ql_nodes:%zu ql_avg_node:%.2f ql_listpack_max:%lld ql_compressed:0", nodes,
                  nodes ? static_cast<double>(l->size()) / static_cast<double>(nodes) : 0.0,
                  static_cast<long long>(ctx.engine.config().v().list_max_listpack_size));
    reply += extra;
  }
  ctx.out.simple(reply);
}

// DEBUG POPULATE count [prefix] [size]: string keys prefix:N = "value:N"
// (padded or cut to size), skipping keys that exist.
void debug_populate(CommandContext& ctx) {
  const auto& a = ctx.args;
  if (a.size() > 5) {
    reply_subcommand_syntax_error(ctx);
    return;
  }
  int64_t count, size = 0;
  if (!parse_int64(a[2], &count) || count < 0) {
    ctx.out.error("ERR value is out of range, must be positive");
    return;
  }
  if (a.size() == 5 && (!parse_int64(a[4], &size) || size < 0)) {
    ctx.out.error("ERR value is out of range, must be positive");
    return;
  }
  std::string prefix = a.size() >= 4 ? std::string(a[3]) : "key";
  for (int64_t i = 0; i < count; ++i) {
    std::string key = prefix + ":" + std::to_string(i);
    if (lookup_write(ctx, key)) continue;
    std::string val = "value:" + std::to_string(i);
    if (size > 0) val.resize(static_cast<size_t>(size), '\0');
    ctx.db.add(key, Value::from_string(val));
    ctx.engine.signal_modified_key(ctx.db.id(), key);
  }
  // As in Redis, the keys are not a change to save or to propagate: a
  // master's DEBUG POPULATE does not reach its replicas.
  ctx.dirty = 0;
  ctx.engine.propagation().suppress();
  ctx.out.ok();
}

// DEBUG PROTOCOL type: one reply of each RESP type, as Redis's test values.
void debug_protocol(CommandContext& ctx) {
  std::string_view name = ctx.args[2];
  auto& o = ctx.out;
  if (iequals(name, "string")) {
    o.bulk("Hello World");
  } else if (iequals(name, "integer")) {
    o.integer(12345);
  } else if (iequals(name, "double")) {
    o.dbl(3.141);
  } else if (iequals(name, "bignum")) {
    o.big_number("1234567999999999999999999999999999999");
  } else if (iequals(name, "null")) {
    o.null();
  } else if (iequals(name, "array") || iequals(name, "set")) {
    if (iequals(name, "array"))
      o.array(3);
    else
      o.set(3);
    for (int j = 0; j < 3; ++j) o.integer(j);
  } else if (iequals(name, "map")) {
    o.map(3);
    for (int j = 0; j < 3; ++j) {
      o.integer(j);
      o.boolean(j == 1);
    }
  } else if (iequals(name, "attrib")) {
    // An attribute is not a reply of its own: a real reply follows it.
    if (o.resp() >= 3) o.raw("|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n");
    o.bulk("Some real reply following the attribute");
  } else if (iequals(name, "push")) {
    if (o.resp() < 3) {
      o.error("ERR RESP2 is not supported by this command");
      return;
    }
    o.push(2);
    o.bulk("server-cpu-usage");
    o.integer(42);
    o.bulk("Some real reply following the push reply");
  } else if (iequals(name, "true") || iequals(name, "false")) {
    o.boolean(iequals(name, "true"));
  } else if (iequals(name, "verbatim")) {
    o.verbatim("This is a verbatim\nstring", "txt");
  } else {
    o.error(
        "ERR Wrong protocol type name. Please use one of the following: "
        "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false");
  }
}

// DEBUG HTSTATS dbid: the main and expires tables in Redis's layout, with
// kvd's figures (its hash table is chained and resizes incrementally too).
void debug_htstats(CommandContext& ctx) {
  int64_t id;
  if (!parse_int64(ctx.args[2], &id) || id < 0 || id >= ctx.engine.db_count()) {
    ctx.out.error("ERR Out of range database");
    return;
  }
  Database& db = ctx.engine.db(static_cast<int>(id));
  std::string s = "[Dictionary HT]\n";
  if (db.size() == 0) {
    s += "No stats available for empty dictionaries\n";
  } else {
    s += "Hash table 0 stats (main hash table):\n table size: " +
         std::to_string(db.dict().buckets()) +
         "\n number of elements: " + std::to_string(db.size()) + "\n";
  }
  s += "[Expires HT]\n";
  if (db.expires() == 0) {
    s += "No stats available for empty dictionaries\n";
  } else {
    s += "Hash table 0 stats (main hash table):\n number of elements: " +
         std::to_string(db.expires()) + "\n";
  }
  ctx.out.verbatim(s, "txt");
}

// DEBUG LOADAOF: the dataset replaced by what the AOF files hold.
void debug_loadaof(CommandContext& ctx) {
  Engine& e = ctx.engine;
  persist::Aof* aof = persist::Aof::find(e);
  if (!aof) {
    ctx.out.error("ERR Error trying to load the AOF files");
    return;
  }
  for (int i = 0; i < e.db_count(); ++i) e.touch_watched_keys_in_db(i, -1);
  std::string err = aof->debug_reload();
  // What was loaded is what the files hold already: nothing to propagate
  // (Redis zeroes its dirty counter here too).
  ctx.dirty = 0;
  e.stats().dirty = 0;
  e.propagation().suppress();
  if (!err.empty()) {
    spdlog::warn("{}", err);
    ctx.out.error("ERR Error trying to load the AOF files");
    return;
  }
  for (int i = 0; i < e.db_count(); ++i) signal_ready_keys_in_db(e, i);
  spdlog::warn("Append Only File loaded by DEBUG LOADAOF");
  ctx.out.ok();
}

// DEBUG MALLCTL <name> [<integer>]: the allocator control's value (the old
// one when a new one is written), as a Redis built with jemalloc answers.
void debug_mallctl(CommandContext& ctx) {
  int64_t value = 0, old = 0;
  if (ctx.args.size() == 4 && !arg_int64(ctx, ctx.args[3], &value)) return;
  const std::string err = engine::allocator_controls().integer(
      std::string(ctx.args[2]), ctx.args.size() == 4 ? &value : nullptr, &old);
  if (err == "OK")
    ctx.out.ok();
  else if (!err.empty())
    ctx.out.error("ERR " + err);
  else
    ctx.out.integer(old);
}

// DEBUG MALLCTL-STR <name> [<string>|VOID]: the same for string controls;
// VOID writes with no value (thread.tcache.flush).
void debug_mallctl_str(CommandContext& ctx) {
  const std::string value = ctx.args.size() == 4 ? std::string(ctx.args[3]) : std::string();
  std::string old;
  bool wrote = false;
  const std::string err = engine::allocator_controls().text(
      std::string(ctx.args[2]), ctx.args.size() == 4 ? &value : nullptr, &old, &wrote);
  if (!err.empty())
    ctx.out.error("ERR " + err);
  else if (wrote)
    ctx.out.ok();
  else
    ctx.out.bulk(old);
}

void cmd_debug(CommandContext& ctx) {
  const auto& a = ctx.args;
  std::string_view sub = a[1];
  if (a.size() == 2 && iequals(sub, "help")) {
    debug_help(ctx);
  } else if (a.size() == 3 && iequals(sub, "sleep")) {
    // Deliberately blocks the command thread, as Redis does: tests use it to
    // simulate a slow server.
    double d = std::strtod(std::string(a[2]).c_str(), nullptr);
    if (d > 0)
      std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(d * 1e6)));
    ctx.out.ok();
  } else if (a.size() == 3 && iequals(sub, "set-active-expire")) {
    ctx.engine.active_expire_enabled = std::atoi(std::string(a[2]).c_str()) != 0;
    ctx.out.ok();
  } else if (a.size() == 3 && iequals(sub, "pause-cron")) {
    ctx.engine.cron_paused = std::atoi(std::string(a[2]).c_str()) != 0;
    ctx.out.ok();
  } else if (a.size() == 4 && iequals(sub, "replybuffer")) {
    // Redis tunes the resizing of its fixed reply buffer with these; kvd's
    // reply blocks are freed as they drain, so the switches change nothing.
    if (iequals(a[2], "resizing") || iequals(a[2], "peak-reset-time"))
      ctx.out.ok();
    else
      ctx.out.error("ERR Syntax error");
  } else if (a.size() == 2 && iequals(sub, "config-rewrite-force-all")) {
    std::string e = ctx.engine.config().rewrite(true);
    if (e.empty())
      ctx.out.ok();
    else
      ctx.out.error("ERR CONFIG-REWRITE-FORCE-ALL failed: " + e);
  } else if (a.size() == 3 && iequals(sub, "log")) {
    spdlog::warn("DEBUG LOG: {}", a[2]);
    ctx.out.ok();
  } else if (a.size() == 3 && iequals(sub, "error")) {
    // Sent as it is, without an error code added (Redis's DEBUG ERROR).
    std::string msg(a[2]);
    for (char& ch : msg) {
      if (ch == '\r' || ch == '\n') ch = ' ';
    }
    ctx.out.raw("-" + msg + "\r\n");
  } else if (iequals(sub, "reload")) {
    debug_reload(ctx);
  } else if (a.size() == 2 && iequals(sub, "loadaof")) {
    debug_loadaof(ctx);
  } else if (a.size() == 3 && iequals(sub, "aof-flush-sleep")) {
    if (persist::Aof* aof = persist::Aof::find(ctx.engine))
      aof->set_flush_sleep_us(std::atoll(std::string(a[2]).c_str()));
    ctx.out.ok();
  } else if (a.size() == 3 && iequals(sub, "object")) {
    debug_object(ctx);
  } else if (a.size() >= 3 && iequals(sub, "populate")) {
    debug_populate(ctx);
  } else if (a.size() == 2 && iequals(sub, "digest")) {
    ctx.out.simple(digest_hex(dataset_digest(ctx.engine)));
  } else if (iequals(sub, "digest-value")) {
    // Logically expired keys count: a debug command sees what is stored.
    ctx.out.array(static_cast<int64_t>(a.size() - 2));
    for (size_t i = 2; i < a.size(); ++i) {
      Digest d{};
      if (Entry* e = ctx.db.find_raw(a[i])) mix_value_digest(d, ctx.db, *e);
      ctx.out.simple(digest_hex(d));
    }
  } else if (a.size() == 3 && iequals(sub, "protocol")) {
    debug_protocol(ctx);
  } else if (a.size() == 3 && iequals(sub, "htstats")) {
    debug_htstats(ctx);
  } else if (a.size() == 3 && iequals(sub, "quicklist-packed-threshold")) {
    // Redis's bounds: a memory value below 4 GB minus 1 MB; 0 restores 1 GB.
    int64_t n = 0;
    if (!parse_memory(a[2], &n) || n < 0 || uint64_t(n) > (uint64_t{1} << 32) - (1 << 20)) {
      ctx.out.error("ERR argument must be a memory value bigger than 1 and smaller than 4gb");
      return;
    }
    ctx.engine.list_packed_threshold = n == 0 ? uint64_t{1} << 30 : uint64_t(n);
    ctx.out.ok();
  } else if (a.size() == 3 && iequals(sub, "set-skip-checksum-validation")) {
    ctx.engine.skip_checksum_validation = std::atoi(std::string(a[2]).c_str()) != 0;
    ctx.out.ok();
  } else if (a.size() == 3 && iequals(sub, "set-disable-deny-scripts")) {
    ctx.engine.deny_scripts_disabled = std::atoi(std::string(a[2]).c_str()) != 0;
    ctx.out.ok();
  } else if (a.size() == 2 && iequals(sub, "segfault")) {
    // Tests the crash report: the process dies here, as with Redis's.
    spdlog::warn("DEBUG SEGFAULT: crashing on purpose");
    std::raise(SIGSEGV);
  } else if (a.size() >= 3 && iequals(sub, "replicate")) {
    // The arguments go down the replication stream only, unexecuted (the
    // AOF never sees them): how tests make a replica meet a command its
    // master never ran.
    engine::ReplicationState& r = ctx.engine.repl();
    if (r.has_backlog()) {
      std::string cmd;
      protocol::append_command(cmd, std::vector<std::string_view>(a.begin() + 2, a.end()));
      r.feed(cmd);
    }
    ctx.out.ok();
  } else if ((a.size() == 3 || a.size() == 4) && iequals(sub, "mallctl") &&
             engine::allocator_controls().integer) {
    debug_mallctl(ctx);
  } else if ((a.size() == 3 || a.size() == 4) && iequals(sub, "mallctl-str") &&
             engine::allocator_controls().text) {
    debug_mallctl_str(ctx);
  } else if (a.size() == 2 && iequals(sub, "change-repl-id")) {
    ctx.engine.change_replication_id();
    spdlog::warn("Changing replication IDs after receiving DEBUG change-repl-id");
    ctx.out.ok();
  } else {
    reply_subcommand_syntax_error(ctx);
  }
}

}  // namespace

void register_debug_commands(CommandTable& t) {
  Family f(t, "server");
  f.add("debug", -2, kAdmin | kNoscript | kLoading | kStale | kProtected | kDebugGated, kNoKeys,
        cmd_debug);
}

}  // namespace kvd::commands
