// Diskless full sync with real processes: a kvd master streams one forked
// snapshot to two kvd replicas at once, a redis-server 7.0 replica loads
// kvd's diskless payload, and a replica that dies mid-transfer costs the
// master nothing. Every check waits on a condition with a deadline.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "kvd_process.hpp"
#include "redis_process.hpp"

namespace kvd::itest {
namespace {

using Cmd = std::vector<std::string>;

ReplyPtr run(redisContext* c, const Cmd& args) {
  return KvdProcess::command(c, args);
}

std::string str(const ReplyPtr& r) {
  if (!r) return "<no reply>";
  if (r->type == REDIS_REPLY_INTEGER) return std::to_string(r->integer);
  if (r->str) return std::string(r->str, r->len);
  return "";
}

std::string digest(redisContext* c) {
  return str(run(c, {"DEBUG", "DIGEST"}));
}

bool converge(redisContext* a, redisContext* b) {
  return wait_until([&] { return digest(a) == digest(b); }, std::chrono::seconds(10));
}

bool linked(redisContext* c) {
  return info_field(c, "master_link_status") == "up";
}

// Some of every type, and enough keys that the image takes many pipe reads.
void fill(redisContext* c, int keys) {
  for (int i = 0; i < keys; i += 100) {
    Cmd mset{"MSET"};
    for (int j = i; j < i + 100; ++j) {
      mset.push_back("key:" + std::to_string(j));
      mset.push_back(std::string(64, static_cast<char>('a' + j % 26)));
    }
    run(c, mset);
  }
  run(c, {"RPUSH", "l", "a", "b", "c"});
  run(c, {"HSET", "h", "f", "1"});
  run(c, {"ZADD", "z", "1", "a"});
  run(c, {"SADD", "s", "x", "y"});
  run(c, {"XADD", "st", "1-1", "f", "v"});
  run(c, {"SET", "ttl", "v", "EX", "1000"});
}

std::vector<std::string> args_in(const TempDir& d, std::vector<std::string> more = {}) {
  std::vector<std::string> a{"--dir",
                             d.path,
                             "--save",
                             "",
                             "--enable-debug-command",
                             "yes",
                             "--loglevel",
                             "notice",
                             "--repl-diskless-sync",
                             "yes"};
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

TEST(DisklessSync, TwoReplicasShareOneForkAndNoFileIsWritten) {
  TempDir md, ad, bd;
  // The fork waits for the second replica (max-replicas), not the delay.
  KvdProcess master(
      args_in(md, {"--repl-diskless-sync-delay", "60", "--repl-diskless-sync-max-replicas", "2"}));
  auto m = master.connect();
  fill(m.get(), 20000);
  const std::string forks_before = info_field(m.get(), "total_forks");
  const std::string of = "127.0.0.1 " + std::to_string(master.port());
  KvdProcess a(args_in(ad, {"--replicaof", of}));
  auto ac = a.connect();
  ASSERT_TRUE(wait_until([&] { return info_field(m.get(), "connected_slaves") == "1"; }));
  EXPECT_EQ(info_field(m.get(), "total_forks"), forks_before);  // still waiting
  KvdProcess b(args_in(bd, {"--replicaof", of}));
  auto bc = b.connect();
  ASSERT_TRUE(
      wait_until([&] { return linked(ac.get()) && linked(bc.get()); }, std::chrono::seconds(20)));
  EXPECT_EQ(std::stoi(info_field(m.get(), "total_forks")), std::stoi(forks_before) + 1);
  EXPECT_EQ(info_field(m.get(), "sync_full"), "2");
  EXPECT_TRUE(converge(m.get(), ac.get()));
  EXPECT_TRUE(converge(m.get(), bc.get()));
  // Nothing went through the disk, and a transfer is not a save.
  EXPECT_FALSE(std::filesystem::exists(md.path + "/dump.rdb"));
  EXPECT_EQ(info_field(m.get(), "rdb_last_bgsave_status"), "ok");
  EXPECT_NE(info_field(m.get(), "rdb_changes_since_last_save"), "0");
  EXPECT_NE(master.log_text().find("Starting BGSAVE for SYNC with target: replicas sockets"),
            std::string::npos);
  // The stream continues after the image.
  run(m.get(), {"INCR", "after"});
  EXPECT_EQ(str(run(m.get(), {"WAIT", "2", "5000"})), "2");
  EXPECT_TRUE(converge(m.get(), ac.get()));
  EXPECT_TRUE(converge(m.get(), bc.get()));
}

TEST(DisklessSync, RedisServerLoadsKvdsDisklessPayload) {
  const std::string redis = find_program("redis-server");
  if (redis.empty()) GTEST_SKIP() << "redis-server not installed";
  TempDir md, rd;
  KvdProcess master(args_in(md, {"--repl-diskless-sync-delay", "0"}));
  auto m = master.connect();
  fill(m.get(), 5000);
  RedisServer replica(redis, rd.path,
                      {"--replicaof", "127.0.0.1 " + std::to_string(master.port()),
                       "--enable-debug-command", "yes"});
  auto r = replica.connect();
  ASSERT_TRUE(wait_until([&] { return linked(r.get()); }, std::chrono::seconds(10)));
  EXPECT_TRUE(converge(m.get(), r.get()));
  run(m.get(), {"SET", "live", "1"});
  EXPECT_EQ(str(run(m.get(), {"WAIT", "1", "5000"})), "1");
  EXPECT_TRUE(converge(m.get(), r.get()));
  EXPECT_FALSE(std::filesystem::exists(md.path + "/dump.rdb"));
}

// repl-diskless-load swapdb: the image is loaded as it arrives, nothing is
// written on the replica's disk, and what the replica held before is gone.
TEST(DisklessSync, ReplicaLoadsTheImageAsItArrives) {
  TempDir md, rd;
  KvdProcess master(args_in(md, {"--repl-diskless-sync-delay", "0"}));
  auto m = master.connect();
  fill(m.get(), 5000);
  KvdProcess replica(args_in(rd, {"--repl-diskless-load", "swapdb"}));
  auto r = replica.connect();
  run(r.get(), {"SET", "only-on-the-replica", "1"});
  ASSERT_EQ(str(run(r.get(), {"REPLICAOF", "127.0.0.1", std::to_string(master.port())})), "OK");
  ASSERT_TRUE(wait_until([&] { return linked(r.get()); }, std::chrono::seconds(10)));
  EXPECT_TRUE(converge(m.get(), r.get()));
  EXPECT_EQ(str(run(r.get(), {"EXISTS", "only-on-the-replica"})), "0");
  EXPECT_NE(replica.log_text().find("receiving streamed RDB from master with EOF to parser"),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(rd.path + "/dump.rdb"));
  run(m.get(), {"SET", "live", "1"});
  EXPECT_EQ(str(run(m.get(), {"WAIT", "1", "5000"})), "1");
  EXPECT_TRUE(converge(m.get(), r.get()));
}

// swapdb with a master of another history: clients get LOADING while the
// image streams in, and a transfer cut short leaves the old data as it was.
// Once synced, a second full sync of the same history loads in the
// background (async_loading) while the old data keeps being served.
TEST(DisklessSync, SwapdbKeepsTheOldDataUntilTheImageIsComplete) {
  TempDir md, rd;
  // 1 ms per key: the child takes about 3 s for its 3,000 keys.
  KvdProcess master(args_in(md, {"--repl-diskless-sync-delay", "0", "--rdb-key-save-delay", "1000",
                                 "--repl-backlog-size", "16384"}));
  auto m = master.connect();
  fill(m.get(), 3000);
  KvdProcess replica(args_in(rd, {"--repl-diskless-load", "swapdb", "--replica-read-only", "no"}));
  auto r = replica.connect();
  run(r.get(), {"SET", "only-on-the-replica", "1"});
  ASSERT_EQ(str(run(r.get(), {"REPLICAOF", "127.0.0.1", std::to_string(master.port())})), "OK");
  ASSERT_TRUE(wait_until([&] { return info_field(r.get(), "loading") == "1"; }));
  EXPECT_EQ(info_field(r.get(), "async_loading"), "0");
  EXPECT_EQ(str(run(r.get(), {"GET", "only-on-the-replica"})).rfind("LOADING", 0), 0u);
  run(m.get(), {"CLIENT", "KILL", "TYPE", "replica"});
  ASSERT_TRUE(wait_until([&] { return info_field(r.get(), "loading") == "0"; }));
  EXPECT_EQ(str(run(r.get(), {"GET", "only-on-the-replica"})), "1");
  EXPECT_EQ(str(run(r.get(), {"DBSIZE"})), "1");
  EXPECT_NE(replica.log_text().find("Internal error in RDB"), std::string::npos);
  // The next attempt completes.
  run(m.get(), {"CONFIG", "SET", "rdb-key-save-delay", "0"});
  ASSERT_TRUE(wait_until([&] { return linked(r.get()); }, std::chrono::seconds(20)));
  EXPECT_TRUE(converge(m.get(), r.get()));
  // Same history now: a forced full sync loads in the background.
  run(r.get(), {"SET", "written-on-the-replica", "1"});
  run(m.get(), {"CONFIG", "SET", "rdb-key-save-delay", "1000"});
  run(m.get(), {"MULTI"});
  run(m.get(), {"CLIENT", "KILL", "TYPE", "replica"});
  for (int i = 0; i < 4; ++i)
    run(m.get(), {"SET", "pad" + std::to_string(i), std::string(16384, 'x')});
  run(m.get(), {"EXEC"});
  ASSERT_TRUE(wait_until([&] { return info_field(r.get(), "async_loading") == "1"; }))
      << replica.log_text() << "\n---- master\n"
      << master.log_text();
  EXPECT_EQ(info_field(r.get(), "loading"), "0");
  EXPECT_EQ(str(run(r.get(), {"GET", "written-on-the-replica"})), "1");
  EXPECT_EQ(str(run(r.get(), {"REPLICAOF", "NO", "ONE"})).rfind("LOADING", 0), 0u);
  run(m.get(), {"CONFIG", "SET", "rdb-key-save-delay", "0"});
  ASSERT_TRUE(
      wait_until([&] { return linked(r.get()) && info_field(r.get(), "async_loading") == "0"; },
                 std::chrono::seconds(20)));
  EXPECT_TRUE(converge(m.get(), r.get()));
  EXPECT_EQ(str(run(r.get(), {"EXISTS", "written-on-the-replica"})), "0");
}

TEST(DisklessSync, AReplicaDyingMidTransferCostsTheMasterNothing) {
  TempDir md, rd;
  // 200 µs per key: the child takes about a second for its 5,000 keys.
  KvdProcess master(
      args_in(md, {"--repl-diskless-sync-delay", "0", "--rdb-key-save-delay", "200"}));
  auto m = master.connect();
  fill(m.get(), 5000);
  {
    KvdProcess replica(args_in(rd, {"--replicaof", "127.0.0.1 " + std::to_string(master.port())}));
    ASSERT_TRUE(wait_until([&] { return info_field(m.get(), "rdb_bgsave_in_progress") == "1"; }));
    ::kill(replica.pid(), SIGKILL);
  }
  ASSERT_TRUE(wait_until(
      [&] {
        return info_field(m.get(), "rdb_bgsave_in_progress") == "0" &&
               info_field(m.get(), "connected_slaves") == "0";
      },
      std::chrono::seconds(10)));
  EXPECT_NE(master.log_text().find("Diskless rdb transfer, last replica dropped, killing fork"),
            std::string::npos);
  EXPECT_EQ(info_field(m.get(), "rdb_last_bgsave_status"), "ok");
  EXPECT_EQ(str(run(m.get(), {"SET", "still", "writable"})), "OK");
  // A new replica gets a complete sync afterwards.
  TempDir rd2;
  KvdProcess again(args_in(rd2, {"--replicaof", "127.0.0.1 " + std::to_string(master.port())}));
  auto r = again.connect();
  ASSERT_TRUE(wait_until([&] { return linked(r.get()); }, std::chrono::seconds(20)));
  EXPECT_TRUE(converge(m.get(), r.get()));
}

}  // namespace
}  // namespace kvd::itest
