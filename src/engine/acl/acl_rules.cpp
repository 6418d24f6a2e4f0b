// ACL rules: what each word of ACL SETUSER (and of a `user` line) does to a
// user, with Redis 7.0's meaning and error for each.
#include <algorithm>
#include <cctype>

#include "kvd/common/sha256.hpp"
#include "kvd/common/strings.hpp"
#include "kvd/engine/acl.hpp"
#include "kvd/protocol/split_args.hpp"

namespace kvd::engine {
namespace {

// Usernames and patterns may not hold blanks or NULs: they would not
// survive ACL LIST and the ACL file, which split rules at spaces.
bool has_blank(std::string_view s) {
  for (char c : s)
    if (std::isspace(static_cast<unsigned char>(c)) || c == 0) return true;
  return false;
}

bool valid_hash(std::string_view h) {
  if (h.size() != 64) return false;
  for (char c : h)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

template <typename T>
void add_unique(std::vector<T>& v, T item) {
  for (const auto& x : v)
    if (x == item) return;
  v.push_back(std::move(item));
}

}  // namespace

const char* acl_rule_error_text(AclRuleError e) {
  switch (e) {
    case AclRuleError::kOk:
      return "";
    case AclRuleError::kUnknownName:
      return "Unknown command or category name in ACL";
    case AclRuleError::kSyntax:
      return "Syntax error";
    case AclRuleError::kKeyAfterAll:
      return "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does "
             "not have any effect. Try 'resetkeys' to start with an empty list of patterns";
    case AclRuleError::kChannelAfterAll:
      return "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and "
             "does not have any effect. Try 'resetchannels' to start with an empty list of "
             "channels";
    case AclRuleError::kNoSuchPassword:
      return "The password you are trying to remove from the user does not exist";
    case AclRuleError::kBadHash:
      return "The password hash must be exactly 64 characters and contain only lowercase "
             "hexadecimal characters";
    case AclRuleError::kSubcommandArg:
      return "Allowing first-arg of a subcommand is not supported";
  }
  return "Wrong format";
}

Acl::Acl(const CommandTable& commands) : commands_(commands) {
  AclUser d = make_user("default");
  for (const char* op : {"+@all", "~*", "&*", "on", "nopass"}) apply(d, op);
  default_ = &put(std::move(d));
}

AclUser* Acl::find(std::string_view name) const {
  auto it = users_.find(name);
  return it == users_.end() ? nullptr : it->second.get();
}

AclUser Acl::make_user(std::string name) const {
  AclUser u;
  u.name = std::move(name);
  AclSelector root;
  root.root = true;
  root.all_channels = pubsub_default_all;
  root.allowed.assign((commands_.by_id().size() + 63) / 64, 0);
  u.selectors.push_back(std::move(root));
  return u;
}

const CommandSpec* Acl::lookup(std::string_view fullname) const {
  return commands_.find_declared(fullname);
}

uint32_t Acl::category_by_name(std::string_view name) {
  const auto& names = all_acl_categories();
  for (size_t i = 0; i < names.size(); ++i)
    if (iequals(names[i], name)) return 1u << i;
  return 0;
}

std::vector<const CommandSpec*> Acl::category_commands(uint32_t category) const {
  std::vector<const CommandSpec*> out;
  for (const CommandSpec* spec : commands_.by_id())
    if (spec->acl_categories & category) out.push_back(spec);
  return out;
}

// Allowing or denying a container command covers its subcommands, and drops
// the first arguments allowed for it.
void Acl::set_command(AclSelector& s, const CommandSpec& spec, bool allow) const {
  auto set_bit = [&](uint32_t id) {
    uint64_t bit = uint64_t{1} << (id % 64);
    if (allow) {
      s.allowed[id / 64] |= bit;
    } else {
      // Commands added later stay allowed after "+@all -debug": only -@all
      // takes that back (Redis's reserved bit).
      s.allowed[id / 64] &= ~bit;
      s.all_commands = false;
    }
  };
  set_bit(spec.id);
  s.first_args.erase(spec.id);
  for (const auto& sub : spec.subcommands) set_bit(sub.id);
}

void Acl::set_category(AclSelector& s, uint32_t category, bool allow) const {
  for (const CommandSpec* spec : commands_.by_id())
    if (spec->acl_categories & category) set_command(s, *spec, allow);
}

void Acl::set_all_commands(AclSelector& s, bool allow) const {
  for (auto& word : s.allowed) word = allow ? ~uint64_t{0} : 0;
  s.all_commands = allow;
  s.future_commands = allow;
  s.first_args.clear();
}

AclRuleError Acl::apply_to_selector(AclSelector& s, std::string_view op) const {
  if (iequals(op, "allkeys") || op == "~*") {
    s.all_keys = true;
    s.keys.clear();
  } else if (iequals(op, "resetkeys")) {
    s.all_keys = false;
    s.keys.clear();
  } else if (iequals(op, "allchannels") || op == "&*") {
    s.all_channels = true;
    s.channels.clear();
  } else if (iequals(op, "resetchannels")) {
    s.all_channels = false;
    s.channels.clear();
  } else if (iequals(op, "allcommands") || iequals(op, "+@all")) {
    set_all_commands(s, true);
  } else if (iequals(op, "nocommands") || iequals(op, "-@all")) {
    set_all_commands(s, false);
  } else if (op[0] == '~' || op[0] == '%') {
    if (s.all_keys) return AclRuleError::kKeyAfterAll;
    uint32_t perms = 0;
    size_t at = 1;
    if (op[0] == '%') {
      // %R~, %W~, %RW~: each letter once, then the pattern.
      bool closed = false;
      for (; at < op.size(); ++at) {
        char c = static_cast<char>(std::toupper(static_cast<unsigned char>(op[at])));
        if (c == 'R' && !(perms & kAclKeyRead)) {
          perms |= kAclKeyRead;
        } else if (c == 'W' && !(perms & kAclKeyWrite)) {
          perms |= kAclKeyWrite;
        } else if (op[at] == '~') {
          ++at;
          closed = true;
          break;
        } else {
          return AclRuleError::kSyntax;
        }
      }
      // Redis accepts "%R" without "~" as the empty pattern; so do we.
      (void)closed;
    } else {
      perms = kAclKeyAll;
    }
    std::string_view pattern = op.substr(std::min(at, op.size()));
    if (has_blank(pattern)) return AclRuleError::kSyntax;
    bool merged = false;
    for (auto& k : s.keys) {
      if (k.pattern == pattern) {
        k.perms |= perms;
        merged = true;
      }
    }
    if (!merged) s.keys.push_back({std::string(pattern), perms});
    s.all_keys = false;
  } else if (op[0] == '&') {
    if (s.all_channels) return AclRuleError::kChannelAfterAll;
    std::string_view pattern = op.substr(1);
    if (has_blank(pattern)) return AclRuleError::kSyntax;
    add_unique(s.channels, std::string(pattern));
    s.all_channels = false;
  } else if (op.size() >= 2 && (op[0] == '+' || op[0] == '-') && op[1] == '@') {
    uint32_t category = category_by_name(op.substr(2));
    if (!category) return AclRuleError::kUnknownName;
    set_category(s, category, op[0] == '+');
  } else if (op[0] == '+') {
    std::string_view name = op.substr(1);
    size_t bar = name.rfind('|');
    if (bar == std::string_view::npos) {
      const CommandSpec* spec = lookup(name);
      if (!spec) return AclRuleError::kUnknownName;
      set_command(s, *spec, true);
      return AclRuleError::kOk;
    }
    const CommandSpec* spec = lookup(name.substr(0, bar));
    if (!spec) return AclRuleError::kUnknownName;
    if (spec->parent) return AclRuleError::kSubcommandArg;
    std::string_view arg = name.substr(bar + 1);
    if (arg.empty()) return AclRuleError::kSyntax;
    if (!spec->subcommands.empty()) {
      const CommandSpec* sub = lookup(name);
      if (!sub) return AclRuleError::kUnknownName;
      set_command(s, *sub, true);
    } else {
      // SELECT|0: the command stays denied but this first argument runs.
      auto& args = s.first_args[spec->id];
      bool known = false;
      for (const auto& a : args) known = known || iequals(a, arg);
      if (!known) args.emplace_back(arg);
    }
  } else if (op[0] == '-') {
    const CommandSpec* spec = lookup(op.substr(1));
    if (!spec) return AclRuleError::kUnknownName;
    set_command(s, *spec, false);
  } else {
    return AclRuleError::kSyntax;
  }
  return AclRuleError::kOk;
}

AclRuleError Acl::apply(AclUser& u, std::string_view op) const {
  AclRuleError result = AclRuleError::kOk;
  if (op.empty()) return result;
  if (iequals(op, "on")) {
    u.enabled = true;
  } else if (iequals(op, "off")) {
    u.enabled = false;
  } else if (iequals(op, "skip-sanitize-payload")) {
    u.sanitize = AclUser::Sanitize::kSkip;
  } else if (iequals(op, "sanitize-payload")) {
    u.sanitize = AclUser::Sanitize::kSanitize;
  } else if (iequals(op, "nopass")) {
    u.nopass = true;
    u.passwords.clear();
  } else if (iequals(op, "resetpass")) {
    u.nopass = false;
    u.passwords.clear();
  } else if (op[0] == '>' || op[0] == '#') {
    std::string hash;
    if (op[0] == '>') {
      hash = sha256_hex(op.substr(1));
    } else {
      if (!valid_hash(op.substr(1))) return AclRuleError::kBadHash;
      hash = std::string(op.substr(1));
    }
    add_unique(u.passwords, std::move(hash));
    u.nopass = false;
  } else if (op[0] == '<' || op[0] == '!') {
    std::string hash;
    if (op[0] == '<') {
      hash = sha256_hex(op.substr(1));
    } else {
      if (!valid_hash(op.substr(1))) return AclRuleError::kBadHash;
      hash = std::string(op.substr(1));
    }
    auto it = std::find(u.passwords.begin(), u.passwords.end(), hash);
    if (it == u.passwords.end()) return AclRuleError::kNoSuchPassword;
    u.passwords.erase(it);
  } else if (op.size() >= 2 && op.front() == '(' && op.back() == ')') {
    AclSelector s;
    s.all_channels = pubsub_default_all;
    s.allowed.assign((commands_.by_id().size() + 63) / 64, 0);
    auto words = protocol::split_args(op.substr(1, op.size() - 2));
    if (!words) return AclRuleError::kSyntax;
    for (const auto& w : *words) {
      result = apply_to_selector(s, w);
      if (result != AclRuleError::kOk) return result;
    }
    u.selectors.push_back(std::move(s));
  } else if (iequals(op, "clearselectors")) {
    u.selectors.resize(1);
  } else if (iequals(op, "reset")) {
    for (const char* step : {"resetpass", "resetkeys", "resetchannels"}) apply(u, step);
    if (pubsub_default_all) apply(u, "allchannels");
    for (const char* step : {"off", "sanitize-payload", "clearselectors", "-@all"}) apply(u, step);
  } else {
    result = apply_to_selector(u.selectors[0], op);
  }
  update_unrestricted(u);
  return result;
}

void Acl::update_unrestricted(AclUser& u) const {
  const AclSelector& root = u.selectors[0];
  u.unrestricted = root.all_commands && root.all_keys && root.all_channels;
}

bool merge_selector_words(const std::vector<std::string>& words, std::vector<std::string>& out,
                          size_t* bad) {
  out.clear();
  std::string open;
  size_t open_at = 0;
  bool in_selector = false;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (!in_selector && !w.empty() && w.front() == '(' && w.back() != ')') {
      open = w;
      open_at = i;
      in_selector = true;
      continue;
    }
    if (in_selector) {
      open += " " + w;
      if (!w.empty() && w.back() == ')') {
        out.push_back(std::move(open));
        in_selector = false;
      }
      continue;
    }
    out.push_back(w);
  }
  if (in_selector) {
    if (bad) *bad = open_at;
    return false;
  }
  return true;
}

std::string Acl::stage(std::string_view name, const std::vector<std::string>& ops,
                       AclUser& staged) const {
  std::vector<std::string> merged;
  size_t bad = 0;
  if (!merge_selector_words(ops, merged, &bad))
    return "ERR Unmatched parenthesis in acl selector starting at '" + ops[bad] + "'.";
  const AclUser* existing = find(name);
  staged = existing ? *existing : make_user(std::string(name));
  for (const auto& op : merged) {
    AclRuleError e = apply(staged, op);
    if (e != AclRuleError::kOk)
      return "ERR Error in ACL SETUSER modifier '" + op + "': " + acl_rule_error_text(e);
  }
  return "";
}

AclUser& Acl::put(AclUser staged) {
  auto it = users_.find(staged.name);
  if (it != users_.end()) {
    *it->second = std::move(staged);
    return *it->second;
  }
  std::string key = staged.name;
  auto& slot = users_[key];
  slot = std::make_unique<AclUser>(std::move(staged));
  return *slot;
}

bool Acl::remove(std::string_view name) {
  auto it = users_.find(name);
  if (it == users_.end() || it->second.get() == default_) return false;
  users_.erase(it);
  return true;
}

void Acl::replace_all(UserMap fresh) {
  auto it = fresh.find("default");
  AclUser new_default = it != fresh.end() ? std::move(*it->second) : [&] {
    AclUser d = make_user("default");
    for (const char* op : {"+@all", "~*", "&*", "on", "nopass"}) apply(d, op);
    return d;
  }();
  if (it != fresh.end()) fresh.erase(it);
  *default_ = std::move(new_default);
  auto keep = std::move(users_.find("default")->second);
  users_ = std::move(fresh);
  users_["default"] = std::move(keep);
}

void Acl::set_default_password(std::string_view password) {
  apply(*default_, "resetpass");
  if (password.empty())
    apply(*default_, "nopass");
  else
    apply(*default_, ">" + std::string(password));
}

AclUser* Acl::authenticate(std::string_view name, std::string_view password) const {
  AclUser* u = find(name);
  if (!u || !u->enabled) return nullptr;
  if (u->nopass) return u;
  const std::string hash = sha256_hex(password);
  for (const auto& p : u->passwords) {
    // Compare every byte: the time taken must not tell how much matched.
    unsigned char diff = 0;
    for (size_t i = 0; i < 64; ++i) diff |= static_cast<unsigned char>(p[i] ^ hash[i]);
    if (diff == 0) return u;
  }
  return nullptr;
}

}  // namespace kvd::engine
