#include <gtest/gtest.h>

#include "support/engine_harness.hpp"

namespace kvd::test {
namespace {

std::string set_of(std::initializer_list<const char*> items) {
  std::string r = "*" + std::to_string(items.size()) + "\r\n";
  for (const char* i : items) r += simple(i);
  return r;
}

// A test-only command with keys, registered next to the real ones.
void noop(engine::CommandContext& ctx) {
  ctx.out.ok();
}

}  // namespace

TEST(CommandCommand, CountMatchesTable) {
  EngineHarness h;
  size_t n = h.engine().commands().all().size();
  EXPECT_EQ(h.run({"COMMAND", "COUNT"}), integer(static_cast<long long>(n)));
  std::string all = h.run({"COMMAND"});
  EXPECT_EQ(all.rfind("*" + std::to_string(n) + "\r\n", 0), 0u);
}

TEST(CommandCommand, InfoTenElements) {
  EngineHarness h;
  std::string expected = "*1\r\n*10\r\n" + bulk("echo") + integer(2) +
                         set_of({"loading", "stale", "fast"}) + integer(0) + integer(0) +
                         integer(0) + set_of({"@fast", "@connection"}) + "*0\r\n*0\r\n*0\r\n";
  EXPECT_EQ(h.run({"COMMAND", "INFO", "echo"}), expected);
  EXPECT_EQ(h.run({"COMMAND", "INFO", "ECHO"}), expected);
  // Unknown names are nil entries.
  EXPECT_EQ(h.run({"COMMAND", "INFO", "nope", "echo"}), "*2\r\n" + kNil + expected.substr(4));
}

// Tips are Redis's, lowercase bulk strings, for commands and subcommands.
TEST(CommandCommand, InfoTips) {
  EngineHarness h;
  std::string keys = h.run({"COMMAND", "INFO", "keys"});
  EXPECT_NE(keys.find("*2\r\n" + bulk("request_policy:all_shards") +
                      bulk("nondeterministic_output_order")),
            std::string::npos)
      << keys;
  std::string cfg = h.run({"COMMAND", "INFO", "config|set"});
  EXPECT_NE(cfg.find(bulk("response_policy:all_succeeded")), std::string::npos) << cfg;
}

TEST(CommandCommand, InfoSubcommandsAndFullnames) {
  EngineHarness h;
  std::string get = "*10\r\n" + bulk("config|get") + integer(-3) +
                    set_of({"admin", "noscript", "loading", "stale"}) + integer(0) + integer(0) +
                    integer(0) + set_of({"@admin", "@slow", "@dangerous"}) + "*0\r\n*0\r\n*0\r\n";
  EXPECT_EQ(h.run({"COMMAND", "INFO", "config|get"}), "*1\r\n" + get);
  std::string config = h.run({"COMMAND", "INFO", "config"});
  EXPECT_EQ(config.rfind("*1\r\n*10\r\n" + bulk("config") + integer(-2) + "*0\r\n", 0), 0u);
  EXPECT_NE(config.find(get), std::string::npos);
  EXPECT_EQ(h.run({"COMMAND", "INFO", "config|nope"}), "*1\r\n" + kNil);
}

TEST(CommandCommand, InfoKeySpecsFromKeyPositions) {
  EngineHarness h;
  auto& table = const_cast<engine::CommandTable&>(h.engine().commands());
  table.add({.name = "testmset",
             .arity = -3,
             .flags = engine::kWrite,
             .first_key = 1,
             .last_key = -1,
             .key_step = 2,
             .acl_categories = engine::kAclWrite,
             .handler = noop});
  std::string r = h.run({"COMMAND", "INFO", "testmset"});
  std::string specs = "*1\r\n*6\r\n" + bulk("flags") + set_of({"RW"}) + bulk("begin_search") +
                      "*4\r\n" + bulk("type") + bulk("index") + bulk("spec") + "*2\r\n" +
                      bulk("index") + integer(1) + bulk("find_keys") + "*4\r\n" + bulk("type") +
                      bulk("range") + bulk("spec") + "*6\r\n" + bulk("lastkey") + integer(-1) +
                      bulk("keystep") + integer(2) + bulk("limit") + integer(0);
  EXPECT_NE(r.find("*0\r\n" + specs + "*0\r\n"), std::string::npos) << r;
  EXPECT_EQ(h.run({"COMMAND", "GETKEYS", "testmset", "a", "1", "b", "2"}),
            "*2\r\n" + bulk("a") + bulk("b"));
}

TEST(CommandCommand, Docs) {
  EngineHarness h;
  const engine::CommandSpec* echo = h.engine().commands().find("echo");
  std::string echo_docs = "*8\r\n" + bulk("summary") + bulk(echo->summary) + bulk("since") +
                          bulk("1.0.0") + bulk("group") + bulk("connection") + bulk("complexity") +
                          bulk("O(1)");
  EXPECT_EQ(h.run({"COMMAND", "DOCS", "echo", "nope"}), "*2\r\n" + bulk("echo") + echo_docs);
  h.client().resp = 3;
  std::string r = h.run({"COMMAND", "DOCS", "config"});
  EXPECT_EQ(r.rfind("%1\r\n" + bulk("config") + "%5\r\n", 0), 0u) << r;
  EXPECT_NE(r.find(bulk("subcommands") + "%5\r\n" + bulk("config|help") + "%4\r\n"),
            std::string::npos);
  h.client().resp = 2;
  std::string all = h.run({"COMMAND", "DOCS"});
  size_t n = h.engine().commands().all().size();
  EXPECT_EQ(all.rfind("*" + std::to_string(2 * n) + "\r\n", 0), 0u);
}

TEST(CommandCommand, List) {
  EngineHarness h;
  EXPECT_EQ(h.run({"COMMAND", "LIST", "FILTERBY", "PATTERN", "conf*"}),
            "*6\r\n" + bulk("config") + bulk("config|help") + bulk("config|get") +
                bulk("config|set") + bulk("config|resetstat") + bulk("config|rewrite"));
  std::string conn = h.run({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "connection"});
  EXPECT_NE(conn.find(bulk("client|kill")), std::string::npos);
  EXPECT_NE(conn.find(bulk("hello")), std::string::npos);
  EXPECT_EQ(conn.find(bulk("config|get")), std::string::npos);
  EXPECT_EQ(h.run({"COMMAND", "LIST", "FILTERBY", "MODULE", "foo"}), "*0\r\n");
  EXPECT_EQ(h.run({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "nonsense"}), "*0\r\n");
  EXPECT_EQ(h.run({"COMMAND", "LIST", "FILTERBY", "foo", "x"}), error("ERR syntax error"));
  EXPECT_EQ(h.run({"COMMAND", "LIST", "x"}), error("ERR syntax error"));
  std::string all = h.run({"COMMAND", "LIST"});
  EXPECT_NE(all.find(bulk("command|getkeys")), std::string::npos);
  EXPECT_NE(all.find(bulk("ping")), std::string::npos);
}

TEST(CommandCommand, GetkeysErrors) {
  EngineHarness h;
  EXPECT_EQ(h.run({"COMMAND", "GETKEYS", "foo", "a"}), error("ERR Invalid command specified"));
  EXPECT_EQ(h.run({"COMMAND", "GETKEYS", "ping", "a"}),
            error("ERR The command has no key arguments"));
  EXPECT_EQ(h.run({"COMMAND", "GETKEYS", "config", "get", "a"}),
            error("ERR The command has no key arguments"));
  EXPECT_EQ(h.run({"COMMAND", "GETKEYS", "config", "nope", "a"}),
            error("ERR Invalid command specified"));
  EXPECT_EQ(h.run({"COMMAND", "GETKEYS", "get"}),
            error("ERR wrong number of arguments for 'command|getkeys' command"));
  auto& table = const_cast<engine::CommandTable&>(h.engine().commands());
  table.add({.name = "testget",
             .arity = 2,
             .flags = engine::kReadonly,
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .handler = noop});
  EXPECT_EQ(h.run({"COMMAND", "GETKEYS", "testget", "k", "extra"}),
            error("ERR Invalid number of arguments specified for command"));
  EXPECT_EQ(h.run({"COMMAND", "GETKEYS", "TESTGET", "k"}), "*1\r\n" + bulk("k"));
}

TEST(CommandCommand, Help) {
  EngineHarness h;
  std::string r = h.run({"COMMAND", "HELP"});
  EXPECT_NE(r.find("+COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"),
            std::string::npos);
}

}  // namespace kvd::test

