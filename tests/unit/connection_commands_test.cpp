#include <gtest/gtest.h>

#include "engine_harness.hpp"

namespace kvd::test {

TEST(ConnectionCommands, PingReplies) {
  EngineHarness h;
  EXPECT_EQ(h.run({"PING"}), simple("PONG"));
  EXPECT_EQ(h.run({"ping", "hello"}), bulk("hello"));
}

TEST(Dispatch, UnknownCommandAndArity) {
  EngineHarness h;
  EXPECT_EQ(h.run({"foo", "a", "b"}),
            error("ERR unknown command 'foo', with args beginning with: 'a' 'b' "));
  EXPECT_EQ(h.run({"foo"}), error("ERR unknown command 'foo', with args beginning with: "));
}

}  // namespace kvd::test
