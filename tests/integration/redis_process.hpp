#pragma once
// redis-server 7.0 beside kvd in integration tests: files and connections are
// checked against the reference itself. Tests skip when it is not installed.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "kvd_process.hpp"

namespace kvd::itest {

// The full path of `name` on PATH, or "".
inline std::string find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

// A redis-server child on 127.0.0.1:<free port>, stopped with SIGTERM.
class RedisServer {
 public:
  // `extra` arguments follow the defaults (e.g. "--replicaof", "host port").
  RedisServer(const std::string& binary, const std::string& dir,
              const std::vector<std::string>& extra = {}) {
    port_ = free_port();
    std::vector<std::string> argv{
        binary,   "--port", std::to_string(port_), "--bind", "127.0.0.1",   "--dir", dir,
        "--save", "",       "--appendonly",        "no",     "--daemonize", "no",    "--logfile",
        ""};
    argv.insert(argv.end(), extra.begin(), extra.end());
    pid_ = fork();
    if (pid_ == 0) {
#ifdef __linux__
      prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
      int fd = ::open("/dev/null", O_WRONLY);
      if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        ::close(fd);
      }
      std::vector<char*> cargv;
      for (auto& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      execv(cargv[0], cargv.data());
      _exit(127);
    }
    wait_until([&] {
      auto c = connect();
      return c && !c->err;
    });
  }
  ~RedisServer() {
    stop();
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  int port() const {
    return port_;
  }
  RedisPtr connect() const {
    timeval tv{5, 0};
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
    if (c && !c->err) redisSetTimeout(c, tv);
    return RedisPtr(c, redisFree);
  }

 private:
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace kvd::itest
