// How kvd runs as a service, as redis-server does: systemd's notify
// protocol (read here from a datagram socket of our own, as systemd would),
// the process title ps shows, the log reopened after a rotation, and
// built-in defaults equal to redis-server's.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "kvd_process.hpp"
#include "redis_process.hpp"

namespace kvd::itest {
namespace {

using Cmd = std::vector<std::string>;

std::string str(const ReplyPtr& r) {
  if (!r) return "<no reply>";
  if (r->type == REDIS_REPLY_INTEGER) return std::to_string(r->integer);
  if (r->str) return std::string(r->str, r->len);
  return "";
}

// systemd's end of NOTIFY_SOCKET: a datagram socket bound to a path.
class NotifyListener {
 public:
  explicit NotifyListener(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~NotifyListener() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  bool bound() const { return bound_; }

  // The messages that arrive until `last` is among them or the deadline passes.
  std::vector<std::string> read_until(
      const std::string& last, std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
    std::vector<std::string> got;
    const auto end = Clock::now() + deadline;
    while (Clock::now() < end) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) continue;
      got.emplace_back(buf, static_cast<size_t>(n));
      if (got.back() == last) break;
    }
    return got;
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
};

// Sets an environment variable for the servers started in a scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { ::unsetenv(name_); }

 private:
  const char* name_;
};

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(Supervision, SystemdHearsLoadingReadyAndStopping) {
  TempDir dir("kvd-ops-itest");
  NotifyListener systemd(dir.path + "/notify");
  ASSERT_TRUE(systemd.bound());
  std::unique_ptr<KvdProcess> kvd;
  {
    ScopedEnv env("NOTIFY_SOCKET", dir.path + "/notify");
    // daemonize is ignored under a supervisor: systemd tracks this pid.
    kvd = std::make_unique<KvdProcess>(Cmd{"--supervised", "systemd", "--daemonize", "yes", "--dir",
                                           dir.path, "--loglevel", "notice"});
  }
  std::vector<std::string> start = systemd.read_until("READY=1\n");
  ASSERT_FALSE(start.empty());
  EXPECT_EQ(start.front(), "STATUS=kvd is loading...\n");
  EXPECT_TRUE(contains(start, "STATUS=Ready to accept connections\n"));
  EXPECT_EQ(start.back(), "READY=1\n");
  auto c = kvd->connect();
  EXPECT_EQ(info_field(c.get(), "process_supervised"), "systemd");
  EXPECT_EQ(info_field(c.get(), "process_id"), std::to_string(kvd->pid()));
  EXPECT_NE(kvd->log_text().find("Supervised by systemd"), std::string::npos);
  // A shutdown that saves says so before it stops.
  KvdProcess::command(c.get(), {"SET", "k", "v"});
  KvdProcess::command(c.get(), {"SHUTDOWN", "SAVE"});
  std::vector<std::string> stop = systemd.read_until("STATUS=Saving the final RDB snapshot\n");
  EXPECT_TRUE(contains(stop, "STOPPING=1\n"));
  EXPECT_TRUE(contains(stop, "STATUS=Saving the final RDB snapshot\n"));
  EXPECT_EQ(kvd->wait_for_exit(), 0);
}

TEST(Supervision, AutoDetectsSystemdAndNoSocketMeansUnsupervised) {
  TempDir dir("kvd-ops-itest");
  NotifyListener systemd(dir.path + "/notify");
  {
    ScopedEnv env("NOTIFY_SOCKET", dir.path + "/notify");
    KvdProcess kvd({"--supervised", "auto"});
    EXPECT_FALSE(systemd.read_until("READY=1\n").empty());
    auto c = kvd.connect();
    EXPECT_EQ(info_field(c.get(), "process_supervised"), "systemd");
  }
  ::unsetenv("NOTIFY_SOCKET");
  KvdProcess plain({"--supervised", "systemd", "--loglevel", "notice"});
  auto c = plain.connect();
  EXPECT_EQ(info_field(c.get(), "process_supervised"), "no");
  EXPECT_NE(plain.log_text().find("systemd supervision error: NOTIFY_SOCKET not found!"),
            std::string::npos);
}

// daemonize: the starting process exits, the server goes on in a new one that
// writes its pid file and logs as the master (M), not as a child (C).
TEST(Daemonize, ServesFromThePidFilesProcess) {
  TempDir dir("kvd-ops-itest");
  const int port = free_port();
  const std::string pidfile = dir.path + "/kvd.pid", log = dir.path + "/kvd.log";
  {
    Child starter({KVD_BINARY, "--port", std::to_string(port), "--bind", "127.0.0.1", "--save", "",
                   "--daemonize", "yes", "--pidfile", pidfile, "--logfile", log},
                  dir.path + "/starter.log");
    ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(pidfile); }));
  }
  pid_t pid = 0;
  std::ifstream(pidfile) >> pid;
  ASSERT_GT(pid, 0);
  timeval tv{5, 0};
  RedisPtr c(redisConnectWithTimeout("127.0.0.1", port, tv), redisFree);
  ASSERT_TRUE(wait_until([&] {
    c.reset(redisConnectWithTimeout("127.0.0.1", port, tv));
    return c && !c->err && str(KvdProcess::command(c.get(), {"PING"})) == "PONG";
  }));
  EXPECT_EQ(info_field(c.get(), "process_id"), std::to_string(pid));
  KvdProcess::command(c.get(), {"SHUTDOWN", "NOSAVE"});
  ASSERT_TRUE(wait_until([&] { return ::kill(pid, 0) != 0; }));
  std::ifstream in(log);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find(std::to_string(pid) + ":M "), std::string::npos) << text;
  EXPECT_EQ(text.find(std::to_string(pid) + ":C "), std::string::npos) << text;
  EXPECT_FALSE(std::filesystem::exists(pidfile));  // removed on the way out
}

