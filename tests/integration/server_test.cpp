// Socket-level behaviour of the daemon: pipelining, many clients, limits,
// backpressure, protocol errors, shutdown and configuration.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <poll.h>

#include <cstdio>
#include <fstream>

#include "kvd_process.hpp"

namespace kvd::itest {
namespace {

std::string resp_command(const std::vector<std::string>& args) {
  std::string s = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return s;
}

TEST(Server, PipelineOfTenThousandCommandsInOneWrite) {
  KvdProcess kvd;
  int fd = kvd.raw_socket();
  ASSERT_GE(fd, 0);
  std::string batch;
  for (int i = 0; i < 10000; ++i) batch += resp_command({"PING", std::to_string(i)});
  ASSERT_TRUE(write_all(fd, batch));
  std::string expected;
  for (int i = 0; i < 10000; ++i) {
    std::string v = std::to_string(i);
    expected += "$" + std::to_string(v.size()) + "\r\n" + v + "\r\n";
  }
  EXPECT_EQ(read_exact(fd, expected.size()), expected);
  ::close(fd);
}

TEST(Server, CommandSplitAcrossManyWritesOneByteAtATime) {
  KvdProcess kvd;
  int fd = kvd.raw_socket();
  ASSERT_GE(fd, 0);
  std::string cmd = resp_command({"ECHO", "hello world"}) + "PING\r\n";
  for (char ch : cmd) ASSERT_TRUE(write_all(fd, std::string(1, ch)));
  std::string expected = "$11\r\nhello world\r\n+PONG\r\n";
  EXPECT_EQ(read_exact(fd, expected.size()), expected);
  ::close(fd);
}

TEST(Server, ThousandConcurrentClients) {
  raise_fd_limit(4096);
  KvdProcess kvd;
  std::vector<RedisPtr> clients;
  for (int i = 0; i < 1000; ++i) {
    clients.push_back(kvd.connect());
    ASSERT_TRUE(clients.back() && !clients.back()->err) << "client " << i;
  }
  // Every client sends before any reads: the server holds 1,000 live requests.
  for (int i = 0; i < 1000; ++i) {
    std::string k = "key:" + std::to_string(i);
    redisAppendCommand(clients[i].get(), "SET %s %d", k.c_str(), i);
  }
  for (int i = 0; i < 1000; ++i) {
    void* r = nullptr;
    ASSERT_EQ(redisGetReply(clients[i].get(), &r), REDIS_OK);
    ReplyPtr reply(static_cast<redisReply*>(r), freeReplyObject);
    ASSERT_EQ(reply->type, REDIS_REPLY_STATUS);
  }
  auto r = KvdProcess::command(clients[0].get(), {"DBSIZE"});
  EXPECT_EQ(r->integer, 1000);
  EXPECT_EQ(info_field(clients[0].get(), "connected_clients"), "1000");
}

TEST(Server, MaxClientsRefusesWithVisibleError) {
  KvdProcess kvd({"--maxclients", "2"});
  auto a = kvd.connect();
  // The start-up probe's connection is closed asynchronously (by an I/O thread
  // first, when there are some): wait until only `a` counts.
  ASSERT_TRUE(wait_until([&] { return info_field(a.get(), "connected_clients") == "1"; }));
  auto b = kvd.connect();
  ASSERT_EQ(KvdProcess::command(a.get(), {"PING"})->type, REDIS_REPLY_STATUS);
  ASSERT_EQ(KvdProcess::command(b.get(), {"PING"})->type, REDIS_REPLY_STATUS);
  int fd = kvd.raw_socket();
  ASSERT_GE(fd, 0);
  EXPECT_EQ(read_to_eof(fd), "-ERR max number of clients reached\r\n");
  ::close(fd);
  EXPECT_EQ(info_field(a.get(), "rejected_connections"), "1");
}

TEST(Server, ProtocolErrorClosesOnlyThatClient) {
  KvdProcess kvd;
  auto other = kvd.connect();
  int fd = kvd.raw_socket();
  ASSERT_TRUE(write_all(fd, "*1\r\n$x\r\n"));
  EXPECT_EQ(read_to_eof(fd), "-ERR Protocol error: invalid bulk length\r\n");
  ::close(fd);
  fd = kvd.raw_socket();
  ASSERT_TRUE(write_all(fd, "*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n"));
  EXPECT_EQ(read_to_eof(fd), "-ERR Protocol error: expected '$', got 'f'\r\n");
  ::close(fd);
  auto r = KvdProcess::command(other.get(), {"PING"});
  ASSERT_TRUE(r);
  EXPECT_EQ(std::string(r->str), "PONG");
}

TEST(Server, BulkLargerThanProtoMaxBulkLenIsRefused) {
  KvdProcess kvd({"--proto-max-bulk-len", "1mb"});
  int fd = kvd.raw_socket();
  ASSERT_TRUE(write_all(fd, "*2\r\n$4\r\nECHO\r\n$2000000\r\n"));
  EXPECT_EQ(read_to_eof(fd), "-ERR Protocol error: invalid bulk length\r\n");
  ::close(fd);
  EXPECT_TRUE(kvd.ping());
}

// A client that pipelines GETs of a 100 KB value and never reads its replies.
int start_never_reader(const KvdProcess& kvd, int gets) {
  int fd = kvd.raw_socket();
  int small = 4096;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  std::string batch;
  for (int i = 0; i < gets; ++i) batch += resp_command({"GET", "big"});
  // Non-blocking write: once the server stops reading us, our send buffer fills.
  size_t off = 0;
  auto end = Clock::now() + std::chrono::seconds(5);
  while (off < batch.size() && Clock::now() < end) {
    ssize_t w = ::send(fd, batch.data() + off, batch.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w > 0)
      off += static_cast<size_t>(w);
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return fd;
}

TEST(Server, ClientThatNeverReadsIsCutOffAtItsOutputLimit) {
  KvdProcess kvd({"--client-output-buffer-limit", "normal 4mb 0 0"});
  auto c = kvd.connect();
  ASSERT_EQ(KvdProcess::command(c.get(), {"SET", "big", std::string(100 * 1024, 'x')})->type,
            REDIS_REPLY_STATUS);
  int fd = start_never_reader(kvd, 2000);
  // The other client keeps being served promptly while this goes on.
  EXPECT_TRUE(wait_until(
      [&] { return info_field(c.get(), "client_output_buffer_limit_disconnections") == "1"; }));
  auto t0 = Clock::now();
  auto r = KvdProcess::command(c.get(), {"PING"});
  auto elapsed = Clock::now() - t0;
  ASSERT_TRUE(r);
  EXPECT_EQ(std::string(r->str), "PONG");
  EXPECT_LT(elapsed, std::chrono::milliseconds(500));
  ::close(fd);
}

TEST(Server, BackpressureBoundsMemoryOfAClientThatNeverReads) {
  KvdProcess kvd;  // no output limit: only backpressure protects the server
  auto c = kvd.connect();
  ASSERT_EQ(KvdProcess::command(c.get(), {"SET", "big", std::string(100 * 1024, 'x')})->type,
            REDIS_REPLY_STATUS);
  int fd = start_never_reader(kvd, 2000);  // 200 MB of replies if fully served
  // The never-reader's line in CLIENT LIST: its pending replies (omem) and the
  // commands it sent that the server has not run yet (qbuf).
  auto reader_state = [&](long* omem, long* qbuf) {
    auto r = KvdProcess::command(c.get(), {"CLIENT", "LIST"});
    if (!r || r->type != REDIS_REPLY_STRING) return false;
    std::string list(r->str, r->len);
    size_t line = list.find("cmd=get");
    if (line == std::string::npos) return false;
    size_t start = list.rfind('\n', line);
    start = start == std::string::npos ? 0 : start + 1;
    *omem = std::atol(list.c_str() + list.find("omem=", start) + 5);
    *qbuf = std::atol(list.c_str() + list.find("qbuf=", start) + 5);
    return true;
  };
  long omem = 0, qbuf = 0;
  // Paused: replies pending and unrun commands held back, rather than 200 MB of
  // replies built up in memory.
  EXPECT_TRUE(wait_until([&] { return reader_state(&omem, &qbuf) && omem > 0 && qbuf > 0; }));
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(reader_state(&omem, &qbuf));
    EXPECT_LE(omem, 66 * 1024 * 1024);  // the 64 MB bound and one reply
  }
  auto r = KvdProcess::command(c.get(), {"PING"});
  ASSERT_TRUE(r);
  EXPECT_EQ(std::string(r->str), "PONG");
  ::close(fd);
}

// An IPv4 address of this machine other than the loopback, or "".
std::string non_loopback_ipv4() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return "";
  std::string found;
  for (ifaddrs* i = list; i && found.empty(); i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
    auto* a = reinterpret_cast<sockaddr_in*>(i->ifa_addr);
    if ((ntohl(a->sin_addr.s_addr) >> 24) == 127) continue;
    char buf[INET_ADDRSTRLEN];
    if (::inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf)) found = buf;
  }
  ::freeifaddrs(list);
  return found;
}

