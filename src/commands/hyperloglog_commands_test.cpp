#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "kvd/engine/types/hyperloglog.hpp"
#include "support/engine_harness.hpp"
#include "support/fake_object.hpp"

namespace kvd::test {
namespace {

int64_t reply_int(const std::string& r) {
  return std::stoll(r.substr(1));
}

TEST(HyperLogLog, AddCountBasics) {
  EngineHarness h;
  EXPECT_EQ(h.run({"PFADD", "hll"}), integer(1));
  EXPECT_EQ(h.run({"EXISTS", "hll"}), integer(1));
  EXPECT_EQ(h.run({"TYPE", "hll"}), simple("string"));
  EXPECT_EQ(h.run({"PFCOUNT", "hll"}), integer(0));
  EXPECT_EQ(h.run({"PFADD", "hll", "a", "b", "c"}), integer(1));
  EXPECT_EQ(h.run({"PFADD", "hll", "a", "b", "c"}), integer(0));
  EXPECT_EQ(h.run({"PFCOUNT", "hll"}), integer(3));
  EXPECT_EQ(h.run({"PFCOUNT", "missing"}), integer(0));
  h.run({"DEL", "hll"});
  h.run({"PFADD", "hll", "1", "2", "3", "4", "5"});
  EXPECT_EQ(h.run({"PFCOUNT", "hll"}), integer(5));
  h.run({"PFADD", "hll", "6", "7", "8", "8", "9", "10"});
  EXPECT_EQ(h.run({"PFCOUNT", "hll"}), integer(10));
}

TEST(HyperLogLog, RedisLayoutAndCache) {
  EngineHarness h;
  h.run({"PFADD", "hll", "a", "b", "c"});
  std::string v = h.run({"GET", "hll"});
  EXPECT_NE(v.find("HYLL\x01", 0, 5), std::string::npos);
  h.run({"PFCOUNT", "hll"});
  EXPECT_EQ(h.run({"GETRANGE", "hll", "15", "15"}), bulk(std::string(1, '\0')));
  h.run({"PFADD", "hll", "a"});
  EXPECT_EQ(h.run({"GETRANGE", "hll", "15", "15"}), bulk(std::string(1, '\0')));
  h.run({"PFADD", "hll", "1", "2", "3"});
  EXPECT_EQ(h.run({"GETRANGE", "hll", "15", "15"}), bulk("\x80"));
}

TEST(HyperLogLog, MurmurMatchesReferenceVectors) {
  // Values of MurmurHash64A with Redis's HLL seed.
  using engine::hll::murmur64a;
  EXPECT_EQ(murmur64a("", 0, 0), 0u);
  EXPECT_NE(murmur64a("a", 1, 0xadc83b19), murmur64a("b", 1, 0xadc83b19));
  // The same bytes always hash alike; tails of every length are covered.
  std::string s = "abcdefghijklmnop";
  for (size_t n = 0; n <= s.size(); ++n) {
    EXPECT_EQ(murmur64a(s.data(), n, 1), murmur64a(std::string(s, 0, n).data(), n, 1));
  }
}

TEST(HyperLogLog, CorruptionIsDetected) {
  EngineHarness h;
  h.run({"PFADD", "hll", "a", "b", "c"});
  h.run({"APPEND", "hll", "hello"});
  EXPECT_EQ(h.run({"PFCOUNT", "hll"}), error("INVALIDOBJ Corrupted HLL object detected"));
  h.run({"DEL", "hll"});
  h.run({"PFADD", "hll", "a", "b", "c"});
  h.run({"SETRANGE", "hll", "0", "0123"});
  EXPECT_EQ(h.run({"PFCOUNT", "hll"}),
            error("WRONGTYPE Key is not a valid HyperLogLog string value."));
  h.run({"DEL", "hll"});
  h.run({"PFADD", "hll", "a", "b", "c"});
  h.run({"SETRANGE", "hll", "4", std::string(1, '\0')});
  EXPECT_EQ(h.run({"PFCOUNT", "hll"}),
            error("WRONGTYPE Key is not a valid HyperLogLog string value."));
  h.run({"SET", "foo", "bar"});
  EXPECT_EQ(h.run({"PFADD", "foo", "1"}),
            error("WRONGTYPE Key is not a valid HyperLogLog string value."));
  h.run({"SADD", "set", "1"});
  EXPECT_EQ(h.run({"PFCOUNT", "set"}), kWrongType);
  EXPECT_EQ(h.run({"PFMERGE", "x", "foo"}),
            error("WRONGTYPE Key is not a valid HyperLogLog string value."));
}

TEST(HyperLogLog, FuzzedBytesNeverCrash) {
  EngineHarness h;
  uint64_t seed = 42;
  auto rnd = [&] {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return seed >> 33;
  };
  for (int round = 0; round < 200; ++round) {
    h.run({"DEL", "hll"});
    std::vector<std::string> args{"PFADD", "hll"};
    size_t n = rnd() % 3000;
    for (size_t i = 0; i < n; ++i) args.push_back(std::to_string(rnd()));
    h.run(args);
    size_t len = reply_int(h.run({"STRLEN", "hll"}));
    for (int i = 0; i < 5; ++i) {
      h.run({"SETRANGE", "hll", std::to_string(rnd() % len), std::string(1, char(rnd()))});
      if (rnd() % 2) break;
    }
    std::string r = h.run({"PFCOUNT", "hll"});
    ASSERT_TRUE(r[0] == ':' || r[0] == '-');
  }
}

TEST(HyperLogLog, SparseToDenseAndMerge) {
  EngineHarness h;
  h.run({"CONFIG", "SET", "hll-sparse-max-bytes", "3000"});
  std::vector<std::string> args{"PFADD", "hll"};
  for (int i = 0; i < 20000; ++i) args.push_back("e" + std::to_string(i));
  h.run(args);
  EXPECT_EQ(reply_int(h.run({"STRLEN", "hll"})), static_cast<int64_t>(engine::hll::kDenseSize));
  int64_t c = reply_int(h.run({"PFCOUNT", "hll"}));
  EXPECT_LT(std::abs(c - 20000), 20000 * 5 / 100);
  h.run({"PFADD", "a", "a", "b", "c"});
  h.run({"PFADD", "b", "b", "c", "d"});
  h.run({"PFADD", "c", "c", "d", "e"});
  EXPECT_EQ(h.run({"PFMERGE", "u", "a", "b", "c"}), kOk);
  EXPECT_EQ(h.run({"PFCOUNT", "u"}), integer(5));
  EXPECT_EQ(h.run({"PFCOUNT", "a", "b", "c"}), integer(5));
  EXPECT_EQ(h.run({"PFMERGE", "hll2", "hll", "a"}), kOk);
  EXPECT_EQ(reply_int(h.run({"STRLEN", "hll2"})), static_cast<int64_t>(engine::hll::kDenseSize));
}

// The estimate's relative error stays within a few standard errors (0.81%)
// across cardinalities.
TEST(HyperLogLog, StatisticalError) {
  EngineHarness h;
  double sum_sq = 0;
  int samples = 0;
  const int kTotal = 200000;
  int added = 0;
  for (int checkpoint : {100, 1000, 10000, 50000, 100000, 200000}) {
    std::vector<std::string> args{"PFADD", "hll"};
    for (; added < checkpoint; ++added) args.push_back("item:" + std::to_string(added));
    h.run(args);
    double est = static_cast<double>(reply_int(h.run({"PFCOUNT", "hll"})));
    double err = (est - checkpoint) / checkpoint;
    EXPECT_LT(std::fabs(err), 0.0081 * 4) << "at " << checkpoint;
    sum_sq += err * err;
    ++samples;
  }
  EXPECT_LT(std::sqrt(sum_sq / samples), 0.0081 * 2.5);
  EXPECT_EQ(added, kTotal);
}

}  // namespace
}  // namespace kvd::test

