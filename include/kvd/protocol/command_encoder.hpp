#pragma once

#include <string>
#include <string_view>

namespace kvd::protocol {

// Appends a command as a client sends it: a RESP array of bulk strings. What
// the AOF stores and what MIGRATE sends to its target.
template <typename Args>
void append_command(std::string& out, const Args& args) {
  out += '*';
  out += std::to_string(std::size(args));
  out += "\r\n";
  for (const auto& a : args) {
    const std::string_view s(a);
    out += '$';
    out += std::to_string(s.size());
    out += "\r\n";
    out.append(s);
    out += "\r\n";
  }
}

}  // namespace kvd::protocol
