#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kvd/engine/blocking.hpp"
#include "kvd/engine/types/stream.hpp"
#include "support/engine_harness.hpp"
#include "support/fake_object.hpp"
#include "support/peer_client.hpp"
#include "support/stream_replies.hpp"

// Expected replies were checked against redis-server 7.0.15.
namespace kvd::test {
namespace {

using engine::StreamID;
using engine::StreamObject;

const std::string kTopItem =
    error("ERR The ID specified in XADD is equal or smaller than the target stream top item");
const std::string kExhausted =
    error("ERR The stream has exhausted the last possible ID, unable to add more items");

// s = 1-0 a 1, 1-1 b 2, 2-0 c 3, 3-5 d 4
void four(EngineHarness& h) {
  h.run({"XADD", "s", "1-0", "a", "1"});
  h.run({"XADD", "s", "1-1", "b", "2"});
  h.run({"XADD", "s", "2-0", "c", "3"});
  h.run({"XADD", "s", "3-5", "d", "4"});
}
const std::string kE1 = entry("1-0", "a", "1"), kE2 = entry("1-1", "b", "2"),
                  kE3 = entry("2-0", "c", "3"), kE4 = entry("3-5", "d", "4");

// A second connection whose out-of-band replies (unblocked reads) can be read.
class Peer {
 public:
  explicit Peer(EngineHarness& h) : h_(h), writer_(out_) {
    client_.id = h.engine().next_client_id();
    client_.writer = &writer_;
    h.engine().add_client(&client_);
  }
  ~Peer() { h_.engine().remove_client(&client_); }
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
  bool blocked() const { return client_.blocked; }

