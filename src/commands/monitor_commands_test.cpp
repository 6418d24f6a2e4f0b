#include <gtest/gtest.h>

#include "support/engine_harness.hpp"
#include "support/peer_client.hpp"

namespace kvd::test {
namespace {

TEST(Monitor, SeesCommandsOfOtherClientsAfterTheyRan) {
  EngineHarness h;
  h.clock().set_ms(1700000000123);
  PeerClient mon(h);
  EXPECT_EQ(mon.run({"MONITOR"}), "+OK\r\n");
  h.run({"SET", "foo", "bar baz"});
  h.run({"GET", "foo"});
  EXPECT_EQ(mon.take(),
            "+1700000000.123000 [0 ] \"SET\" \"foo\" \"bar baz\"\r\n"
            "+1700000000.123000 [0 ] \"GET\" \"foo\"\r\n");
}

TEST(Monitor, EscapesBytesAndRedactsSecrets) {
  EngineHarness h;
  PeerClient mon(h);
  mon.run({"MONITOR"});
  h.run({"SET", "k", std::string_view("a\"\\\n\x01", 5)});
  h.run({"AUTH", "user", "secret"});
  h.run({"HELLO", "2", "AUTH", "user", "secret"});
  std::string out = mon.take();
  EXPECT_NE(out.find("\"SET\" \"k\" \"a\\\"\\\\\\n\\x01\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"AUTH\" \"(redacted)\" \"(redacted)\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"HELLO\" \"2\" \"AUTH\" \"(redacted)\" \"(redacted)\""), std::string::npos)
      << out;
  EXPECT_EQ(out.find("secret"), std::string::npos);
}

TEST(Monitor, MultiExecInOrderAndAdminCommandsHidden) {
  EngineHarness h;
  PeerClient mon(h);
  mon.run({"MONITOR"});
  h.run({"MULTI"});
  h.run({"SET", "a", "1"});
  h.run({"EXEC"});
  h.run({"CONFIG", "GET", "maxclients"});
  h.run({"NOSUCHCOMMAND"});
  std::string out = mon.take();
  size_t multi = out.find("\"MULTI\"");
  size_t set = out.find("\"SET\" \"a\" \"1\"");
  size_t exec = out.find("\"EXEC\"");
  ASSERT_NE(multi, std::string::npos) << out;
  ASSERT_NE(set, std::string::npos) << out;
  ASSERT_NE(exec, std::string::npos) << out;
  EXPECT_LT(multi, set);
  EXPECT_LT(set, exec);
  EXPECT_EQ(out.find("CONFIG"), std::string::npos);
  EXPECT_EQ(out.find("NOSUCHCOMMAND"), std::string::npos);
}

TEST(Monitor, ResetAndDisconnectStopTheFeed) {
  EngineHarness h;
  {
    PeerClient gone(h);
    gone.run({"MONITOR"});
  }
  PeerClient mon(h);
  mon.run({"MONITOR"});
  EXPECT_NE(h.run({"CLIENT", "LIST"}).find("flags=O"), std::string::npos);
  mon.run({"RESET"});
  h.run({"PING"});
  EXPECT_EQ(mon.take(), "");
}

}  // namespace
}  // namespace kvd::test
