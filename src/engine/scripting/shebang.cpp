// The "#!lua flags=..." first line of a script (Redis 7).
#include <cctype>
#include <string>
#include <vector>

#include "kvd/engine/command.hpp"
#include "kvd/engine/scripting.hpp"

namespace kvd::engine {
namespace {

std::vector<std::string_view> split(std::string_view s, char sep, bool skip_empty) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(sep, start);
    if (end == std::string_view::npos) end = s.size();
    std::string_view part = s.substr(start, end - start);
    if (!part.empty() || !skip_empty) parts.push_back(part);
    start = end + 1;
  }
  return parts;
}

struct NamedFlag {
  std::string_view name;
  uint32_t flag;
};
constexpr NamedFlag kFlags[] = {{"no-writes", kScriptNoWrites},
                                {"allow-oom", kScriptAllowOom},
                                {"allow-stale", kScriptAllowStale},
                                {"no-cluster", kScriptNoCluster},
                                {"allow-cross-slot-keys", kScriptAllowCrossSlot}};

bool same_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

}  // namespace

uint32_t script_flag_named(std::string_view name, bool ignore_case) {
  for (const NamedFlag& f : kFlags)
    if (ignore_case ? same_ignoring_case(f.name, name) : f.name == name) return f.flag;
  return 0;
}

uint32_t script_command_flags(uint32_t command_flags, uint32_t script_flags) {
  uint32_t f = command_flags & ~(kStale | kDenyOom | kWrite | kMayReplicate);
  if (!(script_flags & (kScriptAllowOom | kScriptNoWrites))) f |= kDenyOom;
  if (!(script_flags & kScriptNoWrites)) f |= kWrite;
  if (script_flags & kScriptAllowStale) f |= kStale;
  return f;
}

std::vector<std::string_view> script_flag_names(uint32_t flags) {
  std::vector<std::string_view> names;
  for (const NamedFlag& f : kFlags)
    if (flags & f.flag) names.push_back(f.name);
  return names;
}

bool parse_script_shebang(std::string_view body, uint32_t* flags, size_t* shebang_len,
                          std::string* err) {
  *flags = kScriptCompat;
  *shebang_len = 0;
  if (body.substr(0, 2) != "#!") return true;
  size_t eol = body.find('\n');
  if (eol == std::string_view::npos) {
    *err = "Invalid script shebang";
    return false;
  }
  std::string_view line = body.substr(0, eol);
  std::vector<std::string_view> parts;
  for (std::string_view p : split(line, ' ', true))
    if (p != "\t" && p != "\r") parts.push_back(p);
  if (parts.empty()) {
    *err = "Invalid engine in script shebang";
    return false;
  }
  if (parts[0] != "#!lua") {
    *err = "Unexpected engine in script shebang: " + std::string(parts[0]);
    return false;
  }
  *flags = 0;  // a shebang leaves compatibility mode, even without flags
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].substr(0, 6) != "flags=") {
      *err = "Unknown lua shebang option: " + std::string(parts[i]);
      return false;
    }
    std::string_view list = parts[i].substr(6);
    if (list.empty()) continue;
    for (std::string_view name : split(list, ',', false)) {
      uint32_t f = script_flag_named(name, false);
      if (!f) {
        *err = "Unexpected flag in script shebang: " + std::string(name);
        return false;
      }
      *flags |= f;
    }
  }
  *shebang_len = eol;
  return true;
}

}  // namespace kvd::engine
