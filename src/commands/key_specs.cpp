#include "key_specs.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <unordered_map>

#include "kvd/common/strings.hpp"

namespace kvd::commands {
namespace {

struct FlagName {
  KeyFlag bit;
  std::string_view name;
};
constexpr FlagName kFlagNames[] = {
    {kKeyRO, "RO"},
    {kKeyRW, "RW"},
    {kKeyOW, "OW"},
    {kKeyRM, "RM"},
    {kKeyAccess, "access"},
    {kKeyUpdate, "update"},
    {kKeyInsert, "insert"},
    {kKeyDelete, "delete"},
    {kKeyNotKey, "not_key"},
    {kKeyIncomplete, "incomplete"},
    {kKeyVariableFlags, "variable_flags"},
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// Splits off the text before `sep` (the whole rest if none).
std::string_view next_field(std::string_view& line, std::string_view sep) {
  size_t at = line.find(sep);
  std::string_view field = line.substr(0, at);
  line = at == std::string_view::npos ? std::string_view() : line.substr(at + sep.size());
  return trim(field);
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  while (!(s = trim(s)).empty()) out.push_back(next_field(s, " "));
  return out;
}

int to_int(std::string_view s) {
  return std::atoi(std::string(s).c_str());
}

// "<flags> / <begin_search> / <find_keys>" (see key_specs.txt's header).
KeySpec parse_spec(std::string_view text) {
  KeySpec k;
  for (auto w : words(next_field(text, " / "))) {
    for (const auto& f : kFlagNames)
      if (iequals(w, f.name)) k.flags |= f.bit;
  }
  auto begin = words(next_field(text, " / "));
  if (begin.size() == 2 && begin[0] == "index") {
    k.begin = KeySpec::Begin::kIndex;
    k.pos = to_int(begin[1]);
  } else if (begin.size() == 3 && begin[0] == "keyword") {
    k.begin = KeySpec::Begin::kKeyword;
    k.keyword = begin[1];
    k.startfrom = to_int(begin[2]);
  }
  auto find = words(next_field(text, " / "));
  k.notes = text;
  if (find.size() == 4 && find[0] == "range") {
    k.find = KeySpec::Find::kRange;
    k.lastkey = to_int(find[1]);
    k.step = to_int(find[2]);
    k.limit = to_int(find[3]);
  } else if (find.size() == 4 && find[0] == "keynum") {
    k.find = KeySpec::Find::kKeynum;
    k.keynumidx = to_int(find[1]);
    k.firstkey = to_int(find[2]);
    k.keystep = to_int(find[3]);
  }
  return k;
}

using SpecIndex = std::unordered_map<std::string, std::vector<KeySpec>>;

SpecIndex parse_all(std::string_view text) {
  SpecIndex index;
  while (!text.empty()) {
    std::string_view line = next_field(text, "\n");
    if (line.empty() || line.front() == '#') continue;
    std::string name(next_field(line, " | "));
    // "object freq" in the file is "object|freq" in the command table.
    for (char& c : name)
      if (c == ' ') c = '|';
    auto& specs = index[name];
    while (!line.empty()) specs.push_back(parse_spec(next_field(line, " | ")));
  }
  return index;
}

// The positions one spec gives for this command line (Redis's rules for
// index/keyword and range/keynum); false when it cannot tell (an unknown
// spec, or arguments that do not fit it).
bool spec_positions(const KeySpec& k, engine::Args args, std::vector<int>* out) {
  const int argc = static_cast<int>(args.size());
  int first = 0;
  if (k.begin == KeySpec::Begin::kIndex) {
    first = k.pos;
  } else if (k.begin == KeySpec::Begin::kKeyword) {
    const bool forward = k.startfrom > 0;
    for (int i = forward ? k.startfrom : argc + k.startfrom; i >= 1 && i < argc;
         i += forward ? 1 : -1) {
      if (iequals(args[i], k.keyword)) {
        first = i + 1;
        break;
      }
    }
    if (first == 0) return true;  // keyword absent: no keys from this spec
  } else {
    return false;
  }
  int last, step;
  if (k.find == KeySpec::Find::kRange) {
    step = k.step > 0 ? k.step : 1;
    if (k.lastkey >= 0)
      last = first + k.lastkey;
    else if (k.limit == 0)
      last = argc + k.lastkey;
    else
      last = first + (argc - first) / k.limit + k.lastkey;
  } else if (k.find == KeySpec::Find::kKeynum) {
    step = k.keystep > 0 ? k.keystep : 1;
    if (first + k.keynumidx >= argc) return false;
    int64_t n;
    if (!parse_int64(args[first + k.keynumidx], &n) || n < 0) return false;
    first += k.firstkey;
    last = first + static_cast<int>(n) - 1;
  } else {
    return false;
  }
  if (last >= argc || last < first || first >= argc) return false;
  for (int i = first; i <= last; i += step) out->push_back(i);
  return true;
}

// Flags that depend on the command line, as Redis's getkeys procedures set
// them; 0 when the spec's own flags apply.
uint32_t option_dependent_flags(const engine::CommandSpec& spec, engine::Args args, int pos) {
  const std::string& name = spec.fullname;
  if (name == "set") {
    for (size_t i = 3; i < args.size(); ++i)
      if (iequals(args[i], "get")) return kKeyRW | kKeyAccess | kKeyUpdate;
    return kKeyOW | kKeyUpdate;
  }
  if (name == "bitfield") {
    for (size_t i = 2; i < args.size(); ++i)
      if (iequals(args[i], "set") || iequals(args[i], "incrby"))
        return kKeyRW | kKeyAccess | kKeyUpdate;
    return kKeyRO | kKeyAccess;
  }
  if ((name == "sort" || name == "sort_ro") && pos > 1) return kKeyOW | kKeyUpdate;  // STORE
  return 0;
}

}  // namespace

LegacyKeyRange legacy_key_range(const std::vector<KeySpec>& specs) {
  LegacyKeyRange r;
  auto plain_range = [](const KeySpec& k) {
    return k.begin == KeySpec::Begin::kIndex && k.find == KeySpec::Find::kRange;
  };
  auto absolute_last = [](const KeySpec& k) {
    return k.lastkey >= 0 ? k.pos + k.lastkey : k.lastkey;
  };
  if (specs.size() == 1 && plain_range(specs[0])) {
    r.first = specs[0].pos;
    r.last = absolute_last(specs[0]);
    r.step = specs[0].step;
    return r;
  }
  int first = 0;
  unsigned last = 0;  // unsigned: a negative (from the end) last key wins
  unsigned prev_last = 0;
  for (const auto& k : specs) {
    if (!plain_range(k) || k.step != 1) continue;
    if (prev_last && prev_last != static_cast<unsigned>(k.pos - 1)) continue;
    if (first == 0 || k.pos < first) first = k.pos;
    last = std::max(last, static_cast<unsigned>(absolute_last(k)));
    prev_last = last;
  }
  if (first == 0) return r;
  r.first = first;
  r.last = static_cast<int>(last);
  r.step = 1;
  return r;
}

std::vector<std::string_view> key_flag_names(uint32_t flags) {
  std::vector<std::string_view> out;
  for (const auto& f : kFlagNames)
    if (flags & f.bit) out.push_back(f.name);
  return out;
}

const std::vector<KeySpec>* find_key_specs(std::string_view fullname) {
  static const SpecIndex kIndex = parse_all(kKeySpecsText);
  auto it = kIndex.find(std::string(fullname));
  return it == kIndex.end() ? nullptr : &it->second;
}

std::vector<std::pair<int, uint32_t>> keys_and_flags(const engine::CommandSpec& spec,
                                                     engine::Args args,
                                                     const std::vector<int>& positions) {
  const std::vector<KeySpec>* specs = find_key_specs(spec.fullname);
  // Which spec covers each position: the first that yields it.
  std::unordered_map<int, uint32_t> covered;
  uint32_t fallback = 0;  // for keys no spec can place (unknown, incomplete)
  if (specs) {
    for (const auto& k : *specs) {
      std::vector<int> found;
      if (!spec_positions(k, args, &found) || (k.flags & kKeyIncomplete)) fallback = k.flags;
      for (int p : found) covered.emplace(p, k.flags);
    }
    if (fallback == 0 && !specs->empty()) fallback = specs->back().flags;
  }
  std::vector<std::pair<int, uint32_t>> out;
  out.reserve(positions.size());
  for (int p : positions) {
    uint32_t flags = option_dependent_flags(spec, args, p);
    if (flags == 0) {
      auto it = covered.find(p);
      flags = it != covered.end() ? it->second : fallback;
    }
    out.emplace_back(p, flags & ~kKeyVariableFlags);
  }
  return out;
}

}  // namespace kvd::commands
