#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/engine_harness.hpp"
#include "support/fake_object.hpp"

// Expected replies were checked against redis-server 7.0.15 (jemalloc 5.3.0,
// the Debian package's build).
namespace kvd::test {
namespace {

std::string arity(std::string_view cmd) {
  return error("ERR wrong number of arguments for '" + std::string(cmd) + "' command");
}

// The top-level keys of a RESP2 flat map reply (*2n then key/value pairs whose
// values are integers, bulks or flat arrays of integers), and the type byte of
// each value.
std::vector<std::string> map_keys(const std::string& r, std::string* types) {
  std::vector<std::string> keys;
  size_t pos = r.find("\r\n") + 2;
  auto next_line = [&]() {
    size_t end = r.find("\r\n", pos);
    std::string l = r.substr(pos, end - pos);
    pos = end + 2;
    return l;
  };
  auto skip_value = [&](auto&& self) -> void {
    std::string l = next_line();
    if (l[0] == '$' && l != "$-1") {
      pos += std::stoul(l.substr(1)) + 2;
    } else if (l[0] == '*') {
      for (long i = std::stol(l.substr(1)); i > 0; --i) self(self);
    }
  };
  while (pos < r.size()) {
    std::string len = next_line();
    keys.push_back(next_line());
    types->push_back(r[pos]);
    skip_value(skip_value);
  }
  return keys;
}

// ---------------------------------------------------------------------------
// Dispatch: arity and subcommands

TEST(MemoryCommands, ArityAndUnknownSubcommand) {
  EngineHarness h;
  EXPECT_EQ(h.run({"MEMORY"}), arity("memory"));
  EXPECT_EQ(h.run({"MEMORY", "FOO"}), error("ERR unknown subcommand 'FOO'. Try MEMORY HELP."));
  EXPECT_EQ(h.run({"MEMORY", "foo", "bar"}),
            error("ERR unknown subcommand 'foo'. Try MEMORY HELP."));
  EXPECT_EQ(h.run({"MEMORY", "USAGE"}), arity("memory|usage"));
  EXPECT_EQ(h.run({"MEMORY", "STATS", "x"}), arity("memory|stats"));
  EXPECT_EQ(h.run({"MEMORY", "DOCTOR", "x"}), arity("memory|doctor"));
  EXPECT_EQ(h.run({"MEMORY", "PURGE", "x"}), arity("memory|purge"));
  EXPECT_EQ(h.run({"MEMORY", "MALLOC-STATS", "x"}), arity("memory|malloc-stats"));
  EXPECT_EQ(h.run({"MEMORY", "HELP", "x"}), arity("memory|help"));
}

// kvd's help text is its own (different descriptions); this is Redis's.
TEST(MemoryCommands, DISABLED_Help) {
  EngineHarness h;
  const std::string help = array({
      simple("MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"),
      simple("DOCTOR"),
      simple("    Return memory problems reports."),
      simple("MALLOC-STATS"),
      simple("    Return internal statistics report from the memory allocator."),
      simple("PURGE"),
      simple("    Attempt to purge dirty pages for reclamation by the allocator."),
      simple("STATS"),
      simple("    Return information about the memory usage of the server."),
      simple("USAGE <key> [SAMPLES <count>]"),
      simple("    Return memory in bytes used by <key> and its value. Nested values are"),
      simple("    sampled up to <count> times (default: 5, 0 means sample all)."),
      simple("HELP"),
      simple("    Prints this help."),
  });
  EXPECT_EQ(h.run({"MEMORY", "HELP"}), help);
  EXPECT_EQ(h.run({"memory", "help"}), help);
}

TEST(MemoryCommands, Purge) {
  EngineHarness h;
  EXPECT_EQ(h.run({"MEMORY", "PURGE"}), kOk);
  EXPECT_EQ(h.run({"memory", "purge"}), kOk);
}

// ---------------------------------------------------------------------------
// USAGE

TEST(MemoryCommands, UsageMissingKey) {
  EngineHarness h;
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "missing"}), kNil);
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "missing", "SAMPLES", "0"}), kNil);
  // Other databases are not looked at.
  h.run({"SET", "k", "v"});
  h.run({"SELECT", "1"});
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "k"}), kNil);
  h.run({"SELECT", "0"});
  EXPECT_EQ(h.run({"DEL", "k"}), integer(1));
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "k"}), kNil);
  h.client().resp = 3;
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "missing"}), "_\r\n");
}

