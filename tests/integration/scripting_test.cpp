// Lua scripts over a real socket: binary-safe arguments and replies, the
// script cache, and a slow script that leaves the server answering BUSY to
// other clients until SCRIPT KILL.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "kvd_process.hpp"

namespace kvd::itest {
namespace {

TEST(Scripting, EvalOverTheWire) {
  KvdProcess kvd;
  auto c = kvd.connect();
  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
  auto r = KvdProcess::command(
      c.get(), {"EVAL",
                "redis.call('set', KEYS[1], ARGV[1]) return {redis.call('get', KEYS[1]), "
                "redis.call('strlen', KEYS[1])}",
                "1", "bin", binary});
  ASSERT_EQ(r->type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(r->elements, 2u);
  EXPECT_EQ(std::string(r->element[0]->str, r->element[0]->len), binary);
  EXPECT_EQ(r->element[1]->integer, 256);

  auto sha = KvdProcess::command(c.get(), {"SCRIPT", "LOAD", "return ARGV[1] .. ARGV[2]"});
  ASSERT_EQ(sha->type, REDIS_REPLY_STRING);
  auto cat = KvdProcess::command(c.get(), {"EVALSHA", sha->str, "0", "ab", "cd"});
  ASSERT_EQ(cat->type, REDIS_REPLY_STRING);
  EXPECT_STREQ(cat->str, "abcd");

  auto err = KvdProcess::command(c.get(), {"EVAL", "return redis.call('incr', 'bin')", "0"});
  ASSERT_EQ(err->type, REDIS_REPLY_ERROR);
  EXPECT_EQ(std::string(err->str).rfind("ERR value is not an integer or out of range script: ", 0),
            0u);
  EXPECT_EQ(KvdProcess::command(c.get(), {"PING"})->type, REDIS_REPLY_STATUS);
}

// Time stands still inside a script, as in Redis 7: a key set to expire in
// 1 ms still exists after the script sleeps 10 ms.
TEST(Scripting, TimeIsFrozenWhileAScriptRuns) {
  KvdProcess kvd({"--enable-debug-command", "yes"});
  auto c = kvd.connect();
  // DEBUG is noscript; Redis's own test lifts that the same way.
  KvdProcess::command(c.get(), {"DEBUG", "SET-DISABLE-DENY-SCRIPTS", "1"});
  auto r = KvdProcess::command(
      c.get(), {"EVAL",
                "redis.call('SET', KEYS[1], 'v', 'PX', 1) redis.call('DEBUG', 'SLEEP', 0.01) "
                "return redis.call('EXISTS', KEYS[1])",
                "1", "key"});
  ASSERT_EQ(r->type, REDIS_REPLY_INTEGER);
  EXPECT_EQ(r->integer, 1);
  // Once the script is over, the key has expired.
  EXPECT_EQ(KvdProcess::command(c.get(), {"EXISTS", "key"})->integer, 0);
}

TEST(Scripting, SlowScriptAnswersBusyUntilKilled) {
  KvdProcess kvd({"--busy-reply-threshold", "50"});
  // The script's client writes its EVAL and reads the reply at the end.
  int fd = kvd.raw_socket();
  ASSERT_GE(fd, 0);
  const std::string body = "local i = 0 while true do i = i + 1 end";
  std::string req =
      "*3\r\n$4\r\nEVAL\r\n$" + std::to_string(body.size()) + "\r\n" + body + "\r\n$1\r\n0\r\n";
  ASSERT_EQ(::send(fd, req.data(), req.size(), 0), static_cast<ssize_t>(req.size()));

  auto other = kvd.connect();
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
            "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN "
            "NOSAVE.");
  auto kill = KvdProcess::command(other.get(), {"SCRIPT", "KILL"});
  ASSERT_EQ(kill->type, REDIS_REPLY_STATUS);

  // The script's own client gets the kill as its reply.
  std::string reply;
  ASSERT_TRUE(wait_until(
      [&] {
        char buf[512];
        ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) reply.append(buf, static_cast<size_t>(n));
        return reply.find("\r\n") != std::string::npos;
      },
      std::chrono::seconds(10)));
  EXPECT_EQ(reply.rfind("-ERR Script killed by user with SCRIPT KILL...", 0), 0u) << reply;
  ::close(fd);
  auto pong = KvdProcess::command(other.get(), {"PING"});
  ASSERT_EQ(pong->type, REDIS_REPLY_STATUS);
  EXPECT_STREQ(pong->str, "PONG");
}

// A client blocked on a key is not served while a slow script is still
// running, even when a command let in during BUSY (HELLO) finishes: it would
// see the script's first push and miss the rest. It gets served once the
// script ends, with what the script left.
TEST(Scripting, BlockedClientWaitsForTheSlowScriptToEnd) {
  KvdProcess kvd({"--busy-reply-threshold", "10", "--enable-debug-command", "yes"});
  auto admin = kvd.connect();
  KvdProcess::command(admin.get(), {"DEBUG", "SET-DISABLE-DENY-SCRIPTS", "1"});
  auto waiter = kvd.connect();
  redisAppendCommand(waiter.get(), "BLPOP x 0");
  int done = 0;
  while (!done) redisBufferWrite(waiter.get(), &done);
  ASSERT_TRUE(wait_until([&] {
    auto r = KvdProcess::command(admin.get(), {"INFO", "clients"});
    return r && std::string(r->str).find("blocked_clients:1") != std::string::npos;
  }));
  auto runner = kvd.connect();
  const std::string script =
      "redis.call('lpush', KEYS[1], 'y') local clients "
      "while true do clients = redis.call('client', 'list') "
      "if string.find(clients, 'abortscript') ~= nil then break end end "
      "redis.call('lpush', KEYS[1], 'z') return 'done'";
  redisAppendCommand(runner.get(), "EVAL %s 1 x", script.c_str());
  done = 0;
  while (!done) redisBufferWrite(runner.get(), &done);
  ASSERT_TRUE(wait_until([&] {
    auto r = KvdProcess::command(admin.get(), {"PING"});
    return r && r->type == REDIS_REPLY_ERROR && std::string(r->str).rfind("BUSY", 0) == 0;
  }));
  auto third = kvd.connect();
  KvdProcess::command(third.get(), {"HELLO", "2", "SETNAME", "abortscript"});
  void* raw = nullptr;
  ASSERT_EQ(redisGetReply(waiter.get(), &raw), REDIS_OK);
  ReplyPtr popped(static_cast<redisReply*>(raw), freeReplyObject);
  ASSERT_EQ(popped->type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(popped->elements, 2u);
  EXPECT_STREQ(popped->element[1]->str, "z");
  raw = nullptr;
  ASSERT_EQ(redisGetReply(runner.get(), &raw), REDIS_OK);
  ReplyPtr result(static_cast<redisReply*>(raw), freeReplyObject);
  EXPECT_STREQ(result->str, "done");
}

}  // namespace
}  // namespace kvd::itest
