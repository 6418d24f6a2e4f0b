#include "kvd/protocol/reply_reader.hpp"

#include <gtest/gtest.h>

#include <string>

namespace kvd::protocol {
namespace {

using Kind = ReplyItem::Kind;

TEST(ReplyReaderTest, ReadsEveryKind) {
  std::string buf =
      "+OK\r\n-ERR bad\r\n:42\r\n$3\r\nabc\r\n$-1\r\n*-1\r\n*2\r\n%1\r\n~0\r\n>1\r\n_\r\n#t\r\n"
      ",1.5\r\n,-inf\r\n(12345678901234567890\r\n=7\r\ntxt:hey\r\n";
  ReplyReader r(buf);
  ReplyItem it;
  ASSERT_TRUE(r.next(it));
  EXPECT_EQ(it.kind, Kind::kStatus);
  EXPECT_EQ(it.str, "OK");
  ASSERT_TRUE(r.next(it));
  EXPECT_EQ(it.kind, Kind::kError);
  EXPECT_EQ(it.str, "ERR bad");
  ASSERT_TRUE(r.next(it));
  EXPECT_EQ(it.kind, Kind::kInteger);
  EXPECT_EQ(it.integer, 42);
  ASSERT_TRUE(r.next(it));
  EXPECT_EQ(it.kind, Kind::kBulk);
  EXPECT_EQ(it.str, "abc");
  ASSERT_TRUE(r.next(it));
  EXPECT_EQ(it.kind, Kind::kNullBulk);
  ASSERT_TRUE(r.next(it));
  EXPECT_EQ(it.kind, Kind::kNullArray);
  ASSERT_TRUE(r.next(it));
  EXPECT_EQ(it.kind, Kind::kArray);
  EXPECT_EQ(it.count, 2);
  ASSERT_TRUE(r.next(it));
  EXPECT_EQ(it.kind, Kind::kMap);
  EXPECT_EQ(it.count, 1);
  ASSERT_TRUE(r.next(it));
  EXPECT_EQ(it.kind, Kind::kSet);
  ASSERT_TRUE(r.next(it));
  EXPECT_EQ(it.kind, Kind::kPush);
  ASSERT_TRUE(r.next(it));
  EXPECT_EQ(it.kind, Kind::kNull);
  ASSERT_TRUE(r.next(it));
  EXPECT_EQ(it.kind, Kind::kBoolean);
  EXPECT_TRUE(it.boolean);
  ASSERT_TRUE(r.next(it));
  EXPECT_EQ(it.kind, Kind::kDouble);
  EXPECT_EQ(it.dbl, 1.5);
  ASSERT_TRUE(r.next(it));
  EXPECT_LT(it.dbl, -1e308);
  ASSERT_TRUE(r.next(it));
  EXPECT_EQ(it.kind, Kind::kBigNumber);
  EXPECT_EQ(it.str, "12345678901234567890");
  ASSERT_TRUE(r.next(it));
  EXPECT_EQ(it.kind, Kind::kVerbatim);
  EXPECT_EQ(it.format, "txt");
  EXPECT_EQ(it.str, "hey");
  EXPECT_TRUE(r.at_end());
  EXPECT_FALSE(r.next(it));
}

TEST(ReplyReaderTest, RefusesMalformedInput) {
  for (const char* bad : {"$5\r\nab\r\n", ":12x\r\n", "*-2\r\n", "?\r\n", "+no end", "#x\r\n",
                          "=2\r\nab\r\n", "$3\r\nabcXY", "%-1\r\n"}) {
    ReplyReader r(bad);
    ReplyItem it;
    EXPECT_FALSE(r.next(it)) << bad;
  }
}

}  // namespace
}  // namespace kvd::protocol
