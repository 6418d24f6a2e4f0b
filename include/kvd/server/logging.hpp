#pragma once

#include <string>

namespace kvd::server {

// Sets up the process-wide spdlog logger: stdout, or `logfile` when given, with
// Redis's line format "<pid>:<role> <dd Mon yyyy hh:mm:ss.mmm> <mark> <message>",
// the role M master, S replica, C forked child, the mark '.' debug,
// '-' verbose, '*' notice, '#' warning.
void init_logging(const std::string& logfile, const std::string& level);
void set_log_level(const std::string& level);
// The role the lines show from now on (replication switches it).
void set_log_role(bool replica);

// What redis-server logs once it listens: the ASCII logo, whose "PID: <pid>"
// line tools and Redis's test harness wait for, when `show_logo` (or when the
// log is a terminal), else the one line "Running mode=standalone, port=N.".
void log_banner(bool show_logo, long port);

}  // namespace kvd::server
