#include "kvd/server/process.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
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

std::string path_in_dir(const std::string& dir, const std::string& path) {
  return path.empty() || path.front() == '/' || dir.empty() ? path : dir + "/" + path;
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

int64_t fit_maxclients_to_fd_limit(int64_t maxclients) {
  constexpr rlim_t kReserved = 32;  // listeners, log, snapshot files, pipes...
  constexpr rlim_t kStep = 16;
  const rlim_t want = static_cast<rlim_t>(maxclients) + kReserved;
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
    spdlog::warn(
        "Unable to obtain the current NOFILE limit ({}), assuming 1024 and setting the max "
        "clients configuration accordingly.",
        std::strerror(errno));
    return 1024 - static_cast<int64_t>(kReserved);
  }
  const rlim_t old = rl.rlim_cur;
  if (old >= want) return maxclients;
  // From what is wanted down, 16 at a time, to the first limit the kernel
  // grants (raising the hard limit too needs privileges; try it anyway).
  rlim_t best = want;
  int error = 0;
  while (best > old) {
    rlimit r = rl;
    r.rlim_cur = best;
    if (r.rlim_max != RLIM_INFINITY && r.rlim_max < best) r.rlim_max = best;
    if (setrlimit(RLIMIT_NOFILE, &r) == 0) break;
    error = errno;
    best = best > old + kStep ? best - kStep : old;
  }
  if (best >= want) {
    spdlog::info("Increased maximum number of open files to {} (it was originally set to {}).",
                 static_cast<unsigned long long>(want), static_cast<unsigned long long>(old));
    return maxclients;
  }
  if (best <= kReserved) {
    spdlog::warn(
        "Your current 'ulimit -n' of {} is not enough for the server to start. Please increase "
        "your open file limit to at least {}. Exiting.",
        static_cast<unsigned long long>(old), static_cast<unsigned long long>(want));
    return -1;
  }
  const int64_t fitted = static_cast<int64_t>(best - kReserved);
  spdlog::warn("You requested maxclients of {} requiring at least {} max file descriptors.",
               maxclients, static_cast<unsigned long long>(want));
  spdlog::warn("Server can't set maximum open files to {} because of OS error: {}.",
               static_cast<unsigned long long>(want), std::strerror(error));
  spdlog::warn(
      "Current maximum open files is {}. maxclients has been reduced to {} to compensate for "
      "low ulimit. If you need higher maxclients increase 'ulimit -n'.",
      static_cast<unsigned long long>(best), fitted);
  return fitted;
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
