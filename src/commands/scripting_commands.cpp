// EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT: Lua scripts (Redis 7 semantics).
#include <algorithm>
#include <cctype>

#include "admin_helpers.hpp"
#include "command_helpers.hpp"
#include "declare.hpp"
#include "families.hpp"
#include "kvd/common/sha1.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/engine/engine.hpp"
#include "kvd/engine/scripting.hpp"

namespace kvd::commands {
namespace {

constexpr const char* kNoScript = "NOSCRIPT No matching script. Please use EVAL.";

// Splits EVAL's arguments into KEYS and ARGV; false after replying an error.
bool split_keys(CommandContext& ctx, Args* keys, Args* argv) {
  int64_t numkeys = 0;
  if (!parse_int64(ctx.args[2], &numkeys)) {
    ctx.out.error("ERR value is not an integer or out of range");
    return false;
  }
  const int64_t rest = static_cast<int64_t>(ctx.args.size()) - 3;
  if (numkeys > rest) {
    ctx.out.error("ERR Number of keys can't be greater than number of args");
    return false;
  }
  if (numkeys < 0) {
    ctx.out.error("ERR Number of keys can't be negative");
    return false;
  }
  *keys = ctx.args.subspan(3, static_cast<size_t>(numkeys));
  *argv = ctx.args.subspan(3 + static_cast<size_t>(numkeys));
  return true;
}

void eval_generic(CommandContext& ctx, bool by_sha, bool read_only) {
  // EVAL skips the monitor's after-command feed: monitors see it before the
  // commands it runs, as Redis shows it.
  if (ctx.engine.has_monitors()) ctx.engine.feed_monitors(ctx.client, ctx.args);
  Args keys, argv;
  if (!split_keys(ctx, &keys, &argv)) return;
  ScriptRuntime& rt = ctx.engine.scripts();
  std::string sha;
  if (by_sha) {
    sha = to_lower(ctx.args[1]);
    if (sha.size() != 40 || !rt.exists(sha)) {
      ctx.out.error(kNoScript);
      return;
    }
  } else {
    std::string err;
    sha = rt.load(ctx.args[1], &err);
    if (sha.empty()) {
      ctx.out.error(err);
      return;
    }
  }
  rt.run(ctx.client, sha, keys, argv, read_only, ctx.out);
}

void cmd_eval(CommandContext& ctx) {
  eval_generic(ctx, false, false);
}
void cmd_evalsha(CommandContext& ctx) {
  eval_generic(ctx, true, false);
}
void cmd_eval_ro(CommandContext& ctx) {
  eval_generic(ctx, false, true);
}
void cmd_evalsha_ro(CommandContext& ctx) {
  eval_generic(ctx, true, true);
}

void cmd_script_load(CommandContext& ctx) {
  std::string err;
  std::string sha = ctx.engine.scripts().load(ctx.args[2], &err);
  if (sha.empty()) {
    ctx.out.error(err);
    return;
  }
  ctx.out.bulk(sha);
}

void cmd_script_exists(CommandContext& ctx) {
  const ScriptRuntime* rt = ctx.engine.scripts_if_created();
  ctx.out.array(static_cast<int64_t>(ctx.args.size() - 2));
  for (size_t i = 2; i < ctx.args.size(); ++i)
    ctx.out.integer(rt && rt->exists(to_lower(ctx.args[i])) ? 1 : 0);
}

void cmd_script_flush(CommandContext& ctx) {
  if (ctx.args.size() > 3 ||
      (ctx.args.size() == 3 && !iequals(ctx.args[2], "sync") && !iequals(ctx.args[2], "async"))) {
    ctx.out.error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
    return;
  }
  // ASYNC frees in place as well: closing the interpreter is quick next to
  // the big values lazy freeing is for.
  ctx.engine.scripts().flush();
  ctx.out.ok();
}

void cmd_script_kill(CommandContext& ctx) {
  // Reached while a slow script lets the server serve others (allow-busy).
  ScriptRuntime* running = ctx.engine.running_script();
  std::string err = running ? running->kill(ScriptKind::kEval)
                            : std::string("NOTBUSY No scripts in execution right now.");
  if (!err.empty()) {
    ctx.out.error(err);
    return;
  }
  ctx.out.ok();
}

void cmd_script_debug(CommandContext& ctx) {
  if (iequals(ctx.args[2], "no")) {
    ctx.out.ok();
  } else if (iequals(ctx.args[2], "yes") || iequals(ctx.args[2], "sync")) {
    ctx.out.error("ERR kvd has no Lua debugger");
  } else {
    ctx.out.error("ERR Use SCRIPT DEBUG YES/SYNC/NO");
  }
}

void cmd_script_help(CommandContext& ctx) {
  reply_help(ctx, "script",
             {"DEBUG (YES|SYNC|NO)", "    Set the debug mode for subsequent scripts executed.",
              "EXISTS <sha1> [<sha1> ...]",
              "    Return information about the existence of the scripts in the script cache.",
              "FLUSH [ASYNC|SYNC]", "    Flush the Lua scripts cache. Very dangerous on replicas.",
              "    When called without the optional mode argument, the behavior is determined by "
              "the",
              "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
              "    * ASYNC: Asynchronously flush the scripts cache.",
              "    * SYNC: Synchronously flush the scripts cache.", "KILL",
              "    Kill the currently executing Lua script.", "LOAD <script>",
              "    Load a script into the scripts cache without executing it."});
}

// Key positions: numkeys (args[2]) keys from args[3].
std::vector<int> eval_keys(Args args) {
  return keys_numkeys_at(args, 2, false);
}

// A script with a shebang line lends EVAL its flags (one that may write is
// deny-oom); without one, EVAL keeps its own.
uint32_t eval_flags(Engine& e, Args args, uint32_t declared) {
  if (args.size() < 2) return declared;
  const bool by_sha = iequals(args[0], "evalsha") || iequals(args[0], "evalsha_ro");
  uint32_t flags = 0;
  const ScriptRuntime* rt = e.scripts_if_created();
  if (by_sha) {
    if (args[1].size() != 40 || !rt || !rt->flags_of(to_lower(args[1]), &flags)) return declared;
  } else {
    // The body's own line says what a cached copy of it would.
    size_t len = 0;
    std::string err;
    if (!parse_script_shebang(args[1], &flags, &len, &err)) return declared;
  }
  return flags & kScriptCompat ? declared : script_command_flags(declared, flags);
}

}  // namespace

void register_scripting_commands(CommandTable& t) {
  Family f(t, "scripting");
  constexpr uint32_t kEval =
      kNoscript | kStale | kSkipMonitor | kMayReplicate | kNoMandatoryKeys | kMovableKeys;
  f.add("eval", -3, kEval, kNoKeys, cmd_eval, {.find_keys = eval_keys, .find_flags = eval_flags});
  f.add("evalsha", -3, kEval, kNoKeys, cmd_evalsha,
        {.find_keys = eval_keys, .find_flags = eval_flags});
  f.add("eval_ro", -3,
        kReadonly | kNoscript | kStale | kSkipMonitor | kNoMandatoryKeys | kMovableKeys, kNoKeys,
        cmd_eval_ro, {.find_keys = eval_keys, .find_flags = eval_flags});
  f.add("evalsha_ro", -3,
        kReadonly | kNoscript | kStale | kSkipMonitor | kNoMandatoryKeys | kMovableKeys, kNoKeys,
        cmd_evalsha_ro, {.find_keys = eval_keys, .find_flags = eval_flags});
  f.add("script", -2, 0, kNoKeys, nullptr,
        {.subcommands = {cmd("debug", 3, kNoscript, kNoKeys, cmd_script_debug),
                         cmd("exists", -3, kNoscript, kNoKeys, cmd_script_exists),
                         cmd("flush", -2, kNoscript, kNoKeys, cmd_script_flush),
                         cmd("help", 2, kLoading | kStale, kNoKeys, cmd_script_help),
                         cmd("kill", 2, kNoscript | kAllowBusy, kNoKeys, cmd_script_kill),
                         cmd("load", 3, kNoscript | kStale, kNoKeys, cmd_script_load)}});
}

}  // namespace kvd::commands
