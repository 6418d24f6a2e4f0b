#include <gtest/gtest.h>

#include "support/engine_harness.hpp"
#include "support/peer_client.hpp"

// Expected messages were checked against redis-server 7.0.15.
namespace kvd::test {
namespace {

std::string pmsg(std::string_view pattern, std::string_view channel, std::string_view msg) {
  return arr({bulk("pmessage"), bulk(pattern), bulk(channel), bulk(msg)});
}

TEST(Notify, ConfigCanonicalOrder) {
  EngineHarness h;
  EXPECT_EQ(h.run({"CONFIG", "SET", "notify-keyspace-events", "KEA"}), kOk);
  EXPECT_EQ(h.run({"CONFIG", "GET", "notify-keyspace-events"}),
            arr({bulk("notify-keyspace-events"), bulk("AKE")}));
  h.run({"CONFIG", "SET", "notify-keyspace-events", "EKx$g"});
  EXPECT_EQ(h.run({"CONFIG", "GET", "notify-keyspace-events"}),
            arr({bulk("notify-keyspace-events"), bulk("g$xKE")}));
  EXPECT_EQ(h.run({"CONFIG", "SET", "notify-keyspace-events", "Q"}),
            error("ERR CONFIG SET failed (possibly related to argument "
                  "'notify-keyspace-events') - Invalid event class character. Use "
                  "'Ag$lshzxeKEtmdn'."));
}

TEST(Notify, KeyspaceAndKeyevent) {
  EngineHarness h;
  PeerClient sub(h);
  h.run({"CONFIG", "SET", "notify-keyspace-events", "KEA"});
  sub.run({"PSUBSCRIBE", "*"});
  h.run({"SET", "foo", "bar"});
  EXPECT_EQ(sub.take(),
            pmsg("*", "__keyspace@0__:foo", "set") + pmsg("*", "__keyevent@0__:set", "foo"));
  h.run({"DEL", "foo", "nokey"});
  EXPECT_EQ(sub.take(),
            pmsg("*", "__keyspace@0__:foo", "del") + pmsg("*", "__keyevent@0__:del", "foo"));
}

TEST(Notify, MaskAndGenericEvents) {
  EngineHarness h;
  PeerClient sub(h);
  h.run({"CONFIG", "SET", "notify-keyspace-events", "Eg"});
  sub.run({"PSUBSCRIBE", "*"});
  h.run({"SET", "a", "1"});
  h.run({"EXPIRE", "a", "100"});
  h.run({"RENAME", "a", "b"});
  h.run({"PERSIST", "b"});
  h.run({"MOVE", "b", "1"});
  EXPECT_EQ(
      sub.take(),
      pmsg("*", "__keyevent@0__:expire", "a") + pmsg("*", "__keyevent@0__:rename_from", "a") +
          pmsg("*", "__keyevent@0__:rename_to", "b") + pmsg("*", "__keyevent@0__:persist", "b") +
          pmsg("*", "__keyevent@0__:move_from", "b") + pmsg("*", "__keyevent@1__:move_to", "b"));
}

TEST(Notify, StringEvents) {
  EngineHarness h;
  PeerClient sub(h);
  h.run({"CONFIG", "SET", "notify-keyspace-events", "E$"});
  sub.run({"PSUBSCRIBE", "*"});
  h.run({"INCR", "n"});
  h.run({"INCRBYFLOAT", "n", "1.5"});
  h.run({"APPEND", "n", "x"});
  h.run({"SETRANGE", "s", "0", "x"});
  h.run({"SETBIT", "b", "1", "1"});
  EXPECT_EQ(sub.take(), pmsg("*", "__keyevent@0__:incrby", "n") +
                            pmsg("*", "__keyevent@0__:incrbyfloat", "n") +
                            pmsg("*", "__keyevent@0__:append", "n") +
                            pmsg("*", "__keyevent@0__:setrange", "s") +
                            pmsg("*", "__keyevent@0__:setbit", "b"));
}

TEST(Notify, ExpiredLazyAndActive) {
  EngineHarness h;
  PeerClient sub(h);
  h.run({"CONFIG", "SET", "notify-keyspace-events", "Ex"});
  sub.run({"SUBSCRIBE", "__keyevent@0__:expired"});
  sub.take();
  h.run({"SET", "a", "1", "PX", "10"});
  h.run({"SET", "b", "1", "PX", "10"});
  h.clock().advance_ms(20);
  h.run({"GET", "a"});  // lazy
  EXPECT_EQ(sub.take(), arr({bulk("message"), bulk("__keyevent@0__:expired"), bulk("a")}));
  h.engine().cron();  // active
  EXPECT_EQ(sub.take(), arr({bulk("message"), bulk("__keyevent@0__:expired"), bulk("b")}));
}

TEST(Notify, NewKeyEvent) {
  EngineHarness h;
  PeerClient sub(h);
  h.run({"CONFIG", "SET", "notify-keyspace-events", "En"});
  sub.run({"PSUBSCRIBE", "*"});
  h.run({"SET", "k", "1"});
  h.run({"SET", "k", "2"});
  EXPECT_EQ(sub.take(), pmsg("*", "__keyevent@0__:new", "k"));
}

}  // namespace
}  // namespace kvd::test
