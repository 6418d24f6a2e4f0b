#include "kvd/protocol/key_peek.hpp"

#include <gtest/gtest.h>

#include <string>

namespace kvd::protocol {
namespace {

size_t peek(const std::string& s, std::string_view* keys, size_t max = 16) {
  return peek_keys(s.data(), s.size(), keys, max);
}

TEST(KeyPeek, ReadsTheSecondArgumentOfEachWholeCommand) {
  std::string_view keys[16];
  std::string buf =
      "*3\r\n$3\r\nSET\r\n$2\r\nk1\r\n$1\r\nv\r\n"
      "*2\r\n$4\r\nINCR\r\n$5\r\nkey:2\r\n"
      "*1\r\n$4\r\nPING\r\n"  // no key: skipped
      "*2\r\n$3\r\nGET\r\n$0\r\n\r\n";
  ASSERT_EQ(peek(buf, keys), 3u);
  EXPECT_EQ(keys[0], "k1");
  EXPECT_EQ(keys[1], "key:2");
  EXPECT_EQ(keys[2], "");
}

TEST(KeyPeek, StopsAtAnIncompleteCommand) {
  std::string_view keys[16];
  std::string whole = "*2\r\n$3\r\nGET\r\n$1\r\na\r\n";
  std::string next = "*2\r\n$3\r\nGET\r\n$5\r\nabcde\r\n";
  // Every truncation of the second command yields only the first key.
  for (size_t cut = 0; cut < next.size() - 1; ++cut) {
    std::string buf = whole + next.substr(0, cut);
    ASSERT_EQ(peek(buf, keys), 1u) << cut;
    EXPECT_EQ(keys[0], "a");
  }
}

TEST(KeyPeek, StopsAtInlineOrMalformedInputAndAtMax) {
  std::string_view keys[16];
  EXPECT_EQ(peek("GET a\r\n", keys), 0u);
  EXPECT_EQ(peek("*2\r\n$x\r\n", keys), 0u);
  EXPECT_EQ(peek("*2\r\n$99999999999999999999\r\n", keys), 0u);
  EXPECT_EQ(peek("*-1\r\n", keys), 0u);
  std::string buf;
  for (int i = 0; i < 10; ++i) buf += "*2\r\n$3\r\nGET\r\n$1\r\n" + std::to_string(i) + "\r\n";
  ASSERT_EQ(peek(buf, keys, 4), 4u);
  EXPECT_EQ(keys[3], "3");
}

}  // namespace
}  // namespace kvd::protocol
