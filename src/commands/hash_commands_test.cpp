#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "support/engine_harness.hpp"
#include "support/fake_object.hpp"

// Expected replies were checked against redis-server 7.0.15.
namespace kvd::test {
namespace {

std::string field(int i) {
  return "f" + std::to_string(i);
}

TEST(HashCommands, SetGetAndCounts) {
  EngineHarness h;
  EXPECT_EQ(h.run({"HSET", "h", "a", "1", "b", "2"}), integer(2));
  EXPECT_EQ(h.run({"HSET", "h", "a", "10", "c", "3"}), integer(1));
  EXPECT_EQ(h.run({"HGET", "h", "a"}), bulk("10"));
  EXPECT_EQ(h.run({"HGET", "h", "zz"}), kNil);
  EXPECT_EQ(h.run({"HGET", "nokey", "a"}), kNil);
  EXPECT_EQ(h.run({"HLEN", "h"}), integer(3));
  EXPECT_EQ(h.run({"HSTRLEN", "h", "a"}), integer(2));
  EXPECT_EQ(h.run({"HEXISTS", "h", "b"}), integer(1));
  EXPECT_EQ(h.run({"HEXISTS", "h", "x"}), integer(0));
  EXPECT_EQ(h.run({"HMGET", "h", "a", "x", "c"}), "*3\r\n$2\r\n10\r\n$-1\r\n$1\r\n3\r\n");
  EXPECT_EQ(h.run({"HMSET", "h", "d", "4"}), kOk);
  EXPECT_EQ(h.run({"HSETNX", "h", "d", "5"}), integer(0));
  EXPECT_EQ(h.run({"HSETNX", "h", "e", "5"}), integer(1));
  EXPECT_EQ(h.run({"TYPE", "h"}), simple("hash"));
  EXPECT_EQ(encoding_of(h, "h"), "listpack");
}

TEST(HashCommands, ArityAndWrongType) {
  EngineHarness h;
  EXPECT_EQ(h.run({"HSET", "h", "a", "1", "b"}),
            error("ERR wrong number of arguments for 'hset' command"));
  EXPECT_EQ(h.run({"HMSET", "h", "a"}), error("ERR wrong number of arguments for 'hmset' command"));
  h.run({"SET", "s", "x"});
  EXPECT_EQ(h.run({"HSET", "s", "a", "1"}), kWrongType);
  EXPECT_EQ(h.run({"HGET", "s", "a"}), kWrongType);
  EXPECT_EQ(h.run({"HGETALL", "s"}), kWrongType);
}

TEST(HashCommands, DelRemovesEmptyKey) {
  EngineHarness h;
  h.run({"HSET", "h", "a", "1", "b", "2", "c", "3"});
  EXPECT_EQ(h.run({"HDEL", "h", "x", "y"}), integer(0));
  EXPECT_EQ(h.run({"HDEL", "h", "a", "c", "f"}), integer(2));
  EXPECT_EQ(h.run({"HGETALL", "h"}), "*2\r\n$1\r\nb\r\n$1\r\n2\r\n");
  EXPECT_EQ(h.run({"HDEL", "h", "b", "z"}), integer(1));
  EXPECT_EQ(h.run({"EXISTS", "h"}), integer(0));
}

TEST(HashCommands, GetAllKeysValsAndResp3Map) {
  EngineHarness h;
  h.run({"HSET", "h", "a", "1", "b", "2"});
  EXPECT_EQ(h.run({"HKEYS", "h"}), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  EXPECT_EQ(h.run({"HVALS", "h"}), "*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
  EXPECT_EQ(h.run({"HGETALL", "missing"}), "*0\r\n");
  h.client().resp = 3;
  EXPECT_EQ(h.run({"HGETALL", "h"}), "%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");
}

TEST(HashCommands, ConvertsPastEntryLimit) {
  EngineHarness h;
  // hash-max-listpack-entries: 512 by default, as redis-server's built-in value.
  for (int i = 0; i < 512; ++i) h.run({"HSET", "h", field(i), "v"});
  EXPECT_EQ(encoding_of(h, "h"), "listpack");
  h.run({"HSET", "h", "one-more", "v"});
  EXPECT_EQ(encoding_of(h, "h"), "hashtable");
  EXPECT_EQ(h.run({"HLEN", "h"}), integer(513));
  for (int i = 0; i < 512; ++i) ASSERT_EQ(h.run({"HGET", "h", field(i)}), bulk("v"));
}

TEST(HashCommands, ConvertsPastValueLimitAndAliases) {
  EngineHarness h;
  h.run({"HSET", "h", "a", std::string(64, 'x')});
  EXPECT_EQ(encoding_of(h, "h"), "listpack");
  h.run({"HSET", "h", "b", std::string(65, 'x')});
  EXPECT_EQ(encoding_of(h, "h"), "hashtable");
  EXPECT_EQ(h.run({"CONFIG", "SET", "hash-max-ziplist-value", "8"}), kOk);
  EXPECT_EQ(h.run({"CONFIG", "GET", "hash-max-listpack-value"}),
            "*2\r\n$23\r\nhash-max-listpack-value\r\n$1\r\n8\r\n");
  h.run({"HINCRBYFLOAT", "small", "tmp", "0.000005"});
  h.run({"HINCRBYFLOAT", "big", "tmp", "0.0000005"});
  EXPECT_EQ(encoding_of(h, "small"), "listpack");
  EXPECT_EQ(encoding_of(h, "big"), "hashtable");
  h.run({"CONFIG", "SET", "hash-max-listpack-entries", "2"});
  h.run({"HSET", "three", "a", "1", "b", "2", "c", "3"});
  EXPECT_EQ(encoding_of(h, "three"), "hashtable");
}

TEST(HashCommands, BigHashSurvivesChurn) {
  EngineHarness h;
  for (int i = 0; i < 5000; ++i) h.run({"HSET", "h", field(i), std::to_string(i)});
  for (int i = 0; i < 5000; i += 2) ASSERT_EQ(h.run({"HDEL", "h", field(i)}), integer(1));
  EXPECT_EQ(h.run({"HLEN", "h"}), integer(2500));
  for (int i = 1; i < 5000; i += 2)
    ASSERT_EQ(h.run({"HGET", "h", field(i)}), bulk(std::to_string(i)));
  EXPECT_EQ(h.run({"HGET", "h", field(0)}), kNil);
}

TEST(HashCommands, Incr) {
  EngineHarness h;
  EXPECT_EQ(h.run({"HINCRBY", "h", "n", "5"}), integer(5));
  EXPECT_EQ(h.run({"HINCRBY", "h", "n", "-7"}), integer(-2));
  h.run({"HSET", "h", "s", " 11"});
  EXPECT_EQ(h.run({"HINCRBY", "h", "s", "1"}), error("ERR hash value is not an integer"));
  EXPECT_EQ(h.run({"HINCRBY", "h", "n", "x"}), kNotInt);
  h.run({"HSET", "h", "big", "-9223372036854775484"});
  EXPECT_EQ(h.run({"HINCRBY", "h", "big", "-10000"}),
            error("ERR increment or decrement would overflow"));
  EXPECT_EQ(h.run({"HINCRBYFLOAT", "f", "x", "1.23"}), bulk("1.23"));
  EXPECT_EQ(h.run({"HINCRBYFLOAT", "f", "x", "0.77"}), bulk("2"));
  EXPECT_EQ(h.run({"HINCRBYFLOAT", "f", "s", "abc"}), error("ERR value is not a valid float"));
  EXPECT_EQ(h.run({"HINCRBYFLOAT", "nf", "x", "+inf"}), error("ERR value is NaN or Infinity"));
  EXPECT_EQ(h.run({"EXISTS", "nf"}), integer(0));
  h.run({"HSET", "f", "nul",
         std::string("1\0"
                     "2",
                     3)});
  EXPECT_EQ(h.run({"HINCRBYFLOAT", "f", "nul", "1"}), error("ERR hash value is not a float"));
}

TEST(HashCommands, RandField) {
  EngineHarness h;
  EXPECT_EQ(h.run({"HRANDFIELD", "nokey"}), kNil);
  EXPECT_EQ(h.run({"HRANDFIELD", "nokey", "5"}), "*0\r\n");
  h.run({"HSET", "h", "a", "1", "b", "2", "c", "3"});
  EXPECT_EQ(h.run({"HRANDFIELD", "h", "0"}), "*0\r\n");
  std::string all = h.run({"HRANDFIELD", "h", "10"});
  EXPECT_EQ(all.substr(0, 4), "*3\r\n");
  EXPECT_EQ(h.run({"HRANDFIELD", "h", "-5"}).substr(0, 4), "*5\r\n");
  EXPECT_EQ(h.run({"HRANDFIELD", "h", "-5", "WITHVALUES"}).substr(0, 5), "*10\r\n");
  EXPECT_EQ(h.run({"HRANDFIELD", "h", "2", "WITHVALUES"}).substr(0, 4), "*4\r\n");
  EXPECT_EQ(h.run({"HRANDFIELD", "h", "1", "x"}), kSyntaxErr);
  EXPECT_EQ(h.run({"HRANDFIELD", "h", "-9223372036854775808"}),
            error("ERR value is out of range, value must between -9223372036854775807 and "
                  "9223372036854775807"));
  EXPECT_EQ(h.run({"HRANDFIELD", "h", "-9223372036854770000", "withvalues"}),
            error("ERR value is out of range"));
  h.client().resp = 3;
  EXPECT_EQ(h.run({"HRANDFIELD", "h", "-1", "WITHVALUES"}).substr(0, 8), "*1\r\n*2\r\n");
}

TEST(HashCommands, RandFieldDistinctSamples) {
  EngineHarness h;
  for (int i = 0; i < 300; ++i) h.run({"HSET", "h", field(i), "v"});
  std::string r = h.run({"HRANDFIELD", "h", "20"});
  EXPECT_EQ(r.substr(0, 5), "*20\r\n");
  // Every returned field is distinct.
  std::vector<std::string> seen;
  size_t pos = 5;
  while (pos < r.size()) {
    size_t nl = r.find("\r\n", pos);
    size_t len = std::stoul(r.substr(pos + 1, nl - pos - 1));
    std::string f = r.substr(nl + 2, len);
    for (const auto& s : seen) EXPECT_NE(s, f);
    seen.push_back(f);
    pos = nl + 2 + len + 2;
  }
  EXPECT_EQ(seen.size(), 20u);
}

TEST(HashCommands, ScanSmallAndBig) {
  EngineHarness h;
  h.run({"HSET", "h", "a", "1", "b", "2"});
  EXPECT_EQ(h.run({"HSCAN", "h", "0"}),
            "*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");
  EXPECT_EQ(h.run({"HSCAN", "h", "0", "MATCH", "b*"}),
            "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n");
  EXPECT_EQ(h.run({"HSCAN", "h", "x"}), error("ERR invalid cursor"));
  EXPECT_EQ(h.run({"HSCAN", "h", "0", "COUNT", "0"}), kSyntaxErr);
  EXPECT_EQ(h.run({"HSCAN", "nokey", "0"}), "*2\r\n$1\r\n0\r\n*0\r\n");
  for (int i = 0; i < 1000; ++i) h.run({"HSET", "big", field(i), "v"});
  std::set<std::string> got;
  std::string cursor = "0";
  int calls = 0;
  do {
    std::string r = h.run({"HSCAN", "big", cursor, "COUNT", "50"});
    ++calls;
    size_t nl = r.find("\r\n", 4);
    size_t clen_end = r.find("\r\n", nl + 2);
    cursor = r.substr(nl + 2, clen_end - nl - 2);
    size_t pos = r.find("\r\n", clen_end + 2) + 2;
    bool is_field = true;
    while (pos < r.size()) {
      size_t e = r.find("\r\n", pos);
      size_t len = std::stoul(r.substr(pos + 1, e - pos - 1));
      if (is_field) got.insert(r.substr(e + 2, len));
      is_field = !is_field;
      pos = e + 2 + len + 2;
    }
  } while (cursor != "0" && calls < 10000);
  EXPECT_EQ(got.size(), 1000u);
  EXPECT_GT(calls, 1);
}

TEST(HashCommands, CopyDuplicatesBothEncodings) {
  EngineHarness h;
  h.run({"HSET", "small", "a", "1"});
  for (int i = 0; i < 600; ++i) h.run({"HSET", "big", field(i), "v"});
  EXPECT_EQ(h.run({"COPY", "small", "small2"}), integer(1));
  EXPECT_EQ(h.run({"COPY", "big", "big2"}), integer(1));
  h.run({"HSET", "small", "a", "changed"});
  EXPECT_EQ(h.run({"HGET", "small2", "a"}), bulk("1"));
  EXPECT_EQ(encoding_of(h, "big2"), "hashtable");
  EXPECT_EQ(h.run({"HLEN", "big2"}), integer(600));
}

}  // namespace
}  // namespace kvd::test
