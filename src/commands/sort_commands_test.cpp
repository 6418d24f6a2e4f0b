#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/engine_harness.hpp"
#include "support/fake_object.hpp"
#include "support/peer_client.hpp"

// Expected replies were checked against redis-server 7.0.15.
namespace kvd::test {
namespace {

std::string bulks(std::initializer_list<std::string_view> items) {
  std::string r = "*" + std::to_string(items.size()) + "\r\n";
  for (auto i : items) r += bulk(i);
  return r;
}
const std::string kEmptyArray = "*0\r\n";
const std::string kNotDouble = error("ERR One or more scores can't be converted into double");

// l = [3, 1, 2, 10]
void numbers(EngineHarness& h) {
  h.run({"RPUSH", "l", "3", "1", "2", "10"});
}

// l = [a, b, c, d] with weights, names and hashes for BY / GET.
void people(EngineHarness& h) {
  h.run({"RPUSH", "l", "a", "b", "c", "d"});
  h.run({"MSET", "w_a", "3", "w_b", "1", "w_c", "2", "w_d", "0.5"});
  h.run({"MSET", "n_a", "alice", "n_b", "bob", "n_c", "carol"});
  h.run({"HSET", "h_a", "f", "30", "name", "A"});
  h.run({"HSET", "h_b", "f", "10", "name", "B"});
  h.run({"HSET", "h_c", "f", "20", "name", "C"});
  h.run({"HSET", "h_d", "f", "-5", "name", "D"});
}

// ---------------------------------------------------------------------------
// Order and LIMIT

TEST(SortCommands, NumericAscendingAndDescending) {
  EngineHarness h;
  numbers(h);
  EXPECT_EQ(h.run({"SORT", "l"}), bulks({"1", "2", "3", "10"}));
  EXPECT_EQ(h.run({"SORT", "l", "ASC"}), bulks({"1", "2", "3", "10"}));
  EXPECT_EQ(h.run({"SORT", "l", "asc"}), bulks({"1", "2", "3", "10"}));
  EXPECT_EQ(h.run({"SORT", "l", "DESC"}), bulks({"10", "3", "2", "1"}));
  EXPECT_EQ(h.run({"SORT", "l", "DESC", "ASC"}), bulks({"1", "2", "3", "10"}));  // last wins
  EXPECT_EQ(h.run({"LRANGE", "l", "0", "-1"}), bulks({"3", "1", "2", "10"}));    // untouched
}

TEST(SortCommands, AlphaOrder) {
  EngineHarness h;
  numbers(h);
  EXPECT_EQ(h.run({"SORT", "l", "ALPHA"}), bulks({"1", "10", "2", "3"}));
  EXPECT_EQ(h.run({"SORT", "l", "ALPHA", "DESC"}), bulks({"3", "2", "10", "1"}));
  EXPECT_EQ(h.run({"SORT", "l", "desc", "alpha"}), bulks({"3", "2", "10", "1"}));
  EXPECT_EQ(h.run({"SORT", "l", "DESC", "LIMIT", "0", "2", "ALPHA"}), bulks({"3", "2"}));
}

TEST(SortCommands, LimitClampsLikeRedis) {
  EngineHarness h;
  numbers(h);
  EXPECT_EQ(h.run({"SORT", "l", "LIMIT", "1", "2"}), bulks({"2", "3"}));
  EXPECT_EQ(h.run({"SORT", "l", "LIMIT", "0", "0"}), kEmptyArray);
  EXPECT_EQ(h.run({"SORT", "l", "LIMIT", "-5", "2"}), bulks({"1", "2"}));
  EXPECT_EQ(h.run({"SORT", "l", "LIMIT", "2", "-1"}), bulks({"3", "10"}));
  EXPECT_EQ(h.run({"SORT", "l", "LIMIT", "3", "10"}), bulks({"10"}));
  EXPECT_EQ(h.run({"SORT", "l", "LIMIT", "4", "10"}), kEmptyArray);
  EXPECT_EQ(h.run({"SORT", "l", "LIMIT", "100", "10"}), kEmptyArray);
  EXPECT_EQ(h.run({"SORT", "l", "LIMIT", "1", "9223372036854775807"}), bulks({"2", "3", "10"}));
  EXPECT_EQ(h.run({"SORT", "l", "LIMIT", "0", "9223372036854775807"}),
            bulks({"1", "2", "3", "10"}));
  EXPECT_EQ(h.run({"SORT", "l", "LIMIT", "-9223372036854775808", "2"}), bulks({"1", "2"}));
  EXPECT_EQ(h.run({"SORT", "l", "DESC", "LIMIT", "1", "2"}), bulks({"3", "2"}));
  // A repeated LIMIT: the last one counts.
  EXPECT_EQ(h.run({"SORT", "l", "LIMIT", "0", "1", "LIMIT", "1", "1"}), bulks({"2"}));
}

TEST(SortCommands, LimitErrors) {
  EngineHarness h;
  numbers(h);
  EXPECT_EQ(h.run({"SORT", "l", "LIMIT", "x", "1"}), kNotInt);
  EXPECT_EQ(h.run({"SORT", "l", "LIMIT", "1", "y"}), kNotInt);
  EXPECT_EQ(h.run({"SORT", "l", "LIMIT", "1.5", "1"}), kNotInt);
  EXPECT_EQ(h.run({"SORT", "l", "LIMIT", "0", "9223372036854775808"}), kNotInt);
  EXPECT_EQ(h.run({"SORT", "l", "LIMIT", "1"}), kSyntaxErr);
  EXPECT_EQ(h.run({"SORT", "l", "LIMIT"}), kSyntaxErr);
  EXPECT_EQ(h.run({"SORT_RO", "l", "LIMIT", "x", "1"}), kNotInt);
}

// ---------------------------------------------------------------------------
// BY nosort: the native order

TEST(SortCommands, ByNosortKeepsListOrder) {
  EngineHarness h;
  numbers(h);
  EXPECT_EQ(h.run({"SORT", "l", "BY", "nosort"}), bulks({"3", "1", "2", "10"}));
  EXPECT_EQ(h.run({"SORT", "l", "BY", "nosort", "LIMIT", "1", "2"}), bulks({"1", "2"}));
  // A pattern without '*' never sorts, whatever it names.
  EXPECT_EQ(h.run({"SORT", "l", "BY", "#"}), bulks({"3", "1", "2", "10"}));
  EXPECT_EQ(h.run({"SORT", "l", "BY", "l"}), bulks({"3", "1", "2", "10"}));
  // Elements that are not numbers are fine when nothing is sorted.
  h.run({"RPUSH", "bad", "1", "x", "2"});
  EXPECT_EQ(h.run({"SORT", "bad", "BY", "nosort"}), bulks({"1", "x", "2"}));
}

// kvd ignores DESC with BY nosort on a list (native order); Redis walks the list from the tail.
TEST(SortCommands, ByNosortDescReversesList) {
  EngineHarness h;
  numbers(h);
  EXPECT_EQ(h.run({"SORT", "l", "BY", "nosort", "DESC"}), bulks({"10", "2", "1", "3"}));
  EXPECT_EQ(h.run({"SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "2"}), bulks({"2", "1"}));
  EXPECT_EQ(h.run({"SORT", "l", "BY", "nosort", "DESC", "LIMIT", "3", "5"}), bulks({"3"}));
  EXPECT_EQ(h.run({"SORT", "l", "BY", "nosort", "DESC", "LIMIT", "0", "0"}), kEmptyArray);
  h.run({"RPUSH", "big", "x"});
  for (int i = 0; i < 1000; ++i) h.run({"LPUSH", "big", std::to_string(i)});
  EXPECT_EQ(h.run({"SORT", "big", "BY", "nosort", "DESC", "LIMIT", "0", "2"}), bulks({"x", "0"}));
}

TEST(SortCommands, ByNosortOnce) {
  EngineHarness h;
  h.run({"RPUSH", "l", "b", "a", "c"});
  h.run({"MSET", "w_a", "1", "w_b", "2", "w_c", "3"});
  EXPECT_EQ(h.run({"SORT", "l", "BY", "w_*", "DESC"}), bulks({"c", "b", "a"}));
  // Once a BY without '*' was seen the command does not sort, even if a later
  // BY has a pattern.
  EXPECT_EQ(h.run({"SORT", "l", "BY", "w_*", "BY", "nosort"}), bulks({"b", "a", "c"}));
  EXPECT_EQ(h.run({"SORT", "l", "BY", "nosort", "BY", "w_*"}), bulks({"b", "a", "c"}));
}

// ---------------------------------------------------------------------------
// Missing keys, arity, syntax and types

TEST(SortCommands, MissingKeySortsAsEmptyList) {
  EngineHarness h;
  EXPECT_EQ(h.run({"SORT", "missing"}), kEmptyArray);
  EXPECT_EQ(h.run({"SORT", "missing", "DESC", "ALPHA", "LIMIT", "0", "5"}), kEmptyArray);
  EXPECT_EQ(h.run({"SORT", "missing", "BY", "w_*", "GET", "#", "GET", "h_*->f"}), kEmptyArray);
  EXPECT_EQ(h.run({"SORT_RO", "missing"}), kEmptyArray);
  EXPECT_EQ(h.run({"SORT", "missing", "STORE", "dst"}), integer(0));
  EXPECT_EQ(h.run({"EXISTS", "dst"}), integer(0));
  // An empty result deletes an existing destination.
  h.run({"SET", "dst", "old"});
  EXPECT_EQ(h.run({"SORT", "missing", "STORE", "dst"}), integer(0));
  EXPECT_EQ(h.run({"EXISTS", "dst"}), integer(0));
}

TEST(SortCommands, ArityAndSyntaxErrors) {
  EngineHarness h;
  numbers(h);
  EXPECT_EQ(h.run({"SORT"}), error("ERR wrong number of arguments for 'sort' command"));
  EXPECT_EQ(h.run({"SORT_RO"}), error("ERR wrong number of arguments for 'sort_ro' command"));
  EXPECT_EQ(h.run({"SORT", "l", "FOO"}), kSyntaxErr);
  EXPECT_EQ(h.run({"SORT", "l", "STORE"}), kSyntaxErr);
  EXPECT_EQ(h.run({"SORT", "l", "BY"}), kSyntaxErr);
  EXPECT_EQ(h.run({"SORT", "l", "GET"}), kSyntaxErr);
  EXPECT_EQ(h.run({"SORT", "l", "ALPHA", "DESC", "NOSORT"}), kSyntaxErr);
  EXPECT_EQ(h.run({"SORT_RO", "l", "STORE", "dst"}), kSyntaxErr);
  EXPECT_EQ(h.run({"EXISTS", "dst"}), integer(0));
  // Syntax is checked before the key's type.
  h.run({"SET", "str", "v"});
  EXPECT_EQ(h.run({"SORT", "str", "FOO"}), kSyntaxErr);
}

TEST(SortCommands, WrongType) {
  EngineHarness h;
  h.run({"SET", "str", "v"});
  h.run({"HSET", "hh", "a", "1"});
  h.run({"XADD", "x", "1-1", "f", "v"});
  for (std::string_view key : {"str", "hh", "x"}) {
    EXPECT_EQ(h.run({"SORT", key}), kWrongType) << key;
    EXPECT_EQ(h.run({"SORT_RO", key}), kWrongType) << key;
    EXPECT_EQ(h.run({"SORT", key, "BY", "nosort", "STORE", "dst"}), kWrongType) << key;
  }
  EXPECT_EQ(h.run({"EXISTS", "dst"}), integer(0));
}

TEST(SortCommands, NonNumericElements) {
  EngineHarness h;
  h.run({"RPUSH", "bad", "1", "x", "2"});
  EXPECT_EQ(h.run({"SORT", "bad"}), kNotDouble);
  EXPECT_EQ(h.run({"SORT", "bad", "LIMIT", "0", "1"}), kNotDouble);
  EXPECT_EQ(h.run({"SORT", "bad", "STORE", "dst"}), kNotDouble);
  EXPECT_EQ(h.run({"EXISTS", "dst"}), integer(0));
  EXPECT_EQ(h.run({"SORT", "bad", "ALPHA"}), bulks({"1", "2", "x"}));
  EXPECT_EQ(h.run({"SORT_RO", "bad"}), kNotDouble);
}

TEST(SortCommands, SortRo) {
  EngineHarness h;
  numbers(h);
  EXPECT_EQ(h.run({"SORT_RO", "l"}), bulks({"1", "2", "3", "10"}));
  EXPECT_EQ(h.run({"SORT_RO", "l", "DESC", "LIMIT", "1", "2"}), bulks({"3", "2"}));
  EXPECT_EQ(h.run({"SORT_RO", "l", "ALPHA"}), bulks({"1", "10", "2", "3"}));
  EXPECT_EQ(h.run({"SORT_RO", "l", "BY", "nosort"}), bulks({"3", "1", "2", "10"}));
  h.run({"MSET", "w_1", "4", "w_2", "3", "w_3", "2", "w_10", "1"});
  EXPECT_EQ(h.run({"SORT_RO", "l", "BY", "w_*", "GET", "#", "GET", "w_*"}),
            bulks({"10", "1", "3", "2", "2", "3", "1", "4"}));
}

// ---------------------------------------------------------------------------
// Numeric parsing

TEST(SortCommands, NumericParsingFollowsStrtod) {
  EngineHarness h;
  h.run({"RPUSH", "nums", "1e2", "-3", "0x10", " 5", "inf", "-inf", "2.5", ""});
  EXPECT_EQ(h.run({"SORT", "nums"}), bulks({"-inf", "-3", "", "2.5", " 5", "0x10", "1e2", "inf"}));
  EXPECT_EQ(h.run({"SORT", "nums", "DESC"}),
            bulks({"inf", "1e2", "0x10", " 5", "2.5", "", "-3", "-inf"}));
}

TEST(SortCommands, EqualScoresOrderByElement) {
  EngineHarness h;
  h.run({"RPUSH", "eq", "1.0", "1", "01", "+1", "1e0"});
  EXPECT_EQ(h.run({"SORT", "eq"}), bulks({"+1", "01", "1", "1.0", "1e0"}));
  EXPECT_EQ(h.run({"SORT", "eq", "DESC"}), bulks({"1e0", "1.0", "1", "01", "+1"}));
}

TEST(SortCommands, RejectedNumbers) {
  EngineHarness h;
  h.run({"RPUSH", "nan", "1", "nan"});
  h.run({"RPUSH", "sp", "5 "});
  h.run({"RPUSH", "word", "12abc"});
  h.run({"RPUSH", "big", "1e400"});
  EXPECT_EQ(h.run({"SORT", "nan"}), kNotDouble);
  EXPECT_EQ(h.run({"SORT", "sp"}), kNotDouble);
  EXPECT_EQ(h.run({"SORT", "word"}), kNotDouble);
  // Overflow last: Redis does not clear errno first, so a later sort in the
  // same process would see this ERANGE again.
  EXPECT_EQ(h.run({"SORT", "big"}), kNotDouble);
}

// ---------------------------------------------------------------------------
// BY and GET patterns

TEST(SortCommands, ByWeightKeys) {
  EngineHarness h;
  people(h);
  EXPECT_EQ(h.run({"SORT", "l", "BY", "w_*"}), bulks({"d", "b", "c", "a"}));
  EXPECT_EQ(h.run({"SORT", "l", "BY", "w_*", "DESC"}), bulks({"a", "c", "b", "d"}));
  EXPECT_EQ(h.run({"SORT", "l", "BY", "w_*", "LIMIT", "1", "2", "GET", "#"}), bulks({"b", "c"}));
  // Missing weights count as 0; ties fall back to the elements.
  EXPECT_EQ(h.run({"SORT", "l", "BY", "missing_*"}), bulks({"a", "b", "c", "d"}));
  EXPECT_EQ(h.run({"SORT", "l", "BY", "missing_*", "DESC"}), bulks({"d", "c", "b", "a"}));
  // Weights are numbers, not text: 10 sorts after 9.
  h.run({"RPUSH", "nums", "10", "9", "100"});
  EXPECT_EQ(h.run({"SORT", "nums", "BY", "w_*"}), bulks({"10", "100", "9"}));
  h.run({"MSET", "w_10", "1", "w_9", "2", "w_100", "0"});
  EXPECT_EQ(h.run({"SORT", "nums", "BY", "w_*"}), bulks({"100", "10", "9"}));
}

TEST(SortCommands, ByPatternWithSuffix) {
  EngineHarness h;
  people(h);
  EXPECT_EQ(h.run({"SORT", "l", "BY", "w_*x"}), bulks({"a", "b", "c", "d"}));
  h.run({"MSET", "w_ax", "4", "w_bx", "3", "w_cx", "2", "w_dx", "1"});
  EXPECT_EQ(h.run({"SORT", "l", "BY", "w_*x"}), bulks({"d", "c", "b", "a"}));
  // Only the first '*' is replaced.
  EXPECT_EQ(h.run({"SORT", "l", "BY", "w_*", "GET", "**"}), array({kNil, kNil, kNil, kNil}));
}

TEST(SortCommands, ByNonNumericWeight) {
  EngineHarness h;
  people(h);
  EXPECT_EQ(h.run({"SORT", "l", "BY", "n_*"}), kNotDouble);
  EXPECT_EQ(h.run({"SORT", "l", "BY", "n_*", "ALPHA"}), bulks({"d", "a", "b", "c"}));
  EXPECT_EQ(h.run({"SORT", "l", "BY", "n_*", "ALPHA", "DESC"}), bulks({"c", "b", "a", "d"}));
}

TEST(SortCommands, AlphaByWeightText) {
  EngineHarness h;
  h.run({"RPUSH", "l", "a", "b", "c"});
  h.run({"MSET", "k_a", "1", "k_b", "10"});  // k_c missing: sorts first
  EXPECT_EQ(h.run({"SORT", "l", "BY", "k_*", "ALPHA"}), bulks({"c", "a", "b"}));
  EXPECT_EQ(h.run({"SORT", "l", "BY", "k_*", "ALPHA", "DESC"}), bulks({"b", "a", "c"}));
  h.run({"MSET", "k_a", "x", "k_b", "3", "k_c", "20"});
  EXPECT_EQ(h.run({"SORT", "l", "BY", "k_*", "ALPHA"}), bulks({"c", "b", "a"}));
  EXPECT_EQ(h.run({"SORT", "l", "BY", "k_*"}), kNotDouble);
}

TEST(SortCommands, ByHashField) {
  EngineHarness h;
  people(h);
  EXPECT_EQ(h.run({"SORT", "l", "BY", "h_*->f"}), bulks({"d", "b", "c", "a"}));
  EXPECT_EQ(h.run({"SORT", "l", "BY", "h_*->f", "DESC", "GET", "h_*->name"}),
            bulks({"A", "C", "B", "D"}));
  EXPECT_EQ(h.run({"SORT", "l", "BY", "h_*->missing"}), bulks({"a", "b", "c", "d"}));
  // "->" with nothing after it is part of the key name, not a field.
  EXPECT_EQ(h.run({"SORT", "l", "BY", "h_*->"}), bulks({"a", "b", "c", "d"}));
  // A field of a key that is not a hash, or a string read as a hash: nothing.
  EXPECT_EQ(h.run({"SORT", "l", "BY", "w_*", "GET", "w_*->f"}), array({kNil, kNil, kNil, kNil}));
  EXPECT_EQ(h.run({"SORT", "l", "BY", "w_*", "GET", "h_*"}), array({kNil, kNil, kNil, kNil}));
  EXPECT_EQ(h.run({"SORT", "l", "BY", "h_*->f", "GET", "h_*->nope"}),
            array({kNil, kNil, kNil, kNil}));
}

TEST(SortCommands, GetPatterns) {
  EngineHarness h;
  people(h);
  EXPECT_EQ(h.run({"SORT", "l", "BY", "w_*", "GET", "#"}), bulks({"d", "b", "c", "a"}));
  EXPECT_EQ(h.run({"SORT", "l", "BY", "w_*", "GET", "n_*"}),
            array({kNil, bulk("bob"), bulk("carol"), bulk("alice")}));
  EXPECT_EQ(h.run({"SORT", "l", "BY", "w_*", "GET", "#", "GET", "n_*", "GET", "h_*->name"}),
            array({bulk("d"), kNil, bulk("D"), bulk("b"), bulk("bob"), bulk("B"), bulk("c"),
                   bulk("carol"), bulk("C"), bulk("a"), bulk("alice"), bulk("A")}));
  // A GET pattern without '*' names nothing.
  EXPECT_EQ(h.run({"SORT", "l", "BY", "w_*", "GET", "nokey"}), array({kNil, kNil, kNil, kNil}));
  // "*" alone is the element used as a key name.
  h.run({"MSET", "a", "sa", "b", "sb"});
  EXPECT_EQ(h.run({"SORT", "l", "BY", "w_*", "GET", "*"}),
            array({kNil, bulk("sb"), kNil, bulk("sa")}));
  // GET does not change how elements are compared: they still must be numbers.
  EXPECT_EQ(h.run({"SORT", "l", "GET", "#"}), kNotDouble);
  EXPECT_EQ(h.run({"SORT", "l", "GET", "n_*"}), kNotDouble);
  EXPECT_EQ(h.run({"SORT", "l", "BY", "nosort", "GET", "n_*"}),
            array({bulk("alice"), bulk("bob"), bulk("carol"), kNil}));
}

TEST(SortCommands, OptionsAreCaseInsensitive) {
  EngineHarness h;
  h.run({"RPUSH", "l", "a", "b", "c"});
  h.run({"MSET", "w_a", "3", "w_b", "2", "w_c", "1"});
  EXPECT_EQ(h.run({"sort", "l", "by", "w_*", "get", "#", "get", "w_*", "limit", "0", "2", "alpha",
                   "desc"}),
            bulks({"a", "3", "b", "2"}));
}

TEST(SortCommands, ExpiredWeightKeysAreMissing) {
  EngineHarness h;
  h.run({"RPUSH", "l", "a", "b", "c"});
  h.run({"MSET", "w_a", "1", "w_b", "2", "w_c", "3"});
  EXPECT_EQ(h.run({"SORT", "l", "BY", "w_*", "DESC"}), bulks({"c", "b", "a"}));
  h.run({"PEXPIRE", "w_c", "50"});
  h.clock().advance_ms(100);
  EXPECT_EQ(h.run({"SORT", "l", "BY", "w_*", "DESC"}), bulks({"b", "a", "c"}));
  EXPECT_EQ(h.run({"SORT", "l", "BY", "w_*", "GET", "w_*"}), array({kNil, bulk("1"), bulk("2")}));
}

// ---------------------------------------------------------------------------
// STORE

TEST(SortCommands, StoreWritesAList) {
  EngineHarness h;
  people(h);
  EXPECT_EQ(h.run({"SORT", "l", "BY", "w_*", "STORE", "out"}), integer(4));
  EXPECT_EQ(h.run({"TYPE", "out"}), simple("list"));
  EXPECT_EQ(h.run({"LRANGE", "out", "0", "-1"}), bulks({"d", "b", "c", "a"}));
  // Missing GET values are stored as empty strings.
  EXPECT_EQ(h.run({"SORT", "l", "BY", "w_*", "GET", "n_*", "STORE", "out"}), integer(4));
  EXPECT_EQ(h.run({"LRANGE", "out", "0", "-1"}), bulks({"", "bob", "carol", "alice"}));
  EXPECT_EQ(h.run({"SORT", "l", "BY", "w_*", "GET", "n_*", "GET", "#", "STORE", "out"}),
            integer(8));
  EXPECT_EQ(h.run({"LRANGE", "out", "0", "-1"}),
            bulks({"", "d", "bob", "b", "carol", "c", "alice", "a"}));
  // Nothing selected: the destination is removed.
  EXPECT_EQ(h.run({"SORT", "l", "BY", "w_*", "LIMIT", "0", "0", "STORE", "out"}), integer(0));
  EXPECT_EQ(h.run({"EXISTS", "out"}), integer(0));
}

TEST(SortCommands, StoreOverwritesAnyTypeAndTheSource) {
  EngineHarness h;
  h.run({"RPUSH", "l", "a", "b", "c"});
  h.run({"HSET", "hh", "f", "v"});
  h.run({"PEXPIRE", "hh", "100000"});
  EXPECT_EQ(h.run({"SORT", "l", "ALPHA", "DESC", "STORE", "hh"}), integer(3));
  EXPECT_EQ(h.run({"TYPE", "hh"}), simple("list"));
  EXPECT_EQ(h.run({"PTTL", "hh"}), integer(-1));
  EXPECT_EQ(h.run({"LRANGE", "hh", "0", "-1"}), bulks({"c", "b", "a"}));
  EXPECT_EQ(h.run({"SORT", "l", "ALPHA", "DESC", "STORE", "l"}), integer(3));
  EXPECT_EQ(h.run({"LRANGE", "l", "0", "-1"}), bulks({"c", "b", "a"}));
  // A repeated STORE: only the last destination is written.
  EXPECT_EQ(h.run({"SORT", "l", "STORE", "a", "STORE", "b", "ALPHA"}), integer(3));
  EXPECT_EQ(h.run({"EXISTS", "a"}), integer(0));
  EXPECT_EQ(h.run({"LRANGE", "b", "0", "-1"}), bulks({"a", "b", "c"}));
}

TEST(SortCommands, StoreWakesBlockedListPop) {
  EngineHarness h;
  PeerClient waiter(h);
  h.run({"RPUSH", "l", "3", "1", "2"});
  EXPECT_EQ(waiter.run({"BLPOP", "dst", "0"}), "");
  EXPECT_EQ(h.run({"SORT", "l", "STORE", "dst"}), integer(3));
  EXPECT_EQ(waiter.take(), bulks({"dst", "1"}));
  EXPECT_EQ(h.run({"LRANGE", "dst", "0", "-1"}), bulks({"2", "3"}));
}

TEST(SortCommands, StoreNotifies) {
  EngineHarness h;
  PeerClient sub(h);
  auto event = [](std::string_view name, std::string_view key) {
    return arr({bulk("pmessage"), bulk("__keyevent@0__:*"),
                bulk("__keyevent@0__:" + std::string(name)), bulk(key)});
  };
  h.run({"CONFIG", "SET", "notify-keyspace-events", "KEA"});
  sub.run({"PSUBSCRIBE", "__keyevent@0__:*"});
  h.run({"RPUSH", "l", "3", "1", "2"});
  EXPECT_EQ(sub.take(), event("rpush", "l"));
  EXPECT_EQ(h.run({"SORT", "l", "STORE", "dst"}), integer(3));
  EXPECT_EQ(sub.take(), event("sortstore", "dst"));
  EXPECT_EQ(h.run({"SORT", "missing", "STORE", "dst"}), integer(0));
  EXPECT_EQ(sub.take(), event("del", "dst"));
  EXPECT_EQ(h.run({"SORT", "missing", "STORE", "dst"}), integer(0));
  EXPECT_EQ(h.run({"SORT", "l"}), bulks({"1", "2", "3"}));
  EXPECT_EQ(sub.take(), "");
}

TEST(SortCommands, Keys) {
  EngineHarness h;
  EXPECT_EQ(h.run({"COMMAND", "GETKEYS", "SORT", "l"}), bulks({"l"}));
  EXPECT_EQ(h.run({"COMMAND", "GETKEYS", "SORT", "l", "BY", "w_*", "STORE", "a", "STORE", "b"}),
            bulks({"l", "b"}));
  EXPECT_EQ(h.run({"COMMAND", "GETKEYS", "SORT", "l", "LIMIT", "0", "1", "GET", "#", "STORE", "d"}),
            bulks({"l", "d"}));
  EXPECT_EQ(h.run({"COMMAND", "GETKEYS", "SORT", "l", "STORE"}), bulks({"l"}));
  EXPECT_EQ(h.run({"COMMAND", "GETKEYS", "SORT", "l", "GET", "STORE", "x"}), bulks({"l"}));
  EXPECT_EQ(h.run({"COMMAND", "GETKEYS", "SORT", "l", "LIMIT", "STORE", "x", "y"}), bulks({"l"}));
  EXPECT_EQ(h.run({"COMMAND", "GETKEYS", "SORT_RO", "l"}), bulks({"l"}));
  EXPECT_EQ(h.run({"COMMAND", "GETKEYS", "SORT_RO", "l", "STORE", "x"}), bulks({"l"}));
}

// ---------------------------------------------------------------------------
// Sets and sorted sets

TEST(SortCommands, IntegerSet) {
  EngineHarness h;
  h.run({"SADD", "s", "5", "3", "9", "1"});
  EXPECT_EQ(h.run({"SORT", "s"}), bulks({"1", "3", "5", "9"}));
  EXPECT_EQ(h.run({"SORT", "s", "DESC"}), bulks({"9", "5", "3", "1"}));
  EXPECT_EQ(h.run({"SORT", "s", "LIMIT", "1", "2"}), bulks({"3", "5"}));
  // BY nosort: the set's own order (an intset's is ascending), DESC ignored.
  EXPECT_EQ(h.run({"SORT", "s", "BY", "nosort"}), bulks({"1", "3", "5", "9"}));
  EXPECT_EQ(h.run({"SORT", "s", "BY", "nosort", "DESC"}), bulks({"1", "3", "5", "9"}));
  EXPECT_EQ(h.run({"SORT", "s", "BY", "nosort", "LIMIT", "1", "2"}), bulks({"3", "5"}));
  EXPECT_EQ(h.run({"SORT", "s", "BY", "nosort", "STORE", "o"}), integer(4));
  EXPECT_EQ(h.run({"LRANGE", "o", "0", "-1"}), bulks({"1", "3", "5", "9"}));
}

TEST(SortCommands, SetNosortStoreSortsAlphabetically) {
  EngineHarness h;
  h.run({"SADD", "t", "banana", "apple", "cherry"});
  EXPECT_EQ(h.run({"SORT", "t", "ALPHA"}), bulks({"apple", "banana", "cherry"}));
  EXPECT_EQ(h.run({"SORT", "t"}), kNotDouble);
  // With STORE the set's layout must not leak out: kvd, like Redis, sorts.
  EXPECT_EQ(h.run({"SORT", "t", "BY", "nosort", "STORE", "o"}), integer(3));
  EXPECT_EQ(h.run({"LRANGE", "o", "0", "-1"}), bulks({"apple", "banana", "cherry"}));
  EXPECT_EQ(h.run({"SORT", "t", "BY", "nosort", "DESC", "STORE", "o"}), integer(3));
  EXPECT_EQ(h.run({"LRANGE", "o", "0", "-1"}), bulks({"cherry", "banana", "apple"}));
  EXPECT_EQ(h.run({"SORT", "t", "BY", "nosort", "LIMIT", "1", "1", "STORE", "o"}), integer(1));
  EXPECT_EQ(h.run({"LRANGE", "o", "0", "-1"}), bulks({"banana"}));
  EXPECT_EQ(h.run({"SORT", "t", "BY", "nosort", "GET", "#", "STORE", "o"}), integer(3));
  EXPECT_EQ(h.run({"LRANGE", "o", "0", "-1"}), bulks({"apple", "banana", "cherry"}));
}

TEST(SortCommands, SetByWeights) {
  EngineHarness h;
  h.run({"SADD", "t", "banana", "apple", "cherry"});
  h.run({"MSET", "w_banana", "1", "w_apple", "3", "w_cherry", "2"});
  EXPECT_EQ(h.run({"SORT", "t", "BY", "w_*"}), bulks({"banana", "cherry", "apple"}));
  EXPECT_EQ(h.run({"SORT", "t", "BY", "w_*", "DESC", "GET", "w_*"}), bulks({"3", "2", "1"}));
}

TEST(SortCommands, NosortSetInAScriptIsSorted) {
  EngineHarness h;
  h.run({"SADD", "t", "banana", "apple", "cherry"});
  h.run({"SADD", "n", "3", "1", "2"});
  const std::string sort = "return redis.call('SORT', KEYS[1], 'BY', 'nosort')";
  EXPECT_EQ(h.run({"EVAL", sort, "1", "t"}), bulks({"apple", "banana", "cherry"}));
  EXPECT_EQ(h.run({"EVAL", sort, "1", "n"}), bulks({"1", "2", "3"}));
  EXPECT_EQ(h.run({"EVAL", "return redis.call('SORT', KEYS[1], 'BY', 'nosort', 'DESC')", "1", "t"}),
            bulks({"cherry", "banana", "apple"}));
  EXPECT_EQ(
      h.run({"EVAL", "return redis.call('SORT_RO', KEYS[1], 'BY', 'nosort', 'LIMIT', '0', '2')",
             "1", "t"}),
      bulks({"apple", "banana"}));
  EXPECT_EQ(
      h.run({"EVAL", "return redis.call('SORT', KEYS[1], 'BY', 'nosort', 'GET', 'w_*')", "1", "t"}),
      array({kNil, kNil, kNil}));
}

TEST(SortCommands, SortedSet) {
  EngineHarness h;
  h.run({"ZADD", "z", "3", "c", "1", "a", "2", "b", "10", "d"});
  EXPECT_EQ(h.run({"SORT", "z", "ALPHA"}), bulks({"a", "b", "c", "d"}));
  EXPECT_EQ(h.run({"SORT", "z"}), kNotDouble);
  // BY nosort: score order, DESC walks from the top.
  EXPECT_EQ(h.run({"SORT", "z", "BY", "nosort"}), bulks({"a", "b", "c", "d"}));
  EXPECT_EQ(h.run({"SORT", "z", "BY", "nosort", "DESC"}), bulks({"d", "c", "b", "a"}));
  EXPECT_EQ(h.run({"SORT", "z", "BY", "nosort", "LIMIT", "1", "2"}), bulks({"b", "c"}));
  EXPECT_EQ(h.run({"SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "2"}), bulks({"c", "b"}));
  EXPECT_EQ(h.run({"SORT", "z", "BY", "nosort", "DESC", "LIMIT", "3", "2"}), bulks({"a"}));
  EXPECT_EQ(h.run({"SORT", "z", "BY", "nosort", "DESC", "LIMIT", "4", "2"}), kEmptyArray);
  EXPECT_EQ(h.run({"SORT", "z", "BY", "nosort", "STORE", "o"}), integer(4));
  EXPECT_EQ(h.run({"LRANGE", "o", "0", "-1"}), bulks({"a", "b", "c", "d"}));
  EXPECT_EQ(h.run({"ZRANGE", "z", "0", "-1"}), bulks({"a", "b", "c", "d"}));  // untouched
}

TEST(SortCommands, BigSetAndSortedSet) {
  EngineHarness h;
  std::vector<std::string> sadd{"SADD", "s"};
  std::vector<std::string> zadd{"ZADD", "z"};
  for (int i = 0; i < 600; ++i) {
    sadd.push_back("m" + std::to_string(i));
    zadd.push_back(std::to_string(600 - i));
    zadd.push_back("m" + std::to_string(i));
  }
  EXPECT_EQ(h.run(sadd), integer(600));
  EXPECT_EQ(h.run(zadd), integer(600));
  EXPECT_EQ(h.run({"SORT", "s", "ALPHA", "LIMIT", "0", "3"}), bulks({"m0", "m1", "m10"}));
  EXPECT_EQ(h.run({"SORT", "s", "ALPHA", "DESC", "LIMIT", "0", "2"}), bulks({"m99", "m98"}));
  EXPECT_EQ(h.run({"SORT", "s", "BY", "nosort", "STORE", "o"}), integer(600));
  EXPECT_EQ(h.run({"LRANGE", "o", "0", "2"}), bulks({"m0", "m1", "m10"}));
  EXPECT_EQ(h.run({"SORT", "z", "BY", "nosort", "LIMIT", "0", "2"}), bulks({"m599", "m598"}));
  EXPECT_EQ(h.run({"SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "2"}), bulks({"m1", "m2"}));
  EXPECT_EQ(h.run({"SORT", "z", "ALPHA", "DESC", "LIMIT", "0", "1"}), bulks({"m99"}));
}

TEST(SortCommands, BigListSpanningNodes) {
  EngineHarness h;
  std::vector<std::string> args{"RPUSH", "big"};
  for (int i = 0; i < 1000; ++i) args.push_back(std::to_string((i * 7919) % 1000));
  EXPECT_EQ(h.run(args), integer(1000));
  EXPECT_EQ(h.run({"SORT", "big", "LIMIT", "0", "3"}), bulks({"0", "1", "2"}));
  EXPECT_EQ(h.run({"SORT", "big", "DESC", "LIMIT", "0", "3"}), bulks({"999", "998", "997"}));
  EXPECT_EQ(h.run({"SORT", "big", "LIMIT", "500", "2"}), bulks({"500", "501"}));
  EXPECT_EQ(h.run({"SORT", "big", "ALPHA", "LIMIT", "0", "3"}), bulks({"0", "1", "10"}));
  EXPECT_EQ(h.run({"SORT", "big", "BY", "nosort", "LIMIT", "998", "5"}),
            bulks({std::to_string((998 * 7919) % 1000), std::to_string((999 * 7919) % 1000)}));
  EXPECT_EQ(h.run({"SORT", "big", "STORE", "out"}), integer(1000));
  EXPECT_EQ(h.run({"LINDEX", "out", "999"}), bulk("999"));
}

}  // namespace
}  // namespace kvd::test
