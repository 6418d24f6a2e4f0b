#include "kvd/server/mailbox.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace kvd::server {
namespace {

TEST(Mailbox, BurstCostsOneWakeUpAndKeepsOrder) {
  asio::io_context io;
  std::vector<int> seen;
  Mailbox<int> box(io, [&](int& v) { seen.push_back(v); });
  for (int i = 0; i < 5; ++i) box.push(i);
  EXPECT_FALSE(box.empty());
  // Only the push that found the queue empty posted a drain.
  EXPECT_EQ(io.run(), 1u);
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(box.empty());
}

TEST(Mailbox, ItemsFromAnotherThreadArrive) {
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  std::vector<int> seen;
  Mailbox<int> box(io, [&](int& v) {
    seen.push_back(v);
    if (v == 999) guard.reset();
  });
  std::thread producer([&] {
    for (int i = 0; i < 1000; ++i) box.push(i);
  });
  io.run();  // returns once the last item released the guard
  producer.join();
  ASSERT_EQ(seen.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(seen[static_cast<size_t>(i)], i);
}

// A handler that runs the loop from inside (a slow script serving other
// clients) must see the items queued behind it handled by the nested drain,
// once each, in order; the outer drain then finds nothing left to do.
TEST(Mailbox, NestedDrainServesItemsQueuedBehindTheSlowOne) {
  asio::io_context io;
  std::vector<int> seen;
  Mailbox<int>* self = nullptr;
  Mailbox<int> box(io, [&](int& v) {
    seen.push_back(v);
    if (v == 1) {
      self->push(10);  // arrives while the slow item runs
      self->drain();   // what Server::process_events_while_busy does
      seen.push_back(-1);
    }
  });
  self = &box;
  box.push(1);
  box.push(2);
  box.push(3);
  io.run();
  // 2 and 3 were taken with 1 and are served by the nested drain, before 1
  // finishes; 10 came later and follows them.
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 3, 10, -1}));
  EXPECT_TRUE(box.empty());
}

TEST(Mailbox, UsableAgainAfterANestedDrain) {
  asio::io_context io;
  std::vector<int> seen;
  Mailbox<int>* self = nullptr;
  Mailbox<int> box(io, [&](int& v) {
    seen.push_back(v);
    if (v == 1) self->drain();
  });
  self = &box;
  box.push(1);
  io.run();
  io.restart();
  box.push(7);
  box.push(8);
  EXPECT_EQ(io.run(), 1u);
  EXPECT_EQ(seen, (std::vector<int>{1, 7, 8}));
}

TEST(Mailbox, AThrowingHandlerLeavesTheQueueUsable) {
  asio::io_context io;
  std::vector<int> seen;
  Mailbox<int> box(io, [&](int& v) {
    if (v == 0) throw std::runtime_error("boom");
    seen.push_back(v);
  });
  box.push(0);
  EXPECT_THROW(io.run(), std::runtime_error);
  io.restart();
  box.push(5);
  io.run();
  EXPECT_EQ(seen, (std::vector<int>{5}));
}

}  // namespace
}  // namespace kvd::server
