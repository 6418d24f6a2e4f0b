#pragma once

#include <string>

namespace kvd::server {

// Sets up the process-wide spdlog logger: stdout, or `logfile` when given, with
// Redis's line format ("pid:M 26 Nov 2026 13:36:02.123 * message").
void init_logging(const std::string& logfile, const std::string& level);
void set_log_level(const std::string& level);

}  // namespace kvd::server