std::string cmdline(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return s.substr(0, s.find('\0'));
}

TEST(ProcTitle, PsShowsTheTemplateAndConfigSetChangesIt) {
  KvdProcess kvd;
  const std::string port = std::to_string(kvd.port());
  EXPECT_EQ(cmdline(kvd.pid()), std::string(KVD_BINARY) + " 127.0.0.1:" + port);
  auto c = kvd.connect();
  EXPECT_EQ(str(KvdProcess::command(c.get(), {"CONFIG", "SET", "proc-title-template",
                                              "kvd-{port} {{{listen-addr}}} {config-file}"})),
            "OK");
  EXPECT_EQ(cmdline(kvd.pid()), "kvd-" + port + " {127.0.0.1:" + port + "} -");
  auto bad = KvdProcess::command(c.get(), {"CONFIG", "SET", "proc-title-template", "{nope}"});
  EXPECT_NE(str(bad).find("template format is invalid or contains unknown variables"),
            std::string::npos);
}

TEST(ProcTitle, OffLeavesTheCommandLine) {
  KvdProcess kvd({"--set-proc-title", "no"});
  EXPECT_EQ(cmdline(kvd.pid()), std::string(KVD_BINARY));
}

// As redis-server, which changes into `dir` while reading its config: a
// relative logfile (Redis's own Sentinel tests use `logfile log.txt`) is
// written in `dir`, not in the directory the server was started from.
TEST(LogFile, ARelativePathIsInDir) {
  TempDir dir("kvd-ops-itest");
  const std::string name = "kvd-relative-" + std::to_string(::getpid()) + ".log";
  KvdProcess kvd({"--dir", dir.path, "--logfile", name});
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(dir.path + "/" + name); }));
  EXPECT_FALSE(std::filesystem::exists(name));
}

TEST(LogFile, SighupReopensItAfterARotation) {
  TempDir dir("kvd-ops-itest");
  const std::string log = dir.path + "/kvd.log";
  KvdProcess kvd({"--logfile", log, "--loglevel", "notice"});
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(log); }));
  std::filesystem::rename(log, log + ".1");  // what logrotate does
  ::kill(kvd.pid(), SIGHUP);
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(log); }));
  auto c = kvd.connect();
  EXPECT_EQ(str(KvdProcess::command(c.get(), {"PING"})), "PONG");  // still serving
  kvd.stop();
  std::ifstream fresh(log);
  std::string text((std::istreambuf_iterator<char>(fresh)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("Received SIGHUP, log file reopened."), std::string::npos);
  EXPECT_NE(text.find("Received SIGTERM scheduling shutdown..."), std::string::npos);
  std::ifstream old(log + ".1");
  std::string rotated((std::istreambuf_iterator<char>(old)), std::istreambuf_iterator<char>());
  EXPECT_NE(rotated.find("Ready to accept connections"), std::string::npos);
  EXPECT_EQ(rotated.find("SIGTERM"), std::string::npos);
}

