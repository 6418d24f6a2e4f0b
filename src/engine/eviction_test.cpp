#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "support/engine_harness.hpp"
#include "support/peer_client.hpp"

// maxmemory policies through the engine. Memory is measured by a fake gauge,
// 100 bytes a key, so each test knows exactly how many keys fit.
namespace kvd::test {
namespace {

constexpr size_t kBytesPerKey = 100;
const std::string kOom = error("OOM command not allowed when used memory > 'maxmemory'.");

class KeyCountGauge final : public engine::MemoryGauge {
 public:
  explicit KeyCountGauge(engine::Engine& e) : engine_(e) {}
  size_t used() override {
    size_t keys = 0;
    for (int i = 0; i < engine_.db_count(); ++i) keys += engine_.db(i).size();
    return keys * kBytesPerKey;
  }
  void refresh() override {}
  bool sees_frees() const override { return true; }

 private:
  engine::Engine& engine_;
};

// A harness whose memory is its key count, with room for `keys` keys.
class EvictionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h.engine().set_memory_gauge(std::make_unique<KeyCountGauge>(h.engine()));
    // Sample everything: the approximations become exact, so tests can name
    // the key that goes.
    ASSERT_EQ(h.run({"CONFIG", "SET", "maxmemory-samples", "64"}), kOk);
  }
  void limit(const std::string& policy, size_t keys) {
    ASSERT_EQ(h.run({"CONFIG", "SET", "maxmemory-policy", policy}), kOk);
    ASSERT_EQ(h.run({"CONFIG", "SET", "maxmemory", std::to_string(keys * kBytesPerKey)}), kOk);
  }
  // Sets k0..k{n-1}, one second apart, so their access times differ.
  void fill(int n, const char* ex = nullptr) {
    for (int i = 0; i < n; ++i) {
      std::string k = "k" + std::to_string(i);
      if (ex) {
        ASSERT_EQ(h.run({"SET", k, "v", "EX", ex}), kOk);
      } else {
        ASSERT_EQ(h.run({"SET", k, "v"}), kOk);
      }
      h.clock().advance_ms(1000);
    }
  }
  bool exists(const std::string& key) { return h.run({"EXISTS", key}) == integer(1); }

  EngineHarness h;
};

TEST_F(EvictionTest, NoevictionRefusesWritesButServesReads) {
  limit("noeviction", 3);
  fill(4);  // the 4th SET ran at exactly the limit, which is allowed
  EXPECT_EQ(h.run({"SET", "more", "v"}), kOom);
  EXPECT_EQ(h.run({"GET", "k0"}), bulk("v"));
  EXPECT_EQ(h.run({"DEL", "k0"}), integer(1));  // DEL may run: it frees
  EXPECT_EQ(h.run({"SET", "more", "v"}), kOk);
  EXPECT_EQ(h.run({"DBSIZE"}), integer(4));
}

TEST_F(EvictionTest, AllkeysLruEvictsTheLeastRecentlyUsed) {
  limit("allkeys-lru", 10);
  fill(10);
  EXPECT_EQ(h.run({"GET", "k0"}), bulk("v"));  // k0 is now the most recent
  h.clock().advance_ms(1000);
  EXPECT_EQ(h.run({"SET", "k10", "v"}), kOk);
  EXPECT_EQ(h.run({"DBSIZE"}), integer(10));  // evicted before DBSIZE ran
  EXPECT_TRUE(exists("k0"));
  EXPECT_FALSE(exists("k1"));
  EXPECT_TRUE(exists("k2"));
  EXPECT_TRUE(exists("k10"));
  EXPECT_NE(h.run({"INFO", "stats"}).find("evicted_keys:1\r\n"), std::string::npos);
}

