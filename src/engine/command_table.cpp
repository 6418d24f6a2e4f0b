#include "kvd/engine/command.hpp"

#include <cctype>
#include <memory>

#include "kvd/common/strings.hpp"

namespace kvd::engine {
namespace {

void link(CommandSpec& spec, const CommandSpec* parent) {
  spec.parent = parent;
  spec.fullname = parent ? parent->name + "|" + spec.name : spec.name;
  for (auto& sub : spec.subcommands) link(sub, &spec);
}

}  // namespace

void CommandTable::add(CommandSpec spec) {
  auto owned = std::make_unique<CommandSpec>(std::move(spec));
  link(*owned, nullptr);
  ordered_.push_back(owned.get());
  std::string key = owned->name;
  by_name_[key] = std::move(owned);
}

const CommandSpec* CommandTable::find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second.get();
}

bool CommandTable::NameEq::operator()(std::string_view a, std::string_view b) const {
  return iequals(a, b);
}

const CommandSpec* CommandTable::find_sub(const CommandSpec& parent, std::string_view name) const {
  for (const auto& sub : parent.subcommands) {
    if (iequals(sub.name, name)) return &sub;
  }
  return nullptr;
}

std::vector<int> CommandTable::key_positions(const CommandSpec& spec, Args args) const {
  if (spec.key_finder) return spec.key_finder(args);
  std::vector<int> keys;
  if (spec.first_key <= 0) return keys;
  int argc = static_cast<int>(args.size());
  int last = spec.last_key >= 0 ? spec.last_key : argc + spec.last_key;
  int step = spec.key_step > 0 ? spec.key_step : 1;
  for (int i = spec.first_key; i <= last && i < argc; i += step) keys.push_back(i);
  return keys;
}

bool secret_argument(Args args, size_t i) {
  if (iequals(args[0], "auth")) return i >= 1;
  if (iequals(args[0], "hello")) {
    for (size_t j = 2; j + 2 < args.size() + 1 && j < i; ++j) {
      if (iequals(args[j], "auth") && (i == j + 1 || i == j + 2)) return true;
    }
  }
  if (iequals(args[0], "config") && args.size() > 2 && iequals(args[1], "set") && i >= 3 &&
      (i - 3) % 2 == 0) {
    static constexpr std::string_view kSecret[] = {"requirepass", "masterauth", "masteruser",
                                                   "tls-key-file-pass", "tls-client-key-file-pass"};
    for (std::string_view name : kSecret) {
      if (iequals(args[i - 1], name)) return true;
    }
  }
  return false;
}

std::vector<std::string> flag_names(uint32_t flags) {
  static const std::pair<uint32_t, const char*> kNames[] = {
      {kWrite, "write"},
      {kReadonly, "readonly"},
      {kDenyOom, "denyoom"},
      {kAdmin, "admin"},
      {kPubsub, "pubsub"},
      {kNoscript, "noscript"},
      {kBlocking, "blocking"},
      {kLoading, "loading"},
      {kStale, "stale"},
      {kSkipMonitor, "skip_monitor"},
      {kSkipSlowlog, "skip_slowlog"},
      {kFast, "fast"},
      {kNoAuth, "no_auth"},
      {kMayReplicate, "may_replicate"},
      {kNoMandatoryKeys, "no_mandatory_keys"},
      {kNoMulti, "no_multi"},
      {kMovableKeys, "movablekeys"},
      {kAllowBusy, "allow_busy"},
      {kSentinel, "sentinel"},
      {kProtected, "protected"},
  };
  std::vector<std::string> out;
  for (const auto& [bit, name] : kNames) {
    if (flags & bit) out.emplace_back(name);
  }
  return out;
}

}  // namespace kvd::engine
