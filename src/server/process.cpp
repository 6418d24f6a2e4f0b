#include "kvd/server/process.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace kvd::server {

bool daemonize() {
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid > 0) _exit(0);  // the parent returns to the shell
  if (setsid() < 0) return false;
  int fd = open("/dev/null", O_RDWR);
  if (fd >= 0) {
    dup2(fd, STDIN_FILENO);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    if (fd > STDERR_FILENO) close(fd);
  }
  return true;
}

bool write_pidfile(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return false;
  std::fprintf(f, "%d\n", static_cast<int>(getpid()));
  std::fclose(f);
  return true;
}

void remove_pidfile(const std::string& path) {
  if (!path.empty()) ::unlink(path.c_str());
}

int read_somaxconn() {
  std::ifstream f("/proc/sys/net/core/somaxconn");
  int v = -1;
  if (f) f >> v;
  return f ? v : -1;
}

}  // namespace kvd::server