TEST(MemoryCommands, UsageSamplesParsing) {
  EngineHarness h;
  h.run({"SET", "a", "b"});
  const std::string base = h.run({"MEMORY", "USAGE", "a"});
  ASSERT_EQ(base[0], ':');
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "a", "SAMPLES", "0"}), base);
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "a", "SAMPLES", "10"}), base);
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "a", "samples", "1", "SAMPLES", "2"}), base);
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "a", "SAMPLES", "9223372036854775807"}), base);
  EXPECT_EQ(h.run({"memory", "usage", "a"}), base);
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "a", "SAMPLES", "-1"}), kSyntaxErr);
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "a", "SAMPLES", "x"}), kNotInt);
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "a", "SAMPLES", "1.5"}), kNotInt);
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "a", "SAMPLES", "9223372036854775808"}), kNotInt);
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "a", "SAMPLES"}), kSyntaxErr);
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "a", "FOO", "1"}), kSyntaxErr);
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "a", "b"}), kSyntaxErr);
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "a", "SAMPLES", "5", "extra"}), kSyntaxErr);
  // Options are checked before the key is looked up.
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "missing", "SAMPLES", "-1"}), kSyntaxErr);
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "missing", "SAMPLES", "x"}), kNotInt);
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "missing", "SAMPLES", "5", "extra"}), kSyntaxErr);
}

TEST(MemoryCommands, UsageAnswersForEveryType) {
  EngineHarness h;
  h.run({"SET", "str", "v"});
  h.run({"RPUSH", "list", "a", "b", "c"});
  h.run({"HSET", "hash", "f", "v"});
  h.run({"SADD", "set", "1", "2", "3"});
  h.run({"SADD", "strset", "a", "b", "c"});
  h.run({"ZADD", "zset", "1", "a", "2", "b"});
  h.run({"XADD", "stream", "1-1", "f", "v"});
  h.run({"PFADD", "hll", "a", "b"});
  for (std::string_view key : {"str", "list", "hash", "set", "strset", "zset", "stream", "hll"}) {
    std::string r = h.run({"MEMORY", "USAGE", key});
    ASSERT_EQ(r[0], ':') << key;
    EXPECT_GT(std::stoll(r.substr(1)), 0) << key;
    // Small values are measured whole whatever the sample count.
    EXPECT_EQ(h.run({"MEMORY", "USAGE", key, "SAMPLES", "0"}), r) << key;
    EXPECT_EQ(h.run({"MEMORY", "USAGE", key, "SAMPLES", "1"}), r) << key;
  }
}

TEST(MemoryCommands, UsageIsStableAndGrowsWithTheValue) {
  EngineHarness h;
  h.run({"SET", "k1", std::string(100, 'y')});
  h.run({"SET", "k2", std::string(100, 'y')});
  h.run({"SET", "k3", std::string(1000, 'y')});
  h.run({"SET", "k4", "y"});
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "k1"}), h.run({"MEMORY", "USAGE", "k2"}));
  auto usage = [&](std::string_view k) {
    return std::stoll(h.run({"MEMORY", "USAGE", k}).substr(1));
  };
  EXPECT_LT(usage("k4"), usage("k1"));
  EXPECT_LT(usage("k1"), usage("k3"));
  EXPECT_GE(usage("k3"), 1000);
  // A longer key name costs more for the same value.
  h.run({"SET", "longkey_" + std::string(50, 'k'), "y"});
  EXPECT_LT(usage("k4"), usage("longkey_" + std::string(50, 'k')));
  // A list grows with its elements.
  h.run({"RPUSH", "l", "x"});
  int64_t small = usage("l");
  std::vector<std::string> args{"RPUSH", "l"};
  for (int i = 0; i < 1000; ++i) args.push_back("element-" + std::to_string(i));
  h.run(args);
  EXPECT_GT(usage("l"), small + 10000);
}

// kvd's sizes come from its own layout; these are Redis's (jemalloc size
// classes, robj/sds/dictEntry). kvd reports other numbers for most of them.
TEST(MemoryCommands, DISABLED_UsageMatchesRedisSizes) {
  EngineHarness h;
  h.run({"SET", "a", "b"});
  h.run({"SET", "i", "12345"});
  h.run({"SET", "neg", "-5"});
  h.run({"SET", "e", std::string(44, 'x')});
  h.run({"SET", "r", std::string(45, 'x')});
  h.run({"SET", "s100", std::string(100, 'y')});
  h.run({"SET", "s1000", std::string(1000, 'y')});
  h.run({"SET", "longkey_" + std::string(50, 'k'), "v"});
  h.run({"RPUSH", "l", "a", "b", "c"});
  h.run({"RPUSH", "l1", "x"});
  h.run({"HSET", "h", "f", "v"});
  h.run({"HSET", "h2", "field", "value"});
  h.run({"SADD", "s", "1", "2", "3"});
  h.run({"SADD", "is", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"});
  h.run({"SADD", "s2", "a", "b", "c"});
  h.run({"ZADD", "z", "1", "a", "2", "b"});
  h.run({"XADD", "x", "1-1", "f", "v"});
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "a"}), integer(64));
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "i"}), integer(48));
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "neg"}), integer(48));
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "e"}), integer(96));
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "r"}), integer(112));
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "s100"}), integer(160));
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "s1000"}), integer(1072));
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "longkey_" + std::string(50, 'k')}), integer(120));
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "l"}), integer(144));
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "l1"}), integer(144));
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "h"}), integer(64));
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "h2"}), integer(80));
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "s"}), integer(64));
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "is"}), integer(80));
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "s2"}), integer(232));
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "z"}), integer(80));
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "x"}), integer(4728));
}

