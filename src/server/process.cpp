#include "kvd/server/process.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include <spdlog/spdlog.h>

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

std::string OomScoreAdjuster::apply(const std::string& mode, const std::string& values,
                                    int process_class) {
#ifdef __linux__
  constexpr const char* kPath = "/proc/self/oom_score_adj";
  int value = 0;
  if (mode != "no") {
    if (!adjusted_) {
      // The score set from outside (systemd's OOMScoreAdjust=, a parent)
      // is the base "relative" values add to.
      FILE* f = std::fopen(kPath, "r");
      if (!f || std::fscanf(f, "%d", &base_) != 1) base_ = 0;
      if (f) std::fclose(f);
    }
    int classes[3] = {0, 200, 800};
    std::sscanf(values.c_str(), "%d %d %d", &classes[0], &classes[1], &classes[2]);
    value = classes[std::clamp(process_class, 0, 2)];
    if (mode != "absolute") value += base_;
    value = std::clamp(value, -1000, 1000);
  } else if (adjusted_) {
    value = base_;
  } else {
    return "";
  }
  int fd = ::open(kPath, O_WRONLY | O_CLOEXEC);
  const std::string text = std::to_string(value);
  if (fd < 0 || ::write(fd, text.data(), text.size()) < 0) {
    spdlog::warn("Unable to write oom_score_adj: {}", std::strerror(errno));
    if (fd >= 0) ::close(fd);
    return "Failed to set current oom_score_adj. Check server logs.";
  }
  ::close(fd);
  adjusted_ = mode != "no";
#else
  (void)mode, (void)values, (void)process_class;
#endif
  return "";
}

}  // namespace kvd::server
