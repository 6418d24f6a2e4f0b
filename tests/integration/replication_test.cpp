// Replication with real processes: kvd replicas of kvd, of redis-server
// 7.0 and the other way round; full sync, the live stream, partial resync
// after a dropped link and after a restart, WAIT and READONLY. Every check
// waits on a condition with a deadline, never on a bare sleep.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
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

// The replica's link is up (INFO master_link_status).
bool linked(redisContext* c) {
  return info_field(c, "master_link_status") == "up";
}

// Both hold the same data (DEBUG DIGEST), within the deadline.
bool converge(redisContext* a, redisContext* b) {
  return wait_until([&] { return digest(a) == digest(b); }, std::chrono::seconds(5));
}

// One key of every type, in two databases, some with a TTL.
void fill_every_type(redisContext* c) {
  run(c, {"SET", "s", "v"});
  run(c, {"SET", "n", "12345"});
  run(c, {"SET", "ttl", "v", "EX", "1000"});
  run(c, {"RPUSH", "l", "a", "b", "c"});
  run(c, {"HSET", "h", "f", "1", "g", "2"});
  run(c, {"SADD", "set", "1", "2", "3", "x"});
  run(c, {"ZADD", "z", "1", "a", "2.5", "b"});
  run(c, {"XADD", "st", "1-1", "f", "v"});
  run(c, {"PFADD", "hll", "a", "b", "c"});
  run(c, {"SELECT", "3"});
  run(c, {"SET", "db3", "x", "PX", "500000"});
  run(c, {"SELECT", "0"});
}

// Writes whose effects, not their text, must replicate.
void mixed_writes(redisContext* c) {
  run(c, {"MULTI"});
  run(c, {"INCR", "n"});
  run(c, {"LPUSH", "l", "front"});
  run(c, {"EXEC"});
  run(c, {"EVAL", "redis.call('set', KEYS[1], 'lua'); return redis.call('incr', 'cnt')", "1",
          "fromlua"});
  run(c, {"SPOP", "set"});
  run(c, {"INCRBYFLOAT", "float", "1.25"});
  run(c, {"SET", "short", "v", "PX", "50"});
  run(c, {"EXPIRE", "s", "100"});
  run(c, {"SELECT", "5"});
  run(c, {"HINCRBYFLOAT", "h5", "f", "0.5"});
  run(c, {"SELECT", "0"});
  run(c, {"DEL", "hll"});
}