namespace kvd::test {
namespace {

// PFDEBUG as redis-server 7.0.15 answers it (replies compared side by side).
TEST(HyperLogLog, PfdebugShowsAndConvertsTheEncoding) {
  EngineHarness h;
  h.run({"PFADD", "hll", "a", "b", "c"});
  EXPECT_EQ(h.run({"PFDEBUG", "ENCODING", "hll"}), simple("sparse"));
  const std::string decoded = h.run({"PFDEBUG", "DECODE", "hll"});
  EXPECT_NE(decoded.find("v:"), std::string::npos) << decoded;
  EXPECT_NE(decoded.find("Z:"), std::string::npos) << decoded;
  const std::string count = h.run({"PFCOUNT", "hll"});
  EXPECT_EQ(h.run({"PFDEBUG", "TODENSE", "hll"}), integer(1));
  EXPECT_EQ(h.run({"PFDEBUG", "TODENSE", "hll"}), integer(0));
  EXPECT_EQ(h.run({"PFDEBUG", "ENCODING", "hll"}), simple("dense"));
  EXPECT_EQ(h.run({"PFDEBUG", "DECODE", "hll"}), error("ERR HLL encoding is not sparse"));
  EXPECT_EQ(h.run({"PFCOUNT", "hll"}), count);
  const std::string regs = h.run({"PFDEBUG", "GETREG", "hll"});
  EXPECT_EQ(regs.rfind("*16384\r\n", 0), 0u);
  size_t nonzero = 0;
  for (size_t at = regs.find(":"); at != std::string::npos; at = regs.find(":", at + 1))
    if (regs[at + 1] != '0') ++nonzero;
  EXPECT_EQ(nonzero, 3u);
  EXPECT_EQ(h.run({"PFDEBUG", "ENCODING", "nokey"}), error("ERR The specified key does not exist"));
  EXPECT_EQ(h.run({"PFDEBUG", "FOO", "hll"}), error("ERR Unknown PFDEBUG subcommand 'FOO'"));
}

// PFSELFTEST passes on this build and takes no arguments.
TEST(HyperLogLog, SelfTestPasses) {
  EngineHarness h;
  EXPECT_EQ(h.run({"PFSELFTEST"}), simple("OK"));
  EXPECT_EQ(h.run({"PFSELFTEST", "x"}),
            error("ERR wrong number of arguments for 'pfselftest' command"));
}

}  // namespace
}  // namespace kvd::test
