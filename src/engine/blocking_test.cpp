#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "kvd/engine/blocking.hpp"
#include "support/engine_harness.hpp"
#include "support/fake_object.hpp"

namespace kvd::test {
namespace {

// Another connection on the harness's engine, with its own reply buffer so
// replies written out of band (an unblocked BLPOP) can be read back.
class OtherClient {
 public:
  explicit OtherClient(EngineHarness& h) : h_(h), writer_(out_) {
    client_.id = h.engine().next_client_id();
    client_.writer = &writer_;
    h.engine().add_client(&client_);
  }
  ~OtherClient() { disconnect(); }
  std::string run(std::initializer_list<std::string_view> args) {
    std::vector<std::string_view> v(args);
    h_.engine().execute(client_, engine::Args(v.data(), v.size()), writer_);
    return take();
  }
  // Everything written to the client since the last call.
  std::string take() {
    std::string s = out_.to_string();
    out_.clear();
    return s;
  }
  void disconnect() {
    if (gone_) return;
    gone_ = true;
    h_.engine().remove_client(&client_);
  }
  engine::Client& client() { return client_; }

 private:
  EngineHarness& h_;
  engine::Client client_;
  protocol::OutputBuffer out_;
  protocol::ReplyWriter writer_;
  bool gone_ = false;
};

std::string pair(std::string_view k, std::string_view v) {
  return "*2\r\n" + bulk(k) + bulk(v);
}
const std::string kNullArray = "*-1\r\n";

size_t blocked(EngineHarness& h) {
  return engine::blocked_client_count(h.engine());
}

TEST(Blocking, PushWakesWaiter) {
  EngineHarness h;
  OtherClient w(h);
  EXPECT_EQ(w.run({"BLPOP", "a", "b", "0"}), "");
  EXPECT_TRUE(w.client().blocked);
  EXPECT_EQ(blocked(h), 1u);
  EXPECT_NE(h.run({"INFO", "clients"}).find("blocked_clients:1"), std::string::npos);
  EXPECT_EQ(h.run({"RPUSH", "b", "x", "y"}), integer(2));
  EXPECT_EQ(w.take(), pair("b", "x"));
  EXPECT_FALSE(w.client().blocked);
  EXPECT_EQ(blocked(h), 0u);
  EXPECT_EQ(h.run({"LRANGE", "b", "0", "-1"}), "*1\r\n" + bulk("y"));
}

TEST(Blocking, ServesImmediatelyWhenDataExists) {
  EngineHarness h;
  h.run({"RPUSH", "b", "1", "2"});
  EXPECT_EQ(h.run({"BRPOP", "a", "b", "0"}), pair("b", "2"));
  EXPECT_EQ(h.run({"BLMPOP", "0", "1", "b", "LEFT", "COUNT", "3"}),
            "*2\r\n" + bulk("b") + "*1\r\n" + bulk("1"));
  EXPECT_FALSE(h.client().blocked);
}

TEST(Blocking, FifoPerKey) {
  EngineHarness h;
  OtherClient w1(h), w2(h), w3(h);
  w1.run({"BLPOP", "k", "0"});
  w2.run({"BRPOP", "k", "0"});
  w3.run({"BLPOP", "k", "0"});
  h.run({"RPUSH", "k", "a", "b"});
  EXPECT_EQ(w1.take(), pair("k", "a"));
  EXPECT_EQ(w2.take(), pair("k", "b"));
  EXPECT_EQ(w3.take(), "");
  EXPECT_TRUE(w3.client().blocked);
  EXPECT_EQ(h.run({"EXISTS", "k"}), integer(0));
  h.run({"LPUSH", "k", "c"});
  EXPECT_EQ(w3.take(), pair("k", "c"));
}

TEST(Blocking, TimeoutsWithManualClock) {
  EngineHarness h;
  OtherClient w(h);
  EXPECT_EQ(h.engine().next_block_deadline(), -1);
  int64_t now = h.clock().now_ms();
  w.run({"BLPOP", "k", "0.25"});
  EXPECT_EQ(h.engine().next_block_deadline(), now + 250);
  h.engine().expire_blocked_clients(now + 249);
  EXPECT_TRUE(w.client().blocked);
  h.engine().expire_blocked_clients(now + 250);
  EXPECT_EQ(w.take(), kNullArray);
  EXPECT_FALSE(w.client().blocked);
  EXPECT_EQ(h.engine().next_block_deadline(), -1);
}

TEST(Blocking, TimeoutArgumentErrors) {
  EngineHarness h;
  EXPECT_EQ(h.run({"BLPOP", "k", "-1"}), error("ERR timeout is negative"));
  EXPECT_EQ(h.run({"BLPOP", "k", "abc"}), error("ERR timeout is not a float or out of range"));
  EXPECT_EQ(h.run({"BLPOP", "k", " 1"}), error("ERR timeout is not a float or out of range"));
  EXPECT_EQ(h.run({"BLMOVE", "k", "d", "LEFT", "LEFT", "nan"}),
            error("ERR timeout is not a float or out of range"));
  EXPECT_EQ(h.run({"BRPOPLPUSH", "k", "d", "-0.5"}), error("ERR timeout is negative"));
  EXPECT_FALSE(h.client().blocked);
}

TEST(Blocking, DisconnectWhileBlockedLeavesNothing) {
  EngineHarness h;
  auto w = std::make_unique<OtherClient>(h);
  OtherClient w2(h);
  w->run({"BLPOP", "k", "10"});
  w2.run({"BLPOP", "k", "0"});
  w->disconnect();
  EXPECT_EQ(blocked(h), 1u);
  h.run({"RPUSH", "k", "v"});
  EXPECT_EQ(w2.take(), pair("k", "v"));
  w2.run({"BLPOP", "k", "0"});
  w2.disconnect();
  EXPECT_EQ(blocked(h), 0u);
  h.run({"RPUSH", "k", "v2"});
  EXPECT_EQ(h.run({"LLEN", "k"}), integer(1));  // nobody consumed it
  EXPECT_EQ(h.engine().next_block_deadline(), -1);
}

TEST(Blocking, BlmoveChainsWakeups) {
  EngineHarness h;
  OtherClient mover(h), popper(h);
  mover.run({"BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"});
  popper.run({"BLPOP", "dst", "0"});
  h.run({"RPUSH", "src", "v"});
  EXPECT_EQ(mover.take(), bulk("v"));
  EXPECT_EQ(popper.take(), pair("dst", "v"));
  EXPECT_EQ(h.run({"EXISTS", "src", "dst"}), integer(0));
}

TEST(Blocking, WrongTypeOnReadyKeyKeepsWaiting) {
  EngineHarness h;
  OtherClient w(h);
  w.run({"BLPOP", "k", "0"});
  h.run({"SET", "k", "string"});
  h.engine().signal_key_ready(0, "k");  // as a type-changing write might
  h.run({"PING"});
  EXPECT_TRUE(w.client().blocked);
  EXPECT_EQ(w.take(), "");
  h.run({"DEL", "k"});
  h.run({"RPUSH", "k", "v"});
  EXPECT_EQ(w.take(), pair("k", "v"));
}

TEST(Blocking, ClientUnblock) {
  EngineHarness h;
  OtherClient w(h);
  std::string id = std::to_string(w.client().id);
  w.run({"BLPOP", "k", "0"});
  EXPECT_EQ(h.run({"CLIENT", "UNBLOCK", id, "MAYBE"}),
            error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"));
  EXPECT_EQ(h.run({"CLIENT", "UNBLOCK", id}), integer(1));
  EXPECT_EQ(w.take(), kNullArray);
  EXPECT_EQ(h.run({"CLIENT", "UNBLOCK", id}), integer(0));
  w.run({"BLMPOP", "0", "1", "k", "LEFT"});
  EXPECT_EQ(h.run({"CLIENT", "UNBLOCK", id, "ERROR"}), integer(1));
  EXPECT_EQ(w.take(), error("UNBLOCKED client unblocked via CLIENT UNBLOCK"));
  EXPECT_EQ(h.run({"CLIENT", "UNBLOCK", "abc"}), kNotInt);
}

// Turning into a replica ends every wait with Redis's error: the new
// master's pushes must not be popped by this server's own clients.
TEST(Blocking, RoleChangeUnblocksEveryWaiter) {
  EngineHarness h;
  OtherClient a(h), b(h);
  a.run({"BLPOP", "k", "0"});
  b.run({"BZPOPMIN", "z", "0"});
  EXPECT_EQ(engine::unblock_all_for_role_change(h.engine()), 2u);
  const std::string why =
      "UNBLOCKED force unblock from blocking operation, instance state changed (master -> "
      "replica?)";
  EXPECT_EQ(a.take(), error(why));
  EXPECT_EQ(b.take(), error(why));
  EXPECT_FALSE(a.client().blocked);
  h.run({"RPUSH", "k", "v"});
  EXPECT_EQ(a.take(), "");
  EXPECT_EQ(h.run({"LLEN", "k"}), integer(1));
  EXPECT_EQ(engine::unblock_all_for_role_change(h.engine()), 0u);
}

TEST(Blocking, InExecBehavesAsNonBlocking) {
  EngineHarness h;
  h.client().in_exec = true;  // as EXEC sets it
  EXPECT_EQ(h.run({"BLPOP", "k", "0"}), kNullArray);
  EXPECT_EQ(h.run({"BLMOVE", "k", "d", "LEFT", "LEFT", "0"}), kNil);
  EXPECT_EQ(h.run({"BLMPOP", "0", "1", "k", "LEFT"}), kNullArray);
  EXPECT_FALSE(h.client().blocked);
  h.client().in_exec = false;
}

TEST(Blocking, ReadyKeysServedAfterExecNotDuring) {
  EngineHarness h;
  OtherClient w(h);
  w.run({"BLPOP", "k", "0"});
  h.client().in_exec = true;
  h.run({"RPUSH", "k", "a"});
  h.run({"DEL", "k"});
  h.run({"RPUSH", "k", "b"});
  EXPECT_EQ(w.take(), "");
  h.client().in_exec = false;
  h.engine().after_command(h.client());  // what EXEC's own after_command does
  EXPECT_EQ(w.take(), pair("k", "b"));
}

TEST(Blocking, SwapdbWakesWaiters) {
  EngineHarness h;
  OtherClient w(h);
  w.run({"BLPOP", "k", "0"});
  h.run({"SELECT", "1"});
  h.run({"RPUSH", "k", "from-db1"});
  EXPECT_EQ(w.take(), "");
  h.run({"SWAPDB", "0", "1"});
  EXPECT_EQ(w.take(), "*2\r\n" + bulk("k") + bulk("from-db1"));
}

TEST(Blocking, RenameMoveCopyWakeWaiters) {
  EngineHarness h;
  OtherClient w(h);
  w.run({"BLPOP", "foo", "0"});
  h.run({"LPUSH", "bob", "abc", "def"});
  h.run({"RENAME", "bob", "foo"});
  EXPECT_EQ(w.take(), "*2\r\n" + bulk("foo") + bulk("def"));
  w.run({"BRPOP", "bar", "0"});
  h.run({"COPY", "foo", "bar"});
  EXPECT_EQ(w.take(), "*2\r\n" + bulk("bar") + bulk("abc"));
}

}  // namespace
}  // namespace kvd::test
