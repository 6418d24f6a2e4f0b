// LATENCY, INFO latencystats and errorstats, through the command table.
#include <gtest/gtest.h>

#include <string>

#include "support/engine_harness.hpp"
#include "support/peer_client.hpp"

namespace kvd::test {
namespace {

std::string info_section(EngineHarness& h, std::string_view section) {
  std::string r = h.run({"INFO", section});
  return r.substr(r.find("\r\n") + 2);
}

// The value of an INFO line, "" when missing.
std::string info_field(EngineHarness& h, std::string_view section, const std::string& name) {
  const std::string text = info_section(h, section);
  const size_t at = text.find("\r\n" + name + ":");
  if (at == std::string::npos) return "";
  const size_t from = at + name.size() + 3;
  return text.substr(from, text.find("\r\n", from) - from);
}

// calls N, histogram_usec {1: N}: the manual clock makes every call 0 us,
// which Redis records as 1 ns and reports in the first (1 us) bucket.
std::string histogram_entry(std::string_view name, int calls) {
  return bulk(name) + "*4\r\n" + bulk("calls") + integer(calls) + bulk("histogram_usec") +
         "*2\r\n" + integer(1) + integer(calls);
}

TEST(LatencyHistogramCommand, RepliesCallsAndCumulativeBuckets) {
  EngineHarness h;
  h.run({"CONFIG", "RESETSTAT"});
  h.run({"SET", "a", "b"});
  h.run({"SET", "c", "d"});
  h.run({"GET", "a"});
  EXPECT_EQ(h.run({"LATENCY", "HISTOGRAM", "set"}), "*2\r\n" + histogram_entry("set", 2));
  EXPECT_EQ(h.run({"LATENCY", "HISTOGRAM", "SET", "get", "zadd"}),
            "*4\r\n" + histogram_entry("set", 2) + histogram_entry("get", 1));
  // Unknown names are skipped.
  EXPECT_EQ(h.run({"LATENCY", "HISTOGRAM", "blabla"}), "*0\r\n");
  // RESP3: maps.
  h.client().resp = 3;
  EXPECT_EQ(h.run({"LATENCY", "HISTOGRAM", "get"}),
            "%1\r\n" + bulk("get") + "%2\r\n" + bulk("calls") + integer(1) +
                bulk("histogram_usec") + "%1\r\n" + integer(1) + integer(1));
}

TEST(LatencyHistogramCommand, AllCommandsAndSubcommands) {
  EngineHarness h;
  h.run({"CONFIG", "RESETSTAT"});
  // The RESETSTAT itself is the first call recorded, as in Redis.
  EXPECT_EQ(h.run({"LATENCY", "HISTOGRAM"}), "*2\r\n" + histogram_entry("config|resetstat", 1));
  h.run({"CONFIG", "RESETSTAT"});
  h.run({"CLIENT", "ID"});
  h.run({"CLIENT", "GETNAME"});
  // A container answers with its subcommands that have data.
  const std::string client = h.run({"LATENCY", "HISTOGRAM", "client"});
  EXPECT_EQ(client.substr(0, 4), "*4\r\n");
  EXPECT_NE(client.find(histogram_entry("client|id", 1)), std::string::npos);
  EXPECT_NE(client.find(histogram_entry("client|getname", 1)), std::string::npos);
  EXPECT_EQ(h.run({"LATENCY", "HISTOGRAM", "client|id"}),
            "*2\r\n" + histogram_entry("client|id", 1));
}

TEST(LatencyStats, PercentilesFollowTheConfiguration) {
  EngineHarness h;
  h.run({"CONFIG", "RESETSTAT"});
  h.run({"SET", "a", "b"});
  EXPECT_EQ(info_field(h, "latencystats", "latency_percentiles_usec_set"),
            "p50=0.001,p99=0.001,p99.9=0.001");
  EXPECT_EQ(h.run({"CONFIG", "SET", "latency-tracking-info-percentiles", "0.0 50.0 100.0"}), kOk);
  EXPECT_EQ(h.run({"CONFIG", "GET", "latency-tracking-info-percentiles"}),
            "*2\r\n" + bulk("latency-tracking-info-percentiles") + bulk("0 50 100"));
  EXPECT_EQ(info_field(h, "latencystats", "latency_percentiles_usec_set"),
            "p0=0.001,p50=0.001,p100=0.001");
  EXPECT_EQ(h.run({"CONFIG", "SET", "latency-tracking-info-percentiles", "10.0 50.0 a"}),
            error("ERR CONFIG SET failed (possibly related to argument "
                  "'latency-tracking-info-percentiles') - Invalid "
                  "latency-tracking-info-percentiles parameters"));
  EXPECT_EQ(h.run({"CONFIG", "SET", "latency-tracking-info-percentiles", "101"}),
            error("ERR CONFIG SET failed (possibly related to argument "
                  "'latency-tracking-info-percentiles') - latency-tracking-info-percentiles "
                  "parameters should sit between [0.0,100.0]"));
  h.run({"CONFIG", "RESETSTAT"});
  EXPECT_EQ(info_field(h, "latencystats", "latency_percentiles_usec_set"), "");
}

TEST(LatencyStats, BlockedCommandCountsOnceWhenServed) {
  EngineHarness h;
  PeerClient waiter(h);
  h.run({"CONFIG", "RESETSTAT"});
  EXPECT_EQ(waiter.run({"BLPOP", "list", "0"}), "");
  // Still waiting: not a finished call yet.
  EXPECT_EQ(h.run({"LATENCY", "HISTOGRAM", "blpop"}), "*0\r\n");
  h.run({"LPUSH", "list", "a"});
  EXPECT_EQ(waiter.take(), "*2\r\n" + bulk("list") + bulk("a"));
  EXPECT_EQ(h.run({"LATENCY", "HISTOGRAM", "blpop"}), "*2\r\n" + histogram_entry("blpop", 1));
}

TEST(LatencyStats, TrackingOffRecordsNothing) {
  EngineHarness h;
  h.run({"CONFIG", "SET", "latency-tracking", "no"});
  h.run({"CONFIG", "RESETSTAT"});
  h.run({"SET", "a", "b"});
  EXPECT_EQ(h.run({"LATENCY", "HISTOGRAM", "set"}), "*0\r\n");
  EXPECT_EQ(info_section(h, "latencystats"), "# Latencystats\r\n\r\n");
  h.run({"CONFIG", "SET", "latency-tracking", "yes"});
  h.run({"SET", "a", "b"});
  EXPECT_EQ(h.run({"LATENCY", "HISTOGRAM", "set"}), "*2\r\n" + histogram_entry("set", 1));
}

TEST(LatencyMonitorCommands, ThresholdDecidesWhatIsSampled) {
  EngineHarness h;
  // Off (0): nothing is kept.
  h.engine().note_latency("command", 500);
  EXPECT_EQ(h.run({"LATENCY", "LATEST"}), "*0\r\n");
  EXPECT_EQ(h.run({"CONFIG", "SET", "latency-monitor-threshold", "100"}), kOk);
  h.engine().note_latency("command", 99);
  EXPECT_EQ(h.run({"LATENCY", "LATEST"}), "*0\r\n");
  h.engine().note_latency("command", 250);
  const int64_t t = h.engine().clock().now_ms() / 1000;
  EXPECT_EQ(h.run({"LATENCY", "LATEST"}),
            "*1\r\n*4\r\n" + bulk("command") + integer(t) + integer(250) + integer(250));
  h.clock().advance_ms(1000);
  h.engine().note_latency("command", 400);
  EXPECT_EQ(h.run({"LATENCY", "HISTORY", "command"}),
            "*2\r\n*2\r\n" + integer(t) + integer(250) + "*2\r\n" + integer(t + 1) + integer(400));
  EXPECT_EQ(h.run({"LATENCY", "HISTORY", "blabla"}), "*0\r\n");
  EXPECT_EQ(h.run({"LATENCY", "RESET", "blabla"}), integer(0));
  EXPECT_EQ(h.run({"LATENCY", "RESET"}), integer(1));
  EXPECT_EQ(h.run({"LATENCY", "LATEST"}), "*0\r\n");
}

TEST(LatencyMonitorCommands, GraphAndDoctor) {
  EngineHarness h;
  EXPECT_NE(h.run({"LATENCY", "DOCTOR"}).find("disabled"), std::string::npos);
  h.run({"CONFIG", "SET", "latency-monitor-threshold", "10"});
  EXPECT_EQ(h.run({"LATENCY", "GRAPH", "command"}),
            error("ERR No samples available for event 'command'"));
  h.engine().note_latency("command", 100);
  h.clock().advance_ms(2000);
  h.engine().note_latency("command", 20);
  std::string graph = h.run({"LATENCY", "GRAPH", "command"});
  // A verbatim string: header, rule, four rows, a blank line, the ages.
  EXPECT_NE(graph.find("command - high 100 ms, low 20 ms (all time high 100 ms)\n" +
                       std::string(80, '-') + "\n# \n| \n| \n|_\n  \n20\nss\n"),
            std::string::npos)
      << graph;
  std::string doctor = h.run({"LATENCY", "DOCTOR"});
  EXPECT_NE(doctor.find("1. command: 2 latency spikes (average 60ms, mean deviation 40ms, "
                        "period 1.00 sec). Worst all time event 100ms."),
            std::string::npos)
      << doctor;
  EXPECT_NE(doctor.find("SLOWLOG GET"), std::string::npos);
}

TEST(LatencyMonitorCommands, ExpireCycleIsSampled) {
  EngineHarness h;
  h.run({"CONFIG", "SET", "latency-monitor-threshold", "5"});
  h.engine().cron();
  EXPECT_EQ(h.run({"LATENCY", "LATEST"}), "*0\r\n");
  // The cycle's two clock reads are now 6 ms apart.
  h.clock().set_monotonic_step_us(6000);
  h.engine().cron();
  h.clock().set_monotonic_step_us(0);
  const std::string latest = h.run({"LATENCY", "LATEST"});
  EXPECT_NE(latest.find(bulk("expire-cycle")), std::string::npos) << latest;
}

TEST(LatencyMonitorCommands, HelpAndArity) {
  EngineHarness h;
  EXPECT_EQ(h.run({"LATENCY", "HELP", "xxx"}),
            error("ERR wrong number of arguments for 'latency|help' command"));
  EXPECT_NE(h.run({"LATENCY", "HELP"}).find("HISTOGRAM [COMMAND ...]"), std::string::npos);
  EXPECT_EQ(h.run({"LATENCY", "HISTORY"}),
            error("ERR wrong number of arguments for 'latency|history' command"));
}

TEST(ErrorStats, ClientUnblockErrorCountsForTheBlockedCommand) {
  EngineHarness h;
  PeerClient waiter(h);
  h.run({"CONFIG", "RESETSTAT"});
  EXPECT_EQ(waiter.run({"BLPOP", "list", "0"}), "");
  const std::string id = std::to_string(waiter.client().id);
  EXPECT_EQ(h.run({"CLIENT", "UNBLOCK", id, "ERROR"}), integer(1));
  EXPECT_EQ(waiter.take(), error("UNBLOCKED client unblocked via CLIENT UNBLOCK"));
  EXPECT_EQ(info_field(h, "errorstats", "errorstat_UNBLOCKED"), "count=1");
  EXPECT_EQ(info_field(h, "stats", "total_error_replies"), "1");
  const std::string blpop = info_field(h, "commandstats", "cmdstat_blpop");
  EXPECT_NE(blpop.find("calls=1,"), std::string::npos) << blpop;
  EXPECT_NE(blpop.find(",rejected_calls=0,failed_calls=1"), std::string::npos) << blpop;
  // Ended by CLIENT UNBLOCK, the call has a latency figure.
  EXPECT_NE(info_field(h, "latencystats", "latency_percentiles_usec_blpop"), "");
  // Unblocked as by a timeout: redis-server 7.0.15 counts a failed call too,
  // but no error reply.
  EXPECT_EQ(waiter.run({"BLPOP", "list", "0"}), "");
  EXPECT_EQ(h.run({"CLIENT", "UNBLOCK", id}), integer(1));
  EXPECT_EQ(waiter.take(), "*-1\r\n");
  EXPECT_NE(info_field(h, "commandstats", "cmdstat_blpop").find("calls=2,"), std::string::npos);
  EXPECT_NE(info_field(h, "commandstats", "cmdstat_blpop").find("failed_calls=2"),
            std::string::npos);
  EXPECT_EQ(info_field(h, "stats", "total_error_replies"), "1");
}

TEST(ErrorStats, StopAfter128DistinctCodesUntilResetstat) {
  EngineHarness h;
  h.run({"CONFIG", "RESETSTAT"});
  for (int i = 1; i <= 200; ++i) {
    const std::string code = "E" + std::to_string(i);
    h.run({"EVAL", "return redis.error_reply(ARGV[1] .. ' my error')", "0", code});
  }
  EXPECT_EQ(info_field(h, "errorstats", "errorstat_ERRORSTATS_DISABLED"), "count=1");
  EXPECT_EQ(info_field(h, "errorstats", "errorstat_E1"), "");
  EXPECT_EQ(info_field(h, "errorstats", "errorstat_E200"), "");
  // Every reply still counts in the total.
  EXPECT_EQ(info_field(h, "stats", "total_error_replies"), "200");
  h.run({"CONFIG", "RESETSTAT"});
  h.run({"EVAL", "return redis.error_reply('E7 again')", "0"});
  EXPECT_EQ(info_field(h, "errorstats", "errorstat_E7"), "count=1");
  EXPECT_EQ(info_field(h, "errorstats", "errorstat_ERRORSTATS_DISABLED"), "");
}

TEST(ErrorStats, ScriptErrorsCountOnce) {
  EngineHarness h;
  h.run({"CONFIG", "RESETSTAT"});
  // The failing call inside the script counts; EVAL passing it on does not.
  h.run({"EVAL", "return redis.call('incr', KEYS[1])", "1", "k"});  // fine
  h.run({"SET", "s", "x"});
  h.run({"EVAL", "return redis.call('incr', KEYS[1])", "1", "s"});
  EXPECT_EQ(info_field(h, "errorstats", "errorstat_ERR"), "count=1");
  EXPECT_EQ(info_field(h, "stats", "total_error_replies"), "1");
  const std::string incr = info_field(h, "commandstats", "cmdstat_incr");
  EXPECT_NE(incr.find("calls=2,"), std::string::npos) << incr;
  EXPECT_NE(incr.find("failed_calls=1"), std::string::npos) << incr;
  const std::string eval = info_field(h, "commandstats", "cmdstat_eval");
  EXPECT_NE(eval.find("failed_calls=1"), std::string::npos) << eval;
}

TEST(ErrorStats, ErrorsInsideExec) {
  EngineHarness h;
  h.run({"CONFIG", "RESETSTAT"});
  h.run({"SET", "s", "x"});
  h.run({"MULTI"});
  h.run({"INCR", "s"});
  h.run({"SET", "a", "b"});
  h.run({"EXEC"});
  EXPECT_EQ(info_field(h, "errorstats", "errorstat_ERR"), "count=1");
  EXPECT_NE(info_field(h, "commandstats", "cmdstat_incr").find("failed_calls=1"),
            std::string::npos);
  EXPECT_NE(info_field(h, "commandstats", "cmdstat_exec").find("failed_calls=0"),
            std::string::npos);
  // A command refused while queueing: rejected, then EXEC fails with EXECABORT.
  h.run({"MULTI"});
  h.run({"SET"});
  h.run({"EXEC"});
  EXPECT_EQ(info_field(h, "errorstats", "errorstat_ERR"), "count=2");
  EXPECT_EQ(info_field(h, "errorstats", "errorstat_EXECABORT"), "count=1");
  EXPECT_NE(info_field(h, "commandstats", "cmdstat_set").find("rejected_calls=1"),
            std::string::npos);
  EXPECT_NE(info_field(h, "commandstats", "cmdstat_exec").find("failed_calls=1"),
            std::string::npos);
}

}  // namespace
}  // namespace kvd::test
