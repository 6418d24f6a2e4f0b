// The ACL file (aclfile): one "user <name> <rules...>" line per user, as
// ACL SAVE writes it and ACL LOAD reads it, and the ACL LOG.
#include <algorithm>
#include <cctype>

#include "kvd/engine/acl.hpp"

namespace kvd::engine {
namespace {

std::string trim(std::string_view s, std::string_view chars) {
  size_t b = s.find_first_not_of(chars);
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(chars);
  return std::string(s.substr(b, e - b + 1));
}

// Split at every single space, as Redis splits ACL file lines (two spaces
// give an empty word, which is a rule that does nothing).
std::vector<std::string> split_spaces(const std::string& line) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t sp = line.find(' ', start);
    out.push_back(line.substr(start, sp == std::string::npos ? std::string::npos : sp - start));
    if (sp == std::string::npos) break;
    start = sp + 1;
  }
  return out;
}

bool has_blank(std::string_view s) {
  for (char c : s)
    if (std::isspace(static_cast<unsigned char>(c)) || c == 0) return true;
  return false;
}

}  // namespace

std::string Acl::parse_file(const std::string& text, const std::string& filename,
                            UserMap& out) const {
  std::string errors;
  size_t start = 0;
  int lineno = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    std::string line = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    start = nl == std::string::npos ? text.size() + 1 : nl + 1;
    ++lineno;
    line = trim(line, " \t\r\n");
    if (line.empty()) continue;
    const std::string where = filename + ":" + std::to_string(lineno);
    std::vector<std::string> words = split_spaces(line);
    if (words[0] != "user" || words.size() < 2) {
      errors += where + " should start with user keyword followed by the username. ";
      continue;
    }
    if (has_blank(words[1])) {
      errors += "'" + where + ": username '" + words[1] + "' contains invalid characters. ";
      continue;
    }
    if (out.count(words[1])) {
      errors += "WARNING: Duplicate user '" + words[1] + "' found on line " +
                std::to_string(lineno) + ". ";
      continue;
    }
    AclUser u = make_user(words[1]);
    std::vector<std::string> rules(words.begin() + 2, words.end()), merged;
    if (!merge_selector_words(rules, merged, nullptr))
      errors += where + ": Unmatched parenthesis in selector definition.";
    bool syntax_error = false;
    for (auto& rule : merged) {
      rule = trim(rule, "\t\r\n");
      AclRuleError e = apply(u, rule);
      if (e == AclRuleError::kOk) continue;
      if (e == AclRuleError::kUnknownName) {
        errors += where + ": Error in applying operation '" + rule +
                  "': " + acl_rule_error_text(e) + ". ";
      } else if (!syntax_error) {
        // Only the first: later rules may fail because of it.
        errors += where + ": " + acl_rule_error_text(e) + ". ";
        syntax_error = true;
      }
    }
    std::string name = u.name;
    out[name] = std::make_unique<AclUser>(std::move(u));
  }
  if (!errors.empty())
    errors +=
        "WARNING: ACL errors detected, no change to the previously active ACL rules was "
        "performed";
  return errors;
}

void Acl::add_log(AclLogEntry entry) {
  // A refusal like a recent one (same reason, context, object and user,
  // within a minute) bumps that entry instead of adding another.
  constexpr int64_t kGroupMs = 60000;
  size_t scan = std::min<size_t>(log_.size(), 10);
  for (size_t i = 0; i < scan; ++i) {
    AclLogEntry& e = log_[i];
    int64_t delta = e.ctime_ms - entry.ctime_ms;
    if (delta < 0) delta = -delta;
    if (e.reason == entry.reason && e.context == entry.context && delta <= kGroupMs &&
        e.object == entry.object && e.username == entry.username) {
      AclLogEntry match = std::move(e);
      match.client_info = std::move(entry.client_info);
      match.ctime_ms = entry.ctime_ms;
      ++match.count;
      log_.erase(log_.begin() + static_cast<std::ptrdiff_t>(i));
      log_.push_front(std::move(match));
      return;
    }
  }
  log_.push_front(std::move(entry));
  while (log_.size() > log_max_len) log_.pop_back();
}

}  // namespace kvd::engine
