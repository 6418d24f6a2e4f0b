// ACL: users, their rules, the ACL file and the ACL log (Redis 7.0's ACL
// command and its replies). The model and the check are the engine's
// (engine/acl.hpp); this file is the command surface.
#include <random>

#include "admin_helpers.hpp"
#include "command_helpers.hpp"
#include "declare.hpp"
#include "families.hpp"
#include "key_specs.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/engine/acl.hpp"
#include "kvd/engine/client_info.hpp"
#include "kvd/persist/files.hpp"

namespace kvd::commands {
namespace {

bool has_blank(std::string_view s) {
  for (char c : s)
    if (std::isspace(static_cast<unsigned char>(c)) || c == 0) return true;
  return false;
}

std::string aclfile(Engine& e) {
  return e.config().get("aclfile").value_or("");
}

void cmd_acl_setuser(CommandContext& ctx) {
  const std::string name(ctx.args[2]);
  if (has_blank(name)) {
    ctx.out.error("ERR Usernames can't contain spaces or null characters");
    return;
  }
  Acl& acl = ctx.engine.acl();
  std::vector<std::string> ops(ctx.args.begin() + 3, ctx.args.end());
  AclUser staged;
  std::string err = acl.stage(name, ops, staged);
  if (!err.empty()) {
    ctx.out.error(err);
    return;
  }
  // Subscribers whose channels the new rules refuse go first.
  if (AclUser* existing = acl.find(name))
    ctx.engine.drop_clients_of_lost_channels(*existing, staged);
  acl.put(std::move(staged));
  ctx.out.ok();
}

void cmd_acl_deluser(CommandContext& ctx) {
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    if (ctx.args[i] == "default") {
      ctx.out.error("ERR The 'default' user cannot be removed");
      return;
    }
  }
  Acl& acl = ctx.engine.acl();
  int64_t deleted = 0;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    AclUser* u = acl.find(ctx.args[i]);
    if (!u) continue;
    ctx.engine.drop_clients_of(*u, &ctx.client);
    acl.remove(ctx.args[i]);
    ++deleted;
  }
  ctx.out.integer(deleted);
}

// The "commands", "keys" and "channels" fields of a selector.
void reply_selector(CommandContext& ctx, const Acl& acl, const AclSelector& s) {
  ctx.out.bulk("commands");
  ctx.out.bulk(acl.describe_commands(s));
  ctx.out.bulk("keys");
  ctx.out.bulk(Acl::describe_keys(s));
  ctx.out.bulk("channels");
  ctx.out.bulk(Acl::describe_channels(s));
}

void cmd_acl_getuser(CommandContext& ctx) {
  const Acl& acl = ctx.engine.acl();
  const AclUser* u = acl.find(ctx.args[2]);
  if (!u) {
    ctx.out.null();
    return;
  }
  ctx.out.map(6);
  ctx.out.bulk("flags");
  std::vector<std::string_view> flags;
  flags.push_back(u->enabled ? "on" : "off");
  if (u->nopass) flags.push_back("nopass");
  if (u->sanitize == AclUser::Sanitize::kSkip) flags.push_back("skip-sanitize-payload");
  if (u->sanitize == AclUser::Sanitize::kSanitize) flags.push_back("sanitize-payload");
  ctx.out.set(static_cast<int64_t>(flags.size()));
  for (auto f : flags) ctx.out.bulk(f);
  ctx.out.bulk("passwords");
  ctx.out.array(static_cast<int64_t>(u->passwords.size()));
  for (const auto& p : u->passwords) ctx.out.bulk(p);
  reply_selector(ctx, acl, u->selectors[0]);
  ctx.out.bulk("selectors");
  ctx.out.array(static_cast<int64_t>(u->selectors.size() - 1));
  for (size_t i = 1; i < u->selectors.size(); ++i) {
    ctx.out.map(3);
    reply_selector(ctx, acl, u->selectors[i]);
  }
}

void cmd_acl_list(CommandContext& ctx) {
  const Acl& acl = ctx.engine.acl();
  ctx.out.array(static_cast<int64_t>(acl.users().size()));
  for (const auto& [name, u] : acl.users()) ctx.out.bulk("user " + name + " " + acl.describe(*u));
}