TEST_F(EvictionTest, NoTouchReadsDoNotRefreshTheAccessTime) {
  limit("allkeys-lru", 3);
  fill(3);
  EXPECT_EQ(h.run({"CLIENT", "NO-TOUCH", "on"}), kOk);
  EXPECT_EQ(h.run({"GET", "k0"}), bulk("v"));
  EXPECT_EQ(h.run({"CLIENT", "NO-TOUCH", "off"}), kOk);
  EXPECT_EQ(h.run({"SET", "k3", "v"}), kOk);
  EXPECT_EQ(h.run({"PING"}), simple("PONG"));
  EXPECT_FALSE(exists("k0"));
  EXPECT_TRUE(exists("k1"));
}

TEST_F(EvictionTest, VolatilePoliciesOnlyEvictKeysWithATtl) {
  for (const char* policy : {"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"}) {
    SCOPED_TRACE(policy);
    ASSERT_EQ(h.run({"FLUSHALL"}), kOk);
    ASSERT_EQ(h.run({"CONFIG", "SET", "maxmemory", "0"}), kOk);
    for (int i = 0; i < 5; ++i) {
      ASSERT_EQ(h.run({"SET", "plain" + std::to_string(i), "v"}), kOk);
      ASSERT_EQ(h.run({"SET", "ttl" + std::to_string(i), "v", "EX", "1000"}), kOk);
    }
    limit(policy, 4);  // CONFIG SET maxmemory evicts at once
    // Every key with a TTL went, and then there was nothing more to evict.
    EXPECT_EQ(h.run({"DBSIZE"}), integer(5));
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(exists("plain" + std::to_string(i)));
    EXPECT_EQ(h.run({"SET", "more", "v"}), kOom);
  }
}

TEST_F(EvictionTest, VolatileTtlEvictsTheKeyThatExpiresFirst) {
  limit("volatile-ttl", 3);
  ASSERT_EQ(h.run({"SET", "late", "v", "EX", "300"}), kOk);
  ASSERT_EQ(h.run({"SET", "soon", "v", "EX", "100"}), kOk);
  ASSERT_EQ(h.run({"SET", "middle", "v", "EX", "200"}), kOk);
  ASSERT_EQ(h.run({"SET", "forever", "v"}), kOk);
  EXPECT_EQ(h.run({"DBSIZE"}), integer(3));
  EXPECT_FALSE(exists("soon"));
  EXPECT_TRUE(exists("middle"));
  EXPECT_TRUE(exists("late"));
  EXPECT_TRUE(exists("forever"));
}

TEST_F(EvictionTest, AllkeysRandomKeepsTheLimitAcrossDatabases) {
  limit("allkeys-random", 10);
  for (int i = 0; i < 40; ++i) {
    ASSERT_EQ(h.run({"SELECT", std::to_string(i % 3)}), kOk);
    ASSERT_EQ(h.run({"SET", "r" + std::to_string(i), "v"}), kOk);
  }
  EXPECT_EQ(h.run({"PING"}), simple("PONG"));
  size_t keys = 0;
  for (int db = 0; db < 3; ++db) keys += h.engine().db(db).size();
  EXPECT_EQ(keys, 10u);
}

TEST_F(EvictionTest, EvictionIsAnEventAndBreaksWatch) {
  PeerClient sub(h);
  ASSERT_EQ(h.run({"CONFIG", "SET", "notify-keyspace-events", "Ee"}), kOk);
  sub.run({"PSUBSCRIBE", "*"});
  ASSERT_EQ(h.run({"SET", "foo", "bar"}), kOk);
  ASSERT_EQ(h.run({"WATCH", "foo"}), kOk);
  ASSERT_EQ(h.run({"CONFIG", "SET", "maxmemory-policy", "allkeys-lru"}), kOk);
  ASSERT_EQ(h.run({"CONFIG", "SET", "maxmemory", "1"}), kOk);
  EXPECT_EQ(sub.take(),
            arr({bulk("pmessage"), bulk("*"), bulk("__keyevent@0__:evicted"), bulk("foo")}));
  ASSERT_EQ(h.run({"CONFIG", "SET", "maxmemory", "0"}), kOk);
  ASSERT_EQ(h.run({"MULTI"}), kOk);
  ASSERT_EQ(h.run({"SET", "foo", "again"}), simple("QUEUED"));
  EXPECT_EQ(h.run({"EXEC"}), "*-1\r\n");
}

