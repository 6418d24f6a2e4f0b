// CONFIG SET of what the running process must put into effect: the listening
// port and addresses, and oom_score_adj. A change that cannot take effect
// fails the whole CONFIG SET and leaves every value, and the process, as it
// was (Redis's rollback).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "kvd_process.hpp"

namespace kvd::itest {
namespace {

std::string text(const ReplyPtr& r) {
  if (!r) return "(no reply)";
  if (r->type == REDIS_REPLY_INTEGER) return std::to_string(r->integer);
  if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) return r->element[1]->str;
  if (r->str) return std::string(r->str, r->len);
  return "(type " + std::to_string(r->type) + ")";
}

RedisPtr connect_to(int port) {
  timeval tv{2, 0};
  return RedisPtr(redisConnectWithTimeout("127.0.0.1", port, tv), redisFree);
}

// A socket listening on 127.0.0.1:<free port>, closed at the end.
struct BusyPort {
  int fd = -1;
  int port = 0;
  BusyPort() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd, 1);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~BusyPort() { ::close(fd); }
};

int oom_score_adj(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/oom_score_adj");
  int v = -9999;
  f >> v;
  return v;
}

TEST(RuntimeConfig, PortAndBindChangeWhileServing) {
  KvdProcess kvd;
  auto c = kvd.connect();
  const int next = free_port();
  EXPECT_EQ(text(KvdProcess::command(c.get(), {"CONFIG", "SET", "port", std::to_string(next)})),
            "OK");
  auto moved = connect_to(next);
  ASSERT_TRUE(moved && !moved->err);
  EXPECT_EQ(text(KvdProcess::command(moved.get(), {"PING"})), "PONG");
  auto old = connect_to(kvd.port());
  EXPECT_TRUE(!old || old->err) << "the old port still accepts";
  // The connection that asked stays up.
  EXPECT_EQ(text(KvdProcess::command(c.get(), {"PING"})), "PONG");

  // Same port, another address list: the old sockets make room first.
  EXPECT_EQ(text(KvdProcess::command(c.get(), {"CONFIG", "SET", "bind", "127.0.0.1 -::1"})), "OK");
  auto again = connect_to(next);
  ASSERT_TRUE(again && !again->err);
  EXPECT_EQ(text(KvdProcess::command(again.get(), {"PING"})), "PONG");
  auto bad = KvdProcess::command(c.get(), {"CONFIG", "SET", "bind", "10.255.255.1"});
  EXPECT_EQ(text(bad),
            "ERR CONFIG SET failed (possibly related to argument 'bind') - Failed to bind to "
            "specified addresses.");
  EXPECT_EQ(text(KvdProcess::command(c.get(), {"CONFIG", "GET", "bind"})), "127.0.0.1 -::1");
  auto still = connect_to(next);
  ASSERT_TRUE(still && !still->err);
  EXPECT_EQ(text(KvdProcess::command(still.get(), {"PING"})), "PONG");
  // Put the port back so the fixture's stop finds the server where it started.
  KvdProcess::command(c.get(), {"CONFIG", "SET", "port", std::to_string(kvd.port())});
}

TEST(RuntimeConfig, AFailedApplyRollsEverythingBack) {
  KvdProcess kvd;
  auto c = kvd.connect();
  BusyPort busy;
  const int before_oom = oom_score_adj(kvd.pid());
  const std::string before_maxmemory =
      text(KvdProcess::command(c.get(), {"CONFIG", "GET", "maxmemory"}));
  auto r = KvdProcess::command(
      c.get(), {"CONFIG", "SET", "oom-score-adj", "yes", "oom-score-adj-values", "1 1 1",
                "maxmemory", "10000001", "port", std::to_string(busy.port)});
  EXPECT_EQ(text(r).rfind("ERR CONFIG SET failed (possibly related to argument 'port') - Unable to "
                          "listen on this port",
                          0),
            0u)
      << text(r);
  EXPECT_EQ(text(KvdProcess::command(c.get(), {"CONFIG", "GET", "maxmemory"})), before_maxmemory);
  EXPECT_EQ(text(KvdProcess::command(c.get(), {"CONFIG", "GET", "oom-score-adj"})), "no");
  EXPECT_EQ(text(KvdProcess::command(c.get(), {"CONFIG", "GET", "port"})),
            std::to_string(kvd.port()));
  EXPECT_EQ(oom_score_adj(kvd.pid()), before_oom);
  auto fresh = connect_to(kvd.port());
  ASSERT_TRUE(fresh && !fresh->err);
  EXPECT_EQ(text(KvdProcess::command(fresh.get(), {"PING"})), "PONG");
}

