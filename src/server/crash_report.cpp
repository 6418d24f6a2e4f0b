#include "kvd/server/crash_report.hpp"

#include <execinfo.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "kvd/common/version.hpp"

namespace kvd::server {
namespace {

// Everything the handler needs is prepared before any crash: it may only
// call async-signal-safe functions (open, write, close, sigaction, raise),
// plus backtrace(), whose first call (which loads libgcc) happens at install.
char g_log_path[4096];

void write_str(int fd, const char* s) {
  size_t n = std::strlen(s);
  while (n > 0) {
    ssize_t w = ::write(fd, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<size_t>(w);
  }
}

// snprintf is not on the async-signal-safe list: numbers are written by hand.
void write_num(int fd, unsigned long long v, int base = 10) {
  char buf[32];
  int i = sizeof buf;
  do {
    buf[--i] = "0123456789abcdef"[v % static_cast<unsigned>(base)];
    v /= static_cast<unsigned>(base);
  } while (v && i > 0);
  ssize_t w = ::write(fd, buf + i, sizeof buf - static_cast<size_t>(i));
  (void)w;
}

void on_crash(int sig, siginfo_t* info, void*) {
  int fd = g_log_path[0] ? ::open(g_log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)
                         : STDOUT_FILENO;
  if (fd < 0) fd = STDERR_FILENO;
  write_str(fd, "\n\n=== KVD BUG REPORT START: Cut & paste starting from here ===\n");
  write_num(fd, static_cast<unsigned long long>(::getpid()));
  write_str(fd, ":M # kvd ");
  write_str(fd, kVersion);
  write_str(fd, " crashed by signal: ");
  write_num(fd, static_cast<unsigned long long>(sig));
  write_str(fd, ", si_code: ");
  const int code = info ? info->si_code : 0;  // negative for signals sent by a process
  if (code < 0) write_str(fd, "-");
  write_num(fd, static_cast<unsigned long long>(code < 0 ? -static_cast<long long>(code) : code));
  write_str(fd, "\n");
  if (info && (sig == SIGSEGV || sig == SIGBUS)) {
    write_str(fd, "Accessing address: 0x");
    write_num(fd, reinterpret_cast<unsigned long long>(info->si_addr), 16);
    write_str(fd, "\n");
  }
  if (info && sig == SIGABRT && info->si_pid != 0 && info->si_pid != ::getpid()) {
    write_str(fd, "Killed by PID: ");
    write_num(fd, static_cast<unsigned long long>(info->si_pid));
    write_str(fd, "\n");
  }
  write_str(fd, "\n------ STACK TRACE ------\n\nBacktrace:\n");
  void* frames[64];
  int n = ::backtrace(frames, 64);
  ::backtrace_symbols_fd(frames, n, fd);
  write_str(fd, "\n=== KVD BUG REPORT END. Make sure to include from START to END. ===\n\n");
  if (fd != STDOUT_FILENO && fd != STDERR_FILENO) ::close(fd);
  // Let the signal do what it would have done: end the process (and dump
  // core where that is enabled).
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  ::sigaction(sig, &dfl, nullptr);
  ::raise(sig);
}

}  // namespace

void install_crash_report(const std::string& logfile) {
  std::snprintf(g_log_path, sizeof g_log_path, "%s", logfile.c_str());
  void* warm[2];
  (void)::backtrace(warm, 2);
  struct sigaction sa {};
  sa.sa_sigaction = on_crash;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) ::sigaction(sig, &sa, nullptr);
}

}  // namespace kvd::server
