#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "support/engine_harness.hpp"
#include "support/fake_object.hpp"

// Expected replies were checked against redis-server 7.0.15.
namespace kvd::test {
namespace {

// The bulk strings of a flat array / set reply, sorted.
std::vector<std::string> members(const std::string& r) {
  std::vector<std::string> out;
  size_t pos = r.find("\r\n") + 2;
  while (pos < r.size()) {
    size_t e = r.find("\r\n", pos);
    size_t len = std::stoul(r.substr(pos + 1, e - pos - 1));
    out.push_back(r.substr(e + 2, len));
    pos = e + 2 + len + 2;
  }
  std::sort(out.begin(), out.end());
  return out;
}

using V = std::vector<std::string>;

TEST(SetCommands, Basics) {
  EngineHarness h;
  EXPECT_EQ(h.run({"SADD", "s", "foo"}), integer(1));
  EXPECT_EQ(encoding_of(h, "s"), "hashtable");
  EXPECT_EQ(h.run({"SADD", "s", "bar", "bar"}), integer(1));
  EXPECT_EQ(h.run({"SCARD", "s"}), integer(2));
  EXPECT_EQ(h.run({"SISMEMBER", "s", "foo"}), integer(1));
  EXPECT_EQ(h.run({"SISMEMBER", "s", "x"}), integer(0));
  EXPECT_EQ(h.run({"SMISMEMBER", "s", "x", "foo"}), "*2\r\n:0\r\n:1\r\n");
  EXPECT_EQ(members(h.run({"SMEMBERS", "s"})), (V{"bar", "foo"}));
  EXPECT_EQ(h.run({"TYPE", "s"}), simple("set"));
  EXPECT_EQ(h.run({"SMEMBERS", "none"}), "*0\r\n");
  h.client().resp = 3;
  EXPECT_EQ(h.run({"SMEMBERS", "none"}), "~0\r\n");
}

TEST(SetCommands, IntsetEncodingAndConversions) {
  EngineHarness h;
  h.run({"SADD", "s", "17", "16"});
  EXPECT_EQ(encoding_of(h, "s"), "intset");
  EXPECT_EQ(h.run({"SMEMBERS", "s"}), "*2\r\n$2\r\n16\r\n$2\r\n17\r\n");
  h.run({"SADD", "s", "a"});
  EXPECT_EQ(encoding_of(h, "s"), "hashtable");
  h.run({"SADD", "big", "213244124402402314402033402"});
  EXPECT_EQ(encoding_of(h, "big"), "hashtable");
  // Widths grow: int8 -> int16 -> int32 -> int64, members stay sorted.
  h.run({"SADD", "w", "1", "-300", "70000", "-5000000000", "9223372036854775807"});
  EXPECT_EQ(encoding_of(h, "w"), "intset");
  EXPECT_EQ(h.run({"SMEMBERS", "w"}),
            "*5\r\n$11\r\n-5000000000\r\n$4\r\n-300\r\n$1\r\n1\r\n$5\r\n70000\r\n$19\r\n"
            "9223372036854775807\r\n");
  EXPECT_EQ(h.run({"SREM", "w", "-300", "01"}), integer(1));
  EXPECT_EQ(h.run({"SISMEMBER", "w", "70000"}), integer(1));
  for (int i = 0; i < 512; ++i) h.run({"SADD", "n", std::to_string(i)});
  EXPECT_EQ(encoding_of(h, "n"), "intset");
  h.run({"SADD", "n", "512"});
  EXPECT_EQ(encoding_of(h, "n"), "hashtable");
  EXPECT_EQ(h.run({"SCARD", "n"}), integer(513));
}

TEST(SetCommands, RemDeletesEmptyKeyAndWrongType) {
  EngineHarness h;
  h.run({"SADD", "s", "1", "2", "3"});
  EXPECT_EQ(h.run({"SREM", "s", "1", "2", "3", "4", "5"}), integer(3));
  EXPECT_EQ(h.run({"EXISTS", "s"}), integer(0));
  h.run({"SET", "str", "x"});
  EXPECT_EQ(h.run({"SADD", "str", "a"}), kWrongType);
  EXPECT_EQ(h.run({"SMISMEMBER", "str", "a"}), kWrongType);
}

TEST(SetCommands, PopAndRandMember) {
  EngineHarness h;
  h.run({"SADD", "s", "a", "b", "c"});
  std::set<std::string> popped;
  for (int i = 0; i < 3; ++i) popped.insert(members("*1\r\n" + h.run({"SPOP", "s"}))[0]);
  EXPECT_EQ(popped, (std::set<std::string>{"a", "b", "c"}));
  EXPECT_EQ(h.run({"EXISTS", "s"}), integer(0));
  EXPECT_EQ(h.run({"SPOP", "s"}), kNil);
  EXPECT_EQ(h.run({"SPOP", "s", "3"}), "*0\r\n");
  EXPECT_EQ(h.run({"SPOP", "s", "-1"}), error("ERR value is out of range, must be positive"));
  V all;
  for (int i = 1; i <= 20; ++i) all.push_back(std::to_string(i));
  std::vector<std::string> args{"SADD", "n"};
  args.insert(args.end(), all.begin(), all.end());
  h.run(args);
  V got = members(h.run({"SPOP", "n", "5"}));
  EXPECT_EQ(got.size(), 5u);
  EXPECT_EQ(h.run({"SCARD", "n"}), integer(15));
  V rest = members(h.run({"SPOP", "n", "100"}));
  EXPECT_EQ(rest.size(), 15u);
  got.insert(got.end(), rest.begin(), rest.end());
  std::sort(got.begin(), got.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(got, all);
  EXPECT_EQ(h.run({"EXISTS", "n"}), integer(0));

  h.run({"SADD", "r", "a", "b", "c", "d", "e"});
  EXPECT_EQ(h.run({"SRANDMEMBER", "r", "0"}), "*0\r\n");
  EXPECT_EQ(h.run({"SRANDMEMBER", "missing", "5"}), "*0\r\n");
  EXPECT_EQ(members(h.run({"SRANDMEMBER", "r", "10"})), (V{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(members(h.run({"SRANDMEMBER", "r", "-100"})).size(), 100u);
  V three = members(h.run({"SRANDMEMBER", "r", "3"}));
  EXPECT_EQ(std::set<std::string>(three.begin(), three.end()).size(), 3u);
  EXPECT_EQ(h.run({"SRANDMEMBER", "r", "-9223372036854775808"}),
            error("ERR value is out of range, value must between -9223372036854775807 and "
                  "9223372036854775807"));
}

TEST(SetCommands, Move) {
  EngineHarness h;
  h.run({"SADD", "src", "1", "a", "b"});
  h.run({"SADD", "dst", "2", "3"});
  EXPECT_EQ(h.run({"SMOVE", "src", "dst", "a"}), integer(1));
  EXPECT_EQ(encoding_of(h, "dst"), "hashtable");
  h.run({"DEL", "dst"});
  h.run({"SADD", "dst", "2", "3"});
  EXPECT_EQ(h.run({"SMOVE", "src", "dst", "1"}), integer(1));
  EXPECT_EQ(encoding_of(h, "dst"), "intset");
  EXPECT_EQ(h.run({"SMOVE", "src", "dst", "nope"}), integer(0));
  EXPECT_EQ(h.run({"SMOVE", "nokey", "dst", "x"}), integer(0));
  EXPECT_EQ(h.run({"SMOVE", "src", "new", "b"}), integer(1));
  EXPECT_EQ(h.run({"EXISTS", "src"}), integer(0));
  h.run({"SET", "str", "x"});
  EXPECT_EQ(h.run({"SMOVE", "dst", "str", "2"}), kWrongType);
  EXPECT_EQ(h.run({"SMOVE", "dst", "dst", "2"}), integer(1));
}

TEST(SetCommands, Algebra) {
  EngineHarness h;
  h.run({"SADD", "a", "1", "2", "3", "4"});
  h.run({"SADD", "b", "3", "4", "5"});
  h.run({"SADD", "c", "4", "x"});
  EXPECT_EQ(members(h.run({"SINTER", "a", "b"})), (V{"3", "4"}));
  EXPECT_EQ(members(h.run({"SINTER", "a", "b", "c"})), (V{"4"}));
  EXPECT_EQ(h.run({"SINTER", "a", "missing"}), "*0\r\n");
  EXPECT_EQ(members(h.run({"SUNION", "a", "b", "missing"})), (V{"1", "2", "3", "4", "5"}));
  EXPECT_EQ(members(h.run({"SDIFF", "a", "b", "c"})), (V{"1", "2"}));
  EXPECT_EQ(h.run({"SDIFF", "a", "a"}), "*0\r\n");
  EXPECT_EQ(h.run({"SINTERSTORE", "d", "a", "b"}), integer(2));
  EXPECT_EQ(encoding_of(h, "d"), "intset");
  EXPECT_EQ(h.run({"SUNIONSTORE", "d", "a", "c"}), integer(5));
  EXPECT_EQ(encoding_of(h, "d"), "hashtable");
  EXPECT_EQ(h.run({"SDIFFSTORE", "d", "a", "b"}), integer(2));
  EXPECT_EQ(members(h.run({"SMEMBERS", "d"})), (V{"1", "2"}));
  EXPECT_EQ(h.run({"SINTERSTORE", "d", "a", "missing"}), integer(0));
  EXPECT_EQ(h.run({"EXISTS", "d"}), integer(0));
  h.run({"SET", "str", "x"});
  EXPECT_EQ(h.run({"SINTER", "missing", "str"}), kWrongType);
  EXPECT_EQ(h.run({"SUNIONSTORE", "d", "a", "str"}), kWrongType);
  h.client().resp = 3;
  EXPECT_EQ(h.run({"SINTER", "a", "missing"}), "~0\r\n");
}

TEST(SetCommands, InterCard) {
  EngineHarness h;
  h.run({"SADD", "a", "1", "2", "3", "4"});
  h.run({"SADD", "b", "2", "3", "4", "5"});
  EXPECT_EQ(h.run({"SINTERCARD", "2", "a", "b"}), integer(3));
  EXPECT_EQ(h.run({"SINTERCARD", "2", "a", "b", "LIMIT", "2"}), integer(2));
  EXPECT_EQ(h.run({"SINTERCARD", "2", "a", "b", "LIMIT", "0"}), integer(3));
  EXPECT_EQ(h.run({"SINTERCARD", "0", "a"}), error("ERR numkeys should be greater than 0"));
  EXPECT_EQ(h.run({"SINTERCARD", "3", "a", "b"}),
            error("ERR Number of keys can't be greater than number of args"));
  EXPECT_EQ(h.run({"SINTERCARD", "1", "a", "b"}), kSyntaxErr);
  EXPECT_EQ(h.run({"SINTERCARD", "1", "a", "LIMIT", "-1"}), error("ERR LIMIT can't be negative"));
  EXPECT_EQ(h.run({"COMMAND", "GETKEYS", "SINTERCARD", "2", "a", "b", "LIMIT", "1"}),
            "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
}

TEST(SetCommands, ScanTableCoversAllMembers) {
  EngineHarness h;
  for (int i = 0; i < 700; ++i) h.run({"SADD", "s", "m" + std::to_string(i)});
  std::set<std::string> got;
  std::string cursor = "0";
  int calls = 0;
  do {
    std::string r = h.run({"SSCAN", "s", cursor, "COUNT", "20"});
    ++calls;
    size_t nl = r.find("\r\n", 4);
    size_t end = r.find("\r\n", nl + 2);
    cursor = r.substr(nl + 2, end - nl - 2);
    for (const auto& m : members(r.substr(end + 2))) got.insert(m);
  } while (cursor != "0" && calls < 10000);
  EXPECT_EQ(got.size(), 700u);
  h.run({"SADD", "i", "1", "2"});
  EXPECT_EQ(h.run({"SSCAN", "i", "0", "MATCH", "2"}), "*2\r\n$1\r\n0\r\n*1\r\n$1\r\n2\r\n");
}

TEST(SetCommands, CopyDuplicates) {
  EngineHarness h;
  h.run({"SADD", "i", "1", "2"});
  h.run({"SADD", "t", "a", "b"});
  EXPECT_EQ(h.run({"COPY", "i", "i2"}), integer(1));
  EXPECT_EQ(h.run({"COPY", "t", "t2"}), integer(1));
  h.run({"SADD", "i", "3"});
  EXPECT_EQ(h.run({"SCARD", "i2"}), integer(2));
  EXPECT_EQ(encoding_of(h, "i2"), "intset");
  EXPECT_EQ(members(h.run({"SMEMBERS", "t2"})), (V{"a", "b"}));
}

}  // namespace
}  // namespace kvd::test
