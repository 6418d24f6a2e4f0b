// Stream commands: XADD XLEN XRANGE XREVRANGE XDEL XTRIM XSETID and the
// readers XREAD / XREADGROUP (blocking through engine/blocking.hpp).
#include <string>
#include <vector>

#include "command_helpers.hpp"
#include "declare.hpp"
#include "families.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/engine/blocking.hpp"
#include "kvd/engine/type_limits.hpp"
#include "stream_helpers.hpp"

namespace kvd::commands {

// ------------------------------------------------------------ shared helpers

bool arg_stream_id(CommandContext& ctx, std::string_view s, StreamID* id, uint64_t missing_seq,
                   bool strict, bool* seq_given) {
  if (parse_stream_id(s, id, missing_seq, !strict, seq_given)) return true;
  ctx.out.error("ERR Invalid stream ID specified as stream command argument");
  return false;
}

namespace {
bool arg_interval(CommandContext& ctx, std::string_view s, StreamID* id, bool* exclude,
                  uint64_t missing_seq) {
  *exclude = s.size() > 1 && s[0] == '(';
  if (*exclude) return arg_stream_id(ctx, s.substr(1), id, missing_seq, true);
  return arg_stream_id(ctx, s, id, missing_seq, false);
}
}  // namespace

bool arg_range_start(CommandContext& ctx, std::string_view s, StreamID* id) {
  bool ex;
  if (!arg_interval(ctx, s, id, &ex, 0)) return false;
  if (ex && !id->incr()) {
    ctx.out.error("ERR invalid start ID for the interval");
    return false;
  }
  return true;
}

bool arg_range_end(CommandContext& ctx, std::string_view s, StreamID* id) {
  bool ex;
  if (!arg_interval(ctx, s, id, &ex, UINT64_MAX)) return false;
  if (ex && !id->decr()) {
    ctx.out.error("ERR invalid end ID for the interval");
    return false;
  }
  return true;
}

void reply_stream_id(CommandContext& ctx, StreamID id) {
  ctx.out.bulk(id.str());
}

void reply_stream_entry(CommandContext& ctx, const StreamEntry& e) {
  ctx.out.array(2);
  reply_stream_id(ctx, e.id);
  ctx.out.array(static_cast<int64_t>(e.nfields * 2));
  e.for_each_field([&](std::string_view f, std::string_view v) {
    ctx.out.bulk(f);
    ctx.out.bulk(v);
  });
}

StreamObject::NodeLimits stream_node_limits(CommandContext& ctx) {
  return stream_node_limits(ctx.engine.config().v());
}

namespace {

// Listpacks hold at most 1GB; Redis refuses bigger entries.
constexpr uint64_t kMaxEntryBytes = 1ull << 30;

struct AddTrimArgs {
  StreamTrimArgs trim;
  StreamID id;
  bool id_given = false;
  bool seq_given = true;
  bool no_mkstream = false;
  size_t id_pos = 0;
};

// XADD/XTRIM options from args[2] on. For XADD stops at the ID and records its
// position. Replies the error and returns false on bad input.
bool parse_add_trim(CommandContext& ctx, bool xadd, AddTrimArgs* a) {
  const Args& args = ctx.args;
  const char* both =
      "ERR syntax error, MAXLEN and MINID options at the same time are not compatible";
  bool limit_given = false;
  size_t i = 2;
  for (; i < args.size(); ++i) {
    size_t more = args.size() - 1 - i;
    std::string_view opt = args[i];
    if (xadd && opt == "*") {
      break;
    } else if ((iequals(opt, "maxlen") || iequals(opt, "minid")) && more) {
      if (a->trim.strategy != StreamTrimArgs::kNone) {
        ctx.out.error(both);
        return false;
      }
      bool maxlen = iequals(opt, "maxlen");
      a->trim.approx = false;
      std::string_view next = args[i + 1];
      if (more >= 2 && next == "~") {
        a->trim.approx = true;
        ++i;
      } else if (more >= 2 && next == "=") {
        ++i;
      }
      if (maxlen) {
        if (!arg_int64(ctx, args[i + 1], &a->trim.maxlen)) return false;
        if (a->trim.maxlen < 0) {
          ctx.out.error("ERR The MAXLEN argument must be >= 0.");
          return false;
        }
        a->trim.strategy = StreamTrimArgs::kMaxLen;
      } else {
        if (!arg_stream_id(ctx, args[i + 1], &a->trim.minid, 0, true)) return false;
        a->trim.strategy = StreamTrimArgs::kMinId;
      }
      ++i;
    } else if (iequals(opt, "limit") && more) {
      if (!arg_int64(ctx, args[i + 1], &a->trim.limit)) return false;
      if (a->trim.limit < 0) {
        ctx.out.error("ERR The LIMIT argument must be >= 0.");
        return false;
      }
      limit_given = true;
      ++i;
    } else if (xadd && iequals(opt, "nomkstream")) {
      a->no_mkstream = true;
    } else if (xadd) {
      if (!arg_stream_id(ctx, opt, &a->id, 0, true, &a->seq_given)) return false;
      a->id_given = true;
      break;
    } else {
      ctx.out.error(err::kSyntax);
      return false;
    }
  }
  a->id_pos = i;
  if (a->trim.limit && a->trim.strategy == StreamTrimArgs::kNone) {
    ctx.out.error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
    return false;
  }
  if (!xadd && a->trim.strategy == StreamTrimArgs::kNone) {
    ctx.out.error("ERR syntax error, XTRIM must be called with a trimming strategy");
    return false;
  }
  if (limit_given) {
    if (!a->trim.approx) {
      ctx.out.error("ERR syntax error, LIMIT cannot be used without the special ~ option");
      return false;
    }
  } else if (a->trim.approx) {
    // Bounded work per call, as Redis: at most 100 nodes' worth of entries.
    int64_t n = ctx.engine.config().v().stream_node_max_entries;
    a->trim.limit = n > 0 && n <= 10000 ? 100 * n : (n <= 0 ? 10000 : 1000000);
  } else {
    a->trim.limit = 0;
  }
  return true;
}

// The ID XADD will use, or false (with the error replied) when it cannot.
bool next_add_id(CommandContext& ctx, const AddTrimArgs& a, StreamID last, StreamID* id) {
  const char* smaller =
      "ERR The ID specified in XADD is equal or smaller than the target stream top item";
  if (a.id_given && !a.seq_given) {
    if (a.id.ms == last.ms) {
      if (last.seq == UINT64_MAX) {
        ctx.out.error(smaller);
        return false;
      }
      *id = {last.ms, last.seq + 1};
    } else {
      *id = a.id;
    }
  } else if (a.id_given) {
    *id = a.id;
  } else {
    auto ms = static_cast<uint64_t>(ctx.engine.clock().now_ms());
    if (ms > last.ms) {
      *id = {ms, 0};
    } else {
      *id = last;
      id->incr();
    }
  }
  if (*id <= last) {
    ctx.out.error(smaller);
    return false;
  }
  return true;
}

void cmd_xadd(CommandContext& ctx) {
  AddTrimArgs a;
  if (!parse_add_trim(ctx, true, &a)) return;
  size_t field_pos = a.id_pos + 1;
  size_t nargs = ctx.args.size() > field_pos ? ctx.args.size() - field_pos : 0;
  if (nargs < 2 || nargs % 2) {
    reply_arity_error(ctx);
    return;
  }
  if (a.id_given && a.seq_given && a.id.is_zero()) {
    ctx.out.error("ERR The ID specified in XADD must be greater than 0-0");
    return;
  }
  std::string_view key = ctx.args[1];
  Entry* e;
  if (!lookup_write_typed(ctx, key, ValueType::kStream, &e)) return;
  if (!e && a.no_mkstream) {
    ctx.out.null();
    return;
  }
  StreamObject* s = e ? as_stream(e) : nullptr;
  StreamID last = s ? s->last_id() : StreamID();
  if (last == StreamID::max()) {
    ctx.out.error("ERR The stream has exhausted the last possible ID, unable to add more items");
    return;
  }
  StreamID id;
  if (!next_add_id(ctx, a, last, &id)) return;
  Args fields = ctx.args.subspan(field_pos);
  uint64_t total = 0;
  for (std::string_view f : fields) total += f.size();
  if (total > kMaxEntryBytes) {
    ctx.out.error("ERR Elements are too large to be stored");
    return;
  }
  if (!s) {
    s = new StreamObject();
    ctx.db.add(key, Value::from_object(s));
  }
  s->append(id, fields, stream_node_limits(ctx));
  reply_stream_id(ctx, id);
  if (ctx.engine.propagation().active() && !(a.id_given && a.seq_given)) {
    // An auto-generated ID depends on the clock: the one chosen replays.
    std::vector<std::string> argv(ctx.args.begin(), ctx.args.end());
    argv[a.id_pos] = id.str();
    propagate_as(ctx, std::move(argv));
  }
  int db = ctx.db.id();
  ctx.engine.signal_modified_key(db, key);
  ctx.engine.notify_keyspace_event('t', "xadd", key, db);
  if (a.trim.strategy != StreamTrimArgs::kNone && s->trim(a.trim))
    ctx.engine.notify_keyspace_event('t', "xtrim", key, db);
  ctx.engine.signal_key_ready(db, key);
}

void cmd_xlen(CommandContext& ctx) {
  Entry* e;
  if (!lookup_read_typed(ctx, ctx.args[1], ValueType::kStream, &e)) return;
  ctx.out.integer(e ? static_cast<int64_t>(as_stream(e)->length()) : 0);
}

// Collects up to `count` (0: all) entries of a range, then replies them.
void reply_range(CommandContext& ctx, const StreamObject& s, StreamID start, StreamID end,
                 size_t count, bool rev) {
  std::vector<StreamEntry> entries;
  s.range(start, end, rev, [&](const StreamEntry& e) {
    entries.push_back(e);
    return !count || entries.size() < count;
  });
  ctx.out.array(static_cast<int64_t>(entries.size()));
  for (const StreamEntry& e : entries) reply_stream_entry(ctx, e);
}

void xrange_generic(CommandContext& ctx, bool rev) {
  StreamID start, end;
  if (!arg_range_start(ctx, ctx.args[rev ? 3 : 2], &start)) return;
  if (!arg_range_end(ctx, ctx.args[rev ? 2 : 3], &end)) return;
  int64_t count = -1;
  for (size_t j = 4; j < ctx.args.size(); ++j) {
    if (iequals(ctx.args[j], "count") && j + 1 < ctx.args.size()) {
      if (!arg_int64(ctx, ctx.args[j + 1], &count)) return;
      if (count < 0) count = 0;
      ++j;
    } else {
      ctx.out.error(err::kSyntax);
      return;
    }
  }
  Entry* e;
  if (!lookup_read_typed(ctx, ctx.args[1], ValueType::kStream, &e)) return;
  if (!e) {
    ctx.out.array(0);
    return;
  }
  if (count == 0) {
    ctx.out.null_array();
    return;
  }
  reply_range(ctx, *as_stream(e), start, end, count < 0 ? 0 : static_cast<size_t>(count), rev);
}

void cmd_xrange(CommandContext& ctx) {
  xrange_generic(ctx, false);
}
void cmd_xrevrange(CommandContext& ctx) {
  xrange_generic(ctx, true);
}

void cmd_xdel(CommandContext& ctx) {
  Entry* e;
  if (!lookup_write_typed(ctx, ctx.args[1], ValueType::kStream, &e)) return;
  if (!e) {
    ctx.out.integer(0);
    return;
  }
  std::vector<StreamID> ids(ctx.args.size() - 2);
  for (size_t j = 2; j < ctx.args.size(); ++j)
    if (!arg_stream_id(ctx, ctx.args[j], &ids[j - 2], 0, true)) return;
  StreamObject* s = as_stream(e);
  int64_t deleted = 0;
  for (StreamID id : ids) deleted += s->erase(id) ? 1 : 0;
  if (deleted) {
    ctx.engine.signal_modified_key(ctx.db.id(), ctx.args[1]);
    ctx.engine.notify_keyspace_event('t', "xdel", ctx.args[1], ctx.db.id());
  }
  ctx.dirty = deleted;
  ctx.out.integer(deleted);
}

void cmd_xtrim(CommandContext& ctx) {
  AddTrimArgs a;
  if (!parse_add_trim(ctx, false, &a)) return;
  Entry* e;
  if (!lookup_write_typed(ctx, ctx.args[1], ValueType::kStream, &e)) return;
  if (!e) {
    ctx.out.integer(0);
    return;
  }
  int64_t deleted = as_stream(e)->trim(a.trim);
  if (deleted) {
    ctx.engine.notify_keyspace_event('t', "xtrim", ctx.args[1], ctx.db.id());
    ctx.engine.signal_modified_key(ctx.db.id(), ctx.args[1]);
  }
  ctx.dirty = deleted;
  ctx.out.integer(deleted);
}

void cmd_xsetid(CommandContext& ctx) {
  StreamID id, max_xdel;
  int64_t entries_added = -1;
  if (!arg_stream_id(ctx, ctx.args[2], &id, 0, true)) return;
  for (size_t i = 3; i < ctx.args.size(); i += 2) {
    bool more = i + 1 < ctx.args.size();
    std::string_view opt = ctx.args[i];
    if (iequals(opt, "entriesadded") && more) {
      if (!arg_int64(ctx, ctx.args[i + 1], &entries_added)) return;
      if (entries_added < 0) {
        ctx.out.error("ERR entries_added must be positive");
        return;
      }
    } else if (iequals(opt, "maxdeletedid") && more) {
      if (!arg_stream_id(ctx, ctx.args[i + 1], &max_xdel, 0, true)) return;
      if (id < max_xdel) {
        ctx.out.error(
            "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
        return;
      }
    } else {
      ctx.out.error(err::kSyntax);
      return;
    }
  }
  Entry* e;
  if (!lookup_write_typed(ctx, ctx.args[1], ValueType::kStream, &e)) return;
  if (!e) {
    ctx.out.error(err::kNoSuchKey);
    return;
  }
  StreamObject* s = as_stream(e);
  if (s->length() > 0) {
    if (id < s->last_valid_id()) {
      ctx.out.error("ERR The ID specified in XSETID is smaller than the target stream top item");
      return;
    }
    if (entries_added != -1 && s->length() > static_cast<uint64_t>(entries_added)) {
      ctx.out.error(
          "ERR The entries_added specified in XSETID is smaller than the target stream length");
      return;
    }
  }
  s->set_last_id(id);
  if (entries_added != -1) s->set_entries_added(static_cast<uint64_t>(entries_added));
  if (!max_xdel.is_zero()) s->set_max_deleted_id(max_xdel);
  ctx.out.ok();
  ctx.engine.notify_keyspace_event('t', "xsetid", ctx.args[1], ctx.db.id());
}

// ---------------------------------------------------------- XREAD/XREADGROUP

constexpr int64_t kBlockedDefaultCount = 1000;

struct ReadArgs {
  bool group = false;  // XREADGROUP
  int64_t timeout_ms = -1;
  int64_t count = 0;
  bool noack = false;
  std::string_view group_name, consumer_name;
  size_t streams_at = 0;
  size_t nstreams = 0;
};

bool parse_read(CommandContext& ctx, ReadArgs* r) {
  const Args& args = ctx.args;
  for (size_t i = 1; i < args.size(); ++i) {
    size_t more = args.size() - i - 1;
    std::string_view o = args[i];
    if (iequals(o, "block") && more) {
      ++i;
      if (!parse_int64(args[i], &r->timeout_ms)) {
        ctx.out.error("ERR timeout is not an integer or out of range");
        return false;
      }
      if (r->timeout_ms < 0) {
        ctx.out.error("ERR timeout is negative");
        return false;
      }
      if (ctx.client.script) {
        // As Redis: BLOCK makes no sense in a script, and says so.
        ctx.out.error("ERR " + std::string(args[0]) +
                      " command is not allowed with BLOCK option from scripts");
        return false;
      }
    } else if (iequals(o, "count") && more) {
      ++i;
      if (!arg_int64(ctx, args[i], &r->count)) return false;
      if (r->count < 0) r->count = 0;
    } else if (iequals(o, "streams") && more) {
      r->streams_at = i + 1;
      size_t n = args.size() - r->streams_at;
      if (n % 2) {
        ctx.out.error(
            "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be "
            "specified.");
        return false;
      }
      r->nstreams = n / 2;
      break;
    } else if (iequals(o, "group") && more >= 2) {
      if (!r->group) {
        ctx.out.error(
            "ERR The GROUP option is only supported by XREADGROUP. You called XREAD "
            "instead.");
        return false;
      }
      r->group_name = args[i + 1];
      r->consumer_name = args[i + 2];
      i += 2;
    } else if (iequals(o, "noack")) {
      if (!r->group) {
        ctx.out.error(
            "ERR The NOACK option is only supported by XREADGROUP. You called XREAD "
            "instead.");
        return false;
      }
      r->noack = true;
    } else {
      ctx.out.error(err::kSyntax);
      return false;
    }
  }
  if (!r->streams_at) {
    ctx.out.error(err::kSyntax);
    return false;
  }
  if (r->group && r->group_name.data() == nullptr) {
    ctx.out.error("ERR Missing GROUP option for XREADGROUP");
    return false;
  }
  return true;
}

// One stream of an XREAD(GROUP): its key, the ID to read after (max() = ">"),
// and what the lookups found.
struct ReadTarget {
  std::string_view key;
  StreamID after;
  StreamObject* stream = nullptr;
  ConsumerGroup* group = nullptr;
  bool history = false;
  bool serve = false;
};

// Replies one stream's entries for a group read, maintaining the PEL.
void reply_group_new(CommandContext& ctx, StreamObject& s, ConsumerGroup& g, StreamConsumer& c,
                     StreamID start, size_t count, bool noack) {
  std::vector<StreamEntry> entries;
  s.range(start, StreamID::max(), false, [&](const StreamEntry& e) {
    entries.push_back(e);
    return !count || entries.size() < count;
  });
  ctx.out.array(static_cast<int64_t>(entries.size()));
  for (const StreamEntry& e : entries) {
    if (e.id > g.last_id) {
      if (g.entries_read != ConsumerGroup::kInvalidEntriesRead &&
          !s.range_has_tombstones(e.id, std::nullopt))
        ++g.entries_read;
      else if (s.entries_added())
        g.entries_read = s.estimate_distance(e.id);
      g.last_id = e.id;
    }
    reply_stream_entry(ctx, e);
    if (noack) continue;
    auto [it, inserted] = g.pel.try_emplace(e.id);
    PendingEntry& pe = it->second;
    if (!inserted && pe.consumer) pe.consumer->pel.erase(e.id);
    pe.consumer = &c;
    pe.delivery_time = ctx.now_ms;
    pe.delivery_count = 1;
    c.pel.insert(e.id);
  }
}

// A consumer's own history: its PEL entries from `start`, with a null body for
// entries deleted meanwhile.
void reply_group_history(CommandContext& ctx, StreamObject& s, ConsumerGroup& g, StreamConsumer& c,
                         StreamID start, size_t count) {
  std::vector<StreamID> ids;
  for (auto it = c.pel.lower_bound(start); it != c.pel.end() && (!count || ids.size() < count);
       ++it)
    ids.push_back(*it);
  ctx.out.array(static_cast<int64_t>(ids.size()));
  for (StreamID id : ids) {
    bool found = false;
    s.range(id, id, false, [&](const StreamEntry& e) {
      reply_stream_entry(ctx, e);
      found = true;
      return false;
    });
    if (!found) {
      ctx.out.array(2);
      reply_stream_id(ctx, id);
      ctx.out.null_array();
      continue;
    }
    PendingEntry& pe = g.pel[id];
    pe.delivery_time = ctx.now_ms;
    ++pe.delivery_count;
  }
}

StreamConsumer* lookup_or_create_consumer(CommandContext& ctx, ConsumerGroup& g,
                                          std::string_view name, std::string_view key) {
  if (StreamConsumer* c = g.find_consumer(name)) {
    c->seen_time = ctx.now_ms;
    return c;
  }
  StreamConsumer* c = g.create_consumer(name, ctx.now_ms);
  ctx.engine.notify_keyspace_event('t', "xgroup-createconsumer", key, ctx.db.id());
  return c;
}

void reply_read_targets(CommandContext& ctx, const ReadArgs& r, std::vector<ReadTarget>& ts,
                        size_t count) {
  size_t n = 0;
  for (const ReadTarget& t : ts) n += t.serve ? 1 : 0;
  if (ctx.out.resp() == 2)
    ctx.out.array(static_cast<int64_t>(n));
  else
    ctx.out.map(static_cast<int64_t>(n));
  for (ReadTarget& t : ts) {
    if (!t.serve) continue;
    if (ctx.out.resp() == 2) ctx.out.array(2);
    ctx.out.bulk(t.key);
    StreamID start = t.after;
    start.incr();
    if (!t.group) {
      reply_range(ctx, *t.stream, start, StreamID::max(), count, false);
      continue;
    }
    StreamConsumer* c = lookup_or_create_consumer(ctx, *t.group, r.consumer_name, t.key);
    if (t.history)
      reply_group_history(ctx, *t.stream, *t.group, *c, start, count);
    else
      reply_group_new(ctx, *t.stream, *t.group, *c, start, count, r.noack);
  }
}

// A blocked reader whose key became ready: Redis's serve-on-ready rules.
void serve_read_retry(CommandContext& ctx, const ReadArgs& r, int64_t deadline) {
  std::string_view key = ready_key(ctx);
  std::vector<ReadTarget> ts;
  for (size_t i = 0; i < r.nstreams; ++i) {
    if (ctx.args[r.streams_at + i] != key) continue;
    ReadTarget t;
    t.key = key;
    std::string_view ida = ctx.args[r.streams_at + r.nstreams + i];
    if (ida == ">")
      t.after = StreamID::max();
    else
      parse_stream_id(ida, &t.after, 0, false);
    ts.push_back(t);
    break;
  }
  Args keys = ctx.args.subspan(r.streams_at, r.nstreams);
  if (ts.empty()) return block_on_keys(ctx, keys, deadline);
  ReadTarget& t = ts[0];
  Entry* e = lookup_read(ctx, key);
  if (!e || e->value.type() != ValueType::kStream) {
    if (r.group) return ctx.out.error("UNBLOCKED the stream key no longer exists");
    return block_on_keys(ctx, keys, deadline);
  }
  t.stream = as_stream(e);
  if (r.group) {
    t.group = t.stream->find_group(r.group_name);
    if (!t.group)
      return ctx.out.error(
          "NOGROUP the consumer group this client was blocked on no longer exists");
    t.after = t.group->last_id;
  }
  if (!(t.stream->last_id() > t.after)) return block_on_keys(ctx, keys, deadline);
  t.serve = true;
  reply_read_targets(ctx, r, ts, r.count ? static_cast<size_t>(r.count) : kBlockedDefaultCount);
}

void xread_generic(CommandContext& ctx, bool group) {
  ReadArgs r;
  r.group = group;
  if (!parse_read(ctx, &r)) return;
  int64_t deadline = r.timeout_ms > 0 ? ctx.now_ms + r.timeout_ms : 0;
  if (is_block_retry(ctx)) return serve_read_retry(ctx, r, deadline);

  std::vector<ReadTarget> ts(r.nstreams);
  bool rewrite = false;  // "$" resolved: the wait must remember the real IDs
  for (size_t i = 0; i < r.nstreams; ++i) {
    ReadTarget& t = ts[i];
    t.key = ctx.args[r.streams_at + i];
    std::string_view ida = ctx.args[r.streams_at + r.nstreams + i];
    Entry* e = lookup_read(ctx, t.key);
    if (e && e->value.type() != ValueType::kStream) return ctx.out.error(err::kWrongType);
    t.stream = e ? as_stream(e) : nullptr;
    if (group) {
      t.group = t.stream ? t.stream->find_group(r.group_name) : nullptr;
      if (!t.group)
        return ctx.out.error("NOGROUP No such key '" + std::string(t.key) +
                             "' or consumer group '" + std::string(r.group_name) +
                             "' in XREADGROUP with GROUP option");
    }
    if (ida == "$") {
      if (group)
        return ctx.out.error(
            "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the "
            "history of this consumer by specifying a proper ID, or use the > ID to get new "
            "messages. The $ ID would just return an empty result set.");
      t.after = t.stream ? t.stream->last_id() : StreamID();
      rewrite = true;
    } else if (ida == ">") {
      if (!group)
        return ctx.out.error(
            "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> "
            "<consumer> option.");
      t.after = StreamID::max();
    } else if (!arg_stream_id(ctx, ida, &t.after, 0, true)) {
      return;
    }
  }

  bool any = false;
  for (ReadTarget& t : ts) {
    if (!t.stream) continue;
    if (t.group) {
      if (t.after != StreamID::max()) {
        t.serve = t.history = true;
      } else if (t.stream->length() && t.stream->last_valid_id() > t.group->last_id) {
        t.serve = true;
        t.after = t.group->last_id;
      }
    } else if (t.stream->length()) {
      t.serve = t.stream->last_valid_id() > t.after;
    }
    any = any || t.serve;
  }
  if (any) return reply_read_targets(ctx, r, ts, static_cast<size_t>(r.count));
  if (r.timeout_ms < 0) return ctx.out.null_array();

  Args keys = ctx.args.subspan(r.streams_at, r.nstreams);
  if (!rewrite) return block_on_keys(ctx, keys, deadline);
  // Re-runs must read after the IDs "$" stood for now, not the future last ID.
  std::vector<std::string> argv(ctx.args.begin(), ctx.args.end());
  for (size_t i = 0; i < r.nstreams; ++i) argv[r.streams_at + r.nstreams + i] = ts[i].after.str();
  std::vector<std::string_view> views(argv.begin(), argv.end());
  CommandContext blocked{ctx.engine, ctx.client, Args(views.data(), views.size()),
                         ctx.out,    ctx.db,     ctx.now_ms};
  block_on_keys(blocked, Args(views.data() + r.streams_at, r.nstreams), deadline);
}

void cmd_xread(CommandContext& ctx) {
  xread_generic(ctx, false);
}
void cmd_xreadgroup(CommandContext& ctx) {
  xread_generic(ctx, true);
}

// Keys of XREAD/XREADGROUP: the first half of what follows STREAMS.
std::vector<int> xread_keys(Args args) {
  std::vector<int> keys;
  for (size_t i = 1; i < args.size(); ++i) {
    if (iequals(args[i], "streams")) {
      size_t n = (args.size() - i - 1) / 2;
      for (size_t k = 0; k < n; ++k) keys.push_back(static_cast<int>(i + 1 + k));
      break;
    }
    if (iequals(args[i], "group"))
      i += 2;
    else if (iequals(args[i], "block") || iequals(args[i], "count"))
      ++i;
  }
  return keys;
}

}  // namespace

void register_stream_commands(CommandTable& t) {
  Family f(t, "stream");
  f.add("xadd", -5, kWrite | kDenyOom | kFast, kKey1, cmd_xadd);
  f.add("xlen", 2, kReadonly | kFast, kKey1, cmd_xlen);
  f.add("xrange", -4, kReadonly, kKey1, cmd_xrange);
  f.add("xrevrange", -4, kReadonly, kKey1, cmd_xrevrange);
  f.add("xdel", -3, kWrite | kFast, kKey1, cmd_xdel);
  f.add("xtrim", -4, kWrite, kKey1, cmd_xtrim);
  f.add("xsetid", -3, kWrite | kDenyOom | kFast, kKey1, cmd_xsetid);
  f.add("xread", -4, kReadonly | kBlocking | kMovableKeys, kNoKeys, cmd_xread,
        {.find_keys = xread_keys});
  f.add("xreadgroup", -7, kWrite | kBlocking | kMovableKeys, kNoKeys, cmd_xreadgroup,
        {.find_keys = xread_keys});
}

}  // namespace kvd::commands
