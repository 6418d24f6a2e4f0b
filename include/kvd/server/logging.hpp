#pragma once

#include <string>

namespace kvd::server {

// syslog-enabled / syslog-ident / syslog-facility.
struct SyslogOptions {
  bool enabled = false;
  std::string ident = "redis";
  std::string facility = "local0";  // user, local0 .. local7
};

// Sets up the process-wide spdlog logger: stdout, or `logfile` when given, with
// Redis's line format "<pid>:<role> <dd Mon yyyy hh:mm:ss.mmm> <mark> <message>",
// the role M master, S replica, C forked child, the mark '.' debug,
// '-' verbose, '*' notice, '#' warning. With syslog enabled every line also
// goes to syslog (the message alone, at Redis's priorities). Returns "" or
// why the log file cannot be opened.
std::string init_logging(const std::string& logfile, const std::string& level,
                         const SyslogOptions& syslog = {});
void set_log_level(const std::string& level);
// This process is the server from now on (after daemonize forked): its lines
// show M/S, other pids' lines C.
void set_log_main_pid();
// The role the lines show from now on (replication switches it).
void set_log_role(bool replica);
// Closes the log file and opens it again at its path (SIGHUP, after a
// rotation moved it). Lines logged meanwhile wait for the sink's lock.
void reopen_log_file();

// What redis-server logs once it listens: the ASCII logo, whose "PID: <pid>"
// line tools and Redis's test harness wait for, when `show_logo` (or when the
// log is a terminal), else the one line "Running mode=standalone, port=N.".
void log_banner(bool show_logo, long port);

}  // namespace kvd::server
