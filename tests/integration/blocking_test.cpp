// Blocking list commands through real sockets: wakeups across connections,
// timeouts driven by the server's timer, disconnects while blocked.

#include <gtest/gtest.h>
#include <unistd.h>

#include "kvd_process.hpp"

namespace kvd::itest {
namespace {

int64_t blocked_clients(redisContext* c) {
  auto r = KvdProcess::command(c, {"INFO", "clients"});
  if (!r || r->type != REDIS_REPLY_STRING) return -1;
  std::string info(r->str, r->len);
  auto pos = info.find("blocked_clients:");
  if (pos == std::string::npos) return -1;
  return std::stoll(info.substr(pos + 16));
}

TEST(Blocking, BlpopWokenByPushFromAnotherClient) {
  KvdProcess kvd;
  int waiter = kvd.raw_socket();
  ASSERT_GE(waiter, 0);
  auto other = kvd.connect();
  // The waiter pipelines a PING behind the BLPOP: it must run only after the wakeup.
  ASSERT_TRUE(write_all(waiter, resp({"BLPOP", "q", "0"}) + resp({"PING"})));
  ASSERT_TRUE(wait_until([&] { return blocked_clients(other.get()) == 1; }));
  auto r = KvdProcess::command(other.get(), {"LPUSH", "q", "job"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->integer, 1);
  std::string want = "*2\r\n$1\r\nq\r\n$3\r\njob\r\n+PONG\r\n";
  EXPECT_EQ(read_exact(waiter, want.size()), want);
  EXPECT_EQ(blocked_clients(other.get()), 0);
  auto len = KvdProcess::command(other.get(), {"LLEN", "q"});
  EXPECT_EQ(len->integer, 0);
  ::close(waiter);
}

TEST(Blocking, BlpopTimeoutReturnsNil) {
  KvdProcess kvd;
  auto c = kvd.connect();
  auto start = Clock::now();
  auto r = KvdProcess::command(c.get(), {"BLPOP", "nothing", "0.1"});
  auto took = Clock::now() - start;
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, REDIS_REPLY_NIL);
  EXPECT_GE(took, std::chrono::milliseconds(90));
  EXPECT_LT(took, std::chrono::seconds(2));
  // The connection goes on normally afterwards.
  auto p = KvdProcess::command(c.get(), {"PING"});
  EXPECT_EQ(std::string(p->str, p->len), "PONG");
}

TEST(Blocking, DisconnectWhileBlockedDoesNotConsumeTheKey) {
  KvdProcess kvd;
  int waiter = kvd.raw_socket();
  ASSERT_GE(waiter, 0);
  auto other = kvd.connect();
  ASSERT_TRUE(write_all(waiter, resp({"BRPOP", "q", "0"})));
  ASSERT_TRUE(wait_until([&] { return blocked_clients(other.get()) == 1; }));
  ::close(waiter);
  ASSERT_TRUE(wait_until([&] { return blocked_clients(other.get()) == 0; }));
  KvdProcess::command(other.get(), {"RPUSH", "q", "kept"});
  auto r = KvdProcess::command(other.get(), {"LRANGE", "q", "0", "-1"});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->elements, 1u);
  EXPECT_EQ(std::string(r->element[0]->str), "kept");
}

}  // namespace
}  // namespace kvd::itest