TEST(RuntimeConfig, OomScoreAdjIsRelativeToTheStartingScore) {
  KvdProcess kvd;
  auto c = kvd.connect();
  const int base = oom_score_adj(kvd.pid());
  if (base == -9999) GTEST_SKIP() << "no /proc/<pid>/oom_score_adj here";
  EXPECT_EQ(text(KvdProcess::command(c.get(), {"CONFIG", "SET", "oom-score-adj-values", "9 9 9",
                                               "oom-score-adj", "yes"})),
            "OK");
  EXPECT_EQ(oom_score_adj(kvd.pid()), std::min(base + 9, 1000));
  KvdProcess::command(c.get(), {"CONFIG", "SET", "oom-score-adj", "absolute"});
  EXPECT_EQ(oom_score_adj(kvd.pid()), 9);
  KvdProcess::command(c.get(), {"CONFIG", "SET", "oom-score-adj", "no"});
  EXPECT_EQ(oom_score_adj(kvd.pid()), base);
}

// The class follows the role (REPLICAOF: the replica value) and a child
// forked for BGSAVE takes the third value, as in Redis.
TEST(RuntimeConfig, OomScoreAdjFollowsTheRoleAndForkedChildren) {
  char tmpl[] = "/tmp/kvd-oom-itest-XXXXXX";
  ASSERT_TRUE(::mkdtemp(tmpl));
  const std::string dir = tmpl;
  struct Cleanup {
    std::string path;
    ~Cleanup() { std::filesystem::remove_all(path); }
  } cleanup{dir};
  KvdProcess kvd({"--dir", dir, "--save", ""});
  auto c = kvd.connect();
  const int base = oom_score_adj(kvd.pid());
  if (base == -9999) GTEST_SKIP() << "no /proc/<pid>/oom_score_adj here";
  EXPECT_EQ(text(KvdProcess::command(c.get(), {"CONFIG", "SET", "oom-score-adj-values", "10 20 30",
                                               "oom-score-adj", "yes"})),
            "OK");
  EXPECT_EQ(oom_score_adj(kvd.pid()), base + 10);
  KvdProcess::command(c.get(), {"REPLICAOF", "127.0.0.1", "1"});
  EXPECT_EQ(oom_score_adj(kvd.pid()), base + 20);
  KvdProcess::command(c.get(), {"REPLICAOF", "NO", "ONE"});
  EXPECT_EQ(oom_score_adj(kvd.pid()), base + 10);
  KvdProcess::command(c.get(), {"SET", "k", "v"});
  KvdProcess::command(c.get(), {"CONFIG", "SET", "rdb-key-save-delay", "1000000"});
  KvdProcess::command(c.get(), {"BGSAVE"});
  pid_t child = 0;
  ASSERT_TRUE(wait_until([&] {
    std::ifstream f("/proc/" + std::to_string(kvd.pid()) + "/task/" + std::to_string(kvd.pid()) +
                    "/children");
    return static_cast<bool>(f >> child);
  }));
  EXPECT_TRUE(wait_until([&] { return oom_score_adj(child) == base + 30; }));
  KvdProcess::command(c.get(), {"CONFIG", "SET", "rdb-key-save-delay", "0"});
}

}  // namespace
}  // namespace kvd::itest
