#pragma once

#include <cstdint>
#include <string>

namespace kvd::server {

// Detaches from the terminal (fork, setsid, stdio to /dev/null). Must run before
// any thread starts. Returns false on failure.
bool daemonize();
// Writes the pid file; returns false (and logs) on failure.
// Redis changes into `dir` while it reads its configuration, so a relative
// logfile or pidfile is in `dir`; kvd keeps its working directory and
// resolves such a path there (`dir` is absolute once loaded).
std::string path_in_dir(const std::string& dir, const std::string& path);
bool write_pidfile(const std::string& path);
void remove_pidfile(const std::string& path);
// Raises the open-files limit to what `maxclients` clients need plus 32
// descriptors of kvd's own, as redis-server does: when the limit cannot go
// that high, the highest one it can is taken and maxclients is lowered to
// fit (logged with Redis's lines). Returns the maxclients in effect, or -1
// when not even one client fits (kvd must not start).
int64_t fit_maxclients_to_fd_limit(int64_t maxclients);
// /proc/sys/net/core/somaxconn, or -1 where it does not exist (macOS).
int read_somaxconn();

// oom-score-adj: the kernel's OOM-killer preference for this process, as
// Redis sets it. `mode` is the directive ("no", "yes"/"relative",
// "absolute"), `values` its three classes (master, replica, background
// child). The score the process had before kvd first changed it is kept
// and put back when the directive returns to "no". "" or why it failed.
class OomScoreAdjuster {
 public:
  std::string apply(const std::string& mode, const std::string& values, int process_class);

 private:
  bool adjusted_ = false;
  int base_ = 0;
};

}  // namespace kvd::server
