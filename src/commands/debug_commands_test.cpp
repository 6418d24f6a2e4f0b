// DEBUG through the engine. The digests are the ones redis-server 7.0.15
// gives for the same dataset (DEBUG DIGEST / DIGEST-VALUE), so kvd and Redis
// agree on what "the same data" is.
#include <gtest/gtest.h>

#include "kvd/engine/memory.hpp"
#include "support/engine_harness.hpp"

namespace kvd::test {
namespace {

void load_every_type(EngineHarness& h) {
  h.run({"SET", "s", "hello"});
  h.run({"SET", "n", "12345"});
  h.run({"RPUSH", "l", "a", "b", "3"});
  h.run({"SADD", "st", "x", "y", "7"});
  h.run({"ZADD", "z", "1.5", "a", "2", "b", "-3", "c"});
  h.run({"HSET", "h", "f", "v", "g", "2"});
  h.run({"XADD", "x", "1-1", "a", "1", "b", "2"});
  h.run({"XADD", "x", "2-0", "c", "3"});
  h.run({"SET", "e", "v", "EX", "100"});
  h.run({"SELECT", "3"});
  h.run({"SET", "q", "r"});
  h.run({"SELECT", "0"});
}

TEST(DebugCommands, DigestMatchesRedis) {
  EngineHarness h;
  EXPECT_EQ(h.run({"DEBUG", "DIGEST"}), simple("0000000000000000000000000000000000000000"));
  load_every_type(h);
  EXPECT_EQ(h.run({"DEBUG", "DIGEST"}), simple("57a23373258c98f527677119be72ba169d036e92"));
  EXPECT_EQ(h.run({"DEBUG", "DIGEST-VALUE", "s", "l", "st", "z", "h", "x", "e", "nokey"}),
            "*8\r\n" + simple("36b23a1456b2dce2c3ed252c456761301dba8060") +
                simple("09eb1fc9381ee92790d59930ab462945f8cd948b") +
                simple("a6afcc473373536adb071da403abcb70a693d104") +
                simple("add5331972d6ca37e1c053ffb2901f1994fa3aba") +
                simple("9dc7e1ed596e8ccab4b91d04b8317fc85b68294a") +
                simple("f9ebfe376baf354398c20e9bb5219235f942dafe") +
                simple("311b17018163335616e089f6b951c82c477335ac") +
                simple("0000000000000000000000000000000000000000"));
}

TEST(DebugCommands, DigestDependsOnOrderAndDatabase) {
  EngineHarness a, b;
  a.run({"RPUSH", "l", "1", "2"});
  b.run({"RPUSH", "l", "2", "1"});
  EXPECT_NE(a.run({"DEBUG", "DIGEST"}), b.run({"DEBUG", "DIGEST"}));
  // Sets are orderless: any insertion order gives one digest.
  EngineHarness c, d;
  c.run({"SADD", "s", "a", "b", "c"});
  d.run({"SADD", "s", "c", "a", "b"});
  EXPECT_EQ(c.run({"DEBUG", "DIGEST"}), d.run({"DEBUG", "DIGEST"}));
  d.run({"MOVE", "s", "1"});
  EXPECT_NE(c.run({"DEBUG", "DIGEST"}), d.run({"DEBUG", "DIGEST"}));
}

TEST(DebugCommands, PopulateAndProtocol) {
  EngineHarness h;
  h.run({"SET", "key:1", "mine"});
  EXPECT_EQ(h.run({"DEBUG", "POPULATE", "3"}), kOk);
  EXPECT_EQ(h.run({"MGET", "key:0", "key:1", "key:2"}),
            "*3\r\n" + bulk("value:0") + bulk("mine") + bulk("value:2"));
  EXPECT_EQ(h.run({"DEBUG", "POPULATE", "2", "p", "3"}), kOk);
  EXPECT_EQ(h.run({"GET", "p:1"}), bulk("val"));
  EXPECT_EQ(h.run({"DEBUG", "POPULATE", "-1"}),
            error("ERR value is out of range, must be positive"));
  EXPECT_EQ(h.run({"DEBUG", "PROTOCOL", "map"}), "*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n");
  EXPECT_EQ(h.run({"DEBUG", "PROTOCOL", "push"}),
            error("ERR RESP2 is not supported by this command"));
  EXPECT_EQ(h.run({"DEBUG", "PROTOCOL", "nope"}),
            error("ERR Wrong protocol type name. Please use one of the following: "
                  "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|"
                  "false"));
  EXPECT_EQ(h.run({"DEBUG", "ERROR", "bad\nthing"}), error("bad thing"));
}

TEST(DebugCommands, ObjectNamesTheEncoding) {
  EngineHarness h;
  EXPECT_EQ(h.run({"DEBUG", "OBJECT", "nokey"}), error("ERR no such key"));
  h.run({"SET", "k", "12345"});
  std::string r = h.run({"DEBUG", "OBJECT", "k"});
  EXPECT_NE(r.find(" encoding:int serializedlength:3 "), std::string::npos) << r;
  h.run({"RPUSH", "l", "a"});
  r = h.run({"DEBUG", "OBJECT", "l"});
  EXPECT_NE(r.find("encoding:quicklist"), std::string::npos) << r;
  EXPECT_NE(r.find(" ql_nodes:1 "), std::string::npos) << r;
}

TEST(DebugCommands, QuicklistPackedThresholdIsValidatedAsRedisDoes) {
  EngineHarness h;
  const std::string bad =
      error("ERR argument must be a memory value bigger than 1 and smaller than 4gb");
  EXPECT_EQ(h.run({"DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1K"}), simple("OK"));
  EXPECT_EQ(h.run({"DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0"}), simple("OK"));
  EXPECT_EQ(h.run({"DEBUG", "QUICKLIST-PACKED-THRESHOLD", "4gb"}), bad);
  EXPECT_EQ(h.run({"DEBUG", "QUICKLIST-PACKED-THRESHOLD", "abc"}), bad);
}

TEST(DebugCommands, SkipChecksumValidationLetsRestoreTakeABadCrc) {
  EngineHarness h;
  h.run({"SET", "k", "value"});
  std::string dump = h.run({"DUMP", "k"});
  // The bulk reply's payload: "$<len>\r\n<payload>\r\n"; flip its last CRC byte.
  std::string payload = dump.substr(dump.find("\r\n") + 2);
  payload.resize(payload.size() - 2);
  payload.back() = static_cast<char>(payload.back() ^ 0x5a);
  EXPECT_EQ(h.run({"RESTORE", "k2", "0", payload}),
            error("ERR DUMP payload version or checksum are wrong"));
  EXPECT_EQ(h.run({"DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1"}), simple("OK"));
  EXPECT_EQ(h.run({"RESTORE", "k2", "0", payload}), simple("OK"));
  EXPECT_EQ(h.run({"GET", "k2"}), bulk("value"));
}

TEST(DebugCommands, DisableDenyScriptsLetsScriptsCallNoscriptCommands) {
  EngineHarness h;
  const std::string script = "return redis.call('client', 'id')";
  EXPECT_NE(h.run({"EVAL", script, "0"}).find("This Redis command is not allowed from script"),
            std::string::npos);
  EXPECT_EQ(h.run({"DEBUG", "SET-DISABLE-DENY-SCRIPTS", "1"}), simple("OK"));
  EXPECT_EQ(h.run({"EVAL", script, "0"})[0], ':');
}

// DEBUG MALLCTL / MALLCTL-STR go to the allocator's controls the binary
// provides (jemalloc's in kvd); without them the subcommands do not exist,
// as in a Redis built without jemalloc.
TEST(DebugCommands, MallctlUsesTheAllocatorsControls) {
  EngineHarness h;
  EXPECT_EQ(h.run({"DEBUG", "MALLCTL", "arenas.page"}).substr(0, 26), "-ERR unknown subcommand or");
  engine::AllocatorControls fake;
  fake.integer = [](const std::string& name, const int64_t* write, int64_t* old) -> std::string {
    if (name != "arenas.page") return "No such file or directory";
    if (write) return "OK";
    *old = 4096;
    return "";
  };
  fake.text = [](const std::string& name, const std::string* write, std::string* old,
                 bool* wrote) -> std::string {
    if (write) {
      *wrote = true;
      return "";
    }
    *old = name == "version" ? "5.3.0" : "";
    return "";
  };
  engine::set_allocator_controls(fake);
  EXPECT_EQ(h.run({"DEBUG", "MALLCTL", "arenas.page"}), integer(4096));
  EXPECT_EQ(h.run({"DEBUG", "MALLCTL", "nosuch"}), error("ERR No such file or directory"));
  EXPECT_EQ(h.run({"DEBUG", "MALLCTL", "arenas.page", "x"}).substr(0, 5), "-ERR ");
  EXPECT_EQ(h.run({"DEBUG", "MALLCTL-STR", "version"}), bulk("5.3.0"));
  EXPECT_EQ(h.run({"DEBUG", "MALLCTL-STR", "thread.tcache.flush", "VOID"}), simple("OK"));
  engine::set_allocator_controls({});
}

}  // namespace
}  // namespace kvd::test
