// Stream consumer groups: XGROUP (CREATE SETID DESTROY CREATECONSUMER
// DELCONSUMER), XACK, XPENDING, XCLAIM, XAUTOCLAIM and XINFO.
#include <algorithm>
#include <string>
#include <vector>

#include "admin_helpers.hpp"
#include "collection_helpers.hpp"
#include "command_helpers.hpp"
#include "declare.hpp"
#include "families.hpp"
#include "kvd/common/strings.hpp"
#include "stream_helpers.hpp"

namespace kvd::commands {
namespace {

std::string no_group(std::string_view key, std::string_view group) {
  return "NOGROUP No such key '" + std::string(key) + "' or consumer group '" + std::string(group) +
         "'";
}

// ------------------------------------------------------------------- XGROUP

struct GroupTarget {
  Entry* entry = nullptr;
  StreamObject* stream = nullptr;
  ConsumerGroup* group = nullptr;
  bool mkstream = false;
  int64_t entries_read = ConsumerGroup::kInvalidEntriesRead;
};

// The checks every XGROUP subcommand shares, in Redis's order: options,
// key type, key existence, group existence.
bool xgroup_prepare(CommandContext& ctx, GroupTarget* t) {
  std::string_view opt = ctx.args[1];
  bool create = iequals(opt, "create"), setid = iequals(opt, "setid");
  for (size_t i = 5; i < ctx.args.size();) {
    if (create && iequals(ctx.args[i], "mkstream")) {
      t->mkstream = true;
      ++i;
    } else if ((create || setid) && iequals(ctx.args[i], "entriesread") &&
               i + 1 < ctx.args.size()) {
      if (!arg_int64(ctx, ctx.args[i + 1], &t->entries_read)) return false;
      if (t->entries_read < 0 && t->entries_read != ConsumerGroup::kInvalidEntriesRead) {
        ctx.out.error("ERR value for ENTRIESREAD must be positive or -1");
        return false;
      }
      i += 2;
    } else {
      reply_subcommand_syntax_error(ctx);
      return false;
    }
  }
  if (!lookup_write_typed(ctx, ctx.args[2], ValueType::kStream, &t->entry)) return false;
  t->stream = t->entry ? as_stream(t->entry) : nullptr;
  if (t->mkstream) return true;
  if (!t->stream) {
    ctx.out.error(
        "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want "
        "to use the MKSTREAM option to create an empty stream automatically.");
    return false;
  }
  t->group = t->stream->find_group(ctx.args[3]);
  if (!t->group && !create && !iequals(opt, "destroy")) {
    ctx.out.error("NOGROUP No such consumer group '" + std::string(ctx.args[3]) +
                  "' for key name '" + std::string(ctx.args[2]) + "'");
    return false;
  }
  return true;
}

void notify_stream(CommandContext& ctx, std::string_view event) {
  ctx.engine.notify_keyspace_event('t', event, ctx.args[2], ctx.db.id());
}

void cmd_xgroup_create(CommandContext& ctx) {
  GroupTarget t;
  if (!xgroup_prepare(ctx, &t)) return;
  if (ctx.args.size() > 8) return reply_subcommand_syntax_error(ctx);
  StreamID id;
  if (ctx.args[4] == "$") {
    if (t.stream) id = t.stream->last_id();
  } else if (!arg_stream_id(ctx, ctx.args[4], &id, 0, true)) {
    return;
  }
  if (!t.stream) {
    t.stream = new StreamObject();
    ctx.db.add(ctx.args[2], Value::from_object(t.stream));
    ctx.engine.signal_modified_key(ctx.db.id(), ctx.args[2]);
  }
  if (!t.stream->create_group(ctx.args[3], id, t.entries_read)) {
    ctx.out.error("BUSYGROUP Consumer Group name already exists");
    return;
  }
  ctx.out.ok();
  notify_stream(ctx, "xgroup-create");
}

void cmd_xgroup_setid(CommandContext& ctx) {
  GroupTarget t;
  if (!xgroup_prepare(ctx, &t)) return;
  if (ctx.args.size() != 5 && ctx.args.size() != 7) return reply_subcommand_syntax_error(ctx);
  StreamID id;
  if (ctx.args[4] == "$")
    id = t.stream->last_id();
  else if (!arg_stream_id(ctx, ctx.args[4], &id, 0, false))
    return;
  t.group->last_id = id;
  t.group->entries_read = t.entries_read;
  ctx.out.ok();
  notify_stream(ctx, "xgroup-setid");
}

void cmd_xgroup_destroy(CommandContext& ctx) {
  GroupTarget t;
  if (!xgroup_prepare(ctx, &t)) return;
  if (!t.group) {
    ctx.out.integer(0);
    return;
  }
  t.stream->destroy_group(ctx.args[3]);
  ctx.out.integer(1);
  notify_stream(ctx, "xgroup-destroy");
  // Readers blocked on the group must learn it is gone (-NOGROUP).
  ctx.engine.signal_key_ready(ctx.db.id(), ctx.args[2]);
}

void cmd_xgroup_createconsumer(CommandContext& ctx) {
  GroupTarget t;
  if (!xgroup_prepare(ctx, &t)) return;
  bool created = t.group->create_consumer(ctx.args[4], ctx.now_ms) != nullptr;
  if (created) notify_stream(ctx, "xgroup-createconsumer");
  ctx.dirty = created ? 1 : 0;
  ctx.out.integer(created ? 1 : 0);
}

void cmd_xgroup_delconsumer(CommandContext& ctx) {
  GroupTarget t;
  if (!xgroup_prepare(ctx, &t)) return;
  int64_t pending = 0;
  if (StreamConsumer* c = t.group->find_consumer(ctx.args[4])) {
    pending = static_cast<int64_t>(t.group->delete_consumer(c));
    notify_stream(ctx, "xgroup-delconsumer");
  }
  ctx.out.integer(pending);
}

void cmd_xgroup_help(CommandContext& ctx) {
  reply_help(
      ctx, "xgroup",
      {"CREATE <key> <groupname> <id|$> [option]",
       "    Create a new consumer group. Options are:", "    * MKSTREAM",
       "      Create the empty stream if it does not exist.", "    * ENTRIESREAD entries_read",
       "      Set the group's entries_read counter (internal use).",
       "CREATECONSUMER <key> <groupname> <consumer>",
       "    Create a new consumer in the specified group.",
       "DELCONSUMER <key> <groupname> <consumer>", "    Remove the specified consumer.",
       "DESTROY <key> <groupname>", "    Remove the specified group.",
       "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
       "    Set the current group ID and entries_read counter."});
}

void cmd_container(CommandContext& ctx) {
  reply_subcommand_syntax_error(ctx);
}

// --------------------------------------------------------------------- XACK

void cmd_xack(CommandContext& ctx) {
  Entry* e;
  if (!lookup_read_typed(ctx, ctx.args[1], ValueType::kStream, &e)) return;
  ConsumerGroup* g = e ? as_stream(e)->find_group(ctx.args[2]) : nullptr;
  if (!g) {
    ctx.out.integer(0);
    return;
  }
  std::vector<StreamID> ids(ctx.args.size() - 3);
  for (size_t j = 3; j < ctx.args.size(); ++j)
    if (!arg_stream_id(ctx, ctx.args[j], &ids[j - 3], 0, true)) return;
  int64_t acked = 0;
  for (StreamID id : ids) {
    auto it = g->pel.find(id);
    if (it == g->pel.end()) continue;
    g->erase_pending(it);
    ++acked;
  }
  ctx.dirty = acked;
  ctx.out.integer(acked);
}

// ----------------------------------------------------------------- XPENDING

void xpending_summary(CommandContext& ctx, const ConsumerGroup& g) {
  ctx.out.array(4);
  ctx.out.integer(static_cast<int64_t>(g.pel.size()));
  if (g.pel.empty()) {
    ctx.out.null();
    ctx.out.null();
    ctx.out.null_array();
    return;
  }
  reply_stream_id(ctx, g.pel.begin()->first);
  reply_stream_id(ctx, g.pel.rbegin()->first);
  int64_t n = 0;
  for (const auto& [name, c] : g.consumers) n += c->pel.empty() ? 0 : 1;
  ctx.out.array(n);
  for (const auto& [name, c] : g.consumers) {
    if (c->pel.empty()) continue;
    ctx.out.array(2);
    ctx.out.bulk(name);
    ctx.out.bulk(std::to_string(c->pel.size()));
  }
}

void cmd_xpending(CommandContext& ctx) {
  const Args& a = ctx.args;
  if (a.size() != 3 && (a.size() < 6 || a.size() > 9)) return ctx.out.error(err::kSyntax);
  StreamID start, end;
  int64_t count = 0, minidle = 0;
  std::string_view consumer_name;
  bool has_consumer = false;
  if (a.size() >= 6) {
    size_t at = 3;
    if (iequals(a[3], "idle")) {
      if (!arg_int64(ctx, a[4], &minidle)) return;
      if (a.size() < 8) return ctx.out.error(err::kSyntax);
      at += 2;
    }
    if (!arg_int64(ctx, a[at + 2], &count)) return;
    if (count < 0) count = 0;
    if (!arg_range_start(ctx, a[at], &start) || !arg_range_end(ctx, a[at + 1], &end)) return;
    if (at + 3 < a.size()) {
      consumer_name = a[at + 3];
      has_consumer = true;
    }
  }
  Entry* e;
  if (!lookup_read_typed(ctx, a[1], ValueType::kStream, &e)) return;
  ConsumerGroup* g = e ? as_stream(e)->find_group(a[2]) : nullptr;
  if (!g) return ctx.out.error(no_group(a[1], a[2]));
  if (a.size() == 3) return xpending_summary(ctx, *g);

  StreamConsumer* c = nullptr;
  if (has_consumer && !(c = g->find_consumer(consumer_name))) return ctx.out.array(0);
  std::vector<std::pair<StreamID, const PendingEntry*>> rows;
  auto take = [&](StreamID id) {
    if (count <= 0 || id > end) return false;
    const PendingEntry& pe = g->pel.at(id);
    if (minidle && ctx.now_ms - pe.delivery_time < minidle) return true;
    rows.emplace_back(id, &pe);
    --count;
    return true;
  };
  if (c) {
    for (auto it = c->pel.lower_bound(start); it != c->pel.end() && take(*it); ++it) {
    }
  } else {
    for (auto it = g->pel.lower_bound(start); it != g->pel.end() && take(it->first); ++it) {
    }
  }
  ctx.out.array(static_cast<int64_t>(rows.size()));
  for (const auto& [id, pe] : rows) {
    ctx.out.array(4);
    reply_stream_id(ctx, id);
    ctx.out.bulk(pe->consumer ? pe->consumer->name : std::string());
    ctx.out.integer(std::max<int64_t>(0, ctx.now_ms - pe->delivery_time));
    ctx.out.integer(static_cast<int64_t>(pe->delivery_count));
  }
}

// ------------------------------------------------------- XCLAIM / XAUTOCLAIM

StreamConsumer* claim_consumer(CommandContext& ctx, ConsumerGroup& g, std::string_view name) {
  if (StreamConsumer* c = g.find_consumer(name)) {
    c->seen_time = ctx.now_ms;
    return c;
  }
  StreamConsumer* c = g.create_consumer(name, ctx.now_ms);
  ctx.engine.notify_keyspace_event('t', "xgroup-createconsumer", ctx.args[1], ctx.db.id());
  return c;
}

void move_pending(StreamID id, PendingEntry& pe, StreamConsumer* to) {
  if (pe.consumer == to) return;
  if (pe.consumer) pe.consumer->pel.erase(id);
  to->pel.insert(id);
  pe.consumer = to;
}

void reply_claimed(CommandContext& ctx, const StreamObject& s, StreamID id, bool justid) {
  if (justid) return reply_stream_id(ctx, id);
  s.range(id, id, false, [&](const StreamEntry& e) {
    reply_stream_entry(ctx, e);
    return false;
  });
}

bool arg_claim_int(CommandContext& ctx, std::string_view s, int64_t* out, const char* msg) {
  if (parse_int64(s, out)) return true;
  ctx.out.error(msg);
  return false;
}

void cmd_xclaim(CommandContext& ctx) {
  const Args& a = ctx.args;
  Entry* e;
  if (!lookup_read_typed(ctx, a[1], ValueType::kStream, &e)) return;
  StreamObject* s = e ? as_stream(e) : nullptr;
  ConsumerGroup* g = s ? s->find_group(a[2]) : nullptr;
  if (!g) return ctx.out.error(no_group(a[1], a[2]));
  int64_t minidle;
  if (!arg_claim_int(ctx, a[4], &minidle, "ERR Invalid min-idle-time argument for XCLAIM")) return;
  if (minidle < 0) minidle = 0;
  std::vector<StreamID> ids;
  size_t j = 5;
  for (; j < a.size(); ++j) {
    StreamID id;
    if (!parse_stream_id(a[j], &id, 0, false)) break;
    ids.push_back(id);
  }
  int64_t now = ctx.now_ms, retrycount = -1, deliverytime = -1;
  bool force = false, justid = false;
  StreamID last_id;
  for (; j < a.size(); ++j) {
    bool more = j + 1 < a.size();
    std::string_view opt = a[j];
    if (iequals(opt, "force")) {
      force = true;
    } else if (iequals(opt, "justid")) {
      justid = true;
    } else if (iequals(opt, "idle") && more) {
      if (!arg_claim_int(ctx, a[++j], &deliverytime, "ERR Invalid IDLE option argument for XCLAIM"))
        return;
      deliverytime = now - deliverytime;
    } else if (iequals(opt, "time") && more) {
      if (!arg_claim_int(ctx, a[++j], &deliverytime, "ERR Invalid TIME option argument for XCLAIM"))
        return;
    } else if (iequals(opt, "retrycount") && more) {
      if (!arg_claim_int(ctx, a[++j], &retrycount,
                         "ERR Invalid RETRYCOUNT option argument for XCLAIM"))
        return;
    } else if (iequals(opt, "lastid") && more) {
      if (!arg_stream_id(ctx, a[++j], &last_id, 0, true)) return;
    } else {
      return ctx.out.error("ERR Unrecognized XCLAIM option '" + std::string(opt) + "'");
    }
  }
  if (last_id > g->last_id) g->last_id = last_id;
  if (deliverytime == -1 || deliverytime < 0 || deliverytime > now) deliverytime = now;

  StreamConsumer* consumer = nullptr;
  std::vector<StreamID> claimed;
  for (StreamID id : ids) {
    auto it = g->pel.find(id);
    if (!s->contains(id)) {
      if (it != g->pel.end()) g->erase_pending(it);
      continue;
    }
    if (force && it == g->pel.end()) {
      PendingEntry pe;
      pe.delivery_count = 1;
      it = g->pel.emplace(id, pe).first;
    }
    if (it == g->pel.end()) continue;
    PendingEntry& pe = it->second;
    if (pe.consumer && minidle && now - pe.delivery_time < minidle) continue;
    if (!consumer) consumer = claim_consumer(ctx, *g, a[3]);
    pe.delivery_time = deliverytime;
    if (retrycount >= 0)
      pe.delivery_count = static_cast<uint64_t>(retrycount);
    else if (!justid)
      ++pe.delivery_count;
    move_pending(id, pe, consumer);
    claimed.push_back(id);
  }
  ctx.out.array(static_cast<int64_t>(claimed.size()));
  for (StreamID id : claimed) reply_claimed(ctx, *s, id, justid);
}

void cmd_xautoclaim(CommandContext& ctx) {
  const Args& a = ctx.args;
  constexpr int64_t kAttemptsFactor = 10;
  int64_t minidle, count = 100;
  if (!arg_claim_int(ctx, a[4], &minidle, "ERR Invalid min-idle-time argument for XAUTOCLAIM"))
    return;
  if (minidle < 0) minidle = 0;
  StreamID start;
  if (!arg_range_start(ctx, a[5], &start)) return;
  bool justid = false;
  for (size_t j = 6; j < a.size(); ++j) {
    if (iequals(a[j], "count") && j + 1 < a.size()) {
      if (!arg_range(ctx, a[j + 1], 1, INT64_MAX / 16, &count, "ERR COUNT must be > 0")) return;
      ++j;
    } else if (iequals(a[j], "justid")) {
      justid = true;
    } else {
      return ctx.out.error(err::kSyntax);
    }
  }
  Entry* e;
  if (!lookup_read_typed(ctx, a[1], ValueType::kStream, &e)) return;
  StreamObject* s = e ? as_stream(e) : nullptr;
  ConsumerGroup* g = s ? s->find_group(a[2]) : nullptr;
  if (!g) return ctx.out.error(no_group(a[1], a[2]));

  int64_t attempts = count * kAttemptsFactor;
  int64_t now = ctx.now_ms;
  StreamConsumer* consumer = nullptr;
  std::vector<StreamID> claimed, deleted;
  auto it = g->pel.lower_bound(start);
  while (attempts-- && count && it != g->pel.end()) {
    StreamID id = it->first;
    if (!s->contains(id)) {
      auto next = std::next(it);
      g->erase_pending(it);
      it = next;
      deleted.push_back(id);
      --count;
      continue;
    }
    PendingEntry& pe = it->second;
    if (minidle && now - pe.delivery_time < minidle) {
      ++it;
      continue;
    }
    if (!consumer) consumer = claim_consumer(ctx, *g, a[3]);
    pe.delivery_time = now;
    if (!justid) ++pe.delivery_count;
    move_pending(id, pe, consumer);
    claimed.push_back(id);
    --count;
    ++it;
  }
  ctx.out.array(3);
  reply_stream_id(ctx, it == g->pel.end() ? StreamID() : it->first);
  ctx.out.array(static_cast<int64_t>(claimed.size()));
  for (StreamID id : claimed) reply_claimed(ctx, *s, id, justid);
  ctx.out.array(static_cast<int64_t>(deleted.size()));
  for (StreamID id : deleted) reply_stream_id(ctx, id);
}

// -------------------------------------------------------------------- XINFO

bool xinfo_lookup(CommandContext& ctx, StreamObject** s) {
  Entry* e;
  if (!lookup_read_typed(ctx, ctx.args[2], ValueType::kStream, &e)) return false;
  if (!e) {
    ctx.out.error(err::kNoSuchKey);
    return false;
  }
  *s = as_stream(e);
  return true;
}

void reply_lag(CommandContext& ctx, const StreamObject& s, const ConsumerGroup& g) {
  if (auto lag = s.group_lag(g))
    ctx.out.integer(*lag);
  else
    ctx.out.null();
}

void reply_entries_read(CommandContext& ctx, const ConsumerGroup& g) {
  if (g.entries_read != ConsumerGroup::kInvalidEntriesRead)
    ctx.out.integer(g.entries_read);
  else
    ctx.out.null();
}

void cmd_xinfo_consumers(CommandContext& ctx) {
  StreamObject* s;
  if (!xinfo_lookup(ctx, &s)) return;
  ConsumerGroup* g = s->find_group(ctx.args[3]);
  if (!g)
    return ctx.out.error("NOGROUP No such consumer group '" + std::string(ctx.args[3]) +
                         "' for key name '" + std::string(ctx.args[2]) + "'");
  ctx.out.array(static_cast<int64_t>(g->consumers.size()));
  for (const auto& [name, c] : g->consumers) {
    ctx.out.map(3);
    ctx.out.bulk("name");
    ctx.out.bulk(name);
    ctx.out.bulk("pending");
    ctx.out.integer(static_cast<int64_t>(c->pel.size()));
    ctx.out.bulk("idle");
    ctx.out.integer(std::max<int64_t>(0, ctx.now_ms - c->seen_time));
  }
}

void cmd_xinfo_groups(CommandContext& ctx) {
  StreamObject* s;
  if (!xinfo_lookup(ctx, &s)) return;
  ctx.out.array(static_cast<int64_t>(s->groups().size()));
  for (const auto& [name, g] : s->groups()) {
    ctx.out.map(6);
    ctx.out.bulk("name");
    ctx.out.bulk(name);
    ctx.out.bulk("consumers");
    ctx.out.integer(static_cast<int64_t>(g->consumers.size()));
    ctx.out.bulk("pending");
    ctx.out.integer(static_cast<int64_t>(g->pel.size()));
    ctx.out.bulk("last-delivered-id");
    reply_stream_id(ctx, g->last_id);
    ctx.out.bulk("entries-read");
    reply_entries_read(ctx, *g);
    ctx.out.bulk("lag");
    reply_lag(ctx, *s, *g);
  }
}

// The edge entry (first or last) or a null.
void reply_edge_entry(CommandContext& ctx, const StreamObject& s, bool last) {
  bool found = false;
  s.range(StreamID::min(), StreamID::max(), last, [&](const StreamEntry& e) {
    reply_stream_entry(ctx, e);
    found = true;
    return false;
  });
  if (!found) ctx.out.null();
}

void xinfo_full_group(CommandContext& ctx, const StreamObject& s, const std::string& name,
                      const ConsumerGroup& g, size_t count) {
  ctx.out.map(7);
  ctx.out.bulk("name");
  ctx.out.bulk(name);
  ctx.out.bulk("last-delivered-id");
  reply_stream_id(ctx, g.last_id);
  ctx.out.bulk("entries-read");
  reply_entries_read(ctx, g);
  ctx.out.bulk("lag");
  reply_lag(ctx, s, g);
  ctx.out.bulk("pel-count");
  ctx.out.integer(static_cast<int64_t>(g.pel.size()));
  ctx.out.bulk("pending");
  size_t n = count ? std::min(count, g.pel.size()) : g.pel.size();
  ctx.out.array(static_cast<int64_t>(n));
  size_t i = 0;
  for (auto it = g.pel.begin(); i < n; ++it, ++i) {
    ctx.out.array(4);
    reply_stream_id(ctx, it->first);
    ctx.out.bulk(it->second.consumer ? it->second.consumer->name : std::string());
    ctx.out.integer(it->second.delivery_time);
    ctx.out.integer(static_cast<int64_t>(it->second.delivery_count));
  }
  ctx.out.bulk("consumers");
  ctx.out.array(static_cast<int64_t>(g.consumers.size()));
  for (const auto& [cname, c] : g.consumers) {
    ctx.out.map(4);
    ctx.out.bulk("name");
    ctx.out.bulk(cname);
    ctx.out.bulk("seen-time");
    ctx.out.integer(c->seen_time);
    ctx.out.bulk("pel-count");
    ctx.out.integer(static_cast<int64_t>(c->pel.size()));
    ctx.out.bulk("pending");
    size_t cn = count ? std::min(count, c->pel.size()) : c->pel.size();
    ctx.out.array(static_cast<int64_t>(cn));
    size_t k = 0;
    for (auto it = c->pel.begin(); k < cn; ++it, ++k) {
      const PendingEntry& pe = g.pel.at(*it);
      ctx.out.array(3);
      reply_stream_id(ctx, *it);
      ctx.out.integer(pe.delivery_time);
      ctx.out.integer(static_cast<int64_t>(pe.delivery_count));
    }
  }
}

void cmd_xinfo_stream(CommandContext& ctx) {
  const Args& a = ctx.args;
  bool full = a.size() > 3;
  int64_t count = 10;
  if (full) {
    if ((a.size() != 4 && a.size() != 6) || !iequals(a[3], "full") ||
        (a.size() == 6 && !iequals(a[4], "count")))
      return reply_subcommand_syntax_error(ctx);
  }
  StreamObject* s;
  if (!xinfo_lookup(ctx, &s)) return;
  if (a.size() == 6) {
    if (!arg_int64(ctx, a[5], &count)) return;
    if (count < 0) count = 10;
  }
  ctx.out.map(full ? 9 : 10);
  ctx.out.bulk("length");
  ctx.out.integer(static_cast<int64_t>(s->length()));
  ctx.out.bulk("radix-tree-keys");
  ctx.out.integer(static_cast<int64_t>(s->node_count()));
  ctx.out.bulk("radix-tree-nodes");
  ctx.out.integer(static_cast<int64_t>(s->node_count() + 1));
  ctx.out.bulk("last-generated-id");
  reply_stream_id(ctx, s->last_id());
  ctx.out.bulk("max-deleted-entry-id");
  reply_stream_id(ctx, s->max_deleted_id());
  ctx.out.bulk("entries-added");
  ctx.out.integer(static_cast<int64_t>(s->entries_added()));
  ctx.out.bulk("recorded-first-entry-id");
  reply_stream_id(ctx, s->first_id());
  if (!full) {
    ctx.out.bulk("groups");
    ctx.out.integer(static_cast<int64_t>(s->groups().size()));
    ctx.out.bulk("first-entry");
    reply_edge_entry(ctx, *s, false);
    ctx.out.bulk("last-entry");
    reply_edge_entry(ctx, *s, true);
    return;
  }
  ctx.out.bulk("entries");
  std::vector<StreamEntry> entries;
  s->range(StreamID::min(), StreamID::max(), false, [&](const StreamEntry& e) {
    entries.push_back(e);
    return !count || entries.size() < static_cast<size_t>(count);
  });
  ctx.out.array(static_cast<int64_t>(entries.size()));
  for (const StreamEntry& e : entries) reply_stream_entry(ctx, e);
  ctx.out.bulk("groups");
  ctx.out.array(static_cast<int64_t>(s->groups().size()));
  for (const auto& [name, g] : s->groups())
    xinfo_full_group(ctx, *s, name, *g, static_cast<size_t>(count));
}

void cmd_xinfo_help(CommandContext& ctx) {
  reply_help(ctx, "xinfo",
             {"CONSUMERS <key> <groupname>", "    Show consumers of <groupname>.", "GROUPS <key>",
              "    Show the stream consumer groups.", "STREAM <key> [FULL [COUNT <count>]",
              "    Show information about the stream."});
}

}  // namespace

void register_stream_group_commands(CommandTable& t) {
  Family f(t, "stream");
  f.add("xgroup", -2, 0, kNoKeys, cmd_container,
        {.subcommands = {
             cmd("create", -5, kWrite | kDenyOom, {2, 2, 1}, cmd_xgroup_create),
             cmd("createconsumer", 5, kWrite | kDenyOom, {2, 2, 1}, cmd_xgroup_createconsumer),
             cmd("delconsumer", 5, kWrite, {2, 2, 1}, cmd_xgroup_delconsumer),
             cmd("destroy", 4, kWrite, {2, 2, 1}, cmd_xgroup_destroy),
             cmd("help", 2, kLoading | kStale, kNoKeys, cmd_xgroup_help),
             cmd("setid", -5, kWrite, {2, 2, 1}, cmd_xgroup_setid)}});
  f.add("xinfo", -2, 0, kNoKeys, cmd_container,
        {.subcommands = {cmd("consumers", 4, kReadonly, {2, 2, 1}, cmd_xinfo_consumers),
                         cmd("groups", 3, kReadonly, {2, 2, 1}, cmd_xinfo_groups),
                         cmd("help", 2, kLoading | kStale, kNoKeys, cmd_xinfo_help),
                         cmd("stream", -3, kReadonly, {2, 2, 1}, cmd_xinfo_stream)}});
  f.add("xack", -4, kWrite | kFast, kKey1, cmd_xack);
  f.add("xpending", -3, kReadonly, kKey1, cmd_xpending);
  f.add("xclaim", -6, kWrite | kFast, kKey1, cmd_xclaim);
  f.add("xautoclaim", -6, kWrite | kFast, kKey1, cmd_xautoclaim);
}

}  // namespace kvd::commands