TEST_F(EvictionTest, LfuCountsAccessesAndDecaysWithTime) {
  ASSERT_EQ(h.run({"CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"}), kOk);
  ASSERT_EQ(h.run({"SET", "hot", "v"}), kOk);
  EXPECT_EQ(h.run({"OBJECT", "FREQ", "hot"}), integer(5));  // new keys start at 5
  for (int i = 0; i < 2000; ++i) h.run({"GET", "hot"});
  std::string reply = h.run({"OBJECT", "FREQ", "hot"});
  long long freq = std::stoll(reply.substr(1));
  // Logarithmic: 2000 hits at factor 10 land far below 2000, far above 5.
  EXPECT_GT(freq, 10);
  EXPECT_LT(freq, 60);
  // One point lost per lfu-decay-time minute without access.
  h.clock().advance_ms(3 * 60 * 1000);
  EXPECT_EQ(h.run({"OBJECT", "FREQ", "hot"}), integer(freq - 3));
  ASSERT_EQ(h.run({"CONFIG", "SET", "lfu-decay-time", "0"}), kOk);
  h.clock().advance_ms(60 * 60 * 1000);
  EXPECT_EQ(h.run({"OBJECT", "FREQ", "hot"}), integer(freq));  // 0: no decay
  EXPECT_EQ(h.run({"OBJECT", "IDLETIME", "hot"}).substr(0, 22), "-ERR An LFU maxmemory ");
}

TEST_F(EvictionTest, OverwritesKeepTheLfuCounter) {
  ASSERT_EQ(h.run({"CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"}), kOk);
  ASSERT_EQ(h.run({"SET", "k", "v"}), kOk);
  for (int i = 0; i < 300; ++i) ASSERT_EQ(h.run({"SET", "k", "v" + std::to_string(i)}), kOk);
  std::string freq = h.run({"OBJECT", "FREQ", "k"});
  EXPECT_GT(std::stoll(freq.substr(1)), 5) << freq;
}

TEST_F(EvictionTest, QueueingInMultiIsRefusedOverTheLimit) {
  limit("noeviction", 1);
  fill(2);
  ASSERT_EQ(h.run({"MULTI"}), kOk);
  EXPECT_EQ(h.run({"GET", "k0"}), kOom);  // even a read: the queue itself grows
  EXPECT_EQ(h.run({"EXEC"}), error("EXECABORT Transaction discarded because of previous errors."));
  ASSERT_EQ(h.run({"MULTI"}), kOk);
  EXPECT_EQ(h.run({"DISCARD"}), kOk);
}

TEST_F(EvictionTest, OneConfigSetAppliesThePolicyBeforeEvicting) {
  ASSERT_EQ(h.run({"CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"}), kOk);
  ASSERT_EQ(h.run({"SET", "hot", "v"}), kOk);
  for (int i = 0; i < 200; ++i) h.run({"GET", "hot"});
  for (int i = 0; i < 10; ++i) ASSERT_EQ(h.run({"SET", "cold" + std::to_string(i), "v"}), kOk);
  // The limit and a change of policy in one command: eviction runs after both.
  ASSERT_EQ(h.run({"CONFIG", "SET", "maxmemory", std::to_string(5 * kBytesPerKey),
                   "maxmemory-policy", "volatile-lfu"}),
            kOk);
  EXPECT_EQ(h.run({"DBSIZE"}), integer(11));  // no key has a TTL: nothing may go
  ASSERT_EQ(h.run({"CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"}), kOk);
  EXPECT_EQ(h.run({"DBSIZE"}), integer(5));
  EXPECT_TRUE(exists("hot"));
}

