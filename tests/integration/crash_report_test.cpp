// When kvd itself fails (a segfault, an abort), its log gets a bug report
// with a stack trace, as Redis writes one, and the signal still ends the
// process. Not under AddressSanitizer, whose own report takes that place.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>
#include <string>

#include "kvd_process.hpp"

namespace kvd::itest {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool sanitized() {
#if defined(__SANITIZE_ADDRESS__)
  return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return true;
#else
  return false;
#endif
#else
  return false;
#endif
}

// The signal that ended the server, or -1.
int death_signal(KvdProcess& kvd) {
  int status = kvd.wait_for_exit();
  return status != -1 && WIFSIGNALED(status) ? WTERMSIG(status) : -1;
}

TEST(CrashReport, DebugSegfaultLogsAStackTraceAndDies) {
  if (sanitized()) GTEST_SKIP() << "AddressSanitizer reports crashes itself";
  KvdProcess kvd({"--enable-debug-command", "yes", "--crash-memcheck-enabled", "no"});
  const std::string log = "/tmp/kvd-itest-" + std::to_string(kvd.port()) + ".log";
  auto c = kvd.connect();
  KvdProcess::command(c.get(), {"DEBUG", "SEGFAULT"});
  EXPECT_EQ(death_signal(kvd), SIGSEGV);
  const std::string text = read_file(log);
  EXPECT_NE(text.find("crashed by signal: 11"), std::string::npos) << text;
  EXPECT_NE(text.find("------ STACK TRACE ------"), std::string::npos) << text;
  EXPECT_NE(text.find("=== KVD BUG REPORT END"), std::string::npos) << text;
}

TEST(CrashReport, AbortFromOutsideNamesTheSender) {
  if (sanitized()) GTEST_SKIP() << "AddressSanitizer reports crashes itself";
  KvdProcess kvd;
  const pid_t pid = kvd.pid();
  const std::string log = "/tmp/kvd-itest-" + std::to_string(kvd.port()) + ".log";
  ::kill(pid, SIGABRT);
  EXPECT_EQ(death_signal(kvd), SIGABRT);
  const std::string text = read_file(log);
  EXPECT_NE(text.find("crashed by signal: 6"), std::string::npos) << text;
  EXPECT_NE(text.find("Killed by PID: " + std::to_string(::getpid())), std::string::npos) << text;
  EXPECT_NE(text.find("------ STACK TRACE ------"), std::string::npos) << text;
}

}  // namespace
}  // namespace kvd::itest
