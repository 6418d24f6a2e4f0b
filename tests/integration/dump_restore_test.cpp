// DUMP and RESTORE over a real socket: binary payloads with every byte value
// travel through the RESP parser and reply writer intact.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kvd_process.hpp"

namespace kvd::itest {
namespace {

TEST(DumpRestore, BinaryPayloadsRoundTripOverTheWire) {
  KvdProcess kvd;
  auto c = kvd.connect();
  std::string binary;
  for (int i = 0; i < 256 * 4; ++i) binary.push_back(static_cast<char>(i));
  ASSERT_EQ(KvdProcess::command(c.get(), {"SET", "bin", binary})->type, REDIS_REPLY_STATUS);
  std::vector<std::string> push = {"RPUSH", "list"};
  for (int i = 0; i < 2000; ++i) push.push_back("item\r\n" + std::to_string(i));
  ASSERT_EQ(KvdProcess::command(c.get(), push)->integer, 2000);

  for (const std::string key : {"bin", "list"}) {
    auto dump = KvdProcess::command(c.get(), {"DUMP", key});
    ASSERT_EQ(dump->type, REDIS_REPLY_STRING);
    std::string payload(dump->str, dump->len);
    auto ok = KvdProcess::command(c.get(), {"RESTORE", key + "2", "0", payload});
    ASSERT_EQ(ok->type, REDIS_REPLY_STATUS) << key;
    auto again = KvdProcess::command(c.get(), {"DUMP", key + "2"});
    EXPECT_EQ(std::string(again->str, again->len), payload) << key;
  }
  auto got = KvdProcess::command(c.get(), {"GET", "bin2"});
  EXPECT_EQ(std::string(got->str, got->len), binary);
  auto item = KvdProcess::command(c.get(), {"LINDEX", "list2", "1999"});
  EXPECT_EQ(std::string(item->str, item->len), "item\r\n1999");

  auto bad = KvdProcess::command(c.get(), {"RESTORE", "x", "0", std::string("\x00\x01a", 3)});
  ASSERT_EQ(bad->type, REDIS_REPLY_ERROR);
  EXPECT_STREQ(bad->str, "ERR DUMP payload version or checksum are wrong");
  EXPECT_EQ(KvdProcess::command(c.get(), {"PING"})->type, REDIS_REPLY_STATUS);
}

}  // namespace
}  // namespace kvd::itest