 private:
  EngineHarness& h_;
  engine::Client client_;
  protocol::OutputBuffer out_;
  protocol::ReplyWriter writer_;
};

TEST(StreamType, IdParsingAndOrder) {
  StreamID id;
  EXPECT_TRUE(engine::parse_stream_id("5", &id, 7, false));
  EXPECT_EQ(id.str(), "5-7");
  EXPECT_TRUE(engine::parse_stream_id("-", &id, 0, true));
  EXPECT_TRUE(id.is_zero());
  EXPECT_FALSE(engine::parse_stream_id("-", &id, 0, false));
  EXPECT_FALSE(engine::parse_stream_id("1-x", &id, 0, true));
  EXPECT_FALSE(engine::parse_stream_id("18446744073709551616", &id, 0, true));
  bool seq_given;
  EXPECT_TRUE(engine::parse_stream_id("3-*", &id, 0, false, &seq_given));
  EXPECT_FALSE(seq_given);
  StreamID max = StreamID::max();
  EXPECT_FALSE(max.incr());
  EXPECT_TRUE((StreamID{1, 2} < StreamID{2, 0}));
}

TEST(StreamType, NodesSplitAndTrimWholeNodes) {
  StreamObject s;
  StreamObject::NodeLimits lim{4096, 10};
  std::vector<std::string_view> f{"a", "b"};
  for (uint64_t i = 1; i <= 100; ++i) s.append({i, 0}, f, lim);
  EXPECT_EQ(s.length(), 100u);
  EXPECT_EQ(s.node_count(), 10u);
  engine::StreamTrimArgs t;
  t.strategy = engine::StreamTrimArgs::kMaxLen;
  t.approx = true;
  t.maxlen = 55;
  t.limit = 30;
  EXPECT_EQ(s.trim(t), 30);  // three whole nodes, as Redis
  EXPECT_EQ(s.length(), 70u);
  EXPECT_TRUE(s.erase({50, 0}));
  EXPECT_FALSE(s.erase({50, 0}));
  EXPECT_FALSE(s.contains({50, 0}));
  EXPECT_EQ(s.max_deleted_id(), (StreamID{50, 0}));
  EXPECT_EQ(s.first_id(), (StreamID{31, 0}));
  std::vector<uint64_t> rev;
  s.range({48, 0}, {52, 0}, true, [&](const engine::StreamEntry& e) {
    rev.push_back(e.id.ms);
    return true;
  });
  EXPECT_EQ(rev, (std::vector<uint64_t>{52, 51, 49, 48}));
}

TEST(StreamCommands, AddRangeAndErrors) {
  EngineHarness h;
  EXPECT_EQ(h.run({"XADD", "s", "1-1", "a", "1"}), bulk("1-1"));
  EXPECT_EQ(h.run({"XADD", "s", "1-*", "b", "2"}), bulk("1-2"));
  EXPECT_EQ(h.run({"XADD", "s", "1-1", "c", "3"}),
            error("ERR The ID specified in XADD is equal or smaller than the target stream top "
                  "item"));
  EXPECT_EQ(h.run({"XADD", "t", "0-0", "a", "1"}),
            error("ERR The ID specified in XADD must be greater than 0-0"));
  EXPECT_EQ(h.run({"XADD", "s", "*", "a"}),
            error("ERR wrong number of arguments for 'xadd' command"));
  EXPECT_EQ(h.run({"XADD", "s", "MAXLEN", "1", "LIMIT", "5", "*", "a", "1"}),
            error("ERR syntax error, LIMIT cannot be used without the special ~ option"));
  EXPECT_EQ(h.run({"XADD", "nokey", "NOMKSTREAM", "*", "a", "1"}), kNil);
  EXPECT_EQ(h.run({"EXISTS", "nokey"}), integer(0));
  EXPECT_EQ(h.run({"XLEN", "s"}), integer(2));
  EXPECT_EQ(h.run({"TYPE", "s"}), simple("stream"));
  EXPECT_EQ(h.run({"OBJECT", "ENCODING", "s"}), bulk("stream"));
  EXPECT_EQ(h.run({"XRANGE", "s", "-", "+"}),
            "*2\r\n" + entry("1-1", "a", "1") + entry("1-2", "b", "2"));
  EXPECT_EQ(h.run({"XRANGE", "s", "(1-1", "+"}), "*1\r\n" + entry("1-2", "b", "2"));
  EXPECT_EQ(h.run({"XREVRANGE", "s", "+", "-", "COUNT", "1"}), "*1\r\n" + entry("1-2", "b", "2"));
  EXPECT_EQ(h.run({"XRANGE", "s", "-", "+", "COUNT", "0"}), "*-1\r\n");
  EXPECT_EQ(h.run({"XRANGE", "s", "(-", "+"}),
            error("ERR Invalid stream ID specified as stream command argument"));
  EXPECT_EQ(h.run({"XRANGE", "s", "-", "(0-0"}), error("ERR invalid end ID for the interval"));
  EXPECT_EQ(h.run({"XDEL", "s", "1-1", "9-9"}), integer(1));
  EXPECT_EQ(h.run({"XTRIM", "s", "MAXLEN", "0"}), integer(1));
  EXPECT_EQ(h.run({"XTRIM", "s", "FOO", "1"}), error("ERR syntax error"));
  EXPECT_EQ(h.run({"SET", "str", "x"}), kOk);
  EXPECT_EQ(h.run({"XLEN", "str"}),
            error("WRONGTYPE Operation against a key holding the wrong kind of value"));
}

TEST(StreamCommands, SetIdAndInfo) {
  EngineHarness h;
  h.run({"XADD", "s", "5-0", "a", "1"});
  EXPECT_EQ(h.run({"XSETID", "s", "4-0"}),
            error("ERR The ID specified in XSETID is smaller than the target stream top item"));
  EXPECT_EQ(h.run({"XSETID", "nokey", "4-0"}), error("ERR no such key"));
  EXPECT_EQ(h.run({"XSETID", "s", "9-0", "ENTRIESADDED", "0"}),
            error("ERR The entries_added specified in XSETID is smaller than the target stream "
                  "length"));
  EXPECT_EQ(h.run({"XSETID", "s", "9-0", "ENTRIESADDED", "7", "MAXDELETEDID", "6-0"}), kOk);
  std::string info = h.run({"XINFO", "STREAM", "s"});
  EXPECT_EQ(info, "*20\r\n" + bulk("length") + integer(1) + bulk("radix-tree-keys") + integer(1) +
                      bulk("radix-tree-nodes") + integer(2) + bulk("last-generated-id") +
                      bulk("9-0") + bulk("max-deleted-entry-id") + bulk("6-0") +
                      bulk("entries-added") + integer(7) + bulk("recorded-first-entry-id") +
                      bulk("5-0") + bulk("groups") + integer(0) + bulk("first-entry") +
                      entry("5-0", "a", "1") + bulk("last-entry") + entry("5-0", "a", "1"));
}

TEST(StreamCommands, GroupsPendingAndClaims) {
  EngineHarness h;
  h.run({"XADD", "s", "1-0", "a", "1"});
  h.run({"XADD", "s", "2-0", "b", "2"});
  EXPECT_EQ(h.run({"XGROUP", "CREATE", "s", "g", "0"}), kOk);
  EXPECT_EQ(h.run({"XGROUP", "CREATE", "s", "g", "0"}),
            error("BUSYGROUP Consumer Group name already exists"));
  EXPECT_EQ(h.run({"XGROUP", "CREATE", "nokey", "g", "$"}),
            error("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you "
                  "may want to use the MKSTREAM option to create an empty stream automatically."));
  EXPECT_EQ(h.run({"XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", ">"}),
            "*1\r\n*2\r\n" + bulk("s") + "*1\r\n" + entry("1-0", "a", "1"));
  EXPECT_EQ(h.run({"XPENDING", "s", "g"}), "*4\r\n" + integer(1) + bulk("1-0") + bulk("1-0") +
                                               "*1\r\n*2\r\n" + bulk("alice") + bulk("1"));
  h.clock().advance_ms(50);
  EXPECT_EQ(h.run({"XPENDING", "s", "g", "-", "+", "10"}),
            "*1\r\n*4\r\n" + bulk("1-0") + bulk("alice") + integer(50) + integer(1));
  EXPECT_EQ(h.run({"XCLAIM", "s", "g", "bob", "10", "1-0", "JUSTID"}), "*1\r\n" + bulk("1-0"));
  EXPECT_EQ(h.run({"XAUTOCLAIM", "s", "g", "carol", "0", "0", "COUNT", "5"}),
            "*3\r\n" + bulk("0-0") + "*1\r\n" + entry("1-0", "a", "1") + "*0\r\n");
  EXPECT_EQ(h.run({"XACK", "s", "g", "1-0", "1-0"}), integer(1));
  EXPECT_EQ(h.run({"XPENDING", "s", "g"}), "*4\r\n" + integer(0) + kNil + kNil + "*-1\r\n");
  EXPECT_EQ(h.run({"XGROUP", "CREATECONSUMER", "s", "g", "dave"}), integer(1));
  EXPECT_EQ(h.run({"XGROUP", "DELCONSUMER", "s", "g", "dave"}), integer(0));
  EXPECT_EQ(h.run({"XGROUP", "SETID", "s", "nog", "0"}),
            error("NOGROUP No such consumer group 'nog' for key name 's'"));
  EXPECT_EQ(h.run({"XREADGROUP", "GROUP", "nog", "x", "STREAMS", "s", ">"}),
            error("NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP "
                  "option"));
  EXPECT_EQ(h.run({"XINFO", "GROUPS", "s"}),
            "*1\r\n*12\r\n" + bulk("name") + bulk("g") + bulk("consumers") + integer(3) +
                bulk("pending") + integer(0) + bulk("last-delivered-id") + bulk("1-0") +
                bulk("entries-read") + integer(1) + bulk("lag") + integer(1));
  EXPECT_EQ(h.run({"XGROUP", "DESTROY", "s", "g"}), integer(1));
  EXPECT_EQ(h.run({"XGROUP", "HELP", "x"}),
            error("ERR wrong number of arguments for 'xgroup|help' command"));
}

TEST(StreamCommands, BlockingReadsWakeOnAdd) {
  EngineHarness h;
  Peer reader(h), group_reader(h);
  h.run({"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"});
  EXPECT_EQ(reader.run({"XREAD", "BLOCK", "0", "STREAMS", "s", "$"}), "");
  EXPECT_EQ(group_reader.run({"XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"}),
            "");
  EXPECT_TRUE(reader.blocked());
  h.run({"XADD", "s", "3-0", "k", "v"});
  std::string expect = "*1\r\n*2\r\n" + bulk("s") + "*1\r\n" + entry("3-0", "k", "v");
  EXPECT_EQ(reader.take(), expect);
  EXPECT_EQ(group_reader.take(), expect);
  EXPECT_FALSE(reader.blocked());
  // Deleting the key fails a waiting XREADGROUP; a waiting XREAD stays blocked.
  reader.run({"XREAD", "BLOCK", "0", "STREAMS", "s", "$"});
  group_reader.run({"XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"});
  h.run({"DEL", "s"});
  EXPECT_EQ(group_reader.take(), error("UNBLOCKED the stream key no longer exists"));
  EXPECT_TRUE(reader.blocked());
  // It waits for IDs after the "$" it saw (3-0).
  h.run({"XADD", "s", "1-0", "k", "v"});
  EXPECT_EQ(reader.take(), "");
  h.run({"XADD", "s", "4-0", "k", "v"});
  EXPECT_EQ(reader.take(), "*1\r\n*2\r\n" + bulk("s") + "*1\r\n" + entry("4-0", "k", "v"));
}

TEST(StreamCommands, CopyKeepsGroups) {
  EngineHarness h;
  h.run({"XADD", "s", "1-0", "a", "1"});
  h.run({"XGROUP", "CREATE", "s", "g", "0"});
  h.run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"});
  EXPECT_EQ(h.run({"COPY", "s", "t"}), integer(1));
  std::string info = h.run({"XINFO", "STREAM", "s", "FULL"});
  h.run({"DEL", "s"});
  EXPECT_EQ(h.run({"XINFO", "STREAM", "t", "FULL"}), info);
}

// ---------------------------------------------------------------------------
// XADD

TEST(StreamCommands, AddExplicitAndPartialIds) {
  EngineHarness h;
  EXPECT_EQ(h.run({"XADD", "s", "1-1", "a", "1"}), bulk("1-1"));
  EXPECT_EQ(h.run({"XADD", "s", "1-*", "b", "2"}), bulk("1-2"));
  EXPECT_EQ(h.run({"XADD", "s", "1", "c", "3"}), kTopItem);  // "1" is 1-0
  EXPECT_EQ(h.run({"XADD", "s", "2", "d", "4"}), bulk("2-0"));
  EXPECT_EQ(h.run({"XADD", "s", "2-*", "e", "5"}), bulk("2-1"));
  EXPECT_EQ(h.run({"XADD", "s", "3-5", "f", "6"}), bulk("3-5"));
  EXPECT_EQ(h.run({"XADD", "s", "3-5", "f", "6"}), kTopItem);
  EXPECT_EQ(h.run({"XADD", "s", "3-4", "f", "6"}), kTopItem);
  EXPECT_EQ(h.run({"XADD", "s", "2-9", "f", "6"}), kTopItem);
  EXPECT_EQ(h.run({"XADD", "s", "3-*", "g", "7"}), bulk("3-6"));
  EXPECT_EQ(h.run({"XADD", "s", "1-*", "g", "7"}), kTopItem);
  EXPECT_EQ(h.run({"XADD", "s", "0-*", "g", "7"}), kTopItem);
  EXPECT_EQ(h.run({"XADD", "s", "04-02", "g", "7"}), bulk("4-2"));  // leading zeros
  EXPECT_EQ(h.run({"XLEN", "s"}), integer(7));
  // A new stream: 0-* is 0-1, while 0 and 0-0 are refused.
  EXPECT_EQ(h.run({"XADD", "n", "0-*", "g", "7"}), bulk("0-1"));
  EXPECT_EQ(h.run({"XADD", "n2", "0", "g", "7"}),
            error("ERR The ID specified in XADD must be greater than 0-0"));
  EXPECT_EQ(h.run({"XADD", "n3", "0-0", "g", "7"}),
            error("ERR The ID specified in XADD must be greater than 0-0"));
  EXPECT_EQ(h.run({"EXISTS", "n2", "n3"}), integer(0));
  EXPECT_EQ(h.run({"XADD", "n4", "0-1", "g", "7"}), bulk("0-1"));
}

TEST(StreamCommands, AddAtTheLastPossibleId) {
  EngineHarness h;
  EXPECT_EQ(h.run({"XADD", "s", "5-0", "a", "1"}), bulk("5-0"));
  EXPECT_EQ(h.run({"XADD", "s", kMaxId, "a", "1"}), bulk(kMaxId));
  EXPECT_EQ(h.run({"XADD", "s", "1", "a", "1"}), kExhausted);
  EXPECT_EQ(h.run({"XADD", "s", "*", "a", "1"}), kExhausted);
  EXPECT_EQ(h.run({"XADD", "s", "18446744073709551615-*", "a", "1"}), kExhausted);
  EXPECT_EQ(h.run({"XADD", "s", "MAXLEN", "0", "*", "a", "1"}), kExhausted);
  EXPECT_EQ(h.run({"XLEN", "s"}), integer(2));
  EXPECT_EQ(h.run({"XADD", "m", "18446744073709551615-18446744073709551614", "a", "1"}),
            bulk("18446744073709551615-18446744073709551614"));
  EXPECT_EQ(h.run({"XADD", "m", "18446744073709551615", "a", "1"}), kTopItem);
  EXPECT_EQ(h.run({"XADD", "m", "18446744073709551615-*", "a", "1"}), bulk(kMaxId));
  EXPECT_EQ(h.run({"XADD", "m", "18446744073709551615-*", "a", "1"}), kExhausted);
}

TEST(StreamCommands, AddInvalidIds) {
  EngineHarness h;
  for (std::string_view id :
       {"abc", "1-x", "-1", "1-", "-5", "1-2-3", "+", "-", "*-1", "18446744073709551616",
        "1-18446744073709551616", "1.5", "-0", "1-*-1", "0x10", ""}) {
    EXPECT_EQ(h.run({"XADD", "bad", id, "a", "1"}), kBadId) << id;
  }
  EXPECT_EQ(h.run({"EXISTS", "bad"}), integer(0));
}

// kvd accepts only digits in an ID; Redis falls back to strtoull, which takes
// a leading space or '+'.
TEST(StreamCommands, DISABLED_AddIdNumbersParsedByStrtoull) {
  EngineHarness h;
  EXPECT_EQ(h.run({"XADD", "s", " 1", "a", "1"}), bulk("1-0"));
  EXPECT_EQ(h.run({"XADD", "s", "+2-+3", "a", "1"}), bulk("2-3"));
  EXPECT_EQ(h.run({"XADD", "s", "+1", "a", "1"}), kTopItem);
  EXPECT_EQ(h.run({"XADD", "s", "000000000000000000000007", "a", "1"}), bulk("7-0"));
}

TEST(StreamCommands, AddAutoIdsFollowTheClock) {
  EngineHarness h;
  h.clock().set_ms(1'700'000'000'000);
  EXPECT_EQ(h.run({"XADD", "s", "*", "a", "1"}), bulk("1700000000000-0"));
  EXPECT_EQ(h.run({"XADD", "s", "*", "a", "1"}), bulk("1700000000000-1"));
  h.clock().advance_ms(5);
  EXPECT_EQ(h.run({"XADD", "s", "*", "a", "1"}), bulk("1700000000005-0"));
  // The clock going back never makes IDs go back.
  h.clock().set_ms(1'600'000'000'000);
  EXPECT_EQ(h.run({"XADD", "s", "*", "a", "1"}), bulk("1700000000005-1"));
  EXPECT_EQ(h.run({"XADD", "s", "1800000000000-7", "a", "1"}), bulk("1800000000000-7"));
  EXPECT_EQ(h.run({"XADD", "s", "*", "a", "1"}), bulk("1800000000000-8"));
  EXPECT_EQ(h.run({"XADD", "s", "1800000000001-*", "a", "1"}), bulk("1800000000001-0"));
  EXPECT_EQ(h.run({"XADD", "t", "NOMKSTREAM", "MAXLEN", "5", "*", "a", "1"}), kNil);
  EXPECT_EQ(h.run({"XADD", "t", "MAXLEN", "5", "*", "a", "1"}), bulk("1600000000000-0"));
}

TEST(StreamCommands, AddArity) {
  EngineHarness h;
  EXPECT_EQ(h.run({"XADD", "s"}), arity("xadd"));
  EXPECT_EQ(h.run({"XADD", "s", "5-0"}), arity("xadd"));
  EXPECT_EQ(h.run({"XADD", "s", "5-0", "a"}), arity("xadd"));
  EXPECT_EQ(h.run({"XADD", "s", "5-0", "a", "1", "b"}), arity("xadd"));
  EXPECT_EQ(h.run({"XADD", "s", "MAXLEN", "1", "5-0"}), arity("xadd"));
  EXPECT_EQ(h.run({"XADD", "s", "MAXLEN", "1", "5-0", "a"}), arity("xadd"));
  EXPECT_EQ(h.run({"XADD", "s", "MAXLEN", "5-0", "a", "1"}), kNotInt);
  EXPECT_EQ(h.run({"EXISTS", "s"}), integer(0));
}

TEST(StreamCommands, AddFieldsAndValues) {
  EngineHarness h;
  EXPECT_EQ(h.run({"XADD", "s", "1-0", "a", "1", "a", "2", "b", "3"}), bulk("1-0"));
  EXPECT_EQ(h.run({"XADD", "s", "2-0", "", ""}), bulk("2-0"));
  std::string bin("x\0y\r\nz", 6), big(100'000, 'v');
  EXPECT_EQ(h.run({"XADD", "s", "3-0", bin, big}), bulk("3-0"));
  EXPECT_EQ(h.run({"XADD", "s", "4-0", "n", "12345", "f", "-0.5"}), bulk("4-0"));
  EXPECT_EQ(h.run({"XRANGE", "s", "-", "+"}),
            array({ent("1-0", {"a", "1", "a", "2", "b", "3"}), ent("2-0", {"", ""}),
                   ent("3-0", {bin, big}), ent("4-0", {"n", "12345", "f", "-0.5"})}));
}

TEST(StreamCommands, AddNoMkStream) {
  EngineHarness h;
  EXPECT_EQ(h.run({"XADD", "nokey", "NOMKSTREAM", "1-1", "a", "1"}), kNil);
  EXPECT_EQ(h.run({"XADD", "nokey", "NOMKSTREAM", "MAXLEN", "0", "1-0", "f", "9"}), kNil);
  EXPECT_EQ(h.run({"XADD", "nokey", "NOMKSTREAM", "0-0", "a", "1"}),
            error("ERR The ID specified in XADD must be greater than 0-0"));
  EXPECT_EQ(h.run({"XADD", "nokey", "NOMKSTREAM", "bad", "a", "1"}), kBadId);
  EXPECT_EQ(h.run({"EXISTS", "nokey"}), integer(0));
  h.run({"XADD", "s", "1-0", "a", "1"});
  EXPECT_EQ(h.run({"XADD", "s", "NOMKSTREAM", "2-0", "a", "1"}), bulk("2-0"));
  EXPECT_EQ(h.run({"XADD", "s", "nomkstream", "nomkstream", "3-0", "a", "1"}), bulk("3-0"));
  EXPECT_EQ(h.run({"XADD", "s", "MAXLEN", "1", "NOMKSTREAM", "4-0", "a", "1"}), bulk("4-0"));
  EXPECT_EQ(h.run({"XLEN", "s"}), integer(1));
  h.run({"SET", "str", "v"});
  EXPECT_EQ(h.run({"XADD", "str", "*", "a", "1"}), kWrongType);
  EXPECT_EQ(h.run({"XADD", "str", "NOMKSTREAM", "*", "a", "1"}), kWrongType);
  EXPECT_EQ(h.run({"XADD", "str", "bad", "a", "1"}), kBadId);  // the ID is parsed first
}

TEST(StreamCommands, KeyspaceEvents) {
  EngineHarness h;
  PeerClient sub(h);
  auto event = [](std::string_view name) {
    return arr({bulk("pmessage"), bulk("__keyevent@0__:*"),
                bulk("__keyevent@0__:" + std::string(name)), bulk("s")});
  };
  h.run({"CONFIG", "SET", "notify-keyspace-events", "KEA"});
  sub.run({"PSUBSCRIBE", "__keyevent@0__:*"});
  h.run({"XADD", "s", "MAXLEN", "1", "1-0", "a", "1"});
  EXPECT_EQ(sub.take(), event("xadd"));  // nothing trimmed: no xtrim
  h.run({"XADD", "s", "MAXLEN", "1", "2-0", "a", "1"});
  EXPECT_EQ(sub.take(), event("xadd") + event("xtrim"));
  h.run({"XDEL", "s", "2-0"});
  EXPECT_EQ(sub.take(), event("xdel"));
  h.run({"XDEL", "s", "9-0"});
  h.run({"XTRIM", "s", "MAXLEN", "0"});
  EXPECT_EQ(sub.take(), "");
  h.run({"XSETID", "s", "5-0"});
  EXPECT_EQ(sub.take(), event("xsetid"));
  h.run({"XADD", "s", "NOMKSTREAM", "6-0", "a", "1"});
  h.run({"XTRIM", "s", "MINID", "7"});
  EXPECT_EQ(sub.take(), event("xadd") + event("xtrim"));
}

// ---------------------------------------------------------------------------
// XLEN, XRANGE, XREVRANGE

TEST(StreamCommands, Len) {
  EngineHarness h;
  EXPECT_EQ(h.run({"XLEN", "nokey"}), integer(0));
  four(h);
  EXPECT_EQ(h.run({"XLEN", "s"}), integer(4));
  h.run({"XDEL", "s", "1-1"});
  EXPECT_EQ(h.run({"XLEN", "s"}), integer(3));
  h.run({"SET", "str", "v"});
  EXPECT_EQ(h.run({"XLEN", "str"}), kWrongType);
  EXPECT_EQ(h.run({"XLEN"}), arity("xlen"));
  EXPECT_EQ(h.run({"XLEN", "s", "x"}), arity("xlen"));
}

TEST(StreamCommands, RangeBounds) {
  EngineHarness h;
  four(h);
  EXPECT_EQ(h.run({"XRANGE", "s", "-", "+"}), array({kE1, kE2, kE3, kE4}));
  EXPECT_EQ(h.run({"XRANGE", "s", "1", "1"}), array({kE1, kE2}));  // 1-0 .. 1-max
  EXPECT_EQ(h.run({"XRANGE", "s", "1-1", "2"}), array({kE2, kE3}));
  EXPECT_EQ(h.run({"XRANGE", "s", "1-18446744073709551615", "+"}), array({kE3, kE4}));
  EXPECT_EQ(h.run({"XRANGE", "s", "(1-0", "(3-5"}), array({kE2, kE3}));
  EXPECT_EQ(h.run({"XRANGE", "s", "(1", "+"}), array({kE2, kE3, kE4}));
  EXPECT_EQ(h.run({"XRANGE", "s", "-", "(2"}), array({kE1, kE2, kE3}));
  EXPECT_EQ(h.run({"XRANGE", "s", "(1-1", "(2-0"}), "*0\r\n");
  EXPECT_EQ(h.run({"XRANGE", "s", "(0-0", "+"}), array({kE1, kE2, kE3, kE4}));
  EXPECT_EQ(h.run({"XRANGE", "s", "-", "(" + kMaxId}), array({kE1, kE2, kE3, kE4}));
  EXPECT_EQ(h.run({"XRANGE", "s", "2", "1"}), "*0\r\n");
  EXPECT_EQ(h.run({"XRANGE", "s", "+", "-"}), "*0\r\n");
  EXPECT_EQ(h.run({"XRANGE", "s", "4", "+"}), "*0\r\n");
}

TEST(StreamCommands, RangeCount) {
  EngineHarness h;
  four(h);
  EXPECT_EQ(h.run({"XRANGE", "s", "-", "+", "COUNT", "2"}), array({kE1, kE2}));
  EXPECT_EQ(h.run({"XRANGE", "s", "-", "+", "count", "2"}), array({kE1, kE2}));
  EXPECT_EQ(h.run({"XRANGE", "s", "(1", "+", "COUNT", "1"}), array({kE2}));
  EXPECT_EQ(h.run({"XRANGE", "s", "-", "+", "COUNT", "1", "COUNT", "3"}), array({kE1, kE2, kE3}));
  EXPECT_EQ(h.run({"XRANGE", "s", "-", "+", "COUNT", "9223372036854775807"}),
            array({kE1, kE2, kE3, kE4}));
  EXPECT_EQ(h.run({"XRANGE", "s", "-", "+", "COUNT", "0"}), kNullArray);
  EXPECT_EQ(h.run({"XRANGE", "s", "-", "+", "COUNT", "-1"}), kNullArray);
  EXPECT_EQ(h.run({"XRANGE", "s", "-", "+", "COUNT", "9223372036854775808"}), kNotInt);
  EXPECT_EQ(h.run({"XRANGE", "s", "-", "+", "COUNT", "x"}), kNotInt);
  EXPECT_EQ(h.run({"XRANGE", "s", "-", "+", "COUNT"}), kSyntaxErr);
  EXPECT_EQ(h.run({"XRANGE", "s", "-", "+", "FOO", "1"}), kSyntaxErr);
  EXPECT_EQ(h.run({"XRANGE", "s", "-", "+", "COUNT", "1", "LIMIT"}), kSyntaxErr);
}

TEST(StreamCommands, RangeIdErrors) {
  EngineHarness h;
  four(h);
  EXPECT_EQ(h.run({"XRANGE", "s", "(" + kMaxId, "+"}),
            error("ERR invalid start ID for the interval"));
  EXPECT_EQ(h.run({"XRANGE", "s", "-", "(0-0"}), error("ERR invalid end ID for the interval"));
  for (std::string_view id : {"(", "(+", "(-", "x", "3-*", "18446744073709551616", "-0", "1-", "*"})
    EXPECT_EQ(h.run({"XRANGE", "s", id, "+"}), kBadId) << id;
  for (std::string_view id : {"(", "(+", "(-", "y", "1-x"})
    EXPECT_EQ(h.run({"XRANGE", "s", "-", id}), kBadId) << id;
  EXPECT_EQ(h.run({"XRANGE", "s", "-"}), arity("xrange"));
  EXPECT_EQ(h.run({"XRANGE", "s"}), arity("xrange"));
  EXPECT_EQ(h.run({"XREVRANGE", "s", "+"}), arity("xrevrange"));
}

TEST(StreamCommands, RevRange) {
  EngineHarness h;
  four(h);
  EXPECT_EQ(h.run({"XREVRANGE", "s", "+", "-"}), array({kE4, kE3, kE2, kE1}));
  EXPECT_EQ(h.run({"XREVRANGE", "s", "+", "-", "COUNT", "1"}), array({kE4}));
  EXPECT_EQ(h.run({"XREVRANGE", "s", "2", "1"}), array({kE3, kE2, kE1}));
  EXPECT_EQ(h.run({"XREVRANGE", "s", "(3-5", "-"}), array({kE3, kE2, kE1}));
  EXPECT_EQ(h.run({"XREVRANGE", "s", "+", "(1-1"}), array({kE4, kE3}));
  EXPECT_EQ(h.run({"XREVRANGE", "s", "(2", "(1", "COUNT", "5"}), array({kE3, kE2}));
  EXPECT_EQ(h.run({"XREVRANGE", "s", "1", "2"}), "*0\r\n");
  EXPECT_EQ(h.run({"XREVRANGE", "s", "-", "+"}), "*0\r\n");
  EXPECT_EQ(h.run({"XREVRANGE", "s", "+", "-", "COUNT", "0"}), kNullArray);
  EXPECT_EQ(h.run({"XREVRANGE", "s", "+", "-", "COUNT", "-5"}), kNullArray);
  EXPECT_EQ(h.run({"XREVRANGE", "s", "(0-0", "-"}), error("ERR invalid end ID for the interval"));
  EXPECT_EQ(h.run({"XREVRANGE", "s", "+", "(" + kMaxId}),
            error("ERR invalid start ID for the interval"));
}

TEST(StreamCommands, RangeMissingKeyAndWrongType) {
  EngineHarness h;
  EXPECT_EQ(h.run({"XRANGE", "missing", "-", "+"}), "*0\r\n");
  EXPECT_EQ(h.run({"XRANGE", "missing", "-", "+", "COUNT", "0"}), "*0\r\n");
  EXPECT_EQ(h.run({"XREVRANGE", "missing", "+", "-"}), "*0\r\n");
  EXPECT_EQ(h.run({"XRANGE", "missing", "x", "+"}), kBadId);
  h.run({"SET", "str", "v"});
  EXPECT_EQ(h.run({"XRANGE", "str", "-", "+"}), kWrongType);
  EXPECT_EQ(h.run({"XREVRANGE", "str", "+", "-"}), kWrongType);
  EXPECT_EQ(h.run({"XRANGE", "str", "x", "+"}), kBadId);
}

TEST(StreamCommands, RangeAcrossNodes) {
  EngineHarness h;
  for (int i = 1; i <= 250; ++i) h.run({"XADD", "s", std::to_string(i) + "-0", "f", "v"});
  EXPECT_EQ(h.run({"XRANGE", "s", "99", "102"}),
            array({entry("99-0", "f", "v"), entry("100-0", "f", "v"), entry("101-0", "f", "v"),
                   entry("102-0", "f", "v")}));
  // "(202" as an end is "(202-<max>": 202-0 is in.
  EXPECT_EQ(h.run({"XREVRANGE", "s", "(202", "199", "COUNT", "2"}),
            array({entry("202-0", "f", "v"), entry("201-0", "f", "v")}));
  h.run({"XDEL", "s", "100-0", "101-0"});
  EXPECT_EQ(h.run({"XRANGE", "s", "99", "102"}),
            array({entry("99-0", "f", "v"), entry("102-0", "f", "v")}));
  EXPECT_EQ(h.run({"XREVRANGE", "s", "101", "-", "COUNT", "1"}), array({entry("99-0", "f", "v")}));
}

// ---------------------------------------------------------------------------
// XDEL

TEST(StreamCommands, Del) {
  EngineHarness h;
  h.run({"XADD", "s", "1-0", "a", "1"});
  h.run({"XADD", "s", "2-0", "b", "2"});
  h.run({"XADD", "s", "3-0", "c", "3"});
  EXPECT_EQ(h.run({"XDEL", "s", "2-0"}), integer(1));
  EXPECT_EQ(h.run({"XDEL", "s", "2-0"}), integer(0));
  EXPECT_EQ(h.run({"XDEL", "s", "x"}), kBadId);
  EXPECT_EQ(h.run({"XDEL", "s", "1-0", "x"}), kBadId);  // nothing deleted
  EXPECT_EQ(h.run({"XDEL", "s", "-"}), kBadId);
  EXPECT_EQ(h.run({"XDEL", "s", "+"}), kBadId);
  EXPECT_EQ(h.run({"XLEN", "s"}), integer(2));
  EXPECT_EQ(h.run({"XDEL", "s", "1", "3-0", "9-9", "3-0"}), integer(2));
  EXPECT_EQ(h.run({"XLEN", "s"}), integer(0));
  EXPECT_EQ(h.run({"EXISTS", "s"}), integer(1));  // emptied streams stay
  EXPECT_EQ(h.run({"XADD", "s", "3-0", "a", "1"}), kTopItem);
  EXPECT_EQ(h.run({"XINFO", "STREAM", "s"}), array({bulk("length"),
                                                    integer(0),
                                                    bulk("radix-tree-keys"),
                                                    integer(0),
                                                    bulk("radix-tree-nodes"),
                                                    integer(1),
                                                    bulk("last-generated-id"),
                                                    bulk("3-0"),
                                                    bulk("max-deleted-entry-id"),
                                                    bulk("3-0"),
                                                    bulk("entries-added"),
                                                    integer(3),
                                                    bulk("recorded-first-entry-id"),
                                                    bulk("0-0"),
                                                    bulk("groups"),
                                                    integer(0),
                                                    bulk("first-entry"),
                                                    kNil,
                                                    bulk("last-entry"),
                                                    kNil}));
  EXPECT_EQ(h.run({"XDEL", "missing", "1-0"}), integer(0));
  EXPECT_EQ(h.run({"XDEL", "missing", "x"}), integer(0));
  h.run({"SET", "str", "v"});
  EXPECT_EQ(h.run({"XDEL", "str", "1-0"}), kWrongType);
  EXPECT_EQ(h.run({"XDEL", "str", "x"}), kWrongType);
  EXPECT_EQ(h.run({"XDEL", "s"}), arity("xdel"));
}

TEST(StreamCommands, DelUpdatesInfo) {
  EngineHarness h;
  h.run({"XADD", "s", "5-0", "a", "1"});
  h.run({"XADD", "s", "6-0", "b", "2"});
  h.run({"XADD", "s", "7-0", "c", "3"});
  EXPECT_EQ(h.run({"XDEL", "s", "7-0"}), integer(1));
  EXPECT_EQ(h.run({"XDEL", "s", "5-0"}), integer(1));  // max-deleted stays 7-0
  EXPECT_EQ(h.run({"XINFO", "STREAM", "s"}), array({bulk("length"),
                                                    integer(1),
                                                    bulk("radix-tree-keys"),
                                                    integer(1),
                                                    bulk("radix-tree-nodes"),
                                                    integer(2),
                                                    bulk("last-generated-id"),
                                                    bulk("7-0"),
                                                    bulk("max-deleted-entry-id"),
                                                    bulk("7-0"),
                                                    bulk("entries-added"),
                                                    integer(3),
                                                    bulk("recorded-first-entry-id"),
                                                    bulk("6-0"),
                                                    bulk("groups"),
                                                    integer(0),
                                                    bulk("first-entry"),
                                                    entry("6-0", "b", "2"),
                                                    bulk("last-entry"),
                                                    entry("6-0", "b", "2")}));
  EXPECT_EQ(h.run({"XADD", "s", "7-0", "a", "1"}), kTopItem);
  EXPECT_EQ(h.run({"XADD", "s", "7-*", "a", "1"}), bulk("7-1"));
}

// ---------------------------------------------------------------------------
// XSETID

TEST(StreamCommands, SetIdMovesTheTop) {
  EngineHarness h;
  h.run({"XADD", "s", "5-0", "a", "1"});
  h.run({"XADD", "s", "6-0", "a", "1"});
  EXPECT_EQ(h.run({"XSETID", "s", "6-0"}), kOk);
  EXPECT_EQ(h.run({"XSETID", "s", "5-9"}),
            error("ERR The ID specified in XSETID is smaller than the target stream top item"));
  EXPECT_EQ(h.run({"XSETID", "s", "7"}), kOk);
  EXPECT_EQ(h.run({"XADD", "s", "7-*", "a", "1"}), bulk("7-1"));
  EXPECT_EQ(h.run({"XSETID", "s", "100-0"}), kOk);
  EXPECT_EQ(h.run({"XADD", "s", "50-0", "a", "1"}), kTopItem);
  EXPECT_EQ(h.run({"XADD", "s", "100-*", "a", "1"}), bulk("100-1"));
  const std::string smaller_len =
      error("ERR The entries_added specified in XSETID is smaller than the target stream length");
  EXPECT_EQ(h.run({"XSETID", "s", "200-0", "ENTRIESADDED", "3", "MAXDELETEDID", "150-0"}),
            smaller_len);
  EXPECT_EQ(h.run({"XSETID", "s", "300-0", "ENTRIESADDED", "4"}), kOk);
  EXPECT_EQ(h.run({"XSETID", "s", "300-0", "ENTRIESADDED", "4", "MAXDELETEDID", "300-0"}), kOk);
  // A zero MAXDELETEDID leaves the recorded one alone.
  EXPECT_EQ(h.run({"XSETID", "s", "300-0", "entriesadded", "5", "maxdeletedid", "0-0"}), kOk);
  EXPECT_EQ(h.run({"XINFO", "STREAM", "s"}), array({bulk("length"),
                                                    integer(4),
                                                    bulk("radix-tree-keys"),
                                                    integer(1),
                                                    bulk("radix-tree-nodes"),
                                                    integer(2),
                                                    bulk("last-generated-id"),
                                                    bulk("300-0"),
                                                    bulk("max-deleted-entry-id"),
                                                    bulk("300-0"),
                                                    bulk("entries-added"),
                                                    integer(5),
                                                    bulk("recorded-first-entry-id"),
                                                    bulk("5-0"),
                                                    bulk("groups"),
                                                    integer(0),
                                                    bulk("first-entry"),
                                                    entry("5-0", "a", "1"),
                                                    bulk("last-entry"),
                                                    entry("100-1", "a", "1")}));
  EXPECT_EQ(h.run({"XSETID", "s", "400-0", "MAXDELETEDID", "400-0", "ENTRIESADDED", "1"}),
            smaller_len);
  EXPECT_EQ(h.run({"XSETID", "s", "1-0", "ENTRIESADDED", "1"}),
            error("ERR The ID specified in XSETID is smaller than the target stream top item"));
  EXPECT_EQ(h.run({"XSETID", "s", "9223372036854775807-0", "ENTRIESADDED", "9223372036854775807"}),
            kOk);
}

TEST(StreamCommands, SetIdOnEmptyStreamMayGoBack) {
  EngineHarness h;
  h.run({"XADD", "e", "1-0", "a", "1"});
  h.run({"XDEL", "e", "1-0"});
  EXPECT_EQ(h.run({"XSETID", "e", "0-0"}), kOk);
  EXPECT_EQ(h.run({"XSETID", "e", "0-1", "ENTRIESADDED", "0"}), kOk);
  EXPECT_EQ(h.run({"XINFO", "STREAM", "e"}), array({bulk("length"),
                                                    integer(0),
                                                    bulk("radix-tree-keys"),
                                                    integer(0),
                                                    bulk("radix-tree-nodes"),
                                                    integer(1),
                                                    bulk("last-generated-id"),
                                                    bulk("0-1"),
                                                    bulk("max-deleted-entry-id"),
                                                    bulk("1-0"),
                                                    bulk("entries-added"),
                                                    integer(0),
                                                    bulk("recorded-first-entry-id"),
                                                    bulk("0-0"),
                                                    bulk("groups"),
                                                    integer(0),
                                                    bulk("first-entry"),
                                                    kNil,
                                                    bulk("last-entry"),
                                                    kNil}));
  EXPECT_EQ(h.run({"XADD", "e", "0-2", "a", "1"}), bulk("0-2"));
}

TEST(StreamCommands, SetIdErrors) {
  EngineHarness h;
  h.run({"XADD", "s", "5-0", "a", "1"});
  EXPECT_EQ(h.run({"XSETID", "s", "300-0", "ENTRIESADDED", "-1"}),
            error("ERR entries_added must be positive"));
  EXPECT_EQ(h.run({"XSETID", "s", "300-0", "ENTRIESADDED", "x"}), kNotInt);
  EXPECT_EQ(h.run({"XSETID", "s", "9-0", "ENTRIESADDED", "9223372036854775808"}), kNotInt);
  const std::string below_max_deleted =
      error("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
  EXPECT_EQ(h.run({"XSETID", "s", "300-0", "MAXDELETEDID", "400-0"}), below_max_deleted);
  EXPECT_EQ(h.run({"XSETID", "s", "300-0", "MAXDELETEDID", "400-0", "ENTRIESADDED", "x"}),
            below_max_deleted);
  EXPECT_EQ(h.run({"XSETID", "s", "300-0", "ENTRIESADDED", "x", "MAXDELETEDID", "400-0"}), kNotInt);
  EXPECT_EQ(h.run({"XSETID", "s", "300-0", "MAXDELETEDID", "x"}), kBadId);
  EXPECT_EQ(h.run({"XSETID", "s", "300-0", "MAXDELETEDID", "-"}), kBadId);
  EXPECT_EQ(h.run({"XSETID", "s", "300-0", "ENTRIESADDED"}), kSyntaxErr);
  EXPECT_EQ(h.run({"XSETID", "s", "300-0", "FOO", "1"}), kSyntaxErr);
  EXPECT_EQ(h.run({"XSETID", "s", "300-0", "ENTRIESADDED", "5", "FOO"}), kSyntaxErr);
  EXPECT_EQ(h.run({"XSETID", "s", "1", "2", "3"}), kSyntaxErr);
  for (std::string_view id : {"x", "-", "+", "5-*"})
    EXPECT_EQ(h.run({"XSETID", "s", id}), kBadId) << id;
  EXPECT_EQ(h.run({"XSETID", "missing", "1-0"}), error("ERR no such key"));
  EXPECT_EQ(h.run({"XSETID", "missing", "x"}), kBadId);
  EXPECT_EQ(h.run({"XSETID", "missing", "1-0", "ENTRIESADDED", "-1"}),
            error("ERR entries_added must be positive"));
  h.run({"SET", "str", "v"});
  EXPECT_EQ(h.run({"XSETID", "str", "1-0"}), kWrongType);
  EXPECT_EQ(h.run({"XSETID", "s"}), arity("xsetid"));
  EXPECT_EQ(h.run({"XADD", "s", "6-0", "a", "1"}), bulk("6-0"));  // nothing changed
}

}  // namespace
}  // namespace kvd::test
