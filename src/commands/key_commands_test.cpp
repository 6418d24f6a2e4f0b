#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "support/engine_harness.hpp"

namespace kvd::test {
namespace {

using engine::Value;

// Keys are created through the Database directly so these tests do not depend
// on SET (another command family).
engine::Entry* put(EngineHarness& h, std::string_view key, std::string_view val = "v", int db = 0) {
  return h.engine().db(db).add(key, Value::from_string(val));
}

engine::Entry* put_ttl(EngineHarness& h, std::string_view key, int64_t ttl_ms, int db = 0) {
  engine::Entry* e = put(h, key, "v", db);
  h.engine().db(db).set_expire(e, h.clock().now_ms() + ttl_ms);
  return e;
}

std::string array(const std::vector<std::string>& items) {
  std::string r = "*" + std::to_string(items.size()) + "\r\n";
  for (const auto& i : items) r += i;
  return r;
}

// Reads one RESP bulk string at `pos` (advancing it).
std::string read_bulk(const std::string& r, size_t* pos) {
  EXPECT_EQ(r[*pos], '$');
  size_t eol = r.find("\r\n", *pos);
  size_t len = std::stoul(r.substr(*pos + 1, eol - *pos - 1));
  std::string s = r.substr(eol + 2, len);
  *pos = eol + 2 + len + 2;
  return s;
}

size_t read_len(const std::string& r, size_t* pos) {
  EXPECT_EQ(r[*pos], '*');
  size_t eol = r.find("\r\n", *pos);
  size_t n = std::stoul(r.substr(*pos + 1, eol - *pos - 1));
  *pos = eol + 2;
  return n;
}

// A flat array of bulk strings, sorted (KEYS order is unspecified).
std::vector<std::string> sorted_bulks(const std::string& r) {
  size_t pos = 0;
  size_t n = read_len(r, &pos);
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) out.push_back(read_bulk(r, &pos));
  std::sort(out.begin(), out.end());
  return out;
}

struct ScanReply {
  std::string cursor;
  std::vector<std::string> keys;
};

ScanReply parse_scan(const std::string& r) {
  size_t pos = 0;
  EXPECT_EQ(read_len(r, &pos), 2u);
  ScanReply s;
  s.cursor = read_bulk(r, &pos);
  size_t n = read_len(r, &pos);
  for (size_t i = 0; i < n; ++i) s.keys.push_back(read_bulk(r, &pos));
  return s;
}

// Runs SCAN to completion with the extra arguments, returning every key seen.
std::set<std::string> scan_all(EngineHarness& h, std::vector<std::string> extra = {}) {
  std::set<std::string> seen;
  std::string cursor = "0";
  int guard = 0;
  do {
    std::vector<std::string> args{"SCAN", cursor};
    args.insert(args.end(), extra.begin(), extra.end());
    ScanReply r = parse_scan(h.run(args));
    seen.insert(r.keys.begin(), r.keys.end());
    cursor = r.cursor;
  } while (cursor != "0" && ++guard < 100000);
  return seen;
}

// ---------------------------------------------------------------- DEL UNLINK

TEST(KeyCommands, DelCountsDeletedKeys) {
  EngineHarness h;
  put(h, "a");
  put(h, "b");
  EXPECT_EQ(h.run({"DEL", "a", "b", "c", "a"}), integer(2));
  EXPECT_EQ(h.engine().db(0).size(), 0u);
  EXPECT_EQ(h.run({"DEL", "a"}), integer(0));
  EXPECT_EQ(h.run({"DEL"}), error("ERR wrong number of arguments for 'del' command"));
}

TEST(KeyCommands, DelDoesNotCountExpiredKeys) {
  EngineHarness h;
  put_ttl(h, "gone", 100);
  h.clock().advance_ms(100);
  EXPECT_EQ(h.run({"DEL", "gone"}), integer(0));
  EXPECT_EQ(h.engine().db(0).size(), 0u);
  EXPECT_EQ(h.engine().expired_keys(), 1u);
}

TEST(KeyCommands, UnlinkDeletes) {
  EngineHarness h;
  put(h, "a");
  put(h, "b", std::string(1000, 'x'));
  EXPECT_EQ(h.run({"UNLINK", "a", "b", "nope"}), integer(2));
  EXPECT_EQ(h.engine().db(0).size(), 0u);
  h.engine().freer().drain();
}

TEST(KeyCommands, DelHonoursLazyfreeLazyUserDel) {
  EngineHarness h;
  h.config().v().lazyfree_lazy_user_del = true;
  put(h, "a");
  EXPECT_EQ(h.run({"DEL", "a"}), integer(1));
  EXPECT_EQ(h.engine().db(0).size(), 0u);
}

// ------------------------------------------------------- EXISTS TYPE TOUCH

TEST(KeyCommands, ExistsCountsRepeats) {
  EngineHarness h;
  put(h, "a");
  EXPECT_EQ(h.run({"EXISTS", "a"}), integer(1));
  EXPECT_EQ(h.run({"EXISTS", "a", "a", "b"}), integer(2));
  EXPECT_EQ(h.run({"EXISTS", "b"}), integer(0));
  EXPECT_EQ(h.engine().stats().keyspace_hits, 3u);
  EXPECT_EQ(h.engine().stats().keyspace_misses, 2u);
}

TEST(KeyCommands, ExistsSeesEmptyKeyAndNotExpired) {
  EngineHarness h;
  put(h, "");
  put_ttl(h, "t", 10);
  EXPECT_EQ(h.run({"EXISTS", ""}), integer(1));
  EXPECT_EQ(h.run({"EXISTS", "t"}), integer(1));
  h.clock().advance_ms(10);
  EXPECT_EQ(h.run({"EXISTS", "t"}), integer(0));
}

TEST(KeyCommands, Type) {
  EngineHarness h;
  put(h, "s", "hello");
  put(h, "i", "42");
  EXPECT_EQ(h.run({"TYPE", "s"}), simple("string"));
  EXPECT_EQ(h.run({"TYPE", "i"}), simple("string"));
  EXPECT_EQ(h.run({"TYPE", "missing"}), simple("none"));
  EXPECT_EQ(h.run({"TYPE"}), error("ERR wrong number of arguments for 'type' command"));
}

TEST(KeyCommands, TouchCountsAndRefreshesAccessTime) {
  EngineHarness h;
  put(h, "a");
  h.clock().advance_ms(10'000);
  EXPECT_EQ(h.run({"OBJECT", "IDLETIME", "a"}), integer(10));
  EXPECT_EQ(h.run({"TOUCH", "a", "b", "a"}), integer(2));
  EXPECT_EQ(h.run({"OBJECT", "IDLETIME", "a"}), integer(0));
}

// ---------------------------------------------------------------- KEYS

TEST(KeyCommands, KeysWithPattern) {
  EngineHarness h;
  for (auto k : {"key_x", "key_y", "key_z", "foo_a", "foo_b", "foo_c"}) put(h, k);
  EXPECT_EQ(sorted_bulks(h.run({"KEYS", "foo*"})),
            (std::vector<std::string>{"foo_a", "foo_b", "foo_c"}));
  EXPECT_EQ(sorted_bulks(h.run({"KEYS", "*_[xy]"})), (std::vector<std::string>{"key_x", "key_y"}));
  EXPECT_EQ(sorted_bulks(h.run({"KEYS", "*"})).size(), 6u);
  EXPECT_EQ(h.run({"KEYS", "nomatch*"}), "*0\r\n");
}

TEST(KeyCommands, KeysStarIncludesEmptyKey) {
  EngineHarness h;
  put(h, "");
  put(h, "a");
  EXPECT_EQ(sorted_bulks(h.run({"KEYS", "*"})), (std::vector<std::string>{"", "a"}));
  // Only the literal "*" is special: other patterns never match the empty key.
  EXPECT_EQ(sorted_bulks(h.run({"KEYS", "**"})), (std::vector<std::string>{"a"}));
}

TEST(KeyCommands, KeysSkipsExpiredWithoutDeleting) {
  EngineHarness h;
  put(h, "live");
  put_ttl(h, "dead", 5);
  h.clock().advance_ms(5);
  EXPECT_EQ(h.run({"KEYS", "*"}), array({bulk("live")}));
  EXPECT_EQ(h.engine().db(0).size(), 2u);
}

// ---------------------------------------------------------------- SCAN

TEST(KeyCommands, ScanReturnsEverything) {
  EngineHarness h;
  for (int i = 0; i < 1000; ++i) put(h, "key:" + std::to_string(i));
  auto seen = scan_all(h);
  EXPECT_EQ(seen.size(), 1000u);
  auto seen_big_count = scan_all(h, {"COUNT", "100"});
  EXPECT_EQ(seen_big_count.size(), 1000u);
}

TEST(KeyCommands, ScanReplyShape) {
  EngineHarness h;
  put(h, "only");
  EXPECT_EQ(h.run({"SCAN", "0"}), array({bulk("0"), array({bulk("only")})}));
  EXPECT_EQ(h.run({"SCAN", "0", "MATCH", "x*"}), array({bulk("0"), array({})}));
}

TEST(KeyCommands, ScanCountIsAHint) {
  EngineHarness h;
  for (int i = 0; i < 1000; ++i) put(h, "key:" + std::to_string(i));
  ScanReply r = parse_scan(h.run({"SCAN", "0", "COUNT", "5"}));
  EXPECT_NE(r.cursor, "0");
  EXPECT_GE(r.keys.size(), 5u);
  EXPECT_LT(r.keys.size(), 50u);
}

TEST(KeyCommands, ScanMatch) {
  EngineHarness h;
  for (int i = 0; i < 100; ++i) put(h, "a:" + std::to_string(i));
  for (int i = 0; i < 100; ++i) put(h, "b:" + std::to_string(i));
  auto seen = scan_all(h, {"MATCH", "a:*", "COUNT", "17"});
  EXPECT_EQ(seen.size(), 100u);
  for (const auto& k : seen) EXPECT_EQ(k.substr(0, 2), "a:");
  EXPECT_EQ(scan_all(h, {"match", "*"}).size(), 200u);
}

TEST(KeyCommands, ScanType) {
  EngineHarness h;
  for (int i = 0; i < 20; ++i) put(h, "s:" + std::to_string(i));
  EXPECT_EQ(scan_all(h, {"TYPE", "string"}).size(), 20u);
  EXPECT_EQ(scan_all(h, {"TYPE", "STRING"}).size(), 20u);
  EXPECT_EQ(scan_all(h, {"TYPE", "list"}).size(), 0u);
}

TEST(KeyCommands, ScanSkipsAndDeletesExpired) {
  EngineHarness h;
  for (int i = 0; i < 50; ++i) put(h, "live:" + std::to_string(i));
  for (int i = 0; i < 50; ++i) put_ttl(h, "dead:" + std::to_string(i), 10);
  h.clock().advance_ms(10);
  auto seen = scan_all(h);
  EXPECT_EQ(seen.size(), 50u);
  for (const auto& k : seen) EXPECT_EQ(k.substr(0, 5), "live:");
  EXPECT_EQ(h.engine().db(0).size(), 50u);
  EXPECT_EQ(h.engine().expired_keys(), 50u);
}

TEST(KeyCommands, ScanSurvivesGrowthBetweenCalls) {
  EngineHarness h;
  for (int i = 0; i < 300; ++i) put(h, "old:" + std::to_string(i));
  std::set<std::string> seen;
  std::string cursor = "0";
  int added = 0;
  do {
    ScanReply r = parse_scan(h.run({"SCAN", cursor, "COUNT", "7"}));
    seen.insert(r.keys.begin(), r.keys.end());
    cursor = r.cursor;
    for (int i = 0; i < 40; ++i) put(h, "new:" + std::to_string(added++));
  } while (cursor != "0");
  for (int i = 0; i < 300; ++i) EXPECT_TRUE(seen.count("old:" + std::to_string(i))) << i;
}

TEST(KeyCommands, ScanErrors) {
  EngineHarness h;
  put(h, "a");
  EXPECT_EQ(h.run({"SCAN", "abc"}), error("ERR invalid cursor"));
  EXPECT_EQ(h.run({"SCAN", " 1"}), error("ERR invalid cursor"));
  EXPECT_EQ(h.run({"SCAN", "1x"}), error("ERR invalid cursor"));
  EXPECT_EQ(h.run({"SCAN", "99999999999999999999999"}), error("ERR invalid cursor"));
  EXPECT_EQ(h.run({"SCAN", "0", "COUNT", "0"}), error("ERR syntax error"));
  EXPECT_EQ(h.run({"SCAN", "0", "COUNT", "-1"}), error("ERR syntax error"));
  EXPECT_EQ(h.run({"SCAN", "0", "COUNT", "x"}),
            error("ERR value is not an integer or out of range"));
  EXPECT_EQ(h.run({"SCAN", "0", "MATCH"}), error("ERR syntax error"));
  EXPECT_EQ(h.run({"SCAN", "0", "FOO", "bar"}), error("ERR syntax error"));
  EXPECT_EQ(h.run({"SCAN"}), error("ERR wrong number of arguments for 'scan' command"));
}

// Redis parses the cursor with strtoul: an empty cursor is 0 and a sign is taken.
TEST(KeyCommands, ScanCursorParsingQuirks) {
  EngineHarness h;
  put(h, "a");
  EXPECT_EQ(h.run({"SCAN", ""}), array({bulk("0"), array({bulk("a")})}));
  EXPECT_EQ(parse_scan(h.run({"SCAN", "+0"})).keys.size(), 1u);
  EXPECT_EQ(parse_scan(h.run({"SCAN", "-1"})).cursor, "0");
}

// ---------------------------------------------------------------- RANDOMKEY

TEST(KeyCommands, RandomKey) {
  EngineHarness h;
  EXPECT_EQ(h.run({"RANDOMKEY"}), kNil);
  put(h, "a");
  put(h, "b");
  std::set<std::string> got;
  for (int i = 0; i < 200; ++i) got.insert(h.run({"RANDOMKEY"}));
  EXPECT_EQ(got, (std::set<std::string>{bulk("a"), bulk("b")}));
}

TEST(KeyCommands, RandomKeySkipsAndDeletesExpired) {
  EngineHarness h;
  for (int i = 0; i < 20; ++i) put_ttl(h, "dead:" + std::to_string(i), 1);
  put(h, "live");
  h.clock().advance_ms(1);
  EXPECT_EQ(h.run({"RANDOMKEY"}), bulk("live"));
  for (int i = 0; i < 50; ++i) EXPECT_EQ(h.run({"RANDOMKEY"}), bulk("live"));
  h.engine().db(0).remove("live");
  EXPECT_EQ(h.run({"RANDOMKEY"}), kNil);
  EXPECT_EQ(h.engine().db(0).size(), 0u);
  EXPECT_EQ(h.engine().expired_keys(), 20u);
}

// ------------------------------------------------------- RENAME RENAMENX

TEST(KeyCommands, RenameBasic) {
  EngineHarness h;
  put(h, "mykey", "hello");
  EXPECT_EQ(h.run({"RENAME", "mykey", "mykey1"}), kOk);
  EXPECT_EQ(h.run({"EXISTS", "mykey"}), integer(0));
  EXPECT_EQ(h.run({"OBJECT", "ENCODING", "mykey1"}), bulk("embstr"));
  EXPECT_EQ(h.run({"RENAME", "mykey1", "mykey2"}), kOk);
  char scratch[24];
  engine::Entry* e = h.engine().db(0).find_raw("mykey2");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->value.str(scratch), "hello");
}

TEST(KeyCommands, RenameOverwritesTarget) {
  EngineHarness h;
  put(h, "src", "foo");
  put(h, "dst", "bar");
  EXPECT_EQ(h.run({"RENAME", "src", "dst"}), kOk);
  char scratch[24];
  EXPECT_EQ(h.engine().db(0).find_raw("dst")->value.str(scratch), "foo");
  EXPECT_EQ(h.engine().db(0).size(), 1u);
}

TEST(KeyCommands, RenameErrorsAndSameKey) {
  EngineHarness h;
  EXPECT_EQ(h.run({"RENAME", "nokey", "dst"}), error("ERR no such key"));
  EXPECT_EQ(h.run({"RENAME", "nokey", "nokey"}), error("ERR no such key"));
  EXPECT_EQ(h.run({"RENAMENX", "nokey", "dst"}), error("ERR no such key"));
  put(h, "k");
  EXPECT_EQ(h.run({"RENAME", "k", "k"}), kOk);
  EXPECT_EQ(h.run({"RENAMENX", "k", "k"}), integer(0));
  EXPECT_EQ(h.run({"EXISTS", "k"}), integer(1));
  EXPECT_EQ(h.run({"RENAME", "k"}), error("ERR wrong number of arguments for 'rename' command"));
}

TEST(KeyCommands, RenameMovesTtlAndDropsTargetTtl) {
  EngineHarness h;
  put_ttl(h, "vol", 100'000);
  EXPECT_EQ(h.run({"RENAME", "vol", "vol2"}), kOk);
  EXPECT_EQ(h.run({"PTTL", "vol2"}), integer(100'000));
  EXPECT_EQ(h.engine().db(0).expires(), 1u);

  put(h, "plain");
  put_ttl(h, "target", 100'000);
  EXPECT_EQ(h.run({"RENAME", "plain", "target"}), kOk);
  EXPECT_EQ(h.run({"TTL", "target"}), integer(-1));
  EXPECT_EQ(h.engine().db(0).expires(), 1u);  // only vol2
}

TEST(KeyCommands, RenameOfExpiredSourceIsNoSuchKey) {
  EngineHarness h;
  put_ttl(h, "t", 5);
  h.clock().advance_ms(5);
  EXPECT_EQ(h.run({"RENAME", "t", "u"}), error("ERR no such key"));
}

TEST(KeyCommands, Renamenx) {
  EngineHarness h;
  put(h, "a", "1");
  put(h, "b", "2");
  EXPECT_EQ(h.run({"RENAMENX", "a", "b"}), integer(0));
  EXPECT_EQ(h.run({"EXISTS", "a", "b"}), integer(2));
  EXPECT_EQ(h.run({"RENAMENX", "a", "c"}), integer(1));
  EXPECT_EQ(h.run({"EXISTS", "a"}), integer(0));
  EXPECT_EQ(h.run({"EXISTS", "c"}), integer(1));
}

// ---------------------------------------------------------------- MOVE

TEST(KeyCommands, MoveBasic) {
  EngineHarness h;
  put(h, "mykey", "foobar");
  EXPECT_EQ(h.run({"MOVE", "mykey", "9"}), integer(1));
  EXPECT_EQ(h.run({"EXISTS", "mykey"}), integer(0));
  EXPECT_NE(h.engine().db(9).find_raw("mykey"), nullptr);
  EXPECT_EQ(h.run({"MOVE", "mykey", "9"}), integer(0));
}

TEST(KeyCommands, MoveAgainstExistingTargetKey) {
  EngineHarness h;
  put(h, "k", "src");
  put(h, "k", "dst", 9);
  EXPECT_EQ(h.run({"MOVE", "k", "9"}), integer(0));
  EXPECT_EQ(h.engine().db(0).size(), 1u);
}

TEST(KeyCommands, MoveCarriesTtl) {
  EngineHarness h;
  put_ttl(h, "t", 100'000);
  put(h, "p");
  EXPECT_EQ(h.run({"MOVE", "t", "9"}), integer(1));
  EXPECT_EQ(h.run({"MOVE", "p", "9"}), integer(1));
  EXPECT_EQ(h.engine().db(0).expires(), 0u);
  EXPECT_EQ(h.engine().db(9).expires(), 1u);
  engine::Database& db9 = h.engine().db(9);
  EXPECT_EQ(db9.expire_of(db9.find_raw("t")), h.clock().now_ms() + 100'000);
  EXPECT_EQ(db9.expire_of(db9.find_raw("p")), engine::kNoExpire);
}

TEST(KeyCommands, MoveErrors) {
  EngineHarness h;
  put(h, "k");
  EXPECT_EQ(h.run({"MOVE", "k", "0"}), error("ERR source and destination objects are the same"));
  EXPECT_EQ(h.run({"MOVE", "k", "notanumber"}),
            error("ERR value is not an integer or out of range"));
  EXPECT_EQ(h.run({"MOVE", "k", "4294967296"}),
            error("ERR value is not an integer or out of range"));
  EXPECT_EQ(h.run({"MOVE", "k", "16"}), error("ERR DB index is out of range"));
  EXPECT_EQ(h.run({"MOVE", "k", "-1"}), error("ERR DB index is out of range"));
  // The index is validated before the key is looked at.
  EXPECT_EQ(h.run({"MOVE", "missing", "99"}), error("ERR DB index is out of range"));
  EXPECT_EQ(h.run({"MOVE", "missing", "1"}), integer(0));
}

// ---------------------------------------------------------------- COPY

TEST(KeyCommands, CopyString) {
  EngineHarness h;
  put(h, "mykey", "foobar");
  EXPECT_EQ(h.run({"COPY", "mykey", "mynewkey"}), integer(1));
  char scratch[24];
  EXPECT_EQ(h.engine().db(0).find_raw("mynewkey")->value.str(scratch), "foobar");
  EXPECT_EQ(h.run({"COPY", "mykey", "mynewkey", "DB", "9"}), integer(1));
  EXPECT_EQ(h.engine().db(9).find_raw("mynewkey")->value.str(scratch), "foobar");
  EXPECT_EQ(h.run({"COPY", "missing", "x"}), integer(0));
}

TEST(KeyCommands, CopyReplace) {
  EngineHarness h;
  put(h, "a", "one");
  put(h, "b", "two");
  EXPECT_EQ(h.run({"COPY", "a", "b"}), integer(0));
  char scratch[24];
  EXPECT_EQ(h.engine().db(0).find_raw("b")->value.str(scratch), "two");
  EXPECT_EQ(h.run({"COPY", "a", "b", "REPLACE"}), integer(1));
  EXPECT_EQ(h.engine().db(0).find_raw("b")->value.str(scratch), "one");
}

TEST(KeyCommands, CopyIsIndependentAndKeepsEncoding) {
  EngineHarness h;
  put(h, "int", "12345");
  put(h, "long", std::string(100, 'z'));
  engine::Entry* raw = h.engine().db(0).add("raw", Value::raw_string("abc"));
  (void)raw;
  for (auto k : {"int", "long", "raw"}) {
    std::string dst = std::string(k) + "_copy";
    EXPECT_EQ(h.run({"COPY", k, dst}), integer(1));
    EXPECT_EQ(h.run({"OBJECT", "ENCODING", dst}), h.run({"OBJECT", "ENCODING", k}));
  }
  // Changing the source must not change the copy.
  h.engine().db(0).find_raw("raw")->value.append("def");
  char scratch[24];
  EXPECT_EQ(h.engine().db(0).find_raw("raw_copy")->value.str(scratch), "abc");
  EXPECT_EQ(h.engine().db(0).find_raw("long_copy")->value.str(scratch), std::string(100, 'z'));
}

TEST(KeyCommands, CopyCarriesTtlOnlyWhenSet) {
  EngineHarness h;
  put_ttl(h, "vol", 50'000);
  put(h, "plain");
  put_ttl(h, "target", 50'000);
  EXPECT_EQ(h.run({"COPY", "vol", "vol2"}), integer(1));
  EXPECT_EQ(h.run({"PTTL", "vol2"}), integer(50'000));
  EXPECT_EQ(h.run({"COPY", "plain", "target", "REPLACE"}), integer(1));
  EXPECT_EQ(h.run({"TTL", "target"}), integer(-1));
}

TEST(KeyCommands, CopyErrors) {
  EngineHarness h;
  put(h, "k");
  EXPECT_EQ(h.run({"COPY", "k", "k"}), error("ERR source and destination objects are the same"));
  EXPECT_EQ(h.run({"COPY", "k", "k", "DB", "0"}),
            error("ERR source and destination objects are the same"));
  EXPECT_EQ(h.run({"COPY", "k", "k", "DB", "1"}), integer(1));
  EXPECT_EQ(h.run({"COPY", "k", "x", "DB", "notanumber"}),
            error("ERR value is not an integer or out of range"));
  EXPECT_EQ(h.run({"COPY", "k", "x", "DB", "16"}), error("ERR DB index is out of range"));
  EXPECT_EQ(h.run({"COPY", "k", "x", "DB"}), error("ERR syntax error"));
  EXPECT_EQ(h.run({"COPY", "k", "x", "BOGUS"}), error("ERR syntax error"));
  EXPECT_EQ(h.run({"COPY", "k"}), error("ERR wrong number of arguments for 'copy' command"));
}

// ---------------------------------------------------------------- OBJECT

TEST(KeyCommands, ObjectEncoding) {
  EngineHarness h;
  put(h, "int", "12345");
  put(h, "short", "hello");
  put(h, "long", std::string(45, 'x'));
  EXPECT_EQ(h.run({"OBJECT", "ENCODING", "int"}), bulk("int"));
  EXPECT_EQ(h.run({"OBJECT", "ENCODING", "short"}), bulk("embstr"));
  EXPECT_EQ(h.run({"OBJECT", "ENCODING", "long"}), bulk("raw"));
  EXPECT_EQ(h.run({"object", "encoding", "missing"}), kNil);
}

TEST(KeyCommands, ObjectMissingKeyIsNullInResp3) {
  EngineHarness h;
  h.client().resp = 3;
  EXPECT_EQ(h.run({"OBJECT", "ENCODING", "missing"}), "_\r\n");
}

TEST(KeyCommands, ObjectRefcountIsOne) {
  EngineHarness h;
  put(h, "a", "100");
  EXPECT_EQ(h.run({"OBJECT", "REFCOUNT", "a"}), integer(1));
  EXPECT_EQ(h.run({"OBJECT", "REFCOUNT", "missing"}), kNil);
}

TEST(KeyCommands, ObjectIdletime) {
  EngineHarness h;
  put(h, "a");
  EXPECT_EQ(h.run({"OBJECT", "IDLETIME", "a"}), integer(0));
  h.clock().advance_ms(3'500);
  EXPECT_EQ(h.run({"OBJECT", "IDLETIME", "a"}), integer(3));
  // Lookups that do not touch: OBJECT itself, EXISTS, TYPE, TTL.
  h.run({"EXISTS", "a"});
  h.run({"TYPE", "a"});
  h.run({"TTL", "a"});
  EXPECT_EQ(h.run({"OBJECT", "IDLETIME", "a"}), integer(3));
  // A read access (COPY reads its source) does touch.
  h.run({"COPY", "a", "b"});
  EXPECT_EQ(h.run({"OBJECT", "IDLETIME", "a"}), integer(0));
}

TEST(KeyCommands, ObjectFreqNeedsLfuPolicy) {
  EngineHarness h;
  put(h, "a");
  EXPECT_EQ(h.run({"OBJECT", "FREQ", "a"}),
            error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
                  "Please note that when switching between policies at runtime LRU and LFU data "
                  "will take some time to adjust."));
  EXPECT_EQ(h.run({"OBJECT", "FREQ", "missing"}), kNil);
  EXPECT_EQ(h.run({"CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"}), kOk);
  // A key made under LFU starts at 5, as in Redis (older keys' stamps are
  // read as counters and take a while to adjust).
  put(h, "b");
  EXPECT_EQ(h.run({"OBJECT", "FREQ", "b"}), integer(5));
  EXPECT_EQ(h.run({"OBJECT", "IDLETIME", "a"}),
            error("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note "
                  "that when switching between policies at runtime LRU and LFU data will take "
                  "some time to adjust."));
}

TEST(KeyCommands, ObjectHelpAndErrors) {
  EngineHarness h;
  std::vector<std::string> lines;
  for (const char* l :
       {"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.", "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.", "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.", "HELP", "    Prints this help."}) {
    lines.push_back(simple(l));
  }
  EXPECT_EQ(h.run({"OBJECT", "HELP"}), array(lines));
  EXPECT_EQ(h.run({"object", "help"}).substr(0, 12), "*15\r\n+OBJECT");
  EXPECT_EQ(h.run({"OBJECT", "foo", "bar"}),
            error("ERR unknown subcommand 'foo'. Try OBJECT HELP."));
  EXPECT_EQ(h.run({"OBJECT"}), error("ERR wrong number of arguments for 'object' command"));
  EXPECT_EQ(h.run({"OBJECT", "ENCODING"}),
            error("ERR wrong number of arguments for 'object|encoding' command"));
  EXPECT_EQ(h.run({"OBJECT", "HELP", "x"}),
            error("ERR wrong number of arguments for 'object|help' command"));
}

// ---------------------------------------------------------------- metadata

TEST(KeyCommands, KeyPositions) {
  EngineHarness h;
  const auto& t = h.engine().commands();
  auto keys = [&](std::vector<std::string_view> args) {
    const engine::CommandSpec* spec = t.find(args[0]);
    if (!spec->subcommands.empty()) spec = t.find_sub(*spec, args[1]);
    return t.key_positions(*spec, engine::Args(args.data(), args.size()));
  };
  EXPECT_EQ(keys({"del", "a", "b", "c"}), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(keys({"rename", "a", "b"}), (std::vector<int>{1, 2}));
  EXPECT_EQ(keys({"copy", "a", "b", "db", "1", "replace"}), (std::vector<int>{1, 2}));
  EXPECT_EQ(keys({"move", "a", "1"}), (std::vector<int>{1}));
  EXPECT_EQ(keys({"object", "encoding", "k"}), (std::vector<int>{2}));
  EXPECT_TRUE(keys({"keys", "*"}).empty());
  EXPECT_TRUE(keys({"scan", "0"}).empty());
}

}  // namespace
}  // namespace kvd::test
