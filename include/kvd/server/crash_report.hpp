#pragma once

#include <string>

namespace kvd::server {

// Installs handlers for the signals that mean kvd itself failed (SIGSEGV,
// SIGBUS, SIGFPE, SIGILL, SIGABRT): they write a bug report to the log, the
// signal, the faulting address and a stack trace under Redis's
// "------ STACK TRACE ------" heading, then let the signal end the process
// as it would have (a core dump where enabled). `logfile` empty = stdout.
// Off when crash-log-enabled is no, as in Redis.
void install_crash_report(const std::string& logfile);

}  // namespace kvd::server
