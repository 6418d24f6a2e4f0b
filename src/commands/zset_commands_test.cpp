#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "kvd/engine/blocking.hpp"
#include "kvd/engine/types/zset.hpp"
#include "support/engine_harness.hpp"
#include "support/fake_object.hpp"

// Expected replies were checked against redis-server 7.0.15.
namespace kvd::test {
namespace {

using engine::ZSet;

std::string arr(std::initializer_list<std::string> items) {
  return array(items);
}

// ---------------------------------------------------------------- the type

TEST(ZSetType, ScoreCodecRoundTrips) {
  for (double d : {0.0, 1.0, -1.0, 127.0, 128.0, -129.0, 1e15, -9007199254740991.0, 0.5, -0.0,
                   1e300, 3.14159}) {
    char buf[8];
    size_t n = engine::encode_score(d, buf);
    double back = engine::decode_score(std::string_view(buf, n));
    EXPECT_EQ(back, d);
    EXPECT_EQ(std::signbit(back), std::signbit(d));
  }
  char buf[8];
  EXPECT_EQ(engine::encode_score(5, buf), 1u);
  EXPECT_EQ(engine::encode_score(0, buf), 0u);
}

// Compares a ZSet against a std::set model after random operations, in both
// encodings (small limits force the skiplist early).
void random_model_check(size_t max_entries, unsigned seed) {
  std::mt19937 rng(seed);
  ZSet z;
  ZSet::Limits lim{max_entries, 64};
  std::map<std::string, double> by_member;
  for (int op = 0; op < 3000; ++op) {
    std::string m = "m" + std::to_string(rng() % 300);
    if (rng() % 4 == 0) {
      EXPECT_EQ(z.remove(m), by_member.erase(m) == 1);
    } else {
      double s = static_cast<double>(rng() % 50);
      bool added;
      z.set(m, s, lim, &added);
      EXPECT_EQ(added, by_member.count(m) == 0);
      by_member[m] = s;
    }
  }
  std::vector<std::pair<double, std::string>> model;
  for (auto& [m, s] : by_member) model.emplace_back(s, m);
  std::sort(model.begin(), model.end());
  ASSERT_EQ(z.size(), model.size());
  for (size_t i = 0; i < model.size(); ++i) {
    EXPECT_EQ(z.rank(model[i].second), static_cast<int64_t>(i));
    std::string_view m;
    double s;
    z.at(i, &m, &s);
    EXPECT_EQ(m, model[i].second);
    EXPECT_EQ(s, model[i].first);
  }
  // Reverse walk from the top.
  size_t i = model.size();
  z.for_range(model.size() - 1, model.size(), true, [&](std::string_view m, double) {
    --i;
    EXPECT_EQ(m, model[i].second);
  });
  EXPECT_EQ(i, 0u);
  // Score ranges agree with counting the model.
  for (int t = 0; t < 50; ++t) {
    engine::ScoreRange r{static_cast<double>(rng() % 50), static_cast<double>(rng() % 50),
                         rng() % 2 == 0, rng() % 2 == 0};
    size_t expect = 0;
    for (auto& [s, m] : model) {
      bool ok_min = r.minex ? s > r.min : s >= r.min;
      bool ok_max = r.maxex ? s < r.max : s <= r.max;
      if (ok_min && ok_max) ++expect;
    }
    size_t lo = z.score_lower(r), hi = z.score_upper(r);
    EXPECT_EQ(hi > lo ? hi - lo : 0, expect);
  }
  // Erasing a rank range keeps ranks consistent.
  if (model.size() > 20) {
    z.erase_range(5, 10);
    model.erase(model.begin() + 5, model.begin() + 15);
    ASSERT_EQ(z.size(), model.size());
    for (size_t k = 0; k < model.size(); ++k)
      EXPECT_EQ(z.rank(model[k].second), static_cast<int64_t>(k));
  }
}

TEST(ZSetType, RandomOperationsMatchModelSkiplist) {
  for (unsigned seed = 1; seed <= 3; ++seed) random_model_check(0, seed);
}

TEST(ZSetType, RandomOperationsMatchModelListpack) {
  random_model_check(1000, 7);
}

TEST(ZSetType, ScanSkiplistVisitsEverything) {
  ZSet z;
  ZSet::Limits lim{0, 0};
  for (int i = 0; i < 1000; ++i) {
    bool a;
    z.set("e" + std::to_string(i), i, lim, &a);
  }
  std::set<std::string> seen;
  uint64_t cursor = 0;
  do {
    cursor = z.scan(cursor, [&](std::string_view m, double) { seen.insert(std::string(m)); });
  } while (cursor != 0);
  EXPECT_EQ(seen.size(), 1000u);
}

// ---------------------------------------------------------------- commands

TEST(ZSetCommands, ZAddBasicsAndEncodingConversion) {
  EngineHarness h;
  EXPECT_EQ(h.run({"ZADD", "z", "1", "a", "2", "b"}), integer(2));
  EXPECT_EQ(encoding_of(h, "z"), "listpack");
  EXPECT_EQ(h.run({"TYPE", "z"}), simple("zset"));
  EXPECT_EQ(h.run({"ZCARD", "z"}), integer(2));
  EXPECT_EQ(h.run({"ZSCORE", "z", "b"}), bulk("2"));
  EXPECT_EQ(h.run({"ZADD", "z", "CH", "3", "b", "1", "a"}), integer(1));
  // Past 128 entries the set becomes a skiplist.
  for (int i = 0; i < 127; ++i) h.run({"ZADD", "z", std::to_string(i), "m" + std::to_string(i)});
  EXPECT_EQ(h.run({"ZCARD", "z"}), integer(129));
  EXPECT_EQ(encoding_of(h, "z"), "skiplist");
  // A long member converts at once.
  h.run({"ZADD", "y", "1", "a"});
  EXPECT_EQ(encoding_of(h, "y"), "listpack");
  h.run({"ZADD", "y", "1", std::string(65, 'x')});
  EXPECT_EQ(encoding_of(h, "y"), "skiplist");
  h.run({"CONFIG", "SET", "zset-max-ziplist-entries", "2"});
  h.run({"ZADD", "w", "1", "a", "2", "b"});
  EXPECT_EQ(encoding_of(h, "w"), "listpack");
  h.run({"ZADD", "w", "3", "c"});
  EXPECT_EQ(encoding_of(h, "w"), "skiplist");
}

TEST(ZSetCommands, ZAddOptionErrors) {
  EngineHarness h;
  EXPECT_EQ(h.run({"ZADD", "z", "NX", "XX", "1", "a"}),
            error("ERR XX and NX options at the same time are not compatible"));
  EXPECT_EQ(h.run({"ZADD", "z", "GT", "LT", "1", "a"}),
            error("ERR GT, LT, and/or NX options at the same time are not compatible"));
  EXPECT_EQ(h.run({"ZADD", "z", "INCR", "1", "a", "2", "b"}),
            error("ERR INCR option supports a single increment-element pair"));
  EXPECT_EQ(h.run({"ZADD", "z", "x", "a"}), error("ERR value is not a valid float"));
  EXPECT_EQ(h.run({"ZADD", "z", "1", "a", "2"}), error("ERR syntax error"));
  EXPECT_EQ(h.run({"ZADD", "z", "nan", "a"}), error("ERR value is not a valid float"));
  EXPECT_EQ(h.run({"EXISTS", "z"}), integer(0));
  h.run({"ZADD", "z", "inf", "a"});
  EXPECT_EQ(h.run({"ZINCRBY", "z", "-inf", "a"}),
            error("ERR resulting score is not a number (NaN)"));
  EXPECT_EQ(h.run({"ZSCORE", "z", "a"}), bulk("inf"));
  h.run({"SET", "s", "x"});
  EXPECT_EQ(h.run({"ZADD", "s", "1", "a"}).substr(0, 10), "-WRONGTYPE");
}

TEST(ZSetCommands, ZAddFlags) {
  EngineHarness h;
  EXPECT_EQ(h.run({"ZADD", "z", "XX", "1", "a"}), integer(0));
  EXPECT_EQ(h.run({"EXISTS", "z"}), integer(0));
  EXPECT_EQ(h.run({"ZADD", "z", "XX", "INCR", "1", "a"}), kNil);
  EXPECT_EQ(h.run({"ZADD", "z", "NX", "5", "a"}), integer(1));
  EXPECT_EQ(h.run({"ZADD", "z", "NX", "6", "a"}), integer(0));
  EXPECT_EQ(h.run({"ZADD", "z", "GT", "CH", "4", "a"}), integer(0));
  EXPECT_EQ(h.run({"ZADD", "z", "GT", "CH", "7", "a"}), integer(1));
  EXPECT_EQ(h.run({"ZADD", "z", "LT", "INCR", "1", "a"}), kNil);
  EXPECT_EQ(h.run({"ZADD", "z", "INCR", "1.5", "a"}), bulk("8.5"));
  EXPECT_EQ(h.run({"ZINCRBY", "z", "2", "b"}), bulk("2"));
}

TEST(ZSetCommands, RanksAndRanges) {
  EngineHarness h;
  h.run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"});
  EXPECT_EQ(h.run({"ZRANK", "z", "c"}), integer(2));
  EXPECT_EQ(h.run({"ZREVRANK", "z", "c"}), integer(1));
  EXPECT_EQ(h.run({"ZRANK", "z", "x"}), kNil);
  EXPECT_EQ(h.run({"ZRANGE", "z", "0", "-1"}), arr({bulk("a"), bulk("b"), bulk("c"), bulk("d")}));
  EXPECT_EQ(h.run({"ZRANGE", "z", "-2", "100", "WITHSCORES"}),
            arr({bulk("c"), bulk("3"), bulk("d"), bulk("4")}));
  EXPECT_EQ(h.run({"ZREVRANGE", "z", "0", "1"}), arr({bulk("d"), bulk("c")}));
  EXPECT_EQ(h.run({"ZRANGEBYSCORE", "z", "(1", "3"}), arr({bulk("b"), bulk("c")}));
  EXPECT_EQ(h.run({"ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", "2"}),
            arr({bulk("b"), bulk("c")}));
  EXPECT_EQ(h.run({"ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "1", "2"}),
            arr({bulk("c"), bulk("b")}));
  EXPECT_EQ(h.run({"ZRANGE", "z", "(4", "2", "BYSCORE", "REV"}), arr({bulk("c"), bulk("b")}));
  EXPECT_EQ(
      h.run({"ZRANGE", "z", "0", "1", "LIMIT", "0", "1"}),
      error(
          "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"));
  EXPECT_EQ(h.run({"ZRANGEBYSCORE", "z", "x", "1"}), error("ERR min or max is not a float"));
  EXPECT_EQ(h.run({"ZCOUNT", "z", "2", "(4"}), integer(2));
  EXPECT_EQ(h.run({"ZRANGE", "z", "5", "10"}), "*0\r\n");
  EXPECT_EQ(h.run({"ZRANGE", "missing", "0", "-1"}), "*0\r\n");
}

TEST(ZSetCommands, LexRanges) {
  EngineHarness h;
  h.run({"ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d"});
  EXPECT_EQ(h.run({"ZRANGEBYLEX", "z", "[b", "(d"}), arr({bulk("b"), bulk("c")}));
  EXPECT_EQ(h.run({"ZREVRANGEBYLEX", "z", "+", "-", "LIMIT", "0", "2"}),
            arr({bulk("d"), bulk("c")}));
  EXPECT_EQ(h.run({"ZLEXCOUNT", "z", "-", "+"}), integer(4));
  EXPECT_EQ(h.run({"ZLEXCOUNT", "z", "b", "+"}),
            error("ERR min or max not valid string range item"));
  EXPECT_EQ(h.run({"ZREMRANGEBYLEX", "z", "[a", "[b"}), integer(2));
  EXPECT_EQ(h.run({"ZRANGE", "z", "0", "-1"}), arr({bulk("c"), bulk("d")}));
}

TEST(ZSetCommands, RemoveAndRemRanges) {
  EngineHarness h;
  h.run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"});
  EXPECT_EQ(h.run({"ZREM", "z", "a", "x"}), integer(1));
  EXPECT_EQ(h.run({"ZREMRANGEBYRANK", "z", "0", "0"}), integer(1));
  EXPECT_EQ(h.run({"ZREMRANGEBYSCORE", "z", "(3", "4"}), integer(1));
  EXPECT_EQ(h.run({"ZRANGE", "z", "0", "-1"}), arr({bulk("c"), bulk("e")}));
  EXPECT_EQ(h.run({"ZREM", "z", "c", "e"}), integer(2));
  EXPECT_EQ(h.run({"EXISTS", "z"}), integer(0));
}

TEST(ZSetCommands, PopsAndMPop) {
  EngineHarness h;
  h.run({"ZADD", "z", "1", "a", "2", "b", "3", "c"});
  EXPECT_EQ(h.run({"ZPOPMIN", "z"}), arr({bulk("a"), bulk("1")}));
  EXPECT_EQ(h.run({"ZPOPMAX", "z", "5"}), arr({bulk("c"), bulk("3"), bulk("b"), bulk("2")}));
  EXPECT_EQ(h.run({"EXISTS", "z"}), integer(0));
  EXPECT_EQ(h.run({"ZPOPMIN", "z"}), "*0\r\n");
  EXPECT_EQ(h.run({"ZPOPMIN", "z", "-1"}), error("ERR value is out of range, must be positive"));
  h.run({"ZADD", "z2", "1", "a", "2", "b"});
  EXPECT_EQ(h.run({"ZMPOP", "2", "z", "z2", "MAX", "COUNT", "1"}),
            arr({bulk("z2"), arr({arr({bulk("b"), bulk("2")})})}));
  EXPECT_EQ(h.run({"ZMPOP", "1", "z", "MIN"}), "*-1\r\n");
  EXPECT_EQ(h.run({"ZMPOP", "0", "z", "MIN"}), error("ERR numkeys should be greater than 0"));
  EXPECT_EQ(h.run({"ZMPOP", "1", "z2", "MIN", "COUNT", "0"}),
            error("ERR count should be greater than 0"));
  h.client().resp = 3;
  EXPECT_EQ(h.run({"ZPOPMIN", "z2", "1"}), arr({arr({bulk("a"), ",1\r\n"})}));
}

TEST(ZSetCommands, SetOperations) {
  EngineHarness h;
  h.run({"ZADD", "a", "1", "x", "2", "y"});
  h.run({"ZADD", "b", "3", "y", "4", "z"});
  EXPECT_EQ(h.run({"ZUNION", "2", "a", "b", "WITHSCORES"}),
            arr({bulk("x"), bulk("1"), bulk("z"), bulk("4"), bulk("y"), bulk("5")}));
  EXPECT_EQ(h.run({"ZINTER", "2", "a", "b", "AGGREGATE", "MAX", "WITHSCORES"}),
            arr({bulk("y"), bulk("3")}));
  EXPECT_EQ(h.run({"ZDIFF", "2", "a", "b"}), arr({bulk("x")}));
  EXPECT_EQ(h.run({"ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "2", "1"}), integer(3));
  EXPECT_EQ(h.run({"ZRANGE", "d", "0", "-1", "WITHSCORES"}),
            arr({bulk("x"), bulk("2"), bulk("z"), bulk("4"), bulk("y"), bulk("7")}));
  EXPECT_EQ(h.run({"ZINTERCARD", "2", "a", "b"}), integer(1));
  EXPECT_EQ(h.run({"ZINTERCARD", "2", "a", "b", "LIMIT", "-1"}),
            error("ERR LIMIT can't be negative"));
  EXPECT_EQ(h.run({"ZUNIONSTORE", "d", "0", "a"}),
            error("ERR at least 1 input key is needed for 'zunionstore' command"));
  EXPECT_EQ(h.run({"ZINTERSTORE", "d", "2", "a", "missing"}), integer(0));
  EXPECT_EQ(h.run({"EXISTS", "d"}), integer(0));
  EXPECT_EQ(h.run({"ZUNION", "2", "a", "b", "WEIGHTS", "1", "x"}),
            error("ERR weight value is not a float"));
}

TEST(ZSetCommands, RangeStoreAndCopy) {
  EngineHarness h;
  h.run({"ZADD", "z", "1", "a", "2", "b", "3", "c"});
  EXPECT_EQ(h.run({"ZRANGESTORE", "d", "z", "1", "-1"}), integer(2));
  EXPECT_EQ(h.run({"ZRANGE", "d", "0", "-1"}), arr({bulk("b"), bulk("c")}));
  EXPECT_EQ(h.run({"ZRANGESTORE", "d", "z", "10", "20"}), integer(0));
  EXPECT_EQ(h.run({"EXISTS", "d"}), integer(0));
  EXPECT_EQ(h.run({"COPY", "z", "c"}), integer(1));
  h.run({"ZADD", "z", "9", "a"});
  EXPECT_EQ(h.run({"ZRANGE", "c", "0", "-1"}), arr({bulk("a"), bulk("b"), bulk("c")}));
  EXPECT_EQ(encoding_of(h, "c"), "listpack");
}

TEST(ZSetCommands, ScoreFormattingAndResp3) {
  EngineHarness h;
  h.run({"ZADD", "z", "1.5", "a", "-inf", "b", "1e20", "c"});
  EXPECT_EQ(h.run({"ZSCORE", "z", "b"}), bulk("-inf"));
  EXPECT_EQ(h.run({"ZSCORE", "z", "c"}), bulk("1e+20"));
  EXPECT_EQ(h.run({"ZMSCORE", "z", "a", "x"}), arr({bulk("1.5"), kNil}));
  h.client().resp = 3;
  EXPECT_EQ(h.run({"ZSCORE", "z", "a"}), ",1.5\r\n");
  EXPECT_EQ(h.run({"ZRANGE", "z", "0", "0", "WITHSCORES"}), arr({arr({bulk("b"), ",-inf\r\n"})}));
}

TEST(ZSetCommands, RandMemberAndScan) {
  EngineHarness h;
  h.run({"ZADD", "z", "1", "a", "2", "b", "3", "c"});
  EXPECT_EQ(h.run({"ZRANDMEMBER", "z", "5"}), arr({bulk("a"), bulk("b"), bulk("c")}));
  EXPECT_EQ(h.run({"ZRANDMEMBER", "z", "0"}), "*0\r\n");
  EXPECT_EQ(h.run({"ZRANDMEMBER", "missing"}), kNil);
  EXPECT_EQ(h.run({"ZRANDMEMBER", "z", "-9223372036854775808"}).substr(0, 25),
            "-ERR value is out of rang");
  std::string r = h.run({"ZRANDMEMBER", "z", "-5"});
  EXPECT_EQ(r.substr(0, 4), "*5\r\n");
  EXPECT_EQ(
      h.run({"ZSCAN", "z", "0"}),
      arr({bulk("0"), arr({bulk("a"), bulk("1"), bulk("b"), bulk("2"), bulk("c"), bulk("3")})}));
  EXPECT_EQ(h.run({"ZSCAN", "z", "0", "MATCH", "b"}),
            arr({bulk("0"), arr({bulk("b"), bulk("2")})}));
  EXPECT_EQ(h.run({"ZSCAN", "z", "x"}), error("ERR invalid cursor"));
}

// Redis issue #2175: a subnormal score makes strtod report ERANGE, yet it is a
// valid score; only overflow to infinity and underflow to zero are refused.
TEST(ZSetCommands, SubnormalScoresAreAcceptedAndScanned) {
  EngineHarness h;
  const std::string tiny = "9.8813129168249309e-323";
  EXPECT_EQ(h.run({"ZADD", "z", tiny, "a"}), ":1\r\n");
  EXPECT_EQ(h.run({"ZSCORE", "z", "a"}), bulk(tiny));
  EXPECT_EQ(h.run({"ZSCAN", "z", "0"}), arr({bulk("0"), arr({bulk("a"), bulk(tiny)})}));
  for (int i = 0; i < 200; ++i) h.run({"ZADD", "big", tiny, std::to_string(i)});
  EXPECT_EQ(encoding_of(h, "big"), "skiplist");
  std::string r = h.run({"ZSCAN", "big", "0", "COUNT", "1000"});
  EXPECT_NE(r.find(bulk(tiny)), std::string::npos);
  EXPECT_EQ(r.find(bulk("0") + bulk("0")), std::string::npos);
  EXPECT_EQ(h.run({"ZADD", "z", "1e400", "a"}), error("ERR value is not a valid float"));
  EXPECT_EQ(h.run({"ZADD", "z", "-1e400", "a"}), error("ERR value is not a valid float"));
  EXPECT_EQ(h.run({"ZADD", "z", "1e-400", "a"}), error("ERR value is not a valid float"));
  EXPECT_EQ(h.run({"ZUNIONSTORE", "d", "1", "z", "WEIGHTS", tiny}), ":1\r\n");
}

// A second connection whose out-of-band replies (an unblocked BZPOPMIN) can
// be read back.
class Waiter {
 public:
  explicit Waiter(EngineHarness& h) : h_(h), writer_(out_) {
    client_.id = h.engine().next_client_id();
    client_.writer = &writer_;
    h.engine().add_client(&client_);
  }
  ~Waiter() { h_.engine().remove_client(&client_); }
  std::string run(std::initializer_list<std::string_view> args) {
    std::vector<std::string_view> v(args);
    h_.engine().execute(client_, engine::Args(v.data(), v.size()), writer_);
    return take();
  }
  std::string take() {
    std::string s = out_.to_string();
    out_.clear();
    return s;
  }
  engine::Client& client() { return client_; }

 private:
  EngineHarness& h_;
  engine::Client client_;
  protocol::OutputBuffer out_;
  protocol::ReplyWriter writer_;
};

TEST(ZSetBlocking, BZPopMinServesAndWakes) {
  EngineHarness h;
  h.run({"ZADD", "z", "1", "a", "2", "b"});
  Waiter w(h);
  EXPECT_EQ(w.run({"BZPOPMIN", "none", "z", "0"}), arr({bulk("z"), bulk("a"), bulk("1")}));
  EXPECT_EQ(w.run({"BZPOPMAX", "q", "0"}), "");
  EXPECT_TRUE(w.client().blocked);
  h.run({"ZADD", "q", "5", "x", "6", "y"});
  EXPECT_EQ(w.take(), arr({bulk("q"), bulk("y"), bulk("6")}));
  EXPECT_FALSE(w.client().blocked);
  EXPECT_EQ(w.run({"BZMPOP", "0", "1", "q2", "MIN", "COUNT", "2"}), "");
  h.run({"ZADD", "q2", "1", "a"});
  EXPECT_EQ(w.take(), arr({bulk("q2"), arr({arr({bulk("a"), bulk("1")})})}));
  EXPECT_EQ(w.run({"BZPOPMIN", "q3", "0.1"}), "");
  h.clock().advance_ms(200);
  h.engine().expire_blocked_clients(h.clock().now_ms());
  EXPECT_EQ(w.take(), "*-1\r\n");
  EXPECT_EQ(h.run({"BZPOPMIN", "z", "-1"}), error("ERR timeout is negative"));
}

}  // namespace
}  // namespace kvd::test
