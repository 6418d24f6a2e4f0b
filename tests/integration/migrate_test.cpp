// MIGRATE between two real servers: kvd to kvd and kvd to redis-server 7.0
// (when installed). Keys leave the source only once the target has them, with
// their TTL, and the target's refusals come back as Redis words them.
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

std::string text(const ReplyPtr& r) {
  if (!r) return "(no reply)";
  if (r->type == REDIS_REPLY_INTEGER) return std::to_string(r->integer);
  if (r->type == REDIS_REPLY_NIL) return "(nil)";
  if (r->str) return std::string(r->str, r->len);
  return "(type " + std::to_string(r->type) + ")";
}

std::string info_field(redisContext* c, const std::string& name) {
  std::string all = text(KvdProcess::command(c, {"INFO", "stats"}));
  size_t at = all.find(name + ":");
  if (at == std::string::npos) return "";
  size_t end = all.find("\r\n", at);
  return all.substr(at + name.size() + 1, end - at - name.size() - 1);
}

using Cmd = std::vector<std::string>;

TEST(Migrate, MovesKeysWithTheirTtlAndCachesTheConnection) {
  KvdProcess src;
  KvdProcess dst;
  auto s = src.connect();
  auto d = dst.connect();
  const std::string port = std::to_string(dst.port());
  ASSERT_EQ(text(KvdProcess::command(s.get(), {"SET", "key", "v", "EX", "100"})), "OK");
  EXPECT_EQ(info_field(s.get(), "migrate_cached_sockets"), "0");
  EXPECT_EQ(text(KvdProcess::command(s.get(), {"MIGRATE", "127.0.0.1", port, "key", "9", "1000"})),
            "OK");
  EXPECT_EQ(info_field(s.get(), "migrate_cached_sockets"), "1");
  EXPECT_EQ(text(KvdProcess::command(s.get(), {"EXISTS", "key"})), "0");
  KvdProcess::command(d.get(), {"SELECT", "9"});
  EXPECT_EQ(text(KvdProcess::command(d.get(), {"GET", "key"})), "v");
  const int64_t ttl = std::stoll(text(KvdProcess::command(d.get(), {"TTL", "key"})));
  EXPECT_GT(ttl, 90);
  EXPECT_LE(ttl, 100);

  // Nothing to move is not an error.
  EXPECT_EQ(text(KvdProcess::command(s.get(), {"MIGRATE", "127.0.0.1", port, "key", "9", "1000"})),
            "NOKEY");

  // COPY keeps the source; without REPLACE an existing target key is refused
  // and kept here; the keys the target took are deleted, the others stay.
  KvdProcess::command(s.get(), {"MSET", "a", "1", "b", "2", "c", "3"});
  KvdProcess::command(d.get(), {"SET", "c", "taken"});
  EXPECT_EQ(text(KvdProcess::command(
                s.get(), {"MIGRATE", "127.0.0.1", port, "", "9", "1000", "COPY", "KEYS", "a"})),
            "OK");
  EXPECT_EQ(text(KvdProcess::command(s.get(), {"EXISTS", "a"})), "1");
  auto busy = KvdProcess::command(
      s.get(), {"MIGRATE", "127.0.0.1", port, "", "9", "1000", "REPLACE", "KEYS", "a", "nokey"});
  EXPECT_EQ(text(busy), "OK");
  EXPECT_EQ(text(KvdProcess::command(s.get(), {"EXISTS", "a"})), "0");
  auto refused = KvdProcess::command(
      s.get(), {"MIGRATE", "127.0.0.1", port, "", "9", "1000", "KEYS", "b", "c"});
  ASSERT_EQ(refused->type, REDIS_REPLY_ERROR);
  EXPECT_EQ(text(refused),
            "ERR Target instance replied with error: BUSYKEY Target key name already exists.");
  EXPECT_EQ(text(KvdProcess::command(s.get(), {"EXISTS", "b", "c"})), "1");
  EXPECT_EQ(text(KvdProcess::command(d.get(), {"GET", "b"})), "2");
  EXPECT_EQ(text(KvdProcess::command(d.get(), {"GET", "c"})), "taken");
}

// The AOF (and later replicas) records MIGRATE as DEL of the keys that left,
// never as MIGRATE: replaying it must not reach out to another server.
TEST(Migrate, IsWrittenToTheAofAsDelOfTheKeysThatLeft) {
  char tmpl[] = "/tmp/kvd-migrate-itest-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  {
    KvdProcess src({"--dir", dir, "--save", "", "--appendonly", "yes", "--appendfsync", "always"});
    KvdProcess dst;
    auto s = src.connect();
    KvdProcess::command(s.get(), {"MSET", "gone", "1", "copied", "2"});
    const std::string port = std::to_string(dst.port());
    EXPECT_EQ(
        text(KvdProcess::command(s.get(), {"MIGRATE", "127.0.0.1", port, "gone", "0", "1000"})),
        "OK");
    EXPECT_EQ(text(KvdProcess::command(
                  s.get(), {"MIGRATE", "127.0.0.1", port, "copied", "0", "1000", "COPY"})),
              "OK");
  }
  std::ifstream in(dir + "/appendonlydir/appendonly.aof.1.incr.aof", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string aof = ss.str();
  EXPECT_NE(aof.find("*2\r\n$3\r\nDEL\r\n$4\r\ngone\r\n"), std::string::npos) << aof;
  EXPECT_EQ(aof.find("MIGRATE"), std::string::npos) << aof;
  EXPECT_EQ(aof.find("copied\r\n*"), std::string::npos);  // COPY deleted nothing
  std::filesystem::remove_all(dir);
}

