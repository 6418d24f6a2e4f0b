#include "declare.hpp"

#include <unordered_map>

#include "command_docs.hpp"

namespace kvd::commands {
namespace {

// Group, categories and docs of a declaration. `parent` is the container's
// name for a subcommand ("config" for CONFIG GET), empty otherwise.
void complete(CommandSpec& spec, std::string_view group, uint32_t categories,
              std::string_view parent) {
  spec.group = std::string(group);
  // A container (CONFIG, CLIENT ...) has no data category, as in Redis.
  if (!categories && spec.subcommands.empty()) categories = group_category(spec.group);
  spec.acl_categories = derive_acl_categories(spec.flags, categories);
  std::string docs_name = parent.empty() ? spec.name : std::string(parent) + " " + spec.name;
  if (const CommandDoc* doc = find_command_doc(docs_name)) {
    spec.summary = std::string(doc->summary);
    spec.since = std::string(doc->since);
    spec.complexity = std::string(doc->complexity);
  }
}

}  // namespace

// No entry for "pubsub": Redis gives @pubsub by the pubsub flag alone, so
// PUBSUB HELP (no such flag) is only @slow.
uint32_t group_category(std::string_view group) {
  static const std::unordered_map<std::string_view, uint32_t> kByGroup = {
      {"generic", kAclKeyspace},
      {"string", kAclString},
      {"list", kAclList},
      {"set", kAclSet},
      {"sorted_set", kAclSortedSet},
      {"hash", kAclHash},
      {"stream", kAclStream},
      {"bitmap", kAclBitmap},
      {"hyperloglog", kAclHyperLogLog},
      {"geo", kAclGeo},
      {"transactions", kAclTransaction},
      {"scripting", kAclScripting},
      {"connection", kAclConnection}};
  auto it = kByGroup.find(group);
  return it == kByGroup.end() ? 0 : it->second;
}

uint32_t derive_acl_categories(uint32_t flags, uint32_t explicit_categories) {
  uint32_t c = explicit_categories;
  if (flags & kWrite) c |= kAclWrite;
  // Read-only scripting commands (EVAL_RO ...) are not @read in Redis: they
  // read nothing by themselves.
  if ((flags & kReadonly) && !(c & kAclScripting)) c |= kAclRead;
  if (flags & kAdmin) c |= kAclAdmin | kAclDangerous;
  if (flags & kPubsub) c |= kAclPubsub;
  if (flags & kFast) c |= kAclFast;
  if (flags & kBlocking) c |= kAclBlocking;
  if (!(c & kAclFast)) c |= kAclSlow;
  return c;
}

CommandSpec cmd(std::string_view name, int arity, uint32_t flags, Keys keys, Handler handler,
                More more) {
  CommandSpec spec;
  spec.name = std::string(name);
  spec.arity = arity;
  spec.flags = flags;
  spec.first_key = keys.first;
  spec.last_key = keys.last;
  spec.key_step = keys.step;
  spec.handler = handler;
  spec.key_finder = more.find_keys;
  spec.secret_args = more.secret;
  spec.flags_finder = more.find_flags;
  spec.channels = more.channels;
  // Subcommands take their group from the container unless they name one.
  spec.group = std::string(more.group);
  spec.acl_categories = more.categories;
  spec.subcommands = std::move(more.subcommands);
  return spec;
}

void Family::add(std::string_view name, int arity, uint32_t flags, Keys keys, Handler handler,
                 More more) {
  const uint32_t categories = more.categories;
  const std::string group = more.group.empty() ? group_ : std::string(more.group);
  CommandSpec spec = cmd(name, arity, flags, keys, handler, std::move(more));
  complete(spec, group, categories, "");
  for (CommandSpec& sub : spec.subcommands) {
    // cmd() left a subcommand's own choices in these fields.
    complete(sub, sub.group.empty() ? group : sub.group, sub.acl_categories, spec.name);
  }
  table_.add(std::move(spec));
}

}  // namespace kvd::commands
