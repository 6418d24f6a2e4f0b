// How ACL LIST, ACL GETUSER and the ACL file write a user: rules that
// ACL SETUSER turns back into the same user. Command rules are rebuilt from
// the bitmap as Redis 7.0 rebuilds them (same greedy choice of categories,
// then single commands), so the text matches redis-server's.
#include <climits>

#include "kvd/engine/acl.hpp"

namespace kvd::engine {
namespace {

std::string pattern_text(const AclKeyPattern& k) {
  const char* prefix = k.perms == kAclKeyAll ? "~" : k.perms == kAclKeyRead ? "%R~" : "%W~";
  return prefix + k.pattern;
}

}  // namespace

std::string Acl::describe_commands(const AclSelector& s) const {
  // Start from +@all when the user may run commands added later, else from
  // -@all, and replay the rules on `fake` until it has the user's bitmap.
  const bool additive = !s.future_commands;
  std::string rules = additive ? "-@all " : "+@all ";
  AclSelector fake;
  fake.allowed.assign(s.allowed.size(), 0);
  set_all_commands(fake, !additive);

  // Greedy: the category that shares the most with what is left to explain
  // and differs the least, until no category helps. `left` is the user's
  // bitmap with the chosen categories undone.
  AclSelector left;
  left.allowed = s.allowed;
  const auto& names = all_acl_categories();
  std::vector<bool> applied(names.size(), false);
  for (;;) {
    int best = -1;
    size_t min_diff = SIZE_MAX, max_same = 0;
    for (size_t j = 0; j < names.size(); ++j) {
      if (applied[j]) continue;
      size_t on = 0, off = 0;
      for (const CommandSpec* spec : commands_.by_id()) {
        if (!(spec->acl_categories & (1u << j))) continue;
        (left.allows(spec->id) ? on : off) += 1;
      }
      const size_t diff = additive ? off : on;
      const size_t same = additive ? on : off;
      if (same > diff && (diff < min_diff || (diff == min_diff && same > max_same))) {
        best = static_cast<int>(j);
        min_diff = diff;
        max_same = same;
      }
    }
    if (best < 0) break;
    set_category(fake, 1u << best, additive);
    set_category(left, 1u << best, !additive);
    rules += (additive ? "+@" : "-@") + std::string(names[static_cast<size_t>(best)]) + " ";
    applied[static_cast<size_t>(best)] = true;
  }

  // Then the single commands still different, in table order (a container
  // comes before its subcommands, so setting it first is then corrected).
  for (const CommandSpec* spec : commands_.by_id()) {
    const bool user_bit = s.allows(spec->id);
    if (user_bit != fake.allows(spec->id)) {
      rules += (user_bit ? "+" : "-") + spec->fullname + " ";
      set_command(fake, *spec, user_bit);
    }
    auto it = s.first_args.find(spec->id);
    if (!user_bit && it != s.first_args.end()) {
      for (const auto& arg : it->second) rules += "+" + spec->fullname + "|" + arg + " ";
    }
  }
  rules.pop_back();
  return rules;
}

std::string Acl::describe_keys(const AclSelector& s) {
  if (s.all_keys) return "~*";
  std::string out;
  for (const auto& k : s.keys) {
    if (!out.empty()) out += ' ';
    out += pattern_text(k);
  }
  return out;
}

std::string Acl::describe_channels(const AclSelector& s) {
  if (s.all_channels) return "&*";
  std::string out;
  for (const auto& c : s.channels) {
    if (!out.empty()) out += ' ';
    out += "&" + c;
  }
  return out;
}

std::string Acl::describe(const AclUser& u) const {
  std::string out = u.enabled ? "on " : "off ";
  if (u.nopass) out += "nopass ";
  if (u.sanitize == AclUser::Sanitize::kSkip) out += "skip-sanitize-payload ";
  if (u.sanitize == AclUser::Sanitize::kSanitize) out += "sanitize-payload ";
  for (const auto& p : u.passwords) out += "#" + p + " ";
  for (const auto& s : u.selectors) {
    std::string text;
    if (s.all_keys) {
      text += "~* ";
    } else {
      for (const auto& k : s.keys) text += pattern_text(k) + " ";
    }
    if (s.all_channels) {
      text += "&* ";
    } else {
      text += "resetchannels ";
      for (const auto& c : s.channels) text += "&" + c + " ";
    }
    text += describe_commands(s);
    out += s.root ? text : " (" + text + ")";
  }
  return out;
}

std::string Acl::to_file_text() const {
  std::string out;
  for (const auto& [name, u] : users_) out += "user " + name + " " + describe(*u) + "\n";
  return out;
}

}  // namespace kvd::engine
