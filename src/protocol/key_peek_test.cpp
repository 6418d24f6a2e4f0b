#include "kvd/protocol/key_peek.hpp"

#include <gtest/gtest.h>

#include <string>

namespace kvd::protocol {
namespace {

size_t peek(const std::string& s, PeekedCommand* out, size_t max = 16) {
  return peek_commands(s.data(), s.size(), out, max);
}

TEST(KeyPeek, ReadsTheSecondArgumentOfEachWholeCommand) {
  PeekedCommand keys[16];
  std::string buf =
      "*3\r\n$3\r\nSET\r\n$2\r\nk1\r\n$1\r\nv\r\n"
      "*2\r\n$4\r\nINCR\r\n$5\r\nkey:2\r\n"
      "*1\r\n$4\r\nPING\r\n"  // no key: skipped
      "*2\r\n$3\r\nGET\r\n$0\r\n\r\n";
  ASSERT_EQ(peek(buf, keys), 3u);
  EXPECT_EQ(keys[0].key, "k1");
  EXPECT_EQ(keys[1].key, "key:2");
  EXPECT_EQ(keys[2].key, "");
}

TEST(KeyPeek, KeepsTheTwoArgumentsAfterTheKey) {
  PeekedCommand cmds[16];
  std::string buf =
      "*4\r\n$4\r\nZADD\r\n$1\r\nz\r\n$3\r\n1.5\r\n$1\r\nm\r\n"
      "*3\r\n$4\r\nSADD\r\n$1\r\ns\r\n$6\r\nmember\r\n"
      "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
  ASSERT_EQ(peek(buf, cmds), 3u);
  EXPECT_EQ(cmds[0].arg2, "1.5");
  EXPECT_EQ(cmds[0].arg3, "m");
  EXPECT_EQ(cmds[1].arg2, "member");
  EXPECT_EQ(cmds[1].arg3, "");
  EXPECT_EQ(cmds[2].key, "k");
  EXPECT_EQ(cmds[2].arg2, "");
}

TEST(KeyPeek, StopsAtAnIncompleteCommand) {
  PeekedCommand keys[16];
  std::string whole = "*2\r\n$3\r\nGET\r\n$1\r\na\r\n";
  std::string next = "*2\r\n$3\r\nGET\r\n$5\r\nabcde\r\n";
  // Every truncation of the second command yields only the first key.
  for (size_t cut = 0; cut < next.size() - 1; ++cut) {
    std::string buf = whole + next.substr(0, cut);
    ASSERT_EQ(peek(buf, keys), 1u) << cut;
    EXPECT_EQ(keys[0].key, "a");
  }
}

TEST(KeyPeek, StopsAtInlineOrMalformedInputAndAtMax) {
  PeekedCommand keys[16];
  EXPECT_EQ(peek("GET a\r\n", keys), 0u);
  EXPECT_EQ(peek("*2\r\n$x\r\n", keys), 0u);
  EXPECT_EQ(peek("*2\r\n$99999999999999999999\r\n", keys), 0u);
  EXPECT_EQ(peek("*-1\r\n", keys), 0u);
  std::string buf;
  for (int i = 0; i < 10; ++i) buf += "*2\r\n$3\r\nGET\r\n$1\r\n" + std::to_string(i) + "\r\n";
  ASSERT_EQ(peek(buf, keys, 4), 4u);
  EXPECT_EQ(keys[3].key, "3");
}

}  // namespace
}  // namespace kvd::protocol