void cmd_acl_users(CommandContext& ctx) {
  const Acl& acl = ctx.engine.acl();
  ctx.out.array(static_cast<int64_t>(acl.users().size()));
  for (const auto& [name, u] : acl.users()) ctx.out.bulk(name);
}

void cmd_acl_whoami(CommandContext& ctx) {
  ctx.out.bulk(user_name(ctx.client));
}

constexpr const char* kNoAclFile =
    "ERR This Redis instance is not configured to use an ACL file. You may want to specify users "
    "via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis "
    "configuration file set) in order to store users in the Redis configuration.";

void cmd_acl_load(CommandContext& ctx) {
  if (aclfile(ctx.engine).empty()) {
    ctx.out.error(kNoAclFile);
    return;
  }
  std::string errors = ctx.engine.load_acl_file();
  if (errors.empty())
    ctx.out.ok();
  else
    ctx.out.error("ERR " + errors);
}

// Written to a temporary file, then renamed over the old one: a crash never
// leaves half a file.
void cmd_acl_save(CommandContext& ctx) {
  const std::string file = ctx.engine.acl_file_path();
  if (file.empty()) {
    ctx.out.error(kNoAclFile);
    return;
  }
  const size_t slash = file.rfind('/');
  const std::string error = persist::write_file_atomically(
      file.substr(0, slash), file.substr(slash + 1), ctx.engine.acl().to_file_text());
  if (!error.empty()) {
    if (ctx.engine.hooks()) ctx.engine.hooks()->log_warning("ACL SAVE: " + error);
    ctx.out.error(
        "ERR There was an error trying to save the ACLs. Please check the server logs for more "
        "information");
    return;
  }
  ctx.out.ok();
}

void cmd_acl_cat(CommandContext& ctx) {
  if (ctx.args.size() == 2) {
    const auto& names = all_acl_categories();
    ctx.out.array(static_cast<int64_t>(names.size()));
    for (auto n : names) ctx.out.bulk(n);
    return;
  }
  if (ctx.args.size() > 3) {
    reply_subcommand_syntax_error(ctx);
    return;
  }
  uint32_t category = Acl::category_by_name(ctx.args[2]);
  if (!category) {
    ctx.out.error("ERR Unknown category '" + std::string(ctx.args[2].substr(0, 128)) + "'");
    return;
  }
  auto specs = ctx.engine.acl().category_commands(category);
  ctx.out.array(static_cast<int64_t>(specs.size()));
  for (const CommandSpec* s : specs) ctx.out.bulk(s->fullname);
}

