#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kvd/engine/command.hpp"

// How a command family declares its commands: one line each, in the same
// order everywhere (name, arity, flags, keys, handler, then what is rare):
//
//   Family f(t, "string");
//   f.add("get", 2, kReadonly | kFast, kKey1, cmd_get);
//   f.add("sort", -2, kWrite | kDenyOom | kMovableKeys, kKey1, cmd_sort,
//         {.categories = kAclSet | kAclSortedSet | kAclList | kAclDangerous});
//
// Everything else a command needs is derived here, once: its ACL categories
// (from its flags and its family's group, as Redis derives them) and its
// COMMAND DOCS text (from command_docs.txt, by name).
namespace kvd::commands {

// The families are written in the engine's vocabulary (Engine, Client,
// CommandContext, Value ...): the commands layer stands right on top of it.
using namespace kvd::engine;

// Key positions as Redis's first/last/step triple (last -1: the last argument).
struct Keys {
  int first = 0;
  int last = 0;
  int step = 0;
};
inline constexpr Keys kNoKeys{0, 0, 0};
inline constexpr Keys kKey1{1, 1, 1};      // GET key ...
inline constexpr Keys kAllKeys{1, -1, 1};  // DEL key [key ...]

// What a few commands declare beyond the five fields.
struct More {
  // ACL categories in place of the group's one (SORT: @set @sortedset @list
  // @dangerous; FLUSHDB: @keyspace @dangerous). Flag-given ones are added anyway.
  uint32_t categories = 0;
  // The group in COMMAND DOCS when not the family's (FUNCTION in server).
  std::string_view group;
  // Keys found by parsing the arguments (ZUNION's numkeys, XREAD's STREAMS).
  KeyFinder find_keys = nullptr;
  // Flags an invocation's arguments change (EVAL's and FCALL's script flags).
  FlagsFinder find_flags = nullptr;
  // Arguments MONITOR must not show (AUTH's password).
  SecretArgs secret = nullptr;
  // Which arguments are Pub/Sub channels (ACL channel rules check them).
  ChannelArgs channels = ChannelArgs::kNone;
  // A container command's subcommands (CONFIG GET, CLIENT LIST ...).
  std::vector<CommandSpec> subcommands;
};

// One command or subcommand, not yet tied to a family.
CommandSpec cmd(std::string_view name, int arity, uint32_t flags, Keys keys, Handler handler,
                More more = {});

// Adds a family's commands to the table, completing each declaration.
class Family {
 public:
  Family(CommandTable& table, std::string_view group) : table_(table), group_(group) {}
  void add(std::string_view name, int arity, uint32_t flags, Keys keys, Handler handler,
           More more = {});

 private:
  CommandTable& table_;
  std::string group_;
};

// Redis's implicit categories for these flags (@write, @read, @admin
// @dangerous, @pubsub, @fast or @slow, @blocking) plus `explicit_categories`.
uint32_t derive_acl_categories(uint32_t flags, uint32_t explicit_categories);

// The ACL category of a COMMAND DOCS group ("string" -> @string), 0 if none
// (or when, like pubsub, the category comes from a flag).
uint32_t group_category(std::string_view group);

}  // namespace kvd::commands
