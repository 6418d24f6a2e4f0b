#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kvd/engine/types/list.hpp"
#include "support/engine_harness.hpp"
#include "support/fake_object.hpp"

// Expected replies were checked against redis-server 7.0.15.
namespace kvd::test {
namespace {

std::string bulks(std::initializer_list<std::string_view> items) {
  std::string r = "*" + std::to_string(items.size()) + "\r\n";
  for (auto i : items) r += bulk(i);
  return r;
}
const std::string kEmptyArray = "*0\r\n";
const std::string kNullArray = "*-1\r\n";

TEST(ListCommands, PushPopAndLength) {
  EngineHarness h;
  EXPECT_EQ(h.run({"LPUSH", "l", "a", "b"}), integer(2));
  EXPECT_EQ(h.run({"RPUSH", "l", "c"}), integer(3));
  EXPECT_EQ(h.run({"LRANGE", "l", "0", "-1"}), bulks({"b", "a", "c"}));
  EXPECT_EQ(h.run({"LLEN", "l"}), integer(3));
  EXPECT_EQ(h.run({"LPOP", "l"}), bulk("b"));
  EXPECT_EQ(h.run({"RPOP", "l"}), bulk("c"));
  EXPECT_EQ(h.run({"RPOP", "l"}), bulk("a"));
  EXPECT_EQ(h.run({"EXISTS", "l"}), integer(0));  // emptied lists are deleted
  EXPECT_EQ(h.run({"LPOP", "l"}), kNil);
  EXPECT_EQ(h.run({"LLEN", "l"}), integer(0));
}

TEST(ListCommands, PushxOnlyOnExisting) {
  EngineHarness h;
  EXPECT_EQ(h.run({"LPUSHX", "l", "a"}), integer(0));
  EXPECT_EQ(h.run({"RPUSHX", "l", "a"}), integer(0));
  EXPECT_EQ(h.run({"EXISTS", "l"}), integer(0));
  h.run({"RPUSH", "l", "x"});
  EXPECT_EQ(h.run({"LPUSHX", "l", "a", "b"}), integer(3));
  EXPECT_EQ(h.run({"RPUSHX", "l", "z"}), integer(4));
  EXPECT_EQ(h.run({"LRANGE", "l", "0", "-1"}), bulks({"b", "a", "x", "z"}));
}

TEST(ListCommands, PopWithCount) {
  EngineHarness h;
  h.run({"RPUSH", "l", "a", "b", "c", "d"});
  EXPECT_EQ(h.run({"LPOP", "l", "0"}), kEmptyArray);
  EXPECT_EQ(h.run({"LPOP", "l", "-1"}), error("ERR value is out of range, must be positive"));
  EXPECT_EQ(h.run({"LPOP", "l", "x"}), kNotInt);
  EXPECT_EQ(h.run({"LPOP", "l", "1", "2"}),
            error("ERR wrong number of arguments for 'lpop' command"));
  EXPECT_EQ(h.run({"LPOP", "l", "2"}), bulks({"a", "b"}));
  EXPECT_EQ(h.run({"RPOP", "l", "5"}), bulks({"d", "c"}));
  EXPECT_EQ(h.run({"RPOP", "l", "5"}), kNullArray);
  EXPECT_EQ(h.run({"LPOP", "missing", "0"}), kNullArray);
}

TEST(ListCommands, WrongType) {
  EngineHarness h;
  h.run({"SET", "s", "v"});
  for (auto args : std::vector<std::vector<std::string_view>>{{"LPUSH", "s", "a"},
                                                              {"RPOP", "s"},
                                                              {"LLEN", "s"},
                                                              {"LRANGE", "s", "0", "1"},
                                                              {"LINDEX", "s", "0"},
                                                              {"LPOS", "s", "a"},
                                                              {"LMOVE", "s", "d", "LEFT", "LEFT"},
                                                              {"BLPOP", "s", "0"}}) {
    EXPECT_EQ(h.run(args), kWrongType) << args[0];
  }
  h.run({"RPUSH", "l", "a"});
  EXPECT_EQ(h.run({"LMOVE", "l", "s", "LEFT", "LEFT"}), kWrongType);
  EXPECT_EQ(h.run({"LLEN", "l"}), integer(1));  // nothing moved
}

TEST(ListCommands, RangeIndexSetInsert) {
  EngineHarness h;
  h.run({"RPUSH", "l", "1", "2", "3", "4", "5"});
  EXPECT_EQ(h.run({"LRANGE", "l", "1", "-2"}), bulks({"2", "3", "4"}));
  EXPECT_EQ(h.run({"LRANGE", "l", "-100", "100"}), bulks({"1", "2", "3", "4", "5"}));
  EXPECT_EQ(h.run({"LRANGE", "l", "3", "1"}), kEmptyArray);
  EXPECT_EQ(h.run({"LRANGE", "l", "0", "-6"}), kEmptyArray);
  EXPECT_EQ(h.run({"LINDEX", "l", "-1"}), bulk("5"));
  EXPECT_EQ(h.run({"LINDEX", "l", "5"}), kNil);
  EXPECT_EQ(h.run({"LSET", "l", "-1", "five"}), kOk);
  EXPECT_EQ(h.run({"LSET", "l", "7", "x"}), error("ERR index out of range"));
  EXPECT_EQ(h.run({"LSET", "nokey", "0", "x"}), error("ERR no such key"));
  EXPECT_EQ(h.run({"LINSERT", "l", "BEFORE", "3", "x"}), integer(6));
  EXPECT_EQ(h.run({"LINSERT", "l", "after", "five", "y"}), integer(7));
  EXPECT_EQ(h.run({"LINSERT", "l", "after", "zz", "y"}), integer(-1));
  EXPECT_EQ(h.run({"LINSERT", "nokey", "after", "zz", "y"}), integer(0));
  EXPECT_EQ(h.run({"LINSERT", "l", "middle", "zz", "y"}), kSyntaxErr);
  EXPECT_EQ(h.run({"LRANGE", "l", "0", "-1"}), bulks({"1", "2", "x", "3", "4", "five", "y"}));
}

TEST(ListCommands, RemAndTrim) {
  EngineHarness h;
  h.run({"RPUSH", "l", "a", "b", "a", "c", "a"});
  EXPECT_EQ(h.run({"LREM", "l", "-2", "a"}), integer(2));
  EXPECT_EQ(h.run({"LRANGE", "l", "0", "-1"}), bulks({"a", "b", "c"}));
  EXPECT_EQ(h.run({"LREM", "l", "0", "a"}), integer(1));
  EXPECT_EQ(h.run({"LREM", "l", "-9223372036854775808", "zz"}), integer(0));
  EXPECT_EQ(h.run({"LTRIM", "l", "1", "-1"}), kOk);
  EXPECT_EQ(h.run({"LRANGE", "l", "0", "-1"}), bulks({"c"}));
  EXPECT_EQ(h.run({"LTRIM", "l", "5", "10"}), kOk);
  EXPECT_EQ(h.run({"EXISTS", "l"}), integer(0));
}

TEST(ListCommands, Lpos) {
  EngineHarness h;
  h.run({"RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c"});
  EXPECT_EQ(h.run({"LPOS", "l", "c"}), integer(2));
  EXPECT_EQ(h.run({"LPOS", "l", "c", "RANK", "2"}), integer(6));
  EXPECT_EQ(h.run({"LPOS", "l", "c", "RANK", "-1"}), integer(7));
  EXPECT_EQ(h.run({"LPOS", "l", "c", "COUNT", "0"}), "*3\r\n:2\r\n:6\r\n:7\r\n");
  EXPECT_EQ(h.run({"LPOS", "l", "c", "COUNT", "2", "RANK", "-1"}), "*2\r\n:7\r\n:6\r\n");
  EXPECT_EQ(h.run({"LPOS", "l", "c", "MAXLEN", "2"}), kNil);
  EXPECT_EQ(h.run({"LPOS", "l", "c", "RANK", "0"}),
            error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the "
                  "second ... or use negative to start from the end of the list"));
  EXPECT_EQ(h.run({"LPOS", "l", "c", "COUNT", "-1"}), error("ERR COUNT can't be negative"));
  EXPECT_EQ(h.run({"LPOS", "l", "c", "MAXLEN", "-1"}), error("ERR MAXLEN can't be negative"));
  EXPECT_EQ(h.run({"LPOS", "l", "c", "COUNT"}), kSyntaxErr);
  EXPECT_EQ(h.run({"LPOS", "nokey", "c", "COUNT", "1"}), kEmptyArray);
  EXPECT_EQ(h.run({"LPOS", "nokey", "c"}), kNil);
}

TEST(ListCommands, MoveAndMpop) {
  EngineHarness h;
  h.run({"RPUSH", "s", "1", "2", "3"});
  EXPECT_EQ(h.run({"LMOVE", "s", "d", "LEFT", "RIGHT"}), bulk("1"));
  EXPECT_EQ(h.run({"RPOPLPUSH", "s", "d"}), bulk("3"));
  EXPECT_EQ(h.run({"LRANGE", "d", "0", "-1"}), bulks({"3", "1"}));
  EXPECT_EQ(h.run({"LMOVE", "s", "s", "LEFT", "RIGHT"}), bulk("2"));  // rotation of one
  EXPECT_EQ(h.run({"LRANGE", "s", "0", "-1"}), bulks({"2"}));
  EXPECT_EQ(h.run({"LMOVE", "s", "d", "UP", "RIGHT"}), kSyntaxErr);
  EXPECT_EQ(h.run({"LMOVE", "nokey", "d", "LEFT", "RIGHT"}), kNil);
  EXPECT_EQ(h.run({"LMPOP", "2", "nokey", "d", "RIGHT", "COUNT", "5"}),
            "*2\r\n" + bulk("d") + bulks({"1", "3"}));
  EXPECT_EQ(h.run({"LMPOP", "1", "nokey", "LEFT"}), kNullArray);
  EXPECT_EQ(h.run({"LMPOP", "0", "nokey", "LEFT"}), error("ERR numkeys should be greater than 0"));
  EXPECT_EQ(h.run({"LMPOP", "5", "nokey", "LEFT"}), kSyntaxErr);
  EXPECT_EQ(h.run({"LMPOP", "x", "nokey", "LEFT"}), error("ERR numkeys should be greater than 0"));
  EXPECT_EQ(h.run({"LMPOP", "1", "s", "LEFT", "COUNT", "x"}),
            error("ERR count should be greater than 0"));
  EXPECT_EQ(h.run({"LMPOP", "1", "s", "LEFT", "COUNT", "0"}),
            error("ERR count should be greater than 0"));
  EXPECT_EQ(h.run({"COMMAND", "GETKEYS", "LMPOP", "2", "a", "b", "LEFT"}), bulks({"a", "b"}));
}

TEST(ListCommands, BigListsSpanNodes) {
  EngineHarness h;
  std::vector<std::string> args{"RPUSH", "l"};
  for (int i = 0; i < 5000; ++i) args.push_back("element-" + std::to_string(i));
  EXPECT_EQ(h.run(args), integer(5000));
  auto* l = static_cast<engine::List*>(raw_entry(h, "l")->value.object());
  EXPECT_GT(l->node_count(), 1u);
  EXPECT_EQ(encoding_of(h, "l"), "quicklist");
  EXPECT_EQ(h.run({"LINDEX", "l", "4321"}), bulk("element-4321"));
  EXPECT_EQ(h.run({"LINDEX", "l", "-4321"}), bulk("element-679"));
  EXPECT_EQ(h.run({"LRANGE", "l", "2999", "3000"}), bulks({"element-2999", "element-3000"}));
  EXPECT_EQ(h.run({"LSET", "l", "2500", std::string(10000, 'x')}), kOk);
  EXPECT_EQ(h.run({"LINDEX", "l", "2501"}), bulk("element-2501"));
  EXPECT_EQ(h.run({"LINSERT", "l", "BEFORE", "element-100", "new"}), integer(5001));
  EXPECT_EQ(h.run({"LINDEX", "l", "100"}), bulk("new"));
  EXPECT_EQ(h.run({"RPOP", "l", "3"}), bulks({"element-4999", "element-4998", "element-4997"}));
  EXPECT_EQ(h.run({"LTRIM", "l", "10", "-10"}), kOk);
  EXPECT_EQ(h.run({"LLEN", "l"}), integer(4979));
  EXPECT_EQ(h.run({"LINDEX", "l", "0"}), bulk("element-10"));
  EXPECT_EQ(h.run({"LREM", "l", "0", "new"}), integer(1));
  EXPECT_EQ(h.run({"LLEN", "l"}), integer(4978));
  EXPECT_EQ(h.run({"LPOS", "l", "element-4000"}), integer(3990));
  // Positive fill: entries per node.
  h.run({"CONFIG", "SET", "list-max-ziplist-size", "4"});
  h.run({"RPUSH", "p", "1", "2", "3", "4", "5", "6", "7", "8", "9"});
  l = static_cast<engine::List*>(raw_entry(h, "p")->value.object());
  EXPECT_EQ(l->node_count(), 3u);
  EXPECT_EQ(h.run({"CONFIG", "GET", "list-max-listpack-size"}),
            bulks({"list-max-listpack-size", "4"}));
}

TEST(ListCommands, KeyspaceCopyAndEncoding) {
  EngineHarness h;
  h.run({"RPUSH", "l", "a", "b"});
  EXPECT_EQ(h.run({"OBJECT", "ENCODING", "l"}), bulk("quicklist"));
  EXPECT_EQ(h.run({"TYPE", "l"}), simple("list"));
  EXPECT_EQ(h.run({"COPY", "l", "c"}), integer(1));
  h.run({"RPOP", "l"});
  EXPECT_EQ(h.run({"LRANGE", "c", "0", "-1"}), bulks({"a", "b"}));
}

}  // namespace
}  // namespace kvd::test
