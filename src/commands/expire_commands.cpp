// Expiry commands: EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL EXPIRETIME
// PEXPIRETIME PERSIST. Replies and errors follow Redis 7.0.
#include <climits>
#include <string>

#include "command_helpers.hpp"
#include "declare.hpp"
#include "families.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/engine/keyspace_events.hpp"

namespace kvd::commands {
namespace {

struct ExpireFlags {
  bool nx = false, xx = false, gt = false, lt = false;
};

// Parses NX / XX / GT / LT (any order, repeats allowed) and rejects the
// combinations Redis rejects.
bool parse_expire_flags(CommandContext& ctx, ExpireFlags* f) {
  for (size_t i = 3; i < ctx.args.size(); ++i) {
    std::string_view opt = ctx.args[i];
    if (iequals(opt, "nx"))
      f->nx = true;
    else if (iequals(opt, "xx"))
      f->xx = true;
    else if (iequals(opt, "gt"))
      f->gt = true;
    else if (iequals(opt, "lt"))
      f->lt = true;
    else {
      ctx.out.error("ERR Unsupported option " + std::string(opt));
      return false;
    }
  }
  if (f->nx && (f->xx || f->gt || f->lt)) {
    ctx.out.error("ERR NX and XX, GT or LT options at the same time are not compatible");
    return false;
  }
  if (f->gt && f->lt) {
    ctx.out.error("ERR GT and LT options at the same time are not compatible");
    return false;
  }
  return true;
}

// The absolute expiry time in ms. Negative values are allowed (they delete the
// key); only unit conversion or base-time addition overflowing is an error.
bool parse_when(CommandContext& ctx, bool seconds, int64_t base_ms, int64_t* when) {
  int64_t v;
  if (!arg_int64(ctx, ctx.args[2], &v)) return false;
  if (seconds) {
    if (v > LLONG_MAX / 1000 || v < LLONG_MIN / 1000) {
      reply_invalid_expire(ctx);
      return false;
    }
    v *= 1000;
  }
  if (v > LLONG_MAX - base_ms) {
    reply_invalid_expire(ctx);
    return false;
  }
  *when = v + base_ms;
  return true;
}

// Whether the flags allow replacing the key's current expiry with `when`. A key
// without a TTL counts as expiring never (infinitely late).
bool flags_allow(const ExpireFlags& f, int64_t current, int64_t when) {
  const bool has_ttl = current != kNoExpire;
  if (f.nx && has_ttl) return false;
  if (f.xx && !has_ttl) return false;
  if (f.gt && (!has_ttl || when <= current)) return false;
  if (f.lt && has_ttl && when >= current) return false;
  return true;
}

void expire_generic(CommandContext& ctx, bool seconds, bool absolute) {
  ExpireFlags f;
  if (!parse_expire_flags(ctx, &f)) return;
  int64_t when;
  if (!parse_when(ctx, seconds, absolute ? 0 : ctx.now_ms, &when)) return;
  Entry* e = lookup_write(ctx, ctx.args[1]);
  if (!e || !flags_allow(f, ctx.db.expire_of(e), when)) {
    ctx.dirty = 0;
    ctx.out.integer(0);
    return;
  }
  // A time already past deletes the key now instead of leaving it to expire.
  if (when <= ctx.now_ms && !ctx.engine.loading()) {
    ctx.db.remove(ctx.args[1]);
    key_changed(ctx, 'g', "del", ctx.args[1]);
    propagate_as(ctx, {"DEL", ctx.args[1]});
  } else {
    ctx.db.set_expire(e, when);
    key_changed(ctx, 'g', "expire", ctx.args[1]);
    // Relative times would mean something else when replayed later.
    propagate_as(ctx, {"PEXPIREAT", ctx.args[1], int_to_string(when)});
  }
  ctx.out.integer(1);
}

void cmd_expire(CommandContext& ctx) {
  expire_generic(ctx, true, false);
}
void cmd_pexpire(CommandContext& ctx) {
  expire_generic(ctx, false, false);
}
void cmd_expireat(CommandContext& ctx) {
  expire_generic(ctx, true, true);
}
void cmd_pexpireat(CommandContext& ctx) {
  expire_generic(ctx, false, true);
}

// TTL / PTTL / EXPIRETIME / PEXPIRETIME: -2 for a missing key, -1 without a TTL.
void ttl_generic(CommandContext& ctx, bool millis, bool absolute) {
  Entry* e = lookup_read_notouch(ctx, ctx.args[1]);
  if (!e) {
    ctx.out.integer(-2);
    return;
  }
  int64_t expire_at = ctx.db.expire_of(e);
  if (expire_at == kNoExpire) {
    ctx.out.integer(-1);
    return;
  }
  int64_t t = absolute ? expire_at : expire_at - ctx.now_ms;
  if (t < 0) t = 0;
  // Seconds are rounded to the nearest, as Redis does.
  ctx.out.integer(millis ? t : (t + 500) / 1000);
}

void cmd_ttl(CommandContext& ctx) {
  ttl_generic(ctx, false, false);
}
void cmd_pttl(CommandContext& ctx) {
  ttl_generic(ctx, true, false);
}
void cmd_expiretime(CommandContext& ctx) {
  ttl_generic(ctx, false, true);
}
void cmd_pexpiretime(CommandContext& ctx) {
  ttl_generic(ctx, true, true);
}

void cmd_persist(CommandContext& ctx) {
  Entry* e = lookup_write(ctx, ctx.args[1]);
  if (!e || !e->has_ttl) {
    ctx.dirty = 0;
    ctx.out.integer(0);
    return;
  }
  ctx.db.persist(e);
  key_changed(ctx, 'g', "persist", ctx.args[1]);
  ctx.out.integer(1);
}

}  // namespace

void register_expire_commands(CommandTable& t) {
  Family f(t, "generic");
  f.add("expire", -3, kWrite | kFast, kKey1, cmd_expire);
  f.add("pexpire", -3, kWrite | kFast, kKey1, cmd_pexpire);
  f.add("expireat", -3, kWrite | kFast, kKey1, cmd_expireat);
  f.add("pexpireat", -3, kWrite | kFast, kKey1, cmd_pexpireat);
  f.add("ttl", 2, kReadonly | kFast, kKey1, cmd_ttl);
  f.add("pttl", 2, kReadonly | kFast, kKey1, cmd_pttl);
  f.add("expiretime", 2, kReadonly | kFast, kKey1, cmd_expiretime);
  f.add("pexpiretime", 2, kReadonly | kFast, kKey1, cmd_pexpiretime);
  f.add("persist", 2, kWrite | kFast, kKey1, cmd_persist);
}

}  // namespace kvd::commands
