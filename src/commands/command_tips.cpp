#include "command_tips.hpp"

#include <string>
#include <unordered_map>

namespace kvd::commands {
namespace {

using TipIndex = std::unordered_map<std::string, std::vector<std::string_view>>;

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// One line per command: "<name> | <tip> <tip> ...", where a subcommand's
// name is "<container> <sub>"; '#' starts a comment line.
TipIndex parse_all(std::string_view text) {
  TipIndex index;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    size_t bar = line.find(" | ");
    if (line.empty() || line.front() == '#' || bar == std::string_view::npos) continue;
    std::string name(line.substr(0, bar));
    for (char& c : name)
      if (c == ' ') c = '|';
    std::vector<std::string_view>& tips = index[name];
    std::string_view rest = line.substr(bar + 3);
    while (!(rest = trim(rest)).empty()) {
      size_t sp = rest.find(' ');
      tips.push_back(rest.substr(0, sp));
      rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp);
    }
  }
  return index;
}

}  // namespace

const std::vector<std::string_view>& find_command_tips(std::string_view fullname) {
  static const TipIndex kIndex = parse_all(kCommandTipsText);
  static const std::vector<std::string_view> kNone;
  auto it = kIndex.find(std::string(fullname));
  return it == kIndex.end() ? kNone : it->second;
}

}  // namespace kvd::commands
