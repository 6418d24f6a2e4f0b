// The dispatcher's transaction steps: queueing inside MULTI, and the
// maxmemory gate that also guards a transaction's queue. The commands
// (MULTI, EXEC ...) are in src/commands/transaction_commands.cpp.
#include "kvd/engine/transaction.hpp"

#include "kvd/engine/engine.hpp"
#include "kvd/engine/memory.hpp"

namespace kvd::engine {

bool Engine::reject_oom(Client& c, const CommandSpec& spec, uint32_t flags,
                        protocol::ReplyWriter& out) {
  if (config_.v().maxmemory <= 0 || c.in_exec) return false;
  // Every command evicts first, as in Redis, so memory goes back under the
  // limit even while clients only read. Not while a slow script runs: it may
  // be reading the keys.
  if (script_timed_out() || evictor_.perform() != Evictor::Result::kFail) return false;
  const bool multi = in_multi(c);
  const bool is_exec = (spec.flags & kRunsQueue) && multi;
  // Queueing in MULTI could grow memory without bound: every command but
  // those that end it (EXEC, DISCARD, QUIT, RESET) is refused then, as in Redis.
  const bool queued = multi && !(spec.flags & kEndsMulti);
  if (!(flags & kDenyOom) && !(is_exec && c.tx->has_denyoom) && !queued) return false;
  static constexpr const char* kOom = "OOM command not allowed when used memory > 'maxmemory'.";
  if (is_exec) {
    reject(c, out, &spec, std::string("EXECABORT Transaction discarded because of: ") + kOom);
    forget_watch(c);
  } else {
    reject(c, out, &spec, kOom);
  }
  return true;
}

bool Engine::queue_in_multi(Client& c, const CommandSpec& spec, uint32_t flags, Args args,
                            protocol::ReplyWriter& out) {
  if (!in_multi(c)) return false;
  // MULTI, EXEC, DISCARD, WATCH, QUIT and RESET act at once.
  const CommandSpec& top = spec.parent ? *spec.parent : spec;
  if (top.flags & kNoQueue) return false;
  if (spec.flags & kNoMulti) {
    reject(c, out, &spec, "ERR Command not allowed inside a transaction");
    return true;
  }
  c.tx->queue.emplace_back(args.begin(), args.end());
  if (flags & kDenyOom) c.tx->has_denyoom = true;
  if (flags & (kWrite | kMayReplicate)) c.tx->has_write = true;
  out.simple("QUEUED");
  return true;
}

}  // namespace kvd::engine
