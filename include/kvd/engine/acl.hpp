#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kvd/engine/command.hpp"

// ACL users, their rules and the permission check (Redis 7.0's model).
//
// A user has flags (on/off, nopass), password hashes and one or more
// selectors; the first is the root selector (the rules written outside
// parentheses). A selector allows commands (a bit per CommandSpec::id),
// keys (glob patterns, each for reading, writing or both) and Pub/Sub
// channels. A command runs when one selector allows the command and every
// key and channel it names. The rules parser lives in acl/acl_rules.cpp,
// the check in acl/acl_check.cpp, the descriptions ACL LIST shows in
// acl/acl_describe.cpp, and the registry, log and file format here.
namespace kvd::engine {

struct Client;

// What a command does to a key, for %R~ / %W~ patterns.
enum AclKeyPerm : uint32_t { kAclKeyRead = 1, kAclKeyWrite = 2, kAclKeyAll = 3 };

// Why a command was refused; the order is Redis's (a later kind wins when
// selectors disagree).
enum class AclDenied { kOk = 0, kCommand = 1, kKey = 2, kAuth = 3, kChannel = 4 };

// Why a rule did not apply (Redis's errno values, named).
enum class AclRuleError {
  kOk,
  kSyntax,           // EINVAL
  kUnknownName,      // ENOENT: no such command or category
  kKeyAfterAll,      // EEXIST
  kChannelAfterAll,  // EISDIR
  kNoSuchPassword,   // ENODEV
  kBadHash,          // EBADMSG
  kSubcommandArg,    // ECHILD: +config|get|x
};
// Redis's text for each error (ACL SETUSER's "Error in ACL SETUSER modifier").
const char* acl_rule_error_text(AclRuleError e);

struct AclKeyPattern {
  std::string pattern;
  uint32_t perms = kAclKeyAll;
};

struct AclSelector {
  bool root = false;
  bool all_keys = false;
  bool all_channels = false;
  // Every command bit is set and stays set (allcommands / +@all), so the
  // check skips the bitmap.
  bool all_commands = false;
  // +@all was the last word on commands: Redis's reserved "future commands"
  // bit, which makes the description start from +@all instead of -@all.
  bool future_commands = false;
  std::vector<uint64_t> allowed;  // bit per CommandSpec::id
  // +select|0 on a command without subcommands: first arguments allowed
  // while the command itself is not (command id -> arguments).
  std::map<uint32_t, std::vector<std::string>> first_args;
  std::vector<AclKeyPattern> keys;
  std::vector<std::string> channels;

  bool allows(uint32_t id) const {
    return id / 64 < allowed.size() && (allowed[id / 64] >> (id % 64)) & 1;
  }
};

struct AclUser {
  std::string name;
  bool enabled = false;
  bool nopass = false;
  // sanitize-payload / skip-sanitize-payload; neither until one is given.
  enum class Sanitize { kUnset, kSanitize, kSkip } sanitize = Sanitize::kUnset;
  std::vector<std::string> passwords;  // SHA-256 hex digests
  std::vector<AclSelector> selectors;  // [0] is the root selector
  // Every command, key and channel: the check is skipped (the default user).
  bool unrestricted = false;
};

// One entry of ACL LOG.
struct AclLogEntry {
  uint64_t count = 1;
  AclDenied reason = AclDenied::kCommand;
  enum class Context { kToplevel, kMulti, kLua } context = Context::kToplevel;
  std::string object;    // the command, key, channel, or AUTH's command name
  std::string username;  // the user the client was, or tried to be
  int64_t ctime_ms = 0;
  std::string client_info;  // CLIENT LIST line of the client
};

class Acl {
 public:
  explicit Acl(const CommandTable& commands);
  Acl(const Acl&) = delete;
  Acl& operator=(const Acl&) = delete;

  const CommandTable& commands() const { return commands_; }

  // Users, by name in byte order (ACL LIST, ACL USERS, ACL SAVE).
  using UserMap = std::map<std::string, std::unique_ptr<AclUser>, std::less<>>;
  const UserMap& users() const { return users_; }
  AclUser* find(std::string_view name) const;
  AclUser& default_user() const { return *default_; }
  // New clients are authenticated when the default user needs no password.
  bool default_needs_auth() const { return !default_->nopass || !default_->enabled; }