// kvd computes exact sizes and ignores SAMPLES; Redis estimates nested values
// from the first <count> nodes, so a list whose first node holds small
// elements is under-counted with SAMPLES 1.
TEST(MemoryCommands, DISABLED_UsageSamplesEstimateFromFirstNodes) {
  EngineHarness h;
  std::vector<std::string> small{"RPUSH", "nl"}, big{"RPUSH", "nl"};
  for (int i = 0; i < 200; ++i) small.push_back("a");
  for (int i = 0; i < 200; ++i) big.push_back(std::string(100, 'x'));
  h.run(small);
  h.run(big);
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "nl", "SAMPLES", "1"}), integer(24784));
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "nl", "SAMPLES", "0"}), integer(21712));
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "nl"}), integer(21712));
}

// kvd answers nil for a key whose TTL passed; Redis looks the key up without
// expiring it and reports its size until it is actually removed.
TEST(MemoryCommands, DISABLED_UsageOfLogicallyExpiredKey) {
  EngineHarness h;
  h.run({"SET", "k", "v", "PX", "50"});
  const std::string before = h.run({"MEMORY", "USAGE", "k"});
  ASSERT_EQ(before[0], ':');
  h.clock().advance_ms(100);
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "k"}), before);
  EXPECT_EQ(h.run({"DBSIZE"}), integer(1));
  EXPECT_EQ(h.run({"EXISTS", "k"}), integer(0));  // this access removes it
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "k"}), kNil);
}

TEST(MemoryCommands, UsageIgnoresTtlAndFollowsOverwrites) {
  EngineHarness h;
  h.run({"SET", "k", "v"});
  const std::string plain = h.run({"MEMORY", "USAGE", "k"});
  EXPECT_EQ(h.run({"EXPIRE", "k", "1000"}), integer(1));
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "k"}), plain);
  EXPECT_EQ(h.run({"PERSIST", "k"}), integer(1));
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "k"}), plain);
  // The same name holding a bigger value of another type.
  h.run({"DEL", "k"});
  std::vector<std::string> args{"RPUSH", "k"};
  for (int i = 0; i < 500; ++i) args.push_back("item-" + std::to_string(i));
  h.run(args);
  EXPECT_NE(h.run({"MEMORY", "USAGE", "k"}), plain);
  h.run({"SET", "k", "v"});
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "k"}), plain);
}

TEST(MemoryCommands, KeysAndTransactions) {
  EngineHarness h;
  EXPECT_EQ(h.run({"COMMAND", "GETKEYS", "MEMORY", "USAGE", "k"}), array({bulk("k")}));
  EXPECT_EQ(h.run({"COMMAND", "GETKEYS", "MEMORY", "USAGE", "k", "SAMPLES", "5"}),
            array({bulk("k")}));
  EXPECT_EQ(h.run({"COMMAND", "GETKEYS", "MEMORY", "STATS"}),
            error("ERR The command has no key arguments"));
  EXPECT_EQ(h.run({"COMMAND", "GETKEYS", "MEMORY", "DOCTOR"}),
            error("ERR The command has no key arguments"));
  h.run({"SET", "k", "v"});
  const std::string usage = h.run({"MEMORY", "USAGE", "k"});
  EXPECT_EQ(h.run({"MULTI"}), kOk);
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "k"}), simple("QUEUED"));
  EXPECT_EQ(h.run({"MEMORY", "USAGE", "nokey"}), simple("QUEUED"));
  EXPECT_EQ(h.run({"MEMORY", "PURGE"}), simple("QUEUED"));
  EXPECT_EQ(h.run({"EXEC"}), array({usage, kNil, kOk}));
}

// ---------------------------------------------------------------------------
// STATS, DOCTOR, MALLOC-STATS

