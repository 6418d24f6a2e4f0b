// format_int64 writes every length header and integer reply.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "kvd/common/strings.hpp"

namespace kvd {
namespace {

std::string fmt(int64_t v) {
  char buf[24];
  return std::string(buf, format_int64(v, buf));
}

TEST(FormatInt64, MatchesToStringAtEveryDigitCount) {
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{9}, int64_t{10}, int64_t{-10}, int64_t{99},
                    int64_t{100}, int64_t{4096}, int64_t{-4096}, INT64_MAX, INT64_MIN}) {
    EXPECT_EQ(fmt(v), std::to_string(v));
  }
  for (int64_t p = 1; p < INT64_MAX / 10; p *= 10) {
    EXPECT_EQ(fmt(p - 1), std::to_string(p - 1));
    EXPECT_EQ(fmt(-p), std::to_string(-p));
  }
}

}  // namespace
}  // namespace kvd
