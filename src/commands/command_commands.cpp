#include <sstream>

#include "admin_helpers.hpp"
#include "command_helpers.hpp"
#include "command_tips.hpp"
#include "declare.hpp"
#include "families.hpp"
#include "key_specs.hpp"
#include "kvd/common/strings.hpp"

// COMMAND and its subcommands: everything is generated from the CommandTable,
// so what clients discover is exactly what dispatch enforces.
namespace kvd::commands {
namespace {

bool has_keys(const CommandSpec& spec) {
  return spec.first_key > 0 || spec.key_finder;
}

// Key specifications: from key_specs.txt (Redis 7's), or for a command it
// does not list, one derived from first/last/step: an index search for the
// first key and a range up to the last (relative to the first when positive).
void reply_one_key_spec(protocol::ReplyWriter& o, const KeySpec& k) {
  o.map(k.notes.empty() ? 3 : 4);
  if (!k.notes.empty()) {
    o.bulk("notes");
    o.bulk(k.notes);
  }
  o.bulk("flags");
  auto names = key_flag_names(k.flags);
  o.set(static_cast<int64_t>(names.size()));
  for (auto n : names) o.simple(n);
  o.bulk("begin_search");
  o.map(2);
  o.bulk("type");
  if (k.begin == KeySpec::Begin::kIndex) {
    o.bulk("index");
    o.bulk("spec");
    o.map(1);
    o.bulk("index");
    o.integer(k.pos);
  } else if (k.begin == KeySpec::Begin::kKeyword) {
    o.bulk("keyword");
    o.bulk("spec");
    o.map(2);
    o.bulk("keyword");
    o.bulk(k.keyword);
    o.bulk("startfrom");
    o.integer(k.startfrom);
  } else {
    o.bulk("unknown");
    o.bulk("spec");
    o.map(0);
  }
  o.bulk("find_keys");
  o.map(2);
  o.bulk("type");
  if (k.find == KeySpec::Find::kRange) {
    o.bulk("range");
    o.bulk("spec");
    o.map(3);
    o.bulk("lastkey");
    o.integer(k.lastkey);
    o.bulk("keystep");
    o.integer(k.step);
    o.bulk("limit");
    o.integer(k.limit);
  } else if (k.find == KeySpec::Find::kKeynum) {
    o.bulk("keynum");
    o.bulk("spec");
    o.map(3);
    o.bulk("keynumidx");
    o.integer(k.keynumidx);
    o.bulk("firstkey");
    o.integer(k.firstkey);
    o.bulk("keystep");
    o.integer(k.keystep);
  } else {
    o.bulk("unknown");
    o.bulk("spec");
    o.map(0);
  }
}

void reply_key_specs(CommandContext& ctx, const CommandSpec& spec) {
  if (const std::vector<KeySpec>* specs = find_key_specs(spec.fullname)) {
    ctx.out.set(static_cast<int64_t>(specs->size()));
    for (const auto& k : *specs) reply_one_key_spec(ctx.out, k);
    return;
  }
  if (spec.first_key <= 0) {
    ctx.out.set(0);
    return;
  }
  KeySpec k;
  k.flags = spec.flags & kWrite ? kKeyRW : kKeyRO;
  k.begin = KeySpec::Begin::kIndex;
  k.pos = spec.first_key;
  k.find = KeySpec::Find::kRange;
  k.lastkey = spec.last_key >= 0 ? spec.last_key - spec.first_key : spec.last_key;
  k.step = spec.key_step > 0 ? spec.key_step : 1;
  ctx.out.set(1);
  reply_one_key_spec(ctx.out, k);
}

// Redis 7's 10-element command description.
void reply_command_info(CommandContext& ctx, const CommandSpec* spec) {
  auto& o = ctx.out;
  if (!spec) {
    o.null();
    return;
  }
  o.array(10);
  o.bulk(spec->fullname);
  o.integer(spec->arity);
  // Redis keeps may_replicate, protected and the Sentinel markers out of
  // COMMAND INFO.
  std::vector<std::string> flags =
      flag_names(spec->flags & ~static_cast<uint32_t>(kSentinel | kMayReplicate | kProtected));
  o.set(static_cast<int64_t>(flags.size()));
  for (const auto& f : flags) o.simple(f);
  if (const std::vector<KeySpec>* specs = find_key_specs(spec->fullname)) {
    LegacyKeyRange r = legacy_key_range(*specs);
    o.integer(r.first);
    o.integer(r.last);
    o.integer(r.step);
  } else {
    o.integer(spec->first_key);
    o.integer(spec->last_key);
    o.integer(spec->key_step);
  }
  std::vector<std::string> cats = acl_category_names(spec->acl_categories);
  o.set(static_cast<int64_t>(cats.size()));
  for (const auto& c : cats) o.simple(c);
  const std::vector<std::string_view>& tips = find_command_tips(spec->fullname);
  o.set(static_cast<int64_t>(tips.size()));
  for (std::string_view t : tips) o.bulk(t);
  reply_key_specs(ctx, *spec);
  o.set(static_cast<int64_t>(spec->subcommands.size()));
  for (const auto& sub : spec->subcommands) reply_command_info(ctx, &sub);
}

void reply_command_docs(CommandContext& ctx, const CommandSpec& spec) {
  auto& o = ctx.out;
  bool subs = !spec.subcommands.empty();
  o.map(4 + (subs ? 1 : 0));
  o.bulk("summary");
  o.bulk(spec.summary);
  o.bulk("since");
  o.bulk(spec.since);
  o.bulk("group");
  o.bulk(spec.group);
  o.bulk("complexity");
  o.bulk(spec.complexity);
  if (!subs) return;
  o.bulk("subcommands");
  o.map(static_cast<int64_t>(spec.subcommands.size()));
  for (const auto& sub : spec.subcommands) {
    o.bulk(sub.fullname);
    reply_command_docs(ctx, sub);
  }
}

// Finds "get" or "config|get" (case-insensitive), as COMMAND INFO/DOCS accept both.
const CommandSpec* lookup_fullname(const CommandTable& t, std::string_view name) {
  size_t bar = name.find('|');
  const CommandSpec* spec = t.find(name.substr(0, bar));
  if (!spec || bar == std::string_view::npos) return spec;
  std::string_view rest = name.substr(bar + 1);
  if (rest.find('|') != std::string_view::npos) return nullptr;
  return t.find_sub(*spec, rest);
}

void cmd_command(CommandContext& ctx) {
  const auto& all = ctx.engine.commands().all();
  ctx.out.array(static_cast<int64_t>(all.size()));
  for (const CommandSpec* spec : all) reply_command_info(ctx, spec);
}

void cmd_command_count(CommandContext& ctx) {
  ctx.out.integer(static_cast<int64_t>(ctx.engine.commands().all().size()));
}

void cmd_command_info(CommandContext& ctx) {
  if (ctx.args.size() == 2) {
    cmd_command(ctx);
    return;
  }
  ctx.out.array(static_cast<int64_t>(ctx.args.size() - 2));
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    reply_command_info(ctx, lookup_fullname(ctx.engine.commands(), ctx.args[i]));
  }
}

void cmd_command_docs(CommandContext& ctx) {
  const CommandTable& t = ctx.engine.commands();
  std::vector<const CommandSpec*> specs;
  if (ctx.args.size() == 2) {
    specs = t.all();
  } else {
    for (size_t i = 2; i < ctx.args.size(); ++i) {
      if (const CommandSpec* s = lookup_fullname(t, ctx.args[i])) specs.push_back(s);
    }
  }
  ctx.out.map(static_cast<int64_t>(specs.size()));
  for (const CommandSpec* s : specs) {
    ctx.out.bulk(s->fullname);
    reply_command_docs(ctx, *s);
  }
}

enum class ListFilter { kNone, kModule, kAclCat, kPattern };

bool list_match(const CommandSpec& spec, ListFilter f, std::string_view arg) {
  switch (f) {
    case ListFilter::kNone:
      return true;
    case ListFilter::kModule:
      return false;  // no modules: no command belongs to one
    case ListFilter::kAclCat:
      for (const auto& c : acl_category_names(spec.acl_categories)) {
        if (iequals(std::string_view(c).substr(1), arg)) return true;
      }
      return false;
    case ListFilter::kPattern:
      return glob_match(arg, spec.fullname, true);
  }
  return false;
}

void cmd_command_list(CommandContext& ctx) {
  const auto& a = ctx.args;
  ListFilter filter = ListFilter::kNone;
  std::string_view arg;
  for (size_t i = 2; i < a.size(); i += 3) {
    if (!iequals(a[i], "filterby") || a.size() - 1 - i != 2) {
      ctx.out.error(err::kSyntax);
      return;
    }
    if (iequals(a[i + 1], "module"))
      filter = ListFilter::kModule;
    else if (iequals(a[i + 1], "aclcat"))
      filter = ListFilter::kAclCat;
    else if (iequals(a[i + 1], "pattern"))
      filter = ListFilter::kPattern;
    else {
      ctx.out.error(err::kSyntax);
      return;
    }
    arg = a[i + 2];
  }
  std::vector<const std::string*> names;
  for (const CommandSpec* spec : ctx.engine.commands().all()) {
    if (list_match(*spec, filter, arg)) names.push_back(&spec->fullname);
    for (const auto& sub : spec->subcommands) {
      if (list_match(sub, filter, arg)) names.push_back(&sub.fullname);
    }
  }
  ctx.out.array(static_cast<int64_t>(names.size()));
  for (const std::string* n : names) ctx.out.bulk(*n);
}

// The command line after COMMAND GETKEYS[ANDFLAGS], its spec and its key
// positions; false (the error replied) when it has none to give.
bool command_line_keys(CommandContext& ctx, const CommandSpec** out_spec, std::vector<int>* keys) {
  const CommandTable& t = ctx.engine.commands();
  Args cmd_args = ctx.args.subspan(2);
  const CommandSpec* spec = t.find(cmd_args[0]);
  if (spec && !spec->subcommands.empty() && cmd_args.size() >= 2) {
    spec = t.find_sub(*spec, cmd_args[1]);
  }
  if (!spec) {
    ctx.out.error("ERR Invalid command specified");
    return false;
  }
  if (!has_keys(*spec)) {
    ctx.out.error("ERR The command has no key arguments");
    return false;
  }
  int64_t argc = static_cast<int64_t>(cmd_args.size());
  if ((spec->arity > 0 && spec->arity != argc) || argc < -spec->arity) {
    ctx.out.error("ERR Invalid number of arguments specified for command");
    return false;
  }
  *keys = t.key_positions(*spec, cmd_args);
  if (keys->empty() && !(spec->flags & kNoMandatoryKeys)) {
    ctx.out.error("ERR Invalid arguments specified for command");
    return false;
  }
  *out_spec = spec;
  return true;
}

void cmd_command_getkeys(CommandContext& ctx) {
  const CommandSpec* spec;
  std::vector<int> keys;
  if (!command_line_keys(ctx, &spec, &keys)) return;
  Args cmd_args = ctx.args.subspan(2);
  ctx.out.array(static_cast<int64_t>(keys.size()));
  for (int k : keys) ctx.out.bulk(cmd_args[k]);
}

// Each key with what the command does to it: [[key, {RW, access, ...}], ...].
void cmd_command_getkeysandflags(CommandContext& ctx) {
  const CommandSpec* spec;
  std::vector<int> keys;
  if (!command_line_keys(ctx, &spec, &keys)) return;
  Args cmd_args = ctx.args.subspan(2);
  auto with_flags = keys_and_flags(*spec, cmd_args, keys);
  ctx.out.array(static_cast<int64_t>(with_flags.size()));
  for (const auto& [pos, flags] : with_flags) {
    ctx.out.array(2);
    ctx.out.bulk(cmd_args[pos]);
    auto names = key_flag_names(flags);
    ctx.out.set(static_cast<int64_t>(names.size()));
    for (auto n : names) ctx.out.simple(n);
  }
}

void cmd_command_help(CommandContext& ctx) {
  reply_help(
      ctx, "command",
      {"(no subcommand)", "    Describe every command.", "COUNT",
       "    How many commands there are.", "INFO [<command-name> ...]",
       "    Describe the named commands (all of them without a name).", "DOCS [<command-name> ...]",
       "    Documentation of the named commands (all of them without a name).",
       "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
       "    Names of all commands, optionally filtered.", "GETKEYS <full-command>",
       "    Which arguments of the given command line are keys.", "GETKEYSANDFLAGS <full-command>",
       "    The keys of the given command line, each with the key-spec flags of what",
       "    the command does to it."});
}

}  // namespace

void register_command_commands(CommandTable& t) {
  Family f(t, "server");
  f.add("command", -1, kLoading | kStale, kNoKeys, cmd_command,
        {.categories = kAclConnection,
         .subcommands = {cmd("count", 2, kLoading | kStale, kNoKeys, cmd_command_count,
                             {.categories = kAclConnection}),
                         cmd("info", -2, kLoading | kStale, kNoKeys, cmd_command_info,
                             {.categories = kAclConnection}),
                         cmd("docs", -2, kLoading | kStale, kNoKeys, cmd_command_docs,
                             {.categories = kAclConnection}),
                         cmd("list", -2, kLoading | kStale, kNoKeys, cmd_command_list,
                             {.categories = kAclConnection}),
                         cmd("getkeys", -4, kLoading | kStale, kNoKeys, cmd_command_getkeys,
                             {.categories = kAclConnection}),
                         cmd("getkeysandflags", -4, kLoading | kStale, kNoKeys,
                             cmd_command_getkeysandflags, {.categories = kAclConnection}),
                         cmd("help", 2, kLoading | kStale, kNoKeys, cmd_command_help,
                             {.categories = kAclConnection})}});
}

}  // namespace kvd::commands
