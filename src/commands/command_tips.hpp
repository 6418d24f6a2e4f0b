#pragma once

#include <string_view>
#include <vector>

// Command tips: Redis 7's hints to cluster clients about a command (how to
// route it, how to merge the replies of several shards, whether its output
// is deterministic). COMMAND INFO lists them. The data is command_tips.txt,
// written by scripts/gen-key-specs and embedded by the build.
namespace kvd::commands {

// The tips of a command or subcommand by full name ("keys", "config|set"),
// lowercase as Redis prints them; empty when it has none.
const std::vector<std::string_view>& find_command_tips(std::string_view fullname);

// The embedded file, as the build wrote it.
extern const char* const kCommandTipsText;

}  // namespace kvd::commands