std::vector<std::string> kvd_args(const TempDir& d, std::vector<std::string> more = {}) {
  // A diskless sync (kvd's default, as Redis 7's) without its 5 s delay.
  std::vector<std::string> a{
      "--dir", d.path, "--save", "", "--enable-debug-command", "yes", "--repl-diskless-sync-delay",
      "0"};
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

TEST(Replication, FullSyncThenLiveStreamThenPartialResync) {
  TempDir md, rd;
  // The snapshot goes through the disk here; the other tests sync diskless.
  KvdProcess master(kvd_args(md, {"--repl-diskless-sync", "no"}));
  auto m = master.connect();
  fill_every_type(m.get());
  KvdProcess replica(kvd_args(rd, {"--replicaof", "127.0.0.1 " + std::to_string(master.port())}));
  auto r = replica.connect();
  ASSERT_TRUE(wait_until([&] { return linked(r.get()); }));
  EXPECT_TRUE(converge(m.get(), r.get()));
  mixed_writes(m.get());
  EXPECT_EQ(str(run(m.get(), {"WAIT", "1", "2000"})), "1");
  EXPECT_TRUE(converge(m.get(), r.get()));
  // The short-lived key expires on the master, which sends the DEL.
  ASSERT_TRUE(wait_until([&] { return str(run(m.get(), {"EXISTS", "short"})) == "0"; }));
  EXPECT_TRUE(converge(m.get(), r.get()));
  EXPECT_EQ(info_field(r.get(), "role"), "slave");
  EXPECT_EQ(info_field(m.get(), "connected_slaves"), "1");
  EXPECT_EQ(info_field(m.get(), "sync_full"), "1");
  auto list = run(r.get(), {"CLIENT", "LIST", "TYPE", "master"});
  EXPECT_NE(str(list).find("flags=M"), std::string::npos);

  // A dropped link continues from the backlog.
  run(r.get(), {"CLIENT", "KILL", "TYPE", "master"});
  run(m.get(), {"SET", "after-kill", "1"});
  ASSERT_TRUE(wait_until([&] { return info_field(m.get(), "sync_partial_ok") == "1"; }));
  ASSERT_TRUE(wait_until([&] { return linked(r.get()); }));
  EXPECT_TRUE(converge(m.get(), r.get()));
  EXPECT_EQ(info_field(m.get(), "sync_full"), "1");
  EXPECT_EQ(info_field(m.get(), "master_repl_offset"), info_field(r.get(), "master_repl_offset"));
}

TEST(Replication, ReadOnlyReplicaAndWait) {
  TempDir md, rd;
  KvdProcess master(kvd_args(md));
  KvdProcess replica(kvd_args(rd, {"--replicaof", "127.0.0.1 " + std::to_string(master.port())}));
  auto m = master.connect();
  auto r = replica.connect();
  ASSERT_TRUE(wait_until([&] { return linked(r.get()); }));
  EXPECT_EQ(str(run(r.get(), {"SET", "k", "v"})),
            "READONLY You can't write against a read only replica.");
  run(m.get(), {"SET", "k", "v"});
  EXPECT_EQ(str(run(m.get(), {"WAIT", "1", "0"})), "1");
  // Two replicas asked for, one there: the timeout answers with one.
  const auto t0 = Clock::now();
  EXPECT_EQ(str(run(m.get(), {"WAIT", "2", "200"})), "1");
  EXPECT_GE(Clock::now() - t0, std::chrono::milliseconds(150));
  EXPECT_EQ(str(run(r.get(), {"GET", "k"})), "v");
  auto role = run(r.get(), {"ROLE"});
  ASSERT_TRUE(role && role->type == REDIS_REPLY_ARRAY && role->elements == 5);
  EXPECT_EQ(std::string(role->element[0]->str), "slave");
  // min-replicas-to-write refuses writes without enough good replicas.
  run(m.get(), {"CONFIG", "SET", "min-replicas-to-write", "2"});
  EXPECT_EQ(str(run(m.get(), {"SET", "k", "v2"})), "NOREPLICAS Not enough good replicas to write.");
  run(m.get(), {"CONFIG", "SET", "min-replicas-to-write", "0"});
  // Promotion keeps the old ID as replid2.
  const std::string old_id = info_field(r.get(), "master_replid");
  EXPECT_EQ(str(run(r.get(), {"REPLICAOF", "NO", "ONE"})), "OK");
  EXPECT_EQ(info_field(r.get(), "role"), "master");
  EXPECT_EQ(info_field(r.get(), "master_replid2"), old_id);
  EXPECT_EQ(str(run(r.get(), {"SET", "k", "mine"})), "OK");
}

TEST(Replication, RestartedReplicaContinuesWithPsync) {
  TempDir md, rd;
  KvdProcess master(kvd_args(md));
  auto m = master.connect();
  fill_every_type(m.get());
  const std::string of = "127.0.0.1 " + std::to_string(master.port());
  {
    KvdProcess replica(kvd_args(rd, {"--replicaof", of}));
    auto r = replica.connect();
    ASSERT_TRUE(wait_until([&] { return linked(r.get()); }));
    ASSERT_TRUE(converge(m.get(), r.get()));
    run(r.get(), {"SHUTDOWN", "SAVE"});
    replica.wait_for_exit();
  }
  run(m.get(), {"SET", "while-down", "1"});
  KvdProcess replica(kvd_args(rd, {"--replicaof", of}));
  auto r = replica.connect();
  ASSERT_TRUE(wait_until([&] { return linked(r.get()); }));
  EXPECT_TRUE(converge(m.get(), r.get()));
  EXPECT_EQ(info_field(m.get(), "sync_partial_ok"), "1");
  EXPECT_EQ(info_field(m.get(), "sync_full"), "1");
}

TEST(Replication, KvdReplicaOfRedisServer) {
  const std::string redis = find_program("redis-server");
  if (redis.empty()) GTEST_SKIP() << "redis-server not installed";
  TempDir md, rd;
  // 7.0's default: a diskless sync, the `$EOF:` form.
  RedisServer master(redis, md.path,
                     {"--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0",
                      "--enable-debug-command", "yes"});
  auto m = master.connect();
  fill_every_type(m.get());
  KvdProcess replica(kvd_args(rd, {"--replicaof", "127.0.0.1 " + std::to_string(master.port())}));
  auto r = replica.connect();
  ASSERT_TRUE(wait_until([&] { return linked(r.get()); }));
  EXPECT_TRUE(converge(m.get(), r.get()));
  mixed_writes(m.get());
  EXPECT_EQ(str(run(m.get(), {"WAIT", "1", "2000"})), "1");
  EXPECT_TRUE(converge(m.get(), r.get()));
  run(r.get(), {"CLIENT", "KILL", "TYPE", "master"});
  run(m.get(), {"SET", "after-kill", "1"});
  ASSERT_TRUE(wait_until([&] { return info_field(m.get(), "sync_partial_ok") == "1"; }));
  EXPECT_TRUE(converge(m.get(), r.get()));
}

TEST(Replication, RedisServerReplicaOfKvd) {
  const std::string redis = find_program("redis-server");
  if (redis.empty()) GTEST_SKIP() << "redis-server not installed";
  TempDir md, rd;
  KvdProcess master(kvd_args(md));
  auto m = master.connect();
  fill_every_type(m.get());
  RedisServer replica(redis, rd.path,
                      {"--replicaof", "127.0.0.1 " + std::to_string(master.port()),
                       "--enable-debug-command", "yes"});
  auto r = replica.connect();
  ASSERT_TRUE(wait_until([&] { return linked(r.get()); }));
  EXPECT_TRUE(converge(m.get(), r.get()));
  mixed_writes(m.get());
  EXPECT_EQ(str(run(m.get(), {"WAIT", "1", "2000"})), "1");
  EXPECT_TRUE(converge(m.get(), r.get()));
  run(r.get(), {"CLIENT", "KILL", "TYPE", "master"});
  run(m.get(), {"SET", "after-kill", "1"});
  ASSERT_TRUE(wait_until([&] { return info_field(m.get(), "sync_partial_ok") == "1"; }));
  EXPECT_TRUE(converge(m.get(), r.get()));
}

}  // namespace
}  // namespace kvd::itest