  // A fresh user as ACLCreateUser makes it: off, no passwords, no rights
  // (channels as acl-pubsub-default says).
  AclUser make_user(std::string name) const;
  // Applies one rule to a user (ACL SETUSER's words, config `user` lines).
  AclRuleError apply(AclUser& user, std::string_view op) const;
  // Applies the rules to a copy of the user (a new one when absent) and
  // keeps the result only if all of them applied: "" or Redis's error text.
  // `staged` receives the result for the caller to commit with put().
  std::string stage(std::string_view name, const std::vector<std::string>& ops,
                    AclUser& staged) const;
  // Stores a staged user: an existing one is updated in place (clients keep
  // pointing at it), a new one is added. Returns the stored user.
  AclUser& put(AclUser staged);
  // Removes a user (not "default"); the caller first moved its clients.
  bool remove(std::string_view name);
  // ACL LOAD: replaces every user but keeps the default user's object.
  void replace_all(UserMap fresh);

  // requirepass: the default user gets this password, or nopass when empty.
  void set_default_password(std::string_view password);

  // The user whose password this is, or nullptr (unknown user, disabled, or
  // a wrong password). Compares hashes in constant time.
  AclUser* authenticate(std::string_view name, std::string_view password) const;

  // Whether `user` may run this command with these arguments; on a key or
  // channel refusal *pos is the argument's index.
  AclDenied check(const AclUser& user, const CommandSpec& spec, Args args, int* pos) const;
  // Whether one selector that allows this command line also allows every
  // key for `perms` (allkeys, or a "*" pattern): SORT's BY and GET read
  // keys no key spec names.
  bool unrestricted_key_access(const AclUser& user, const CommandSpec& spec, Args args,
                               uint32_t perms) const;
  // Whether a channel (a pattern, literally, when is_pattern) is allowed.
  bool channel_allowed(const AclUser& user, std::string_view channel, bool is_pattern) const;

  // The user as ACL LIST shows it after "user <name> ".
  std::string describe(const AclUser& user) const;
  // A selector's command rules ("+@all -debug"), as ACL GETUSER shows them.
  std::string describe_commands(const AclSelector& s) const;
  // Key and channel rules, as ACL GETUSER's "keys" and "channels".
  static std::string describe_keys(const AclSelector& s);
  static std::string describe_channels(const AclSelector& s);

  // The commands of a category (ACL CAT <category>), in table order.
  std::vector<const CommandSpec*> category_commands(uint32_t category) const;
  // The bit of a category name ("read", case-insensitive), 0 if unknown.
  static uint32_t category_by_name(std::string_view name);

  // ACL file text and parsing (ACL SAVE / ACL LOAD / aclfile at start-up).
  std::string to_file_text() const;
  // Parses a whole ACL file into `out`; "" or the errors, Redis's texts.
  std::string parse_file(const std::string& text, const std::string& filename, UserMap& out) const;

  // acl-pubsub-default: new users (and `reset`) get all channels or none.
  bool pubsub_default_all = false;

  // ACL LOG.
  std::deque<AclLogEntry>& log() { return log_; }
  size_t log_max_len = 128;
  void add_log(AclLogEntry entry);

 private:
  AclRuleError apply_to_selector(AclSelector& s, std::string_view op) const;
  void set_command(AclSelector& s, const CommandSpec& spec, bool allow) const;
  void set_category(AclSelector& s, uint32_t category, bool allow) const;
  void set_all_commands(AclSelector& s, bool allow) const;
  void update_unrestricted(AclUser& u) const;
  const CommandSpec* lookup(std::string_view fullname) const;

  const CommandTable& commands_;
  UserMap users_;
  AclUser* default_ = nullptr;
  std::deque<AclLogEntry> log_;
};

// "user" lines: the words of a rule list where a selector "( ... )" was
// split at blanks are joined back into one ("(~a +get)"). Returns false and
// sets *bad to the index of the unclosed "(" when one is not closed.
bool merge_selector_words(const std::vector<std::string>& words, std::vector<std::string>& out,
                          size_t* bad);

}  // namespace kvd::engine