// Protected mode (the default) with no password: clients from other
// addresses get Redis's DENIED error, loopback ones are served, and a
// password lifts it.
TEST(Server, ProtectedModeRefusesNonLoopbackClients) {
  const std::string ip = non_loopback_ipv4();
  if (ip.empty()) GTEST_SKIP() << "no non-loopback IPv4 address here";
  KvdProcess kvd({"--bind", "* -::*"});
  timeval tv{5, 0};
  RedisPtr remote(redisConnectWithTimeout(ip.c_str(), kvd.port(), tv), redisFree);
  ASSERT_TRUE(remote && !remote->err);
  auto r = KvdProcess::command(remote.get(), {"PING"});
  ASSERT_TRUE(r && r->type == REDIS_REPLY_ERROR);
  EXPECT_EQ(std::string(r->str).rfind("DENIED Redis is running in protected mode", 0), 0u);
  auto c = kvd.connect();
  EXPECT_EQ(std::string(KvdProcess::command(c.get(), {"PING"})->str), "PONG");
  ASSERT_EQ(KvdProcess::command(c.get(), {"CONFIG", "SET", "requirepass", "pw"})->type,
            REDIS_REPLY_STATUS);
  RedisPtr again(redisConnectWithTimeout(ip.c_str(), kvd.port(), tv), redisFree);
  ASSERT_TRUE(again && !again->err);
  EXPECT_EQ(std::string(KvdProcess::command(again.get(), {"AUTH", "pw"})->str), "OK");
}

