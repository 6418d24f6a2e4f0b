// The latency monitor and the latency histograms against a real kvd, and
// INFO's field names beside a real redis-server when one is installed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "kvd_process.hpp"

namespace kvd::itest {
namespace {

std::string str(const ReplyPtr& r) {
  return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
               r->type == REDIS_REPLY_ERROR)
             ? std::string(r->str, r->len)
             : std::string();
}

TEST(LatencyMonitor, DebugSleepIsACommandEvent) {
  KvdProcess kvd({"--enable-debug-command", "yes", "--latency-monitor-threshold", "100"});
  auto c = kvd.connect();
  ASSERT_TRUE(c && !c->err);
  EXPECT_EQ(str(KvdProcess::command(c.get(), {"DEBUG", "SLEEP", "0.2"})), "OK");
  auto latest = KvdProcess::command(c.get(), {"LATENCY", "LATEST"});
  ASSERT_EQ(latest->type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(latest->elements, 1u);
  const redisReply* e = latest->element[0];
  ASSERT_EQ(e->elements, 4u);
  EXPECT_EQ(std::string(e->element[0]->str, e->element[0]->len), "command");
  EXPECT_GE(e->element[2]->integer, 200);
  EXPECT_LT(e->element[2]->integer, 1000);
  EXPECT_EQ(e->element[3]->integer, e->element[2]->integer);
  auto history = KvdProcess::command(c.get(), {"LATENCY", "HISTORY", "command"});
  ASSERT_EQ(history->elements, 1u);
  EXPECT_EQ(history->element[0]->element[0]->integer, e->element[1]->integer);
  // A fast command under the threshold leaves no sample.
  KvdProcess::command(c.get(), {"PING"});
  EXPECT_EQ(KvdProcess::command(c.get(), {"LATENCY", "LATEST"})->elements, 1u);
  EXPECT_NE(
      str(KvdProcess::command(c.get(), {"LATENCY", "GRAPH", "command"})).find("command - high"),
      std::string::npos);
  EXPECT_NE(str(KvdProcess::command(c.get(), {"LATENCY", "DOCTOR"})).find("1. command: 1 latency"),
            std::string::npos);
  // The same call in the histograms: INFO latencystats' p50 is at least 200 ms.
  const std::string debug = info_field(c.get(), "latency_percentiles_usec_debug");
  ASSERT_EQ(debug.rfind("p50=", 0), 0u) << debug;
  EXPECT_GE(std::atof(debug.c_str() + 4), 200000.0) << debug;
  EXPECT_EQ(KvdProcess::command(c.get(), {"LATENCY", "RESET"})->integer, 1);
  EXPECT_EQ(KvdProcess::command(c.get(), {"LATENCY", "LATEST"})->elements, 0u);
}

TEST(LatencyMonitor, ThresholdSetAtRuntime) {
  KvdProcess kvd({"--enable-debug-command", "yes"});
  auto c = kvd.connect();
  KvdProcess::command(c.get(), {"DEBUG", "SLEEP", "0.05"});
  EXPECT_EQ(KvdProcess::command(c.get(), {"LATENCY", "LATEST"})->elements, 0u);
  EXPECT_EQ(str(KvdProcess::command(c.get(), {"CONFIG", "SET", "latency-monitor-threshold", "20"})),
            "OK");
  KvdProcess::command(c.get(), {"DEBUG", "SLEEP", "0.05"});
  EXPECT_EQ(KvdProcess::command(c.get(), {"LATENCY", "LATEST"})->elements, 1u);
}

TEST(ErrorStats, LimitOf128CodesIsLogged) {
  KvdProcess kvd;
  auto c = kvd.connect();
  for (int i = 1; i <= 130; ++i) {
    auto r = KvdProcess::command(c.get(), {"EVAL", "return redis.error_reply(ARGV[1] .. ' x')", "0",
                                           "E" + std::to_string(i)});
    ASSERT_EQ(r->type, REDIS_REPLY_ERROR);
  }
  EXPECT_EQ(info_field(c.get(), "errorstat_ERRORSTATS_DISABLED"), "count=1");
  EXPECT_EQ(info_field(c.get(), "total_error_replies"), "130");
  // The server's log (KvdProcess writes it there) says why, and which codes.
  const std::string log_path = "/tmp/kvd-itest-" + std::to_string(kvd.port()) + ".log";
  std::string log;
  EXPECT_TRUE(wait_until([&] {
    FILE* f = std::fopen(log_path.c_str(), "r");
    if (!f) return false;
    char buf[4096];
    size_t n;
    log.clear();
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) log.append(buf, n);
    std::fclose(f);
    return log.find("Current errors code list: E1, E10, E100") != std::string::npos;
  })) << log;
  EXPECT_NE(log.find("Errorstats stopped adding new errors"), std::string::npos);
}

// The field names of INFO everything, by section, without the per-command,
// per-error and per-database lines.
std::vector<std::string> info_names(redisContext* c) {
  auto r = KvdProcess::command(c, {"INFO", "everything"});
  std::vector<std::string> out;
  if (!r || r->type != REDIS_REPLY_STRING) return out;
  const std::string text(r->str, r->len);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find("\r\n", pos);
    if (end == std::string::npos) break;
    std::string line = text.substr(pos, end - pos);
    pos = end + 2;
    if (line.empty()) continue;
    std::string name = line[0] == '#' ? line : line.substr(0, line.find(':'));
    if (name.rfind("cmdstat_", 0) == 0 || name.rfind("errorstat_", 0) == 0 ||
        name.rfind("latency_percentiles_usec_", 0) == 0 ||
        (name.rfind("db", 0) == 0 && name.size() > 2 && std::isdigit(name[2])))
      continue;
    out.push_back(name);
  }
  return out;
}