namespace kvd::itest {
namespace {

// Redis 7's rule for a replica that changes master: its own replicas stay
// connected until the new history really starts replacing the data. A full
// sync from the new master that dies before its image arrives changes
// nothing down the chain, and the old master then continues with a partial
// resync.
TEST(Replication, ChangingMasterKeepsSubReplicasUntilTheNewDataLoads) {
  TempDir d1, d2, dr, ds;
  KvdProcess master1(kvd_args(d1, {"--loglevel", "notice"}));
  // 1 s per key: master2's image would take minutes.
  KvdProcess master2(kvd_args(d2, {"--rdb-key-save-delay", "1000000"}));
  KvdProcess replica(kvd_args(dr, {"--loglevel", "notice"}));
  KvdProcess sub(kvd_args(ds, {"--loglevel", "notice"}));
  auto m1 = master1.connect(), m2 = master2.connect(), r = replica.connect(), s = sub.connect();
  run(m1.get(), {"SET", "a", "b"});
  run(m2.get(), {"DEBUG", "POPULATE", "10", "master2", "10"});
  run(r.get(), {"REPLICAOF", "127.0.0.1", std::to_string(master1.port())});
  ASSERT_TRUE(wait_until([&] { return linked(r.get()); }));
  run(s.get(), {"REPLICAOF", "127.0.0.1", std::to_string(replica.port())});
  ASSERT_TRUE(wait_until([&] { return linked(s.get()); }));
  ASSERT_EQ(str(run(s.get(), {"GET", "a"})), "b");

  run(r.get(), {"REPLICAOF", "127.0.0.1", std::to_string(master2.port())});
  ASSERT_TRUE(wait_until([&] {
    return info_field(m2.get(), "rdb_bgsave_in_progress") == "1" &&
           info_field(m2.get(), "slave0").find("wait_bgsave") != std::string::npos;
  }));
  run(m2.get(), {"SHUTDOWN", "NOSAVE"});
  master2.wait_for_exit();
  EXPECT_EQ(sub.log_text().find("Connection with master lost"), std::string::npos);
  EXPECT_EQ(info_field(r.get(), "master_replid"), info_field(m1.get(), "master_replid"));
  EXPECT_EQ(info_field(s.get(), "master_replid"), info_field(m1.get(), "master_replid"));

  const std::string full = info_field(m1.get(), "sync_full");
  const std::string partial = info_field(m1.get(), "sync_partial_ok");
  run(r.get(), {"REPLICAOF", "127.0.0.1", std::to_string(master1.port())});
  ASSERT_TRUE(wait_until([&] { return linked(r.get()); }));
  EXPECT_EQ(info_field(m1.get(), "sync_full"), full);
  EXPECT_EQ(info_field(m1.get(), "sync_partial_ok"), std::to_string(std::stoi(partial) + 1));
  EXPECT_EQ(sub.log_text().find("Connection with master lost"), std::string::npos);
  EXPECT_EQ(info_field(r.get(), "sync_full"), "1");
  EXPECT_EQ(info_field(r.get(), "sync_partial_ok"), "0");
  run(m1.get(), {"SET", "a", "c"});
  EXPECT_TRUE(wait_until([&] { return str(run(s.get(), {"GET", "a"})) == "c"; }));
}

// A full sync from another master whose load was cut short replaced the
// replica's data: back with its first master, it must not continue from the
// old ID and offset (that would keep whatever the cut load left) but ask for
// a full sync, as Redis does once it discarded its cached master.
// (on-empty-db loads diskless only into an empty dataset: master1 has none.)
TEST(Replication, ACutFullSyncLoadAsksForAFullSyncNext) {
  TempDir d1, d2, rd;
  KvdProcess master1(kvd_args(d1));
  // 2 ms per key: master2's image takes about 4 s.
  KvdProcess master2(kvd_args(d2, {"--rdb-key-save-delay", "2000"}));
  auto m1 = master1.connect(), m2 = master2.connect();
  run(m2.get(), {"DEBUG", "POPULATE", "2000", "master2"});
  KvdProcess replica(kvd_args(rd, {"--loglevel", "notice", "--repl-diskless-load", "on-empty-db"}));
  auto r = replica.connect();
  run(r.get(), {"REPLICAOF", "127.0.0.1", std::to_string(master1.port())});
  ASSERT_TRUE(wait_until([&] { return linked(r.get()); }));
  run(r.get(), {"REPLICAOF", "127.0.0.1", std::to_string(master2.port())});
  ASSERT_TRUE(wait_until([&] { return info_field(r.get(), "loading") == "1"; }));
  run(m2.get(), {"SHUTDOWN", "NOSAVE"});
  master2.wait_for_exit();
  run(r.get(), {"REPLICAOF", "127.0.0.1", std::to_string(master1.port())});
  ASSERT_TRUE(wait_until([&] { return linked(r.get()); }, std::chrono::seconds(20)));
  EXPECT_NE(replica.log_text().find("Partial resynchronization not possible (no cached master)"),
            std::string::npos);
  EXPECT_EQ(info_field(m1.get(), "sync_full"), "2");
  EXPECT_EQ(info_field(m1.get(), "sync_partial_ok"), "0");
  run(m1.get(), {"SET", "after", "1"});
  EXPECT_TRUE(converge(m1.get(), r.get()));
}

}  // namespace
}  // namespace kvd::itest
