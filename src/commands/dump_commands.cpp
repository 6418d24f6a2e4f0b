// DUMP and RESTORE: a key's value as a Redis-compatible payload (RDB value
// encoding, RDB version, CRC-64), so values move between kvd and Redis.
#include <string>

#include "command_helpers.hpp"
#include "declare.hpp"
#include "families.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/engine/keyspace_events.hpp"
#include "kvd/engine/type_limits.hpp"
#include "kvd/persist/dump_payload.hpp"

namespace kvd::commands {
namespace {

void cmd_dump(CommandContext& ctx) {
  Entry* e = lookup_read(ctx, ctx.args[1]);
  if (!e) {
    ctx.out.null();
    return;
  }
  ctx.out.bulk(persist::make_dump_payload(e->value, ctx.engine.config().v().rdbcompression));
}

struct RestoreOptions {
  bool replace = false;
  bool absttl = false;
  int64_t idle_seconds = -1;
  int64_t freq = -1;
};

// Redis's order: options, then the existing key, then the TTL, then the payload.
bool parse_restore_options(CommandContext& ctx, RestoreOptions* o) {
  for (size_t i = 4; i < ctx.args.size(); ++i) {
    bool has_value = i + 1 < ctx.args.size();
    std::string_view a = ctx.args[i];
    if (iequals(a, "replace")) {
      o->replace = true;
    } else if (iequals(a, "absttl")) {
      o->absttl = true;
    } else if (iequals(a, "idletime") && has_value && o->freq == -1) {
      if (!arg_int64(ctx, ctx.args[++i], &o->idle_seconds)) return false;
      if (o->idle_seconds < 0) {
        ctx.out.error("ERR Invalid IDLETIME value, must be >= 0");
        return false;
      }
    } else if (iequals(a, "freq") && has_value && o->idle_seconds == -1) {
      if (!arg_int64(ctx, ctx.args[++i], &o->freq)) return false;
      if (o->freq < 0 || o->freq > 255) {
        ctx.out.error("ERR Invalid FREQ value, must be >= 0 and <= 255");
        return false;
      }
    } else {
      ctx.out.error(err::kSyntax);
      return false;
    }
  }
  return true;
}

void cmd_restore(CommandContext& ctx) {
  RestoreOptions o;
  if (!parse_restore_options(ctx, &o)) return;
  std::string_view key = ctx.args[1];
  if (!o.replace && lookup_write(ctx, key)) {
    ctx.out.error("BUSYKEY Target key name already exists.");
    return;
  }
  int64_t ttl;
  if (!arg_int64(ctx, ctx.args[2], &ttl)) return;
  if (ttl < 0) {
    ctx.out.error("ERR Invalid TTL value, must be >= 0");
    return;
  }
  Value v;
  switch (persist::read_dump_payload(ctx.args[3], persist::decode_limits(ctx.engine.config().v()),
                                     &v, !ctx.engine.skip_checksum_validation)) {
    case persist::PayloadStatus::kBadFooter:
      ctx.out.error("ERR DUMP payload version or checksum are wrong");
      return;
    case persist::PayloadStatus::kBadData:
      ctx.out.error("ERR Bad data format");
      return;
    case persist::PayloadStatus::kOk:
      break;
  }
  bool deleted = o.replace && ctx.db.find(key, ctx.now_ms) && ctx.db.remove(key);
  const bool relative = ttl > 0 && !o.absttl;
  if (relative) ttl += ctx.now_ms;
  if (ttl > 0 && ttl <= ctx.now_ms) {
    // Already expired: the key ends up absent, as if restored and expired;
    // a replica or the AOF only needs to lose the key it replaced.
    v.destroy();
    if (deleted) {
      key_changed(ctx, 'g', "del", key);
      propagate_as(ctx, {"DEL", key});
    }
    ctx.dirty = deleted ? 1 : 0;
    ctx.out.ok();
    return;
  }
  if (relative) {
    // The deadline travels as an absolute time, as Redis rewrites it: the
    // same arguments with the TTL replaced and ABSTTL added.
    std::vector<std::string> argv(ctx.args.begin(), ctx.args.end());
    argv[2] = std::to_string(ttl);
    argv.emplace_back("ABSTTL");
    propagate_as(ctx, std::move(argv));
  }
  Entry* e = ctx.db.add(key, v);
  if (ttl > 0) ctx.db.set_expire(e, ttl);
  ctx.engine.access_tracking().restore(e, ctx.now_ms, o.idle_seconds, o.freq);
  key_changed(ctx, 'g', "restore", key);
  ctx.engine.signal_key_ready(ctx.db.id(), key);  // a client may block on it
  ctx.out.ok();
}

}  // namespace

void register_dump_commands(CommandTable& t) {
  Family f(t, "generic");
  f.add("dump", 2, kReadonly, kKey1, cmd_dump);
  f.add("restore", -4, kWrite | kDenyOom, kKey1, cmd_restore,
        {.categories = kAclKeyspace | kAclDangerous});
}

}  // namespace kvd::commands