namespace kvd::test {
namespace {

// Only the last STORE is a key, as only it is written when SORT runs.
TEST(CommandCommand, GetkeysSortTakesTheLastStore) {
  EngineHarness h;
  EXPECT_EQ(h.run({"COMMAND", "GETKEYS", "sort", "abc", "store", "invalid", "store", "stillbad",
                   "store", "def"}),
            "*2\r\n" + bulk("abc") + bulk("def"));
}

}  // namespace
}  // namespace kvd::test

namespace kvd::test {

// Each key with the flags of what the command does to it, as redis-server
// 7.0.15 answers (unit/introspection-2's cases and a few more).
TEST(CommandCommand, GetKeysAndFlags) {
  EngineHarness h;
  auto key = [](const std::string& k, std::initializer_list<const char*> flags) {
    std::string s = "*2\r\n" + bulk(k) + "*" + std::to_string(flags.size()) + "\r\n";
    for (const char* f : flags) s += std::string("+") + f + "\r\n";
    return s;
  };
  EXPECT_EQ(h.run({"COMMAND", "GETKEYSANDFLAGS", "set", "k1", "v1"}),
            "*1\r\n" + key("k1", {"OW", "update"}));
  EXPECT_EQ(h.run({"COMMAND", "GETKEYSANDFLAGS", "set", "k1", "v1", "GET"}),
            "*1\r\n" + key("k1", {"RW", "access", "update"}));
  EXPECT_EQ(h.run({"COMMAND", "GETKEYSANDFLAGS", "mset", "k1", "v1", "k2", "v2"}),
            "*2\r\n" + key("k1", {"OW", "update"}) + key("k2", {"OW", "update"}));
  EXPECT_EQ(h.run({"COMMAND", "GETKEYSANDFLAGS", "LMOVE", "k1", "k2", "left", "right"}),
            "*2\r\n" + key("k1", {"RW", "access", "delete"}) + key("k2", {"RW", "insert"}));
  EXPECT_EQ(h.run({"COMMAND", "GETKEYSANDFLAGS", "sort", "k1", "store", "k2"}),
            "*2\r\n" + key("k1", {"RO", "access"}) + key("k2", {"OW", "update"}));
  EXPECT_EQ(h.run({"COMMAND", "GETKEYSANDFLAGS", "zunionstore", "d", "2", "a", "b"}),
            "*3\r\n" + key("d", {"OW", "update"}) + key("a", {"RO", "access"}) +
                key("b", {"RO", "access"}));
  EXPECT_EQ(h.run({"COMMAND", "GETKEYSANDFLAGS", "bitfield", "k", "get", "u8", "0"}),
            "*1\r\n" + key("k", {"RO", "access"}));
  EXPECT_EQ(h.run({"COMMAND", "GETKEYSANDFLAGS", "ping", "x"}),
            error("ERR The command has no key arguments"));
}

// COMMAND INFO's legacy key triple comes from the key specs as in Redis:
// ZUNIONSTORE's destination is the one plain range (1 1 1), and EVAL's keys
// are movable (0 0 0).
TEST(CommandCommand, LegacyKeyRangeFromSpecs) {
  EngineHarness h;
  std::string z = h.run({"COMMAND", "INFO", "zunionstore"});
  EXPECT_NE(z.find(":1\r\n:1\r\n:1\r\n"), std::string::npos) << z;
  std::string e = h.run({"COMMAND", "INFO", "eval"});
  EXPECT_NE(e.find(":0\r\n:0\r\n:0\r\n"), std::string::npos) << e;
  std::string s = h.run({"COMMAND", "INFO", "set"});
  EXPECT_NE(s.find(bulk("notes") + bulk("RW and ACCESS due to the optional `GET` argument")),
            std::string::npos);
}

}  // namespace kvd::test
