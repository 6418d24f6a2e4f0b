#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kvd::protocol {

// Splits a line into arguments the way redis-cli and redis.conf do: blanks
// separate arguments, "double quotes" take C-style escapes (\n, \xHH, ...),
// 'single quotes' take only \'. Returns nullopt on unbalanced quotes or when a
// closing quote is not followed by a blank.
std::optional<std::vector<std::string>> split_args(std::string_view line);

}  // namespace kvd::protocol
