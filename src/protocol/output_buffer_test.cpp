#include "kvd/protocol/output_buffer.hpp"

#include <gtest/gtest.h>

#include <string>

namespace kvd::protocol {
namespace {

TEST(OutputBuffer, ConsumeFromTheFrontKeepsTheRestInOrder) {
  OutputBuffer out;
  const std::string big(3 * OutputBuffer::kBlockSize + 100, 'x');
  out.append("head");
  out.append(big);
  EXPECT_EQ(out.size(), 4 + big.size());
  out.consume(4);
  EXPECT_EQ(out.to_string(), big);
  out.consume(big.size());
  EXPECT_TRUE(out.empty());
}

// A send in flight reads the first blocks; dropping the replies frees the
// others at once and keeps those.
TEST(OutputBuffer, DropBlocksAfterKeepsOnlyTheBlocksHoldingTheFirstBytes) {
  OutputBuffer out;
  std::string all;
  for (int i = 0; i < 10; ++i) {
    const std::string part(OutputBuffer::kBlockSize, static_cast<char>('a' + i));
    out.append(part);
    all += part;
  }
  const size_t before = out.allocated();
  out.drop_blocks_after(OutputBuffer::kBlockSize + 1);  // two blocks hold those
  EXPECT_EQ(out.size(), 2 * OutputBuffer::kBlockSize);
  EXPECT_EQ(out.to_string(), all.substr(0, 2 * OutputBuffer::kBlockSize));
  EXPECT_LT(out.allocated(), before / 4);
  out.drop_blocks_after(0);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace kvd::protocol