// kvd's MEMORY STATS has 7 fields of its own; Redis 7.0 reports these, in
// this order (db.<n> entries only for databases holding keys).
TEST(MemoryCommands, DISABLED_StatsFields) {
  EngineHarness h;
  std::string types;
  std::vector<std::string> keys = map_keys(h.run({"MEMORY", "STATS"}), &types);
  EXPECT_EQ(keys, (std::vector<std::string>{"peak.allocated",
                                            "total.allocated",
                                            "startup.allocated",
                                            "replication.backlog",
                                            "clients.slaves",
                                            "clients.normal",
                                            "cluster.links",
                                            "aof.buffer",
                                            "lua.caches",
                                            "functions.caches",
                                            "overhead.total",
                                            "keys.count",
                                            "keys.bytes-per-key",
                                            "dataset.bytes",
                                            "dataset.percentage",
                                            "peak.percentage",
                                            "allocator.allocated",
                                            "allocator.active",
                                            "allocator.resident",
                                            "allocator-fragmentation.ratio",
                                            "allocator-fragmentation.bytes",
                                            "allocator-rss.ratio",
                                            "allocator-rss.bytes",
                                            "rss-overhead.ratio",
                                            "rss-overhead.bytes",
                                            "fragmentation",
                                            "fragmentation.bytes"}));
  // Ratios are doubles (bulk strings in RESP2), everything else integers.
  EXPECT_EQ(types, "::::::::::::::$$:::$:$:$:$:");
  h.run({"SET", "k", "v"});
  types.clear();
  keys = map_keys(h.run({"MEMORY", "STATS"}), &types);
  ASSERT_EQ(keys.size(), 28u);
  EXPECT_EQ(keys[10], "db.0");
  EXPECT_EQ(types[10], '*');
  EXPECT_EQ(keys[11], "overhead.total");
  EXPECT_EQ(h.run({"MEMORY", "STATS"}).substr(0, 5), "*56\r\n");
  h.client().resp = 3;
  EXPECT_EQ(h.run({"MEMORY", "STATS"}).substr(0, 5), "%28\r\n");
}

TEST(MemoryCommands, StatsCountsKeys) {
  EngineHarness h;
  h.run({"SET", "a", "1"});
  h.run({"SET", "b", "2"});
  h.run({"SELECT", "3"});
  h.run({"SET", "c", "3"});
  std::string r = h.run({"MEMORY", "STATS"});
  EXPECT_NE(r.find(bulk("keys.count") + integer(3)), std::string::npos) << r;
}

const std::string kDoctorEmpty =
    "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be "
    "used in these conditions. Please, leave for your mission on Earth and fill it with some "
    "data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n";

// kvd's doctor has one fixed line of its own; Redis's report on an empty
// instance is this text (a verbatim string in RESP3).
TEST(MemoryCommands, DISABLED_DoctorOnEmptyInstance) {
  EngineHarness h;
  EXPECT_EQ(h.run({"MEMORY", "DOCTOR"}), bulk(kDoctorEmpty));
  h.client().resp = 3;
  EXPECT_EQ(h.run({"MEMORY", "DOCTOR"}),
            "=" + std::to_string(kDoctorEmpty.size() + 4) + "\r\ntxt:" + kDoctorEmpty + "\r\n");
}

TEST(MemoryCommands, DoctorIsVerbatimText) {
  EngineHarness h;
  std::string r2 = h.run({"MEMORY", "DOCTOR"});
  ASSERT_EQ(r2[0], '$');
  std::string text = r2.substr(r2.find("\r\n") + 2);
  text.resize(text.size() - 2);
  EXPECT_EQ(r2, bulk(text));
  h.client().resp = 3;
  EXPECT_EQ(h.run({"MEMORY", "DOCTOR"}),
            "=" + std::to_string(text.size() + 4) + "\r\ntxt:" + text + "\r\n");
}

// kvd prints a one-line summary; Redis built with jemalloc returns
// je_malloc_stats_print's report.
TEST(MemoryCommands, DISABLED_MallocStatsIsJemallocReport) {
  EngineHarness h;
  std::string r = h.run({"MEMORY", "MALLOC-STATS"});
  ASSERT_EQ(r[0], '$');
  std::string text = r.substr(r.find("\r\n") + 2);
  EXPECT_EQ(r, bulk(text.substr(0, text.size() - 2)));
  EXPECT_EQ(text.substr(0, 34), "___ Begin jemalloc statistics ___\n");
  EXPECT_EQ(text.substr(text.size() - 34), "--- End jemalloc statistics ---\n\r\n");
}

TEST(MemoryCommands, MallocStatsIsABulkString) {
  EngineHarness h;
  std::string r = h.run({"MEMORY", "MALLOC-STATS"});
  ASSERT_EQ(r[0], '$');
  std::string text = r.substr(r.find("\r\n") + 2);
  EXPECT_EQ(r, bulk(text.substr(0, text.size() - 2)));
}

}  // namespace
}  // namespace kvd::test
