#include "kvd/engine/latency_monitor.hpp"

#include <gtest/gtest.h>

namespace kvd::engine {
namespace {

constexpr int64_t kT = 1'700'000'000;

TEST(LatencyMonitor, KeepsOneSamplePerSecondTheWorst) {
  LatencyMonitor m;
  m.add("command", 250, kT);
  m.add("command", 300, kT);  // same second, worse: replaces
  m.add("command", 100, kT);  // same second, better: ignored
  m.add("command", 400, kT + 1);
  const LatencyMonitor::Series* s = m.find("command");
  ASSERT_NE(s, nullptr);
  auto h = s->history();
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].time, kT);
  EXPECT_EQ(h[0].latency_ms, 300u);
  EXPECT_EQ(h[1].time, kT + 1);
  EXPECT_EQ(h[1].latency_ms, 400u);
  EXPECT_EQ(s->latest().latency_ms, 400u);
  EXPECT_EQ(s->max_ms, 400u);
}

TEST(LatencyMonitor, HistoryHolds160SecondsOldestFirst) {
  LatencyMonitor m;
  for (int i = 0; i < 200; ++i) m.add("expire-cycle", 10 + i, kT + i);
  auto h = m.find("expire-cycle")->history();
  ASSERT_EQ(h.size(), LatencyMonitor::kHistory);
  EXPECT_EQ(h.front().time, kT + 40);
  EXPECT_EQ(h.back().time, kT + 199);
  EXPECT_EQ(m.find("expire-cycle")->max_ms, 209u);
}

TEST(LatencyMonitor, EventsKeepTheOrderTheyFirstHappenedIn) {
  LatencyMonitor m;
  m.add("fork", 5, kT);
  m.add("command", 7, kT);
  m.add("fork", 6, kT + 1);
  ASSERT_EQ(m.series().size(), 2u);
  EXPECT_EQ(m.series()[0].event, "fork");
  EXPECT_EQ(m.series()[1].event, "command");
  EXPECT_EQ(m.find("FORK"), nullptr);  // lookups are exact, as Redis's
}

TEST(LatencyMonitor, ResetByNameIgnoresCase) {
  LatencyMonitor m;
  m.add("fork", 5, kT);
  m.add("command", 7, kT);
  EXPECT_EQ(m.reset("blabla"), 0u);
  EXPECT_EQ(m.reset("FORK"), 1u);
  EXPECT_EQ(m.find("fork"), nullptr);
  EXPECT_EQ(m.reset_all(), 1u);
  EXPECT_TRUE(m.empty());
}

TEST(LatencyMonitor, AnalysisGivesAverageDeviationAndPeriod) {
  LatencyMonitor m;
  m.add("command", 100, kT);
  m.add("command", 300, kT + 10);
  auto a = LatencyMonitor::analyze(*m.find("command"), kT + 20);
  EXPECT_EQ(a.samples, 2u);
  EXPECT_EQ(a.avg, 200u);
  EXPECT_EQ(a.min, 100u);
  EXPECT_EQ(a.max, 300u);
  EXPECT_EQ(a.mad, 100u);
  EXPECT_EQ(a.period, 20);
  // A spike this very second still spans a period of one second.
  LatencyMonitor now;
  now.add("fork", 3, kT);
  EXPECT_EQ(LatencyMonitor::analyze(*now.find("fork"), kT).period, 1);
}

}  // namespace
}  // namespace kvd::engine
