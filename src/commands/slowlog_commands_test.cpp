// SLOWLOG through the engine: what is logged (and not), the entry's shape,
// trimming of long commands, secrets, the length bound and the error replies.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/engine_harness.hpp"
#include "support/peer_client.hpp"

namespace kvd::test {
namespace {

const engine::SlowLog::Entry& newest(EngineHarness& h) {
  return h.engine().slowlog().entries().front();
}

TEST(SlowLog, LogsCommandsAtOrAboveTheThreshold) {
  EngineHarness h;
  EXPECT_EQ(h.run({"SLOWLOG", "LEN"}), integer(0));
  h.run({"CONFIG", "SET", "slowlog-log-slower-than", "0"});
  h.run({"SET", "k", "v"});
  EXPECT_EQ(newest(h).args, (std::vector<std::string>{"SET", "k", "v"}));
  EXPECT_EQ(h.run({"SLOWLOG", "LEN"}), integer(2));  // CONFIG SET and SET
  h.run({"CONFIG", "SET", "slowlog-log-slower-than", "-1"});
  h.run({"SLOWLOG", "RESET"});
  h.run({"GET", "k"});
  EXPECT_EQ(h.run({"SLOWLOG", "LEN"}), integer(0));
}

TEST(SlowLog, EntryShapeAndIdsThatSurviveReset) {
  EngineHarness h;
  h.clock().set_ms(1700000000123);
  h.run({"CLIENT", "SETNAME", "worker"});
  h.run({"CONFIG", "SET", "slowlog-log-slower-than", "0"});
  h.run({"SLOWLOG", "RESET"});
  h.run({"PING"});
  // [[id, time, duration, [args], peer, name]]; the harness client has no peer.
  std::string want = "*1\r\n*6\r\n" + integer(2) + integer(1700000000) + integer(0) + "*1\r\n" +
                     bulk("PING") + bulk("") + bulk("worker");
  EXPECT_EQ(h.run({"SLOWLOG", "GET", "1"}), want);
  h.run({"SLOWLOG", "RESET"});
  h.run({"PING"});
  // GET was 3 and the RESET 4 (logged once it ran): ids go on across RESET.
  EXPECT_EQ(newest(h).id, 5u);
}

TEST(SlowLog, LongCommandsAndArgumentsAreCut) {
  EngineHarness h;
  h.run({"CONFIG", "SET", "slowlog-log-slower-than", "0"});
  std::vector<std::string> cmd{"SADD", "s"};
  for (int i = 0; i < 40; ++i) cmd.push_back(std::to_string(i));
  h.run(cmd);
  const auto& args = newest(h).args;
  ASSERT_EQ(args.size(), 32u);
  EXPECT_EQ(args[30], "28");
  EXPECT_EQ(args[31], "... (11 more arguments)");
  h.run({"SET", "k", std::string(130, 'A')});
  EXPECT_EQ(newest(h).args[2], std::string(128, 'A') + "... (2 more bytes)");
}

TEST(SlowLog, SecretsAreRedacted) {
  EngineHarness h;
  h.run({"CONFIG", "SET", "slowlog-log-slower-than", "0"});
  h.run({"CONFIG", "SET", "requirepass", "hunter2", "maxmemory", "0"});
  EXPECT_EQ(newest(h).args, (std::vector<std::string>{"CONFIG", "SET", "requirepass", "(redacted)",
                                                      "maxmemory", "0"}));
  h.run({"AUTH", "hunter2"});
  EXPECT_EQ(newest(h).args, (std::vector<std::string>{"AUTH", "(redacted)"}));
}

TEST(SlowLog, MaxLenKeepsTheNewest) {
  EngineHarness h;
  h.run({"CONFIG", "SET", "slowlog-log-slower-than", "0"});
  h.run({"CONFIG", "SET", "slowlog-max-len", "3"});
  for (int i = 0; i < 10; ++i) h.run({"SET", "k", std::to_string(i)});
  EXPECT_EQ(newest(h).args[2], "9");
  EXPECT_EQ(h.run({"SLOWLOG", "LEN"}), integer(3));
  h.run({"CONFIG", "SET", "slowlog-max-len", "0"});
  h.run({"PING"});
  EXPECT_EQ(h.run({"SLOWLOG", "LEN"}), integer(0));
}

TEST(SlowLog, GetCountRules) {
  EngineHarness h;
  h.run({"CONFIG", "SET", "slowlog-log-slower-than", "0"});
  for (int i = 0; i < 12; ++i) h.run({"PING"});
  auto count = [&](std::string_view n) {
    std::string r = h.run({"SLOWLOG", "GET", n});
    return r.substr(0, r.find("\r\n"));
  };
  EXPECT_EQ(count("0"), "*0");
  EXPECT_EQ(count("5"), "*5");
  EXPECT_EQ(count("-1"), "*" + std::to_string(h.engine().slowlog().size()));
  EXPECT_EQ(h.run({"SLOWLOG", "GET"}).substr(0, 4), "*10\r");
  EXPECT_EQ(h.run({"SLOWLOG", "GET", "-2"}),
            error("ERR count should be greater than or equal to -1"));
  EXPECT_EQ(h.run({"SLOWLOG", "GET", "x"}), error("ERR value is not an integer or out of range"));
}

TEST(SlowLog, ExecIsNotLoggedButItsCommandsAre) {
  EngineHarness h;
  h.run({"CONFIG", "SET", "slowlog-log-slower-than", "0"});
  h.run({"MULTI"});
  h.run({"INCR", "n"});
  h.run({"SLOWLOG", "RESET"});  // queued
  h.run({"EXEC"});
  h.run({"PING"});
  // The RESET inside EXEC emptied the log and was logged itself; EXEC never is.
  std::vector<std::string> names;
  for (const auto& e : h.engine().slowlog().entries()) names.push_back(e.args[0]);
  EXPECT_EQ(names, (std::vector<std::string>{"PING", "SLOWLOG"}));
}

TEST(SlowLog, BlockedCommandIsLoggedWhenServed) {
  EngineHarness h;
  h.run({"CONFIG", "SET", "slowlog-log-slower-than", "0"});
  PeerClient waiter(h);
  waiter.run({"BLPOP", "q", "0"});
  h.run({"SLOWLOG", "RESET"});
  h.run({"RPUSH", "q", "job"});
  std::vector<std::string> names;
  for (const auto& e : h.engine().slowlog().entries()) names.push_back(e.args[0]);
  // Newest first: the served BLPOP after the RPUSH that served it.
  EXPECT_EQ(names, (std::vector<std::string>{"BLPOP", "RPUSH", "SLOWLOG"}));
}

}  // namespace
}  // namespace kvd::test
