// Redis 7 functions with a real server: a library kept across a restart, a
// snapshot with functions read by redis-server 7.0 and the other way round
// (when redis-server is installed), and a slow function stopped by FUNCTION
// KILL while other clients get BUSY.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "kvd_process.hpp"
#include "redis_process.hpp"

namespace kvd::itest {
namespace {

std::string str(const ReplyPtr& r) {
  if (!r) return "(no reply)";
  if (r->type == REDIS_REPLY_INTEGER) return std::to_string(r->integer);
  if (r->str) return std::string(r->str, r->len);
  return "(type " + std::to_string(r->type) + ")";
}

const std::string kLib1 =
    "#!lua name=lib1\nlocal function twice(x) return x .. x end\n"
    "redis.register_function('twice', function(keys, args) return twice(args[1]) end)\n"
    "redis.register_function{function_name='ro', callback=function(keys) "
    "return redis.call('get', keys[1]) end, flags={'no-writes'}, description='reads a key'}";
const std::string kLib2 =
    "#!lua name=lib2\nredis.register_function('bump', function(keys) "
    "return redis.call('incrby', keys[1], 2) end)";

TEST(Functions, LibrariesSurviveARestart) {
  TempDir dir;
  {
    KvdProcess kvd({"--dir", dir.path, "--save", ""});
    auto c = kvd.connect();
    EXPECT_EQ(str(KvdProcess::command(c.get(), {"FUNCTION", "LOAD", kLib1})), "lib1");
    EXPECT_EQ(str(KvdProcess::command(c.get(), {"SAVE"})), "OK");
    EXPECT_EQ(kvd.stop(), 0);
  }
  KvdProcess kvd({"--dir", dir.path, "--save", ""});
  auto c = kvd.connect();
  EXPECT_EQ(str(KvdProcess::command(c.get(), {"FCALL", "twice", "0", "ab"})), "abab");
  EXPECT_EQ(info_field(c.get(), "number_of_libraries"), "1");
  EXPECT_EQ(info_field(c.get(), "number_of_functions"), "2");
}

TEST(Functions, SnapshotsCrossToRedisAndBack) {
  const std::string redis = find_program("redis-server");
  if (redis.empty()) GTEST_SKIP() << "redis-server is not installed";
  TempDir dir;
  {
    KvdProcess kvd({"--dir", dir.path, "--save", ""});
    auto c = kvd.connect();
    KvdProcess::command(c.get(), {"FUNCTION", "LOAD", kLib1});
    KvdProcess::command(c.get(), {"SET", "k", "5"});
    EXPECT_EQ(str(KvdProcess::command(c.get(), {"SAVE"})), "OK");
  }
  const std::string check = find_program("redis-check-rdb");
  if (!check.empty()) {
    const std::string cmd = check + " " + dir.path + "/dump.rdb >/dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << "redis-check-rdb refused kvd's snapshot";
  }
  {
    RedisServer server(redis, dir.path);
    auto c = server.connect();
    ASSERT_TRUE(c && !c->err);
    EXPECT_EQ(str(KvdProcess::command(c.get(), {"FCALL", "twice", "0", "xy"})), "xyxy");
    EXPECT_EQ(str(KvdProcess::command(c.get(), {"FCALL_RO", "ro", "1", "k"})), "5");
    EXPECT_EQ(str(KvdProcess::command(c.get(), {"FUNCTION", "LOAD", kLib2})), "lib2");
    EXPECT_EQ(str(KvdProcess::command(c.get(), {"SAVE"})), "OK");
  }
  KvdProcess kvd({"--dir", dir.path, "--save", ""});
  auto c = kvd.connect();
  EXPECT_EQ(str(KvdProcess::command(c.get(), {"FCALL", "bump", "1", "k"})), "7");
  EXPECT_EQ(str(KvdProcess::command(c.get(), {"FCALL", "twice", "0", "z"})), "zz");
}

TEST(Functions, SlowFunctionAnswersBusyUntilFunctionKill) {
  KvdProcess kvd({"--busy-reply-threshold", "50"});
  auto other = kvd.connect();
  ASSERT_EQ(str(KvdProcess::command(other.get(),
                                    {"FUNCTION", "LOAD",
                                     "#!lua name=slow\nredis.register_function('spin', function() "
                                     "local i = 0 while true do i = i + 1 end end)"})),
            "slow");
  int fd = kvd.raw_socket();
  ASSERT_GE(fd, 0);
  const std::string req = "*3\r\n$5\r\nFCALL\r\n$4\r\nspin\r\n$1\r\n0\r\n";
  ASSERT_EQ(::send(fd, req.data(), req.size(), 0), static_cast<ssize_t>(req.size()));
  std::string seen;
  ASSERT_TRUE(wait_until(
      [&] {
        auto r = KvdProcess::command(other.get(), {"GET", "x"});
        if (!r || r->type != REDIS_REPLY_ERROR) return false;
        seen = r->str;
        return true;
      },
      std::chrono::seconds(10)));
  EXPECT_EQ(seen,
            "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN "
            "NOSAVE.");
  auto stats = KvdProcess::command(other.get(), {"FUNCTION", "STATS"});
  ASSERT_EQ(stats->type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(stats->elements, 4u);
  ASSERT_EQ(stats->element[1]->type, REDIS_REPLY_ARRAY);
  EXPECT_STREQ(stats->element[1]->element[1]->str, "spin");
  auto wrong = KvdProcess::command(other.get(), {"SCRIPT", "KILL"});
  ASSERT_EQ(wrong->type, REDIS_REPLY_ERROR);
  EXPECT_EQ(std::string(wrong->str, 4), "BUSY");
  auto kill = KvdProcess::command(other.get(), {"FUNCTION", "KILL"});
  ASSERT_EQ(kill->type, REDIS_REPLY_STATUS);

  std::string reply;
  ASSERT_TRUE(wait_until(
      [&] {
        char buf[512];
        ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) reply.append(buf, static_cast<size_t>(n));
        return reply.find("\r\n") != std::string::npos;
      },
      std::chrono::seconds(10)));
  EXPECT_EQ(reply.rfind("-ERR Script killed by user with SCRIPT KILL... script: spin", 0), 0u)
      << reply;
  ::close(fd);
  EXPECT_EQ(str(KvdProcess::command(other.get(), {"PING"})), "PONG");
}

}  // namespace
}  // namespace kvd::itest