// A redis-server child on a free port, stopped by PID.
class RedisServer {
 public:
  explicit RedisServer(const std::string& path) {
    port_ = free_port();
    pid_ = fork();
    if (pid_ == 0) {
      const std::string port = std::to_string(port_);
      std::string log = "/tmp/kvd-itest-redis-" + port + ".log";
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        ::close(fd);
      }
      execl(path.c_str(), path.c_str(), "--port", port.c_str(), "--bind", "127.0.0.1", "--save", "",
            "--daemonize", "no", static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~RedisServer() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    if (!wait_until([&] { return waitpid(pid_, &status, WNOHANG) == pid_; })) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
  }
  RedisPtr connect() const {
    timeval tv{5, 0};
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
    return RedisPtr(c, redisFree);
  }

 private:
  int port_ = 0;
  pid_t pid_ = -1;
};

TEST(InfoParity, EveryRedisFieldIsInKvdInRedisOrder) {
  const std::string redis_path = "/usr/bin/redis-server";
  if (::access(redis_path.c_str(), X_OK) != 0) GTEST_SKIP() << "redis-server is not installed";
  RedisServer redis(redis_path);
  RedisPtr rc(nullptr, redisFree);
  ASSERT_TRUE(wait_until([&] {
    rc = redis.connect();
    if (!rc || rc->err) return false;
    auto r = KvdProcess::command(rc.get(), {"PING"});
    return r && r->type == REDIS_REPLY_STATUS;
  }));
  KvdProcess kvd;
  auto kc = kvd.connect();
  for (redisContext* c : {rc.get(), kc.get()}) KvdProcess::command(c, {"SET", "k", "v"});
  const auto want = info_names(rc.get());
  const auto got = info_names(kc.get());
  ASSERT_GT(want.size(), 150u);
  // Redis's names appear in kvd's list in the same order; kvd may add its own.
  size_t at = 0;
  for (const std::string& name : want) {
    auto it = std::find(got.begin() + static_cast<std::ptrdiff_t>(at), got.end(), name);
    ASSERT_NE(it, got.end()) << "missing or out of order: " << name;
    at = static_cast<size_t>(it - got.begin()) + 1;
  }
}

}  // namespace
}  // namespace kvd::itest
