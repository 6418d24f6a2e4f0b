#include "command_docs.hpp"

#include <string>
#include <unordered_map>

namespace kvd::commands {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// Splits off the text before the next " | " (the whole rest if none).
std::string_view next_field(std::string_view& line) {
  size_t bar = line.find(" | ");
  std::string_view field = line.substr(0, bar);
  line = bar == std::string_view::npos ? std::string_view() : line.substr(bar + 3);
  return trim(field);
}

using DocIndex = std::unordered_map<std::string_view, CommandDoc>;

DocIndex parse_docs(std::string_view text) {
  DocIndex index;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (trim(line).empty() || line.front() == '#') continue;
    std::string_view name = next_field(line);
    CommandDoc doc;
    doc.since = next_field(line);
    doc.complexity = next_field(line);
    doc.summary = trim(line);
    index.emplace(name, doc);
  }
  return index;
}

}  // namespace

const CommandDoc* find_command_doc(std::string_view name) {
  static const DocIndex kIndex = parse_docs(kCommandDocsText);
  auto it = kIndex.find(name);
  return it == kIndex.end() ? nullptr : &it->second;
}

}  // namespace kvd::commands
