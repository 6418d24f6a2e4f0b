// The propagation stream as the AOF and replicas see it: each write's
// deterministic effect, grouped in units (a unit of several is applied as
// one MULTI/EXEC).
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "kvd/engine/propagation.hpp"
#include "support/engine_harness.hpp"

namespace kvd::commands {
namespace {

using test::EngineHarness;

// Records every unit as lines "db:ARG ARG ...".
struct RecordingSink : engine::EffectSink {
  explicit RecordingSink(uint8_t t = engine::kToAll) : kind(t) {}
  uint8_t target() const override { return kind; }
  uint8_t kind;
  std::vector<std::vector<std::string>> units;
  void consume(const std::vector<engine::Effect>& unit) override {
    std::vector<std::string> lines;
    for (const auto& e : unit) {
      std::string l = std::to_string(e.db) + ":";
      for (size_t i = 0; i < e.argv.size(); ++i) l += (i ? " " : "") + e.argv[i];
      lines.push_back(l);
    }
    units.push_back(lines);
  }
  std::vector<std::string> last() const {
    return units.empty() ? std::vector<std::string>{} : units.back();
  }
};

class PropagationTest : public ::testing::Test {
 protected:
  void SetUp() override { h.engine().propagation().add_sink(&sink); }
  void TearDown() override { h.engine().propagation().remove_sink(&sink); }
  int64_t now() { return h.clock().now_ms(); }
  EngineHarness h;
  RecordingSink sink;
};

TEST_F(PropagationTest, PlainWritesPropagateAsSentAndReadsOrNoOpsDoNot) {
  h.run({"SET", "k", "v"});
  EXPECT_EQ(sink.last(), (std::vector<std::string>{"0:SET k v"}));
  const size_t n = sink.units.size();
  h.run({"GET", "k"});
  h.run({"SET", "k", "w", "NX"});  // not set: nothing changed
  h.run({"EXPIRE", "missing", "10"});
  h.run({"PERSIST", "k"});
  EXPECT_EQ(sink.units.size(), n);
}

// A save resets the change counter; the command that saved (SAVE here,
// SHUTDOWN on a server) changed nothing and must not reach replicas.
TEST_F(PropagationTest, CommandsThatSaveDoNotPropagate) {
  char dir[] = "/tmp/kvd-propagation-test-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  ASSERT_EQ(h.run({"CONFIG", "SET", "dir", dir}), test::kOk);
  h.run({"SET", "k", "v"});
  const size_t n = sink.units.size();
  ASSERT_EQ(h.run({"SAVE"}), test::kOk);
  EXPECT_EQ(h.engine().stats().dirty, 0u);
  EXPECT_EQ(sink.units.size(), n);
  std::filesystem::remove_all(dir);
}

// redis.set_repl: the AOF and the replicas each get only what the script
// meant for them, and the next script starts with both again.
TEST(PropagationTargets, ScriptsChooseWhereTheirCallsGo) {
  EngineHarness h;
  RecordingSink aof(engine::kToAof), replicas(engine::kToReplicas);
  h.engine().propagation().add_sink(&aof);
  h.engine().propagation().add_sink(&replicas);
  h.run({"EVAL",
         "redis.call('set','a','1'); redis.set_repl(redis.REPL_NONE); redis.call('set','b','2'); "
         "redis.set_repl(redis.REPL_AOF); redis.call('set','c','3'); "
         "redis.set_repl(redis.REPL_REPLICA); redis.call('set','e','5'); "
         "redis.set_repl(redis.REPL_ALL); redis.call('set','d','4')",
         "0"});
  // (a script's calls propagate as it spelled them)
  EXPECT_EQ(aof.last(), (std::vector<std::string>{"0:set a 1", "0:set c 3", "0:set d 4"}));
  EXPECT_EQ(replicas.last(), (std::vector<std::string>{"0:set a 1", "0:set e 5", "0:set d 4"}));
  h.run({"EVAL", "redis.set_repl(redis.REPL_NONE)", "0"});
  h.run({"SET", "f", "6"});
  EXPECT_EQ(aof.last(), (std::vector<std::string>{"0:SET f 6"}));
  EXPECT_EQ(replicas.last(), (std::vector<std::string>{"0:SET f 6"}));
  h.engine().propagation().remove_sink(&aof);
  h.engine().propagation().remove_sink(&replicas);
}

// SCAN and RANDOMKEY may expire keys they were not asked about: each DEL
// goes out on its own, not in a MULTI/EXEC (Redis's touches-arbitrary-keys).
TEST_F(PropagationTest, LazyExpiriesOfScanAreNotOneUnit) {
  h.run({"SET", "a", "1", "PX", "1"});
  h.run({"SET", "b", "1", "PX", "1"});
  h.clock().advance_ms(2);
  const size_t n = sink.units.size();
  h.run({"SCAN", "0"});
  ASSERT_EQ(sink.units.size(), n + 2);
  EXPECT_EQ(sink.units[n].size(), 1u);
  EXPECT_EQ(sink.units[n + 1].size(), 1u);
}

TEST_F(PropagationTest, RelativeExpiriesBecomeAbsolute) {
  const std::string at = std::to_string(now() + 100'000);
  h.run({"SET", "k", "v", "EX", "100"});
  EXPECT_EQ(sink.last(), (std::vector<std::string>{"0:SET k v PXAT " + at}));
  h.run({"SETEX", "s", "100", "v"});
  EXPECT_EQ(sink.last(), (std::vector<std::string>{"0:SET s v PXAT " + at}));
  h.run({"EXPIRE", "k", "100"});
  EXPECT_EQ(sink.last(), (std::vector<std::string>{"0:PEXPIREAT k " + at}));
  h.run({"GETEX", "k", "PX", "100000"});
  EXPECT_EQ(sink.last(), (std::vector<std::string>{"0:PEXPIREAT k " + at}));
  h.run({"GETEX", "k", "PERSIST"});
  EXPECT_EQ(sink.last(), (std::vector<std::string>{"0:PERSIST k"}));
  // A deadline already past deletes the key.
  h.run({"EXPIRE", "s", "-1"});
  EXPECT_EQ(sink.last(), (std::vector<std::string>{"0:DEL s"}));
  // RESTORE with a TTL: the absolute time and ABSTTL, the rest as sent.
  const std::string reply = h.run({"DUMP", "k"});
  const std::string payload =
      reply.substr(reply.find("\r\n") + 2, reply.size() - reply.find("\r\n") - 4);
  h.run({"RESTORE", "r", "100000", payload, "REPLACE"});
  EXPECT_EQ(sink.last(),
            (std::vector<std::string>{"0:RESTORE r " + at + " " + payload + " REPLACE ABSTTL"}));
  // Restored already expired over an existing key: only the key's loss.
  h.run({"RESTORE", "r", "1", payload, "REPLACE", "ABSTTL"});
  EXPECT_EQ(sink.last(), (std::vector<std::string>{"0:DEL r"}));
}

TEST_F(PropagationTest, RandomAndComputedResultsPropagateAsWhatHappened) {
  h.run({"SADD", "s", "a"});
  h.run({"SPOP", "s"});
  EXPECT_EQ(sink.last(), (std::vector<std::string>{"0:SREM s a"}));
  h.run({"INCRBYFLOAT", "f", "1.5"});
  EXPECT_EQ(sink.last(), (std::vector<std::string>{"0:SET f 1.5 KEEPTTL"}));
  h.run({"HINCRBYFLOAT", "h", "x", "2.5"});
  EXPECT_EQ(sink.last(), (std::vector<std::string>{"0:HSET h x 2.5"}));
  h.run({"RPUSH", "l", "a", "b"});
  h.run({"BLPOP", "l", "0"});
  EXPECT_EQ(sink.last(), (std::vector<std::string>{"0:LPOP l"}));
  h.run({"XADD", "st", "*", "f", "v"});
  ASSERT_EQ(sink.last().size(), 1u);
  EXPECT_EQ(sink.last()[0].find("0:XADD st *"), std::string::npos);
  EXPECT_EQ(sink.last()[0].find("0:XADD st "), 0u);
}

TEST_F(PropagationTest, ScriptsAndTransactionsAreOneUnitOfTheirEffects) {
  h.run({"EVAL", "redis.call('set','a','1'); redis.call('incr','a'); return 1", "0"});
  EXPECT_EQ(sink.last(), (std::vector<std::string>{"0:set a 1", "0:incr a"}));
  const size_t n = sink.units.size();
  h.run({"EVAL", "return redis.call('get','a')", "0"});  // no write: nothing
  EXPECT_EQ(sink.units.size(), n);
  h.run({"MULTI"});
  h.run({"SET", "x", "1"});
  h.run({"SELECT", "2"});
  h.run({"SET", "y", "2"});
  h.run({"EXEC"});
  EXPECT_EQ(sink.last(), (std::vector<std::string>{"0:SET x 1", "2:SET y 2"}));
}

TEST_F(PropagationTest, ExpiredKeysPropagateAsDeletes) {
  h.run({"SET", "k", "v", "PX", "10"});
  h.clock().advance_ms(20);
  h.run({"GET", "k"});  // lazy expiry
  EXPECT_EQ(sink.last(), (std::vector<std::string>{"0:DEL k"}));
}

TEST_F(PropagationTest, WithoutASinkNothingIsRecorded) {
  h.engine().propagation().remove_sink(&sink);
  h.run({"SET", "k", "v"});
  EXPECT_TRUE(sink.units.empty());
  EXPECT_FALSE(h.engine().propagation().active());
}

}  // namespace
}  // namespace kvd::commands

namespace kvd::commands {
namespace {

// After a disk error of the AOF (persist sets the reason), writes are
// refused with it and reads go on; clearing it lets writes through again.
TEST(WriteDenied, RefusesWritesNotReadsUntilCleared) {
  test::EngineHarness h;
  h.run({"SET", "k", "v"});
  h.engine().set_write_denied("MISCONF Errors writing to the AOF file: No space left on device");
  EXPECT_EQ(h.run({"SET", "k", "w"}),
            "-MISCONF Errors writing to the AOF file: No space left on device\r\n");
  EXPECT_EQ(h.run({"GET", "k"}), "$1\r\nv\r\n");
  // PING too, as Redis: a health check (Sentinel's) must see the error.
  EXPECT_EQ(h.run({"PING"}),
            "-MISCONF Errors writing to the AOF file: No space left on device\r\n");
  h.run({"MULTI"});
  h.run({"SET", "k", "w"});
  EXPECT_EQ(h.run({"EXEC"}).substr(0, 10), "-EXECABORT");
  h.engine().set_write_denied("");
  EXPECT_EQ(h.run({"SET", "k", "w"}), "+OK\r\n");
  EXPECT_EQ(h.run({"PING"}), "+PONG\r\n");
}

// As Redis replays them: GETDEL as DEL, LMPOP/ZMPOP/BZMPOP as the plain pop
// of the key that served with the count popped, BZPOPMIN as ZPOPMIN key, and
// a pop that found nothing not at all.
TEST_F(PropagationTest, MultiKeyPopsAndGetdelReplayAsTheirPlainForms) {
  h.run({"SET", "s", "v"});
  h.run({"GETDEL", "s"});
  EXPECT_EQ(sink.last(), (std::vector<std::string>{"0:DEL s"}));
  h.run({"RPUSH", "l2", "1", "2", "3"});
  h.run({"LMPOP", "2", "l1", "l2", "LEFT", "COUNT", "10"});
  EXPECT_EQ(sink.last(), (std::vector<std::string>{"0:LPOP l2 3"}));
  h.run({"ZADD", "z2", "1", "a", "2", "b", "3", "c"});
  h.run({"ZMPOP", "2", "z1", "z2", "MIN"});
  EXPECT_EQ(sink.last(), (std::vector<std::string>{"0:ZPOPMIN z2 1"}));
  h.run({"BZMPOP", "0", "1", "z2", "MAX", "COUNT", "10"});
  EXPECT_EQ(sink.last(), (std::vector<std::string>{"0:ZPOPMAX z2 2"}));
  h.run({"ZADD", "z3", "1", "a"});
  h.run({"BZPOPMIN", "z3", "0"});
  EXPECT_EQ(sink.last(), (std::vector<std::string>{"0:ZPOPMIN z3"}));
  const size_t n = sink.units.size();
  h.run({"GETDEL", "s"});
  h.run({"LMPOP", "2", "l1", "l2", "LEFT"});
  h.run({"ZMPOP", "1", "z2", "MIN"});
  EXPECT_EQ(sink.units.size(), n);
}

// GETSET replays as SET, BRPOPLPUSH as RPOPLPUSH and BLMOVE as LMOVE: the
// command a replica counts in its commandstats is Redis's.
TEST_F(PropagationTest, GetsetAndBlockingMovesReplayAsTheirPlainForms) {
  h.run({"GETSET", "s", "v"});
  EXPECT_EQ(sink.last(), (std::vector<std::string>{"0:SET s v"}));
  h.run({"RPUSH", "l", "1", "2"});
  h.run({"BRPOPLPUSH", "l", "d", "0"});
  EXPECT_EQ(sink.last(), (std::vector<std::string>{"0:RPOPLPUSH l d"}));
  h.run({"BLMOVE", "l", "d", "LEFT", "RIGHT", "0"});
  EXPECT_EQ(sink.last(), (std::vector<std::string>{"0:LMOVE l d LEFT RIGHT"}));
}

}  // namespace
}  // namespace kvd::commands
