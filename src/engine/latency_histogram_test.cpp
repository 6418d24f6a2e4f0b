#include "kvd/engine/latency_histogram.hpp"

#include <gtest/gtest.h>

namespace kvd::engine {
namespace {

using Buckets = std::vector<std::pair<int64_t, uint64_t>>;

TEST(LatencyHistogram, SlotsAreExactBelow256AndLogLinearAbove) {
  for (int64_t v = 0; v < 256; ++v) EXPECT_EQ(LatencyHistogram::slot_of(v), v);
  EXPECT_EQ(LatencyHistogram::slot_of(256), 256);
  EXPECT_EQ(LatencyHistogram::slot_of(257), 256);  // 2 ns wide from 256 on
  EXPECT_EQ(LatencyHistogram::slot_of(258), 257);
  // Every value lies within its slot, and a slot is under 1% of its values.
  for (int64_t v = 1; v <= LatencyHistogram::kMaxValue; v = v * 3 / 2 + 1) {
    const int s = LatencyHistogram::slot_of(v);
    EXPECT_LE(LatencyHistogram::lowest_of(s), v);
    EXPECT_GE(LatencyHistogram::highest_of(s), v);
    const int64_t width = LatencyHistogram::highest_of(s) - LatencyHistogram::lowest_of(s) + 1;
    EXPECT_LE(width * 100, std::max<int64_t>(v, 100));
  }
  // Neighbouring slots tile the range with no gap.
  for (int s = 1; s < 3072; ++s) {
    EXPECT_EQ(LatencyHistogram::lowest_of(s), LatencyHistogram::highest_of(s - 1) + 1);
  }
}

// The figures redis-server 7.0.15 printed for the same durations.
TEST(LatencyHistogram, PercentilesAreTheSlotsHighestValueInMicroseconds) {
  LatencyHistogram h;
  EXPECT_EQ(h.value_at_percentile(50), 0);
  h.record(17'000);  // 17 us
  EXPECT_EQ(h.value_at_percentile(50), 17'023);
  LatencyHistogram one;
  one.record(1'000);
  EXPECT_EQ(one.value_at_percentile(99.9), 1'003);
  LatencyHistogram zero;
  zero.record(0);  // counted as 1 ns
  EXPECT_EQ(zero.value_at_percentile(50), 1);
  EXPECT_EQ(zero.total(), 1u);
}

TEST(LatencyHistogram, PercentileCountsRoundToTheNearestCall) {
  LatencyHistogram h;
  for (int i = 0; i < 99; ++i) h.record(1'000);
  h.record(500'000);
  EXPECT_EQ(h.value_at_percentile(50), 1'003);
  EXPECT_EQ(h.value_at_percentile(99), 1'003);
  EXPECT_EQ(h.value_at_percentile(99.9),
            LatencyHistogram::highest_of(LatencyHistogram::slot_of(500'000)));
  EXPECT_EQ(h.value_at_percentile(100), h.value_at_percentile(99.9));
  // Percentile 0 is the lowest value of the first slot used.
  EXPECT_EQ(h.value_at_percentile(0), 1'000);
}

TEST(LatencyHistogram, CumulativeBucketsMatchRedis) {
  // redis-server 7.0.15: SET calls of 8, 17, 32 and 54 us gave
  // {8: 1, 33: 3, 66: 4}; DEBUG SLEEP 0.003 and 0.05 gave {16908: 1, 67633: 2}.
  LatencyHistogram set;
  for (int64_t us : {8, 17, 32, 54}) set.record(us * 1000);
  EXPECT_EQ(set.cumulative_usec(), (Buckets{{8, 1}, {33, 3}, {66, 4}}));
  LatencyHistogram debug;
  debug.record(15'663'000);
  debug.record(59'244'000);
  EXPECT_EQ(debug.cumulative_usec(), (Buckets{{16908, 1}, {67633, 2}}));
  // Calls under 1 us report in the first step.
  LatencyHistogram fast;
  fast.record(0);
  EXPECT_EQ(fast.cumulative_usec(), (Buckets{{1, 1}}));
  EXPECT_TRUE(LatencyHistogram().cumulative_usec().empty());
}

TEST(LatencyHistogram, ValuesPastOneSecondAreClamped) {
  LatencyHistogram h;
  h.record(5'000'000'000);
  EXPECT_EQ(h.value_at_percentile(50),
            LatencyHistogram::highest_of(LatencyHistogram::slot_of(1'000'000'000)));
  // The last step runs to the end of the table.
  EXPECT_EQ(h.cumulative_usec(), (Buckets{{1073741, 1}}));
}

TEST(LatencyHistogram, CopiesAreDeep) {
  LatencyHistogram a;
  a.record(2'000);
  LatencyHistogram b = a;
  b.record(2'000);
  EXPECT_EQ(a.total(), 1u);
  EXPECT_EQ(b.total(), 2u);
  EXPECT_EQ(a.cumulative_usec(), (Buckets{{2, 1}}));
  EXPECT_EQ(b.cumulative_usec(), (Buckets{{2, 2}}));
}

}  // namespace
}  // namespace kvd::engine