TEST_F(EvictionTest, AllkeysLfuKeepsTheHotKey) {
  limit("allkeys-lfu", 5);
  ASSERT_EQ(h.run({"SET", "hot", "v"}), kOk);
  for (int i = 0; i < 200; ++i) h.run({"GET", "hot"});
  for (int i = 0; i < 20; ++i) ASSERT_EQ(h.run({"SET", "cold" + std::to_string(i), "v"}), kOk);
  EXPECT_TRUE(exists("hot"));
  EXPECT_EQ(h.run({"DBSIZE"}), integer(5));
}

TEST_F(EvictionTest, RestoreFreqAndIdletimeFollowThePolicy) {
  ASSERT_EQ(h.run({"SET", "src", "v"}), kOk);
  std::string dump = h.run({"DUMP", "src"});
  size_t body = dump.find("\r\n") + 2;
  std::string payload = dump.substr(body, dump.size() - body - 2);
  ASSERT_EQ(h.run({"CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"}), kOk);
  ASSERT_EQ(h.run({"RESTORE", "f", "0", payload, "FREQ", "42"}), kOk);
  EXPECT_EQ(h.run({"OBJECT", "FREQ", "f"}), integer(42));
  ASSERT_EQ(h.run({"CONFIG", "SET", "maxmemory-policy", "allkeys-lru"}), kOk);
  ASSERT_EQ(h.run({"RESTORE", "i", "0", payload, "IDLETIME", "500"}), kOk);
  EXPECT_EQ(h.run({"OBJECT", "IDLETIME", "i"}), integer(500));
}

TEST_F(EvictionTest, ExceededTimeIsReported) {
  limit("noeviction", 1);
  fill(2);
  EXPECT_EQ(h.run({"PING"}), simple("PONG"));  // memory is found over the limit here
  h.clock().advance_ms(1250);
  EXPECT_EQ(h.run({"SET", "x", "v"}), kOom);
  std::string info = h.run({"INFO", "stats"});
  EXPECT_NE(info.find("current_eviction_exceeded_time:1250\r\n"), std::string::npos) << info;
  ASSERT_EQ(h.run({"FLUSHALL"}), kOk);
  std::string after = h.run({"INFO", "stats"});
  EXPECT_NE(after.find("current_eviction_exceeded_time:0\r\n"), std::string::npos) << after;
  EXPECT_NE(after.find("total_eviction_exceeded_time:1250\r\n"), std::string::npos) << after;
  // RESETSTAT zeroes the total, and a stretch over the limit restarts.
  fill(2);
  EXPECT_EQ(h.run({"PING"}), simple("PONG"));
  h.clock().advance_ms(700);
  ASSERT_EQ(h.run({"CONFIG", "RESETSTAT"}), kOk);
  h.clock().advance_ms(300);
  std::string reset = h.run({"INFO", "stats"});
  EXPECT_NE(reset.find("total_eviction_exceeded_time:300\r\n"), std::string::npos) << reset;
  EXPECT_NE(reset.find("current_eviction_exceeded_time:300\r\n"), std::string::npos) << reset;
}

TEST_F(EvictionTest, LatencyMonitorSamplesEvictions) {
  limit("allkeys-random", 3);
  fill(3);
  ASSERT_EQ(h.run({"CONFIG", "SET", "latency-monitor-threshold", "2"}), kOk);
  // Each timed step of the evictor now takes 3 ms.
  h.clock().set_monotonic_step_us(3000);
  EXPECT_EQ(h.run({"SET", "more", "v"}), kOk);  // at the limit: allowed
  EXPECT_EQ(h.run({"DBSIZE"}), integer(3));     // over it: one key evicted first
  h.clock().set_monotonic_step_us(0);
  const std::string latest = h.run({"LATENCY", "LATEST"});
  EXPECT_NE(latest.find(bulk("eviction-del")), std::string::npos) << latest;
  EXPECT_NE(latest.find(bulk("eviction-cycle")), std::string::npos) << latest;
  EXPECT_EQ(h.run({"LATENCY", "HISTORY", "eviction-del"}).substr(0, 4), "*1\r\n");
}

}  // namespace
}  // namespace kvd::test
