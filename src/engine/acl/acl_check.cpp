// The permission check: may this user run this command line? Run for every
// command of a restricted user (the default user is unrestricted and skips
// it), so it allocates only when a selector restricts keys.
#include <algorithm>

#include "kvd/common/strings.hpp"
#include "kvd/engine/acl.hpp"

namespace kvd::engine {
namespace {

bool channel_in(const std::vector<std::string>& rules, std::string_view channel, bool is_pattern) {
  // A PSUBSCRIBE pattern must be allowed as it is written: matching it as a
  // channel name would let "&news.*" subscribe to "*".
  for (const auto& rule : rules)
    if (is_pattern ? rule == channel : glob_match(rule, channel)) return true;
  return false;
}

// The command line's keys, found once for all the selectors.
struct KeyCache {
  bool found = false;
  std::vector<std::pair<int, uint32_t>> keys;
};

AclDenied check_selector(const CommandTable& table, const AclSelector& s, const CommandSpec& spec,
                         Args args, int* pos, KeyCache& cache) {
  if (!s.all_commands && !(spec.flags & kNoAuth) && !s.allows(spec.id)) {
    // Denied, unless this first argument was allowed (+select|0).
    auto it = s.first_args.find(spec.id);
    const size_t at = spec.parent ? 2 : 1;
    if (it == s.first_args.end() || args.size() <= at) return AclDenied::kCommand;
    bool allowed = false;
    for (const auto& arg : it->second) allowed = allowed || iequals(arg, args[at]);
    if (!allowed) return AclDenied::kCommand;
  }
  const uint32_t uniform = spec.acl_key_perms_of ? spec.acl_key_perms_of(args) : spec.acl_key_perms;
  if (!s.all_keys && uniform != 0) {
    // Every key needs the same: walk the declared positions, no allocation.
    const int argc = static_cast<int>(args.size());
    const int last = spec.last_key < 0 ? argc + spec.last_key : spec.last_key;
    for (int at = spec.first_key; at <= last && at < argc; at += spec.key_step) {
      bool ok = false;
      for (const auto& rule : s.keys) {
        if ((rule.perms & uniform) == uniform &&
            glob_match(rule.pattern, args[static_cast<size_t>(at)])) {
          ok = true;
          break;
        }
      }
      if (!ok) {
        *pos = at;
        return AclDenied::kKey;
      }
    }
  } else if (!s.all_keys && (spec.first_key > 0 || spec.key_finder)) {
    if (!cache.found) {
      cache.keys = table.key_access(spec, args);
      cache.found = true;
    }
    for (const auto& [at, need] : cache.keys) {
      // A key finder may name a position past a short command line
      // (redis.acl_check_cmd does not check arity): no key there.
      if (static_cast<size_t>(at) >= args.size()) continue;
      bool ok = false;
      for (const auto& rule : s.keys) {
        if ((rule.perms & need) != need) continue;
        if (glob_match(rule.pattern, args[static_cast<size_t>(at)])) {
          ok = true;
          break;
        }
      }
      if (!ok) {
        *pos = at;
        return AclDenied::kKey;
      }
    }
  }
  if (!s.all_channels && spec.channels != ChannelArgs::kNone &&
      spec.channels != ChannelArgs::kUnsubscribe) {
    const size_t end =
        spec.channels == ChannelArgs::kPublish ? std::min<size_t>(2, args.size()) : args.size();
    const bool patterns = spec.channels == ChannelArgs::kSubscribePatterns;
    for (size_t i = 1; i < end; ++i) {
      if (!channel_in(s.channels, args[i], patterns)) {
        *pos = static_cast<int>(i);
        return AclDenied::kChannel;
      }
    }
  }
  return AclDenied::kOk;
}

}  // namespace

AclDenied Acl::check(const AclUser& user, const CommandSpec& spec, Args args, int* pos) const {
  if (user.unrestricted) return AclDenied::kOk;
  KeyCache cache;
  // When no selector allows the command, the refusal reported is the
  // "furthest" one (a key over the command, a later argument over an
  // earlier one), as Redis picks it for the error and ACL LOG.
  AclDenied relevant = AclDenied::kCommand;
  int last = 0;
  for (const auto& s : user.selectors) {
    int at = 0;
    AclDenied r = check_selector(commands_, s, spec, args, &at, cache);
    if (r == AclDenied::kOk) return r;
    if (r > relevant || (r == relevant && at > last)) {
      relevant = r;
      last = at;
    }
  }
  if (pos) *pos = last;
  return relevant;
}

bool Acl::unrestricted_key_access(const AclUser& user, const CommandSpec& spec, Args args,
                                  uint32_t perms) const {
  if (user.unrestricted) return true;
  KeyCache cache;
  for (const auto& s : user.selectors) {
    int at = 0;
    if (check_selector(commands_, s, spec, args, &at, cache) != AclDenied::kOk) continue;
    if (s.all_keys) return true;
    for (const auto& rule : s.keys)
      if ((rule.perms & perms) && rule.pattern == "*") return true;
  }
  return false;
}

bool Acl::channel_allowed(const AclUser& user, std::string_view channel, bool is_pattern) const {
  for (const auto& s : user.selectors)
    if (s.all_channels || channel_in(s.channels, channel, is_pattern)) return true;
  return false;
}

}  // namespace kvd::engine