TEST(Server, SigtermShutsDownCleanlyAndRemovesPidfile) {
  std::string pidfile = "/tmp/kvd-test-" + std::to_string(getpid()) + ".pid";
  KvdProcess kvd({"--pidfile", pidfile});
  EXPECT_TRUE(std::ifstream(pidfile).good());
  EXPECT_EQ(kvd.stop(), 0);
  EXPECT_FALSE(std::ifstream(pidfile).good());
}

TEST(Server, ConfigFileWithIncludeAndFlagsOverrideIt) {
  std::string base = "/tmp/kvd-test-" + std::to_string(getpid());
  {
    std::ofstream inc(base + "-inc.conf");
    inc << "timeout 77\n";
    std::ofstream f(base + ".conf");
    f << "# comment\nmaxclients 500\ninclude " << base << "-inc.conf\nhz 20\n";
  }
  // No save points: a server stopped with them writes dump.rdb into the
  // working directory, where later tests' servers would load it.
  KvdProcess kvd({"--hz", "15", "--save", ""}, base + ".conf");
  auto c = kvd.connect();
  auto r = KvdProcess::command(c.get(), {"CONFIG", "GET", "maxclients"});
  ASSERT_EQ(r->type, REDIS_REPLY_ARRAY);
  EXPECT_EQ(std::string(r->element[1]->str), "500");
  r = KvdProcess::command(c.get(), {"CONFIG", "GET", "timeout"});
  EXPECT_EQ(std::string(r->element[1]->str), "77");
  r = KvdProcess::command(c.get(), {"CONFIG", "GET", "hz"});
  EXPECT_EQ(std::string(r->element[1]->str), "15");
  std::remove((base + ".conf").c_str());
  std::remove((base + "-inc.conf").c_str());
}

