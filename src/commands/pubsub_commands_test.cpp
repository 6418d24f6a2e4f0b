#include <gtest/gtest.h>

#include "support/engine_harness.hpp"
#include "support/peer_client.hpp"

// Expected replies were checked against redis-server 7.0.15.
namespace kvd::test {
namespace {

std::string event(std::string_view kind, std::string_view name, int64_t count) {
  return arr({bulk(kind), bulk(name), integer(count)});
}
std::string message(std::string_view channel, std::string_view msg) {
  return arr({bulk("message"), bulk(channel), bulk(msg)});
}

TEST(PubSub, SubscribeAndPublish) {
  EngineHarness h;
  PeerClient sub(h);
  EXPECT_EQ(sub.run({"SUBSCRIBE", "chan1", "chan2"}),
            event("subscribe", "chan1", 1) + event("subscribe", "chan2", 2));
  EXPECT_EQ(h.run({"PUBLISH", "chan1", "hello"}), integer(1));
  EXPECT_EQ(h.run({"PUBLISH", "chan2", "world"}), integer(1));
  EXPECT_EQ(sub.take(), message("chan1", "hello") + message("chan2", "world"));
  EXPECT_EQ(sub.run({"UNSUBSCRIBE", "chan1"}), event("unsubscribe", "chan1", 1));
  EXPECT_EQ(h.run({"PUBLISH", "chan1", "x"}), integer(0));
  EXPECT_EQ(sub.take(), "");
  EXPECT_EQ(sub.run({"UNSUBSCRIBE"}), event("unsubscribe", "chan2", 0));
  EXPECT_EQ(sub.run({"UNSUBSCRIBE"}), arr({bulk("unsubscribe"), kNil, integer(0)}));
}

TEST(PubSub, SubscribeTwiceAndTwoSubscribers) {
  EngineHarness h;
  PeerClient a(h), b(h);
  a.run({"SUBSCRIBE", "c", "c"});
  b.run({"SUBSCRIBE", "c"});
  EXPECT_EQ(h.run({"PUBLISH", "c", "m"}), integer(2));
  EXPECT_EQ(a.take(), message("c", "m"));
  EXPECT_EQ(b.take(), message("c", "m"));
  EXPECT_EQ(h.run({"PUBSUB", "NUMSUB", "c", "none"}),
            arr({bulk("c"), integer(2), bulk("none"), integer(0)}));
  EXPECT_EQ(h.run({"PUBSUB", "CHANNELS"}), arr({bulk("c")}));
}

TEST(PubSub, Patterns) {
  EngineHarness h;
  PeerClient sub(h);
  EXPECT_EQ(sub.run({"PSUBSCRIBE", "foo.*", "bar.*"}),
            event("psubscribe", "foo.*", 1) + event("psubscribe", "bar.*", 2));
  EXPECT_EQ(h.run({"PUBLISH", "foo.1", "hello"}), integer(1));
  EXPECT_EQ(h.run({"PUBLISH", "baz.1", "x"}), integer(0));
  EXPECT_EQ(sub.take(), arr({bulk("pmessage"), bulk("foo.*"), bulk("foo.1"), bulk("hello")}));
  EXPECT_EQ(h.run({"PUBSUB", "NUMPAT"}), integer(2));
  EXPECT_EQ(sub.run({"PUNSUBSCRIBE", "foo.*"}), event("punsubscribe", "foo.*", 1));
  EXPECT_EQ(sub.run({"SUBSCRIBE", "foo.1"}), event("subscribe", "foo.1", 2));
  EXPECT_EQ(sub.run({"PUNSUBSCRIBE", "nope"}), event("punsubscribe", "nope", 2));
}

TEST(PubSub, SubscribedContextRestrictsCommandsInResp2) {
  EngineHarness h;
  h.run({"SUBSCRIBE", "c"});
  EXPECT_EQ(h.run({"GET", "k"}),
            error("ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
                  "QUIT / RESET are allowed in this context"));
  EXPECT_EQ(h.run({"PING"}), arr({bulk("pong"), bulk("")}));
  EXPECT_EQ(h.run({"PING", "x"}), arr({bulk("pong"), bulk("x")}));
  EXPECT_EQ(h.run({"RESET"}), simple("RESET"));
  EXPECT_EQ(h.run({"PING"}), simple("PONG"));
  EXPECT_EQ(h.run({"PUBSUB", "NUMSUB", "c"}), arr({bulk("c"), integer(0)}));
}

TEST(PubSub, Resp3PushMessages) {
  EngineHarness h;
  PeerClient sub(h);
  sub.run({"HELLO", "3"});
  EXPECT_EQ(sub.run({"SUBSCRIBE", "c"}), arr({bulk("subscribe"), bulk("c"), integer(1)}, '>'));
  // RESP3 subscribers may run any command.
  EXPECT_EQ(sub.run({"GET", "k"}), "_\r\n");
  EXPECT_EQ(sub.run({"PING"}), simple("PONG"));
  h.run({"PUBLISH", "c", "hi"});
  EXPECT_EQ(sub.take(), arr({bulk("message"), bulk("c"), bulk("hi")}, '>'));
}

TEST(PubSub, ShardChannels) {
  EngineHarness h;
  PeerClient sub(h);
  EXPECT_EQ(sub.run({"SSUBSCRIBE", "s"}), event("ssubscribe", "s", 1));
  EXPECT_EQ(sub.run({"SUBSCRIBE", "c"}), event("subscribe", "c", 1));
  EXPECT_EQ(h.run({"SPUBLISH", "s", "m"}), integer(1));
  EXPECT_EQ(h.run({"PUBLISH", "s", "m"}), integer(0));
  EXPECT_EQ(sub.take(), arr({bulk("smessage"), bulk("s"), bulk("m")}));
  EXPECT_EQ(h.run({"PUBSUB", "SHARDCHANNELS"}), arr({bulk("s")}));
  EXPECT_EQ(h.run({"PUBSUB", "SHARDNUMSUB", "s"}), arr({bulk("s"), integer(1)}));
  EXPECT_EQ(sub.run({"SUNSUBSCRIBE"}), event("sunsubscribe", "s", 0));
}

TEST(PubSub, DisconnectForgetsSubscriptions) {
  EngineHarness h;
  {
    PeerClient sub(h);
    sub.run({"SUBSCRIBE", "c"});
    sub.run({"PSUBSCRIBE", "*"});
  }
  EXPECT_EQ(h.run({"PUBLISH", "c", "m"}), integer(0));
  EXPECT_EQ(h.run({"PUBSUB", "NUMPAT"}), integer(0));
}

TEST(PubSub, InfoAndClientList) {
  EngineHarness h;
  PeerClient sub(h);
  sub.run({"SUBSCRIBE", "a", "b"});
  sub.run({"PSUBSCRIBE", "p*"});
  std::string info = h.run({"INFO", "stats"});
  EXPECT_NE(info.find("pubsub_channels:2\r\n"), std::string::npos);
  EXPECT_NE(info.find("pubsub_patterns:1\r\n"), std::string::npos);
  std::string list = h.run({"CLIENT", "LIST", "TYPE", "pubsub"});
  EXPECT_NE(list.find("flags=P db=0 sub=2 psub=1 ssub=0 multi=-1"), std::string::npos);
}

TEST(PubSub, SubscribeInsideExecIsRefused) {
  EngineHarness h;
  h.run({"MULTI"});
  h.run({"SUBSCRIBE", "c"});
  EXPECT_EQ(h.run({"EXEC"}),
            arr({error("ERR SUBSCRIBE isn't allowed for a DENY BLOCKING client")}));
}

}  // namespace
}  // namespace kvd::test
