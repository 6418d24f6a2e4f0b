#include "kvd/engine/replication.hpp"

#include <gtest/gtest.h>

#include <string>

namespace kvd::engine {
namespace {

TEST(ReplBacklog, KeepsTheNewestBytes) {
  ReplBacklog b(8);
  b.append("abcdef");
  EXPECT_EQ(b.histlen(), 6u);
  EXPECT_EQ(b.tail(6), "abcdef");
  b.append("ghij");
  EXPECT_EQ(b.histlen(), 8u);
  EXPECT_EQ(b.tail(8), "cdefghij");
  EXPECT_EQ(b.tail(3), "hij");
  b.append("0123456789");  // longer than the ring
  EXPECT_EQ(b.tail(8), "23456789");
  b.resize(4);
  EXPECT_EQ(b.tail(4), "6789");
  b.resize(16);
  b.append("ab");
  EXPECT_EQ(b.tail(6), "6789ab");
}

std::string stream_of(ReplicationState& s, const std::vector<Effect>& unit) {
  std::string got;
  s.on_stream = [&](std::string_view b) { got.append(b); };
  s.consume(unit);
  return got;
}

TEST(ReplicationState, EncodesUnitsWithSelectAndMulti) {
  ReplicationState s;
  EXPECT_EQ(stream_of(s, {{0, {"SET", "k", "v"}}}), "");  // no backlog: nothing flows
  s.create_backlog();
  EXPECT_EQ(stream_of(s, {{0, {"SET", "k", "v"}}}),
            "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
  EXPECT_EQ(stream_of(s, {{0, {"DEL", "k"}}}), "*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n");
  EXPECT_EQ(stream_of(s, {{2, {"INCR", "a"}}, {2, {"INCR", "b"}}}),
            "*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*1\r\n$5\r\nMULTI\r\n*2\r\n$4\r\nINCR\r\n$1\r\na\r\n"
            "*2\r\n$4\r\nINCR\r\n$1\r\nb\r\n*1\r\n$4\r\nEXEC\r\n");
  const int64_t off = s.master_repl_offset();
  EXPECT_EQ(static_cast<size_t>(off), s.backlog_histlen());
  EXPECT_EQ(s.backlog_first_byte_offset(), 1);
  // After a new snapshot, the next unit selects its database again.
  s.reset_stream_db();
  EXPECT_EQ(stream_of(s, {{2, {"DEL", "a"}}}).rfind("*2\r\n$6\r\nSELECT", 0), 0u);
  // A replica's own effects never enter its stream.
  s.set_master("127.0.0.1", 6379);
  EXPECT_EQ(stream_of(s, {{2, {"DEL", "a"}}}), "");
}

// A full sync from a new master began replacing the data: nobody continues
// from our old history any more, by PSYNC to us or after our promotion.
TEST(ReplicationState, DiscardedHistoryRefusesPartialResync) {
  ReplicationState s;
  s.create_backlog();
  s.feed("abc");
  const std::string id = s.replid();
  ASSERT_EQ(s.can_continue(id, 4), "");
  s.discard_history();
  EXPECT_TRUE(s.history_discarded());
  EXPECT_TRUE(s.has_backlog());  // emptied, still the stream's sink
  EXPECT_EQ(s.backlog_histlen(), 0u);
  EXPECT_NE(s.can_continue(id, 4), "");
  // Promoted meanwhile: a new ID with no second one.
  s.shift_replid();
  EXPECT_NE(s.replid(), id);
  EXPECT_FALSE(s.history_discarded());
  EXPECT_NE(s.can_continue(id, 4), "");
  // The sync completed instead: the master's ID and offset, PSYNC works again.
  s.discard_history();
  s.set_id_and_offset(std::string(40, 'b'), 100);
  EXPECT_FALSE(s.history_discarded());
  EXPECT_EQ(s.can_continue(std::string(40, 'b'), 101), "");
}

TEST(ReplicationState, PartialResyncWindow) {
  ReplicationState s;
  s.resize_backlog(16 * 1024);
  s.create_backlog();
  std::string big(20000, 'x');
  s.feed(big);
  const std::string id = s.replid();
  EXPECT_EQ(s.master_repl_offset(), 20000);
  EXPECT_EQ(s.can_continue(id, 20001), "");  // nothing missing
  EXPECT_EQ(s.can_continue(id, 20000 - 16 * 1024 + 1), "");
  EXPECT_NE(s.can_continue(id, 100), "");  // fell out of the backlog
  EXPECT_NE(s.can_continue(std::string(40, 'a'), 20001), "");
  EXPECT_EQ(s.backlog_from(19998), "xxx");
  // Promotion: the old ID stays valid up to the current offset.
  s.shift_replid();
  EXPECT_EQ(s.replid2(), id);
  EXPECT_EQ(s.second_repl_offset(), 20001);
  EXPECT_EQ(s.can_continue(id, 20001), "");
  s.feed("more");
  EXPECT_NE(s.can_continue(id, 20005), "");  // past what the old history had
  EXPECT_EQ(s.can_continue(s.replid(), 20005), "");
}

}  // namespace
}  // namespace kvd::engine
