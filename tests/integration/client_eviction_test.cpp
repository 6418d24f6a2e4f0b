// maxmemory-clients: clients whose buffers and state together pass the limit
// are disconnected, the biggest first, and a CLIENT NO-EVICT client never.

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "kvd_process.hpp"

namespace kvd::itest {
namespace {

// The names of the connected clients (CLIENT LIST's name= fields).
std::vector<std::string> client_names(redisContext* c) {
  auto r = KvdProcess::command(c, {"CLIENT", "LIST"});
  std::vector<std::string> names;
  if (!r || r->type != REDIS_REPLY_STRING) return names;
  std::string list(r->str, r->len);
  for (size_t at = list.find(" name="); at != std::string::npos; at = list.find(" name=", at + 1)) {
    size_t start = at + 6, end = list.find(' ', start);
    names.push_back(list.substr(start, end - start));
  }
  return names;
}

bool has_client(redisContext* c, const std::string& name) {
  for (const auto& n : client_names(c))
    if (n == name) return true;
  return false;
}

// A raw connection named `name` holding `bytes` of an unfinished request in
// its query buffer.
int client_with_pending_request(const KvdProcess& kvd, const std::string& name, size_t bytes) {
  int fd = kvd.raw_socket();
  std::string setname = "*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$" + std::to_string(name.size()) +
                        "\r\n" + name + "\r\n";
  write_all(fd, setname);
  read_exact(fd, 5);  // +OK\r\n
  std::string partial = "*2\r\n$3\r\nSET\r\n$" + std::to_string(bytes + 100) + "\r\n";
  partial += std::string(bytes, 'v');
  write_all(fd, partial);
  return fd;
}

// The qbuf= of a named client, or -1.
long qbuf_of(redisContext* c, const std::string& name) {
  auto r = KvdProcess::command(c, {"CLIENT", "LIST"});
  if (!r || r->type != REDIS_REPLY_STRING) return -1;
  std::string list(r->str, r->len);
  size_t at = list.find(" name=" + name + " ");
  if (at == std::string::npos) return -1;
  return std::atol(list.c_str() + list.find("qbuf=", at) + 5);
}

TEST(ClientEviction, BigQueryBufferIsEvictedAndCounted) {
  KvdProcess kvd({"--maxmemory-clients", "1mb"});
  auto control = kvd.connect();
  KvdProcess::command(control.get(), {"CLIENT", "NO-EVICT", "ON"});
  int fd = client_with_pending_request(kvd, "big", 2 * 1024 * 1024);
  // The server drops the connection: the read sees the end of the stream.
  EXPECT_EQ(read_to_eof(fd), "");
  ::close(fd);
  EXPECT_TRUE(wait_until([&] { return info_field(control.get(), "evicted_clients") == "1"; }));
  EXPECT_TRUE(kvd.ping());
}

TEST(ClientEviction, WatchListGrowthEvicts) {
  KvdProcess kvd;
  auto control = kvd.connect();
  KvdProcess::command(control.get(), {"CONFIG", "SET", "maxmemory-clients", "200000"});
  auto watcher = kvd.connect();
  bool dropped = false;
  for (int j = 0; j < 200000 && !dropped; ++j) {
    auto r = KvdProcess::command(watcher.get(), {"WATCH", std::to_string(j)});
    dropped = !r;
  }
  EXPECT_TRUE(dropped);
  EXPECT_EQ(info_field(control.get(), "evicted_clients"), "1");
}

TEST(ClientEviction, LowerLimitEvictsTheBiggestFirstAndSparesNoEvict) {
  KvdProcess kvd;
  auto control = kvd.connect();
  KvdProcess::command(control.get(), {"CLIENT", "SETNAME", "control"});
  KvdProcess::command(control.get(), {"CLIENT", "NO-EVICT", "ON"});
  const long kb = 1024;
  int small = client_with_pending_request(kvd, "small", 100 * kb);
  int mid = client_with_pending_request(kvd, "mid", 800 * kb);
  int large = client_with_pending_request(kvd, "large", 1600 * kb);
  ASSERT_TRUE(wait_until([&] {
    return qbuf_of(control.get(), "small") >= 100 * kb &&
           qbuf_of(control.get(), "mid") >= 800 * kb &&
           qbuf_of(control.get(), "large") >= 1600 * kb;
  }));
  auto r = KvdProcess::command(control.get(), {"CONFIG", "SET", "maxmemory-clients", "1200kb"});
  ASSERT_EQ(r->type, REDIS_REPLY_STATUS);
  // Evicting "large" alone brings the total under the limit.
  EXPECT_TRUE(wait_until([&] { return !has_client(control.get(), "large"); }));
  EXPECT_TRUE(has_client(control.get(), "mid"));
  EXPECT_TRUE(has_client(control.get(), "small"));
  // Below everything: every evictable client goes, the no-evict one stays.
  KvdProcess::command(control.get(), {"CONFIG", "SET", "maxmemory-clients", "1"});
  EXPECT_TRUE(wait_until(
      [&] { return client_names(control.get()) == std::vector<std::string>{"control"}; }));
  EXPECT_EQ(info_field(control.get(), "evicted_clients"), "3");
  ::close(small);
  ::close(mid);
  ::close(large);
}

TEST(ClientEviction, TotMemCountsTheMultiQueue) {
  KvdProcess kvd;
  auto c = kvd.connect();
  auto other = kvd.connect();
  KvdProcess::command(c.get(), {"CLIENT", "SETNAME", "queuer"});
  KvdProcess::command(c.get(), {"MULTI"});
  for (int i = 0; i < 10; ++i) KvdProcess::command(c.get(), {"SET", "k", std::string(10000, 'x')});
  auto r = KvdProcess::command(other.get(), {"CLIENT", "LIST"});
  ASSERT_TRUE(r);
  std::string list(r->str, r->len);
  size_t at = list.find("name=queuer");
  ASSERT_NE(at, std::string::npos);
  long multi_mem = std::atol(list.c_str() + list.find("multi-mem=", at) + 10);
  long tot_mem = std::atol(list.c_str() + list.find("tot-mem=", at) + 8);
  EXPECT_GE(multi_mem, 100000);
  EXPECT_GE(tot_mem, multi_mem);
}

}  // namespace
}  // namespace kvd::itest
