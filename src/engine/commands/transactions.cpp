// MULTI / EXEC / DISCARD / WATCH / UNWATCH.
#include "kvd/engine/command_helpers.hpp"
#include "kvd/engine/memory.hpp"
#include "kvd/engine/transaction.hpp"

namespace kvd::engine {
namespace {

// Commands that act on the transaction itself (or the connection) run at once.
bool runs_inside_multi(const CommandSpec& spec) {
  const std::string& name = spec.parent ? spec.parent->name : spec.name;
  return name == "exec" || name == "discard" || name == "multi" || name == "watch" ||
         name == "quit" || name == "reset";
}

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

CommandSpec tx_cmd(std::string name, int arity, uint32_t flags, Handler h, std::string summary,
                   std::string since) {
  return CommandSpec{.name = std::move(name),
                     .arity = arity,
                     .flags = flags,
                     .acl = "@fast @transaction",
                     .handler = h,
                     .group = "transactions",
                     .summary = std::move(summary),
                     .since = std::move(since),
                     .complexity = "O(1)"};
}

}  // namespace

bool Engine::reject_oom(Client& c, const CommandSpec& spec, protocol::ReplyWriter& out) {
  if (config_.v().maxmemory <= 0 || c.in_exec) return false;
  // Every command evicts first, as in Redis, so memory goes back under the
  // limit even while clients only read. Not while a slow script runs: it may
  // be reading the keys.
  if (script_timed_out() || evictor_.perform() != Evictor::Result::kFail) return false;
  const bool multi = in_multi(c);
  bool is_exec = spec.name == "exec" && multi;
  // Queueing in MULTI could grow memory without bound: every command but
  // EXEC, DISCARD, QUIT and RESET is refused then, as in Redis.
  const bool queued =
      multi && !is_exec && spec.name != "discard" && spec.name != "quit" && spec.name != "reset";
  if (!(spec.flags & kDenyOom) && !(is_exec && c.tx->has_denyoom) && !queued) return false;
  static constexpr const char* kOom = "OOM command not allowed when used memory > 'maxmemory'.";
  if (is_exec) {
    reject(c, out, &spec, std::string("EXECABORT Transaction discarded because of: ") + kOom);
    forget_watch(c);
  } else {
    reject(c, out, &spec, kOom);
  }
  return true;
}

bool Engine::queue_in_multi(Client& c, const CommandSpec& spec, Args args,
                            protocol::ReplyWriter& out) {
  if (!in_multi(c) || runs_inside_multi(spec)) return false;
  if (spec.flags & kNoMulti) {
    reject(c, out, &spec, "ERR Command not allowed inside a transaction");
    return true;
  }
  c.tx->queue.emplace_back(args.begin(), args.end());
  if (spec.flags & kDenyOom) c.tx->has_denyoom = true;
  out.simple("QUEUED");
  return true;
}

void register_transaction_commands(CommandTable& t) {
  constexpr uint32_t kTxFlags = kNoscript | kLoading | kStale | kFast | kAllowBusy;
  t.add(tx_cmd("multi", 1, kTxFlags, cmd_multi, "Start a transaction", "1.2.0"));
  t.add(tx_cmd("discard", 1, kTxFlags, cmd_discard, "Discard all commands issued after MULTI",
               "2.0.0"));
  auto exec = tx_cmd("exec", 1, kNoscript | kLoading | kStale | kSkipSlowlog, cmd_exec,
                     "Execute all commands issued after MULTI", "1.2.0");
  exec.acl = "@slow @transaction";
  exec.complexity = "Depends on commands in the transaction";
  t.add(std::move(exec));
  auto watch = tx_cmd("watch", -2, kTxFlags, cmd_watch,
                      "Monitor changes to keys to conditionally execute a transaction", "2.2.0");
  watch.first_key = 1;
  watch.last_key = -1;
  watch.key_step = 1;
  watch.complexity = "O(1) for every key.";
  t.add(std::move(watch));
  t.add(tx_cmd("unwatch", 1, kTxFlags, cmd_unwatch, "Forget about all watched keys", "2.2.0"));
}

}  // namespace kvd::engine
