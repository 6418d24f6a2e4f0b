#include <gtest/gtest.h>

#include <string>

#include "support/engine_harness.hpp"

namespace kvd::test {
namespace {

using engine::Value;

// Keys are created through the Database directly so these tests do not depend
// on SET (another command family).
engine::Entry* put(EngineHarness& h, std::string_view key, int db = 0) {
  return h.engine().db(db).add(key, Value::from_string("v"));
}

engine::Entry* put_ttl(EngineHarness& h, std::string_view key, int64_t ttl_ms, int db = 0) {
  engine::Entry* e = put(h, key, db);
  h.engine().db(db).set_expire(e, h.clock().now_ms() + ttl_ms);
  return e;
}

std::string now_plus(EngineHarness& h, int64_t ms) {
  return std::to_string(h.clock().now_ms() + ms);
}

// ---------------------------------------------------------------- EXPIRE family

TEST(ExpireCommands, ExpireSetsTtlAndKeyExpiresLazily) {
  EngineHarness h;
  put(h, "x");
  EXPECT_EQ(h.run({"EXPIRE", "x", "5"}), integer(1));
  EXPECT_EQ(h.run({"TTL", "x"}), integer(5));
  EXPECT_EQ(h.run({"PTTL", "x"}), integer(5000));
  h.clock().advance_ms(4999);
  EXPECT_EQ(h.run({"EXISTS", "x"}), integer(1));
  h.clock().advance_ms(1);
  EXPECT_EQ(h.run({"EXISTS", "x"}), integer(0));
  EXPECT_EQ(h.engine().db(0).size(), 0u);
  EXPECT_EQ(h.engine().expired_keys(), 1u);
}

TEST(ExpireCommands, ExpireCanBeSetRepeatedly) {
  EngineHarness h;
  put(h, "x");
  EXPECT_EQ(h.run({"EXPIRE", "x", "5"}), integer(1));
  EXPECT_EQ(h.run({"EXPIRE", "x", "10"}), integer(1));
  EXPECT_EQ(h.run({"TTL", "x"}), integer(10));
  EXPECT_EQ(h.run({"EXPIRE", "x", "2"}), integer(1));
  EXPECT_EQ(h.run({"TTL", "x"}), integer(2));
  EXPECT_EQ(h.engine().db(0).expires(), 1u);
}

TEST(ExpireCommands, ExpireOnMissingKey) {
  EngineHarness h;
  EXPECT_EQ(h.run({"EXPIRE", "nokey", "100"}), integer(0));
  EXPECT_EQ(h.run({"PEXPIRE", "nokey", "100"}), integer(0));
  EXPECT_EQ(h.run({"EXPIREAT", "nokey", "100"}), integer(0));
  EXPECT_EQ(h.run({"EXPIRE", "nokey", "-100"}), integer(0));
  EXPECT_EQ(h.run({"EXISTS", "nokey"}), integer(0));
}

TEST(ExpireCommands, PexpireExpireatPexpireat) {
  EngineHarness h;
  put(h, "a");
  put(h, "b");
  put(h, "c");
  EXPECT_EQ(h.run({"PEXPIRE", "a", "1500"}), integer(1));
  EXPECT_EQ(h.run({"PTTL", "a"}), integer(1500));
  int64_t at_s = h.clock().now_ms() / 1000 + 100;
  EXPECT_EQ(h.run({"EXPIREAT", "b", std::to_string(at_s)}), integer(1));
  EXPECT_EQ(h.run({"EXPIRETIME", "b"}), integer(at_s));
  EXPECT_EQ(h.run({"PEXPIRETIME", "b"}), integer(at_s * 1000));
  std::string at_ms = now_plus(h, 2345);
  EXPECT_EQ(h.run({"PEXPIREAT", "c", at_ms}), integer(1));
  EXPECT_EQ(h.run({"PEXPIRETIME", "c"}), ":" + at_ms + "\r\n");
  EXPECT_EQ(h.run({"PTTL", "c"}), integer(2345));
}

TEST(ExpireCommands, PastOrZeroTimeDeletesTheKey) {
  EngineHarness h;
  for (auto k : {"a", "b", "c", "d", "e"}) put(h, k);
  EXPECT_EQ(h.run({"EXPIRE", "a", "0"}), integer(1));
  EXPECT_EQ(h.run({"EXPIRE", "b", "-10"}), integer(1));
  EXPECT_EQ(h.run({"PEXPIRE", "c", "0"}), integer(1));
  EXPECT_EQ(h.run({"EXPIREAT", "d", "1"}), integer(1));
  EXPECT_EQ(h.run({"PEXPIREAT", "e", std::to_string(h.clock().now_ms())}), integer(1));
  EXPECT_EQ(h.engine().db(0).size(), 0u);
  EXPECT_EQ(h.engine().db(0).expires(), 0u);
  // An explicit deletion, not an expiry.
  EXPECT_EQ(h.engine().expired_keys(), 0u);
}

TEST(ExpireCommands, NegativeExpiryOnVolatileKeyDeletes) {
  EngineHarness h;
  put_ttl(h, "foo", 100'000);
  EXPECT_EQ(h.run({"EXPIRE", "foo", "-10", "LT"}), integer(1));
  EXPECT_EQ(h.run({"TTL", "foo"}), integer(-2));
}

TEST(ExpireCommands, PexpireatFarFutureAndNegativeWork) {
  EngineHarness h;
  put(h, "foo");
  EXPECT_EQ(h.run({"PEXPIREAT", "foo", "9223372036854770000"}), integer(1));
  EXPECT_EQ(h.run({"PEXPIRETIME", "foo"}), integer(9223372036854770000LL));
  EXPECT_EQ(h.run({"PEXPIREAT", "foo", "-9223372036854770000"}), integer(1));
  EXPECT_EQ(h.run({"EXISTS", "foo"}), integer(0));
}

TEST(ExpireCommands, OverflowIsInvalidExpireTime) {
  EngineHarness h;
  put(h, "foo");
  for (auto v : {"9223370399119966", "9223372036854776", "10000000000000000", "-9223372036854776",
                 "-9999999999999999"}) {
    EXPECT_EQ(h.run({"EXPIRE", "foo", v}), error("ERR invalid expire time in 'expire' command"))
        << v;
  }
  EXPECT_EQ(h.run({"EXPIREAT", "foo", "9223372036854776"}),
            error("ERR invalid expire time in 'expireat' command"));
  EXPECT_EQ(h.run({"PEXPIRE", "foo", "9223372036854770000"}),
            error("ERR invalid expire time in 'pexpire' command"));
  EXPECT_EQ(h.run({"TTL", "foo"}), integer(-1));
  // 18446744073709561 does not even fit in a signed 64-bit integer.
  EXPECT_EQ(h.run({"EXPIRE", "foo", "18446744073709561000"}),
            error("ERR value is not an integer or out of range"));
}

TEST(ExpireCommands, NonIntegerTime) {
  EngineHarness h;
  put(h, "foo");
  EXPECT_EQ(h.run({"EXPIRE", "foo", ""}), error("ERR value is not an integer or out of range"));
  EXPECT_EQ(h.run({"EXPIRE", "foo", "1.5"}), error("ERR value is not an integer or out of range"));
  EXPECT_EQ(h.run({"PEXPIRE", "foo", "abc"}), error("ERR value is not an integer or out of range"));
  EXPECT_EQ(h.run({"EXPIRE", "foo"}), error("ERR wrong number of arguments for 'expire' command"));
}

// ---------------------------------------------------------------- NX XX GT LT

TEST(ExpireCommands, NxOption) {
  EngineHarness h;
  put_ttl(h, "ttl", 100'000);
  put(h, "plain");
  EXPECT_EQ(h.run({"EXPIRE", "ttl", "200", "NX"}), integer(0));
  EXPECT_EQ(h.run({"TTL", "ttl"}), integer(100));
  EXPECT_EQ(h.run({"EXPIRE", "plain", "200", "nx"}), integer(1));
  EXPECT_EQ(h.run({"TTL", "plain"}), integer(200));
}

TEST(ExpireCommands, XxOption) {
  EngineHarness h;
  put_ttl(h, "ttl", 100'000);
  put(h, "plain");
  EXPECT_EQ(h.run({"EXPIRE", "ttl", "200", "XX"}), integer(1));
  EXPECT_EQ(h.run({"TTL", "ttl"}), integer(200));
  EXPECT_EQ(h.run({"EXPIRE", "plain", "200", "XX"}), integer(0));
  EXPECT_EQ(h.run({"TTL", "plain"}), integer(-1));
}

TEST(ExpireCommands, GtOption) {
  EngineHarness h;
  put_ttl(h, "foo", 100'000);
  put(h, "plain");
  EXPECT_EQ(h.run({"EXPIRE", "foo", "200", "GT"}), integer(1));
  EXPECT_EQ(h.run({"TTL", "foo"}), integer(200));
  EXPECT_EQ(h.run({"EXPIRE", "foo", "100", "GT"}), integer(0));
  EXPECT_EQ(h.run({"EXPIRE", "foo", "200", "GT"}), integer(0));  // equal is not greater
  EXPECT_EQ(h.run({"TTL", "foo"}), integer(200));
  // No TTL counts as infinite: nothing is greater.
  EXPECT_EQ(h.run({"EXPIRE", "plain", "200", "GT"}), integer(0));
  EXPECT_EQ(h.run({"TTL", "plain"}), integer(-1));
}

TEST(ExpireCommands, LtOption) {
  EngineHarness h;
  put_ttl(h, "foo", 100'000);
  put(h, "plain");
  EXPECT_EQ(h.run({"EXPIRE", "foo", "200", "LT"}), integer(0));
  EXPECT_EQ(h.run({"TTL", "foo"}), integer(100));
  EXPECT_EQ(h.run({"EXPIRE", "foo", "50", "LT"}), integer(1));
  EXPECT_EQ(h.run({"TTL", "foo"}), integer(50));
  // No TTL counts as infinite: anything is less.
  EXPECT_EQ(h.run({"EXPIRE", "plain", "100", "LT"}), integer(1));
  EXPECT_EQ(h.run({"TTL", "plain"}), integer(100));
}

TEST(ExpireCommands, LtWithXx) {
  EngineHarness h;
  put_ttl(h, "foo", 100'000);
  put(h, "plain");
  EXPECT_EQ(h.run({"EXPIRE", "foo", "200", "XX", "LT"}), integer(0));
  EXPECT_EQ(h.run({"EXPIRE", "foo", "50", "XX", "LT"}), integer(1));
  EXPECT_EQ(h.run({"TTL", "foo"}), integer(50));
  EXPECT_EQ(h.run({"EXPIRE", "plain", "100", "XX", "LT"}), integer(0));
  EXPECT_EQ(h.run({"TTL", "plain"}), integer(-1));
}

TEST(ExpireCommands, ConflictingAndUnknownOptions) {
  EngineHarness h;
  put(h, "foo");
  const std::string nx =
      error("ERR NX and XX, GT or LT options at the same time are not compatible");
  EXPECT_EQ(h.run({"EXPIRE", "foo", "200", "NX", "XX"}), nx);
  EXPECT_EQ(h.run({"EXPIRE", "foo", "200", "NX", "GT"}), nx);
  EXPECT_EQ(h.run({"EXPIRE", "foo", "200", "NX", "LT"}), nx);
  EXPECT_EQ(h.run({"PEXPIRE", "foo", "200", "LT", "NX"}), nx);
  EXPECT_EQ(h.run({"EXPIRE", "foo", "200", "LT", "GT"}),
            error("ERR GT and LT options at the same time are not compatible"));
  EXPECT_EQ(h.run({"EXPIRE", "foo", "200", "AB"}), error("ERR Unsupported option AB"));
  EXPECT_EQ(h.run({"EXPIRE", "foo", "200", "XX", "AB"}), error("ERR Unsupported option AB"));
  // Options are checked before the time value and before the key.
  EXPECT_EQ(h.run({"EXPIRE", "nokey", "notanumber", "NX", "XX"}), nx);
  EXPECT_EQ(h.run({"TTL", "foo"}), integer(-1));
  // Repeating an option is fine.
  EXPECT_EQ(h.run({"EXPIRE", "foo", "200", "XX", "XX"}), integer(0));
  EXPECT_EQ(h.run({"EXPIRE", "foo", "200", "NX", "NX"}), integer(1));
}

// ---------------------------------------------------------------- TTL family

TEST(ExpireCommands, TtlMissingAndPersistentKeys) {
  EngineHarness h;
  put(h, "plain");
  for (auto cmd : {"TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"}) {
    EXPECT_EQ(h.run({cmd, "plain"}), integer(-1)) << cmd;
    EXPECT_EQ(h.run({cmd, "missing"}), integer(-2)) << cmd;
  }
}

TEST(ExpireCommands, TtlRoundsToNearestSecond) {
  EngineHarness h;
  put_ttl(h, "k", 10'000);
  h.clock().advance_ms(400);  // 9600 ms left
  EXPECT_EQ(h.run({"TTL", "k"}), integer(10));
  h.clock().advance_ms(200);  // 9400 ms left
  EXPECT_EQ(h.run({"TTL", "k"}), integer(9));
  EXPECT_EQ(h.run({"PTTL", "k"}), integer(9400));
  h.clock().advance_ms(9399);
  EXPECT_EQ(h.run({"TTL", "k"}), integer(0));
  EXPECT_EQ(h.run({"PTTL", "k"}), integer(1));
  h.clock().advance_ms(1);
  EXPECT_EQ(h.run({"PTTL", "k"}), integer(-2));
}

TEST(ExpireCommands, ExpiretimeIsAbsolute) {
  EngineHarness h;
  h.clock().set_ms(1'700'000'000'600);
  put(h, "k");
  EXPECT_EQ(h.run({"EXPIREAT", "k", "1800000000"}), integer(1));
  EXPECT_EQ(h.run({"EXPIRETIME", "k"}), integer(1800000000));
  EXPECT_EQ(h.run({"PEXPIRETIME", "k"}), integer(1800000000000));
  EXPECT_EQ(h.run({"PEXPIRE", "k", "1000"}), integer(1));
  EXPECT_EQ(h.run({"PEXPIRETIME", "k"}), integer(1'700'000'001'600));
  // Seconds are rounded like TTL.
  EXPECT_EQ(h.run({"EXPIRETIME", "k"}), integer(1'700'000'002));
}

// ---------------------------------------------------------------- PERSIST

TEST(ExpireCommands, Persist) {
  EngineHarness h;
  put(h, "x");
  EXPECT_EQ(h.run({"EXPIRE", "x", "100"}), integer(1));
  EXPECT_EQ(h.run({"PERSIST", "x"}), integer(1));
  EXPECT_EQ(h.run({"TTL", "x"}), integer(-1));
  EXPECT_EQ(h.engine().db(0).expires(), 0u);
  EXPECT_EQ(h.run({"PERSIST", "x"}), integer(0));
  EXPECT_EQ(h.run({"PERSIST", "nokey"}), integer(0));
  h.clock().advance_ms(200'000);
  EXPECT_EQ(h.run({"EXISTS", "x"}), integer(1));
}

TEST(ExpireCommands, PersistOnExpiredKey) {
  EngineHarness h;
  put_ttl(h, "x", 10);
  h.clock().advance_ms(10);
  EXPECT_EQ(h.run({"PERSIST", "x"}), integer(0));
  EXPECT_EQ(h.engine().db(0).size(), 0u);
}

// An expired key must not come back through EXPIRE (Redis issue #1026).
TEST(ExpireCommands, ExpireDoesNotResurrectKeys) {
  EngineHarness h;
  put_ttl(h, "foo", 1000);
  h.clock().advance_ms(1000);
  EXPECT_EQ(h.run({"EXPIRE", "foo", "100"}), integer(0));
  EXPECT_EQ(h.run({"EXISTS", "foo"}), integer(0));
}

// Database::set (SET's storage primitive) must not revive an expired key's TTL.
TEST(ExpireCommands, OverwritingAnExpiredKeyStartsFresh) {
  EngineHarness h;
  put_ttl(h, "k", 10);
  h.clock().advance_ms(10);
  h.engine().db(0).set("k", Value::from_string("new"), /*keep_ttl=*/true);
  EXPECT_EQ(h.run({"TTL", "k"}), integer(-1));
  EXPECT_EQ(h.engine().db(0).expires(), 0u);
  EXPECT_EQ(h.engine().expired_keys(), 1u);
  // A live key keeps its TTL with keep_ttl and loses it without.
  h.engine().db(0).set_expire(h.engine().db(0).find_raw("k"), h.clock().now_ms() + 5000);
  h.engine().db(0).set("k", Value::from_string("newer"), true);
  EXPECT_EQ(h.run({"PTTL", "k"}), integer(5000));
  h.engine().db(0).set("k", Value::from_string("newest"));
  EXPECT_EQ(h.run({"PTTL", "k"}), integer(-1));
}

TEST(ExpireCommands, NewValuesStartWithZeroIdleTime) {
  EngineHarness h;
  h.clock().advance_ms(123'000);
  put(h, "k");
  EXPECT_EQ(h.run({"OBJECT", "IDLETIME", "k"}), integer(0));
  h.clock().advance_ms(7'000);
  h.engine().db(0).set("k", Value::from_string("again"));
  EXPECT_EQ(h.run({"OBJECT", "IDLETIME", "k"}), integer(0));
}

// ---------------------------------------------------------------- active expiry

// With a minority of keys due, one cron pass keeps sampling while more than
// 10% of a sample is stale, so it still removes most of them.
TEST(ExpireCommands, ActiveExpiryWithMinorityDue) {
  EngineHarness h;
  for (int i = 0; i < 300; ++i) put_ttl(h, "due:" + std::to_string(i), 10);
  for (int i = 0; i < 700; ++i) put_ttl(h, "later:" + std::to_string(i), 1'000'000);
  h.clock().advance_ms(10);
  for (int i = 0; i < 5000 && h.engine().db(0).expires() > 700; ++i) h.engine().cron();
  EXPECT_EQ(h.engine().db(0).expires(), 700u);
  EXPECT_EQ(h.engine().expired_keys(), 300u);
}

TEST(ExpireCommands, ActiveExpiryRemovesExpiredKeysInCron) {
  EngineHarness h;
  for (int i = 0; i < 500; ++i) put_ttl(h, "short:" + std::to_string(i), 1000);
  for (int i = 0; i < 20; ++i) put_ttl(h, "long:" + std::to_string(i), 100'000);
  for (int i = 0; i < 20; ++i) put(h, "plain:" + std::to_string(i));
  h.engine().cron();
  EXPECT_EQ(h.engine().db(0).size(), 540u);  // nothing is due yet
  h.clock().advance_ms(1000);
  // Nothing touched the keys: only the cron can remove them.
  for (int i = 0; i < 10 && h.engine().db(0).size() > 40; ++i) h.engine().cron();
  EXPECT_EQ(h.engine().db(0).size(), 40u);
  EXPECT_EQ(h.engine().db(0).expires(), 20u);
  EXPECT_EQ(h.engine().expired_keys(), 500u);
  EXPECT_EQ(h.run({"EXISTS", "long:0", "plain:0"}), integer(2));
}

TEST(ExpireCommands, ActiveExpiryCoversEveryDatabase) {
  EngineHarness h;
  for (int db = 0; db < 3; ++db) {
    for (int i = 0; i < 100; ++i) put_ttl(h, "k" + std::to_string(i), 10, db);
  }
  h.clock().advance_ms(10);
  for (int i = 0; i < 40; ++i) h.engine().cron();
  for (int db = 0; db < 3; ++db) EXPECT_EQ(h.engine().db(db).size(), 0u) << db;
  EXPECT_EQ(h.engine().expired_keys(), 300u);
}

TEST(ExpireCommands, ActiveExpiryCanBeDisabled) {
  EngineHarness h;
  for (int i = 0; i < 100; ++i) put_ttl(h, "k" + std::to_string(i), 10);
  h.clock().advance_ms(10);
  h.engine().active_expire_enabled = false;
  h.engine().cron();
  EXPECT_EQ(h.engine().db(0).size(), 100u);
  // Lazy expiry still hides them.
  EXPECT_EQ(h.run({"EXISTS", "k1"}), integer(0));
  EXPECT_EQ(h.engine().expired_keys(), 1u);
}

TEST(ExpireCommands, ExpiredKeysStatResets) {
  EngineHarness h;
  put_ttl(h, "a", 1);
  h.clock().advance_ms(1);
  h.run({"EXISTS", "a"});
  EXPECT_EQ(h.engine().expired_keys(), 1u);
  h.engine().reset_stats();
  EXPECT_EQ(h.engine().expired_keys(), 0u);
}

TEST(ExpireCommands, CommandMetadata) {
  EngineHarness h;
  const auto* expire = h.engine().commands().find("expire");
  ASSERT_NE(expire, nullptr);
  EXPECT_EQ(expire->arity, -3);
  EXPECT_EQ(engine::acl_category_names(expire->acl_categories),
            (std::vector<std::string>{"@keyspace", "@write", "@fast"}));
  const auto* ttl = h.engine().commands().find("TTL");
  ASSERT_NE(ttl, nullptr);
  EXPECT_EQ(ttl->arity, 2);
  EXPECT_TRUE(ttl->flags & engine::kReadonly);
  EXPECT_EQ(ttl->first_key, 1);
}

// A writable replica keeps its master's expired keys until the master's DEL,
// but expires on its cron the keys its own clients gave a TTL (Redis's
// expireSlaveKeys), and a write of its own replaces an expired key.
TEST(ExpireCommands, WritableReplicaExpiresOnlyItsOwnKeys) {
  EngineHarness h;
  auto& repl = h.engine().repl();
  repl.role_replica = true;
  repl.read_only = false;       // replica-read-only no (the server layer sets it)
  repl.applying_master = true;  // as if these came down the master link
  put_ttl(h, "from-master", 10);
  put_ttl(h, "counter", 10);
  repl.applying_master = false;
  EXPECT_EQ(h.run({"SET", "own", "1", "PX", "10"}), simple("OK"));
  h.clock().advance_ms(11);
  h.engine().cron();
  EXPECT_EQ(h.engine().db(0).size(), 2u);  // "own" expired, the master's kept
  EXPECT_EQ(h.run({"GET", "from-master"}), kNil);
  EXPECT_EQ(h.engine().db(0).size(), 2u);  // a read keeps it
  EXPECT_EQ(h.run({"INCR", "counter"}), integer(1));
  EXPECT_EQ(h.run({"TTL", "counter"}), integer(-1));
  EXPECT_EQ(h.engine().db(0).size(), 2u);  // replaced, not added beside
  EXPECT_EQ(h.run({"SET", "from-master", "x"}), simple("OK"));
  EXPECT_EQ(h.engine().db(0).size(), 2u);
  EXPECT_EQ(h.run({"TTL", "from-master"}), integer(-1));
  EXPECT_EQ(h.run({"EXISTS", "from-master"}), integer(1));
  EXPECT_EQ(h.run({"GET", "from-master"}), bulk("x"));
  repl.role_replica = false;
  repl.read_only = true;
}

// A read-only replica keeps an expired key even where a command looks it up
// for write (PFCOUNT, which caches its count): only its master deletes.
TEST(ExpireCommands, ReadOnlyReplicaKeepsExpiredKeysOnWriteLookups) {
  EngineHarness h;
  ASSERT_EQ(h.run({"PFADD", "hll", "a", "b"}), integer(1));
  ASSERT_EQ(h.run({"PEXPIRE", "hll", "10"}), integer(1));
  auto& repl = h.engine().repl();
  repl.role_replica = true;
  h.clock().advance_ms(11);
  EXPECT_EQ(h.run({"PFCOUNT", "hll"}), integer(0));
  EXPECT_EQ(h.engine().db(0).size(), 1u);
  repl.role_replica = false;
  EXPECT_EQ(h.run({"PFCOUNT", "hll"}), integer(0));
  EXPECT_EQ(h.engine().db(0).size(), 0u);
}

}  // namespace
}  // namespace kvd::test