TEST(Migrate, ReportsConnectionAndArgumentErrors) {
  KvdProcess src;
  auto s = src.connect();
  KvdProcess::command(s.get(), {"SET", "k", "v"});
  // A port nobody listens on: refused at once.
  const std::string dead = std::to_string(free_port());
  EXPECT_EQ(text(KvdProcess::command(s.get(), {"MIGRATE", "127.0.0.1", dead, "k", "0", "200"})),
            "IOERR error or timeout connecting to the client");
  EXPECT_EQ(text(KvdProcess::command(s.get(), {"EXISTS", "k"})), "1");
  EXPECT_EQ(text(KvdProcess::command(s.get(),
                                     {"MIGRATE", "127.0.0.1", dead, "k", "0", "200", "KEYS", "k"})),
            "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string");
  EXPECT_EQ(
      text(KvdProcess::command(s.get(), {"MIGRATE", "127.0.0.1", dead, "k", "0", "200", "x"})),
      "ERR syntax error");
  auto keys = KvdProcess::command(s.get(), {"COMMAND", "GETKEYS", "MIGRATE", "h", "1", "", "0", "5",
                                            "AUTH", "pw", "KEYS", "x", "y"});
  ASSERT_EQ(keys->type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(keys->elements, 2u);
  EXPECT_EQ(std::string(keys->element[0]->str), "x");
}

TEST(Migrate, TimesOutOnATargetThatDoesNotAnswer) {
  KvdProcess src;
  KvdProcess dst({"--enable-debug-command", "yes"});
  auto s = src.connect();
  auto sleeper = dst.connect();
  KvdProcess::command(s.get(), {"SET", "k", "v"});
  // The target's command thread sleeps, so it reads nothing for a second.
  redisAppendCommand(sleeper.get(), "DEBUG SLEEP 1");
  int done = 0;
  redisBufferWrite(sleeper.get(), &done);
  auto r = KvdProcess::command(
      s.get(), {"MIGRATE", "127.0.0.1", std::to_string(dst.port()), "k", "0", "300"});
  EXPECT_EQ(text(r).rfind("IOERR error or timeout", 0), 0u) << text(r);
  EXPECT_EQ(text(KvdProcess::command(s.get(), {"EXISTS", "k"})), "1");
}

TEST(Migrate, RedisServerAcceptsKvdsPayloadsAndAuth) {
  const std::string redis = find_program("redis-server");
  if (redis.empty()) GTEST_SKIP() << "redis-server is not installed";
  RedisServer target(redis, "/tmp");
  auto t = target.connect();
  ASSERT_TRUE(t && !t->err);
  KvdProcess::command(t.get(), {"CONFIG", "SET", "requirepass", "secret"});
  KvdProcess::command(t.get(), {"AUTH", "secret"});
  KvdProcess src;
  auto s = src.connect();
  const std::string port = std::to_string(target.port());
  KvdProcess::command(s.get(), {"RPUSH", "list", "a", "b", "c"});
  KvdProcess::command(s.get(), {"HSET", "h", "f", "v"});
  KvdProcess::command(s.get(), {"ZADD", "z", "1.5", "m"});
  EXPECT_EQ(text(KvdProcess::command(s.get(), {"MIGRATE", "127.0.0.1", port, "", "3", "2000",
                                               "AUTH", "secret", "KEYS", "list", "h", "z"})),
            "OK");
  KvdProcess::command(t.get(), {"SELECT", "3"});
  auto list = KvdProcess::command(t.get(), {"LRANGE", "list", "0", "-1"});
  ASSERT_EQ(list->elements, 3u);
  EXPECT_EQ(std::string(list->element[2]->str), "c");
  EXPECT_EQ(text(KvdProcess::command(t.get(), {"HGET", "h", "f"})), "v");
  EXPECT_EQ(text(KvdProcess::command(t.get(), {"ZSCORE", "z", "m"})), "1.5");
  EXPECT_EQ(text(KvdProcess::command(s.get(), {"DBSIZE"})), "0");
  // A wrong password comes back as the target's error; the key stays here.
  KvdProcess::command(s.get(), {"SET", "k", "v"});
  auto wrong = KvdProcess::command(
      s.get(), {"MIGRATE", "127.0.0.1", port, "k", "3", "2000", "AUTH", "nope"});
  EXPECT_NE(text(wrong).find("WRONGPASS"), std::string::npos) << text(wrong);
  EXPECT_EQ(text(KvdProcess::command(s.get(), {"EXISTS", "k"})), "1");
}

}  // namespace
}  // namespace kvd::itest