TEST(Server, IdleClientsAreClosedAfterTimeout) {
  KvdProcess kvd({"--timeout", "1"});
  int fd = kvd.raw_socket();
  ASSERT_TRUE(write_all(fd, "PING\r\n"));
  EXPECT_EQ(read_exact(fd, 7), "+PONG\r\n");
  // EOF arrives once the server drops the idle connection.
  EXPECT_EQ(read_to_eof(fd), "");
  ::close(fd);
}

TEST(Server, RequirePassNeedsAuth) {
  KvdProcess kvd({"--requirepass", "s3cret"});
  auto c = kvd.connect();
  auto r = KvdProcess::command(c.get(), {"GET", "x"});
  EXPECT_EQ(std::string(r->str), "NOAUTH Authentication required.");
  r = KvdProcess::command(c.get(), {"AUTH", "wrong"});
  EXPECT_EQ(std::string(r->str), "WRONGPASS invalid username-password pair or user is disabled.");
  r = KvdProcess::command(c.get(), {"AUTH", "s3cret"});
  EXPECT_EQ(std::string(r->str), "OK");
  r = KvdProcess::command(c.get(), {"PING"});
  EXPECT_EQ(std::string(r->str), "PONG");
}

TEST(Server, RedisCliOneShotAndPipedInput) {
  KvdProcess kvd;
  std::string cli = "redis-cli -p " + std::to_string(kvd.port());
  auto run = [](const std::string& cmd) {
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
    return out;
  };
  EXPECT_EQ(run(cli + " SET greeting hello"), "OK\n");
  EXPECT_EQ(run(cli + " GET greeting"), "hello\n");
  EXPECT_EQ(run("printf 'INCR n\\nINCR n\\n' | " + cli), "1\n2\n");
}

}  // namespace
}  // namespace kvd::itest

namespace kvd::itest {
namespace {

TEST(Server, QueryBufferLimitClosesTheClient) {
  KvdProcess kvd({"--client-query-buffer-limit", "1mb"});
  int fd = kvd.raw_socket();
  // A 4 MB argument is within proto-max-bulk-len but over the query buffer limit.
  std::string big = "*2\r\n$4\r\nECHO\r\n$4194304\r\n" + std::string(2 * 1024 * 1024, 'x');
  write_all(fd, big);  // the server may close mid-write
  EXPECT_EQ(read_to_eof(fd), "");
  ::close(fd);
  auto c = kvd.connect();
  auto r = KvdProcess::command(c.get(), {"INFO", "stats"});
  ASSERT_TRUE(r);
  EXPECT_NE(std::string(r->str).find("client_query_buffer_limit_disconnections:1"),
            std::string::npos);
}

TEST(Server, UnixSocketServesClients) {
  std::string path = "/tmp/kvd-itest-" + std::to_string(getpid()) + ".sock";
  KvdProcess kvd({"--unixsocket", path, "--unixsocketperm", "700"});
  redisContext* raw = redisConnectUnix(path.c_str());
  RedisPtr c(raw, redisFree);
  ASSERT_TRUE(c && !c->err);
  auto r = KvdProcess::command(c.get(), {"PING"});
  ASSERT_TRUE(r);
  EXPECT_EQ(std::string(r->str), "PONG");
  EXPECT_EQ(kvd.stop(), 0);
  // The socket file goes away with the server.
  EXPECT_NE(::access(path.c_str(), F_OK), 0);
}

}  // namespace
}  // namespace kvd::itest
