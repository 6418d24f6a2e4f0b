// FUNCTION and FCALL / FCALL_RO: Redis 7 function libraries. The libraries
// and their interpreter are the engine's (engine/functions.hpp); the DUMP
// payload is persist's.
#include "admin_helpers.hpp"
#include "command_helpers.hpp"
#include "declare.hpp"
#include "families.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/engine/engine.hpp"
#include "kvd/engine/functions.hpp"
#include "kvd/persist/dump_payload.hpp"

namespace kvd::commands {
namespace {

// The one engine functions are written in, as FUNCTION LIST and STATS name it.
constexpr const char* kEngineName = "LUA";

const FunctionInfo* find_function(Engine& e, std::string_view name) {
  const FunctionStore* fs = e.functions_if_created();
  return fs ? fs->find(name) : nullptr;
}

void fcall_generic(CommandContext& ctx, bool read_only) {
  // Monitors see FCALL before the commands it runs, as Redis shows it.
  if (ctx.engine.has_monitors()) ctx.engine.feed_monitors(ctx.client, ctx.args);
  const FunctionInfo* fn = find_function(ctx.engine, ctx.args[1]);
  if (!fn) {
    ctx.out.error("ERR Function not found");
    return;
  }
  int64_t numkeys = 0;
  if (!parse_int64(ctx.args[2], &numkeys)) {
    ctx.out.error("ERR Bad number of keys provided");
    return;
  }
  const int64_t rest = static_cast<int64_t>(ctx.args.size()) - 3;
  if (numkeys > rest) {
    ctx.out.error("ERR Number of keys can't be greater than number of args");
    return;
  }
  if (numkeys < 0) {
    ctx.out.error("ERR Number of keys can't be negative");
    return;
  }
  Args keys = ctx.args.subspan(3, static_cast<size_t>(numkeys));
  Args argv = ctx.args.subspan(3 + static_cast<size_t>(numkeys));
  ctx.engine.functions().runtime().call(ctx.client, *fn, keys, argv, read_only, ctx.args, ctx.out);
}

void cmd_fcall(CommandContext& ctx) {
  fcall_generic(ctx, false);
}

void cmd_fcall_ro(CommandContext& ctx) {
  fcall_generic(ctx, true);
}

void cmd_function_load(CommandContext& ctx) {
  const Args& a = ctx.args;
  bool replace = false;
  size_t i = 2;
  for (; i + 1 < a.size(); ++i) {
    if (!iequals(a[i], "replace")) {
      ctx.out.error("ERR Unknown option given: " + std::string(a[i]));
      return;
    }
    replace = true;
  }
  std::string err;
  std::string name =
      ctx.engine.functions().load(a[i], replace, FunctionStore::kLoadTimeoutMs, &err);
  if (name.empty()) {
    ctx.out.error("ERR " + err);
    return;
  }
  ctx.out.bulk(name);
}

void cmd_function_delete(CommandContext& ctx) {
  FunctionStore* fs = ctx.engine.functions_if_created() ? &ctx.engine.functions() : nullptr;
  if (!fs || !fs->remove(ctx.args[2])) {
    ctx.out.error("ERR Library not found");
    return;
  }
  ctx.out.ok();
}

void cmd_function_flush(CommandContext& ctx) {
  const Args& a = ctx.args;
  if (a.size() > 3) {
    reply_subcommand_syntax_error(ctx);
    return;
  }
  if (a.size() == 3 && !iequals(a[2], "sync") && !iequals(a[2], "async")) {
    ctx.out.error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
    return;
  }
  // ASYNC frees in place as well: closing the interpreter is quick next to
  // the big values lazy freeing is for.
  if (ctx.engine.functions_if_created()) ctx.engine.functions().flush();
  ctx.out.ok();
}

void reply_function(CommandContext& ctx, const FunctionInfo& fn) {
  auto& o = ctx.out;
  o.map(3);
  o.bulk("name");
  o.bulk(fn.name);
  o.bulk("description");
  if (fn.has_description) {
    o.bulk(fn.description);
  } else {
    o.null();
  }
  o.bulk("flags");
  std::vector<std::string_view> flags = script_flag_names(fn.flags);
  o.set(static_cast<int64_t>(flags.size()));
  for (std::string_view f : flags) o.simple(f);
}

void cmd_function_list(CommandContext& ctx) {
  const Args& a = ctx.args;
  bool with_code = false;
  bool has_pattern = false;
  std::string_view pattern;
  for (size_t i = 2; i < a.size(); ++i) {
    if (!with_code && iequals(a[i], "withcode")) {
      with_code = true;
      continue;
    }
    if (!has_pattern && iequals(a[i], "libraryname")) {
      if (i + 1 >= a.size()) {
        ctx.out.error("ERR library name argument was not given");
        return;
      }
      pattern = a[++i];
      has_pattern = true;
      continue;
    }
    ctx.out.error("ERR Unknown argument " + std::string(a[i]));
    return;
  }
  std::vector<const FunctionLibrary*> libs;
  if (const FunctionStore* fs = ctx.engine.functions_if_created()) {
    for (const auto& [name, lib] : fs->libraries())
      if (!has_pattern || glob_match(pattern, name, /*nocase=*/true)) libs.push_back(lib.get());
  }
  auto& o = ctx.out;
  o.array(static_cast<int64_t>(libs.size()));
  for (const FunctionLibrary* lib : libs) {
    o.map(with_code ? 4 : 3);
    o.bulk("library_name");
    o.bulk(lib->name);
    o.bulk("engine");
    o.bulk(kEngineName);
    o.bulk("functions");
    o.array(static_cast<int64_t>(lib->functions.size()));
    for (const auto& [name, fn] : lib->functions) reply_function(ctx, fn);
    if (with_code) {
      o.bulk("library_code");
      o.bulk(lib->code);
    }
  }
}

void cmd_function_dump(CommandContext& ctx) {
  std::vector<std::string_view> codes;
  if (const FunctionStore* fs = ctx.engine.functions_if_created()) {
    for (const auto& [name, lib] : fs->libraries()) codes.push_back(lib->code);
  }
  ctx.out.bulk(persist::make_functions_payload(codes, ctx.engine.config().v().rdbcompression));
}

void cmd_function_restore(CommandContext& ctx) {
  const Args& a = ctx.args;
  if (a.size() > 4) {
    reply_subcommand_syntax_error(ctx);
    return;
  }
  FunctionStore::RestorePolicy policy = FunctionStore::RestorePolicy::kAppend;
  if (a.size() == 4) {
    if (iequals(a[3], "append")) {
      policy = FunctionStore::RestorePolicy::kAppend;
    } else if (iequals(a[3], "replace")) {
      policy = FunctionStore::RestorePolicy::kReplace;
    } else if (iequals(a[3], "flush")) {
      policy = FunctionStore::RestorePolicy::kFlush;
    } else {
      ctx.out.error(
          "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
      return;
    }
  }
  std::vector<std::string> codes;
  std::string err;
  if (!persist::read_functions_payload(a[2], &codes, &err) ||
      !ctx.engine.functions().restore(codes, policy, &err)) {
    ctx.out.error("ERR " + err);
    return;
  }
  ctx.out.ok();
}

void cmd_function_stats(CommandContext& ctx) {
  ScriptRuntime* running = ctx.engine.running_script();
  if (running && running->kind() == ScriptKind::kEval) {
    ctx.out.error(busy_error(ScriptKind::kEval));
    return;
  }
  auto& o = ctx.out;
  o.map(2);
  o.bulk("running_script");
  if (!running || !running->current_run()) {
    o.null();
  } else {
    const ScriptRuntime::Run& run = *running->current_run();
    o.map(3);
    o.bulk("name");
    o.bulk(run.name);
    o.bulk("command");
    o.array(static_cast<int64_t>(run.command.size()));
    for (const std::string& arg : run.command) o.bulk(arg);
    o.bulk("duration_ms");
    o.integer((ctx.engine.clock().monotonic_us() - run.start_us) / 1000);
  }
  const FunctionStore* fs = ctx.engine.functions_if_created();
  o.bulk("engines");
  o.map(1);
  o.bulk(kEngineName);
  o.map(2);
  o.bulk("libraries_count");
  o.integer(static_cast<int64_t>(fs ? fs->library_count() : 0));
  o.bulk("functions_count");
  o.integer(static_cast<int64_t>(fs ? fs->function_count() : 0));
}

void cmd_function_kill(CommandContext& ctx) {
  // Reached while a slow script lets the server serve others (allow-busy).
  ScriptRuntime* running = ctx.engine.running_script();
  std::string err = running ? running->kill(ScriptKind::kFunction)
                            : std::string("NOTBUSY No scripts in execution right now.");
  if (!err.empty()) {
    ctx.out.error(err);
    return;
  }
  ctx.out.ok();
}

void cmd_function_help(CommandContext& ctx) {
  reply_help(
      ctx, "function",
      {"LOAD [REPLACE] <FUNCTION CODE>",
       "    Create a new library with the given library name and code.",
       "DELETE <LIBRARY NAME>",
       "    Delete the given library.",
       "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
       "    Return general information on all the libraries:",
       "    * Library name",
       "    * The engine used to run the Library",
       "    * Library description",
       "    * Functions list",
       "    * Library code (if WITHCODE is given)",
       "    It also possible to get only function that matches a pattern using LIBRARYNAME "
       "argument.",
       "STATS",
       "    Return information about the current function running:",
       "    * Function name",
       "    * Command used to run the function",
       "    * Duration in MS that the function is running",
       "    If no function is running, return nil",
       "    In addition, returns a list of available engines.",
       "KILL",
       "    Kill the current running function.",
       "FLUSH [ASYNC|SYNC]",
       "    Delete all the libraries.",
       "    When called without the optional mode argument, the behavior is determined by the",
       "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
       "    * ASYNC: Asynchronously flush the libraries.",
       "    * SYNC: Synchronously flush the libraries.",
       "DUMP",
       "    Return a serialized payload representing the current libraries, can be restored "
       "using FUNCTION RESTORE command",
       "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
       "    Restore the libraries represented by the given payload, it is possible to give a "
       "restore policy to",
       "    control how to handle existing libraries (default APPEND):",
       "    * FLUSH: delete all existing libraries.",
       "    * APPEND: appends the restored libraries to the existing libraries. On collision, "
       "abort.",
       "    * REPLACE: appends the restored libraries to the existing libraries, On collision, "
       "replace the old",
       "      libraries with the new libraries (notice that even on this option there is a "
       "chance of failure",
       "      in case of functions name collision with another library)."});
}

// Key positions: numkeys (args[2]) keys from args[3].
std::vector<int> fcall_keys(Args args) {
  return keys_numkeys_at(args, 2, false);
}

// FCALL takes its function's flags: one that may write is deny-oom.
uint32_t fcall_flags(Engine& e, Args args, uint32_t declared) {
  const FunctionInfo* fn = args.size() > 1 ? find_function(e, args[1]) : nullptr;
  return fn ? script_command_flags(declared, fn->flags) : declared;
}

}  // namespace

void register_function_commands(CommandTable& t) {
  Family f(t, "scripting");
  constexpr uint32_t kFcall = kNoscript | kStale | kSkipMonitor | kNoMandatoryKeys | kMovableKeys;
  f.add("fcall", -3, kFcall, kNoKeys, cmd_fcall,
        {.find_keys = fcall_keys, .find_flags = fcall_flags});
  f.add("fcall_ro", -3, kReadonly | kFcall, kNoKeys, cmd_fcall_ro,
        {.find_keys = fcall_keys, .find_flags = fcall_flags});
  f.add("function", -2, 0, kNoKeys, nullptr,
        {.subcommands = {
             cmd("delete", 3, kWrite | kNoscript, kNoKeys, cmd_function_delete),
             cmd("dump", 2, kNoscript, kNoKeys, cmd_function_dump),
             cmd("flush", -2, kWrite | kNoscript, kNoKeys, cmd_function_flush),
             cmd("help", 2, kLoading | kStale, kNoKeys, cmd_function_help),
             cmd("kill", 2, kNoscript | kAllowBusy, kNoKeys, cmd_function_kill),
             cmd("list", -2, kNoscript, kNoKeys, cmd_function_list),
             cmd("load", -3, kWrite | kDenyOom | kNoscript, kNoKeys, cmd_function_load),
             cmd("restore", -3, kWrite | kDenyOom | kNoscript, kNoKeys, cmd_function_restore),
             cmd("stats", 2, kNoscript | kAllowBusy, kNoKeys, cmd_function_stats)}});
}

}  // namespace kvd::commands
