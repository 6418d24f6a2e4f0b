#include "kvd/engine/ttl_index.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <vector>

#include "kvd/engine/dict.hpp"

namespace kvd::test {
namespace {

using engine::Entry;
using engine::TtlIndex;

// Addresses only: the index never dereferences its entries.
Entry* fake(size_t i) {
  return reinterpret_cast<Entry*>(static_cast<uintptr_t>(0x10000 + i * 48));
}

TEST(TtlIndex, SetGetEraseAgainstModel) {
  TtlIndex idx;
  std::map<Entry*, int64_t> model;
  std::mt19937_64 rng(7);
  for (int step = 0; step < 200'000; ++step) {
    Entry* e = fake(rng() % 5000);
    switch (rng() % 3) {
      case 0:
      case 1: {
        auto when = static_cast<int64_t>(rng() % 1'000'000);
        idx.set(e, when);
        model[e] = when;
        break;
      }
      default:
        EXPECT_EQ(idx.erase(e), model.erase(e) == 1);
    }
    if (step % 997 == 0) {
      ASSERT_EQ(idx.size(), model.size());
      for (auto& [k, v] : model) ASSERT_EQ(idx.get(k, -1), v);
    }
  }
  // Drain to empty: shrinking must keep every member reachable.
  while (!model.empty()) {
    auto it = model.begin();
    std::advance(it, static_cast<long>(rng() % model.size()));
    ASSERT_TRUE(idx.erase(it->first));
    model.erase(it);
    for (auto& [k, v] : model) {
      if (rng() % 64 == 0) {
        ASSERT_EQ(idx.get(k, -1), v);
      }
    }
  }
  EXPECT_EQ(idx.size(), 0u);
  EXPECT_EQ(idx.get(fake(1), -1), -1);
  EXPECT_FALSE(idx.erase(fake(1)));
}

TEST(TtlIndex, CursorVisitsEveryMember) {
  TtlIndex idx;
  for (size_t i = 0; i < 100; ++i) idx.set(fake(i), static_cast<int64_t>(i));
  std::set<Entry*> seen;
  size_t cursor = 12345;
  for (int i = 0; i < 100; ++i) {
    int64_t when;
    Entry* e = idx.at_cursor(&cursor, &when);
    ASSERT_EQ(idx.get(e, -1), when);
    seen.insert(e);
    ++cursor;
  }
  EXPECT_EQ(seen.size(), 100u);
  // Erasing at the cursor and staying put still reaches everything.
  size_t erased = 0;
  while (!idx.empty()) {
    int64_t when;
    Entry* e = idx.at_cursor(&cursor, &when);
    if (when % 2 == 0) {
      ASSERT_TRUE(idx.erase(e));
      ++erased;
    } else {
      ++cursor;
    }
    if (erased == 50) break;
  }
  EXPECT_EQ(idx.size(), 50u);
  size_t visited = 0;
  idx.for_first(64, [&](int64_t when) {
    EXPECT_EQ(when % 2, 1);
    ++visited;
  });
  EXPECT_EQ(visited, 50u);
}

TEST(TtlIndex, ResizeIsSpreadOverWritesAndTheCron) {
  TtlIndex idx;
  size_t n = 0;
  while (n < 4096 || !idx.migrating()) {
    idx.set(fake(n), static_cast<int64_t>(n));
    ++n;
  }
  // Crossing 3/4 full opened a new array; the old one drains 16 slots per
  // write, so the next write leaves it still draining.
  idx.set(fake(n), static_cast<int64_t>(n));
  ++n;
  EXPECT_TRUE(idx.migrating());
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(idx.get(fake(i), -1), static_cast<int64_t>(i)) << i;
  // The cursor reaches entries in both arrays.
  std::set<Entry*> seen;
  size_t cursor = 0;
  for (size_t i = 0; i < n; ++i) {
    int64_t when;
    seen.insert(idx.at_cursor(&cursor, &when));
    ++cursor;
  }
  EXPECT_EQ(seen.size(), n);
  // Erasing while draining, then the cron's share finishes the move.
  for (size_t i = 0; i < n; i += 3) ASSERT_TRUE(idx.erase(fake(i)));
  idx.migrate(size_t{1} << 20);
  EXPECT_FALSE(idx.migrating());
  for (size_t i = 0; i < n; ++i) {
    ASSERT_EQ(idx.get(fake(i), -1), i % 3 == 0 ? -1 : static_cast<int64_t>(i)) << i;
  }
}

TEST(TtlIndex, SwapAndClear) {
  TtlIndex a, b;
  a.set(fake(1), 10);
  b.set(fake(2), 20);
  b.set(fake(3), 30);
  a.swap(b);
  EXPECT_EQ(a.size(), 2u);
  EXPECT_EQ(a.get(fake(3), -1), 30);
  EXPECT_EQ(b.get(fake(1), -1), 10);
  a.clear();
  EXPECT_TRUE(a.empty());
  a.set(fake(4), 40);
  EXPECT_EQ(a.get(fake(4), -1), 40);
}

}  // namespace
}  // namespace kvd::test
