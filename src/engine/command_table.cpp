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

void CommandTable::number(CommandSpec& spec) {
  spec.id = static_cast<uint32_t>(by_id_.size());
  by_id_.push_back(&spec);
  by_fullname_[spec.fullname] = &spec;
  for (auto& sub : spec.subcommands) number(sub);
}

const CommandSpec* CommandTable::find_declared(std::string_view fullname) const {
  auto it = by_fullname_.find(fullname);
  return it == by_fullname_.end() ? nullptr : it->second;
}

std::vector<std::pair<int, uint32_t>> CommandTable::key_access(const CommandSpec& spec,
                                                               Args args) const {
  std::vector<int> positions = key_positions(spec, args);
  if (key_access_) return key_access_(spec, args, positions);
  std::vector<std::pair<int, uint32_t>> out;
  for (int pos : positions) out.emplace_back(pos, 3u);
  return out;
}

void CommandTable::add(CommandSpec spec) {
  auto owned = std::make_unique<CommandSpec>(std::move(spec));
  link(*owned, nullptr);
  number(*owned);
  ordered_.push_back(owned.get());
  std::string key = owned->name;
  by_name_[key] = std::move(owned);
}

const CommandSpec* CommandTable::find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second.get();
}

bool CommandTable::rename(std::string_view from, std::string_view to) {
  auto it = by_name_.find(from);
  if (it == by_name_.end()) return false;
  std::unique_ptr<CommandSpec> spec = std::move(it->second);
  by_name_.erase(it);
  if (to.empty()) {
    std::erase(ordered_, spec.get());
    disabled_.push_back(std::move(spec));
  } else {
    by_name_[std::string(to)] = std::move(spec);
  }
  return true;
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

bool secret_argument(const CommandSpec& spec, Args args, size_t i) {
  return spec.secret_args && spec.secret_args(args, i);
}

const std::vector<std::string_view>& all_acl_categories() {
  static const std::vector<std::string_view> kNames = {
      "keyspace", "read",   "write",       "set",       "sortedset",  "list",        "hash",
      "string",   "bitmap", "hyperloglog", "geo",       "stream",     "pubsub",      "admin",
      "fast",     "slow",   "blocking",    "dangerous", "connection", "transaction", "scripting"};
  return kNames;
}

std::vector<std::string> acl_category_names(uint32_t categories) {
  std::vector<std::string> out;
  const auto& names = all_acl_categories();
  for (size_t bit = 0; bit < names.size(); ++bit) {
    if (categories & (1u << bit)) out.push_back("@" + std::string(names[bit]));
  }
  return out;
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
      {kNoAsyncLoading, "no_async_loading"},
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
