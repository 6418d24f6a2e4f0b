#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "support/engine_harness.hpp"
#include "support/peer_client.hpp"

// Expected replies and messages were checked against redis-server 7.0.15.
namespace kvd::test {
namespace {

// A RESP3 invalidation push about `keys`.
std::string invalidate(std::initializer_list<std::string> keys) {
  std::string body = "*" + std::to_string(keys.size()) + "\r\n";
  for (const auto& k : keys) body += bulk(k);
  return ">2\r\n" + bulk("invalidate") + body;
}
// The same, as a RESP2 pub/sub message to a redirect client.
std::string message(std::initializer_list<std::string> keys) {
  std::string body = "*" + std::to_string(keys.size()) + "\r\n";
  for (const auto& k : keys) body += bulk(k);
  return "*3\r\n" + bulk("message") + bulk("__redis__:invalidate") + body;
}

// A RESP3 client with tracking on (`options` after ON).
void track(PeerClient& p, std::initializer_list<std::string_view> options = {}) {
  p.run({"HELLO", "3"});
  std::vector<std::string_view> args{"CLIENT", "TRACKING", "ON"};
  args.insert(args.end(), options.begin(), options.end());
  p.client().resp = 3;
  EXPECT_EQ(p.run_vec(args), kOk);
}

TEST(ClientTracking, DefaultModeInvalidatesOnceAfterARead) {
  EngineHarness h;
  PeerClient t(h);
  track(t);
  h.run({"SET", "k", "1"});
  EXPECT_EQ(t.run({"GET", "k"}), bulk("1"));
  h.run({"SET", "other", "1"});
  EXPECT_EQ(t.take(), "");
  h.run({"SET", "k", "2"});
  EXPECT_EQ(t.take(), invalidate({"k"}));
  h.run({"SET", "k", "3"});  // forgotten until read again
  EXPECT_EQ(t.take(), "");
  EXPECT_EQ(h.run({"INFO", "stats"}).find("tracking_total_keys:0\r\n") != std::string::npos, true);
}

TEST(ClientTracking, OwnWriteInvalidatesAfterTheReply) {
  EngineHarness h;
  PeerClient t(h);
  track(t);
  t.run({"HSET", "h", "f", "1"});
  t.run({"HGET", "h", "f"});
  EXPECT_EQ(t.run({"HDEL", "h", "f"}), integer(1) + invalidate({"h"}));
}

TEST(ClientTracking, NoloopSkipsOwnWrites) {
  EngineHarness h;
  PeerClient t(h);
  track(t, {"NOLOOP"});
  t.run({"MGET", "a", "b"});
  EXPECT_EQ(t.run({"SET", "a", "1"}), kOk);
  h.run({"SET", "b", "1"});
  EXPECT_EQ(t.take(), invalidate({"b"}));
}

TEST(ClientTracking, BcastWithPrefixes) {
  EngineHarness h;
  PeerClient t(h);
  track(t, {"BCAST", "PREFIX", "a:", "PREFIX", "b:"});
  h.run({"MSET", "a:1", "1", "a:2", "2", "c:1", "3"});
  EXPECT_EQ(t.take(), invalidate({"a:1", "a:2"}));
  h.run({"SET", "b:x", "1"});
  EXPECT_EQ(t.take(), invalidate({"b:x"}));
  EXPECT_EQ(t.run({"CLIENT", "TRACKINGINFO"}),
            "%3\r\n" + bulk("flags") + "~2\r\n" + bulk("on") + bulk("bcast") + bulk("redirect") +
                integer(0) + bulk("prefixes") + "*2\r\n" + bulk("a:") + bulk("b:"));
  EXPECT_EQ(t.run({"CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a"}),
            error("ERR Prefix 'a' overlaps with an existing prefix 'a:'. Prefixes for a single "
                  "client must not overlap."));
}

TEST(ClientTracking, BcastNoloop) {
  EngineHarness h;
  PeerClient t(h);
  track(t, {"BCAST", "NOLOOP"});
  EXPECT_EQ(t.run({"SET", "mine", "1"}), kOk);
  h.run({"SET", "theirs", "1"});
  EXPECT_EQ(t.take(), invalidate({"theirs"}));
}

TEST(ClientTracking, BcastNoloopStillHearsOfExpiryDuringOwnCommand) {
  EngineHarness h;
  PeerClient t(h);
  track(t, {"BCAST", "NOLOOP"});
  t.run({"SET", "k", "v", "PX", "10"});
  h.clock().advance_ms(20);
  EXPECT_EQ(t.run({"GET", "k"}), "_\r\n" + invalidate({"k"}));
}

TEST(ClientTracking, OptinAndOptout) {
  EngineHarness h;
  PeerClient in(h), out(h);
  track(in, {"OPTIN"});
  track(out, {"OPTOUT"});
  in.run({"GET", "x"});
  EXPECT_EQ(in.run({"CLIENT", "CACHING", "YES"}), kOk);
  in.run({"GET", "y"});
  out.run({"GET", "x"});
  EXPECT_EQ(out.run({"CLIENT", "CACHING", "NO"}), kOk);
  out.run({"GET", "y"});
  h.run({"MSET", "x", "1", "y", "1"});
  EXPECT_EQ(in.take(), invalidate({"y"}));
  EXPECT_EQ(out.take(), invalidate({"x"}));
  EXPECT_EQ(in.run({"CLIENT", "CACHING", "NO"}),
            error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."));
}

TEST(ClientTracking, RedirectToASubscribedResp2Client) {
  EngineHarness h;
  PeerClient redir(h), t(h);
  redir.run({"SUBSCRIBE", "__redis__:invalidate"});
  const std::string id = std::to_string(redir.client().id);
  EXPECT_EQ(t.run({"CLIENT", "TRACKING", "ON", "REDIRECT", id}), kOk);
  EXPECT_EQ(t.run({"CLIENT", "GETREDIR"}), integer(static_cast<long long>(redir.client().id)));
  t.run({"GET", "k"});
  h.run({"SET", "k", "1"});
  EXPECT_EQ(redir.take(), message({"k"}));
  EXPECT_EQ(t.take(), "");
}

TEST(ClientTracking, BrokenRedirect) {
  EngineHarness h;
  PeerClient t(h);
  auto redir = std::make_unique<PeerClient>(h);
  const uint64_t id = redir->client().id;
  track(t, {"REDIRECT", std::to_string(id)});
  t.run({"GET", "k"});
  redir.reset();
  h.run({"SET", "k", "1"});
  EXPECT_EQ(t.take(),
            ">2\r\n" + bulk("tracking-redir-broken") + integer(static_cast<long long>(id)));
}

TEST(ClientTracking, FlushInvalidatesEverythingWithANull) {
  EngineHarness h;
  PeerClient t(h);
  track(t);
  t.run({"GET", "k"});
  h.run({"FLUSHALL"});
  EXPECT_EQ(t.take(), ">2\r\n" + bulk("invalidate") + "_\r\n");
  h.run({"SET", "k", "1"});
  EXPECT_EQ(t.take(), "");
}

TEST(ClientTracking, TableLimitEvictsKeys) {
  EngineHarness h;
  PeerClient t(h);
  track(t);
  t.run({"MGET", "a", "b", "c"});
  h.run({"CONFIG", "SET", "tracking-table-max-keys", "1"});
  h.run({"PING"});
  std::string got = t.take();
  EXPECT_EQ(std::count(got.begin(), got.end(), '>'), 2);
  EXPECT_NE(h.run({"INFO", "stats"}).find("tracking_total_keys:1\r\n"), std::string::npos);
}

TEST(ClientTracking, Errors) {
  EngineHarness h;
  EXPECT_EQ(h.run({"CLIENT", "TRACKING", "ON", "PREFIX", "a"}),
            error("ERR PREFIX option requires BCAST mode to be enabled"));
  EXPECT_EQ(h.run({"CLIENT", "TRACKING", "ON", "BCAST", "OPTIN"}),
            error("ERR OPTIN and OPTOUT are not compatible with BCAST"));
  EXPECT_EQ(h.run({"CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT"}),
            error("ERR You can't specify both OPTIN mode and OPTOUT mode"));
  EXPECT_EQ(h.run({"CLIENT", "TRACKING", "ON", "REDIRECT", "999"}),
            error("ERR The client ID you want redirect to does not exist"));
  EXPECT_EQ(h.run({"CLIENT", "TRACKING", "ON", "REDIRECT", "x"}),
            error("ERR value is not an integer or out of range"));
  EXPECT_EQ(h.run({"CLIENT", "TRACKING", "MAYBE"}), error("ERR syntax error"));
  EXPECT_EQ(h.run({"CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "ab", "PREFIX", "a"}),
            error("ERR Prefix 'ab' overlaps with another provided prefix 'a'. Prefixes for a "
                  "single client must not overlap."));
  EXPECT_EQ(h.run({"CLIENT", "CACHING", "YES"}),
            error("ERR CLIENT CACHING can be called only when the client is in tracking mode "
                  "with OPTIN or OPTOUT mode enabled"));
  EXPECT_EQ(h.run({"CLIENT", "GETREDIR"}), integer(-1));
  EXPECT_EQ(h.run({"CLIENT", "TRACKING", "ON"}), kOk);
  EXPECT_EQ(h.run({"CLIENT", "TRACKING", "ON", "BCAST"}),
            error("ERR You can't switch BCAST mode on/off before disabling tracking for this "
                  "client, and then re-enabling it with a different mode."));
  EXPECT_EQ(h.run({"CLIENT", "GETREDIR"}), integer(0));
  EXPECT_EQ(h.run({"RESET"}), simple("RESET"));
  EXPECT_EQ(h.run({"CLIENT", "GETREDIR"}), integer(-1));
}

}  // namespace
}  // namespace kvd::test
