// The io_uring transport (io-uring yes): client sockets on a ring with
// multishot receives and batched sends. What must hold is what holds on the
// poller path: every byte in order, big requests and replies, backpressure
// on a client that does not read, other clients served during a slow script,
// and connections that end either way. The whole integration suite also runs
// with KVD_TEST_IO_URING=1 (scripts/test).
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>

#include <string>
#include <thread>
#include <vector>

#include "kvd_process.hpp"

namespace kvd::itest {
namespace {

// A kvd on the ring, or a skip that says why the kernel or sandbox refused.
#define START_ON_RING(kvd, c, ...)                                                \
  KvdProcess kvd({"--io-uring", "yes", "--io-threads", "1", ##__VA_ARGS__});      \
  auto c = kvd.connect();                                                         \
  if (info_field(c.get(), "io_transport") != "io_uring") {                        \
    std::string log_ = kvd.log_text();                                            \
    ASSERT_NE(log_.find("io_uring is not available"), std::string::npos) << log_; \
    GTEST_SKIP() << "io_uring is not available here: "                            \
                 << log_.substr(log_.find("io_uring is not available"), 160);     \
  }

TEST(IoUring, ServesPipelinesInOrderAndCountsSavedCalls) {
  START_ON_RING(kvd, c);
  int fd = kvd.raw_socket();
  std::string batch, expect;
  for (int i = 0; i < 2000; ++i) {
    batch += resp({"SET", "k" + std::to_string(i), std::to_string(i)});
    batch += resp({"GET", "k" + std::to_string(i)});
    const std::string v = std::to_string(i);
    expect += "+OK\r\n$" + std::to_string(v.size()) + "\r\n" + v + "\r\n";
  }
  ASSERT_TRUE(write_all(fd, batch));
  EXPECT_EQ(read_exact(fd, expect.size()), expect);
  ::close(fd);
  EXPECT_GT(std::stoull(info_field(c.get(), "io_syscalls_saved")), 0u);
  EXPECT_GT(std::stoull(info_field(c.get(), "io_uring_enters")), 0u);
}

TEST(IoUring, BigRequestsAndRepliesCrossManyBuffers) {
  START_ON_RING(kvd, c);
  // 3 MB: about 200 of the ring's 16 KB receive buffers one way, as many
  // reply blocks the other.
  std::string big(3 * 1024 * 1024, 'x');
  for (size_t i = 0; i < big.size(); i += 4093) big[i] = static_cast<char>('a' + i % 26);
  auto r = KvdProcess::command(c.get(), {"SET", "big", big});
  ASSERT_TRUE(r && r->type == REDIS_REPLY_STATUS);
  for (int i = 0; i < 3; ++i) {
    r = KvdProcess::command(c.get(), {"GET", "big"});
    ASSERT_TRUE(r && r->type == REDIS_REPLY_STRING);
    ASSERT_EQ(std::string(r->str, r->len), big);
  }
}

TEST(IoUring, ClientThatDoesNotReadIsPausedAndOthersAreServed) {
  START_ON_RING(kvd, c);
  std::string v(64 * 1024, 'v');
  ASSERT_TRUE(KvdProcess::command(c.get(), {"SET", "v", v}));
  int fd = kvd.raw_socket();
  // 2,000 GETs of 64 KB: 128 MB of replies that nobody reads yet.
  std::string req;
  for (int i = 0; i < 2000; ++i) req += resp({"GET", "v"});
  std::thread writer([&] { write_all(fd, req); });
  // The others are served meanwhile, and the server does not buffer it all.
  for (int i = 0; i < 50; ++i) {
    auto r = KvdProcess::command(c.get(), {"INCR", "n"});
    ASSERT_TRUE(r && r->integer == i + 1);
  }
  // Backpressure: the replies pending stop growing, at the 64 MB pause
  // bound at most (plus one reply), while the client still has GETs unsent
  // or unread.
  uint64_t last = 0;
  ASSERT_TRUE(wait_until([&] {
    const uint64_t now = std::stoull(info_field(c.get(), "mem_clients_normal"));
    const bool settled = now > 1024 * 1024 && now == last;
    last = now;
    return settled;
  }));
  EXPECT_LT(last, 66ull * 1024 * 1024);
  // Then it reads everything, in order and complete.
  const std::string one = "$65536\r\n" + v + "\r\n";
  for (int i = 0; i < 2000; ++i) ASSERT_EQ(read_exact(fd, one.size()), one) << i;
  writer.join();
  ::close(fd);
}

TEST(IoUring, OthersGetBusyDuringASlowScriptAndItsOwnBytesWait) {
  START_ON_RING(kvd, c, "--busy-reply-threshold", "100");
  int slow = kvd.raw_socket();
  // The script's client sends more right behind it: those bytes come while
  // its own command runs and are served after it.
  ASSERT_TRUE(write_all(slow, resp({"EVAL",
                                    "local t = redis.call('TIME') "
                                    "while true do local n = redis.call('TIME') "
                                    "if (n[1] - t[1]) * 1000000 + n[2] - t[2] > 500000 then "
                                    "break end end return 1",
                                    "0"})));
  ASSERT_TRUE(wait_until([&] {
    auto r = KvdProcess::command(c.get(), {"PING"});
    return r && r->type == REDIS_REPLY_ERROR && std::string(r->str).rfind("BUSY", 0) == 0;
  }));
  ASSERT_TRUE(write_all(slow, resp({"ECHO", "after"})));
  EXPECT_EQ(read_exact(slow, 4 + 11), ":1\r\n$5\r\nafter\r\n");
  ::close(slow);
}

TEST(IoUring, ConnectionsThatEndEitherWayAreForgotten) {
  START_ON_RING(kvd, c);
  for (int i = 0; i < 200; ++i) {
    int fd = kvd.raw_socket();
    write_all(fd, resp({"SET", "x", "y"}));
    if (i % 2) {
      // A reset with a reply on its way.
      linger l{1, 0};
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    } else {
      EXPECT_EQ(read_exact(fd, 5), "+OK\r\n");
    }
    ::close(fd);
  }
  ASSERT_TRUE(wait_until([&] { return info_field(c.get(), "connected_clients") == "1"; }));
  // QUIT and CLIENT KILL close from the server's side.
  int q = kvd.raw_socket();
  write_all(q, resp({"QUIT"}));
  EXPECT_EQ(read_to_eof(q), "+OK\r\n");
  ::close(q);
  auto other = kvd.connect();
  auto id = KvdProcess::command(other.get(), {"CLIENT", "ID"});
  ASSERT_TRUE(id);
  auto r = KvdProcess::command(c.get(), {"CLIENT", "KILL", "ID", std::to_string(id->integer)});
  ASSERT_TRUE(r && r->integer == 1);
  EXPECT_FALSE(KvdProcess::command(other.get(), {"PING"}));
  ASSERT_TRUE(wait_until([&] { return info_field(c.get(), "connected_clients") == "1"; }));
}

// What many container runtimes do: a seccomp filter that fails
// io_uring_setup with EPERM. kvd says so and serves through epoll.
TEST(IoUring, RefusedBySeccompFallsBackToEpollWithALogLine) {
  child_setup() = [] {
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog prog{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
  };
  KvdProcess kvd({"--io-uring", "yes", "--io-threads", "1"});
  child_setup() = nullptr;
  auto c = kvd.connect();
  EXPECT_EQ(info_field(c.get(), "io_transport"), "epoll");
  EXPECT_NE(kvd.log_text().find("io_uring is not available (io_uring_setup failed: Operation not "
                                "permitted): serving clients through epoll"),
            std::string::npos)
      << kvd.log_text();
  for (int i = 0; i < 100; ++i) {
    auto r = KvdProcess::command(c.get(), {"INCR", "n"});
    ASSERT_TRUE(r && r->integer == i + 1);
  }
}

TEST(IoUring, WithIoThreadsTheThreadsKeepEpollAndSaySo) {
  KvdProcess kvd({"--io-uring", "yes", "--io-threads", "4"});
  auto c = kvd.connect();
  EXPECT_EQ(info_field(c.get(), "io_transport"), "epoll");
  EXPECT_NE(kvd.log_text().find("io-uring yes applies to io-threads 1"), std::string::npos);
  auto r = KvdProcess::command(c.get(), {"PING"});
  ASSERT_TRUE(r && r->type == REDIS_REPLY_STATUS);
}

}  // namespace
}  // namespace kvd::itest
