// MULTI / EXEC / DISCARD / WATCH / UNWATCH.
#include "command_helpers.hpp"
#include "declare.hpp"
#include "families.hpp"
#include "kvd/engine/memory.hpp"
#include "kvd/engine/transaction.hpp"

namespace kvd::commands {
namespace {

void cmd_multi(CommandContext& ctx) {
  TransactionState& tx = tx_state(ctx.client);
  if (tx.in_multi) {
    ctx.out.error("ERR MULTI calls can not be nested");
    return;
  }
  tx.in_multi = true;
  ctx.out.ok();
}

void cmd_discard(CommandContext& ctx) {
  if (!in_multi(ctx.client)) {
    ctx.out.error("ERR DISCARD without MULTI");
    return;
  }
  ctx.engine.forget_watch(ctx.client);
  ctx.out.ok();
}

// A watched key that expired since WATCH counts as changed.
bool watched_key_expired(CommandContext& ctx, const TransactionState& tx) {
  for (const WatchedKey& w : tx.watched) {
    if (w.expired) continue;
    Database& db = ctx.engine.db(w.db);
    Entry* e = db.find_raw(w.key);
    if (e && db.is_expired(e, ctx.now_ms)) return true;
  }
  return false;
}

// Runs the queued commands through the dispatcher. They write through their
// own ReplyWriter on the same buffer, so their errors are counted once (by the
// dispatcher for each command) and not again as an error of EXEC.
void run_queue(CommandContext& ctx, std::vector<std::vector<std::string>> queue) {
  Client& c = ctx.client;
  protocol::ReplyWriter inner(ctx.out.buffer(), ctx.out.resp());
  ctx.out.array(static_cast<int64_t>(queue.size()));
  c.in_exec = true;
  std::vector<std::string_view> argv;
  for (const auto& cmd : queue) {
    argv.assign(cmd.begin(), cmd.end());
    inner.set_resp(c.resp);
    ctx.engine.execute(c, Args(argv.data(), argv.size()), inner);
  }
  c.in_exec = false;
  ctx.out.set_resp(c.resp);
}

void cmd_exec(CommandContext& ctx) {
  Client& c = ctx.client;
  if (!in_multi(c)) {
    ctx.out.error("ERR EXEC without MULTI");
    return;
  }
  TransactionState& tx = *c.tx;
  if (watched_key_expired(ctx, tx)) tx.dirty_cas = true;
  if (tx.dirty_exec) {
    ctx.out.error("EXECABORT Transaction discarded because of previous errors.");
    ctx.engine.forget_watch(c);
    return;
  }
  if (tx.dirty_cas) {
    ctx.out.null_array();
    ctx.engine.forget_watch(c);
    return;
  }
  auto queue = std::move(tx.queue);
  ctx.engine.forget_watch(c);  // unwatch before running: our own writes must not matter
  run_queue(ctx, std::move(queue));
}

void cmd_watch(CommandContext& ctx) {
  if (in_multi(ctx.client)) {
    ctx.out.error("ERR WATCH inside MULTI is not allowed");
    return;
  }
  TransactionState& tx = tx_state(ctx.client);
  if (!tx.dirty_cas) {  // once dirty, watching more changes nothing
    for (size_t i = 1; i < ctx.args.size(); ++i)
      ctx.engine.watch_key(ctx.client, ctx.client.db_index, ctx.args[i]);
  }
  ctx.out.ok();
}

void cmd_unwatch(CommandContext& ctx) {
  ctx.engine.unwatch_all(ctx.client);
  if (ctx.client.tx) ctx.client.tx->dirty_cas = false;
  ctx.out.ok();
}

}  // namespace

void register_transaction_commands(CommandTable& t) {
  Family f(t, "transactions");
  f.add("multi", 1, kNoQueue | kNoscript | kLoading | kStale | kFast | kAllowBusy, kNoKeys,
        cmd_multi);
  f.add("discard", 1, kNoQueue | kEndsMulti | kNoscript | kLoading | kStale | kFast | kAllowBusy,
        kNoKeys, cmd_discard);
  f.add("exec", 1,
        kNoQueue | kEndsMulti | kRunsQueue | kNoscript | kLoading | kStale | kSkipSlowlog, kNoKeys,
        cmd_exec);
  f.add("watch", -2, kNoQueue | kNoscript | kLoading | kStale | kFast | kAllowBusy, kAllKeys,
        cmd_watch);
  f.add("unwatch", 1, kNoscript | kLoading | kStale | kFast | kAllowBusy, kNoKeys, cmd_unwatch);
}

}  // namespace kvd::commands