// What a command printed (stdout and stderr).
std::string output_of(const std::string& command) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return "<popen failed>";
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  ::pclose(p);
  return out;
}

// conf/kvd.service loads in systemd without a warning (its ExecStart pointed
// at this build's binary: systemd checks that the program exists).
TEST(SystemdUnit, VerifiesClean) {
  const std::string analyze = find_program("systemd-analyze");
  if (analyze.empty()) GTEST_SKIP() << "systemd-analyze not installed";
  TempDir dir("kvd-ops-itest");
  std::ifstream in(std::string(KVD_SOURCE_DIR) + "/conf/kvd.service");
  ASSERT_TRUE(in.good());
  std::string unit((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string installed = "/usr/local/bin/kvd";
  ASSERT_NE(unit.find("ExecStart=" + installed), std::string::npos);
  unit.replace(unit.find("ExecStart=" + installed) + 10, installed.size(), KVD_BINARY);
  const std::string path = dir.path + "/kvd.service";
  std::ofstream(path) << unit;
  EXPECT_EQ(output_of(analyze + " verify " + path), "");
  // The check can fail: a misspelt key is reported.
  std::ofstream(path, std::ios::app) << "Typo=yes\n";
  EXPECT_NE(output_of(analyze + " verify " + path).find("Unknown key"), std::string::npos);
}

std::map<std::string, std::string> config_all(redisContext* c) {
  std::map<std::string, std::string> out;
  auto r = KvdProcess::command(c, {"CONFIG", "GET", "*"});
  if (!r || r->type != REDIS_REPLY_ARRAY) return out;
  for (size_t i = 0; i + 1 < r->elements; i += 2)
    out[std::string(r->element[i]->str, r->element[i]->len)] =
        std::string(r->element[i + 1]->str, r->element[i + 1]->len);
  return out;
}

// Both servers started the same way, without a config file: every name and
// value CONFIG GET * lists is the same, but for where each one runs.
TEST(Defaults, ConfigGetAllEqualsRedisServers) {
  const std::string redis = find_program("redis-server");
  if (redis.empty()) GTEST_SKIP() << "redis-server not installed";
  TempDir kd("kvd-ops-itest"), rd("kvd-ops-itest");
  const int kport = free_port(), rport = free_port();
  Child k({KVD_BINARY, "--port", std::to_string(kport), "--dir", kd.path}, kd.path + "/log");
  Child r({redis, "--port", std::to_string(rport), "--dir", rd.path}, rd.path + "/log");
  RedisPtr kc(nullptr, redisFree), rc(nullptr, redisFree);
  auto connect = [](int port) {
    timeval tv{5, 0};
    return RedisPtr(redisConnectWithTimeout("127.0.0.1", port, tv), redisFree);
  };
  ASSERT_TRUE(wait_until([&] {
    kc = connect(kport);
    rc = connect(rport);
    return kc && !kc->err && rc && !rc->err &&
           str(KvdProcess::command(kc.get(), {"PING"})) == "PONG" &&
           str(KvdProcess::command(rc.get(), {"PING"})) == "PONG";
  }));
  auto kvd_config = config_all(kc.get());
  auto redis_config = config_all(rc.get());
  for (const char* own : {"port", "dir"}) {
    kvd_config.erase(own);
    redis_config.erase(own);
  }
  // kvd's io-threads runs under the suite's KVD_TEST_IO_THREADS only when asked;
  // here both start bare, so nothing else may differ.
  EXPECT_EQ(kvd_config.size(), redis_config.size());
  for (const auto& [name, value] : redis_config) {
    auto it = kvd_config.find(name);
    if (it == kvd_config.end()) {
      ADD_FAILURE() << "kvd has no " << name;
      continue;
    }
    EXPECT_EQ(it->second, value) << name;
  }
  EXPECT_EQ(redis_config["save"], "3600 1 300 100 60 10000");
  // Nothing was written, so neither leaves a snapshot behind on SIGTERM...
  // but both save on shutdown when there is something: the same rule.
  KvdProcess::command(kc.get(), {"SET", "k", "v"});
  k.stop(SIGTERM);
  EXPECT_TRUE(std::filesystem::exists(kd.path + "/dump.rdb"));
}

}  // namespace
}  // namespace kvd::itest
