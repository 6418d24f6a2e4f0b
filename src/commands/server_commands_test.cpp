#include <gtest/gtest.h>

#include <chrono>

#include "support/engine_harness.hpp"

namespace kvd::test {
namespace {

void add_key(EngineHarness& h, int db, std::string_view key) {
  h.engine().db(db).add(key, engine::Value::from_string("v"));
}

class FakeHooks : public engine::ServerHooks {
 public:
  std::string request_shutdown(const Shutdown& how) override {
    requests.push_back(how);
    return refuse;
  }
  Info info() override { return info_; }
  std::vector<Shutdown> requests;
  std::string refuse;
  Info info_;
};

}  // namespace

TEST(ServerCommands, DbsizeAndFlushdb) {
  EngineHarness h;
  EXPECT_EQ(h.run({"DBSIZE"}), integer(0));
  add_key(h, 0, "a");
  add_key(h, 0, "b");
  add_key(h, 1, "c");
  EXPECT_EQ(h.run({"DBSIZE"}), integer(2));
  EXPECT_EQ(h.run({"FLUSHDB"}), kOk);
  EXPECT_EQ(h.run({"DBSIZE"}), integer(0));
  EXPECT_EQ(h.engine().db(1).size(), 1u);
  EXPECT_EQ(h.run({"FLUSHDB", "extra", "x"}), error("ERR syntax error"));
  EXPECT_EQ(h.run({"FLUSHDB", "maybe"}), error("ERR syntax error"));
  add_key(h, 0, "a");
  EXPECT_EQ(h.run({"flushdb", "async"}), kOk);
  EXPECT_EQ(h.engine().db(0).size(), 0u);
  h.engine().freer().drain();
}

TEST(ServerCommands, Flushall) {
  EngineHarness h;
  for (int db : {0, 3, 15}) add_key(h, db, "k");
  EXPECT_EQ(h.run({"FLUSHALL", "SYNC"}), kOk);
  for (int db : {0, 3, 15}) EXPECT_EQ(h.engine().db(db).size(), 0u);
  for (int i = 0; i < 100; ++i) add_key(h, 2, "k" + std::to_string(i));
  EXPECT_EQ(h.run({"FLUSHALL", "ASYNC"}), kOk);
  EXPECT_EQ(h.engine().db(2).size(), 0u);
  h.engine().freer().drain();
  EXPECT_EQ(h.run({"FLUSHALL", "foo"}), error("ERR syntax error"));
}

TEST(ServerCommands, Swapdb) {
  EngineHarness h;
  add_key(h, 0, "a");
  add_key(h, 1, "b");
  add_key(h, 1, "c");
  EXPECT_EQ(h.run({"SWAPDB", "0", "1"}), kOk);
  EXPECT_EQ(h.run({"DBSIZE"}), integer(2));
  EXPECT_EQ(h.engine().db(1).size(), 1u);
  EXPECT_EQ(h.run({"SWAPDB", "0", "0"}), kOk);
  EXPECT_EQ(h.run({"SWAPDB", "0", "16"}), error("ERR DB index is out of range"));
  EXPECT_EQ(h.run({"SWAPDB", "-1", "0"}), error("ERR DB index is out of range"));
  EXPECT_EQ(h.run({"SWAPDB", "a", "1"}), error("ERR invalid first DB index"));
  EXPECT_EQ(h.run({"SWAPDB", "0", "b"}), error("ERR invalid second DB index"));
}

TEST(ServerCommands, TimeAndLastsave) {
  EngineHarness h;
  h.clock().set_ms(1'700'000'123'456);
  EXPECT_EQ(h.run({"TIME"}), "*2\r\n" + bulk("1700000123") + bulk("456000"));
  // No save ever happened: LASTSAVE is the start time.
  int64_t start = h.engine().start_ms() / 1000;
  EXPECT_EQ(h.run({"LASTSAVE"}), integer(start));
}

TEST(ServerCommands, ShutdownUsesHooks) {
  EngineHarness h;
  EXPECT_EQ(h.run({"SHUTDOWN"}), error("ERR Errors trying to SHUTDOWN. Check logs."));
  FakeHooks hooks;
  h.engine().set_hooks(&hooks);
  EXPECT_EQ(h.run({"SHUTDOWN", "foo"}), error("ERR syntax error"));
  EXPECT_EQ(h.run({"SHUTDOWN", "SAVE", "NOSAVE"}), error("ERR syntax error"));
  EXPECT_EQ(h.run({"SHUTDOWN", "ABORT", "NOW"}), error("ERR syntax error"));
  EXPECT_EQ(h.run({"SHUTDOWN", "ABORT"}), error("ERR No shutdown in progress."));
  EXPECT_TRUE(hooks.requests.empty());
  hooks.refuse = "ERR Errors trying to SHUTDOWN. Check logs.";
  EXPECT_EQ(h.run({"SHUTDOWN", "NOSAVE"}), error("ERR Errors trying to SHUTDOWN. Check logs."));
  hooks.refuse.clear();
  EXPECT_EQ(h.run({"shutdown", "now", "force"}), "");  // no reply: the server stops
  EXPECT_TRUE(h.client().close_after_reply);
  ASSERT_EQ(hooks.requests.size(), 2u);
  EXPECT_TRUE(hooks.requests[0].nosave);
  EXPECT_FALSE(hooks.requests[0].force);
  EXPECT_TRUE(hooks.requests[1].now);
  EXPECT_TRUE(hooks.requests[1].force);
  EXPECT_FALSE(hooks.requests[1].save);
  h.engine().set_hooks(nullptr);
}

TEST(ServerCommands, DebugSleepAndActiveExpire) {
  EngineHarness h;
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(h.run({"DEBUG", "SLEEP", "0.05"}), kOk);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(45));
  EXPECT_EQ(h.run({"DEBUG", "SLEEP", "0"}), kOk);
  EXPECT_EQ(h.run({"DEBUG", "SET-ACTIVE-EXPIRE", "0"}), kOk);
  EXPECT_FALSE(h.engine().active_expire_enabled);
  EXPECT_EQ(h.run({"debug", "set-active-expire", "1"}), kOk);
  EXPECT_TRUE(h.engine().active_expire_enabled);
  EXPECT_EQ(h.run({"DEBUG", "NOPE"}),
            error("ERR unknown subcommand or wrong number of arguments for 'NOPE'. Try DEBUG "
                  "HELP."));
  EXPECT_EQ(h.run({"DEBUG", "SLEEP"}),
            error("ERR unknown subcommand or wrong number of arguments for 'SLEEP'. Try DEBUG "
                  "HELP."));
  EXPECT_EQ(h.run({"DEBUG"}), error("ERR wrong number of arguments for 'debug' command"));
}

TEST(ServerCommands, StatsCountCallsAndFailures) {
  EngineHarness h;
  h.run({"SELECT", "99"});
  h.run({"SELECT", "1"});
  h.run({"SELECT"});
  const engine::CommandSpec* sel = h.engine().commands().find("select");
  EXPECT_EQ(sel->stats.calls, 2u);
  EXPECT_EQ(sel->stats.failed_calls, 1u);
  EXPECT_EQ(sel->stats.rejected_calls, 1u);
  EXPECT_EQ(h.engine().stats().total_error_replies, 2u);
  EXPECT_EQ(h.run({"CONFIG", "RESETSTAT"}), kOk);
  EXPECT_EQ(sel->stats.calls, 0u);
  EXPECT_EQ(h.engine().stats().total_error_replies, 0u);
}

}  // namespace kvd::test
