// RDB snapshots through the engine: every type written and read back, TTLs,
// several databases, and damaged files refused whole.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>

#include "kvd/persist/snapshot.hpp"
#include "support/value_readback.hpp"

namespace kvd::test {
namespace {

std::string temp_dir() {
  char tmpl[] = "/tmp/kvd-snapshot-test-XXXXXX";
  const char* d = ::mkdtemp(tmpl);
  return d ? d : "/tmp";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

const std::vector<std::string> kKeys = {"str",     "int",    "list",    "biglist",
                                        "set",     "intset", "bigset",  "hash",
                                        "bighash", "zset",   "bigzset", "stream"};

void fill(EngineHarness& h) {
  h.run({"SET", "str", "hello world"});
  h.run({"SET", "int", "-12345"});
  h.run({"RPUSH", "list", "a", "b", "c"});
  h.run({"SADD", "set", "x", "y"});
  h.run({"SADD", "intset", "1", "2", "300000"});
  h.run({"HSET", "hash", "f", "v"});
  h.run({"ZADD", "zset", "1.5", "a", "-2", "b"});
  h.run({"XADD", "stream", "1-1", "f", "v"});
  h.run({"XGROUP", "CREATE", "stream", "g", "0"});
  for (int i = 0; i < 600; ++i) {
    std::string n = std::to_string(i);
    h.run({"RPUSH", "biglist", "element-" + n});
    h.run({"SADD", "bigset", "member-" + n});
    h.run({"HSET", "bighash", "field-" + n, "value-" + n});
    h.run({"ZADD", "bigzset", n, "m-" + n});
  }
  h.run({"PEXPIRE", "str", "100000"});
  h.run({"SELECT", "5"});
  h.run({"SET", "in-db5", "v"});
  h.run({"SELECT", "0"});
}

TEST(SnapshotTest, EveryTypeRoundTrips) {
  const std::string dir = temp_dir();
  EngineHarness a;
  a.config().v().dir = dir;
  fill(a);
  ASSERT_EQ(persist::save_now(a.engine()), "");
  EXPECT_EQ(a.engine().stats().dirty, 0u);  // SAVE resets the change count
  EXPECT_EQ(a.engine().snapshot_state().saves, 1u);

  EngineHarness b;
  b.config().v().dir = dir;
  ASSERT_EQ(persist::load_snapshot(b.engine()), "");
  EXPECT_EQ(b.run({"DBSIZE"}), a.run({"DBSIZE"}));
  for (const std::string& key : kKeys)
    EXPECT_EQ(read_back(b, key, false), read_back(a, key, false)) << key;
  EXPECT_EQ(b.run({"PTTL", "str"}), a.run({"PTTL", "str"}));
  EXPECT_EQ(b.run({"OBJECT", "ENCODING", "intset"}), bulk("intset"));
  EXPECT_EQ(b.run({"OBJECT", "ENCODING", "bighash"}), bulk("hashtable"));
  b.run({"SELECT", "5"});
  EXPECT_EQ(b.run({"GET", "in-db5"}), bulk("v"));
  std::remove((dir + "/dump.rdb").c_str());
  ::rmdir(dir.c_str());
}

TEST(SnapshotTest, KeysExpiredBeforeLoadingAreSkipped) {
  const std::string dir = temp_dir();
  EngineHarness a;
  a.config().v().dir = dir;
  a.run({"SET", "short", "v", "PX", "50"});
  a.run({"SET", "long", "v"});
  ASSERT_EQ(persist::save_now(a.engine()), "");
  EngineHarness b;
  b.config().v().dir = dir;
  b.clock().set_ms(a.clock().now_ms() + 1000);
  ASSERT_EQ(persist::load_snapshot(b.engine()), "");
  EXPECT_EQ(b.run({"EXISTS", "short", "long"}), integer(1));
  EXPECT_EQ(b.engine().snapshot_state().last_load_keys_expired, 1u);
  EXPECT_EQ(b.engine().snapshot_state().last_load_keys_loaded, 1u);
  std::remove((dir + "/dump.rdb").c_str());
  ::rmdir(dir.c_str());
}

TEST(SnapshotTest, IdleTimesAndLfuCountersSurviveUnderTheirPolicies) {
  const std::string dir = temp_dir();
  for (const char* policy : {"allkeys-lru", "allkeys-lfu"}) {
    SCOPED_TRACE(policy);
    const bool lfu = std::string(policy) == "allkeys-lfu";
    EngineHarness a;
    a.config().v().dir = dir;
    ASSERT_EQ(a.run({"CONFIG", "SET", "maxmemory-policy", policy}), kOk);
    a.run({"SET", "k", "v"});
    if (lfu) {
      for (int i = 0; i < 300; ++i) a.run({"GET", "k"});
    } else {
      a.clock().advance_ms(40'000);
    }
    const std::string before = a.run({"OBJECT", lfu ? "FREQ" : "IDLETIME", "k"});
    ASSERT_NE(before, integer(lfu ? 5 : 0));
    ASSERT_EQ(persist::save_now(a.engine()), "");
    EngineHarness b;
    b.config().v().dir = dir;
    b.clock().set_ms(a.clock().now_ms());
    ASSERT_EQ(b.run({"CONFIG", "SET", "maxmemory-policy", policy}), kOk);
    ASSERT_EQ(persist::load_snapshot(b.engine()), "");
    EXPECT_EQ(b.run({"OBJECT", lfu ? "FREQ" : "IDLETIME", "k"}), before);
  }
  std::remove((dir + "/dump.rdb").c_str());
  ::rmdir(dir.c_str());
}

TEST(SnapshotTest, DamagedFilesAreRefusedWhole) {
  const std::string dir = temp_dir();
  const std::string path = dir + "/dump.rdb";
  EngineHarness a;
  a.config().v().dir = dir;
  fill(a);
  ASSERT_EQ(persist::save_now(a.engine()), "");
  const std::string good = read_file(path);
  ASSERT_GT(good.size(), 100u);

  auto load = [&](const std::string& data) {
    write_file(path, data);
    EngineHarness b;
    b.config().v().dir = dir;
    std::string err = persist::load_snapshot(b.engine());
    EXPECT_EQ(b.run({"DBSIZE"}), integer(0)) << "nothing kept from a bad file";
    return err;
  };
  std::string flipped = good;
  flipped[flipped.size() / 2] ^= 0x20;
  EXPECT_NE(load(flipped).find("RDB CRC error"), std::string::npos);
  EXPECT_NE(load(good.substr(0, good.size() - 20)), "");
  EXPECT_NE(load("RUBBISH00" + good.substr(9)).find("not an RDB file"), std::string::npos);
  std::string newer = good;
  newer.replace(5, 4, "0099");
  EXPECT_NE(load(newer).find("newer"), std::string::npos);
  // A random corruption with the checksum recomputed away (0 = unchecked).
  // 40 positions spread over the file (each load builds a whole engine).
  for (size_t i = 9; i < good.size() - 9; i += (good.size() - 18) / 40 + 1) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    bad.replace(bad.size() - 8, 8, std::string(8, '\0'));
    write_file(path, bad);
    EngineHarness b;
    b.config().v().dir = dir;
    persist::load_snapshot(b.engine());  // may load or refuse; must not crash
    b.run({"DBSIZE"});
  }
  std::remove(path.c_str());
  ::rmdir(dir.c_str());
}

TEST(SnapshotTest, FunctionLibrariesRoundTrip) {
  const std::string dir = temp_dir();
  const std::string lib1 =
      "#!lua name=lib1\nlocal function twice(x) return x .. x end\n"
      "redis.register_function('twice', function(keys, args) return twice(args[1]) end)";
  const std::string lib2 =
      "#!lua name=lib2\nredis.register_function{function_name='ro', callback=function(keys) "
      "return redis.call('get', keys[1]) end, flags={'no-writes'}, description='reads'}";
  EngineHarness a;
  a.config().v().dir = dir;
  ASSERT_EQ(a.run({"FUNCTION", "LOAD", lib1}), bulk("lib1"));
  ASSERT_EQ(a.run({"FUNCTION", "LOAD", lib2}), bulk("lib2"));
  a.run({"SET", "k", "v"});
  ASSERT_EQ(persist::save_now(a.engine()), "");

  EngineHarness b;
  b.config().v().dir = dir;
  ASSERT_EQ(persist::load_snapshot(b.engine()), "");
  EXPECT_EQ(b.run({"FUNCTION", "LIST", "WITHCODE"}), a.run({"FUNCTION", "LIST", "WITHCODE"}));
  EXPECT_EQ(b.run({"FCALL", "twice", "0", "ab"}), bulk("abab"));
  EXPECT_EQ(b.run({"FCALL_RO", "ro", "1", "k"}), bulk("v"));

  // A library that cannot load fails the whole file, as in Redis.
  EngineHarness c;
  c.config().v().dir = dir;
  ASSERT_EQ(c.run({"FUNCTION", "LOAD", lib1}), bulk("lib1"));
  EXPECT_NE(persist::load_snapshot(c.engine()).find("Library 'lib1' already exists"),
            std::string::npos);
  EXPECT_EQ(c.run({"DBSIZE"}), integer(0));
  EXPECT_EQ(c.run({"FUNCTION", "LIST"}), "*0\r\n");
  std::remove((dir + "/dump.rdb").c_str());
  ::rmdir(dir.c_str());
}

// A snapshot redis-server 7.0.15 wrote: one library (its code LZF-compressed)
// and one key.
TEST(SnapshotTest, LoadsRedisSnapshotWithFunctions) {
  const std::string dir = temp_dir();
  write_file(
      dir + "/dump.rdb",
      std::string(
          "\x52\x45\x44\x49\x53\x30\x30\x31\x30\xfa\x09\x72\x65\x64\x69\x73\x2d\x76\x65\x72\x06\x37"
          "\x2e\x30\x2e\x31\x35\xfa\x0a\x72\x65\x64\x69\x73\x2d\x62\x69\x74\x73\xc0\x40\xfa\x05\x63"
          "\x74\x69\x6d\x65\xc2\x05\xcd\x11\x6b\xfa\x08\x75\x73\x65\x64\x2d\x6d\x65\x6d\xc2\x38\x02"
          "\x17\x00\xfa\x08\x61\x6f\x66\x2d\x62\x61\x73\x65\xc0\x00\xf5\xc3\x40\x95\x40\xab\x1f\x23"
          "\x21\x6c\x75\x61\x20\x6e\x61\x6d\x65\x3d\x72\x6c\x69\x62\x0a\x72\x65\x64\x69\x73\x2e\x72"
          "\x65\x67\x69\x73\x74\x65\x72\x5f\x66\x07\x75\x6e\x63\x74\x69\x6f\x6e\x7b\xc0\x08\x00\x5f"
          "\x60\x2a\x10\x22\x72\x67\x65\x74\x22\x2c\x20\x63\x61\x6c\x6c\x62\x61\x63\x6b\x3d\xc0\x1e"
          "\x0c\x28\x6b\x65\x79\x73\x29\x20\x72\x65\x74\x75\x72\x6e\x20\x06\x40\x4c\x40\x24\x01\x28"
          "\x22\x80\x30\x40\x1e\x1f\x5b\x31\x5d\x29\x20\x65\x6e\x64\x2c\x20\x66\x6c\x61\x67\x73\x3d"
          "\x7b\x22\x6e\x6f\x2d\x77\x72\x69\x74\x65\x73\x22\x7d\x2c\x20\x64\x05\x65\x73\x63\x72\x69"
          "\x70\x40\x75\x05\x3d\x22\x66\x72\x6f\x6d\x80\x46\x01\x22\x7d\xfe\x00\xfb\x01\x00\x00\x04"
          "\x72\x6b\x65\x79\x06\x72\x76\x61\x6c\x75\x65\xff\x50\x3e\xff\xbb\xcf\xa2\xd6\x2c",
          262));
  EngineHarness b;
  b.config().v().dir = dir;
  ASSERT_EQ(persist::load_snapshot(b.engine()), "");
  EXPECT_EQ(b.run({"FCALL_RO", "rget", "1", "rkey"}), bulk("rvalue"));
  EXPECT_NE(b.run({"FUNCTION", "LIST"}).find("$10\r\nfrom redis\r\n"), std::string::npos);
  std::remove((dir + "/dump.rdb").c_str());
  ::rmdir(dir.c_str());
}

TEST(SnapshotTest, MissingFileIsAnEmptyStart) {
  EngineHarness b;
  b.config().v().dir = temp_dir();
  EXPECT_EQ(persist::load_snapshot(b.engine()), "");
  EXPECT_EQ(b.run({"DBSIZE"}), integer(0));
  ::rmdir(b.config().v().dir.c_str());
}

}  // namespace
}  // namespace kvd::test

namespace kvd::test {
namespace {

// DEBUG RELOAD's options as Redis reads them: a plain reload empties keys and
// libraries first; NOFLUSH without MERGE fails on what is already there and
// keeps the dataset; NOFLUSH MERGE lets the file's copies win.
TEST(SnapshotTest, DebugReloadFlushesFunctionsAndHonoursMerge) {
  const std::string dir = temp_dir();
  EngineHarness h;
  h.config().v().dir = dir;
  h.run({"FUNCTION", "LOAD",
         "#!lua name=lib\nredis.register_function('f', function() return 'hi' end)"});
  h.run({"SET", "x", "1"});
  EXPECT_EQ(h.run({"DEBUG", "RELOAD"}), simple("OK"));
  EXPECT_EQ(h.run({"FCALL", "f", "0"}), bulk("hi"));
  EXPECT_EQ(h.run({"DEBUG", "RELOAD", "NOFLUSH"}), error("ERR Error trying to load the RDB dump"));
  EXPECT_EQ(h.run({"GET", "x"}), bulk("1"));
  EXPECT_EQ(h.run({"SET", "x", "2"}), simple("OK"));
  EXPECT_EQ(h.run({"DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE"}), simple("OK"));
  EXPECT_EQ(h.run({"GET", "x"}), bulk("1"));  // the file's copy
  EXPECT_EQ(h.run({"FCALL", "f", "0"}), bulk("hi"));
  std::remove((dir + "/dump.rdb").c_str());
  ::rmdir(dir.c_str());
}

}  // namespace
}  // namespace kvd::test