void cmd_acl_genpass(CommandContext& ctx) {
  int64_t bits = 256;
  if (ctx.args.size() > 3) {
    reply_subcommand_syntax_error(ctx);
    return;
  }
  if (ctx.args.size() == 3 && !parse_int64(ctx.args[2], &bits)) {
    ctx.out.error(err::kNotInteger);
    return;
  }
  if (bits <= 0 || bits > 4096) {
    ctx.out.error(
        "ERR ACL GENPASS argument must be the number of bits for the output password, a "
        "positive number up to 4096");
    return;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device rd;  // the kernel's random source: passwords must not be guessable
  std::string pass;
  const int64_t chars = (bits + 3) / 4;
  pass.reserve(static_cast<size_t>(chars));
  uint32_t pool = 0;
  int left = 0;
  for (int64_t i = 0; i < chars; ++i) {
    if (left == 0) {
      pool = rd();
      left = 8;
    }
    pass += kHex[pool & 15];
    pool >>= 4;
    --left;
  }
  ctx.out.bulk(pass);
}

const char* reason_name(AclDenied r) {
  switch (r) {
    case AclDenied::kCommand:
      return "command";
    case AclDenied::kKey:
      return "key";
    case AclDenied::kChannel:
      return "channel";
    case AclDenied::kAuth:
      return "auth";
    default:
      return "unknown";
  }
}

const char* context_name(AclLogEntry::Context c) {
  switch (c) {
    case AclLogEntry::Context::kToplevel:
      return "toplevel";
    case AclLogEntry::Context::kMulti:
      return "multi";
    case AclLogEntry::Context::kLua:
      return "lua";
  }
  return "unknown";
}

void cmd_acl_log(CommandContext& ctx) {
  auto& log = ctx.engine.acl().log();
  int64_t count = 10;
  if (ctx.args.size() > 3) {
    reply_subcommand_syntax_error(ctx);
    return;
  }
  if (ctx.args.size() == 3) {
    if (iequals(ctx.args[2], "reset")) {
      log.clear();
      ctx.out.ok();
      return;
    }
    if (!parse_int64(ctx.args[2], &count)) {
      ctx.out.error(err::kNotInteger);
      return;
    }
    if (count < 0) count = 0;
  }
  if (static_cast<size_t>(count) > log.size()) count = static_cast<int64_t>(log.size());
  ctx.out.array(count);
  const int64_t now = ctx.engine.clock().now_ms();
  for (int64_t i = 0; i < count; ++i) {
    const AclLogEntry& e = log[static_cast<size_t>(i)];
    ctx.out.map(7);
    ctx.out.bulk("count");
    ctx.out.integer(static_cast<int64_t>(e.count));
    ctx.out.bulk("reason");
    ctx.out.bulk(reason_name(e.reason));
    ctx.out.bulk("context");
    ctx.out.bulk(context_name(e.context));
    ctx.out.bulk("object");
    ctx.out.bulk(e.object);
    ctx.out.bulk("username");
    ctx.out.bulk(e.username);
    ctx.out.bulk("age-seconds");
    ctx.out.dbl(static_cast<double>(now - e.ctime_ms) / 1000);
    ctx.out.bulk("client-info");
    ctx.out.bulk(e.client_info);
  }
}

void cmd_acl_dryrun(CommandContext& ctx) {
  const Acl& acl = ctx.engine.acl();
  const AclUser* u = acl.find(ctx.args[2]);
  if (!u) {
    ctx.out.error("ERR User '" + std::string(ctx.args[2]) + "' not found");
    return;
  }
  Args cmdline = ctx.args.subspan(3);
  const CommandSpec* spec = ctx.engine.commands().find(cmdline[0]);
  if (spec && !spec->subcommands.empty() && cmdline.size() >= 2)
    spec = ctx.engine.commands().find_sub(*spec, cmdline[1]);
  if (!spec) {
    ctx.out.error("ERR Command '" + std::string(cmdline[0]) + "' not found");
    return;
  }
  if (!arity_ok(spec->arity, cmdline.size())) {
    ctx.out.error("ERR wrong number of arguments for '" + spec->fullname + "' command");
    return;
  }
  int pos = 0;
  AclDenied r = acl.check(*u, *spec, cmdline, &pos);
  if (r == AclDenied::kOk) {
    ctx.out.ok();
  } else if (r == AclDenied::kCommand) {
    ctx.out.bulk("This user has no permissions to run the '" + spec->fullname + "' command");
  } else {
    ctx.out.bulk(std::string("This user has no permissions to access the '") +
                 std::string(cmdline[static_cast<size_t>(pos)]) + "' " +
                 (r == AclDenied::kKey ? "key" : "channel"));
  }
}

void cmd_acl_help(CommandContext& ctx) {
  reply_help(ctx, "ACL",
             {"CAT [<category>]",
              "    List all commands that belong to <category>, or all command categories",
              "    when no category is specified.",
              "DELUSER <username> [<username> ...]",
              "    Delete a list of users.",
              "DRYRUN <username> <command> [<arg> ...]",
              "    Returns whether the user can execute the given command without executing "
              "the command.",
              "GETUSER <username>",
              "    Get the user's details.",
              "GENPASS [<bits>]",
              "    Generate a secure 256-bit user password. The optional `bits` argument can",
              "    be used to specify a different size.",
              "LIST",
              "    Show users details in config file format.",
              "LOAD",
              "    Reload users from the ACL file.",
              "LOG [<count> | RESET]",
              "    Show the ACL log entries.",
              "SAVE",
              "    Save the current config to the ACL file.",
              "SETUSER <username> <attribute> [<attribute> ...]",
              "    Create or modify a user with the specified attributes.",
              "USERS",
              "    List all the registered usernames.",
              "WHOAMI",
              "    Return the current connection username."});
}

void cmd_acl(CommandContext& ctx) {
  reply_subcommand_syntax_error(ctx);
}

// ACL SETUSER's rules may hold passwords: MONITOR shows none of them.
bool setuser_secret(Args, size_t i) {
  return i >= 2;
}

constexpr uint32_t kAclFlags = kNoscript | kLoading | kStale | kSentinel;

uint32_t acl_perms_of_key_flags(uint32_t flags) {
  uint32_t perms = 0;
  if (flags & kKeyAccess) perms |= kAclKeyRead;
  if (flags & (kKeyInsert | kKeyDelete | kKeyUpdate)) perms |= kAclKeyWrite;
  return perms;
}

// SET writes its key, and reads it too with GET (as its key spec's
// variable flags say).
uint32_t set_key_perms(Args args) {
  for (size_t i = 3; i < args.size(); ++i)
    if (iequals(args[i], "get")) return kAclKeyRead | kAclKeyWrite;
  return kAclKeyWrite;
}

}  // namespace

