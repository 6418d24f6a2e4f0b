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

TEST(SnapshotTest, MissingFileIsAnEmptyStart) {
  EngineHarness b;
  b.config().v().dir = temp_dir();
  EXPECT_EQ(persist::load_snapshot(b.engine()), "");
  EXPECT_EQ(b.run({"DBSIZE"}), integer(0));
  ::rmdir(b.config().v().dir.c_str());
}

}  // namespace
}  // namespace kvd::test
