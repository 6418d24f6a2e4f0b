#include <gtest/gtest.h>

#include "support/engine_harness.hpp"
#include "support/peer_client.hpp"

// Expected replies were checked against redis-server 7.0.15.
namespace kvd::test {
namespace {

const std::string kQueued = simple("QUEUED");
const std::string kNullArray = "*-1\r\n";
const std::string kExecAbort = error("EXECABORT Transaction discarded because of previous errors.");

TEST(Transactions, MultiExecBasics) {
  EngineHarness h;
  EXPECT_EQ(h.run({"MULTI"}), kOk);
  EXPECT_EQ(h.run({"SET", "a", "1"}), kQueued);
  EXPECT_EQ(h.run({"INCR", "a"}), kQueued);
  EXPECT_EQ(h.run({"GET", "a"}), kQueued);
  EXPECT_EQ(h.run({"EXEC"}), arr({kOk, integer(2), bulk("2")}));
  EXPECT_EQ(h.run({"EXEC"}), error("ERR EXEC without MULTI"));
  EXPECT_EQ(h.run({"DISCARD"}), error("ERR DISCARD without MULTI"));
}

TEST(Transactions, NestedAndWatchInsideMulti) {
  EngineHarness h;
  EXPECT_EQ(h.run({"MULTI"}), kOk);
  EXPECT_EQ(h.run({"MULTI"}), error("ERR MULTI calls can not be nested"));
  EXPECT_EQ(h.run({"WATCH", "x"}), error("ERR WATCH inside MULTI is not allowed"));
  EXPECT_EQ(h.run({"PING"}), kQueued);
  // Errors of MULTI/WATCH themselves do not abort the transaction.
  EXPECT_EQ(h.run({"EXEC"}), arr({simple("PONG")}));
}

TEST(Transactions, Discard) {
  EngineHarness h;
  h.run({"SET", "x", "1"});
  h.run({"MULTI"});
  h.run({"INCR", "x"});
  EXPECT_EQ(h.run({"DISCARD"}), kOk);
  EXPECT_EQ(h.run({"GET", "x"}), bulk("1"));
}

TEST(Transactions, QueueingErrorsAbort) {
  EngineHarness h;
  h.run({"MULTI"});
  EXPECT_EQ(h.run({"SET", "x"}), error("ERR wrong number of arguments for 'set' command"));
  EXPECT_EQ(h.run({"NOSUCH"}), error("ERR unknown command 'NOSUCH', with args beginning with: "));
  EXPECT_EQ(h.run({"SET", "y", "1"}), kQueued);
  EXPECT_EQ(h.run({"EXEC"}), kExecAbort);
  EXPECT_EQ(h.run({"EXISTS", "y"}), integer(0));
  // The MULTI state is gone after the abort.
  EXPECT_EQ(h.run({"SET", "y", "1"}), kOk);
}

TEST(Transactions, RuntimeErrorsDoNotAbort) {
  EngineHarness h;
  h.run({"SET", "s", "abc"});
  h.run({"MULTI"});
  h.run({"INCR", "s"});
  h.run({"SET", "t", "1"});
  EXPECT_EQ(h.run({"EXEC"}), arr({error("ERR value is not an integer or out of range"), kOk}));
  EXPECT_EQ(h.run({"GET", "t"}), bulk("1"));
}

TEST(Transactions, WatchedKeyModifiedByOtherClient) {
  EngineHarness h;
  PeerClient other(h);
  h.run({"SET", "x", "30"});
  EXPECT_EQ(h.run({"WATCH", "a", "b", "x"}), kOk);
  other.run({"SET", "x", "40"});
  h.run({"MULTI"});
  h.run({"PING"});
  EXPECT_EQ(h.run({"EXEC"}), kNullArray);
  // Unwatched after a failed EXEC.
  other.run({"SET", "x", "50"});
  h.run({"MULTI"});
  h.run({"PING"});
  EXPECT_EQ(h.run({"EXEC"}), arr({simple("PONG")}));
}

TEST(Transactions, WatchNotModifiedAndUnwatch) {
  EngineHarness h;
  h.run({"SET", "x", "30"});
  h.run({"WATCH", "x"});
  h.run({"MULTI"});
  h.run({"PING"});
  EXPECT_EQ(h.run({"EXEC"}), arr({simple("PONG")}));
  h.run({"WATCH", "x"});
  h.run({"SET", "x", "40"});
  EXPECT_EQ(h.run({"UNWATCH"}), kOk);
  h.run({"MULTI"});
  h.run({"PING"});
  EXPECT_EQ(h.run({"EXEC"}), arr({simple("PONG")}));
}

TEST(Transactions, WatchRemembersDb) {
  EngineHarness h;
  h.run({"SELECT", "5"});
  h.run({"SET", "x", "30"});
  h.run({"WATCH", "x"});
  h.run({"SELECT", "1"});
  h.run({"SET", "x", "10"});
  h.run({"SELECT", "5"});
  h.run({"MULTI"});
  h.run({"PING"});
  EXPECT_EQ(h.run({"EXEC"}), arr({simple("PONG")}));
}

TEST(Transactions, ExpireAndExpiryTouchWatchedKeys) {
  EngineHarness h;
  h.run({"SET", "x", "foo"});
  h.run({"WATCH", "x"});
  h.run({"EXPIRE", "x", "10"});
  h.run({"MULTI"});
  h.run({"PING"});
  EXPECT_EQ(h.run({"EXEC"}), kNullArray);

  // Key expires while watched (lazy expiry at EXEC time).
  h.run({"SET", "y", "1", "PX", "100"});
  h.run({"WATCH", "y"});
  h.clock().advance_ms(200);
  h.run({"MULTI"});
  h.run({"INCR", "y"});
  EXPECT_EQ(h.run({"EXEC"}), kNullArray);
}

TEST(Transactions, StaleWatchedKeysDoNotFailExec) {
  EngineHarness h;
  h.engine().active_expire_enabled = false;
  h.run({"SET", "x", "foo", "PX", "1"});
  h.clock().advance_ms(5);
  h.run({"WATCH", "x"});
  EXPECT_EQ(h.run({"EXISTS", "x"}), integer(0));  // lazily deletes the stale key
  h.run({"MULTI"});
  h.run({"PING"});
  EXPECT_EQ(h.run({"EXEC"}), arr({simple("PONG")}));

  h.run({"SET", "x", "foo", "PX", "1"});
  h.clock().advance_ms(5);
  h.run({"WATCH", "x"});
  h.run({"FLUSHDB"});
  h.run({"MULTI"});
  h.run({"PING"});
  EXPECT_EQ(h.run({"EXEC"}), arr({simple("PONG")}));
}

TEST(Transactions, FlushAndSwapdbTouchWatchedKeys) {
  EngineHarness h;
  h.run({"SET", "x", "30"});
  h.run({"WATCH", "x"});
  h.run({"FLUSHALL"});
  h.run({"MULTI"});
  h.run({"PING"});
  EXPECT_EQ(h.run({"EXEC"}), kNullArray);

  h.run({"WATCH", "x"});  // x missing: a flush changes nothing
  h.run({"FLUSHDB"});
  h.run({"MULTI"});
  h.run({"PING"});
  EXPECT_EQ(h.run({"EXEC"}), arr({simple("PONG")}));

  h.run({"SELECT", "1"});
  h.run({"SET", "x", "30"});
  h.run({"SELECT", "0"});
  h.run({"WATCH", "x"});  // missing here, SWAPDB brings it in
  h.run({"SWAPDB", "0", "1"});
  h.run({"MULTI"});
  h.run({"PING"});
  EXPECT_EQ(h.run({"EXEC"}), kNullArray);
}

TEST(Transactions, DiscardClearsWatchState) {
  EngineHarness h;
  h.run({"WATCH", "x"});
  h.run({"SET", "x", "10"});
  h.run({"MULTI"});
  h.run({"DISCARD"});
  h.run({"MULTI"});
  h.run({"INCR", "x"});
  EXPECT_EQ(h.run({"EXEC"}), arr({integer(11)}));
}

TEST(Transactions, ResetDiscardsMulti) {
  EngineHarness h;
  h.run({"MULTI"});
  EXPECT_EQ(h.run({"RESET"}), simple("RESET"));
  EXPECT_EQ(h.run({"EXEC"}), error("ERR EXEC without MULTI"));
}

TEST(Transactions, NoMultiCommandsAreRejected) {
  EngineHarness h;
  h.run({"MULTI"});
  EXPECT_EQ(h.run({"SHUTDOWN"}), error("ERR Command not allowed inside a transaction"));
  EXPECT_EQ(h.run({"EXEC"}), kExecAbort);
}

TEST(Transactions, ClientListShowsMulti) {
  EngineHarness h;
  PeerClient other(h);
  h.run({"MULTI"});
  h.run({"PING"});
  h.run({"PING"});
  std::string id = std::to_string(h.client().id);
  EXPECT_NE(
      other.run({"CLIENT", "LIST", "ID", id}).find("flags=x db=0 sub=0 psub=0 ssub=0 multi=2 "),
      std::string::npos);
}

TEST(Transactions, Resp3NullOnWatchFailure) {
  EngineHarness h;
  h.run({"HELLO", "3"});
  h.run({"WATCH", "x"});
  h.run({"SET", "x", "1"});
  h.run({"MULTI"});
  h.run({"PING"});
  EXPECT_EQ(h.run({"EXEC"}), "_\r\n");
}

}  // namespace
}  // namespace kvd::test