std::vector<std::pair<int, uint32_t>> acl_key_access(const CommandSpec& spec, Args args,
                                                     const std::vector<int>& positions) {
  std::vector<std::pair<int, uint32_t>> out;
  for (const auto& [pos, flags] : keys_and_flags(spec, args, positions)) {
    if (flags & kKeyNotKey) continue;  // shard channels are not keys
    out.emplace_back(pos, acl_perms_of_key_flags(flags));
  }
  return out;
}

void set_acl_key_perms(CommandTable& t) {
  t.update_all([](CommandSpec& s) {
    if (s.key_finder || s.first_key <= 0 || s.key_step <= 0) return;
    if (s.fullname == "set") {
      s.acl_key_perms_of = set_key_perms;
      return;
    }
    // Commands whose flags depend on their options, or whose keys are
    // not all alike, keep the general path.
    if (s.fullname == "bitfield" || s.fullname == "sort" || s.fullname == "sort_ro") return;
    const std::vector<KeySpec>* specs = find_key_specs(s.fullname);
    if (!specs || specs->empty()) return;
    uint32_t perms = 0;
    for (const KeySpec& k : *specs) {
      if (k.flags & (kKeyNotKey | kKeyIncomplete | kKeyVariableFlags)) return;
      const uint32_t p = acl_perms_of_key_flags(k.flags);
      if (perms != 0 && p != perms) return;
      perms = p;
    }
    s.acl_key_perms = perms;
  });
}

void register_acl_commands(CommandTable& t) {
  Family f(t, "server");
  f.add("acl", -2, kSentinel, kNoKeys, cmd_acl,
        {.subcommands = {cmd("cat", -2, kAclFlags, kNoKeys, cmd_acl_cat),
                         cmd("deluser", -3, kAdmin | kAclFlags, kNoKeys, cmd_acl_deluser),
                         cmd("dryrun", -4, kAdmin | kAclFlags, kNoKeys, cmd_acl_dryrun),
                         cmd("genpass", -2, kAclFlags, kNoKeys, cmd_acl_genpass),
                         cmd("getuser", 3, kAdmin | kAclFlags, kNoKeys, cmd_acl_getuser),
                         cmd("help", 2, kLoading | kStale | kSentinel, kNoKeys, cmd_acl_help),
                         cmd("list", 2, kAdmin | kAclFlags, kNoKeys, cmd_acl_list),
                         cmd("load", 2, kAdmin | kAclFlags, kNoKeys, cmd_acl_load),
                         cmd("log", -2, kAdmin | kAclFlags, kNoKeys, cmd_acl_log),
                         cmd("save", 2, kAdmin | kAclFlags, kNoKeys, cmd_acl_save),
                         cmd("setuser", -3, kAdmin | kAclFlags, kNoKeys, cmd_acl_setuser,
                             {.secret = setuser_secret}),
                         cmd("users", 2, kAdmin | kAclFlags, kNoKeys, cmd_acl_users),
                         cmd("whoami", 2, kAclFlags, kNoKeys, cmd_acl_whoami)}});
  t.set_key_access(acl_key_access);
}

}  // namespace kvd::commands
