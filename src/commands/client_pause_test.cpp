// CLIENT PAUSE / UNPAUSE through the engine: which commands wait, that they
// run in arrival order once the pause ends, and that nothing expires meanwhile.
#include <gtest/gtest.h>

#include "kvd/engine/blocking.hpp"
#include "support/engine_harness.hpp"
#include "support/peer_client.hpp"

namespace kvd::test {
namespace {

TEST(ClientPause, ArgumentErrorsAsRedis) {
  EngineHarness h;
  EXPECT_EQ(h.run({"CLIENT", "PAUSE", "-1"}), error("ERR timeout is negative"));
  EXPECT_EQ(h.run({"CLIENT", "PAUSE", "abc"}),
            error("ERR timeout is not an integer or out of range"));
  EXPECT_EQ(h.run({"CLIENT", "PAUSE", "10", "foo"}),
            error("ERR CLIENT PAUSE mode must be WRITE or ALL"));
  EXPECT_EQ(h.run({"CLIENT", "PAUSE", "10", "write", "x"}),
            error("ERR unknown subcommand or wrong number of arguments for 'pause'. Try CLIENT "
                  "HELP."));
  EXPECT_FALSE(h.engine().client_pause().active());
}

TEST(ClientPause, WriteModeHoldsWritesAndLetsReadsThrough) {
  EngineHarness h;
  PeerClient a(h), b(h), c(h);
  EXPECT_EQ(h.run({"SET", "k", "v0"}), kOk);
  EXPECT_EQ(h.run({"CLIENT", "PAUSE", "100000", "WRITE"}), kOk);
  EXPECT_EQ(a.run({"GET", "k"}), bulk("v0"));
  EXPECT_EQ(a.run({"SET", "k", "v1"}), "");  // waits
  EXPECT_EQ(b.run({"SET", "k", "v2"}), "");
  EXPECT_EQ(c.run({"PUBLISH", "ch", "m"}), "");  // may replicate: waits too
  EXPECT_EQ(engine::blocked_client_count(h.engine()), 3u);
  EXPECT_EQ(h.run({"GET", "k"}), bulk("v0"));
  EXPECT_EQ(h.run({"SET", "k"}), error("ERR wrong number of arguments for 'set' command"));
  EXPECT_EQ(h.run({"CLIENT", "UNPAUSE"}), kOk);
  // In arrival order: a's SET, then b's.
  EXPECT_EQ(a.take(), kOk);
  EXPECT_EQ(b.take(), kOk);
  EXPECT_EQ(c.take(), integer(0));
  EXPECT_EQ(h.run({"GET", "k"}), bulk("v2"));
  EXPECT_EQ(engine::blocked_client_count(h.engine()), 0u);
}

// FAILOVER holds writes with a pause of its own: CLIENT UNPAUSE does not
// lift it, and its end does not lift a CLIENT PAUSE.
TEST(ClientPause, AFailoverPauseAndAClientPauseEndSeparately) {
  using engine::ClientPause;
  EngineHarness h;
  PeerClient a(h), b(h);
  h.engine().pause_clients(INT64_MAX, ClientPause::Mode::kWrite, ClientPause::Purpose::kFailover);
  // (Under ALL, CLIENT UNPAUSE itself would wait: the engine lifts it.)
  h.engine().pause_clients(h.clock().now_ms() + 100000, ClientPause::Mode::kAll);
  EXPECT_EQ(a.run({"GET", "k"}), "");
  EXPECT_EQ(b.run({"SET", "k", "v"}), "");
  h.engine().unpause_clients();
  EXPECT_EQ(a.take(), kNil);  // reads run again: only writes are held
  EXPECT_EQ(b.take(), "");
  EXPECT_TRUE(h.engine().client_pause().active());
  EXPECT_EQ(h.engine().next_block_deadline(), -1);  // no deadline to wake for
  EXPECT_EQ(h.run({"CLIENT", "PAUSE", "100000", "WRITE"}), kOk);
  h.engine().unpause_clients(ClientPause::Purpose::kFailover);
  EXPECT_EQ(b.take(), "");  // the CLIENT PAUSE still holds it
  EXPECT_EQ(h.run({"CLIENT", "UNPAUSE"}), kOk);
  EXPECT_EQ(b.take(), kOk);
  EXPECT_FALSE(h.engine().client_pause().active());
}

TEST(ClientPause, AllModeHoldsEveryCommandUntilTheDeadline) {
  EngineHarness h;
  PeerClient a(h);
  EXPECT_EQ(h.run({"CLIENT", "PAUSE", "500", "ALL"}), kOk);
  EXPECT_EQ(a.run({"PING"}), "");
  EXPECT_EQ(h.engine().next_block_deadline(), h.clock().now_ms() + 500);
  h.clock().advance_ms(499);
  h.engine().expire_blocked_clients(h.clock().now_ms());
  EXPECT_EQ(a.take(), "");
  h.clock().advance_ms(1);
  h.engine().expire_blocked_clients(h.clock().now_ms());
  EXPECT_EQ(a.take(), "+PONG\r\n");
  EXPECT_FALSE(h.engine().client_pause().active());
}

TEST(ClientPause, ScriptsWaitUnlessTheyDeclareNoWrites) {
  EngineHarness h;
  PeerClient a(h), b(h);
  EXPECT_EQ(h.run({"CLIENT", "PAUSE", "100000", "WRITE"}), kOk);
  EXPECT_EQ(a.run({"EVAL", "#!lua flags=no-writes\nreturn 1", "0"}), integer(1));
  EXPECT_EQ(a.run({"EVAL", "return 2", "0"}), "");         // no shebang: may write
  EXPECT_EQ(b.run({"EVAL", "#!lua\nreturn 3", "0"}), "");  // a shebang without no-writes
  EXPECT_EQ(h.run({"CLIENT", "UNPAUSE"}), kOk);
  EXPECT_EQ(a.take(), integer(2));
  EXPECT_EQ(b.take(), integer(3));
}

TEST(ClientPause, ExecWaitsOnlyForAQueueThatWrites) {
  EngineHarness h;
  PeerClient a(h), b(h);
  EXPECT_EQ(a.run({"MULTI"}), kOk);
  EXPECT_EQ(a.run({"GET", "k"}), simple("QUEUED"));
  EXPECT_EQ(b.run({"MULTI"}), kOk);
  EXPECT_EQ(b.run({"SET", "k", "v"}), simple("QUEUED"));
  EXPECT_EQ(h.run({"CLIENT", "PAUSE", "100000", "WRITE"}), kOk);
  EXPECT_EQ(a.run({"EXEC"}), "*1\r\n" + kNil);
  EXPECT_EQ(b.run({"EXEC"}), "");
  EXPECT_EQ(h.run({"CLIENT", "UNPAUSE"}), kOk);
  EXPECT_EQ(b.take(), "*1\r\n" + kOk);
}

// A pause queued inside MULTI starts when EXEC ends: the commands after it in
// the same transaction still run.
TEST(ClientPause, StartsAtTheEndOfATransaction) {
  EngineHarness h;
  PeerClient a(h);
  EXPECT_EQ(h.run({"MULTI"}), kOk);
  EXPECT_EQ(h.run({"SET", "a", "1"}), simple("QUEUED"));
  EXPECT_EQ(h.run({"CLIENT", "PAUSE", "100000", "WRITE"}), simple("QUEUED"));
  EXPECT_EQ(h.run({"SET", "b", "2"}), simple("QUEUED"));
  EXPECT_EQ(h.run({"EXEC"}), "*3\r\n" + kOk + kOk + kOk);
  EXPECT_EQ(a.run({"SET", "c", "3"}), "");
  EXPECT_EQ(h.run({"MGET", "a", "b", "c"}), "*3\r\n" + bulk("1") + bulk("2") + kNil);
  EXPECT_EQ(h.run({"CLIENT", "UNPAUSE"}), kOk);
  EXPECT_EQ(a.take(), kOk);
}

TEST(ClientPause, KeysNeitherExpireNorAreDeletedWhilePaused) {
  EngineHarness h;
  EXPECT_EQ(h.run({"SET", "k", "v", "PX", "10"}), kOk);
  EXPECT_EQ(h.run({"CLIENT", "PAUSE", "100000", "WRITE"}), kOk);
  h.clock().advance_ms(20);
  EXPECT_EQ(h.run({"GET", "k"}), kNil);  // logically expired
  h.engine().cron();
  EXPECT_EQ(h.engine().expired_keys(), 0u);
  EXPECT_EQ(h.engine().db(0).size(), 1u);  // but still there
  EXPECT_EQ(h.run({"CLIENT", "UNPAUSE"}), kOk);
  EXPECT_EQ(h.run({"GET", "k"}), kNil);
  EXPECT_EQ(h.engine().expired_keys(), 1u);
  EXPECT_EQ(h.engine().db(0).size(), 0u);
}

TEST(ClientPause, ADisconnectedWaiterIsForgotten) {
  EngineHarness h;
  EXPECT_EQ(h.run({"CLIENT", "PAUSE", "100000", "WRITE"}), kOk);
  {
    PeerClient a(h);
    EXPECT_EQ(a.run({"SET", "k", "v"}), "");
  }
  EXPECT_EQ(engine::blocked_client_count(h.engine()), 0u);
  EXPECT_EQ(h.run({"CLIENT", "UNPAUSE"}), kOk);
  EXPECT_EQ(h.run({"GET", "k"}), kNil);
}

}  // namespace
}  // namespace kvd::test
