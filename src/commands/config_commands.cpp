#include <set>

#include "admin_helpers.hpp"
#include "command_helpers.hpp"
#include "declare.hpp"
#include "families.hpp"
#include "kvd/common/strings.hpp"

namespace kvd::commands {
namespace {

bool has_glob(std::string_view s) {
  return s.find_first_of("*?[") != std::string_view::npos;
}

// CONFIG GET pattern [pattern ...]: one map of every matching parameter. As in
// Redis 7.0 an alias is a name of its own (a glob lists both names), and each
// name is reported once; an exact name is echoed back as the client spelled it.
void cmd_config_get(CommandContext& ctx) {
  Config& cfg = ctx.engine.config();
  std::vector<std::pair<std::string, std::string>> found;
  std::set<std::string> seen;  // names already in the reply, lower case
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    std::string_view pattern = ctx.args[i];
    if (!has_glob(pattern)) {
      if (!cfg.exists(pattern) || !seen.insert(to_lower(pattern)).second) continue;
      found.emplace_back(std::string(pattern), *cfg.get(pattern));
      continue;
    }
    for (auto& [name, value] : cfg.get_matching(pattern)) {
      if (seen.insert(name).second) found.emplace_back(name, value);
    }
  }
  ctx.out.map(static_cast<int64_t>(found.size()));
  for (const auto& [name, value] : found) {
    ctx.out.bulk(name);
    ctx.out.bulk(value);
  }
}

// CONFIG SET name value [name value ...]: all names are checked before any value
// is applied, and a value that fails to apply rolls the others back.
void cmd_config_set(CommandContext& ctx) {
  const auto& a = ctx.args;
  if (a.size() % 2 != 0) {
    ctx.out.error(err::kSyntax);
    return;
  }
  Config& cfg = ctx.engine.config();
  std::vector<std::pair<std::string, std::string>> pairs;
  std::set<std::string> names;
  for (size_t i = 2; i < a.size(); i += 2) {
    std::string name(a[i]);
    std::string canon = cfg.canonical_name(name);
    if (canon.empty()) {
      ctx.out.error("ERR Unknown option or number of arguments for CONFIG SET - '" + name + "'");
      return;
    }
    std::string why;
    if (!cfg.is_mutable(name))
      why = "can't set immutable config";
    else if (cfg.is_protected(name) && !protected_action_allowed(cfg.v().enable_protected_configs,
                                                                 is_local_client(ctx.client)))
      why = "can't set protected config";
    else if (!names.insert(canon).second)
      why = "duplicate parameter";
    if (!why.empty()) {
      ctx.out.error("ERR CONFIG SET failed (possibly related to argument '" + name + "') - " + why);
      return;
    }
    pairs.emplace_back(std::move(name), std::string(a[i + 1]));
  }
  // appendonly, dir and repl-diskless-load would pull the ground from under
  // a load in progress: LOADING, ahead of the other errors as in Redis.
  if (ctx.engine.loading_dataset() || ctx.engine.async_loading()) {
    for (const auto& [name, value] : pairs) {
      const std::string canon = cfg.canonical_name(name);
      if (canon == "appendonly" || canon == "dir" || canon == "repl-diskless-load") {
        ctx.out.error("LOADING Redis is loading the dataset in memory");
        return;
      }
    }
  }
  std::string failed;
  std::string why = cfg.set_all(pairs, &failed);
  if (!why.empty()) {
    ctx.out.error("ERR CONFIG SET failed (possibly related to argument '" + failed + "') - " + why);
    return;
  }
  ctx.out.ok();
}

void cmd_config_resetstat(CommandContext& ctx) {
  ctx.engine.reset_stats();
  ctx.out.ok();
}

void cmd_config_rewrite(CommandContext& ctx) {
  std::string e = ctx.engine.config().rewrite();
  if (!e.empty()) {
    ctx.out.error("ERR " + e);
    return;
  }
  ctx.out.ok();
}

void cmd_config_help(CommandContext& ctx) {
  reply_help(ctx, "config",
             {"GET <pattern> [<pattern> ...]",
              "    Every parameter whose name matches a glob pattern, with its value.",
              "SET <name> <value> [<name> <value> ...]",
              "    Change parameters at runtime; either all of them change or none does.",
              "RESETSTAT", "    Zero the counters INFO reports.", "REWRITE",
              "    Write the running configuration back into the config file."});
}

// MONITOR shows the value of a password-like parameter as "(redacted)".
bool config_set_secret(Args args, size_t i) {
  if (i < 3 || (i - 3) % 2 != 0) return false;
  static constexpr std::string_view kSecret[] = {"requirepass", "masterauth", "masteruser",
                                                 "tls-key-file-pass", "tls-client-key-file-pass"};
  for (std::string_view name : kSecret) {
    if (iequals(args[i - 1], name)) return true;
  }
  return false;
}

}  // namespace

void register_config_commands(CommandTable& t) {
  Family f(t, "server");
  f.add("config", -2, 0, kNoKeys, nullptr,
        {.subcommands = {
             cmd("help", 2, kLoading | kStale, kNoKeys, cmd_config_help),
             cmd("get", -3, kAdmin | kNoscript | kLoading | kStale, kNoKeys, cmd_config_get),
             cmd("set", -4, kAdmin | kNoscript | kLoading | kStale, kNoKeys, cmd_config_set,
                 {.secret = config_set_secret}),
             cmd("resetstat", 2, kAdmin | kNoscript | kLoading | kStale, kNoKeys,
                 cmd_config_resetstat),
             cmd("rewrite", 2, kAdmin | kNoscript | kLoading | kStale, kNoKeys,
                 cmd_config_rewrite)}});
}

}  // namespace kvd::commands
