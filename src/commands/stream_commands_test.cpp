#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kvd/engine/blocking.hpp"
#include "kvd/engine/types/stream.hpp"
#include "support/engine_harness.hpp"

// Expected replies were checked against redis-server 7.0.15.
namespace kvd::test {
namespace {

using engine::StreamID;
using engine::StreamObject;

// [id, [f, v]]
std::string entry(std::string_view id, std::string_view f, std::string_view v) {
  return "*2\r\n" + bulk(id) + "*2\r\n" + bulk(f) + bulk(v);
}

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

}  // namespace
}  // namespace kvd::test
