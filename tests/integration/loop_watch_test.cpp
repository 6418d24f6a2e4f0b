// What kvd shows of its event loop beyond Redis: the loop-stall watchdog
// (loop-stall-threshold-ms) and the listener's accept queue (INFO stats and a
// log line when the kernel drops connections because the queue is full).
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "kvd_process.hpp"

namespace kvd::itest {
namespace {

TEST(LoopWatch, StallIsLoggedWithTheCommandThatCausedIt) {
  KvdProcess kvd({"--loop-stall-threshold-ms", "50", "--enable-debug-command", "yes"});
  auto c = kvd.connect();
  EXPECT_EQ(info_field(c.get(), "loop_stalls"), "0");
  auto r = KvdProcess::command(c.get(), {"DEBUG", "SLEEP", "0.2"});
  ASSERT_TRUE(r && r->type == REDIS_REPLY_STATUS);
  ASSERT_TRUE(wait_until([&] { return info_field(c.get(), "loop_stalls") == "1"; }));
  EXPECT_GE(std::stoi(info_field(c.get(), "loop_stall_longest_ms")), 200);
  std::string log = kvd.log_text();
  auto at = log.find("Loop stall: a round of the event loop took");
  ASSERT_NE(at, std::string::npos) << log;
  std::string line = log.substr(at, log.find('\n', at) - at);
  EXPECT_NE(line.find("(loop-stall-threshold-ms 50)"), std::string::npos) << line;
  EXPECT_NE(line.find("command debug (0 keys) of client id="), std::string::npos) << line;

  // Short work is no stall; switched off, a long round is not counted.
  for (int i = 0; i < 100; ++i) KvdProcess::command(c.get(), {"SET", "k", "v"});
  EXPECT_EQ(info_field(c.get(), "loop_stalls"), "1");
  r = KvdProcess::command(c.get(), {"CONFIG", "SET", "loop-stall-threshold-ms", "0"});
  ASSERT_TRUE(r && r->type == REDIS_REPLY_STATUS);
  KvdProcess::command(c.get(), {"DEBUG", "SLEEP", "0.1"});
  KvdProcess::command(c.get(), {"PING"});
  EXPECT_EQ(info_field(c.get(), "loop_stalls"), "1");
}

TEST(LoopWatch, InfoNamesTheTransportAndCountsRounds) {
  KvdProcess kvd;
  auto c = kvd.connect();
  for (int i = 0; i < 10; ++i) KvdProcess::command(c.get(), {"PING"});
  // KVD_TEST_IO_URING=1 puts io-threads 1 on the ring where the kernel allows.
  const std::string transport = info_field(c.get(), "io_transport");
  if (env_io_uring() && env_io_threads() == 1 &&
      kvd.log_text().find("io_uring is not available") == std::string::npos) {
    EXPECT_EQ(transport, "io_uring");
  } else {
    EXPECT_EQ(transport, "epoll");
  }
  // A round is counted when it ends: a client that keeps sending can keep
  // the first one going.
  ASSERT_TRUE(wait_until([&] { return std::stoull(info_field(c.get(), "io_rounds")) > 0; }));
  EXPECT_GT(std::stod(info_field(c.get(), "io_reads_per_round")), 0.0);
}

// A server that does not accept for a while (DEBUG SLEEP) with a tiny
// backlog: the kernel drops the handshakes that do not fit, and kvd counts
// them and says so in its log.
TEST(LoopWatch, AcceptQueueOverflowIsCountedAndLogged) {
  KvdProcess kvd({"--tcp-backlog", "2", "--enable-debug-command", "yes"});
  auto c = kvd.connect();
  EXPECT_EQ(info_field(c.get(), "accept_queue_backlog"), "2");
  EXPECT_EQ(info_field(c.get(), "accept_queue_drops"), "0");
  std::thread sleeper([&] {
    auto s = kvd.connect();
    KvdProcess::command(s.get(), {"DEBUG", "SLEEP", "1"});
  });
  // The sleep has begun once a PING no longer answers at once.
  ASSERT_TRUE(wait_until([&] {
    int fd = kvd.raw_socket();
    timeval tv{0, 100000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    write_all(fd, "PING\r\n");
    char buf[16];
    bool answered = ::read(fd, buf, sizeof buf) > 0;
    ::close(fd);
    return !answered;
  }));
  std::vector<int> fds;
  for (int i = 0; i < 30; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(kvd.port()));
    ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    fds.push_back(fd);
  }
  sleeper.join();
  ASSERT_TRUE(
      wait_until([&] { return std::stoull(info_field(c.get(), "accept_queue_drops")) > 0; }));
  EXPECT_NE(kvd.log_text().find("overflowed: the kernel dropped"), std::string::npos);
  for (int fd : fds) ::close(fd);
}

}  // namespace
}  // namespace kvd::itest
