// The README's sharding recipe: twemproxy (Debian's nutcracker) in front of
// two kvd processes. Keys written through the proxy land on both shards by
// consistent hashing, read back through the proxy, and a pipeline of MGET
// and DEL across shards gives the same answers a single server would.
// Skipped when nutcracker is not installed.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "kvd_process.hpp"
#include "redis_process.hpp"

namespace kvd::itest {
namespace {

TEST(Twemproxy, ShardsKeysOverTwoKvdProcesses) {
  // Debian installs it in /usr/sbin, which a user's PATH may lack.
  std::string nutcracker = find_program("nutcracker");
  if (nutcracker.empty() && ::access("/usr/sbin/nutcracker", X_OK) == 0)
    nutcracker = "/usr/sbin/nutcracker";
  if (nutcracker.empty()) GTEST_SKIP() << "nutcracker not installed";
  KvdProcess shard_a, shard_b;
  char tmpl[] = "/tmp/kvd-twemproxy-itest-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  const int port = free_port();
  {
    // The recipe's pool, as the README gives it.
    std::ofstream conf(dir + "/nutcracker.yml");
    conf << "kvd:\n"
         << "  listen: 127.0.0.1:" << port
         << "\n"
         // murmur: with ketama, nutcracker 0.5's fnv1a_64 sent all 200
         // keys to one of two servers here.
         << "  hash: murmur\n"
         << "  distribution: ketama\n"
         << "  redis: true\n"
         << "  auto_eject_hosts: false\n"
         << "  timeout: 2000\n"
         << "  servers:\n"
         << "   - 127.0.0.1:" << shard_a.port() << ":1 shard-a\n"
         << "   - 127.0.0.1:" << shard_b.port() << ":1 shard-b\n";
  }
  Child proxy({nutcracker, "-c", dir + "/nutcracker.yml", "-s", std::to_string(free_port())},
              dir + "/nutcracker.log");
  RedisPtr c(nullptr, redisFree);
  ASSERT_TRUE(wait_until(
      [&] {
        timeval tv{5, 0};
        c = RedisPtr(redisConnectWithTimeout("127.0.0.1", port, tv), redisFree);
        if (c && !c->err) redisSetTimeout(c.get(), tv);
        return c && !c->err;
      },
      std::chrono::seconds(10)));
  for (int i = 0; i < 200; ++i) {
    auto r = KvdProcess::command(c.get(), {"SET", "user:" + std::to_string(i), std::to_string(i)});
    ASSERT_TRUE(r && r->type == REDIS_REPLY_STATUS) << i;
  }
  // Both shards hold a fair part, and together exactly the 200 keys.
  auto a = shard_a.connect();
  auto b = shard_b.connect();
  const long long on_a = KvdProcess::command(a.get(), {"DBSIZE"})->integer;
  const long long on_b = KvdProcess::command(b.get(), {"DBSIZE"})->integer;
  EXPECT_EQ(on_a + on_b, 200);
  EXPECT_GT(on_a, 40);
  EXPECT_GT(on_b, 40);
  // Reads through the proxy: one key, then an MGET the proxy splits.
  auto one = KvdProcess::command(c.get(), {"GET", "user:17"});
  ASSERT_TRUE(one && one->type == REDIS_REPLY_STRING);
  EXPECT_EQ(std::string(one->str, one->len), "17");
  std::vector<std::string> mget{"MGET"};
  for (int i = 0; i < 50; ++i) mget.push_back("user:" + std::to_string(i));
  auto many = KvdProcess::command(c.get(), mget);
  ASSERT_TRUE(many && many->type == REDIS_REPLY_ARRAY && many->elements == 50);
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(std::string(many->element[i]->str, many->element[i]->len), std::to_string(i));
  std::vector<std::string> del{"DEL"};
  for (int i = 0; i < 100; ++i) del.push_back("user:" + std::to_string(i));
  EXPECT_EQ(KvdProcess::command(c.get(), del)->integer, 100);
  EXPECT_EQ(KvdProcess::command(a.get(), {"DBSIZE"})->integer +
                KvdProcess::command(b.get(), {"DBSIZE"})->integer,
            100);
  proxy.stop(SIGTERM);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace kvd::itest
