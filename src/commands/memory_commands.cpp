// MEMORY USAGE / STATS / DOCTOR / PURGE / MALLOC-STATS / HELP.
#include "command_helpers.hpp"
#include "declare.hpp"
#include "families.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/engine/key_size.hpp"
#include "kvd/engine/memory.hpp"

namespace kvd::commands {
namespace {

void cmd_memory_usage(CommandContext& ctx) {
  // SAMPLES is accepted for compatibility: kvd's sizes are computed, not sampled.
  for (size_t i = 3; i < ctx.args.size(); i += 2) {
    if (!iequals(ctx.args[i], "samples") || i + 1 >= ctx.args.size()) {
      ctx.out.error(err::kSyntax);
      return;
    }
    int64_t n;
    if (!arg_int64(ctx, ctx.args[i + 1], &n)) return;
    if (n < 0) {
      ctx.out.error(err::kSyntax);
      return;
    }
  }
  Entry* e = ctx.db.find(ctx.args[2], ctx.now_ms);
  if (!e) {
    ctx.out.null();
    return;
  }
  ctx.out.integer(static_cast<int64_t>(key_memory_usage(e)));
}

void cmd_memory_stats(CommandContext& ctx) {
  size_t used = allocator_used_memory();
  size_t rss = resident_memory();
  int64_t keys = 0;
  for (int i = 0; i < ctx.engine.db_count(); ++i) keys += ctx.engine.db(i).size();
  ctx.out.map(7);
  ctx.out.bulk("peak.allocated");
  ctx.out.integer(static_cast<int64_t>(std::max<uint64_t>(ctx.engine.stats().peak_memory, used)));
  ctx.out.bulk("total.allocated");
  ctx.out.integer(static_cast<int64_t>(used));
  ctx.out.bulk("keys.count");
  ctx.out.integer(keys);
  ctx.out.bulk("keys.bytes-per-key");
  ctx.out.integer(keys ? static_cast<int64_t>(used / keys) : 0);
  ctx.out.bulk("dataset.bytes");
  ctx.out.integer(static_cast<int64_t>(used));
  ctx.out.bulk("allocator.resident");
  ctx.out.integer(static_cast<int64_t>(rss));
  ctx.out.bulk("allocator");
  ctx.out.bulk(allocator_name());
}

void cmd_memory_doctor(CommandContext& ctx) {
  ctx.out.verbatim("kvd memory doctor: no problems detected.");
}

void cmd_memory_purge(CommandContext& ctx) {
  ctx.out.ok();
}

void cmd_memory_malloc_stats(CommandContext& ctx) {
  ctx.out.verbatim(std::string("allocator: ") + allocator_name() + ", used " +
                   int_to_string(static_cast<int64_t>(allocator_used_memory())) + " bytes");
}

void cmd_memory_help(CommandContext& ctx) {
  static const char* kLines[] = {
      "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DOCTOR",
      "    Report on memory problems.",
      "MALLOC-STATS",
      "    Report allocator statistics.",
      "PURGE",
      "    Ask the allocator to release memory (a no-op in kvd).",
      "STATS",
      "    Show memory usage details.",
      "USAGE <key> [SAMPLES <count>]",
      "    Estimate the bytes a key and its value use.",
      "HELP",
      "    Prints this help.",
  };
  ctx.out.array(static_cast<int64_t>(std::size(kLines)));
  for (const char* l : kLines) ctx.out.simple(l);
}

}  // namespace

void register_memory_commands(CommandTable& t) {
  Family f(t, "server");
  f.add("memory", -2, 0, kNoKeys, nullptr,
        {.subcommands = {cmd("usage", -3, kReadonly, {2, 2, 1}, cmd_memory_usage),
                         cmd("stats", 2, 0, kNoKeys, cmd_memory_stats),
                         cmd("doctor", 2, 0, kNoKeys, cmd_memory_doctor),
                         cmd("purge", 2, 0, kNoKeys, cmd_memory_purge),
                         cmd("malloc-stats", 2, 0, kNoKeys, cmd_memory_malloc_stats),
                         cmd("help", 2, kLoading | kStale, kNoKeys, cmd_memory_help)}});
}

}  // namespace kvd::commands
