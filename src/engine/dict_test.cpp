#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "kvd/engine/database.hpp"
#include "kvd/engine/dict.hpp"

namespace kvd::engine {
namespace {

std::string key_name(int i) {
  return "key:" + std::to_string(i);
}

void put(Dict& d, const std::string& k) {
  d.insert(Entry::create(k, Value::from_string(k)));
}

bool drop(Dict& d, const std::string& k) {
  Entry* e = d.unlink(k);
  if (!e) return false;
  Entry::destroy(e);
  return true;
}

int64_t mono_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

// Runs a full SCAN, calling `between` after every step, and returns every key
// reported (with repeats collapsed).
template <typename F>
std::set<std::string> full_scan(Dict& d, F between) {
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int guard = 0;
  do {
    cursor = d.scan(cursor, [&](Entry* e) { seen.emplace(e->key()); });
    between();
    if (++guard > 1'000'000) {
      ADD_FAILURE() << "scan does not terminate";
      break;
    }
  } while (cursor != 0);
  return seen;
}

TEST(Dict, EmptyDict) {
  Dict d;
  EXPECT_EQ(d.size(), 0u);
  EXPECT_EQ(d.find("x"), nullptr);
  EXPECT_EQ(d.unlink("x"), nullptr);
  EXPECT_EQ(d.random_entry(&fast_random), nullptr);
  EXPECT_EQ(d.scan(0, [](Entry*) { FAIL(); }), 0u);
}

TEST(Dict, InsertFindUnlink) {
  Dict d;
  put(d, "a");
  put(d, "b");
  put(d, "");  // the empty key is a valid key
  EXPECT_EQ(d.size(), 3u);
  ASSERT_NE(d.find("a"), nullptr);
  EXPECT_EQ(d.find("a")->key(), "a");
  EXPECT_NE(d.find(""), nullptr);
  EXPECT_EQ(d.find("c"), nullptr);
  EXPECT_TRUE(drop(d, "a"));
  EXPECT_FALSE(drop(d, "a"));
  EXPECT_EQ(d.find("a"), nullptr);
  EXPECT_EQ(d.size(), 2u);
}

TEST(Dict, BinaryKeys) {
  Dict d;
  std::string k1("a\0b", 3), k2("a\0c", 3);
  put(d, k1);
  EXPECT_NE(d.find(k1), nullptr);
  EXPECT_EQ(d.find(k2), nullptr);
  EXPECT_EQ(d.find("a"), nullptr);
}

// Growth rehashes incrementally: while a rehash is under way every key must
// stay reachable for find and unlink, whichever table it currently lives in.
TEST(Dict, InsertFindUnlinkAcrossIncrementalRehash) {
  Dict d;
  const int n = 20000;
  int checks_during_rehash = 0;
  for (int i = 0; i < n; ++i) {
    put(d, key_name(i));
    if (d.rehashing() && i % 97 == 0) {
      ++checks_during_rehash;
      for (int j = 0; j <= i; j += 13) ASSERT_NE(d.find(key_name(j)), nullptr) << j;
    }
  }
  EXPECT_GT(checks_during_rehash, 0) << "the test never observed a rehash";
  EXPECT_EQ(d.size(), static_cast<size_t>(n));

  // Delete every other key, some of them during rehashes caused by inserts.
  int unlinked_during_rehash = 0;
  for (int i = 0; i < n; i += 2) {
    if (d.rehashing()) ++unlinked_during_rehash;
    ASSERT_TRUE(drop(d, key_name(i))) << i;
    if (i % 1000 == 0) {
      for (int j = 0; j < 300; ++j) put(d, "extra:" + std::to_string(i) + ":" + std::to_string(j));
    }
  }
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(d.find(key_name(i)) != nullptr, i % 2 == 1) << i;
  }
  EXPECT_EQ(d.size(), static_cast<size_t>(n / 2 + 20 * 300));
  (void)unlinked_during_rehash;
}

TEST(Dict, ShrinkKeepsEveryKey) {
  Dict d;
  for (int i = 0; i < 5000; ++i) put(d, key_name(i));
  while (d.rehashing()) d.rehash_for(1000, &mono_us);
  size_t big = d.buckets();
  for (int i = 0; i < 5000; ++i) {
    if (i % 50 != 0) drop(d, key_name(i));
  }
  d.shrink_if_sparse();
  EXPECT_TRUE(d.rehashing());
  for (int i = 0; i < 5000; i += 50) ASSERT_NE(d.find(key_name(i)), nullptr);
  while (d.rehashing()) d.rehash_for(1000, &mono_us);
  EXPECT_LT(d.buckets(), big);
  EXPECT_EQ(d.size(), 100u);
  for (int i = 0; i < 5000; i += 50) ASSERT_NE(d.find(key_name(i)), nullptr);
}

TEST(Dict, ShrinkOfEmptiedTable) {
  Dict d;
  for (int i = 0; i < 1000; ++i) put(d, key_name(i));
  for (int i = 0; i < 1000; ++i) drop(d, key_name(i));
  while (d.rehashing()) d.rehash_for(1000, &mono_us);
  d.shrink_if_sparse();
  while (d.rehashing()) d.rehash_for(1000, &mono_us);
  EXPECT_EQ(d.size(), 0u);
  put(d, "again");
  EXPECT_NE(d.find("again"), nullptr);
}

TEST(Dict, ScanVisitsEverythingOnStableTable) {
  Dict d;
  for (int i = 0; i < 3000; ++i) put(d, key_name(i));
  auto seen = full_scan(d, [] {});
  EXPECT_EQ(seen.size(), 3000u);
}

// The SCAN guarantee: a key present from the first to the last call is returned
// at least once, however the table grows, shrinks and rehashes in between.
TEST(Dict, ScanReturnsStableKeysWhileTableGrowsAndShrinks) {
  for (uint32_t seed = 1; seed <= 6; ++seed) {
    std::mt19937 rng(seed);
    Dict d;
    const int stable = 500 + static_cast<int>(rng() % 2000);
    for (int i = 0; i < stable; ++i) put(d, key_name(i));
    std::vector<std::string> churn;
    int next = 0;
    int phase = 0;
    // Churn stays bounded so the table keeps cycling between sizes and the
    // scan can finish.
    const size_t cap = 2500;
    auto seen = full_scan(d, [&] {
      // Alternate bursts of growth with mass deletion plus shrinking, leaving
      // rehashes half done between scan steps.
      if (++phase % 16 < 8) {
        int adds = static_cast<int>(rng() % 200);
        for (int i = 0; i < adds && churn.size() < cap; ++i) {
          churn.push_back("churn:" + std::to_string(next++));
          put(d, churn.back());
        }
      } else {
        std::shuffle(churn.begin(), churn.end(), rng);
        size_t keep = churn.size() / 2;
        while (churn.size() > keep) {
          drop(d, churn.back());
          churn.pop_back();
        }
        d.shrink_if_sparse();
      }
      if (rng() % 3 == 0) d.rehash_for(static_cast<int64_t>(rng() % 3), &mono_us);
    });
    for (int i = 0; i < stable; ++i) {
      ASSERT_TRUE(seen.count(key_name(i))) << "seed " << seed << " missed " << key_name(i);
    }
  }
}

// Deleting almost everything (so the table shrinks a lot) mid-scan must not lose
// the keys that remain.
TEST(Dict, ScanSurvivesLargeShrinkMidScan) {
  Dict d;
  for (int i = 0; i < 20000; ++i) put(d, key_name(i));
  while (d.rehashing()) d.rehash_for(1000, &mono_us);
  std::set<std::string> seen;
  uint64_t cursor = 0;
  for (int step = 0; step < 100; ++step) {
    cursor = d.scan(cursor, [&](Entry* e) { seen.emplace(e->key()); });
  }
  ASSERT_NE(cursor, 0u);
  for (int i = 0; i < 20000; ++i) {
    if (i % 100 != 0) drop(d, key_name(i));
  }
  d.shrink_if_sparse();
  do {
    cursor = d.scan(cursor, [&](Entry* e) { seen.emplace(e->key()); });
  } while (cursor != 0);
  for (int i = 0; i < 20000; i += 100) ASSERT_TRUE(seen.count(key_name(i))) << i;
}

TEST(Dict, RandomEntryReachesEveryKey) {
  Dict d;
  for (int i = 0; i < 50; ++i) put(d, key_name(i));
  std::set<std::string> picked;
  for (int i = 0; i < 5000; ++i) {
    Entry* e = d.random_entry(&fast_random);
    ASSERT_NE(e, nullptr);
    picked.emplace(e->key());
  }
  EXPECT_EQ(picked.size(), 50u);
}

TEST(Dict, RandomEntryDuringRehash) {
  Dict d;
  int observed = 0;
  for (int i = 0; i < 5000; ++i) {
    put(d, key_name(i));
    if (!d.rehashing()) continue;
    ++observed;
    Entry* e = d.random_entry(&fast_random);
    ASSERT_NE(e, nullptr);
    ASSERT_EQ(d.find(e->key()), e);
  }
  EXPECT_GT(observed, 0);
}

TEST(Dict, RandomEntrySingleKeyAfterDeletes) {
  Dict d;
  for (int i = 0; i < 1000; ++i) put(d, key_name(i));
  for (int i = 1; i < 1000; ++i) drop(d, key_name(i));
  for (int i = 0; i < 100; ++i) {
    Entry* e = d.random_entry(&fast_random);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->key(), key_name(0));
  }
}

TEST(Dict, ForEachAndClear) {
  Dict d;
  for (int i = 0; i < 1000; ++i) put(d, key_name(i));
  size_t n = 0;
  d.for_each([&](Entry*) { ++n; });
  EXPECT_EQ(n, 1000u);
  size_t freed = 0;
  d.clear([&](Entry* e) {
    ++freed;
    Entry::destroy(e);
  });
  EXPECT_EQ(freed, 1000u);
  EXPECT_EQ(d.size(), 0u);
  put(d, "x");
  EXPECT_NE(d.find("x"), nullptr);
}

TEST(Dict, SwapExchangesContents) {
  Dict a, b;
  put(a, "only-a");
  put(b, "only-b");
  put(b, "also-b");
  a.swap(b);
  EXPECT_EQ(a.size(), 2u);
  EXPECT_NE(a.find("only-b"), nullptr);
  EXPECT_NE(b.find("only-a"), nullptr);
}

}  // namespace
}  // namespace kvd::engine
