#pragma once

#include <string>

namespace kvd::server {

// Detaches from the terminal (fork, setsid, stdio to /dev/null). Must run before
// any thread starts. Returns false on failure.
bool daemonize();
// Writes the pid file; returns false (and logs) on failure.
bool write_pidfile(const std::string& path);
void remove_pidfile(const std::string& path);
// /proc/sys/net/core/somaxconn, or -1 where it does not exist (macOS).
int read_somaxconn();

}  // namespace kvd::server
