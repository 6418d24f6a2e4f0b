#include "kvd/server/output_limits.hpp"

#include <gtest/gtest.h>

namespace kvd::server {
namespace {

TEST(PauseOutputBytes, DefaultBoundUnlessAHigherHardLimitIsSet) {
  engine::Config config;
  EXPECT_EQ(pause_output_bytes(config), kPauseOutputBytes);
  config.v().obuf_normal.hard = 512 * 1024;  // below the bound: the bound holds
  EXPECT_EQ(pause_output_bytes(config), kPauseOutputBytes);
  config.v().obuf_normal.hard = 128 * 1024 * 1024;
  EXPECT_EQ(pause_output_bytes(config), 128u * 1024 * 1024);
}

TEST(OutputLimitWatch, NoLimitNeverDrops) {
  OutputLimitWatch w;
  EXPECT_FALSE(w.exceeded({0, 0, 0}, size_t{1} << 40, 0));
  EXPECT_FALSE(w.over_soft());
}

TEST(OutputLimitWatch, HardLimitDropsAtOnce) {
  OutputLimitWatch w;
  const engine::OutputLimit lim{1000, 0, 0};
  EXPECT_FALSE(w.exceeded(lim, 999, 0));
  EXPECT_TRUE(w.exceeded(lim, 1000, 0));
}

TEST(OutputLimitWatch, SoftLimitNeedsItsSecondsWithoutABreak) {
  OutputLimitWatch w;
  const engine::OutputLimit lim{0, 100, 10};
  EXPECT_FALSE(w.exceeded(lim, 150, 1'000));
  EXPECT_TRUE(w.over_soft());
  EXPECT_FALSE(w.exceeded(lim, 150, 10'999));
  EXPECT_TRUE(w.exceeded(lim, 150, 11'000));
  // Dropping under the soft limit restarts the clock.
  OutputLimitWatch v;
  EXPECT_FALSE(v.exceeded(lim, 150, 0));
  EXPECT_FALSE(v.exceeded(lim, 50, 9'000));
  EXPECT_FALSE(v.over_soft());
  EXPECT_FALSE(v.exceeded(lim, 150, 9'500));
  EXPECT_FALSE(v.exceeded(lim, 150, 19'000));
  EXPECT_TRUE(v.exceeded(lim, 150, 19'500));
}

}  // namespace
}  // namespace kvd::server
