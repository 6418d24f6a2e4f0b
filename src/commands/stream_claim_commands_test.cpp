#include <gtest/gtest.h>

#include <string>

#include "support/engine_harness.hpp"
#include "support/fake_object.hpp"
#include "support/stream_replies.hpp"

// XCLAIM and XAUTOCLAIM. Expected replies were checked against redis-server 7.0.15.
namespace kvd::test {
namespace {

TEST(StreamClaimCommands, Claim) {
  EngineHarness h;
  stream_with_group(h, 4);
  h.run({"XREADGROUP", "GROUP", "g", "alice", "COUNT", "3", "STREAMS", "s", ">"});
  h.clock().advance_ms(100);
  EXPECT_EQ(h.run({"XCLAIM", "s", "g", "bob", "0", "1-0"}), array({nth_entry(1)}));
  EXPECT_EQ(
      h.run({"XPENDING", "s", "g", "-", "+", "10"}),
      array({pel("1-0", "bob", 0, 2), pel("2-0", "alice", 100, 1), pel("3-0", "alice", 100, 1)}));
  // JUSTID: the IDs only, and the delivery count is left alone.
  h.clock().advance_ms(10);
  EXPECT_EQ(h.run({"XCLAIM", "s", "g", "bob", "0", "1-0", "JUSTID"}), ids({"1-0"}));
  EXPECT_EQ(h.run({"XPENDING", "s", "g", "-", "+", "1"}), array({pel("1-0", "bob", 0, 2)}));
  // Only entries idle for min-idle-time are taken.
  EXPECT_EQ(h.run({"XCLAIM", "s", "g", "bob", "111", "2-0"}), "*0\r\n");
  EXPECT_EQ(h.run({"XCLAIM", "s", "g", "bob", "110", "2-0", "3-0", "1-0", "9-0", "4-0"}),
            array({nth_entry(2), nth_entry(3)}));
  EXPECT_EQ(h.run({"XPENDING", "s", "g"}),
            array({integer(3), bulk("1-0"), bulk("3-0"), array({owner("bob", "3")})}));
  EXPECT_EQ(h.run({"XINFO", "CONSUMERS", "s", "g"}),
            array({consumer_info("alice", 0, 110), consumer_info("bob", 3, 0)}));
  // Negative min-idle-time is 0.
  EXPECT_EQ(h.run({"XCLAIM", "s", "g", "carol", "-5", "1-0", "JUSTID"}), ids({"1-0"}));
  // The same ID twice is claimed twice.
  EXPECT_EQ(h.run({"XCLAIM", "s", "g", "carol", "0", "2-0", "2-0", "JUSTID"}), ids({"2-0", "2-0"}));
}

TEST(StreamClaimCommands, ClaimOptions) {
  EngineHarness h;
  stream_with_group(h, 4);
  const int64_t t0 = h.clock().now_ms();
  h.run({"XREADGROUP", "GROUP", "g", "alice", "COUNT", "3", "STREAMS", "s", ">"});
  // FORCE creates a pending entry for an ID nobody had; it counts as delivered.
  EXPECT_EQ(h.run({"XCLAIM", "s", "g", "carol", "0", "4-0"}), "*0\r\n");
  EXPECT_EQ(h.run({"XCLAIM", "s", "g", "carol", "0", "4-0", "FORCE"}), array({nth_entry(4)}));
  EXPECT_EQ(h.run({"XPENDING", "s", "g", "4", "4", "1"}), array({pel("4-0", "carol", 0, 2)}));
  // IDLE sets the idle time, RETRYCOUNT the delivery count.
  EXPECT_EQ(h.run({"XCLAIM", "s", "g", "carol", "0", "4-0", "RETRYCOUNT", "7", "IDLE", "5000"}),
            array({nth_entry(4)}));
  EXPECT_EQ(h.run({"XPENDING", "s", "g", "4", "4", "1"}), array({pel("4-0", "carol", 5000, 7)}));
  // TIME is an absolute delivery time; one in the future means now.
  EXPECT_EQ(
      h.run({"XCLAIM", "s", "g", "carol", "0", "1-0", "TIME", std::to_string(t0 - 300), "JUSTID"}),
      ids({"1-0"}));
  EXPECT_EQ(h.run({"XPENDING", "s", "g", "1", "1", "1"}), array({pel("1-0", "carol", 300, 1)}));
  EXPECT_EQ(h.run({"XCLAIM", "s", "g", "carol", "0", "1-0", "TIME", std::to_string(t0 + 300),
                   "RETRYCOUNT", "0", "JUSTID"}),
            ids({"1-0"}));
  EXPECT_EQ(h.run({"XPENDING", "s", "g", "1", "1", "1"}), array({pel("1-0", "carol", 0, 0)}));
  EXPECT_EQ(h.run({"XCLAIM", "s", "g", "carol", "0", "1-0", "IDLE", "-10", "JUSTID"}),
            ids({"1-0"}));
  EXPECT_EQ(h.run({"XPENDING", "s", "g", "1", "1", "1"}), array({pel("1-0", "carol", 0, 0)}));
  EXPECT_EQ(h.run({"XCLAIM", "s", "g", "carol", "0", "1-0", "RETRYCOUNT", "-1", "JUSTID"}),
            ids({"1-0"}));
  EXPECT_EQ(h.run({"XPENDING", "s", "g", "1", "1", "1"}), array({pel("1-0", "carol", 0, 0)}));
  EXPECT_EQ(h.run({"XCLAIM", "s", "g", "carol", "0", "1-0", "force", "justid", "FORCE"}),
            ids({"1-0"}));
  // LASTID moves the group's last delivered ID forward only.
  EXPECT_EQ(h.run({"XCLAIM", "s", "g", "carol", "0", "1-0", "LASTID", "10-0", "JUSTID"}),
            ids({"1-0"}));
  EXPECT_EQ(h.run({"XCLAIM", "s", "g", "carol", "0", "1-0", "LASTID", "5-0", "JUSTID"}),
            ids({"1-0"}));
  EXPECT_EQ(h.run({"XINFO", "GROUPS", "s"}), array({group_info("g", 2, 4, "10-0", 3, 1)}));
  EXPECT_EQ(h.run({"XCLAIM", "s", "g", "carol", "0", "9-0", "LASTID", "20-0"}), "*0\r\n");
  EXPECT_EQ(h.run({"XINFO", "GROUPS", "s"}), array({group_info("g", 2, 4, "20-0", 3, 1)}));
}

TEST(StreamClaimCommands, ClaimErrors) {
  EngineHarness h;
  stream_with_group(h, 1);
  h.run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"});
  h.run({"SET", "str", "v"});
  auto unrecognized = [](std::string_view opt) {
    return error("ERR Unrecognized XCLAIM option '" + std::string(opt) + "'");
  };
  EXPECT_EQ(h.run({"XCLAIM", "s", "g", "c", "0", "1-0", "FOO"}), unrecognized("FOO"));
  EXPECT_EQ(h.run({"XCLAIM", "s", "g", "c", "0", "1-0", "IDLE"}), unrecognized("IDLE"));
  EXPECT_EQ(h.run({"XCLAIM", "s", "g", "c", "0", "x"}), unrecognized("x"));
  EXPECT_EQ(h.run({"XCLAIM", "s", "g", "c", "0", "1-0", "x"}), unrecognized("x"));
  EXPECT_EQ(h.run({"XCLAIM", "s", "g", "c", "0", "-", "JUSTID"}), unrecognized("-"));
  EXPECT_EQ(h.run({"XCLAIM", "s", "g", "c", "0", "+", "JUSTID"}), unrecognized("+"));
  EXPECT_EQ(h.run({"XCLAIM", "s", "g", "c", "0", "1-0", "IDLE", "x"}),
            error("ERR Invalid IDLE option argument for XCLAIM"));
  EXPECT_EQ(h.run({"XCLAIM", "s", "g", "c", "0", "1-0", "TIME", "x"}),
            error("ERR Invalid TIME option argument for XCLAIM"));
  EXPECT_EQ(h.run({"XCLAIM", "s", "g", "c", "0", "1-0", "RETRYCOUNT", "x"}),
            error("ERR Invalid RETRYCOUNT option argument for XCLAIM"));
  EXPECT_EQ(h.run({"XCLAIM", "s", "g", "c", "0", "1-0", "LASTID", "x"}), kBadId);
  EXPECT_EQ(h.run({"XCLAIM", "s", "g", "c", "0", "1-0", "LASTID", "-"}), kBadId);
  EXPECT_EQ(h.run({"XCLAIM", "s", "g", "c", "x", "1-0"}),
            error("ERR Invalid min-idle-time argument for XCLAIM"));
  EXPECT_EQ(h.run({"XCLAIM", "s", "nog", "c", "0", "1-0"}), no_key_or_group("s", "nog"));
  EXPECT_EQ(h.run({"XCLAIM", "missing", "g", "c", "0", "1-0"}), no_key_or_group("missing", "g"));
  EXPECT_EQ(h.run({"XCLAIM", "missing", "g", "c", "x", "1-0"}), no_key_or_group("missing", "g"));
  EXPECT_EQ(h.run({"XCLAIM", "str", "g", "c", "0", "1-0"}), kWrongType);
  EXPECT_EQ(h.run({"XCLAIM", "s", "g", "c", "0"}), arity("xclaim"));
  // Nothing was claimed by the failed calls.
  EXPECT_EQ(h.run({"XPENDING", "s", "g", "-", "+", "10"}), array({pel("1-0", "alice", 0, 1)}));
  EXPECT_EQ(h.run({"XINFO", "CONSUMERS", "s", "g"}), array({consumer_info("alice", 1, 0)}));
}

TEST(StreamClaimCommands, ClaimDeletedEntries) {
  EngineHarness h;
  stream_with_group(h, 2);
  h.run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"});
  h.run({"XDEL", "s", "2-0"});
  // A deleted entry is dropped from the PEL; the claimer is only created when
  // it gets something.
  EXPECT_EQ(h.run({"XCLAIM", "s", "g", "dave", "0", "2-0"}), "*0\r\n");
  EXPECT_EQ(h.run({"XINFO", "CONSUMERS", "s", "g"}), array({consumer_info("alice", 1, 0)}));
  EXPECT_EQ(h.run({"XPENDING", "s", "g"}),
            array({integer(1), bulk("1-0"), bulk("1-0"), array({owner("alice", "1")})}));
  EXPECT_EQ(h.run({"XCLAIM", "s", "g", "erin", "0", "1-0", "2-0", "FORCE"}), array({nth_entry(1)}));
  EXPECT_EQ(h.run({"XINFO", "CONSUMERS", "s", "g"}),
            array({consumer_info("alice", 0, 0), consumer_info("erin", 1, 0)}));
  EXPECT_EQ(h.run({"XGROUP", "DELCONSUMER", "s", "g", "erin"}), integer(1));
  EXPECT_EQ(h.run({"XPENDING", "s", "g"}), array({integer(0), kNil, kNil, kNullArray}));
}

TEST(StreamClaimCommands, AutoClaimCursor) {
  EngineHarness h;
  stream_with_group(h, 5);
  h.run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"});
  EXPECT_EQ(h.run({"XAUTOCLAIM", "s", "g", "bob", "0", "0", "COUNT", "2"}),
            array({bulk("3-0"), array({nth_entry(1), nth_entry(2)}), "*0\r\n"}));
  EXPECT_EQ(h.run({"XAUTOCLAIM", "s", "g", "bob", "0", "3-0", "COUNT", "2"}),
            array({bulk("5-0"), array({nth_entry(3), nth_entry(4)}), "*0\r\n"}));
  EXPECT_EQ(h.run({"XAUTOCLAIM", "s", "g", "bob", "0", "5-0", "COUNT", "2"}),
            array({bulk("0-0"), array({nth_entry(5)}), "*0\r\n"}));
  EXPECT_EQ(h.run({"XAUTOCLAIM", "s", "g", "bob", "0", "(1-0", "COUNT", "1", "JUSTID"}),
            array({bulk("3-0"), ids({"2-0"}), "*0\r\n"}));
  EXPECT_EQ(h.run({"XPENDING", "s", "g", "-", "+", "10"}),
            array({pel("1-0", "bob", 0, 2), pel("2-0", "bob", 0, 2), pel("3-0", "bob", 0, 2),
                   pel("4-0", "bob", 0, 2), pel("5-0", "bob", 0, 2)}));
  EXPECT_EQ(h.run({"XAUTOCLAIM", "s", "g", "carol", "0", "6-0"}),
            array({bulk("0-0"), "*0\r\n", "*0\r\n"}));
  EXPECT_EQ(h.run({"XAUTOCLAIM", "s", "g", "carol", "0", "+"}),
            array({bulk("0-0"), "*0\r\n", "*0\r\n"}));
  EXPECT_EQ(h.run({"XAUTOCLAIM", "s", "g", "carol", "-1", "0", "JUSTID", "JUSTID"}),
            array({bulk("0-0"), ids({"1-0", "2-0", "3-0", "4-0", "5-0"}), "*0\r\n"}));
  EXPECT_EQ(h.run({"XINFO", "CONSUMERS", "s", "g"}),
            array({consumer_info("alice", 0, 0), consumer_info("bob", 0, 0),
                   consumer_info("carol", 5, 0)}));
}

TEST(StreamClaimCommands, AutoClaimDeletedAndIdle) {
  EngineHarness h;
  stream_with_group(h, 5);
  h.run({"XREADGROUP", "GROUP", "g", "alice", "COUNT", "3", "STREAMS", "s", ">"});
  h.clock().advance_ms(100);
  h.run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"});
  h.run({"XDEL", "s", "2-0", "4-0"});
  // Deleted entries are reported, dropped from the PEL and count towards COUNT.
  EXPECT_EQ(h.run({"XAUTOCLAIM", "s", "g", "carol", "0", "-", "COUNT", "3"}),
            array({bulk("4-0"), array({nth_entry(1), nth_entry(3)}), ids({"2-0"})}));
  EXPECT_EQ(h.run({"XPENDING", "s", "g", "-", "+", "10"}),
            array({pel("1-0", "carol", 0, 2), pel("3-0", "carol", 0, 2), pel("4-0", "alice", 0, 1),
                   pel("5-0", "alice", 0, 1)}));
  h.clock().advance_ms(30);
  h.run({"XCLAIM", "s", "g", "alice", "0", "1-0", "JUSTID"});
  // min-idle-time skips the entries delivered too recently.
  EXPECT_EQ(h.run({"XAUTOCLAIM", "s", "g", "zed", "30", "0"}),
            array({bulk("0-0"), array({nth_entry(3), nth_entry(5)}), ids({"4-0"})}));
  EXPECT_EQ(h.run({"XAUTOCLAIM", "s", "g", "nobody", "1000000", "0"}),
            array({bulk("0-0"), "*0\r\n", "*0\r\n"}));
  EXPECT_EQ(h.run({"XINFO", "CONSUMERS", "s", "g"}),
            array({consumer_info("alice", 1, 0), consumer_info("carol", 0, 30),
                   consumer_info("zed", 2, 0)}));
  EXPECT_EQ(h.run({"XPENDING", "s", "g", "-", "+", "10"}),
            array({pel("1-0", "alice", 0, 2), pel("3-0", "zed", 0, 3), pel("5-0", "zed", 0, 2)}));
}

TEST(StreamClaimCommands, AutoClaimLooksAtTenTimesCount) {
  EngineHarness h;
  stream_with_group(h, 12);
  h.run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"});
  h.run({"XCLAIM", "s", "g", "alice", "0", "12-0", "IDLE", "100000", "JUSTID"});
  // COUNT 1 looks at 10 entries at most: the cursor stops at the 11th.
  EXPECT_EQ(h.run({"XAUTOCLAIM", "s", "g", "bob", "50000", "0", "COUNT", "1"}),
            array({bulk("11-0"), "*0\r\n", "*0\r\n"}));
  EXPECT_EQ(h.run({"XAUTOCLAIM", "s", "g", "bob", "50000", "11-0", "COUNT", "1"}),
            array({bulk("0-0"), array({nth_entry(12)}), "*0\r\n"}));
  EXPECT_EQ(h.run({"XAUTOCLAIM", "s", "g", "bob", "50000", "0", "COUNT", "2"}),
            array({bulk("0-0"), "*0\r\n", "*0\r\n"}));
  h.run({"XCLAIM", "s", "g", "alice", "0", "5-0", "IDLE", "100000", "JUSTID"});
  EXPECT_EQ(h.run({"XAUTOCLAIM", "s", "g", "bob", "50000", "0", "COUNT", "1", "JUSTID"}),
            array({bulk("6-0"), ids({"5-0"}), "*0\r\n"}));
  EXPECT_EQ(h.run({"XINFO", "CONSUMERS", "s", "g"}),
            array({consumer_info("alice", 10, 0), consumer_info("bob", 2, 0)}));
}

TEST(StreamClaimCommands, AutoClaimErrors) {
  EngineHarness h;
  stream_with_group(h, 1);
  h.run({"SET", "str", "v"});
  const std::string count_err = error("ERR COUNT must be > 0");
  EXPECT_EQ(h.run({"XAUTOCLAIM", "s", "g", "c", "0", "(" + kMaxId}),
            error("ERR invalid start ID for the interval"));
  EXPECT_EQ(h.run({"XAUTOCLAIM", "s", "g", "c", "0", "x"}), kBadId);
  EXPECT_EQ(h.run({"XAUTOCLAIM", "s", "g", "c", "x", "0"}),
            error("ERR Invalid min-idle-time argument for XAUTOCLAIM"));
  for (std::string_view n : {"0", "-1", "x", "9223372036854775807", "576460752303423488"})
    EXPECT_EQ(h.run({"XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT", n}), count_err) << n;
  EXPECT_EQ(h.run({"XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT"}), kSyntaxErr);
  EXPECT_EQ(h.run({"XAUTOCLAIM", "s", "g", "c", "0", "0", "FOO"}), kSyntaxErr);
  EXPECT_EQ(h.run({"XAUTOCLAIM", "s", "nog", "c", "0", "0"}), no_key_or_group("s", "nog"));
  EXPECT_EQ(h.run({"XAUTOCLAIM", "missing", "g", "c", "0", "0"}), no_key_or_group("missing", "g"));
  // Arguments are checked before the key.
  EXPECT_EQ(h.run({"XAUTOCLAIM", "missing", "g", "c", "x", "0"}),
            error("ERR Invalid min-idle-time argument for XAUTOCLAIM"));
  EXPECT_EQ(h.run({"XAUTOCLAIM", "missing", "g", "c", "0", "x"}), kBadId);
  EXPECT_EQ(h.run({"XAUTOCLAIM", "str", "g", "c", "0", "0"}), kWrongType);
  EXPECT_EQ(h.run({"XAUTOCLAIM", "s", "g", "c", "0"}), arity("xautoclaim"));
  EXPECT_EQ(h.run({"XINFO", "CONSUMERS", "s", "g"}), "*0\r\n");
}

// kvd accepts any COUNT up to LONG_MAX/16 and runs the claim; Redis first
// allocates room for COUNT deleted IDs and refuses counts it cannot allocate.
TEST(StreamClaimCommands, DISABLED_AutoClaimCountTooHigh) {
  EngineHarness h;
  stream_with_group(h, 1);
  EXPECT_EQ(h.run({"XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT", "576460752303423487"}),
            error("ERR Insufficient memory, failed allocating transient memory, COUNT too high."));
}

}  // namespace
}  // namespace kvd::test
