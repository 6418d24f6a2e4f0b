// ChainedHash (the bucket index of big hashes, sets and sorted sets) against a
// std::map model: inserts and removals through many grow and shrink cycles,
// with the incremental rehash in progress at random points, SCAN's guarantee
// across resizes, and random() reaching every node.
#include "kvd/engine/chained_hash.hpp"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "kvd/engine/dict.hpp"

namespace kvd::engine {
namespace {

struct Node {
  Node* link = nullptr;
  std::string name;
};

struct Traits {
  static Node*& next(Node* n) { return n->link; }
  static std::string_view key(const Node* n) { return n->name; }
  static uint64_t hash(std::string_view k) { return hash_bytes(k, 42); }
};

using Table = ChainedHash<Node, Traits>;

class Model {
 public:
  bool insert(const std::string& k) {
    if (nodes_.count(k)) return false;
    auto n = std::make_unique<Node>();
    n->name = k;
    table_.insert(n.get());
    nodes_[k] = std::move(n);
    return true;
  }
  void erase(const std::string& k, bool by_node) {
    auto it = nodes_.find(k);
    if (it == nodes_.end()) {
      EXPECT_EQ(table_.unlink(k), nullptr);
      return;
    }
    if (by_node) {
      table_.unlink_node(it->second.get());
    } else {
      EXPECT_EQ(table_.unlink(k), it->second.get());
    }
    nodes_.erase(it);
  }
  void check() {
    ASSERT_EQ(table_.size(), nodes_.size());
    for (auto& [k, n] : nodes_) ASSERT_EQ(table_.find(k), n.get()) << k;
    size_t seen = 0;
    table_.for_each([&](Node*) { ++seen; });
    EXPECT_EQ(seen, nodes_.size());
  }
  Table table_;
  std::map<std::string, std::unique_ptr<Node>> nodes_;
};

TEST(ChainedHash, MatchesAModelThroughGrowAndShrink) {
  std::mt19937_64 rng(11);
  Model m;
  bool saw_rehash = false;
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 5000; ++i) {
      m.insert("k" + std::to_string(rng() % 8000));
      if (rng() % 4 == 0) m.erase("k" + std::to_string(rng() % 8000), rng() % 2);
      saw_rehash |= m.table_.rehashing();
      if (i % 500 == 0) m.check();
      EXPECT_EQ(m.table_.find("absent"), nullptr);
    }
    // Drain most of it, through shrinks.
    while (m.nodes_.size() > 10) {
      m.erase(m.nodes_.begin()->first, rng() % 2);
      saw_rehash |= m.table_.rehashing();
    }
    m.check();
  }
  EXPECT_TRUE(saw_rehash);
}

TEST(ChainedHash, GrowingIsSpreadOverLaterWrites) {
  // Fill to 1024 buckets' worth, then cross load factor 1: the new table is
  // opened, and the old one is emptied over many later writes, a bucket each.
  Model m;
  int i = 0;
  while (m.table_.size() < 1024 || !m.table_.rehashing()) m.insert("k" + std::to_string(i++));
  m.check();
  int steps = 0;
  while (m.table_.rehashing()) m.insert("more" + std::to_string(steps++));
  EXPECT_GT(steps, 100);  // 1024 buckets, at most 1 + 10 empty visits per write
  m.check();
}

TEST(ChainedHash, ScanReturnsEveryStayingNodeAcrossResizes) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 20; ++trial) {
    Model m;
    for (int i = 0; i < 300; ++i) m.insert("stay" + std::to_string(i));
    std::set<std::string> seen;
    uint64_t cursor = 0;
    int churn = 0;
    do {
      cursor = m.table_.scan(cursor, [&](const Node* n) { seen.insert(n->name); });
      // Grow (and in odd trials then shrink) while the scan runs: the cursor
      // must stay valid. The growth stops, or the scan could never end.
      if (churn < 1000 + 100 * trial) {
        for (int j = 0; j < 60; ++j) m.insert("churn" + std::to_string(churn++));
      } else if (trial % 2 == 1) {
        for (int j = 0; j < 60 && m.nodes_.size() > 300; ++j) {
          auto it = m.nodes_.lower_bound("churn");
          if (it == m.nodes_.end() || it->first.rfind("churn", 0) != 0) break;
          m.erase(it->first, rng() % 2);
        }
      }
    } while (cursor != 0);
    for (int i = 0; i < 300; ++i) EXPECT_TRUE(seen.count("stay" + std::to_string(i))) << i;
  }
}

TEST(ChainedHash, RandomReachesEveryNode) {
  Model m;
  for (int i = 0; i < 64; ++i) m.insert("r" + std::to_string(i));
  std::mt19937_64 rng(3);
  std::map<std::string, int> hits;
  for (int i = 0; i < 64 * 200; ++i) hits[m.table_.random([&] { return rng(); })->name]++;
  ASSERT_EQ(hits.size(), 64u);
  for (auto& [k, n] : hits) {
    EXPECT_GT(n, 100) << k;  // expected 200 each
    EXPECT_LT(n, 320) << k;
  }
}

}  // namespace
}  // namespace kvd::engine
